"""Supplier delivery times for the statistics overview: which suppliers are late.

Items
    The physical gift lines of suppliers (providers of kind goods) of hand-outs made in
    the period (local days), in the user's scope (``giftplatform.access.restrict`` first),
    within the drill-down branch's subtree when there is one; only hand-outs that are due
    to ship (approved, being fulfilled, completed) and items to ship, shipped or
    delivered. Items awaiting approval, cancelled or rejected are not due: left out.
Times
    In working days of the mainland calendar, counted exactly as the supplier portal
    counts "working days waiting" (``distribution.shipment_selectors``: chinese_calendar,
    public holidays off, the swapped working weekends on), from the local day the item
    fell due (its hand-out, or its approval when it needed one) to the local day its last
    parcel was shipped, and to the day its last parcel was delivered. Working days rather
    than calendar days because the SLA is in working days: a manager compares the median
    and the 90th percentile with it directly, and a National Day week does not make a
    supplier look slow.
Overdue
    An item shipped more than ``SHIPMENT_SLA_WORKING_DAYS`` working days after it fell
    due, or still to ship after more than that many working days as of today.
Percentiles
    ``percentile_cont``: linear interpolation between the two nearest ranks. PostgreSQL
    computes it in SQL (``percentile_cont(p) WITHIN GROUP (ORDER BY ...)``). SQLite has no
    such aggregate, so there one more statement returns each supplier's histogram of
    durations (a row per supplier and distinct number of days, never a row per item) and
    the same formula runs over it in Python. The tests check both against a brute force.
How
    Working days in SQL: every local day from the period's start (or today, if earlier)
    to today (or the period's end, if later) gets its working-day ordinal (working days
    since the first), passed in as one JSON parameter that the database unpacks into a
    table (whatever the period's length); working days between two days is the
    difference of their ordinals. The item rows come from the ORM (restrict, filters,
    each item's due, shipped and delivered day); one hand-written statement groups them
    per supplier and for the total (UNION ALL). Queries: one for the suppliers (two on
    SQLite), and two for the overdue list (the rows, their number), whatever the rows.
"""

