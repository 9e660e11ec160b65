"""Where the statistics read their rows: the gift lines, the daily totals, the hand-outs.

The gift lines (``DistributionItem``) answer every question; the daily totals
(``distribution.HandoutDayTotal``, kept exact by the writers) answer the live hand-outs
by branch, rule and period in a few thousand rows instead of millions; the facet totals
(``HandoutMonthFacet`` for the whole months of the period, ``HandoutDayFacet`` for the
days around them) answer them by one attribute of the lines (gift, category, kind,
provider) or of the hand-outs (product, channel, agent, vehicle type, status), with
branch and period. The policies reached and their premium (counted once
per policy, so never summable) come from the hand-outs alone, without their lines, where
the question allows. Each reader starts from ``giftplatform.access.restrict``.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import DateField, QuerySet
from django.db.models.functions import Trunc

from distribution.models import (
    LIVE_STATUSES,
    REACH_ALL,
    Distribution,
    DistributionItem,
    DistributionStatus,
    HandoutDayFacet,
    HandoutDayTotal,
    HandoutMonthFacet,
    HandoutReach,
)
from giftplatform.access import restrict
from stats.dimensions import LOCAL, MOMENT

_DAY = timedelta(days=1)
CANCELLED_STATUSES = (DistributionStatus.CANCELLED, DistributionStatus.REJECTED)
# What the daily totals answer exactly (with the hand-outs for the policies reached).
PERIOD_DIMENSIONS = {"day", "week", "month", "quarter", "year"}
TOTALS_DIMENSIONS = {"branch", "rule", *PERIOD_DIMENSIONS}
# The attributes the facet totals are kept for (distribution.Facet): the gift lines'
# and the hand-outs' own (for which the policies reached need no lines).
LINE_FACETS = {"gift", "category", "kind", "provider"}
HANDOUT_FACETS = {"product", "channel", "agent", "vehicle_type", "status"}
FACET_DIMENSIONS = LINE_FACETS | HANDOUT_FACETS


@dataclass(frozen=True)
class Source:
    """Lookup paths of one kind of row."""

    branch: str
    rule: str
    moment: str  # the period dimensions truncate this
    local: bool = False  # ``moment`` is a local date already
    policy: str = ""
    premium: str = ""
    facet: bool = False  # a facet total: the facet dimension's value is its ``key``
    # The same time on the joined hand-out: filtered too (it changes no answer) so that
    # PostgreSQL reads both sides of the join by their time indexes.
    joined_moment: str = ""

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
    joined_moment="distribution__created_at",
)
TOTALS = Source("branch", "rule_code", "day", local=True)
HANDOUTS = Source(
    "branch", "rule_code", "created_at", policy="policy_id", premium="policy__premium"
)
DAY_FACETS = Source("branch", "", "day", local=True, facet=True)
REACH = Source("branch", "", "day", local=True, policy="policy_id", facet=True)
MONTH_FACETS = Source("branch", "", "month", local=True, facet=True)


def _filtered(query) -> bool:
    """Filtered by more than period, branch and rule (or the cancelled ones asked for)."""
    return bool(query.cancelled or query.status or query.provider_id or query.product)


def answered_by_totals(query) -> bool:
    """Live hand-outs by branch, rule and period only, filtered by those."""
    return not _filtered(query) and set(query.dimensions) <= TOTALS_DIMENSIONS


def _grouped_by_one_of(query, attributes: set) -> set | None:
    """The dimensions among ``attributes`` of a question of live hand-outs filtered by
    period and branch only and grouped, besides those, by branch and period only; None
    for any other question."""
    if _filtered(query) or query.rule_code:
        return None
    dimensions = set(query.dimensions)
    found = dimensions & attributes
    if dimensions - found - PERIOD_DIMENSIONS - {"branch"}:
        return None
    return found


def answered_by_facets(query) -> str:
    """The one facet dimension of a question the facet totals answer ("" when not):
    live hand-outs, filtered by period and branch only, by that facet and by branch and
    period."""
    facets = _grouped_by_one_of(query, FACET_DIMENSIONS)
    return facets.pop() if facets and len(facets) == 1 else ""


def answered_by_reach(query) -> str:
    """The reach rows' facet that counts ``query``'s policies reached ("" when none
    does): live hand-outs, filtered by period and branch only, without their premium,
    grouped by branch and period and at most one line facet (``REACH_ALL`` when none)."""
    if {"premium", "cost_ratio"} & set(query.measures):
        return ""
    facets = _grouped_by_one_of(query, LINE_FACETS)
    if facets is None or len(facets) > 1:
        return ""
    return facets.pop() if facets else REACH_ALL


def reach_for(user, query, facet: str) -> QuerySet:
    """The reach rows of ``facet`` in ``user``'s scope within ``query``'s period and
    branch subtree."""
    rows = restrict(HandoutReach.objects.all(), user, "view").order_by()
    return _common(rows.filter(facet=facet), REACH, query)


def local_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=LOCAL)


def _common(rows: QuerySet, source: Source, query) -> QuerySet:
    """The period, branch subtree and rule filters, on ``source``'s paths."""
    moments = [m for m in (source.moment, source.joined_moment) if m]
    for moment in moments:
        if query.date_from:
            rows = rows.filter(**{f"{moment}__gte": _bound(source, query.date_from)})
        if query.date_to:
            rows = rows.filter(**{f"{moment}__lt": _bound(source, query.date_to + _DAY)})
    if query.branch is not None:
        rows = rows.filter(**{f"{source.branch}__path__startswith": query.branch.path})
    if query.rule_code:
        rows = rows.filter(**{source.rule: query.rule_code})
    return rows


