"""Batch runs: dry run, real run, quotas, stock, codes, stop and resume, failures."""

from decimal import Decimal

import pytest
from django.db.models import Count, Q, Sum

from distribution import batch, batch_write
from distribution.batch import batch_run_execute, batch_run_prepare, batch_run_stop
from distribution.models import (
    LIVE_STATUSES,
    BatchStatus,
    Distribution,
    DistributionItem,
    DistributionStatus,
    ItemStatus,
    QuotaCharge,
    QuotaUsage,
    RuleStatus,
)
from distribution.services import distribution_create
from gifts.models import Gift, StockMovement, VoucherCode, VoucherStatus
from tests.distribution.batch_support import approved_run
from tests.distribution.conftest import make_quota, make_rule, stocked_gift, voucher_gift
from tests.distribution.totals_check import assert_totals_match
from tests.factories import PolicyFactory


def policies(branch, n, **fields):
    return [PolicyFactory(branch=branch, **fields) for _ in range(n)]


def run_rule(rule, actor=None, dry_run=False, chunk_size=3, **selection):
    if dry_run:
        run = batch_run_prepare(actor=actor, rule=rule, dry_run=True, **selection)
    else:
        run = approved_run(rule, maker=actor, **selection)
    return batch_run_execute(actor=actor, run=run, chunk_size=chunk_size)


def assert_invariants():
    """Invariants 1-4 over everything in the database."""
    for gift in Gift.objects.filter(kind="physical"):
        ledger = StockMovement.objects.filter(gift=gift).aggregate(s=Sum("quantity"))["s"] or 0
        assert ledger == gift.stock >= 0, gift.code
    live_codes = (
        DistributionItem.objects.filter(voucher__isnull=False)
        .exclude(status=ItemStatus.CANCELLED)
        .values("voucher")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
    )
    assert not live_codes.exists()
    issued = VoucherCode.objects.filter(status=VoucherStatus.ISSUED).count()
    assert issued == DistributionItem.objects.filter(voucher__isnull=False).count()
    over = (
        Distribution.objects.live()
        .values("policy", "rule_code", "slot_limit")
        .annotate(n=Count("id"))
        .filter(n__gt=models_f("slot_limit"))
    )
    assert not over.exists()
    for usage in QuotaUsage.objects.select_related("quota"):
        assert usage.used <= usage.quota.limit
        charged = QuotaCharge.objects.filter(
            quota=usage.quota, period_start=usage.period_start, returned=False
        ).aggregate(s=Sum("amount"))["s"] or Decimal(0)
        assert charged == usage.used
    assert_totals_match()


def models_f(name):
    from django.db.models import F

    return F(name)


def snapshot_counts():
    return (
        Distribution.objects.count(),
        DistributionItem.objects.count(),
        QuotaCharge.objects.count(),
        StockMovement.objects.count(),
        VoucherCode.objects.filter(status=VoucherStatus.ISSUED).count(),
        QuotaUsage.objects.filter(used__gt=0).count(),
        tuple(Gift.objects.order_by("pk").values_list("stock", flat=True)),
    )


# --- dry run and real run ------------------------------------------------------------------


def test_dry_run_writes_nothing_and_reports_what_would_go_out(futian):
    gift = stocked_gift(100)
    rule = make_rule("R1", [(gift, 2, "")], conditions=[(1, "premium", "gte", "3000.00")])
    policies(futian, 4, premium=Decimal("3200.00"))
    policies(futian, 3, premium=Decimal("1000.00"))
    before = snapshot_counts()

    run = run_rule(rule, dry_run=True)

    assert snapshot_counts() == before
    assert run.status == BatchStatus.COMPLETED and run.dry_run
    assert (run.total, run.processed, run.distributed, run.refused) == (7, 7, 4, 3)
    report = run.report
    assert report["gifts"][gift.code]["units"] == 8
    assert report["gifts"][gift.code]["value"] == "800.00"
    assert report["stock"] == {gift.code: 8}
    assert report["total_value"] == "800.00"
    assert sum(report["refusals"].values()) == 3
    assert len(report["refusals"]) == 1  # one reason, counted per refused policy


