"""Policy sheet import on PostgreSQL: ours against django-import-export's default import.

Ours is ``manage.py import_policies FILE`` timed end to end as a fresh process (Python
start-up, Django set-up, read, validate, write, commit) into an empty policy table.
The baseline is django-import-export's default import (``PolicyResource``, a plain
ModelResource with the sheet's Chinese headers: ``tablib.Dataset().load(...)`` then
``resource.import_data(dataset, dry_run=False)``), timed on the first 2,000 rows of the
same generated sheet because it takes minutes beyond that; also in a fresh process.

Everything runs in a database of its own, dropped and created on the server that
DATABASE_URL names (never the database DATABASE_URL itself names):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres make bench BENCH_ARGS=policy_import
    BENCH_1M=1 ...      # also import 1,000,000 rows and report peak memory (minutes)
    BENCH_IMPORT_ROWS=20000 ...   # a smaller sheet than 100,000 rows

Peak memory is the largest sum, sampled every 50 ms, of the resident memory of the
import process and its children (the sheet reader), and each one's own peak (getrusage).
"""

import contextlib
import json
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
BENCH_DATABASE = "giftplatform_bench_policy_import"
BASELINE_ROWS = 2_000
TARGET_ROWS_PER_S = 20_000
TARGET_RATIO = 30
TARGET_PEAK_MB = 1024
_SUMMARY = re.compile(r"imported: (\d+) rows .*created (\d+), updated (\d+), unchanged (\d+)")


