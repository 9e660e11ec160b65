"""Run every bench/bench_*.py module's ``main()`` in name order and print what it returns.

Usage: ``python bench/run.py [NAME ...]`` (or ``make bench BENCH_ARGS="NAME ..."``), where
a NAME selects the modules whose name contains it. Django is set up before the modules are
imported, so a benchmark can use the ORM at import time; it runs against the database that
``DATABASE_URL`` names (SQLite under var/ when unset). A benchmark that raises is reported
and the others still run; the exit status is 1 if any failed.
"""

import importlib
import os
import sys
import time
import traceback
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent


def discover(selected: list[str]) -> list[str]:
    names = sorted(path.stem for path in BENCH_DIR.glob("bench_*.py"))
    if selected:
        names = [name for name in names if any(part in name for part in selected)]
    return names


def main(argv: list[str]) -> int:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "giftplatform.settings")
    import django

    django.setup()

    names = discover(argv)
    if not names:
        print("no benchmarks: add bench/bench_<name>.py modules with a main() function")
        return 0

    failed = []
    for name in names:
        print(f"== {name}", flush=True)
        started = time.perf_counter()
        try:
            module = importlib.import_module(f"bench.{name}")
            result = module.main()
        except Exception:
            traceback.print_exc()
            failed.append(name)
            print(f"-- {name}: FAILED after {time.perf_counter() - started:.2f}s", flush=True)
            continue
        if result is not None:
            print(result)
        print(f"-- {name}: done in {time.perf_counter() - started:.2f}s", flush=True)

    print(f"benchmarks: {len(names) - len(failed)} ok, {len(failed)} failed")
    if failed:
        print("failed: " + ", ".join(failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
