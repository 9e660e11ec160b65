"""Invariants 1-5 under concurrent hand-outs (PostgreSQL: real row locks, real races).

Threads are released together by a Barrier; each thread has its own connection.
PostgreSQL allows 100 connections here, so 200 hand-outs run on 40 threads.
"""

from collections import Counter
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Count, Sum

from distribution.models import (
    LIVE_STATUSES,
    Distribution,
    DistributionItem,
    QuotaUsage,
)
from distribution.services import DistributionRefused, distribution_create
from gifts.models import Gift, StockMovement, VoucherCode, VoucherStatus
from tests import concurrency
from tests.distribution.conftest import make_quota, make_rule, stocked_gift, voucher_gift
from tests.distribution.totals_check import assert_totals_match
from tests.factories import PolicyFactory

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL"),
    pytest.mark.django_db(transaction=True),
]

THREADS = 40


def storm(calls):
    """Every call, THREADS at a time, all threads released together; outcomes by kind."""
    return concurrency.storm(calls, {DistributionRefused: lambda _refused: "refused"}, THREADS)


def hand_out_each(policies, rule):
    """One hand-out of ``rule`` per policy, each with its own idempotency key."""

    def hand_out(policy):
        return lambda: distribution_create(
            actor=None, policy=policy, rule=rule, idempotency_key=f"key-{policy.pk}"
        )

    return storm(hand_out(p) for p in policies)


def assert_ledger_and_vouchers_hold():
    ledger = StockMovement.objects.values_list("gift_id").annotate(s=Sum("quantity"))
    for gift_id, total in ledger:
        assert Gift.objects.get(pk=gift_id).stock == total >= 0
    live_codes = (
        DistributionItem.objects.filter(voucher__isnull=False)
        .exclude(status="cancelled")
        .values("voucher")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
    )
    assert not live_codes.exists()
    issued = VoucherCode.objects.filter(status=VoucherStatus.ISSUED).count()
    assert issued == DistributionItem.objects.filter(voucher__isnull=False).count()
    assert_totals_match()


def test_fifty_concurrent_hand_outs_to_one_policy_give_exactly_one(futian):
    policy = PolicyFactory(branch=futian)
    gift = stocked_gift(100)
    rule = make_rule("ONCE", [(gift, 1, "")], max_per_policy=1)

    def hand_out(n):
        return lambda: distribution_create(
            actor=None, policy=policy, rule=rule, idempotency_key=f"click-{n}"
        )

    outcomes = storm(hand_out(n) for n in range(50))

    assert outcomes == Counter(ok=1, refused=49)
    assert Distribution.objects.filter(policy=policy, status__in=LIVE_STATUSES).count() == 1
    gift.refresh_from_db()
    assert gift.stock == 99
    assert_ledger_and_vouchers_hold()


def test_retries_with_one_key_give_one_distribution(futian):
    policy = PolicyFactory(branch=futian)
    rule = make_rule("MANY", [(stocked_gift(100), 1, "")], max_per_policy=10)

    outcomes = storm(
        (lambda: distribution_create(actor=None, policy=policy, rule=rule, idempotency_key="same"))
        for _ in range(30)
    )

    assert outcomes == Counter(ok=30)
    assert Distribution.objects.count() == 1


def test_two_hundred_policies_against_a_pool_of_one_hundred_vouchers(futian):
    gift = voucher_gift(codes=300, face_value=Decimal("50.00"))
    rule = make_rule("WASH", [(gift, 1, "")])
    pool = make_quota("POOL100", "voucher_count", "month", "100")
    policies = [PolicyFactory(branch=futian) for _ in range(200)]

    outcomes = hand_out_each(policies, rule)

    assert outcomes == Counter(ok=100, refused=100)
    assert QuotaUsage.objects.get(quota=pool).used == 100
    assert VoucherCode.objects.filter(status=VoucherStatus.ISSUED).count() == 100
    assert_ledger_and_vouchers_hold()


def test_two_hundred_policies_against_a_ten_thousand_yuan_pool(futian):
    gift = stocked_gift(1000, face_value=Decimal("80.00"))
    rule = make_rule("KIT", [(gift, 1, "")])
    pool = make_quota("POOL10K", "gift_amount", "month", "10000")
    policies = [PolicyFactory(branch=futian) for _ in range(200)]

    outcomes = hand_out_each(policies, rule)

    # 10,000 / 80 = 125 hand-outs fit; the 126th would pass the limit.
    assert outcomes == Counter(ok=125, refused=75)
    assert QuotaUsage.objects.get(quota=pool).used == Decimal("10000.00")
    gift.refresh_from_db()
    assert gift.stock == 1000 - 125
    assert_ledger_and_vouchers_hold()


def test_stock_storm_never_goes_negative(futian):
    gift = stocked_gift(30)
    wash = voucher_gift(codes=45)
    rule = make_rule("BOTH", [(gift, 1, ""), (wash, 1, "")])
    policies = [PolicyFactory(branch=futian) for _ in range(80)]

    outcomes = hand_out_each(policies, rule)

    assert outcomes == Counter(ok=30, refused=50)
    gift.refresh_from_db()
    assert gift.stock == 0
    assert VoucherCode.objects.filter(status=VoucherStatus.ISSUED).count() == 30
    assert_ledger_and_vouchers_hold()


def test_retries_of_a_once_only_hand_out_all_get_the_first_result(futian):
    """A double click on a max-1 rule: the queued retry returns the first result, no refusal."""
    policy = PolicyFactory(branch=futian)
    rule = make_rule("ONCE", [(stocked_gift(10), 1, "")], max_per_policy=1)

    outcomes = storm(
        (lambda: distribution_create(actor=None, policy=policy, rule=rule, idempotency_key="dbl"))
        for _ in range(20)
    )

    assert outcomes == Counter(ok=20)
    assert Distribution.objects.count() == 1
