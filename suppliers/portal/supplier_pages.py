"""What the supplier's pages show (reads): rows for the outstanding list, the export, home.

Providers see a recipient's name, masked mobile, the delivery address and the item;
never ID numbers or premiums (DESIGN.md, Compliance).
"""

import datetime
from dataclasses import dataclass

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from distribution.models import DistributionItem, Shipment, ShipmentLine
from distribution.shipment_selectors import (
    local_today,
    outstanding_items,
    overdue_cutoff,
    sla_working_days,
    waiting,
)
from giftplatform.access import restrict
from gifts.models import Gift
from policies.masking import mask_phone

PAGE_SIZE = 50


@dataclass
class OutstandingRow:
    item: DistributionItem
    policy_no: str
    recipient: str
    phone: str  # masked
    address: str
    outstanding: int
    days: int
    overdue: bool


def outstanding_rows(items, today: datetime.date | None = None) -> list[OutstandingRow]:
    today = today or local_today()
    rows = []
    for item in items:
        distribution = item.distribution
        policy = distribution.policy
        days, overdue = waiting(item, today)
        rows.append(
            OutstandingRow(
                item=item,
                policy_no=policy.policy_no,
                recipient=distribution.recipient_name or policy.insured_name,
                phone=mask_phone(distribution.recipient_phone or policy.phone or ""),
                address=distribution.delivery_address,
                outstanding=item.outstanding,
                days=days,
                overdue=overdue,
            )
        )
    return rows


def recipient_of(item) -> dict:
    """Name, masked mobile and address of an item's recipient (never ID or premium)."""
    distribution, policy = item.distribution, item.distribution.policy
    return {
        "name": distribution.recipient_name or policy.insured_name,
        "phone": mask_phone(distribution.recipient_phone or policy.phone or ""),
        "address": distribution.delivery_address,
        "policy_no": policy.policy_no,
    }


def supplier_gifts(user, provider) -> list[tuple[int, str, str]]:
    gifts = restrict(Gift.objects.filter(provider=provider), user, "view")
    return list(gifts.order_by("code").values_list("pk", "code", "name"))


def filtered_outstanding(user, provider, data: dict) -> QuerySet[DistributionItem]:
    """The supplier's outstanding items narrowed by the filter form, oldest due first."""
    items = outstanding_items(user, provider)
    text = (data.get("q") or "").strip()
    if text:
        items = items.filter(
            Q(distribution__policy__policy_no__iexact=text)
            | Q(distribution__recipient_name__icontains=text)
            | Q(distribution__policy__insured_name=text)
            | Q(gift__code__iexact=text)
        )
    if data.get("gift"):
        items = items.filter(gift_id=data["gift"])
    overdue = data.get("overdue")
    if overdue:
        cutoff = overdue_cutoff()
        items = (
            items.filter(due_at__lt=cutoff)
            if overdue == "yes"
            else items.filter(due_at__gte=cutoff)
        )
    return items.order_by("due_at", "pk")


def filtered_shipments(user, provider, data: dict) -> QuerySet[Shipment]:
    parcels = restrict(Shipment.objects.filter(provider=provider), user, "view")
    text = (data.get("q") or "").strip().upper()
    if text:
        parcels = parcels.filter(Q(tracking_no=text) | Q(policy__policy_no=text))
    state = data.get("state")
    if state == "transit":
        parcels = parcels.filter(delivered_at__isnull=True)
    elif state == "delivered":
        parcels = parcels.filter(delivered_at__isnull=False)
    lines = ShipmentLine.objects.select_related("item__gift").order_by("pk")
    return (
        parcels.select_related("policy")
        .prefetch_related(Prefetch("lines", queryset=lines))
        .order_by("-shipped_at", "-pk")
    )


def home_context(provider, user=None) -> dict:
    if user is None:
        return {"provider": provider}
    items = outstanding_items(user, provider)
    cutoff = overdue_cutoff()
    parcels = restrict(Shipment.objects.filter(provider=provider), user, "view")
    month_ago = timezone.now() - datetime.timedelta(days=30)
    return {
        "provider": provider,
        "outstanding_count": items.count(),
        "overdue_count": items.filter(due_at__lt=cutoff).count(),
        "transit_count": parcels.filter(delivered_at__isnull=True).count(),
        "delivered_count": parcels.filter(delivered_at__gte=month_ago).count(),
        "sla_days": sla_working_days(),
    }


EXPORT_HEADERS = (
    "保单号", "收件人", "手机号", "收货地址", "礼品编码", "礼品名称", "待发数量",
    "等待工作日", "是否超时",
)  # fmt: skip


def export_rows(items):
    """Rows of the outstanding export: masked mobile, working days, the overdue flag."""
    today = local_today()
    for chunk in _chunks(items):
        for row in outstanding_rows(chunk, today):
            yield [
                row.policy_no,
                row.recipient,
                row.phone,
                row.address,
                row.item.gift.code,
                row.item.gift.name,
                row.outstanding,
                row.days,
                _("yes") if row.overdue else _("no"),
            ]


def _chunks(queryset, size: int = 2000):
    chunk = []
    for item in queryset.iterator(chunk_size=size):
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