def test_real_run_gives_each_eligible_policy_its_due_and_matches_the_dry_run(futian):
    gift = stocked_gift(100)
    rule = make_rule("R1", [(gift, 2, "")], conditions=[(1, "premium", "gte", "3000.00")])
    rich = policies(futian, 5, premium=Decimal("3200.00"))
    policies(futian, 2, premium=Decimal("1000.00"))
    dry = run_rule(rule, dry_run=True)

    run = run_rule(rule)

    assert run.status == BatchStatus.COMPLETED
    assert {d.policy_id for d in Distribution.objects.all()} == {p.pk for p in rich}
    for d in Distribution.objects.all():
        assert d.batch_run_id == run.pk and d.slot == 1
        assert d.status == DistributionStatus.FULFILLING
        assert d.idempotency_key == f"batch:{run.pk}:{d.policy_id}:R1"
        assert d.items.get().quantity == 2
        assert d.history.count() == 1
    gift.refresh_from_db()
    assert gift.stock == 90
    movements = list(StockMovement.objects.filter(reason="distribution").order_by("pk"))
    assert [m.stock_after for m in movements] == [98, 96, 94, 92, 90]
    assert {m.reference for m in movements} == set(
        Distribution.objects.values_list("number", flat=True)
    )
    without = {k: v for k, v in run.report.items() if k != "selection"}
    assert without == {k: v for k, v in dry.report.items() if k != "selection"}
    assert_invariants()


def test_selection_branch_subtree_dates_status_and_rule_scope(shenzhen, futian, nanshan):
    gift = stocked_gift(100)
    rule = make_rule("R1", [(gift, 1, "")], issued_to="2026-12-31")
    rule.target_branches.set([futian])
    ok = policies(futian, 2)
    policies(nanshan, 2)  # outside the rule's branches
    policies(futian, 1, status="cancelled")
    policies(futian, 1, issue_date="2027-01-05", start_date="2027-01-05", end_date="2028-01-04")

    run = run_rule(rule, branch=shenzhen)

    assert run.total == 2
    assert set(Distribution.objects.values_list("policy_id", flat=True)) == {p.pk for p in ok}


def test_a_second_run_gives_nothing_more_beyond_max_per_policy(futian):
    gift = stocked_gift(100)
    rule = make_rule("R1", [(gift, 1, "")], max_per_policy=1)
    policies(futian, 4)
    run_rule(rule)
    second = run_rule(rule)

    assert Distribution.objects.count() == 4
    assert second.distributed == 0 and second.refused == 4
    assert_invariants()


def test_max_per_policy_counts_earlier_counter_hand_outs(futian, clerk_futian):
    gift = stocked_gift(100)
    rule = make_rule("R1", [(gift, 1, "")], max_per_policy=2)
    first, *others = policies(futian, 3)
    distribution_create(actor=clerk_futian, policy=first, rule=rule, idempotency_key="c1")
    distribution_create(actor=clerk_futian, policy=others[0], rule=rule, idempotency_key="c2")

    run = run_rule(rule)

    assert run.distributed == 3
    slots = dict(Distribution.objects.filter(batch_run=run).values_list("policy_id", "slot"))
    assert slots == {first.pk: 2, others[0].pk: 2, others[1].pk: 1}
    run_rule(rule)
    assert Distribution.objects.filter(policy=first).count() == 2
    assert_invariants()


# --- budgets -------------------------------------------------------------------------------


def test_pool_quota_gives_exactly_as_many_as_the_pool_allows(futian):
    gift = stocked_gift(100)
    rule = make_rule("R1", [(gift, 1, "")])
    quota = make_quota("POOL", "voucher_count", "all", 7)
    policies(futian, 12)

    run = run_rule(rule, chunk_size=5)

    assert run.distributed == 7 and run.refused == 5
    assert QuotaUsage.objects.get(quota=quota).used == 7
    assert run.report["quotas"]["POOL"]["amount"] == "7"
    assert_invariants()


def test_pool_amount_and_per_policy_quotas(futian):
    gift = stocked_gift(100)  # face value 100
    rule = make_rule("R1", [(gift, 1, "")])
    make_quota("AMT", "gift_amount", "month", "450")
    make_quota("RATIO", "premium_ratio", "policy", "3")  # 3% of 3200 = 96 < 100
    policies(futian, 3, premium=Decimal("3200.00"))
    policies(futian, 6, premium=Decimal("5000.00"))  # 3% = 150

    run = run_rule(rule)

    assert run.distributed == 4  # 450 // 100, only among the 5000 premiums
    assert Distribution.objects.filter(policy__premium=Decimal("3200.00")).count() == 0
    assert_invariants()


def test_stock_and_voucher_codes_are_never_overdrawn(futian):
    box = stocked_gift(4)
    wash = voucher_gift(codes=3)
    rule_box = make_rule("BOX", [(box, 1, "")])
    rule_wash = make_rule("WASH", [(wash, 1, "")])
    policies(futian, 6)

    run_box = run_rule(rule_box)
    run_wash = run_rule(rule_wash)

    assert (run_box.distributed, run_wash.distributed) == (4, 3)
    box.refresh_from_db()
    assert box.stock == 0
    assert VoucherCode.objects.filter(gift=wash, status=VoucherStatus.ISSUED).count() == 3
    assert run_wash.report["codes"] == {wash.code: 3}
    assert all(
        d.status == DistributionStatus.COMPLETED
        for d in Distribution.objects.filter(rule_code="WASH")
    )
    assert_invariants()


