"""Keep the statistics' running totals equal to the live hand-outs, in the writer's own
transaction: ``HandoutDayTotal`` (per local day, branch and rule) and the facet totals
``HandoutDayFacet`` / ``HandoutMonthFacet`` (per local day or month, branch and one
attribute of the line or the hand-out).

``totals_add(ids)`` runs once the hand-outs ``ids`` and their items are written;
``totals_remove(ids)`` once they have left the live statuses (cancelled, rejected);
``with totals_status_change(ids):`` around a move between live statuses. Each table
gets an ``INSERT ... SELECT ... ON CONFLICT DO UPDATE`` that adds (or takes away) the
sums of those hand-outs' own lines, so what is counted is read from the rows, never
restated; PostgreSQL runs the three as one statement, SQLite one by one. Rows are
upserted in key order, so two writers touching the same rows lock them in one order.

Both also keep the policies reached (``distribution.services.reach``).

``totals_rebuild()`` and ``facets_rebuild()`` recompute the tables from every live
hand-out (after a bulk load that bypassed the services, or to check);
``statistics_rebuild()`` does both, and the reach rows.
"""

from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import connections, transaction
from django.db.models import QuerySet

from distribution.models import (
    LIVE_STATUSES,
    DistributionItem,
    Facet,
    HandoutDayFacet,
    HandoutDayTotal,
    HandoutMonthFacet,
)
from distribution.services.lines import FACET_FIELDS, lines_sql
from distribution.services.reach import reach_add, reach_rebuild, reach_remove

MEASURES = ("distributions", "units", "value", "cost")


# Each total's sums over the lines of one group (a hand-out lies in one day, branch and
# rule, so its lines' distinct count per group adds up across days and branches).
SUMS = (
    "COUNT(DISTINCT l_handout) AS t_distributions, SUM(l_units) AS t_units, "
    "SUM(l_value) AS t_value, SUM(l_cost) AS t_cost"
)


def _day_total_groups() -> list[str]:
    return [
        "SELECT l_day AS t_day, l_branch_id AS t_branch_id, l_rule_code AS t_rule_code, "  # noqa: S608
        f"{SUMS} FROM lines GROUP BY l_day, l_branch_id, l_rule_code"
    ]


def _facet_groups(period: str, facets) -> list[str]:
    """One grouped SELECT per facet, each keyed (facet, period, branch, key)."""
    groups = []
    for facet in facets:
        assert str(facet).isidentifier()  # spliced in as a literal: our own codes only
        groups.append(
            f"SELECT '{facet}' AS t_facet, l_{period} AS t_{period}, "  # noqa: S608
            f"l_branch_id AS t_branch_id, f_{facet} AS t_key, {SUMS} "
            f"FROM lines GROUP BY l_{period}, l_branch_id, f_{facet}"
        )
    return groups


@dataclass(frozen=True)
class Upsert:
    """Add the sums ``groups`` (SELECTs over the common table ``lines``, all with the same
    ``t_`` columns) to ``model``'s table, whose unique key is ``keys``."""

    model: type
    keys: tuple
    groups: list[str]

    def sql(self, sign: int) -> str:
        table = self.model._meta.db_table
        keys = self.keys
        signed = ", ".join([f"t_{k}" for k in keys] + [f"{sign} * t_{m}" for m in MEASURES])
        updates = ", ".join(f"{m} = {table}.{m} + EXCLUDED.{m}" for m in MEASURES)
        # Only our own table, column and alias names are spliced in; values stay
        # parameters. "WHERE TRUE" lets SQLite tell the SELECT from the upsert clause.
        return (
            f"INSERT INTO {table} ({', '.join(keys + MEASURES)}) "  # noqa: S608
            f"SELECT {signed} FROM ({' UNION ALL '.join(self.groups)}) delta WHERE TRUE "
            f"ORDER BY {', '.join(f't_{k}' for k in keys)} "
            f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {updates}"
        )


