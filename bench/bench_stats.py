"""Statistics over 5,000,000 gift lines (1,000,000 policies, 60 branches, 200 gifts, two
years) on PostgreSQL: each overview and grouped question as the pages ask it, against the
plain ORM aggregate of the same question, in the same run.

"Ours" is ``stats.selectors.grouped`` for an analyst of the top branch (scope by
``restrict``, branch roll-up, labels, totals, premium of the distinct policies where the
question asks for it). The baseline is the one ORM aggregate a developer would write for
the same grouping and period, with no scope, no labels and no total. Each is run 3 times
(``BENCH_STATS_REPEATS``) after a warm-up; medians are printed with their ratio.

The data is built once in a database of its own (about 10 minutes) and kept for the next
run; ``BENCH_STATS_REBUILD=1`` builds it anew:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres make bench BENCH_ARGS=bench_stats
    BENCH_STATS_POLICIES=100000 BENCH_STATS_REBUILD=1 ...   # a tenth of the data (quicker)
"""

import os
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
BENCH_DATABASE = "giftplatform_bench_stats"
REPEATS = int(os.environ.get("BENCH_STATS_REPEATS", "3"))
TARGET_MS = 500


def main() -> str | None:
    url = os.environ.get("DATABASE_URL", "")
    if urlsplit(url).scheme not in ("postgres", "postgresql", "pgsql"):
        print("skipped bench_stats: run it with DATABASE_URL=postgres://USER@HOST:PORT/ANY_DB")
        return None
    bench_url = _database(url)
    env = {
        **os.environ,
        "DATABASE_URL": bench_url,
        "DJANGO_SETTINGS_MODULE": "giftplatform.settings",
    }
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--verbosity", "0"], cwd=ROOT, env=env, check=True
    )
    done = subprocess.run(
        [sys.executable, "-m", "bench.bench_stats", "inner"], cwd=ROOT, env=env, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"the statistics bench failed (exit {done.returncode})")
    return None


def _database(url: str) -> str:
    """The bench database's URL; created (or dropped and created on request) first."""
    import psycopg

    from bench.bench_policy_import import _conninfo, _recreate_database

    parts = urlsplit(url)
    if os.environ.get("BENCH_STATS_REBUILD"):
        return _recreate_database(url, BENCH_DATABASE)
    with psycopg.connect(
        _conninfo(urlunsplit(parts._replace(path="/postgres"))), autocommit=True
    ) as db:
        if not db.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [BENCH_DATABASE]
        ).fetchone():
            db.execute(f'CREATE DATABASE "{BENCH_DATABASE}"')
    return urlunsplit(parts._replace(path=f"/{BENCH_DATABASE}"))


# --- inside the bench database -------------------------------------------------------------


def _data():
    from django.db import connection

    from bench.stats_data import build
    from giftplatform.models import Branch

    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM distribution_distributionitem")
        lines = cursor.fetchone()[0]
    if lines:
        print(f"reusing the data: {lines:,} gift lines (BENCH_STATS_REBUILD=1 builds it anew)")
        return Branch.objects.get(code="4403")
    policies = int(os.environ.get("BENCH_STATS_POLICIES", "1000000"))
    built = build(policies=policies)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    print(
        f"data built in {built['seconds']:.0f}s: {policies:,} policies, {built['lines']:,} "
        "gift lines, 60 branches, 200 gifts, 20 rules; "
        f"{built['totals']:,} daily totals rebuilt from them in {built['totals_seconds']:.0f}s"
    )
    return built["root"]


def _analyst(branch):
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    user, _ = get_user_model().objects.get_or_create(
        username="bench_analyst", defaults={"is_staff": True, "branch": branch}
    )
    user.groups.add(Group.objects.get(name="auditor"))
    return get_user_model().objects.get(pk=user.pk)


def _plain(dimensions: tuple, date_from: date, date_to: date, with_premium: bool):
    """The plain ORM aggregate of the same grouping: one query, no scope, no labels."""
    from django.db.models import Count, DecimalField, F, Sum
    from django.db.models.functions import Trunc

    from distribution.models import LIVE_STATUSES, DistributionItem
    from stats.dimensions import LOCAL
    from stats.sources import local_start

    money = DecimalField(max_digits=16, decimal_places=2)
    keys = {
        "branch": F("distribution__branch_id"),
        "rule": F("distribution__rule_code"),
        "category": F("category_id"),
        "provider": F("provider_id"),
        "agent": F("distribution__policy__agent_code"),
        "gift": F("gift_id"),
        "status": F("distribution__status"),
        "month": Trunc("distribution__created_at", "month", tzinfo=LOCAL),
        "day": Trunc("distribution__created_at", "day", tzinfo=LOCAL),
    }
    from datetime import timedelta

    measures = {
        "count": Count("distribution_id", distinct=True),
        "units": Sum("quantity"),
        "value": Sum(F("quantity") * F("unit_value"), output_field=money),
        "cost": Sum(F("quantity") * F("unit_cost"), output_field=money),
    }
    if with_premium:
        measures["policies"] = Count("distribution__policy_id", distinct=True)
    rows = (
        DistributionItem.objects.filter(
            distribution__status__in=list(LIVE_STATUSES),
            distribution__created_at__gte=local_start(date_from),
            distribution__created_at__lt=local_start(date_to + timedelta(days=1)),
        )
        .annotate(**{f"k{n}": keys[d] for n, d in enumerate(dimensions)})
        .values(*(f"k{n}" for n in range(len(dimensions))))
        .annotate(**measures)
        .order_by()
    )
    return list(rows)


