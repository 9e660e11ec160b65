"""Redeeming a voucher at the service provider: checked, then marked redeemed exactly once.

A provider finds only the codes of its own gifts (``giftplatform.access``): another
provider's code gets the very answer of a code that does not exist.

Contract services (附加机动车增值服务特约条款): one source of truth for the policy's
uses, the live ``DistributionItem`` rows with ``contract_service`` set, which
``loaders.policy_facts`` counts at hand-out. Handing a contract-service voucher out
reserves the use; redeeming it turns that same row into a used service (item status
``redeemed``), so a use is never counted twice. Redeeming re-checks, under the policy's
row lock (the lock hand-outs take), that the uses redeemed stay within what the policy
holds now: a policy corrected downwards after the hand-out refuses the use beyond it.
"""

import re
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from distribution.models import Distribution, DistributionItem, ItemStatus
from giftplatform.access import recorded, restrict
from giftplatform.sheets.values import to_code
from gifts.models import VoucherCode, VoucherStatus
from policies.models import Policy, PolicyStatus

LOCAL = ZoneInfo(settings.TIME_ZONE)  # Asia/Shanghai: a voucher's dates are local dates


class Refusal:
    """Why a voucher cannot be redeemed (kept as codes, so tests and pages can tell)."""

    MISSING = "missing"
    REDEEMED = "redeemed"
    VOID = "void"
    NOT_ISSUED = "not_issued"
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    AWAITING_APPROVAL = "awaiting_approval"
    WRONG_VEHICLE = "wrong_vehicle"
    POLICY_NOT_IN_FORCE = "policy_not_in_force"
    NO_USES_LEFT = "no_uses_left"


class VoucherRefused(Exception):
    """Nothing was redeemed; ``reason`` says why in the user's language, ``code`` which."""

    def __init__(self, code: str, reason: str):
        super().__init__(reason)
        self.code = code
        self.reason = reason


def missing() -> VoucherRefused:
    # The same words for "no such code" and "another provider's code": ids cannot be probed.
    return VoucherRefused(Refusal.MISSING, _("No voucher with this code."))


def local_date(moment: datetime) -> date:
    return timezone.localtime(moment, LOCAL).date()


def local_time_text(moment: datetime) -> str:
    return f"{timezone.localtime(moment, LOCAL):%Y-%m-%d %H:%M}"


def plate_key(text: str) -> str:
    """A plate as compared: upper case, without spaces or the middle dot (粤B·12345)."""
    return re.sub(r"[\s·•\-]", "", text or "").upper()


def providers_vouchers(actor):
    """The codes of the actor's provider's gifts; nothing for staff (no provider)."""
    codes = restrict(VoucherCode.objects.all(), actor, "change")
    return codes.filter(gift__provider_id=getattr(actor, "provider_id", None) or 0)


def find_voucher(actor, code: str) -> VoucherCode:
    """The actor's provider's voucher with ``code``, or the refusal of a missing code."""
    wanted = to_code(code or "")
    if not wanted:
        raise missing()
    voucher = (
        providers_vouchers(actor).select_related("gift", "redeemed_by").filter(code=wanted).first()
    )
    if voucher is None:
        raise missing()
    return voucher


def live_item(voucher: VoucherCode) -> DistributionItem | None:
    """The hand-out line holding the code (a cancelled line only keeps its history)."""
    return (
        DistributionItem.objects.filter(voucher=voucher)
        .exclude(status=ItemStatus.CANCELLED)
        .select_related("distribution__policy")
        .first()
    )


@dataclass(frozen=True)
class Validity:
    valid_from: date | None
    valid_to: date | None


def validity_of(voucher: VoucherCode) -> Validity:
    """The code's own expiry and its gift's validity: the narrower of the two ends."""
    ends = [d for d in (voucher.expires_on, voucher.gift.valid_to) if d is not None]
    return Validity(valid_from=voucher.gift.valid_from, valid_to=min(ends) if ends else None)


def state_refusal(voucher: VoucherCode, item: DistributionItem | None, today: date):
    """Why the code's own state forbids redeeming it today (None: it may be redeemed)."""
    if voucher.status == VoucherStatus.REDEEMED:
        when = local_time_text(voucher.redeemed_at)
        if voucher.redeemed_place:
            reason = _("Already redeemed on %(when)s at %(place)s.") % {
                "when": when,
                "place": voucher.redeemed_place,
            }
        else:
            reason = _("Already redeemed on %(when)s.") % {"when": when}
        return VoucherRefused(Refusal.REDEEMED, reason)
    if voucher.status == VoucherStatus.VOID:
        return VoucherRefused(Refusal.VOID, _("This voucher has been voided."))
    if voucher.status == VoucherStatus.AVAILABLE or (
        voucher.status == VoucherStatus.ISSUED and item is None
    ):
        return VoucherRefused(Refusal.NOT_ISSUED, _("This voucher has not been issued to anyone."))
    validity = validity_of(voucher)
    if voucher.status == VoucherStatus.EXPIRED or (
        validity.valid_to is not None and validity.valid_to < today
    ):
        if validity.valid_to is None:
            return VoucherRefused(Refusal.EXPIRED, _("This voucher has expired."))
        return VoucherRefused(
            Refusal.EXPIRED,
            _("This voucher expired on %(date)s.") % {"date": validity.valid_to.isoformat()},
        )
    if validity.valid_from is not None and today < validity.valid_from:
        return VoucherRefused(
            Refusal.NOT_YET_VALID,
            _("This voucher is valid from %(date)s.") % {"date": validity.valid_from.isoformat()},
        )
    if item.status == ItemStatus.RESERVED:
        return VoucherRefused(
            Refusal.AWAITING_APPROVAL,
            _("This voucher's hand-out is still awaiting approval."),
        )
    if item.status != ItemStatus.ISSUED:
        return VoucherRefused(Refusal.NOT_ISSUED, _("This voucher has not been issued to anyone."))
    policy = item.distribution.policy
    if policy.status == PolicyStatus.CANCELLED:
        return VoucherRefused(
            Refusal.POLICY_NOT_IN_FORCE,
            _("The policy this voucher was issued to has been cancelled."),
        )
    if item.contract_service and (
        policy.status != PolicyStatus.IN_FORCE or not policy.start_date <= today <= policy.end_date
    ):
        # A clause service lives with the contract: not before it starts, not after it ends.
        return VoucherRefused(
            Refusal.POLICY_NOT_IN_FORCE,
            _("The policy this voucher was issued to is not in force today."),
        )
    return None