def _run(items: QuerySet, upserts: list[Upsert], facets, sign: int) -> None:
    """The ``upserts`` of ``sign`` times the sums of ``items``' lines. PostgreSQL runs them
    as one statement (the first ones as data-modifying common tables), reading the lines
    once; SQLite, which has no such tables, one statement each. Every writer sends the
    same tables in the same order, each upsert its rows in key order, so two writers
    lock shared rows in one order (the concurrency tests on PostgreSQL hold them to it)."""
    db = connections[items.db]
    money = upserts[0].model._meta.get_field("value")
    lines, params = lines_sql(items, money, facets)
    if db.vendor == "postgresql":
        modifying = [f"u{n} AS ({u.sql(sign)} RETURNING 1)" for n, u in enumerate(upserts[:-1])]
        statements = [
            f"WITH {', '.join([f'lines AS ({lines})', *modifying])} {upserts[-1].sql(sign)}"
        ]
    else:
        statements = [f"WITH lines AS ({lines}) {u.sql(sign)}" for u in upserts]
    with db.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement, params)


DAY_TOTAL_KEYS = ("day", "branch_id", "rule_code")
FACET_TABLES = ((HandoutDayFacet, "day"), (HandoutMonthFacet, "month"))


def _facet_keys(period: str) -> tuple:
    return ("facet", period, "branch_id", "key")


def _day_totals(model=HandoutDayTotal) -> Upsert:
    return Upsert(model, DAY_TOTAL_KEYS, _day_total_groups())


def _facets(facets=FACET_FIELDS, tables=FACET_TABLES) -> list[Upsert]:
    return [
        Upsert(model, _facet_keys(period), _facet_groups(period, facets))
        for model, period in tables
    ]


def _apply(items: QuerySet, sign: int) -> None:
    _run(items, [_day_totals(), *_facets()], FACET_FIELDS, sign)


def totals_add(distribution_ids: Iterable[int]) -> None:
    """Count the live hand-outs ``distribution_ids`` (just written, with their items)."""
    ids = list(distribution_ids)
    if ids:
        items = DistributionItem.objects.filter(
            distribution_id__in=ids, distribution__status__in=list(LIVE_STATUSES)
        )
        _apply(items, +1)
        reach_add(ids)


def totals_remove(distribution_ids: Iterable[int]) -> None:
    """Take away the hand-outs ``distribution_ids``, which have just left the live
    statuses (their items are summed as they were counted: items never change what
    is counted)."""
    ids = list(distribution_ids)
    if ids:
        _apply(DistributionItem.objects.filter(distribution_id__in=ids), -1)
        reach_remove(ids)


@contextmanager
def totals_status_change(distribution_ids: Iterable[int]):
    """Around a change of the live hand-outs ``distribution_ids`` from one live status to
    another (approval): their rows of the status facet move from the old to the new."""
    items = DistributionItem.objects.filter(distribution_id__in=list(distribution_ids))
    _status_facet(items, -1)  # read before the change: the old status
    yield
    _status_facet(items, +1)


def _status_facet(items: QuerySet, sign: int) -> None:
    facets = (Facet.STATUS,)
    _run(items, _facets(facets), facets, sign)


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
    _run(_live(items), [_day_totals(totals)], (), +1)
    _analyze(totals)
    return totals.objects.count()


@transaction.atomic
def facets_rebuild(
    items=DistributionItem, day=HandoutDayFacet, month=HandoutMonthFacet, facets=FACET_FIELDS
) -> int:
    """Recompute both facet tables from the live hand-outs; the rows written. A
    migration passes its historical models and the facets its schema has."""
    for model in (day, month):
        model.objects.all().delete()
    _run(_live(items), _facets(facets, ((day, "day"), (month, "month"))), facets, +1)
    _analyze(day, month)
    return day.objects.count() + month.objects.count()


def statistics_rebuild() -> int:
    """Every running total recomputed; the rows written."""
    return totals_rebuild() + facets_rebuild() + reach_rebuild()