def main() -> str | None:
    url = os.environ.get("DATABASE_URL", "")
    if urlsplit(url).scheme not in ("postgres", "postgresql", "pgsql"):
        print(
            "skipped bench_policy_import: it measures the PostgreSQL path (COPY + upsert); "
            "run it with DATABASE_URL=postgres://USER@HOST:PORT/ANY_DATABASE"
        )
        return None
    from bench.sheets import policy_sheet

    rows = int(os.environ.get("BENCH_IMPORT_ROWS", "100000"))
    bench_url = _recreate_database(url, BENCH_DATABASE)
    env = {
        **os.environ,
        "DATABASE_URL": bench_url,
        "DJANGO_SETTINGS_MODULE": "giftplatform.settings",
        # The bench's own big files: the upload cap protects the web server, not this.
        "IMPORT_MAX_UPLOAD_BYTES": str(2**40),
    }
    _manage(env, "migrate", "--verbosity", "0")
    _manage(env, "seed_demo", "--minimal", "--verbosity", "0")
    print(f"database {BENCH_DATABASE} created, migrated and seeded (--minimal)", flush=True)

    started = time.perf_counter()
    sheet, small = policy_sheet(rows), policy_sheet(BASELINE_ROWS)
    print(f"sheets ready in {time.perf_counter() - started:.1f}s: {sheet.name}, {small.name}")

    repeats = int(os.environ.get("BENCH_REPEATS", "3"))
    runs = sorted(
        (_ours(env, bench_url, sheet, rows) for _ in range(repeats)), key=lambda r: r["seconds"]
    )
    print("ours, each run: " + ", ".join(f"{r['seconds']:.2f}s" for r in runs))
    results = [
        ("ours (median)", rows, runs[len(runs) // 2]),
        ("ours", BASELINE_ROWS, _ours(env, bench_url, small, BASELINE_ROWS)),
        ("import-export", BASELINE_ROWS, _baseline(env, bench_url, small, BASELINE_ROWS)),
    ]
    million = None
    if os.environ.get("BENCH_1M") == "1":
        started = time.perf_counter()
        big = policy_sheet(1_000_000)
        print(f"1M-row sheet ready in {time.perf_counter() - started:.1f}s: {big.name}")
        million = _ours(env, bench_url, big, 1_000_000)
        results.append(("ours", 1_000_000, million))
    return _report(results, million, rows)


# --- the runs ------------------------------------------------------------------------------


def _ours(env: dict, url: str, path: Path, rows: int) -> dict:
    _empty_policy_table(url)
    command = [sys.executable, "manage.py", "import_policies", str(path)]
    result = _measured(command, env)
    match = _SUMMARY.search(result["stdout"])
    if result["returncode"] != 0 or not match:
        raise RuntimeError(f"import_policies failed:\n{result['stdout']}\n{result['stderr']}")
    imported, created = int(match.group(1)), int(match.group(2))
    if imported != rows or created != rows:
        raise RuntimeError(f"expected {rows} new policies, got: {match.group(0)}")
    result["rows"] = rows
    result["duration_ms"] = int(re.search(r"\((\d+) ms\)", result["stdout"]).group(1))
    return result


def _baseline(env: dict, url: str, path: Path, rows: int) -> dict:
    _empty_policy_table(url)
    command = [sys.executable, "-m", "bench.bench_policy_import", "baseline", str(path)]
    result = _measured(command, env)
    if result["returncode"] != 0:
        raise RuntimeError(f"the baseline failed:\n{result['stdout']}\n{result['stderr']}")
    report = json.loads(result["stdout"].strip().splitlines()[-1])
    if report["errors"] or report["new"] != rows:
        raise RuntimeError(f"the baseline did not import {rows} rows cleanly: {report}")
    result["rows"] = rows
    result["duration_ms"] = int(report["seconds"] * 1000)
    return result


def _baseline_in_this_process(path: str) -> None:
    """``python -m bench.bench_policy_import baseline FILE``: the library's default import."""
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    import tablib

    from policies.models import Policy
    from policies.resources import PolicyResource

    started = time.perf_counter()
    with open(path, "rb") as handle:
        dataset = tablib.Dataset().load(handle.read(), format="xlsx")
    result = PolicyResource().import_data(dataset, dry_run=False)
    seconds = time.perf_counter() - started
    errors = len(result.base_errors) + len(result.row_errors()) + len(result.invalid_rows)
    print(json.dumps({"seconds": seconds, "errors": errors, "new": Policy.objects.count()}))


def _measured(command: list[str], env: dict) -> dict:
    """Run ``command`` from the project root; wall time and peak memory of its process tree."""
    wrapper = (
        "import resource, runpy, sys\n"
        "sys.argv = sys.argv[1:]\n"
        "try:\n"
        "    if sys.argv[0] == '-m':\n"
        "        sys.argv = sys.argv[1:]\n"
        "        runpy.run_module(sys.argv[0], run_name='__main__', alter_sys=True)\n"
        "    else:\n"
        "        runpy.run_path(sys.argv[0], run_name='__main__')\n"
        "finally:\n"
        "    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
        "    print(f'\\nRUSAGE {own} {kids}', file=sys.stderr)\n"
    )
    sampler = _TreeSampler()
    started = time.perf_counter()
    process = subprocess.Popen(
        [command[0], "-c", wrapper, *command[1:]],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    sampler.start(process.pid)
    stdout, stderr = process.communicate()
    seconds = time.perf_counter() - started
    sampler.stop()
    own = kids = 0
    if match := re.search(r"RUSAGE (\d+) (\d+)", stderr):
        own, kids = int(match.group(1)) // 1024, int(match.group(2)) // 1024
    return {
        "seconds": seconds,
        "returncode": process.returncode,
        "stdout": stdout,
        "stderr": stderr,
        "peak_tree_mb": sampler.peak_kb // 1024,
        "peak_own_mb": own,
        "peak_child_mb": kids,
    }


class _TreeSampler:
    """Largest sum of VmRSS over a process and its descendants, sampled every 50 ms."""

    def __init__(self):
        self.peak_kb = 0
        self._stop = threading.Event()
        self._thread = None

    def start(self, pid: int) -> None:
        self._thread = threading.Thread(target=self._run, args=(pid,), daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self, root: int) -> None:
        while not self._stop.wait(0.05):
            self.peak_kb = max(self.peak_kb, sum(_rss_kb(pid) for pid in _tree(root)))


def _tree(root: int) -> list[int]:
    """``root`` and its descendants (Linux /proc).

    Read from each process's ``task/*/children`` (a few small files), not from every
    process on the machine: the sampler shares the CPUs with the import it measures.
    """
    found, stack = [], [root]
    while stack:
        pid = stack.pop()
        found.append(pid)
        try:
            tasks = list(Path(f"/proc/{pid}/task").iterdir())
        except OSError:
            continue
        for task in tasks:
            try:
                stack.extend(int(child) for child in (task / "children").read_text().split())
            except FileNotFoundError:
                if task.exists():  # a kernel without CONFIG_PROC_CHILDREN
                    return _tree_by_scan(root)
            except OSError:
                pass
    return found


def _tree_by_scan(root: int) -> list[int]:
    """``_tree`` by reading every process's parent (slower: every process on the machine)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
    found, stack = [], [root]
    while stack:
        pid = stack.pop()
        found.append(pid)
        stack.extend(children.get(pid, ()))
    return found


def _rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


# --- the database --------------------------------------------------------------------------


def _recreate_database(url: str, name: str) -> str:
    """Drop and create ``name`` on the server of ``url``; its URL. Refuses ``url``'s own."""
    import psycopg

    parts = urlsplit(url)
    if parts.path.lstrip("/") == name:
        raise RuntimeError(f"DATABASE_URL names {name}; point it at another database")
    server = _conninfo(urlunsplit(parts._replace(path="/postgres")))
    with psycopg.connect(server, autocommit=True) as db:
        db.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        db.execute(f'CREATE DATABASE "{name}"')
    return urlunsplit(parts._replace(path=f"/{name}"))


def _empty_policy_table(url: str) -> None:
    import psycopg

    with psycopg.connect(_conninfo(url), autocommit=True) as db:
        db.execute("TRUNCATE policies_policy CASCADE")
        db.execute("VACUUM ANALYZE policies_policy")
        # Each run starts without the previous run's dirty pages (needs a superuser).
        with contextlib.suppress(psycopg.Error):
            db.execute("CHECKPOINT")


def _conninfo(url: str) -> str:
    return url.replace("postgres://", "postgresql://", 1).replace("pgsql://", "postgresql://", 1)


def _manage(env: dict, *args: str) -> None:
    subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )


# --- the report ----------------------------------------------------------------------------


def _report(results, million, rows) -> str:
    ours = results[0][2]
    baseline = next(r for who, _n, r in results if who == "import-export")
    ours_rate = rows / ours["seconds"]
    baseline_rate = BASELINE_ROWS / baseline["seconds"]
    lines = [
        "",
        f"{'import':<16}{'rows':>10}{'wall s':>9}{'rows/s':>10}{'in-job s':>10}"
        f"{'peak MB':>9}{'own/child MB':>14}",
    ]
    for who, n, result in results:
        lines.append(
            f"{who:<16}{n:>10,}{result['seconds']:>9.2f}{n / result['seconds']:>10,.0f}"
            f"{result['duration_ms'] / 1000:>10.2f}{result['peak_tree_mb']:>9}"
            f"{result['peak_own_mb']:>7}/{result['peak_child_mb']}"
        )
    ratio = ours_rate / baseline_rate
    lines += [
        "",
        f"ours, {rows:,} rows end to end: {ours_rate:,.0f} rows/s "
        f"(target >= {TARGET_ROWS_PER_S:,}: {_met(ours_rate >= TARGET_ROWS_PER_S)})",
        f"ours / django-import-export default import: {ratio:.1f}x "
        f"(target >= {TARGET_RATIO}x: {_met(ratio >= TARGET_RATIO)})",
    ]
    if million is None:
        lines.append("1,000,000-row peak memory: not measured; run with BENCH_1M=1 (takes minutes)")
    else:
        peak = million["peak_tree_mb"]
        lines.append(
            f"1,000,000 rows: peak memory {peak} MB for the import and its sheet reader "
            f"(target < {TARGET_PEAK_MB} MB: {_met(peak < TARGET_PEAK_MB)}), "
            f"{million['seconds']:.0f}s"
        )
    return "\n".join(lines)


def _met(ok: bool) -> str:
    return "met" if ok else "NOT met"


if __name__ == "__main__":
    if sys.argv[1:2] == ["baseline"]:
        _baseline_in_this_process(sys.argv[2])
    else:
        sys.path.insert(0, str(ROOT))
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "giftplatform.settings")
        import django

        django.setup()
        print(main())
