"""Reads for service providers: a voucher looked up by its code, and their redemption history.

Providers see the holder's name and mobile masked, the gift and its validity: never ID
numbers, premiums or the policy itself (DESIGN.md, personal data).
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone

from distribution.models import DistributionItem, ItemStatus
from distribution.services.redemption import (
    LOCAL,
    Validity,
    find_voucher,
    live_item,
    local_date,
    providers_vouchers,
    state_refusal,
    uses_left,
    validity_of,
)
from giftplatform.access import restrict
from gifts.models import Gift, VoucherCode, VoucherStatus
from policies.masking import mask_phone


def mask_name(name: str) -> str:
    """张三 -> 张*, 欧阳娜娜 -> 欧***: the first character stays, enough to greet someone."""
    name = (name or "").strip()
    return name[:1] + "*" * (len(name) - 1) if name else ""


@dataclass(frozen=True)
class VoucherInfo:
    """What a provider may know of one of its vouchers."""

    code: str
    gift_code: str
    gift_name: str
    contract_service: str  # its label, or ""
    status: str
    status_label: str
    validity: Validity
    holder_name: str  # masked
    holder_phone: str  # masked
    redeemed_at: datetime | None
    redeemed_place: str
    redeemed_by: str
    uses_left: int | None  # contract services: the policy's uses not yet redeemed
    problem: str  # why it cannot be redeemed now, before any plate is checked ("" if none)


def voucher_lookup(*, actor, code: str, today: date | None = None) -> VoucherInfo:
    """The actor's provider's voucher ``code``; raises ``VoucherRefused`` (missing) for a
    code that does not exist or is another provider's, in the same words."""
    voucher = find_voucher(actor, code)
    item = live_item(voucher)
    today = today or local_date(timezone.now())
    refusal = state_refusal(voucher, item, today)
    distribution = item.distribution if item else None
    left = None
    if item is not None and item.contract_service:
        left = uses_left(distribution.policy, item.contract_service)
    by = voucher.redeemed_by
    return VoucherInfo(
        code=voucher.code,
        gift_code=voucher.gift.code,
        gift_name=voucher.gift.name,
        contract_service=item.get_contract_service_display() if item else "",
        status=voucher.status,
        status_label=voucher.get_status_display(),
        validity=validity_of(voucher),
        holder_name=mask_name(distribution.recipient_name) if distribution else "",
        holder_phone=mask_phone(distribution.recipient_phone) if distribution else "",
        redeemed_at=voucher.redeemed_at,
        redeemed_place=voucher.redeemed_place,
        redeemed_by=(by.full_name or by.get_username()) if by else "",
        uses_left=left,
        problem=refusal.reason if refusal else "",
    )


def redemption_history(
    *,
    actor,
    date_from: date | None = None,
    date_to: date | None = None,
    gift: Gift | None = None,
    code: str = "",
) -> QuerySet[VoucherCode]:
    """The provider's redeemed vouchers, newest first, each annotated with the holder's
    name and mobile (unmasked: mask them where shown) from its hand-out: one query."""
    holder = DistributionItem.objects.filter(voucher=OuterRef("pk")).exclude(
        status=ItemStatus.CANCELLED
    )
    rows = (
        providers_vouchers(actor)
        .filter(status=VoucherStatus.REDEEMED)
        .select_related("gift", "redeemed_by")
        .annotate(
            holder_name=Subquery(holder.values("distribution__recipient_name")[:1]),
            holder_phone=Subquery(holder.values("distribution__recipient_phone")[:1]),
        )
        .order_by("-redeemed_at", "-id")
    )
    if date_from:
        rows = rows.filter(redeemed_at__gte=datetime.combine(date_from, time.min, LOCAL))
    if date_to:
        next_day = datetime.combine(date_to + timedelta(days=1), time.min, LOCAL)
        rows = rows.filter(redeemed_at__lt=next_day)
    if gift is not None:
        rows = rows.filter(gift=gift)
    if code.strip():
        rows = rows.filter(code__icontains=code.strip())
    return rows


def redeemable_gifts(*, actor) -> QuerySet[Gift]:
    """The provider's gifts that carry voucher codes (the history page's gift filter)."""
    provider_id = getattr(actor, "provider_id", None) or 0
    gifts = restrict(Gift.objects.all(), actor, "view").filter(provider_id=provider_id)
    return gifts.filter(pk__in=providers_vouchers(actor).values("gift_id")).order_by("code")
