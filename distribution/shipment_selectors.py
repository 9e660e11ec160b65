"""Reads about shipping: what a supplier still has to ship, how long it has waited.

Outstanding = an item to ship (``ItemStatus.TO_SHIP``) less what its shipment lines
already carry. Waiting is counted in working days on the mainland calendar
(``chinese_calendar``: weekends and public holidays off, the swapped working
Saturdays and Sundays on), from the day the item became due: the hand-out, or its
approval when it needed one. An item is overdue past ``SHIPMENT_SLA_WORKING_DAYS``
(default 3).
"""

import datetime
from functools import lru_cache

import chinese_calendar
from django.conf import settings
from django.db.models import F, IntegerField, OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from distribution.models import DistributionItem, ItemStatus, Shipment, ShipmentLine
from giftplatform.access import restrict

DEFAULT_SLA_WORKING_DAYS = 3


def sla_working_days() -> int:
    return int(getattr(settings, "SHIPMENT_SLA_WORKING_DAYS", DEFAULT_SLA_WORKING_DAYS))


def _is_workday(day: datetime.date) -> bool:
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:  # a year the package has no holiday table for
        return day.weekday() < 5


@lru_cache(maxsize=4096)
def working_days_between(start: datetime.date, end: datetime.date) -> int:
    """Working days after ``start`` up to and including ``end`` (0 on the same day)."""
    if end <= start:
        return 0
    days, day = 0, start + datetime.timedelta(days=1)
    while day <= end:
        days += _is_workday(day)
        day += datetime.timedelta(days=1)
    return days


def local_today() -> datetime.date:
    return timezone.localdate()


def shipped_quantity() -> Subquery:
    """What an item's shipment lines carry (0 when none), for ``annotate``."""
    lines = (
        ShipmentLine.objects.filter(item=OuterRef("pk"))
        .order_by()
        .values("item")
        .annotate(total=Sum("quantity"))
        .values("total")
    )
    return Coalesce(Subquery(lines, output_field=IntegerField()), Value(0))


def outstanding_items(user, provider=None) -> QuerySet[DistributionItem]:
    """Physical items still to ship, in ``user``'s scope, with ``outstanding`` and ``due_at``."""
    items = restrict(DistributionItem.objects.all(), user, "view").filter(status=ItemStatus.TO_SHIP)
    if provider is not None:
        items = items.filter(provider=provider)
    return (
        items.annotate(
            shipped=shipped_quantity(),
            due_at=Coalesce("distribution__decided_at", "distribution__created_at"),
        )
        .annotate(outstanding=F("quantity") - F("shipped"))
        .filter(outstanding__gt=0)
        .select_related("gift", "distribution__policy")
    )


def waiting(item, today: datetime.date | None = None) -> tuple[int, bool]:
    """(working days waited, overdue) of an item annotated by ``outstanding_items``."""
    today = today or local_today()
    due = timezone.localtime(item.due_at).date()
    days = working_days_between(due, today)
    return days, days > sla_working_days()


def overdue_cutoff(today: datetime.date | None = None) -> datetime.datetime:
    """Items due before this moment are overdue: the start of the day that is SLA working
    days before today (so that filtering overdue rows is one indexed comparison)."""
    today = today or local_today()
    limit, day = sla_working_days(), today
    while working_days_between(day, today) <= limit:
        day -= datetime.timedelta(days=1)
    # Due on ``day`` or earlier: more than ``limit`` working days have passed since.
    next_day = day + datetime.timedelta(days=1)
    return timezone.make_aware(datetime.datetime.combine(next_day, datetime.time()))


def shipments_of_items(item_ids) -> dict[int, list[Shipment]]:
    """item id -> its shipments (with lines' quantities), in one query."""
    found: dict[int, list] = {}
    lines = (
        ShipmentLine.objects.filter(item_id__in=list(item_ids))
        .select_related("shipment")
        .order_by("shipment__shipped_at", "pk")
    )
    for line in lines:
        found.setdefault(line.item_id, []).append(line)
    return found
