"""Keep ``HandoutDayTotal`` equal to the live hand-outs, in the writer's own transaction.

``totals_add(ids)`` runs once the hand-outs ``ids`` and their items are written;
``totals_remove(ids)`` once they have left the live statuses (cancelled, rejected). Each
is one ``INSERT ... SELECT ... ON CONFLICT DO UPDATE`` that adds (or takes away) the sums
of those hand-outs' own rows, so what is counted is read from the rows, never restated;
the same statement runs on PostgreSQL and SQLite. Rows are upserted in key order, so two
writers touching the same days and branches lock them in the same order.

``totals_rebuild()`` recomputes the table from every live hand-out (after a bulk load
that bypassed the services, or to check).
"""

from collections.abc import Iterable

from django.db import connections, transaction
from django.db.models import Count, DateField, F, QuerySet, Sum
from django.db.models.functions import Trunc
from django.utils import timezone

from distribution.models import LIVE_STATUSES, DistributionItem, HandoutDayTotal

KEYS = ("day", "branch_id", "rule_code")
MEASURES = ("distributions", "units", "value", "cost")


def _sums(items: QuerySet, money) -> QuerySet:
    """The measures of ``items`` per (local day, branch, rule), in key order."""
    return (
        items.order_by()
        .annotate(
            t_day=Trunc(
                "distribution__created_at",
                "day",
                output_field=DateField(),
                tzinfo=timezone.get_default_timezone(),
            ),
            t_branch=F("distribution__branch_id"),
            t_rule=F("distribution__rule_code"),
        )
        .values("t_day", "t_branch", "t_rule")
        .annotate(
            t_distributions=Count("distribution_id", distinct=True),
            t_units=Sum("quantity"),
            t_value=Sum(F("quantity") * F("unit_value"), output_field=money),
            t_cost=Sum(F("quantity") * F("unit_cost"), output_field=money),
        )
        .order_by("t_day", "t_branch", "t_rule")
    )


def _upsert(items: QuerySet, sign: int, totals=HandoutDayTotal, using=None) -> None:
    """Add ``sign`` times the sums of ``items`` to ``totals`` (a historical model in the
    migration that fills the table)."""
    sql, params = _sums(items, totals._meta.get_field("value")).query.sql_with_params()
    table = totals._meta.db_table
    db = connections[using or items.db]
    quote = db.ops.quote_name
    signed = ", ".join(
        [quote(f"t_{k}") for k in ("day", "branch", "rule")]
        + [f"{sign} * {quote(f't_{m}')}" for m in MEASURES]
    )
    updates = ", ".join(f"{m} = {table}.{m} + EXCLUDED.{m}" for m in MEASURES)
    # Only our own table, column and alias names are spliced in; values stay parameters.
    # "WHERE TRUE" lets SQLite tell the SELECT from the upsert clause.
    statement = (
        f"INSERT INTO {table} ({', '.join(KEYS + MEASURES)}) "  # noqa: S608
        f"SELECT {signed} FROM ({sql}) delta WHERE TRUE "
        f"ON CONFLICT ({', '.join(KEYS)}) DO UPDATE SET {updates}"
    )
    with db.cursor() as cursor:
        cursor.execute(statement, params)


def totals_add(distribution_ids: Iterable[int]) -> None:
    """Count the live hand-outs ``distribution_ids`` (just written, with their items)."""
    ids = list(distribution_ids)
    if ids:
        items = DistributionItem.objects.filter(
            distribution_id__in=ids, distribution__status__in=list(LIVE_STATUSES)
        )
        _upsert(items, +1)


def totals_remove(distribution_ids: Iterable[int]) -> None:
    """Take away the hand-outs ``distribution_ids``, which have just left the live
    statuses (their items are summed as they were counted: quantities never change)."""
    ids = list(distribution_ids)
    if ids:
        _upsert(DistributionItem.objects.filter(distribution_id__in=ids), -1)


@transaction.atomic
def totals_rebuild(items=DistributionItem, totals=HandoutDayTotal) -> int:
    """Recompute every row from the live hand-outs; the number of rows written. The models
    may be a migration's historical ones."""
    totals.objects.all().delete()
    _upsert(items.objects.filter(distribution__status__in=list(LIVE_STATUSES)), +1, totals)
    db = connections[totals.objects.db]
    if db.vendor == "postgresql":  # the planner's row counts, or it sorts 100,000s of rows
        with db.cursor() as cursor:
            cursor.execute(f"ANALYZE {totals._meta.db_table}")
    return totals.objects.count()
