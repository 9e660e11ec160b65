"""Keep ``HandoutReach`` equal to the live hand-outs, in the writer's transaction.

Each live hand-out has one row per distinct value of each line facet in ``REACH_FACETS``
and one ``REACH_ALL`` row; each row carries the local day of its policy's previous live
hand-out under the same value (``previous_day``) and whether its policy's live hand-outs
lie in more than one branch (``spans``). Both depend on the policy's other hand-outs, so
a writer re-chains every row of the policies it touched, reading them as they are once
it holds the policy: hand-outs lock their policy row first (``distribution_create``, a
batch's chunk), and so do cancellation and rejection (``handout._lock``). Two writers
of one policy therefore never re-chain it from rows the other has not committed.

``reach_add(ids)`` after ``totals_add``; ``reach_remove(ids)`` after ``totals_remove``
(their callers); ``reach_rebuild()`` recomputes the table from the live lines.
"""

from django.db import connections, transaction
from django.db.models import DecimalField, QuerySet

from distribution.models import (
    LIVE_STATUSES,
    REACH_ALL,
    Distribution,
    DistributionItem,
    Facet,
    HandoutReach,
)
from distribution.services.lines import lines_sql

# The line facets whose policies reached are counted from these rows (the hand-outs'
# own facets are counted from the hand-outs, with no lines to read).
REACH_FACETS = (Facet.GIFT, Facet.CATEGORY, Facet.KIND, Facet.PROVIDER)
COLUMNS = "facet, key, day, branch_id, policy_id, distribution_id"


def _chained(facet: str, key: str, day: str, branch: str, policy: str, handout: str) -> str:
    """``r_previous`` and ``r_spans`` of rows with these columns, as window expressions:
    the day of the policy's previous row under the same value in (day, hand-out) order,
    and whether the policy's rows lie in more than one branch."""
    per_policy = f"OVER (PARTITION BY {policy})"
    return (
        f"LAG({day}) OVER (PARTITION BY {policy}, {facet}, {key} "
        f"ORDER BY {day}, {handout}) AS r_previous, "
        f"MIN({branch}) {per_policy} <> MAX({branch}) {per_policy} AS r_spans"
    )


def _steps(items: QuerySet, facets) -> tuple[str, tuple]:
    """Common tables ``lines`` and ``steps`` (one row per hand-out and facet value: the
    columns ``r_facet``, ``r_key``, ``l_day``, ``l_branch_id``, ``l_policy_id``,
    ``l_handout``) over the lines ``items``."""
    lines, params = lines_sql(items, DecimalField(max_digits=16, decimal_places=2), facets)
    selects = [
        f"SELECT '{facet}' AS r_facet, f_{facet} AS r_key, "  # noqa: S608
        "l_day, l_branch_id, l_policy_id, l_handout FROM lines"
        for facet in facets
        if str(facet).isidentifier()  # spliced in as a literal: our own codes only
    ]
    selects.append(
        f"SELECT '{REACH_ALL}', '', l_day, l_branch_id, l_policy_id, l_handout FROM lines"  # noqa: S608
    )
    return f"WITH lines AS ({lines}), steps AS ({' UNION '.join(selects)})", params


def _rechain(db, distribution_ids: list[int]) -> None:
    """Recompute ``previous_day`` and ``spans`` of every row of the hand-outs' policies;
    only rows that change are written."""
    table = HandoutReach._meta.db_table
    handouts = Distribution._meta.db_table
    differs = "IS DISTINCT FROM" if db.vendor == "postgresql" else "IS NOT"
    marks = ", ".join(["%s"] * len(distribution_ids))
    # Only our own table and column names are spliced in; the ids stay parameters.
    chained = _chained("facet", "key", "day", "branch_id", "policy_id", "distribution_id")
    statement = (
        f"UPDATE {table} SET previous_day = c.r_previous, spans = c.r_spans FROM ("  # noqa: S608
        f"SELECT id AS r_id, {chained} FROM {table} WHERE policy_id IN "
        f"(SELECT policy_id FROM {handouts} WHERE id IN ({marks}))) c "
        f"WHERE {table}.id = c.r_id AND ({table}.previous_day {differs} c.r_previous "
        f"OR {table}.spans <> c.r_spans)"
    )
    with db.cursor() as cursor:
        cursor.execute(statement, distribution_ids)


def _insert(items: QuerySet, reach, facets, chained: bool) -> None:
    """Rows for the lines ``items``: chained in the same statement when it reads every
    live line (a rebuild), else left for ``_rechain``."""
    chain = (
        _chained("r_facet", "r_key", "l_day", "l_branch_id", "l_policy_id", "l_handout")
        if chained
        else "NULL, FALSE"
    )
    steps, params = _steps(items, facets)
    with connections[items.db].cursor() as cursor:
        cursor.execute(
            f"{steps} INSERT INTO {reach._meta.db_table} ({COLUMNS}, previous_day, spans) "  # noqa: S608
            f"SELECT r_facet, r_key, l_day, l_branch_id, l_policy_id, l_handout, {chain} "
            "FROM steps",
            params,
        )


def reach_add(distribution_ids) -> None:
    """Rows for the live hand-outs ``distribution_ids`` (just written, with their items,
    their policies locked by the writer), and their policies re-chained."""
    ids = list(distribution_ids)
    if not ids:
        return
    items = DistributionItem.objects.filter(
        distribution_id__in=ids, distribution__status__in=list(LIVE_STATUSES)
    )
    _insert(items, HandoutReach, REACH_FACETS, chained=False)
    _rechain(connections[items.db], ids)


def reach_remove(distribution_ids) -> None:
    """The rows of the hand-outs ``distribution_ids`` (which just left the live
    statuses, their policies locked by the writer) deleted, their policies re-chained."""
    ids = list(distribution_ids)
    if not ids:
        return
    HandoutReach.objects.filter(distribution_id__in=ids).delete()
    _rechain(connections[HandoutReach.objects.db], ids)


@transaction.atomic
def reach_rebuild(items=DistributionItem, reach=HandoutReach, facets=REACH_FACETS) -> int:
    """Recompute the table from the live hand-outs' lines; the rows written. A migration
    passes its historical models and the facets it knows."""
    reach.objects.all().delete()
    live = items.objects.filter(distribution__status__in=list(LIVE_STATUSES))
    _insert(live, reach, facets, chained=True)
    db = connections[live.db]
    if db.vendor == "postgresql":  # the planner's row counts
        with db.cursor() as cursor:
            cursor.execute(f"ANALYZE {reach._meta.db_table}")
    return reach.objects.count()
