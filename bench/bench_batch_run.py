"""Batch run over 100,000 policies with 10 active rules, on PostgreSQL: ours against a naive
per-policy ORM loop, then every invariant checked.

Ours is ``batch_run_execute`` of rule R01 over the 100,000 policies of one branch subtree
(chunks of 1,000: set-based, see distribution/batch.py), timed end to end. The baseline is
what one would write first: for each policy, load its facts and quota snapshot, evaluate
the 10 rules, and if R01 matches call ``distribution_create`` with the engine's choices;
timed on 2,000 policies of another branch (same rules, gifts and pools) and its rate
extrapolated. Both run in the same process against the same data, baseline first.

Data: 102,000 policies written with COPY; 10 active rules with conditions over product,
premium, seats, new car, renewal, channel, plate, vehicle age and issue date; rewards
physical and voucher, fixed and choose-one; a higher-priority exclusive rule; a monthly
unit pool that runs out during the run, a value pool, and per-policy premium-ratio and
gift-amount quotas. Everything runs in a database of its own, dropped and created on
the server DATABASE_URL names:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres make bench BENCH_ARGS=batch_run
    BENCH_BATCH_POLICIES=20000 ...     # fewer policies (quicker)
    BENCH_BATCH_BASELINE=500 ...       # a smaller sample for the naive loop (it takes minutes)
"""

import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
BENCH_DATABASE = "giftplatform_bench_batch_run"
BASELINE_POLICIES = int(os.environ.get("BENCH_BATCH_BASELINE", "2000"))
TARGET_RATE = 2_000
CHUNK_SIZE = 1_000


def main() -> str | None:
    url = os.environ.get("DATABASE_URL", "")
    if urlsplit(url).scheme not in ("postgres", "postgresql", "pgsql"):
        print(
            "skipped bench_batch_run: it measures the PostgreSQL path (row locks, bulk writes); "
            "run it with DATABASE_URL=postgres://USER@HOST:PORT/ANY_DATABASE"
        )
        return None
    from bench.bench_policy_import import _recreate_database

    bench_url = _recreate_database(url, BENCH_DATABASE)
    env = {
        **os.environ,
        "DATABASE_URL": bench_url,
        "DJANGO_SETTINGS_MODULE": "giftplatform.settings",
    }
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--verbosity", "0"], cwd=ROOT, env=env, check=True
    )
    print(f"database {BENCH_DATABASE} created and migrated", flush=True)
    # A fresh process, connected to the bench database from the start.
    done = subprocess.run(
        [sys.executable, "-m", "bench.bench_batch_run", "inner"], cwd=ROOT, env=env, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"the batch run bench failed (exit {done.returncode})")
    return None


# --- inside the bench database -------------------------------------------------------------


def _inner() -> None:
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from bench.batch_data import build

    policies = int(os.environ.get("BENCH_BATCH_POLICIES", "100000"))
    started = time.perf_counter()
    data = build(policies=policies, baseline=BASELINE_POLICIES)
    print(
        f"data ready in {time.perf_counter() - started:.1f}s: {policies:,} + "
        f"{BASELINE_POLICIES:,} policies, 10 active rules",
        flush=True,
    )
    naive_s, naive_given = _naive(data)
    ours_s, run = _ours(data)
    lines = _invariants()
    naive_rate = BASELINE_POLICIES / naive_s
    ours_rate = run.processed / ours_s
    ratio = ours_rate / naive_rate
    print()
    print(f"{'way':<34}{'policies':>10}{'handed out':>12}{'seconds':>10}{'policies/s':>12}")
    print(
        f"{'naive loop (evaluate + create)':<34}{BASELINE_POLICIES:>10,}{naive_given:>12,}"
        f"{naive_s:>10.2f}{naive_rate:>12,.0f}"
    )
    print(
        f"{'batch_run_execute':<34}{run.processed:>10,}{run.distributed:>12,}"
        f"{ours_s:>10.2f}{ours_rate:>12,.0f}"
    )
    print()
    met = "met" if ours_rate >= TARGET_RATE else "NOT met"
    print(
        f"batch run, {run.processed:,} policies: {ours_rate:,.0f} policies/s (target >= "
        f"{TARGET_RATE:,}: {met})"
    )
    print(f"batch run / naive per-policy loop: {ratio:.1f}x")
    refused = sorted(run.report.get("refusals", {}).items(), key=lambda kv: -kv[1])[:5]
    print("top refusal reasons: " + "; ".join(f"{n:,} × {reason}" for reason, n in refused))
    print("invariants after the run:")
    for line in lines:
        print(f"  {line}")
    if any("VIOLATED" in line for line in lines):
        sys.exit(2)


def _naive(data) -> tuple[float, int]:
    from django.utils import timezone

    from distribution import engine, loaders, rulebook
    from distribution.services import DistributionRefused, distribution_create
    from policies.models import Policy

    rule = data["rule"]
    given = 0
    started = time.perf_counter()
    for policy in Policy.objects.filter(branch=data["baseline_branch"]).select_related("branch"):
        now = timezone.localtime()
        specs = rulebook.live_rule_specs(now)
        facts = loaders.policy_facts(policy)
        snapshot = loaders.quotas_for_policy(policy.pk, now)
        offer = engine.evaluate(facts, specs, snapshot, now)
        verdict = next(v for v in offer.verdicts if v.rule_id == rule.pk)
        if not verdict.matched:
            continue
        try:
            distribution_create(
                actor=None,
                policy=policy,
                rule=rule,
                choices=dict(verdict.choices),
                idempotency_key=f"naive:{policy.pk}",
                now=now,
            )
            given += 1
        except DistributionRefused:
            pass
    return time.perf_counter() - started, given


