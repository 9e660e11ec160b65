"""Keep the statistics' running totals equal to the live hand-outs, in the writer's own
transaction: ``HandoutDayTotal`` (per local day, branch and rule) and the facet totals
``HandoutDayFacet`` / ``HandoutMonthFacet`` (per local day or month, branch and gift line
attribute).

``totals_add(ids)`` runs once the hand-outs ``ids`` and their items are written;
``totals_remove(ids)`` once they have left the live statuses (cancelled, rejected);
``with totals_status_change(ids):`` around a move between live statuses. Each
table gets one ``INSERT ... SELECT ... ON CONFLICT DO UPDATE`` that adds (or takes away)
the sums of those hand-outs' own rows, so what is counted is read from the rows, never
restated; the same statement runs on PostgreSQL and SQLite. Rows are upserted in key
order, so two writers touching the same days and branches lock them in the same order.

``totals_rebuild()`` and ``facets_rebuild()`` recompute the tables from every live
hand-out (after a bulk load that bypassed the services, or to check);
``statistics_rebuild()`` does both.
"""

from collections.abc import Iterable
from contextlib import contextmanager

from django.db import connections, transaction
from django.db.models import CharField, Count, DateField, F, QuerySet, Sum, Value
from django.db.models.functions import Cast, Coalesce, Trunc
from django.utils import timezone

from distribution.models import (
    LIVE_STATUSES,
    DistributionItem,
    Facet,
    HandoutDayFacet,
    HandoutDayTotal,
    HandoutMonthFacet,
)

MEASURES = ("distributions", "units", "value", "cost")
# The item field (or its hand-out's) each facet's key is read from (stored as text).
FACET_FIELDS = {
    Facet.GIFT: "gift_id",
    Facet.CATEGORY: "category_id",
    Facet.KIND: "kind",
    Facet.PROVIDER: "provider_id",
    Facet.PRODUCT: "distribution__product",
    Facet.CHANNEL: "distribution__channel",
    Facet.AGENT: "distribution__agent_code",
    Facet.VEHICLE_TYPE: "distribution__vehicle_type",
    Facet.STATUS: "distribution__status",
}


def _local(kind: str) -> Trunc:
    return Trunc(
        "distribution__created_at",
        kind,
        output_field=DateField(),
        tzinfo=timezone.get_default_timezone(),
    )


def _sums(items: QuerySet, keys: dict, money) -> QuerySet:
    """The measures of ``items`` per ``keys`` (column: expression), in key order; the
    columns come out as ``t_<column>``."""
    named = {f"t_{column}": expression for column, expression in keys.items()}
    return (
        items.order_by()
        .annotate(**named)
        .values(*named)
        .annotate(
            t_distributions=Count("distribution_id", distinct=True),
            t_units=Sum("quantity"),
            t_value=Sum(F("quantity") * F("unit_value"), output_field=money),
            t_cost=Sum(F("quantity") * F("unit_cost"), output_field=money),
        )
    )


def _day_total_parts(items: QuerySet, model) -> list[QuerySet]:
    keys = {
        "day": _local("day"),
        "branch_id": F("distribution__branch_id"),
        "rule_code": F("distribution__rule_code"),
    }
    return [_sums(items, keys, model._meta.get_field("value"))]


def _facet_parts(items: QuerySet, model, period: str, facets=FACET_FIELDS) -> list[QuerySet]:
    """One grouped query per facet, each keyed (period, branch, facet, key)."""
    money = model._meta.get_field("value")
    text = CharField(max_length=40)
    return [
        _sums(
            items,
            {
                period: _local(period),
                "branch_id": F("distribution__branch_id"),
                "facet": Value(facet.value, output_field=text),
                "key": Coalesce(Cast(field, text), Value("", output_field=text)),
            },
            money,
        )
        for facet, field in FACET_FIELDS.items()
        if facet in facets
    ]


