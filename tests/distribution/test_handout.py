"""distribution_create and its siblings, against the real database: all or nothing."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Sum

from distribution.models import (
    Distribution,
    DistributionItem,
    DistributionStatus,
    ItemStatus,
    QuotaCharge,
    QuotaUsage,
    RuleStatus,
    TaxTreatment,
)
from distribution.services import (
    DistributionRefused,
    distribution_approve,
    distribution_cancel,
    distribution_create,
    distribution_reject,
)
from gifts.models import ContractService, GiftKind, StockMovement, VoucherCode, VoucherStatus
from tests.distribution.conftest import make_quota, make_rule, stocked_gift, voucher_gift
from tests.factories import GiftFactory, PolicyFactory


def ledger_matches(gift):
    gift.refresh_from_db()
    total = StockMovement.objects.filter(gift=gift).aggregate(s=Sum("quantity"))["s"] or 0
    return total == gift.stock


def test_hand_out_takes_stock_and_writes_the_records(policy, clerk_futian):
    gift = stocked_gift(10)
    rule = make_rule("R1", [(gift, 2, "")])

    d = distribution_create(actor=clerk_futian, policy=policy, rule=rule, idempotency_key="k1")

    assert d.status == DistributionStatus.FULFILLING
    assert d.branch == policy.branch and d.rule_code == "R1" and d.slot == 1
    assert d.total_value == Decimal("200.00") and d.total_cost == Decimal("120.00")
    item = d.items.get()
    assert (item.gift, item.quantity, item.status) == (gift, 2, ItemStatus.TO_SHIP)
    gift.refresh_from_db()
    assert gift.stock == 8 and ledger_matches(gift)
    movement = StockMovement.objects.get(gift=gift, reason="distribution")
    assert movement.reference == d.number and movement.actor == clerk_futian


def test_a_retry_with_the_same_key_returns_the_first_result(policy, clerk_futian):
    gift = stocked_gift(10)
    rule = make_rule("R1", [(gift, 1, "")], max_per_policy=5)

    first = distribution_create(actor=clerk_futian, policy=policy, rule=rule, idempotency_key="k")
    again = distribution_create(actor=clerk_futian, policy=policy, rule=rule, idempotency_key="k")

    assert again.pk == first.pk
    assert Distribution.objects.count() == 1
    gift.refresh_from_db()
    assert gift.stock == 9


def test_max_per_policy_refuses_the_next_one(policy, clerk_futian):
    rule = make_rule("R1", [(stocked_gift(10), 1, "")], max_per_policy=2)
    for key in ("a", "b"):
        distribution_create(actor=clerk_futian, policy=policy, rule=rule, idempotency_key=key)

    with pytest.raises(DistributionRefused):
        distribution_create(actor=clerk_futian, policy=policy, rule=rule, idempotency_key="c")
    assert sorted(Distribution.objects.values_list("slot", flat=True)) == [1, 2]


def test_a_cancelled_hand_out_frees_its_slot_and_returns_everything(policy, clerk_futian):
    gift = stocked_gift(5)
    rule = make_rule("R1", [(gift, 2, "")])
    pool = make_quota("P1", "gift_amount", "month", "1000")
    d = distribution_create(actor=clerk_futian, policy=policy, rule=rule, idempotency_key="a")
    assert QuotaUsage.objects.get(quota=pool).used == Decimal("200.00")

    distribution_cancel(actor=clerk_futian, distribution=d, reason="客户放弃")

    d.refresh_from_db()
    assert d.status == DistributionStatus.CANCELLED and d.cancelled_by == clerk_futian
    assert QuotaUsage.objects.get(quota=pool).used == 0
    assert all(c.returned for c in QuotaCharge.objects.filter(distribution=d))
    gift.refresh_from_db()
    assert gift.stock == 5 and ledger_matches(gift)
    assert StockMovement.objects.filter(reason="cancellation", reference=d.number).count() == 1
    again = distribution_create(actor=clerk_futian, policy=policy, rule=rule, idempotency_key="b")
    assert again.slot == 1


def test_cancel_needs_a_reason_and_a_live_distribution(policy, clerk_futian):
    rule = make_rule("R1", [(stocked_gift(5), 1, "")])
    d = distribution_create(actor=clerk_futian, policy=policy, rule=rule, idempotency_key="a")
    with pytest.raises(ValidationError):
        distribution_cancel(actor=clerk_futian, distribution=d, reason="  ")
    distribution_cancel(actor=clerk_futian, distribution=d, reason="录错")
    with pytest.raises(ValidationError):
        distribution_cancel(actor=clerk_futian, distribution=d, reason="again")


def test_distributions_are_never_deleted(policy, clerk_futian):
    from django.db.models import ProtectedError

    rule = make_rule("R1", [(stocked_gift(5), 1, "")])
    d = distribution_create(actor=clerk_futian, policy=policy, rule=rule, idempotency_key="a")
    with pytest.raises(ProtectedError):
        d.delete()
    with pytest.raises(ProtectedError):
        Distribution.objects.all().delete()
    with pytest.raises(ProtectedError):
        DistributionItem.objects.all().delete()
    assert Distribution.objects.count() == 1


def test_vouchers_are_claimed_one_per_unit_and_returned_on_cancel(policy, clerk_futian):
    gift = voucher_gift(codes=3)
    rule = make_rule("R1", [(gift, 2, "")])

    d = distribution_create(actor=clerk_futian, policy=policy, rule=rule, idempotency_key="a")

    items = list(d.items.all())
    assert len(items) == 2 and all(i.quantity == 1 and i.voucher_id for i in items)
    assert d.status == DistributionStatus.COMPLETED
    assert VoucherCode.objects.filter(status=VoucherStatus.ISSUED).count() == 2
    distribution_cancel(actor=clerk_futian, distribution=d, reason="客户放弃")
    assert VoucherCode.objects.filter(status=VoucherStatus.AVAILABLE).count() == 3
    # The cancelled items keep the codes they held, for the record.
    assert DistributionItem.objects.filter(voucher__isnull=False).count() == 2


def test_not_enough_voucher_codes_refuses_and_writes_nothing(policy, clerk_futian):
    rule = make_rule("R1", [(voucher_gift(codes=1), 2, "")])
    with pytest.raises(DistributionRefused):
        distribution_create(actor=clerk_futian, policy=policy, rule=rule, idempotency_key="a")
    assert Distribution.objects.count() == 0
    assert VoucherCode.objects.filter(status=VoucherStatus.AVAILABLE).count() == 1


def test_choose_one_option_group(policy, clerk_futian):
    kit, wash = stocked_gift(5), voucher_gift(codes=5)
    rule = make_rule("R1", [(kit, 1, "A"), (wash, 1, "A")])
    wash_reward = rule.rewards.get(gift=wash)

    with pytest.raises(DistributionRefused):
        distribution_create(actor=clerk_futian, policy=policy, rule=rule, idempotency_key="x")
    d = distribution_create(
        actor=clerk_futian,
        policy=policy,
        rule=rule,
        choices={"A": wash_reward.pk},
        idempotency_key="y",
    )
    assert [i.gift for i in d.items.all()] == [wash]
    kit.refresh_from_db()
    assert kit.stock == 5


def test_a_condition_that_fails_refuses_with_its_reason(policy, clerk_futian):
    rule = make_rule("R1", [(stocked_gift(5), 1, "")], conditions=[(1, "seats", "lte", 5)])
    policy.seats = 7
    policy.save()
    with pytest.raises(DistributionRefused) as refused:
        distribution_create(actor=clerk_futian, policy=policy, rule=rule, idempotency_key="a")
    assert refused.value.reasons
    assert Distribution.objects.count() == 0


def test_an_inactive_rule_gives_nothing(policy, clerk_futian):
    rule = make_rule("R1", [(stocked_gift(5), 1, "")], status=RuleStatus.PAUSED)
    with pytest.raises(DistributionRefused):
        distribution_create(actor=clerk_futian, policy=policy, rule=rule, idempotency_key="a")


def test_an_exclusive_higher_rule_blocks_a_lower_one(policy, clerk_futian):
    make_rule("TOP", [(stocked_gift(5), 1, "")], priority=200, exclusive=True)
    low = make_rule("LOW", [(stocked_gift(5), 1, "")], priority=100)
    with pytest.raises(DistributionRefused):
        distribution_create(actor=clerk_futian, policy=policy, rule=low, idempotency_key="a")


def test_pool_quota_refuses_what_would_pass_the_limit(futian, clerk_futian):
    gift = stocked_gift(50)
    rule = make_rule("R1", [(gift, 1, "")])
    pool = make_quota("P1", "gift_amount", "month", "250")
    policies = [PolicyFactory(branch=futian) for _ in range(3)]

    for n, p in enumerate(policies[:2]):
        distribution_create(actor=clerk_futian, policy=p, rule=rule, idempotency_key=f"k{n}")
    with pytest.raises(DistributionRefused):
        distribution_create(actor=clerk_futian, policy=policies[2], rule=rule, idempotency_key="z")

    assert QuotaUsage.objects.get(quota=pool).used == Decimal("200.00")
    gift.refresh_from_db()
    assert gift.stock == 48


@pytest.mark.parametrize(("face", "ok"), [("160.00", True), ("160.01", False)])
def test_premium_ratio_at_the_boundary(futian, clerk_futian, face, ok):
    """5% of a 3,200.00 premium is 160.00: exactly that passes, one cent more does not."""
    policy = PolicyFactory(branch=futian, premium=Decimal("3200.00"))
    rule = make_rule("R1", [(stocked_gift(5, face_value=Decimal(face)), 1, "")])
    make_quota("PR5", "premium_ratio", "policy", "5")

    if ok:
        d = distribution_create(actor=clerk_futian, policy=policy, rule=rule, idempotency_key="a")
        assert d.charges.get().amount == Decimal(face)
    else:
        with pytest.raises(DistributionRefused):
            distribution_create(actor=clerk_futian, policy=policy, rule=rule, idempotency_key="a")
        assert Distribution.objects.count() == 0


def test_per_policy_amount_counts_earlier_hand_outs(policy, clerk_futian):
    rule_a = make_rule("A", [(stocked_gift(5), 1, "")])
    rule_b = make_rule("B", [(stocked_gift(5), 1, "")])
    make_quota("PP", "gift_amount", "policy", "150")
    distribution_create(actor=clerk_futian, policy=policy, rule=rule_a, idempotency_key="a")
    with pytest.raises(DistributionRefused):
        distribution_create(actor=clerk_futian, policy=policy, rule=rule_b, idempotency_key="b")


def test_contract_service_uses_are_never_exceeded(futian, clerk_futian):
    policy = PolicyFactory(branch=futian, contract_services={"road_rescue": 2})
    rescue = GiftFactory(
        kind=GiftKind.CONTRACT_SERVICE, contract_service=ContractService.ROAD_RESCUE
    )
    rule = make_rule("RESCUE", [(rescue, 1, "")], max_per_policy=5)
    for key in ("a", "b"):
        distribution_create(actor=clerk_futian, policy=policy, rule=rule, idempotency_key=key)
    with pytest.raises(DistributionRefused):
        distribution_create(actor=clerk_futian, policy=policy, rule=rule, idempotency_key="c")
    assert Distribution.objects.count() == 2


def test_casual_income_withholds_twenty_percent(policy, clerk_futian):
    rule = make_rule("DRAW", [(stocked_gift(5), 1, "")], tax_treatment=TaxTreatment.CASUAL)
    d = distribution_create(actor=clerk_futian, policy=policy, rule=rule, idempotency_key="a")
    assert d.tax_treatment == TaxTreatment.CASUAL and d.withholding == Decimal("20.00")


def test_above_the_threshold_waits_for_an_approver(policy, clerk_futian, approver_shenzhen):
    gift = stocked_gift(5)
    rule = make_rule("BIG", [(gift, 2, "")], approval_threshold=Decimal("150"))
    d = distribution_create(actor=clerk_futian, policy=policy, rule=rule, idempotency_key="a")
    assert d.status == DistributionStatus.PENDING_APPROVAL
    assert set(d.items.values_list("status", flat=True)) == {ItemStatus.RESERVED}
    gift.refresh_from_db()
    assert gift.stock == 3  # reserved

    with pytest.raises(PermissionDenied):
        distribution_approve(actor=clerk_futian, distribution=d)
    distribution_approve(actor=approver_shenzhen, distribution=d)
    d.refresh_from_db()
    assert d.status == DistributionStatus.FULFILLING and d.decided_by == approver_shenzhen


def test_rejecting_releases_the_reservation(policy, clerk_futian, approver_shenzhen):
    gift = stocked_gift(5)
    rule = make_rule("BIG", [(gift, 2, "")], approval_threshold=Decimal("150"))
    d = distribution_create(actor=clerk_futian, policy=policy, rule=rule, idempotency_key="a")
    distribution_reject(actor=approver_shenzhen, distribution=d, reason="超出预算")
    d.refresh_from_db()
    gift.refresh_from_db()
    assert d.status == DistributionStatus.REJECTED and gift.stock == 5 and ledger_matches(gift)


def test_an_approver_cannot_approve_their_own_hand_out(policy, approver_shenzhen):
    rule = make_rule("BIG", [(stocked_gift(5), 2, "")], approval_threshold=Decimal("150"))
    d = distribution_create(actor=approver_shenzhen, policy=policy, rule=rule, idempotency_key="a")
    with pytest.raises(PermissionDenied):
        distribution_approve(actor=approver_shenzhen, distribution=d)


def test_a_failure_midway_leaves_nothing_behind(policy, clerk_futian, monkeypatch):
    gift, wash = stocked_gift(5), voucher_gift(codes=2)
    rule = make_rule("R1", [(gift, 1, ""), (wash, 1, "")])
    pool = make_quota("P1", "gift_amount", "month", "1000")

    def explode(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(DistributionItem.objects, "bulk_create", explode)
    with pytest.raises(RuntimeError):
        distribution_create(actor=clerk_futian, policy=policy, rule=rule, idempotency_key="a")

    gift.refresh_from_db()
    assert gift.stock == 5 and ledger_matches(gift)
    assert Distribution.objects.count() == 0 and QuotaCharge.objects.count() == 0
    assert not QuotaUsage.objects.filter(quota=pool, used__gt=0).exists()
    assert VoucherCode.objects.filter(status=VoucherStatus.AVAILABLE).count() == 2


def test_numbers_are_unique_and_readable(policy, clerk_futian):
    rule = make_rule("R1", [(stocked_gift(5), 1, "")], max_per_policy=3)
    numbers = {
        distribution_create(actor=clerk_futian, policy=policy, rule=rule, idempotency_key=k).number
        for k in "abc"
    }
    assert len(numbers) == 3 and all(n.startswith("D") and len(n) == 15 for n in numbers)