def _ours(data):
    from django.contrib.auth import get_user_model

    from distribution.batch import batch_run_execute, batch_run_prepare
    from distribution.services import batch_run_approve

    # Four eyes: a real run is made by one person and approved by another.
    users = get_user_model().objects
    maker = users.get_or_create(username="bench_maker")[0]
    checker = users.get_or_create(username="bench_checker", defaults={"is_superuser": True})[0]
    run = batch_run_prepare(actor=maker, rule=data["rule"], branch=data["branch"])
    run = batch_run_approve(actor=checker, run=run)
    last = [time.perf_counter()]

    def progress(r):
        if r.processed % 20_000 < CHUNK_SIZE:
            now = time.perf_counter()
            print(f"  {r.processed:>7,}/{r.total:,} ({r.progress_percent}%)", flush=True)
            last[0] = now

    started = time.perf_counter()
    run = batch_run_execute(actor=None, run=run, chunk_size=CHUNK_SIZE, progress=progress)
    seconds = time.perf_counter() - started
    if run.status != "completed":
        raise RuntimeError(f"the run ended {run.status}: {run.error}")
    return seconds, run


def _invariants() -> list[str]:
    from django.db import connection

    checks = [
        (
            "sum of stock movements == stock, per gift",
            """SELECT count(*) FROM gifts_gift g WHERE g.kind = 'physical' AND g.stock <>
               (SELECT coalesce(sum(m.quantity), 0) FROM gifts_stockmovement m
                WHERE m.gift_id = g.id)""",
        ),
        ("no stock below zero", "SELECT count(*) FROM gifts_gift WHERE stock < 0"),
        (
            "each voucher code on at most one live item",
            """SELECT count(*) FROM (SELECT voucher_id FROM distribution_distributionitem
               WHERE voucher_id IS NOT NULL AND status <> 'cancelled'
               GROUP BY voucher_id HAVING count(*) > 1) x""",
        ),
        (
            "issued codes == items holding a code",
            """SELECT abs((SELECT count(*) FROM gifts_vouchercode WHERE status = 'issued') -
               (SELECT count(*) FROM distribution_distributionitem
                WHERE voucher_id IS NOT NULL))""",
        ),
        (
            "no policy above max per policy",
            """SELECT count(*) FROM (SELECT policy_id, rule_code, max(slot_limit) AS lim
               FROM distribution_distribution
               WHERE status IN ('pending_approval', 'approved', 'fulfilling', 'completed')
               GROUP BY policy_id, rule_code HAVING count(*) > max(slot_limit)) x""",
        ),
        (
            "pools never above their limit",
            """SELECT count(*) FROM distribution_quotausage u
               JOIN distribution_quota q ON q.id = u.quota_id WHERE u.used > q.limit""",
        ),
        (
            "pool use == sum of its charges",
            """SELECT count(*) FROM distribution_quotausage u WHERE u.used <>
               (SELECT coalesce(sum(c.amount), 0) FROM distribution_quotacharge c
                WHERE c.quota_id = u.quota_id AND c.period_start = u.period_start
                AND NOT c.returned)""",
        ),
        (
            "per-policy quotas never exceeded (gift amount <= limit)",
            """SELECT count(*) FROM (SELECT d.policy_id, c.quota_id, sum(c.amount) AS s
               FROM distribution_quotacharge c
               JOIN distribution_distribution d ON d.id = c.distribution_id
               JOIN distribution_quota q ON q.id = c.quota_id
               WHERE q.period = 'policy' AND q.basis <> 'premium_ratio'
               GROUP BY d.policy_id, c.quota_id, q.limit HAVING sum(c.amount) > q.limit) x""",
        ),
        (
            "premium-ratio quotas never exceeded",
            """SELECT count(*) FROM (SELECT d.policy_id FROM distribution_quotacharge c
               JOIN distribution_distribution d ON d.id = c.distribution_id
               JOIN distribution_quota q ON q.id = c.quota_id
               JOIN policies_policy p ON p.id = d.policy_id
               WHERE q.basis = 'premium_ratio'
               GROUP BY d.policy_id, c.quota_id, q.limit, p.premium
               HAVING sum(c.amount) > round(p.premium * q.limit / 100, 2)) x""",
        ),
    ]
    lines = []
    with connection.cursor() as cursor:
        for label, sql in checks:
            cursor.execute(sql)
            bad = cursor.fetchone()[0]
            lines.append(f"{label}: {'ok' if not bad else f'VIOLATED ({bad})'}")
        cursor.execute(
            "SELECT q.code, u.used, q.limit FROM distribution_quotausage u "
            "JOIN distribution_quota q ON q.id = u.quota_id ORDER BY q.code"
        )
        for code, used, limit in cursor.fetchall():
            lines.append(f"pool {code}: used {used} of {limit}")
    return lines


if __name__ == "__main__":
    if sys.argv[1:2] == ["inner"]:
        _inner()
    else:
        sys.path.insert(0, str(ROOT))
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "giftplatform.settings")
        import django

        django.setup()
        print(main())