def _upsert(parts: list[QuerySet], sign: int, model, keys: tuple, using=None) -> None:
    """Add ``sign`` times the sums ``parts`` (all with the same ``t_`` columns) to
    ``model``'s table, whose unique key is ``keys``."""
    table = model._meta.db_table
    db = connections[using or parts[0].db]
    quote = db.ops.quote_name
    sqls, params = [], []
    for part in parts:
        sql, part_params = part.query.sql_with_params()
        sqls.append(f"SELECT * FROM ({sql}) p")  # noqa: S608 (our own SQL)
        params.extend(part_params)
    signed = ", ".join(
        [quote(f"t_{k}") for k in keys] + [f"{sign} * {quote(f't_{m}')}" for m in MEASURES]
    )
    updates = ", ".join(f"{m} = {table}.{m} + EXCLUDED.{m}" for m in MEASURES)
    order = ", ".join(quote(f"t_{k}") for k in keys)
    # Only our own table, column and alias names are spliced in; values stay parameters.
    # "WHERE TRUE" lets SQLite tell the SELECT from the upsert clause.
    statement = (
        f"INSERT INTO {table} ({', '.join(keys + MEASURES)}) "  # noqa: S608
        f"SELECT {signed} FROM ({' UNION ALL '.join(sqls)}) delta WHERE TRUE "
        f"ORDER BY {order} "
        f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {updates}"
    )
    with db.cursor() as cursor:
        cursor.execute(statement, params)


DAY_TOTAL_KEYS = ("day", "branch_id", "rule_code")


def _facet_keys(period: str) -> tuple:
    return ("facet", period, "branch_id", "key")


def _apply(items: QuerySet, sign: int) -> None:
    _upsert(_day_total_parts(items, HandoutDayTotal), sign, HandoutDayTotal, DAY_TOTAL_KEYS)
    for model, period in ((HandoutDayFacet, "day"), (HandoutMonthFacet, "month")):
        _upsert(_facet_parts(items, model, period), sign, model, _facet_keys(period))


def totals_add(distribution_ids: Iterable[int]) -> None:
    """Count the live hand-outs ``distribution_ids`` (just written, with their items)."""
    ids = list(distribution_ids)
    if ids:
        items = DistributionItem.objects.filter(
            distribution_id__in=ids, distribution__status__in=list(LIVE_STATUSES)
        )
        _apply(items, +1)


def totals_remove(distribution_ids: Iterable[int]) -> None:
    """Take away the hand-outs ``distribution_ids``, which have just left the live
    statuses (their items are summed as they were counted: items never change what
    is counted)."""
    ids = list(distribution_ids)
    if ids:
        _apply(DistributionItem.objects.filter(distribution_id__in=ids), -1)


@contextmanager
def totals_status_change(distribution_ids: Iterable[int]):
    """Around a change of the live hand-outs ``distribution_ids`` from one live status to
    another (approval): their rows of the status facet move from the old to the new."""
    items = DistributionItem.objects.filter(distribution_id__in=list(distribution_ids))
    _status_facet(items, -1)  # read before the change: the old status
    yield
    _status_facet(items, +1)


def _status_facet(items: QuerySet, sign: int) -> None:
    for model, period in ((HandoutDayFacet, "day"), (HandoutMonthFacet, "month")):
        parts = _facet_parts(items, model, period, facets=(Facet.STATUS,))
        _upsert(parts, sign, model, _facet_keys(period))


def _analyze(*models) -> None:
    db = connections[models[0].objects.db]
    if db.vendor == "postgresql":  # the planner's row counts, or it sorts 100,000s of rows
        with db.cursor() as cursor:
            for model in models:
                cursor.execute(f"ANALYZE {model._meta.db_table}")


def _live(items) -> QuerySet:
    return items.objects.filter(distribution__status__in=list(LIVE_STATUSES))


@transaction.atomic
def totals_rebuild(items=DistributionItem, totals=HandoutDayTotal) -> int:
    """Recompute the daily totals from the live hand-outs; the number of rows written.
    The models may be a migration's historical ones."""
    totals.objects.all().delete()
    _upsert(_day_total_parts(_live(items), totals), +1, totals, DAY_TOTAL_KEYS)
    _analyze(totals)
    return totals.objects.count()


@transaction.atomic
def facets_rebuild(
    items=DistributionItem, day=HandoutDayFacet, month=HandoutMonthFacet, facets=FACET_FIELDS
) -> int:
    """Recompute both facet tables from the live hand-outs; the rows written. A
    migration passes its historical models and the facets its schema has."""
    for model, period in ((day, "day"), (month, "month")):
        model.objects.all().delete()
        parts = _facet_parts(_live(items), model, period, facets)
        _upsert(parts, +1, model, _facet_keys(period))
    _analyze(day, month)
    return day.objects.count() + month.objects.count()


def statistics_rebuild() -> int:
    """Every running total recomputed; the rows written."""
    return totals_rebuild() + facets_rebuild()