def _bound(source: Source, day: date):
    return day if source.local else local_start(day)


def _statuses(query) -> list[str]:
    statuses = CANCELLED_STATUSES if query.cancelled else LIVE_STATUSES
    return [s for s in statuses if not query.status or s == query.status]


def items_for(user, query) -> QuerySet:
    """The gift lines in ``user``'s scope that ``query``'s filters keep."""
    items = restrict(DistributionItem.objects.all(), user, "view").order_by()
    items = _common(items.filter(distribution__status__in=_statuses(query)), LINES, query)
    if query.provider_id:
        items = items.filter(provider_id=query.provider_id)
    if query.product:
        items = items.filter(distribution__product=query.product)
    return items


def totals_for(user, query) -> QuerySet:
    """The daily totals in ``user``'s scope that ``query``'s filters keep."""
    rows = restrict(HandoutDayTotal.objects.all(), user, "view").order_by()
    return _common(rows.filter(distributions__gt=0), TOTALS, query)


def handouts_for(user, query) -> QuerySet:
    """The hand-outs in ``user``'s scope that ``query``'s filters keep, but for the
    provider, which is the lines' (``reached_by_handouts``)."""
    rows = restrict(Distribution.objects.all(), user, "view").order_by()
    rows = _common(rows.filter(status__in=_statuses(query)), HANDOUTS, query)
    if query.product:
        rows = rows.filter(product=query.product)
    return rows


def reached_by_handouts(query, grouped_too: bool = True) -> bool:
    """Whether the hand-outs reach the same policies as the lines: no line is filtered
    out (every hand-out has lines, and a line's time and branch are its hand-out's), and,
    for the groups, none is grouped by an attribute of the lines."""
    if query.provider_id:
        return False
    return not (grouped_too and set(query.dimensions) & LINE_FACETS)


def facets_for(user, query, facet: str) -> list[tuple[QuerySet, Source]]:
    """The facet totals answering ``query``: the monthly rows of the whole months in its
    period and the daily rows of the days around them (only daily rows when it is
    grouped by day or week, which months do not hold)."""
    months = None if {"day", "week"} & set(query.dimensions) else whole_months(query)
    day_ranges = [(query.date_from, query.date_to)]
    parts = []
    if months is not None:
        first, last = months
        month_rows = _facet_rows(HandoutMonthFacet, user, query, facet)
        if first:
            month_rows = month_rows.filter(month__gte=first)
        if last:
            month_rows = month_rows.filter(month__lte=last)
        parts.append((month_rows, MONTH_FACETS))
        after_last = _next_month(last) if last else None
        day_ranges = [
            (query.date_from, first - timedelta(days=1) if first else None),
            (after_last, query.date_to),
        ]
    for start, end in day_ranges:
        if months is not None and (start is None or end is None or start > end):
            continue  # no days on this side of the months (open ends are months)
        day_rows = _facet_rows(HandoutDayFacet, user, query, facet)
        if start:
            day_rows = day_rows.filter(day__gte=start)
        if end:
            day_rows = day_rows.filter(day__lte=end)
        parts.append((day_rows, DAY_FACETS))
    return parts


def whole_months(query) -> tuple[date | None, date | None] | None:
    """The first and last whole local months (their first days) within the period, None
    at an open end; or None when no whole month fits in it."""
    first = last = None
    if query.date_from:
        first = query.date_from if query.date_from.day == 1 else _next_month(query.date_from)
    if query.date_to:
        month = query.date_to.replace(day=1)
        last = month if _next_month(month) - timedelta(days=1) == query.date_to else None
        if last is None:  # the month before the one the period ends in
            last = (month - timedelta(days=1)).replace(day=1)
    if first and last and first > last:
        return None
    return first, last


def _next_month(day: date) -> date:
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1)


def _facet_rows(model, user, query, facet: str) -> QuerySet:
    rows = restrict(model.objects.all(), user, "view").order_by()
    rows = rows.filter(facet=facet, distributions__gt=0)
    if query.branch is not None:
        rows = rows.filter(branch__path__startswith=query.branch.path)
    return rows
