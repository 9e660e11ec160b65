"""voucher_redeem against the real database: each refusal, the plate, contract-service uses."""

# ruff: noqa: F811 (fixtures imported from redeem_support are parameters here)

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.db.models import Sum

from distribution import loaders
from distribution.models import DistributionItem, ItemStatus
from distribution.services import DistributionRefused, distribution_cancel
from distribution.services.redemption import Refusal, VoucherRefused, voucher_redeem
from gifts.models import Gift, VoucherCode, VoucherStatus
from tests.factories import PolicyFactory, UserFactory
from tests.suppliers.redeem_support import (  # noqa: F401 (fixtures)
    carwash,
    issued_voucher,
    rescue_voucher,
    rival,
    rival_user,
    washer,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime.datetime(2026, 11, 26, 10, 0, tzinfo=SHANGHAI)


def redeem(actor, voucher, plate=None, place="福田店", when=NOW, code=None):
    plate = voucher_plate(voucher) if plate is None else plate
    return voucher_redeem(
        actor=actor, code=code or voucher.code, plate=plate, place=place, when=when
    )


def voucher_plate(voucher):
    return item_of(voucher).distribution.policy.plate


def item_of(voucher):
    return DistributionItem.objects.select_related("distribution__policy").get(voucher=voucher)


def refusal(call) -> VoucherRefused:
    with pytest.raises(VoucherRefused) as caught:
        call()
    return caught.value


def unchanged(voucher) -> bool:
    fresh = VoucherCode.objects.get(pk=voucher.pk)
    return (
        fresh.status == VoucherStatus.ISSUED
        and fresh.redeemed_at is None
        and item_of(voucher).status == ItemStatus.ISSUED
    )


def test_redeeming_marks_the_code_and_its_hand_out_once_with_who_when_where(
    futian, carwash, washer
):
    voucher = issued_voucher(carwash, branch=futian)

    done = redeem(washer, voucher, place=" 福田店 ")

    assert done.status == VoucherStatus.REDEEMED
    assert (done.redeemed_at, done.redeemed_by, done.redeemed_place) == (NOW, washer, "福田店")
    assert done.redeemed_plate == voucher_plate(voucher)
    assert item_of(voucher).status == ItemStatus.REDEEMED
    latest = done.history.order_by("-history_id").first()
    assert (latest.status, latest.history_user, latest.history_type) == ("redeemed", washer, "~")
    assert latest.history_date == NOW
    assert "福田店" in latest.history_change_reason  # no predecessor to diff: the reason says
    item_history = item_of(voucher).history.order_by("-history_id").first()
    assert (item_history.status, item_history.history_user) == ("redeemed", washer)


def test_the_code_is_found_whatever_its_case_and_spaces(futian, carwash, washer):
    voucher = issued_voucher(carwash, branch=futian)
    code = " " + voucher.code.lower()[:4] + " " + voucher.code.lower()[4:]
    assert redeem(washer, voucher, code=code).status == VoucherStatus.REDEEMED


def test_a_second_redemption_is_refused_with_when_and_where(futian, carwash, washer):
    voucher = issued_voucher(carwash, branch=futian)
    redeem(washer, voucher)

    refused = refusal(lambda: redeem(washer, voucher, when=NOW + datetime.timedelta(hours=1)))

    assert refused.code == Refusal.REDEEMED
    assert "2026-11-26 10:00" in refused.reason and "福田店" in refused.reason
    assert VoucherCode.objects.get(pk=voucher.pk).redeemed_at == NOW


@pytest.mark.parametrize(
    "utc_time, expired",
    [
        # 23:30 in Shanghai on the expiry date: still valid.
        (datetime.datetime(2026, 11, 30, 15, 30, tzinfo=datetime.UTC), False),
        # 00:30 in Shanghai the next day (still 30 Nov in UTC): expired.
        (datetime.datetime(2026, 11, 30, 16, 30, tzinfo=datetime.UTC), True),
    ],
)
def test_a_code_expires_at_the_end_of_its_day_in_shanghai(
    futian, carwash, washer, utc_time, expired
):
    voucher = issued_voucher(carwash, branch=futian, expires_on=datetime.date(2026, 11, 30))
    if not expired:
        assert redeem(washer, voucher, when=utc_time).status == VoucherStatus.REDEEMED
        return
    refused = refusal(lambda: redeem(washer, voucher, when=utc_time))
    assert refused.code == Refusal.EXPIRED and "2026-11-30" in refused.reason
    assert unchanged(voucher)


def test_the_gifts_validity_ends_the_code_too(futian, carwash, washer):
    voucher = issued_voucher(carwash, branch=futian, expires_on=datetime.date(2027, 6, 30))
    Gift.objects.filter(pk=voucher.gift_id).update(valid_to=datetime.date(2026, 11, 25))
    refused = refusal(lambda: redeem(washer, voucher))
    assert refused.code == Refusal.EXPIRED and "2026-11-25" in refused.reason
    assert unchanged(voucher)


def test_a_code_marked_expired_is_refused(futian, carwash, washer):
    voucher = issued_voucher(carwash, branch=futian)
    VoucherCode.objects.filter(pk=voucher.pk).update(status=VoucherStatus.EXPIRED)
    assert refusal(lambda: redeem(washer, voucher)).code == Refusal.EXPIRED


def test_a_code_is_not_redeemed_before_its_gift_is_valid(futian, carwash, washer):
    voucher = issued_voucher(carwash, branch=futian)
    Gift.objects.filter(pk=voucher.gift_id).update(valid_from=datetime.date(2026, 11, 1))
    early = datetime.datetime(2026, 10, 31, 23, 0, tzinfo=SHANGHAI)
    refused = refusal(lambda: redeem(washer, voucher, when=early))
    assert refused.code == Refusal.NOT_YET_VALID and "2026-11-01" in refused.reason


def test_a_voided_code_is_refused(futian, carwash, washer):
    voucher = issued_voucher(carwash, branch=futian)
    VoucherCode.objects.filter(pk=voucher.pk).update(status=VoucherStatus.VOID)
    refused = refusal(lambda: redeem(washer, voucher))
    assert refused.code == Refusal.VOID
    assert item_of(voucher).status == ItemStatus.ISSUED


def test_a_code_never_issued_is_refused(futian, carwash, washer):
    voucher = issued_voucher(carwash, branch=futian, codes=2)
    spare = VoucherCode.objects.exclude(pk=voucher.pk).get(gift=voucher.gift)
    refused = refusal(lambda: redeem(washer, spare, plate="粤B00001"))
    assert refused.code == Refusal.NOT_ISSUED
    assert VoucherCode.objects.get(pk=spare.pk).status == VoucherStatus.AVAILABLE


def test_a_cancelled_hand_out_leaves_a_code_that_is_not_issued(futian, carwash, washer):
    voucher = issued_voucher(carwash, branch=futian)
    plate = voucher_plate(voucher)
    distribution_cancel(actor=None, distribution=item_of(voucher).distribution, reason="退回")
    assert refusal(lambda: redeem(washer, voucher, plate=plate)).code == Refusal.NOT_ISSUED


def test_a_hand_out_awaiting_approval_is_not_redeemed(futian, carwash, washer):
    voucher = issued_voucher(carwash, branch=futian, rule_fields={"approval_threshold": 1})
    refused = refusal(lambda: redeem(washer, voucher))
    assert refused.code == Refusal.AWAITING_APPROVAL
    assert VoucherCode.objects.get(pk=voucher.pk).status == VoucherStatus.ISSUED


@pytest.mark.parametrize("presented", ["粤B12345", " 粤b 12345 ", "粤B·12345", "粤b-12345"])
def test_the_plate_is_compared_normalized(futian, carwash, washer, presented):
    policy = PolicyFactory(branch=futian, plate="粤B12345")
    voucher = issued_voucher(carwash, policy)
    done = redeem(washer, voucher, plate=presented)
    assert done.status == VoucherStatus.REDEEMED and done.redeemed_plate == "粤B12345"


@pytest.mark.parametrize("presented", ["粤B12346", "", "   "])
def test_a_code_presented_for_another_car_is_refused(futian, carwash, washer, presented):
    policy = PolicyFactory(branch=futian, plate="粤B12345")
    voucher = issued_voucher(carwash, policy)
    refused = refusal(lambda: redeem(washer, voucher, plate=presented))
    assert refused.code == Refusal.WRONG_VEHICLE
    assert unchanged(voucher)


def test_a_car_without_a_plate_is_recognised_by_its_vin(futian, carwash, washer):
    policy = PolicyFactory(branch=futian, plate="")
    voucher = issued_voucher(carwash, policy)
    assert refusal(lambda: redeem(washer, voucher, plate="")).code == Refusal.WRONG_VEHICLE
    assert redeem(washer, voucher, plate=policy.vin.lower()).status == VoucherStatus.REDEEMED


def test_a_cancelled_policys_code_is_refused(futian, carwash, washer):
    policy = PolicyFactory(branch=futian)
    voucher = issued_voucher(carwash, policy)
    policy.status = "cancelled"
    policy.save()
    assert refusal(lambda: redeem(washer, voucher)).code == Refusal.POLICY_NOT_IN_FORCE


def test_another_providers_code_gets_the_answer_of_a_missing_code(
    futian, carwash, washer, rival, rival_user
):
    theirs = issued_voucher(rival, branch=futian)
    foreign = refusal(lambda: redeem(washer, theirs))
    missing = refusal(lambda: redeem(washer, theirs, code="NO-SUCH-CODE"))
    assert (foreign.code, foreign.reason) == (missing.code, missing.reason)
    assert foreign.code == Refusal.MISSING
    assert unchanged(theirs)
    assert redeem(rival_user, theirs).status == VoucherStatus.REDEEMED


def test_staff_redeem_nothing_through_the_provider_service(futian, carwash):
    voucher = issued_voucher(carwash, branch=futian)
    root = UserFactory(username="root", is_superuser=True)
    clerk = UserFactory(username="clerk", branch=futian)
    for actor in (root, clerk):
        assert refusal(lambda a=actor: redeem(a, voucher)).code == Refusal.MISSING
    assert unchanged(voucher)


def test_a_redeemed_hand_out_cannot_be_cancelled(futian, carwash, washer):
    voucher = issued_voucher(carwash, branch=futian)
    redeem(washer, voucher)
    with pytest.raises(DistributionRefused):
        distribution_cancel(actor=None, distribution=item_of(voucher).distribution, reason="x")
    assert VoucherCode.objects.get(pk=voucher.pk).status == VoucherStatus.REDEEMED


# ----------------------------------------------------------------------------- contract services


def uses_of(policy, service="road_rescue"):
    """(left for hand-outs, as the engine sees them; redeemed)"""
    policy.refresh_from_db()
    left = loaders.policy_facts(policy).contract_services_left.get(service, 0)
    redeemed = DistributionItem.objects.filter(
        distribution__policy=policy, contract_service=service, status=ItemStatus.REDEEMED
    ).aggregate(n=Sum("quantity"))["n"]
    return left, redeemed or 0


def test_a_contract_service_use_is_taken_once_hand_out_then_redemption(futian, carwash, washer):
    policy = PolicyFactory(branch=futian, contract_services={"road_rescue": 3})
    voucher = rescue_voucher(carwash, policy)
    assert uses_of(policy) == (2, 0)  # the hand-out reserved one

    redeem(washer, voucher)

    assert uses_of(policy) == (2, 1)  # the same use, now redeemed: not a second one


def test_no_contract_service_use_left_is_refused(futian, carwash, washer):
    policy = PolicyFactory(branch=futian, contract_services={"road_rescue": 1})
    voucher = rescue_voucher(carwash, policy)
    # The core system corrects the policy after the hand-out: the use went elsewhere.
    policy.contract_services = {"road_rescue": 0}
    policy.save()

    refused = refusal(lambda: redeem(washer, voucher))

    assert refused.code == Refusal.NO_USES_LEFT and "道路救援" in refused.reason
    assert unchanged(voucher)
    assert uses_of(policy) == (0, 0)


def test_contract_service_redemptions_never_go_beyond_the_policys_uses(futian, carwash, washer):
    policy = PolicyFactory(branch=futian, contract_services={"road_rescue": 2})
    first, second = rescue_voucher(carwash, policy), rescue_voucher(carwash, policy)
    policy.contract_services = {"road_rescue": 1}
    policy.save()

    redeem(washer, first)
    assert refusal(lambda: redeem(washer, second)).code == Refusal.NO_USES_LEFT
    assert uses_of(policy) == (0, 1)


def test_a_contract_service_needs_the_policy_in_force(futian, carwash, washer):
    policy = PolicyFactory(
        branch=futian,
        contract_services={"road_rescue": 2},
        start_date=datetime.date(2026, 11, 2),
        end_date=datetime.date(2026, 11, 20),
    )
    voucher = rescue_voucher(carwash, policy)
    assert refusal(lambda: redeem(washer, voucher)).code == Refusal.POLICY_NOT_IN_FORCE
    in_term = datetime.datetime(2026, 11, 20, 23, 0, tzinfo=SHANGHAI)
    assert redeem(washer, voucher, when=in_term).status == VoucherStatus.REDEEMED