import datetime
import json
import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import (
    Case,
    DateField,
    F,
    IntegerField,
    Max,
    OuterRef,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, TruncDate

from distribution import rawsql
from distribution.models import DistributionItem, DistributionStatus, ItemStatus, ShipmentLine
from distribution.shipment_selectors import (
    local_today,
    outstanding_items,
    overdue_cutoff,
    sla_working_days,
    waiting,
    working_days_between,
)
from giftplatform.access import restrict
from giftplatform.models import Branch
from gifts.models import GiftKind
from stats.dimensions import LOCAL
from stats.selectors import local_start
from suppliers.models import ProviderKind

PERCENTILES = (Decimal("0.5"), Decimal("0.9"))
DUE_HANDOUTS = (
    DistributionStatus.APPROVED,
    DistributionStatus.FULFILLING,
    DistributionStatus.COMPLETED,
)
DUE_ITEMS = (ItemStatus.TO_SHIP, ItemStatus.SHIPPED, ItemStatus.DELIVERED)
TENTH = Decimal("0.1")
OVERDUE_LIST_LIMIT = 20


@dataclass(frozen=True)
class SupplierDelivery:
    """One supplier's items of the period (``supplier_id`` None: the total row)."""

    supplier_id: int | None
    code: str
    name: str
    items: int = 0
    shipped: int = 0
    delivered: int = 0
    waiting: int = 0
    parcels: int = 0
    shipped_late: int = 0
    waiting_late: int = 0
    ship_median: Decimal | None = None  # working days from due to shipped
    ship_p90: Decimal | None = None
    delivery_median: Decimal | None = None  # working days from due to delivered
    delivery_p90: Decimal | None = None

    @property
    def overdue(self) -> int:
        return self.shipped_late + self.waiting_late

    @property
    def overdue_percent(self) -> Decimal | None:
        if not self.items:
            return None
        return (Decimal(self.overdue) * 100 / self.items).quantize(TENTH, ROUND_HALF_UP)


@dataclass(frozen=True)
class DeliveryTimes:
    rows: list[SupplierDelivery]  # the latest first: most items overdue
    total: SupplierDelivery
    sla_days: int
    today: datetime.date


def period_items(
    *, user, date_from: datetime.date, date_to: datetime.date, branch: Branch | None = None
) -> QuerySet:
    """The suppliers' items of hand-outs made ``date_from``..``date_to`` (local days)
    that are due to ship, in ``user``'s scope and ``branch``'s subtree."""
    items = (
        restrict(DistributionItem.objects.all(), user, "view")
        .order_by()
        .filter(
            provider__kind=ProviderKind.GOODS,
            gift__kind=GiftKind.PHYSICAL,
            status__in=DUE_ITEMS,
            distribution__status__in=DUE_HANDOUTS,
            distribution__created_at__gte=local_start(date_from),
            distribution__created_at__lt=local_start(date_to + datetime.timedelta(days=1)),
        )
    )
    if branch is not None:
        items = items.filter(distribution__branch__path__startswith=branch.path)
    return items


def _last_parcel(field_name: str) -> Subquery:
    """The latest ``field_name`` of the parcels carrying the item."""
    lines = (
        ShipmentLine.objects.filter(item=OuterRef("pk"))
        .order_by()
        .values("item")
        .annotate(last=Max(f"shipment__{field_name}"))
        .values("last")
    )
    return Subquery(lines)


def _local_day(expression):
    return TruncDate(expression, tzinfo=LOCAL, output_field=DateField())


def _timed_rows(items: QuerySet) -> QuerySet:
    """Per item: supplier, due day, shipped day (when fully shipped), delivered day (when
    delivered), and whether it is still to ship."""
    shipped = (ItemStatus.SHIPPED, ItemStatus.DELIVERED)
    return items.values(
        item_id=F("pk"),
        supplier_id=F("provider_id"),
        supplier_code=F("provider__code"),
        supplier_name=F("provider__name"),
        due_day=_local_day(Coalesce("distribution__decided_at", "distribution__created_at")),
        ship_day=Case(
            When(status__in=shipped, then=_local_day(_last_parcel("shipped_at"))),
            default=Value(None),
            output_field=DateField(),
        ),
        deliver_day=Case(
            When(status=ItemStatus.DELIVERED, then=_local_day(_last_parcel("delivered_at"))),
            default=Value(None),
            output_field=DateField(),
        ),
        still_to_ship=Case(
            When(status=ItemStatus.TO_SHIP, then=Value(1)),
            default=Value(0),
            output_field=IntegerField(),
        ),
    )


def working_day_ordinals(first: datetime.date, last: datetime.date) -> dict[datetime.date, int]:
    """Each day from ``first`` to ``last`` -> working days after ``first`` up to that day, so
    that ``working_days_between(a, b) == ordinal[b] - ordinal[a]`` for a <= b."""
    ordinals, count, day = {first: 0}, 0, first
    while day < last:
        following = day + datetime.timedelta(days=1)
        count += working_days_between(day, following)
        ordinals[following] = count
        day = following
    return ordinals


# The calendar travels as one JSON parameter, [["2026-10-01", 0], ...], which the database
# unpacks: a period of any length stays one parameter (a VALUES list of two parameters a
# day would pass SQLite's and PostgreSQL's limits on parameters after some decades).
CALENDAR_SQL = {
    "postgresql": "SELECT (e->>0)::date, (e->>1)::int FROM json_array_elements(CAST(%s AS json)) e",
    "sqlite": "SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(%s)",
}


SUPPLIER_SQL = """
WITH items AS {materialized}({items}),
calendar (day, ordinal) AS ({calendar}),
timed AS (
  SELECT i.item_id, i.supplier_id, i.supplier_code, i.supplier_name, i.still_to_ship,
         due.ordinal AS due_ordinal,
         CASE WHEN shipped.ordinal IS NULL THEN NULL
              WHEN shipped.ordinal > due.ordinal THEN shipped.ordinal - due.ordinal
              ELSE 0 END AS to_ship,
         CASE WHEN delivered.ordinal IS NULL THEN NULL
              WHEN delivered.ordinal > due.ordinal THEN delivered.ordinal - due.ordinal
              ELSE 0 END AS to_deliver
  FROM items i
  JOIN calendar due ON due.day = i.due_day
  LEFT JOIN calendar shipped ON shipped.day = i.ship_day
  LEFT JOIN calendar delivered ON delivered.day = i.deliver_day
),
parcels AS (
  SELECT DISTINCT t.supplier_id, l.shipment_id
  FROM timed t JOIN {lines} l ON l.item_id = t.item_id
)
{select}
"""

AGGREGATES = """
  COUNT(*), COUNT(to_ship), COUNT(to_deliver), SUM(still_to_ship),
  SUM(CASE WHEN to_ship > %s THEN 1 ELSE 0 END),
  SUM(CASE WHEN still_to_ship = 1 AND %s - due_ordinal > %s THEN 1 ELSE 0 END)
  {percentiles}
"""

PG_PERCENTILES = """,
  percentile_cont(0.5) WITHIN GROUP (ORDER BY to_ship),
  percentile_cont(0.9) WITHIN GROUP (ORDER BY to_ship),
  percentile_cont(0.5) WITHIN GROUP (ORDER BY to_deliver),
  percentile_cont(0.9) WITHIN GROUP (ORDER BY to_deliver)
"""

GROUPED_SELECT = """
SELECT supplier_id, supplier_code, supplier_name, {aggregates},
  (SELECT COUNT(*) FROM parcels p WHERE p.supplier_id = t.supplier_id)
FROM timed t GROUP BY supplier_id, supplier_code, supplier_name
UNION ALL
SELECT NULL, NULL, NULL, {aggregates}, (SELECT COUNT(*) FROM parcels)
FROM timed t
"""

HISTOGRAM_SELECT = """
SELECT 'ship', supplier_id, to_ship, COUNT(*) FROM timed
WHERE to_ship IS NOT NULL GROUP BY supplier_id, to_ship
UNION ALL
SELECT 'deliver', supplier_id, to_deliver, COUNT(*) FROM timed
WHERE to_deliver IS NOT NULL GROUP BY supplier_id, to_deliver
"""


def delivery_times(
    *,
    user,
    date_from: datetime.date,
    date_to: datetime.date,
    branch: Branch | None = None,
    today: datetime.date | None = None,
) -> DeliveryTimes:
    """Per supplier and in total: items, parcels, shipped, delivered, median and 90th
    percentile of working days to shipment and to delivery, items overdue."""
    today = today or local_today()
    sla = sla_working_days()
    items = period_items(user=user, date_from=date_from, date_to=date_to, branch=branch)
    empty = SupplierDelivery(supplier_id=None, code="", name="")
    try:
        item_sql, item_params = _timed_rows(items).query.sql_with_params()
    except EmptyResultSet:  # restrict() gave .none()
        return DeliveryTimes(rows=[], total=empty, sla_days=sla, today=today)
    # From the earlier of the period's start and today (a period may lie ahead).
    ordinals = working_day_ordinals(min(date_from, today), max(today, date_to))
    calendar = json.dumps([[day.isoformat(), n] for day, n in ordinals.items()])
    postgres = connection.vendor == "postgresql"
    aggregates = AGGREGATES.format(percentiles=PG_PERCENTILES if postgres else "")
    aggregate_params = [sla, ordinals[today], sla]

    def statement(select: str) -> str:
        return SUPPLIER_SQL.format(
            # Each item's shipped and delivered day is a subquery: computed once per item,
            # not once per calendar row it is compared with (PostgreSQL would inline the
            # CTE into the joins; SQLite materializes it as it is).
            materialized="MATERIALIZED " if postgres else "",
            items=item_sql,
            calendar=CALENDAR_SQL[connection.vendor],
            lines=connection.ops.quote_name(ShipmentLine._meta.db_table),
            select=select,
        )

    head = [*item_params, calendar]
    rows = rawsql.fetch_all(
        statement(GROUPED_SELECT.format(aggregates=aggregates)),
        [*head, *aggregate_params, *aggregate_params],
    )
    if postgres:
        percentiles = {row[0]: [_tenth(v) for v in row[9:13]] for row in rows}
    else:
        histograms = rawsql.fetch_all(statement(HISTOGRAM_SELECT), head)
        percentiles = _percentiles_from_histograms(histograms)
    suppliers, total = [], empty
    for row in rows:
        figures = SupplierDelivery(
            supplier_id=row[0],
            code=row[1] or "",
            name=row[2] or "",
            items=row[3],
            shipped=row[4],
            delivered=row[5],
            waiting=row[6] or 0,
            shipped_late=row[7] or 0,
            waiting_late=row[8] or 0,
            parcels=row[-1],
            ship_median=percentiles.get(row[0], [None] * 4)[0],
            ship_p90=percentiles.get(row[0], [None] * 4)[1],
            delivery_median=percentiles.get(row[0], [None] * 4)[2],
            delivery_p90=percentiles.get(row[0], [None] * 4)[3],
        )
        if row[0] is None:
            total = figures
        else:
            suppliers.append(figures)
    suppliers.sort(key=lambda s: (-s.overdue, -(s.overdue_percent or 0), s.code))
    return DeliveryTimes(rows=suppliers, total=total, sla_days=sla, today=today)


def _tenth(value) -> Decimal | None:
    if value is None:
        return None
    return Decimal(str(value)).quantize(TENTH, ROUND_HALF_UP)


def percentile_cont(counts: dict[int, int], fraction: Decimal) -> Decimal | None:
    """PostgreSQL's ``percentile_cont`` over values given as {value: how many times}."""
    size = sum(counts.values())
    if not size:
        return None
    position = fraction * (size - 1)
    lower_rank, upper_rank = math.floor(position), math.ceil(position)
    lower = upper = None
    seen = 0
    for value in sorted(counts):
        seen += counts[value]
        if lower is None and seen > lower_rank:
            lower = value
        if seen > upper_rank:
            upper = value
            break
    exact = Decimal(lower) + (Decimal(upper) - Decimal(lower)) * (position - lower_rank)
    return exact.quantize(TENTH, ROUND_HALF_UP)


def _percentiles_from_histograms(histograms) -> dict:
    """{supplier id or None (total): [ship median, ship p90, delivery median, p90]}."""
    counts = {"ship": defaultdict(Counter), "deliver": defaultdict(Counter)}
    for measure, supplier_id, days, number in histograms:
        counts[measure][supplier_id][days] += number
        counts[measure][None][days] += number
    suppliers = set(counts["ship"]) | set(counts["deliver"])
    return {
        supplier_id: [
            percentile_cont(counts[measure].get(supplier_id, {}), fraction)
            for measure in ("ship", "deliver")
            for fraction in PERCENTILES
        ]
        for supplier_id in suppliers
    }


@dataclass(frozen=True)
class OverdueItem:
    item: DistributionItem
    days: int  # working days waited


@dataclass
class OverdueShipments:
    items: list[OverdueItem] = field(default_factory=list)
    count: int = 0
    sla_days: int = 0


def overdue_shipments(
    *,
    user,
    branch: Branch | None = None,
    today: datetime.date | None = None,
    limit: int = OVERDUE_LIST_LIMIT,
) -> OverdueShipments:
    """Suppliers' items still to ship past the SLA, whenever handed out (the oldest first,
    at most ``limit``), and how many there are: two queries. Not bound to the period: an
    item handed out last month and still waiting is exactly what a manager must chase."""
    today = today or local_today()
    late = (
        outstanding_items(user)
        .filter(
            provider__kind=ProviderKind.GOODS,
            gift__kind=GiftKind.PHYSICAL,
            distribution__status__in=DUE_HANDOUTS,
            due_at__lt=overdue_cutoff(today),
        )
        .select_related("provider", "gift", "distribution__branch", "distribution__policy")
    )
    if branch is not None:
        late = late.filter(distribution__branch__path__startswith=branch.path)
    rows = [
        OverdueItem(item=item, days=waiting(item, today)[0])
        for item in late.order_by("due_at", "pk")[:limit]
    ]
    return OverdueShipments(items=rows, count=late.count(), sla_days=sla_working_days())