def test_option_group_gets_the_first_allowed_option_in_reward_order(futian):
    empty = stocked_gift(0)
    second = stocked_gift(2)
    third = stocked_gift(100)
    rule = make_rule("R1", [(empty, 1, "A"), (second, 1, "A"), (third, 1, "A")])
    policies(futian, 4)

    run_rule(rule)

    gifts = list(
        DistributionItem.objects.order_by("distribution__policy_id").values_list(
            "gift_id", flat=True
        )
    )
    assert gifts == [second.pk, second.pk, third.pk, third.pk]
    assert_invariants()


def test_above_the_approval_threshold_waits_with_items_reserved(futian):
    gift = stocked_gift(10)
    rule = make_rule("R1", [(gift, 2, "")], approval_threshold=Decimal("150"))
    policies(futian, 2)

    run = run_rule(rule)

    assert run.report["pending_approval"] == 2
    for d in Distribution.objects.all():
        assert d.status == DistributionStatus.PENDING_APPROVAL
        assert d.items.get().status == ItemStatus.RESERVED
    gift.refresh_from_db()
    assert gift.stock == 6
    assert_invariants()


def test_an_exclusive_rule_of_higher_priority_blocks_the_batch_rule(futian):
    gift = stocked_gift(100)
    make_rule(
        "TOP",
        [(gift, 1, "")],
        conditions=[(1, "premium", "gte", "5000.00")],
        exclusive=True,
        priority=200,
    )
    rule = make_rule("LOW", [(gift, 1, "")], priority=100)
    policies(futian, 2, premium=Decimal("6000.00"))
    policies(futian, 3, premium=Decimal("3000.00"))

    run = run_rule(rule)

    assert run.distributed == 3 and run.refused == 2
    assert any("TOP" in r or "规则TOP" in r for r in run.report["refusals"])


def test_casual_income_rule_withholds_tax(futian):
    gift = stocked_gift(10)
    rule = make_rule("R1", [(gift, 1, "")], tax_treatment="casual")
    policies(futian, 1)
    run_rule(rule)
    assert Distribution.objects.get().withholding == Decimal("20.00")


# --- stop, resume, failures ----------------------------------------------------------------


def test_stop_after_two_chunks_then_resume_gives_nothing_twice(futian):
    gift = stocked_gift(100)
    wash = voucher_gift(codes=50)
    rule = make_rule("R1", [(gift, 1, ""), (wash, 1, "")])
    make_quota("POOL", "voucher_count", "all", 7, scope_gift=gift)
    policies(futian, 11)
    reference = run_rule(rule, dry_run=True, chunk_size=100)
    run = approved_run(rule)
    chunks = []

    def stop_after_two(r):
        chunks.append(r.processed)
        if len(chunks) == 2:
            batch_run_stop(actor=None, run=r)

    run = batch_run_execute(actor=None, run=run, chunk_size=2, progress=stop_after_two)

    assert run.status == BatchStatus.STOPPED
    assert (run.processed, Distribution.objects.count()) == (4, 4)
    assert run.last_policy_id == Distribution.objects.order_by("-policy_id")[0].policy_id

    run = batch_run_execute(actor=None, run=run, chunk_size=2)

    assert run.status == BatchStatus.COMPLETED
    assert Distribution.objects.count() == 7 == run.distributed  # the pool allows 7
    assert Distribution.objects.values("policy").distinct().count() == 7
    strip = lambda report: {k: v for k, v in report.items() if k != "selection"}  # noqa: E731
    assert strip(run.report) == strip(reference.report)
    assert_invariants()


