"""Concurrent redemptions on PostgreSQL: one code is redeemed once, uses never go beyond.

Threads are released together by a Barrier; each has its own connection.
"""

# ruff: noqa: F811 (fixtures imported from redeem_support are parameters here)

from collections import Counter

import pytest
from django.db import connection

from distribution import loaders
from distribution.models import DistributionItem, ItemStatus
from distribution.services import DistributionRefused, distribution_cancel
from distribution.services.redemption import Refusal, VoucherRefused, voucher_redeem
from gifts.models import VoucherCode, VoucherStatus
from tests.concurrency import storm as race
from tests.factories import PolicyFactory
from tests.suppliers.redeem_support import carwash, rescue_voucher, washer  # noqa: F401

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL"),
    pytest.mark.django_db(transaction=True),
]


def storm(calls):
    return race(calls, {VoucherRefused: lambda refused: refused.code})


def test_twenty_concurrent_redemptions_of_one_code_give_exactly_one(futian, carwash, washer):
    policy = PolicyFactory(branch=futian, contract_services={"road_rescue": 2})
    voucher = rescue_voucher(carwash, policy)

    outcomes = storm(
        (
            lambda n=n: voucher_redeem(
                actor=washer, code=voucher.code, plate=policy.plate, place=f"店{n}"
            )
        )
        for n in range(20)
    )

    assert outcomes == Counter(ok=1, redeemed=19)
    voucher.refresh_from_db()
    assert voucher.status == VoucherStatus.REDEEMED
    redeemed_rows = voucher.history.filter(status=VoucherStatus.REDEEMED)
    assert redeemed_rows.count() == 1 and redeemed_rows.get().redeemed_place == (
        voucher.redeemed_place
    )
    items = DistributionItem.objects.filter(distribution__policy=policy)
    assert list(items.values_list("status", flat=True)) == [ItemStatus.REDEEMED]
    # The use was taken once, by the hand-out; the redemption spent that same use.
    assert loaders.policy_facts(policy).contract_services_left == {"road_rescue": 1}


def test_concurrent_redemptions_of_a_policys_codes_stay_within_its_uses(futian, carwash, washer):
    policy = PolicyFactory(branch=futian, contract_services={"road_rescue": 5})
    vouchers = [rescue_voucher(carwash, policy) for _ in range(5)]
    # Corrected by the core system after the hand-outs: three uses left to redeem.
    policy.contract_services = {"road_rescue": 3}
    policy.save()

    outcomes = storm(
        (lambda code=v.code: voucher_redeem(actor=washer, code=code, plate=policy.plate, place=""))
        for v in vouchers
    )

    assert outcomes == Counter(ok=3, **{Refusal.NO_USES_LEFT: 2})
    assert VoucherCode.objects.filter(status=VoucherStatus.REDEEMED).count() == 3
    assert (
        DistributionItem.objects.filter(
            distribution__policy=policy, status=ItemStatus.REDEEMED
        ).count()
        == 3
    )


def test_a_redemption_racing_a_cancellation_never_both_succeed(futian, carwash, washer):
    """Each round: one redemption and one cancellation of its hand-out, released together."""
    for round_no in range(8):
        policy = PolicyFactory(branch=futian, contract_services={"road_rescue": 1})
        voucher = rescue_voucher(carwash, policy)
        distribution = voucher.distribution_items.get().distribution
        results = {}

        def redeem(voucher=voucher, plate=policy.plate, results=results):
            try:
                voucher_redeem(actor=washer, code=voucher.code, plate=plate, place="店")
                results["redeem"] = "ok"
            except VoucherRefused as refused:
                results["redeem"] = refused.code

        def cancel(distribution=distribution, results=results):
            try:
                distribution_cancel(actor=None, distribution=distribution, reason="退回")
                results["cancel"] = "ok"
            except DistributionRefused:
                results["cancel"] = "refused"

        storm([redeem, cancel])

        voucher.refresh_from_db()
        item = DistributionItem.objects.get(voucher=voucher)
        if results["redeem"] == "ok":
            assert results["cancel"] == "refused", round_no
            assert (voucher.status, item.status) == (VoucherStatus.REDEEMED, ItemStatus.REDEEMED)
        else:
            assert (results["redeem"], results["cancel"]) == (Refusal.NOT_ISSUED, "ok"), round_no
            assert (voucher.status, item.status) == (VoucherStatus.AVAILABLE, ItemStatus.CANCELLED)
