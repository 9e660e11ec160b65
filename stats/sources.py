"""Where the statistics read their rows: the gift lines, the daily totals, the hand-outs.

The gift lines (``DistributionItem``) answer every question; the daily totals
(``distribution.HandoutDayTotal``, kept exact by the writers) answer the live hand-outs
by branch, rule and period in a few thousand rows instead of millions; the policies
reached and their premium (counted once per policy, so never summable) then come from the
hand-outs alone, without their lines. Each reader starts from
``giftplatform.access.restrict``.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import DateField, QuerySet
from django.db.models.functions import Trunc

from distribution.models import (
    LIVE_STATUSES,
    Distribution,
    DistributionItem,
    DistributionStatus,
    HandoutDayTotal,
)
from giftplatform.access import restrict
from stats.dimensions import LOCAL, MOMENT

CANCELLED_STATUSES = (DistributionStatus.CANCELLED, DistributionStatus.REJECTED)
# What the daily totals answer exactly (with the hand-outs for the policies reached).
TOTALS_DIMENSIONS = {"branch", "rule", "day", "week", "month", "quarter", "year"}


@dataclass(frozen=True)
class Source:
    """Lookup paths of one kind of row."""

    branch: str
    rule: str
    moment: str  # the period dimensions truncate this
    local: bool = False  # ``moment`` is a local date already
    policy: str = ""
    premium: str = ""

    def period(self, kind: str):
        if self.local:
            return Trunc(self.moment, kind, output_field=DateField())
        return Trunc(self.moment, kind, output_field=DateField(), tzinfo=LOCAL)


LINES = Source(
    "distribution__branch",
    "distribution__rule_code",
    MOMENT,
    policy="distribution__policy_id",
    premium="distribution__policy__premium",
)
TOTALS = Source("branch", "rule_code", "day", local=True)
HANDOUTS = Source(
    "branch", "rule_code", "created_at", policy="policy_id", premium="policy__premium"
)


def answered_by_totals(query) -> bool:
    """Live hand-outs by branch, rule and period only, filtered by those."""
    return (
        not (query.cancelled or query.status or query.provider_id or query.product)
        and set(query.dimensions) <= TOTALS_DIMENSIONS
    )


def local_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=LOCAL)


def _common(rows: QuerySet, source: Source, query) -> QuerySet:
    """The period, branch subtree and rule filters, on ``source``'s paths."""
    if query.date_from:
        rows = rows.filter(**{f"{source.moment}__gte": _bound(source, query.date_from)})
    if query.date_to:
        after = _bound(source, query.date_to + timedelta(days=1))
        rows = rows.filter(**{f"{source.moment}__lt": after})
    if query.branch is not None:
        rows = rows.filter(**{f"{source.branch}__path__startswith": query.branch.path})
    if query.rule_code:
        rows = rows.filter(**{source.rule: query.rule_code})
    return rows


def _bound(source: Source, day: date):
    return day if source.local else local_start(day)


def items_for(user, query) -> QuerySet:
    """The gift lines in ``user``'s scope that ``query``'s filters keep."""
    items = restrict(DistributionItem.objects.all(), user, "view").order_by()
    statuses = CANCELLED_STATUSES if query.cancelled else LIVE_STATUSES
    if query.status:
        statuses = [s for s in statuses if s == query.status]
    items = _common(items.filter(distribution__status__in=list(statuses)), LINES, query)
    if query.provider_id:
        items = items.filter(provider_id=query.provider_id)
    if query.product:
        items = items.filter(distribution__policy__product=query.product)
    return items


def totals_for(user, query) -> QuerySet:
    """The daily totals in ``user``'s scope that ``query``'s filters keep."""
    rows = restrict(HandoutDayTotal.objects.all(), user, "view").order_by()
    return _common(rows.filter(distributions__gt=0), TOTALS, query)


def handouts_for(user, query) -> QuerySet:
    """The live hand-outs in ``user``'s scope that ``query``'s filters keep."""
    rows = restrict(Distribution.objects.all(), user, "view").order_by()
    return _common(rows.filter(status__in=list(LIVE_STATUSES)), HANDOUTS, query)