QUESTIONS = (
    # (label, dimensions, measures, from, to)
    ("overview: last month, totals", (), ("count", "units", "value", "cost"), "month"),
    (
        "by branch, last month, cost/premium",
        ("branch",),
        ("count", "value", "cost", "premium", "cost_ratio"),
        "month",
    ),
    ("by rule, last month", ("rule",), ("count", "units", "value", "cost"), "month"),
    ("by provider, last quarter", ("provider",), ("count", "units", "value", "cost"), "quarter"),
    ("by day, last month (trend)", ("day",), ("count", "units", "value", "cost"), "month"),
    ("by month, two years (trend)", ("month",), ("count", "units", "value", "cost"), "all"),
    ("by category, two years", ("category",), ("count", "units", "value", "cost"), "all"),
    ("by agent, last quarter, policies", ("agent",), ("count", "policies"), "quarter"),
    ("branch x month, this year", ("branch", "month"), ("count", "value", "cost"), "year"),
    ("by gift, two years", ("gift",), ("count", "units", "value", "cost"), "all"),
    ("by category, last quarter, policies", ("category",), ("count", "policies"), "quarter"),
    ("by status, last month", ("status",), ("count", "units", "value", "cost"), "month"),
    ("gift x agent, last month", ("gift", "agent"), ("count", "value", "cost"), "month"),
)
RANGES = {
    "month": (date(2026, 10, 1), date(2026, 10, 31)),
    "quarter": (date(2026, 7, 1), date(2026, 9, 30)),
    "year": (date(2026, 1, 1), date(2026, 11, 26)),
    "all": (date(2024, 11, 27), date(2026, 11, 26)),
}


def _median_ms(call) -> float:
    call()  # warm-up
    times = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def _inner() -> None:
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from stats.selectors import StatsQuery, grouped

    root = _data()
    analyst = _analyst(root)
    print(f"{'question':<40}{'ours ms':>10}{'plain ms':>10}{'ratio':>8}  target < {TARGET_MS} ms")
    worst = 0.0
    for label, dimensions, measures, span in QUESTIONS:
        date_from, date_to = RANGES[span]
        query = StatsQuery(
            dimensions=dimensions, measures=measures, date_from=date_from, date_to=date_to
        )
        ours = _median_ms(lambda q=query: grouped(user=analyst, query=q))
        grouping = dimensions or ("month",)
        premium = "policies" in measures or "premium" in measures
        plain = _median_ms(lambda d=grouping, f=date_from, t=date_to, p=premium: _plain(d, f, t, p))
        worst = max(worst, ours)
        print(f"{label:<40}{ours:>10.0f}{plain:>10.0f}{ours / plain:>7.2f}x", flush=True)
    verdict = "met" if worst < TARGET_MS else "NOT met"
    print(f"slowest question: {worst:.0f} ms (target < {TARGET_MS} ms: {verdict})")
    _exports()


# --- export: 1,000,000 rows in bounded memory -----------------------------------------------


def _exports() -> None:
    """The distribution list's export (one row per gift line, masked, formula-safe) of
    100,000 and 1,000,000 rows, each in a fresh process so its peak RSS is its own; the
    floor is a process that reads the same 1,000,000 rows and writes nothing."""
    rows = int(os.environ.get("BENCH_STATS_EXPORT_ROWS", "1000000"))
    if not rows:
        return
    print(f"{'export':<40}{'rows':>10}{'seconds':>9}{'rows/s':>9}{'peak RSS MB':>13}")
    for label, count, write in (
        ("read only (floor)", rows, "0"),
        ("export .xlsx", rows // 10, "1"),
        ("export .xlsx", rows, "1"),
    ):
        done = subprocess.run(
            [sys.executable, "-m", "bench.bench_stats", "export", str(count), write],
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        )
        found, seconds, rss = done.stdout.split()[-3:]
        rate, megabytes = int(found) / float(seconds), int(rss) / 1024
        print(f"{label:<40}{int(found):>10,}{float(seconds):>9.1f}{rate:>9,.0f}{megabytes:>13.0f}")


def _export(count: int, write: bool) -> None:
    import resource
    import tempfile

    import django

    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "giftplatform.settings")
    django.setup()
    from django.contrib.auth import get_user_model

    from distribution.admin_distributions import EXPORT_COLUMNS
    from distribution.models import Distribution
    from giftplatform.sheets.export import column_header, export_rows, write_export

    user = get_user_model().objects.get(username="bench_analyst")
    # One row per gift line: two lines per hand-out, so half as many hand-outs.
    last = Distribution.objects.order_by("id").values_list("id", flat=True)[count // 2 - 1]
    queryset = Distribution.objects.filter(id__lte=last).order_by("id")
    headers = [column_header(Distribution, column) for column in EXPORT_COLUMNS]
    rows = export_rows(queryset, EXPORT_COLUMNS, user=user)
    started = time.perf_counter()
    if write:
        with tempfile.NamedTemporaryFile(suffix=".xlsx") as handle:
            found = write_export(
                handle.name, headers=headers, rows=rows, notes=["bench"], sheet_name="bench"
            )
    else:
        found = sum(1 for _ in rows)
    seconds = time.perf_counter() - started
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(found, f"{seconds:.3f}", peak_kb)


if __name__ == "__main__" and sys.argv[1:] == ["inner"]:
    _inner()
elif __name__ == "__main__" and sys.argv[1:2] == ["export"]:
    _export(int(sys.argv[2]), sys.argv[3] == "1")
