"""Workbench look-up plus offer for one policy among 1,000,000, on PostgreSQL: median and
p95 of GET /workbench/policy/<id>/ (the counter's page: the policy, its past hand-outs,
the 10 active rules evaluated with reasons, quota effects and option groups) against a
plain Django view that fetches one policy by primary key and renders its fields with a
template (target: ratio <= 3x), and against the floor under any page: the same fetch
answered with three fields in a bare HttpResponse (bench/workbench_urls.py).

Both go through Django's test Client (the whole middleware stack, a logged-in staff user
of the top branch, DEBUG off, no test-environment template instrumentation), interleaved,
on random policies, after a warm-up; the plain view checks login and scope as every view
of the platform must. The data
are bench_batch_run's (bench/batch_data.py: gifts with 110,000 voucher codes, 10 active
rules, 5 quotas) and 1,000,000 policies written with COPY, in a database of its own:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres make bench BENCH_ARGS=workbench
    BENCH_WORKBENCH_POLICIES=100000 BENCH_WORKBENCH_REQUESTS=200 ...   # quicker
"""

import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
BENCH_DATABASE = "giftplatform_bench_workbench"
TARGET_RATIO = 3


def main() -> str | None:
    url = os.environ.get("DATABASE_URL", "")
    if urlsplit(url).scheme not in ("postgres", "postgresql", "pgsql"):
        print("skipped bench_workbench_offer: run it with DATABASE_URL=postgres://...")
        return None
    from bench.bench_policy_import import _recreate_database

    bench_url = _recreate_database(url, BENCH_DATABASE)
    env = {
        **os.environ,
        "DATABASE_URL": bench_url,
        "DJANGO_SETTINGS_MODULE": "giftplatform.settings",
        "DEBUG": "false",
    }
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--verbosity", "0"], cwd=ROOT, env=env, check=True
    )
    print(f"database {BENCH_DATABASE} created and migrated", flush=True)
    done = subprocess.run(
        [sys.executable, "-m", "bench.bench_workbench_offer", "inner"], cwd=ROOT, env=env
    )
    if done.returncode != 0:
        raise RuntimeError(f"the workbench bench failed (exit {done.returncode})")
    return None


def _inner() -> None:
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.db import connection
    from django.test import Client
    from django.test.utils import override_settings

    from bench.batch_data import _branches, _gifts, copy_policies, rules_and_quotas

    n = int(os.environ.get("BENCH_WORKBENCH_POLICIES", "1000000"))
    requests = int(os.environ.get("BENCH_WORKBENCH_REQUESTS", "500"))
    started = time.perf_counter()
    root, branches = _branches("4403", 20)
    rules_and_quotas(_gifts())
    step = 200_000
    for start in range(0, n, step):
        copy_policies(min(step, n - start), [b.pk for b in branches], start=start)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE policies_policy")
        cursor.execute("SELECT min(id), max(id) FROM policies_policy")
        low, high = cursor.fetchone()
    print(f"{n:,} policies and 10 active rules ready in {time.perf_counter() - started:.0f}s")

    clerk = get_user_model().objects.create_user(
        "bench_clerk", password=None, is_staff=True, branch=root
    )
    clerk.groups.add(Group.objects.get(name="counter_staff"))  # the workbench's permissions
    # No setup_test_environment(): its instrumented template rendering copies every
    # context, which would weigh on the template-heavy page only.
    client = Client()
    client.force_login(clerk)
    rng = random.Random(7)
    ours, page, plain = [], [], []
    with override_settings(ROOT_URLCONF="bench.workbench_urls", ALLOWED_HOSTS=["testserver"]):
        for i in range(requests + 30):
            pk = rng.randint(low, high)
            for url, times in (
                (f"/workbench/policy/{pk}/", ours),
                (f"/bench/page/{pk}/", page),
                (f"/bench/plain/{pk}/", plain),
            ):
                t = time.perf_counter()
                response = client.get(url)
                elapsed = (time.perf_counter() - t) * 1000
                if response.status_code != 200:
                    raise RuntimeError(f"{url}: HTTP {response.status_code}")
                if i >= 30:  # warm-up first
                    times.append(elapsed)
    print(_report(ours, page, plain, n))


def _p95(times: list[float]) -> float:
    return statistics.quantiles(times, n=20)[-1]


def _report(ours, page, plain, n) -> str:
    rows = (
        ("/workbench/policy/<id>/ (offer)", ours),
        ("plain view: policy by pk, template", page),
        ("floor: policy by pk, bare response", plain),
    )
    lines = ["", f"{'page':<40}{'requests':>9}{'median ms':>11}{'p95 ms':>9}"]
    for label, times in rows:
        lines.append(
            f"{label:<40}{len(times):>9}{statistics.median(times):>11.2f}{_p95(times):>9.2f}"
        )
    lines.append("")
    for label, base, target in (("plain view", page, TARGET_RATIO), ("floor", plain, None)):
        ratio = statistics.median(ours) / statistics.median(base)
        ratio95 = _p95(ours) / _p95(base)
        verdict = ""
        if target is not None:
            verdict = f" (target median <= {target}x: {'met' if ratio <= target else 'NOT met'})"
        lines.append(
            f"look-up plus offer among {n:,} policies / {label}: median {ratio:.1f}x, "
            f"p95 {ratio95:.1f}x{verdict}"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    if sys.argv[1:2] == ["inner"]:
        _inner()
    else:
        sys.path.insert(0, str(ROOT))
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "giftplatform.settings")
        import django

        django.setup()
        print(main())