def test_a_failure_in_the_second_chunk_leaves_nothing_of_it(futian, monkeypatch):
    gift = stocked_gift(100)
    wash = voucher_gift(codes=20)
    rule = make_rule("R1", [(gift, 1, ""), (wash, 1, "")])
    make_quota("POOL", "gift_amount", "all", 100000)
    ps = policies(futian, 7)
    calls = []
    real_write = batch.write_chunk

    def failing(**kwargs):
        calls.append(1)
        real_write(**kwargs)  # write everything, then fail: the rollback must undo it
        if len(calls) == 2:
            raise RuntimeError("disk on fire")

    monkeypatch.setattr(batch, "write_chunk", failing)
    run = approved_run(rule)
    with pytest.raises(RuntimeError, match="disk on fire"):
        batch_run_execute(actor=None, run=run, chunk_size=3)

    run.refresh_from_db()
    assert run.status == BatchStatus.FAILED and "disk on fire" in run.error
    assert run.last_policy_id == ps[2].pk and run.processed == 3
    assert Distribution.objects.count() == 3
    gift.refresh_from_db()
    assert gift.stock == 97
    assert VoucherCode.objects.filter(status=VoucherStatus.ISSUED).count() == 3
    assert QuotaUsage.objects.get().used == Decimal("600")
    assert run.report["distributed"] == 3
    assert_invariants()

    monkeypatch.setattr(batch, "write_chunk", real_write)
    run = batch_run_execute(actor=None, run=run, chunk_size=3)
    assert run.status == BatchStatus.COMPLETED and run.distributed == 7
    assert Distribution.objects.count() == 7
    assert_invariants()


def test_a_constraint_violation_redoes_the_chunk_policy_by_policy(futian, monkeypatch):
    gift = stocked_gift(100)
    rule = make_rule("R1", [(gift, 1, "")])
    policies(futian, 5)
    monkeypatch.setattr(batch_write, "batch_number", lambda now, run_id, policy_id: "SAME")

    run = run_rule(rule, chunk_size=10)

    assert run.status == BatchStatus.COMPLETED and run.distributed == 5
    assert Distribution.objects.count() == 5
    assert Distribution.objects.filter(number="SAME").count() == 0  # distribution_create's
    assert all(d.idempotency_key.startswith(f"batch:{run.pk}:") for d in Distribution.objects.all())
    assert run.report["stock"] == {gift.code: 5}
    assert_invariants()


def test_a_paused_rule_stops_the_run_and_it_resumes_once_active(futian):
    gift = stocked_gift(100)
    rule = make_rule("R1", [(gift, 1, "")])
    policies(futian, 6)
    run = approved_run(rule)

    def pause(r):
        type(rule).objects.filter(pk=rule.pk).update(status=RuleStatus.PAUSED)

    run = batch_run_execute(actor=None, run=run, chunk_size=2, progress=pause)
    assert run.status == BatchStatus.STOPPED and run.processed == 2 and run.error
    type(rule).objects.filter(pk=rule.pk).update(status=RuleStatus.ACTIVE)
    run = batch_run_execute(actor=None, run=run, chunk_size=2)
    assert run.status == BatchStatus.COMPLETED and Distribution.objects.count() == 6


def test_prepare_refuses_a_rule_that_is_not_active(futian):
    from django.core.exceptions import ValidationError

    rule = make_rule("R1", [(stocked_gift(1), 1, "")], status=RuleStatus.DRAFT)
    with pytest.raises(ValidationError):
        batch_run_prepare(actor=None, rule=rule, dry_run=True)


def test_policies_added_after_prepare_are_not_in_the_run(futian):
    gift = stocked_gift(100)
    rule = make_rule("R1", [(gift, 1, "")])
    policies(futian, 2)
    run = approved_run(rule)
    policies(futian, 2)
    run = batch_run_execute(actor=None, run=run)
    assert run.processed == 2 == run.total


def test_live_statuses_only_count_toward_max_per_policy(futian, clerk_futian):
    from distribution.services import distribution_cancel

    gift = stocked_gift(100)
    rule = make_rule("R1", [(gift, 1, "")])
    (p,) = policies(futian, 1)
    d = distribution_create(actor=clerk_futian, policy=p, rule=rule, idempotency_key="c1")
    distribution_cancel(actor=clerk_futian, distribution=d, reason="客户放弃")

    run = run_rule(rule)

    assert run.distributed == 1
    assert Distribution.objects.filter(policy=p, status__in=LIVE_STATUSES).count() == 1
    assert Distribution.objects.filter(Q(policy=p) & Q(batch_run=run)).get().slot == 1
    assert_invariants()


def test_report_keeps_reasons_exact_then_by_shape_past_the_cap():
    from distribution.batch_report import MAX_REASONS, ChunkReport
    from distribution.specs import RuleSpec

    rule = RuleSpec(1, "R", "R", 1, False, 1, True, None, None, None, None, (), (), (), None, "")
    report = ChunkReport(rule, [], set())
    for n in range(MAX_REASONS + 50):
        report.add_refusal([f"premium ¥{n},000.00 is below ¥2,000.00"])
    merged = report.merge_into({})
    assert merged["refused"] == MAX_REASONS + 50
    assert len(merged["refusals"]) == MAX_REASONS + 1
    assert merged["refusals"]["premium ¥# is below ¥#"] == 50