def vehicle_refusal(policy: Policy, plate: str):
    """The vehicle presented must be the policy's: its plate, or its VIN if it has no plate."""
    presented = plate_key(plate)
    expected = plate_key(policy.plate) or plate_key(policy.vin)
    if presented and presented == expected:
        return None
    return VoucherRefused(
        Refusal.WRONG_VEHICLE,
        _("The plate does not match the vehicle this voucher was issued to."),
    )


def uses_left(policy: Policy, service: str) -> int:
    """The policy's uses of ``service`` not yet redeemed (never below zero)."""
    redeemed = (
        DistributionItem.objects.filter(
            distribution__policy=policy, contract_service=service, status=ItemStatus.REDEEMED
        ).aggregate(n=Sum("quantity"))["n"]
        or 0
    )
    return max(int((policy.contract_services or {}).get(service, 0)) - redeemed, 0)


def redeem_refusal(voucher: VoucherCode, item, plate: str, today: date):
    """Every reason not to redeem ``voucher`` for ``plate`` today (None: go ahead)."""
    refusal = state_refusal(voucher, item, today)
    if refusal is not None:
        return refusal  # past this point the code has a live, issued hand-out line
    policy = item.distribution.policy
    refusal = vehicle_refusal(policy, plate)
    if refusal is not None:
        return refusal
    if item.contract_service and uses_left(policy, item.contract_service) < item.quantity:
        return VoucherRefused(
            Refusal.NO_USES_LEFT,
            _("The policy has no use of %(service)s left.")
            % {"service": item.get_contract_service_display()},
        )
    return None


def voucher_redeem_check(*, actor, code: str, plate: str, when=None) -> VoucherCode:
    """What ``voucher_redeem`` would answer, without writing: the voucher, or the refusal
    (for the confirmation step; the redemption itself checks again under its locks)."""
    voucher = find_voucher(actor, code)
    refusal = redeem_refusal(voucher, live_item(voucher), plate, local_date(when or timezone.now()))
    if refusal is not None:
        raise refusal
    return voucher


def voucher_redeem(*, actor, code: str, plate: str, place: str, when=None) -> VoucherCode:
    """Redeem the actor's provider's voucher ``code`` for the vehicle ``plate`` at ``place``.

    Raises ``VoucherRefused`` (nothing written) when the code is missing or another
    provider's, already redeemed, voided, not issued, expired or not yet valid, awaiting
    approval, presented for another vehicle, its policy cancelled, or (contract services)
    the policy has no use of the service left. Otherwise the code is marked redeemed once
    (a conditional UPDATE: of concurrent attempts exactly one succeeds), its hand-out line
    too, each with a history row naming the actor.
    """
    now = when or timezone.now()
    place = (place or "").strip()
    voucher = find_voucher(actor, code)
    item = live_item(voucher)
    with transaction.atomic():
        if item is not None:
            if item.contract_service:
                # The lock hand-outs take: uses are counted against settled numbers.
                Policy.objects.select_for_update(of=("self",)).get(pk=item.distribution.policy_id)
            # Cancelling or approving the hand-out waits for us (and we for them).
            Distribution.objects.select_for_update().get(pk=item.distribution_id)
        # Read again under the locks: what was checked is what is written.
        voucher = VoucherCode.objects.select_related("gift").get(pk=voucher.pk)
        item = live_item(voucher)
        refusal = redeem_refusal(voucher, item, plate, local_date(now))
        if refusal is not None:
            raise refusal
        return _mark_redeemed(actor, voucher, item, plate, place, now)


def _mark_redeemed(actor, voucher, item, plate, place, now) -> VoucherCode:
    who = recorded(actor)
    won = VoucherCode.objects.filter(pk=voucher.pk, status=VoucherStatus.ISSUED).update(
        status=VoucherStatus.REDEEMED,
        redeemed_at=now,
        redeemed_by=who,
        redeemed_place=place[:100],
        redeemed_plate=plate_key(plate)[:20],
    )
    if not won:  # another request redeemed (or voided) it since we read it
        voucher = VoucherCode.objects.select_related("gift").get(pk=voucher.pk)
        raise state_refusal(voucher, live_item(voucher), local_date(now)) or missing()
    voucher.refresh_from_db()
    # update() writes no history row: write the one that says who redeemed it, when and
    # where. Codes arrive by bulk import and are issued by update(), so this row often
    # has no predecessor to diff against: its reason says what happened.
    reason = _("Redeemed at %(place)s for %(plate)s") % {
        "place": voucher.redeemed_place or "—",
        "plate": voucher.redeemed_plate or "—",
    }
    VoucherCode.history.bulk_history_create(
        [voucher],
        update=True,
        default_user=who,
        default_date=now,
        default_change_reason=reason[:100],
    )
    item.status = ItemStatus.REDEEMED
    item._history_user = who
    item._history_date = now
    item.save(update_fields=["status"])
    return voucher
