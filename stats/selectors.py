"""Measures grouped by dimensions, with filters, within the user's scope.

``grouped(user=..., query=...)`` answers "these measures by these dimensions" over the
gift lines (``DistributionItem``) the user may see: ``giftplatform.access.restrict``
narrows the rows before anything is summed, so a 福田 analyst's totals never hold a
南山 line. All sums are made in SQL, in a fixed number of queries whatever the rows:
the grouped sums, the premium of the policies reached per group, the same two for the
total (distinct counts do not add up across groups), and the children of the branch
rolled up to.

Cancelled and rejected hand-outs are left out by default; ``query.cancelled`` asks for
them alone, so a page can show them apart.
"""

from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import Case, Count, F, IntegerField, QuerySet, Sum, Value, When
from django.db.models.functions import Collate
from django.utils.translation import gettext as _

from giftplatform.access import branch_scope, restrict
from giftplatform.db import statements_not_prepared
from giftplatform.models import Branch
from stats.dimensions import DIMENSIONS, ITEM_AGGREGATES, MONEY
from stats.reach import reach_counted
from stats.sources import (
    FACET_DIMENSIONS,
    HANDOUTS,
    LINES,
    REACH,
    REACH_ALL,
    TOTALS,
    Source,
    answered_by_facets,
    answered_by_reach,
    answered_by_totals,
    facets_for,
    handouts_for,
    items_for,
    reach_for,
    reached_by_handouts,
    totals_for,
)
from stats.sources import local_start as local_start  # re-exported: compliance, delivery

CENT = Decimal("0.01")


@dataclass(frozen=True)
class StatsQuery:
    """What to group by, what to measure and which lines count (dates are local days)."""

    dimensions: tuple[str, ...] = ()
    measures: tuple[str, ...] = ("count", "units", "value", "cost")
    date_from: date | None = None
    date_to: date | None = None  # inclusive
    branch: Branch | None = None  # subtree filter; the branch dimension rolls up to its children
    rule_code: str = ""
    provider_id: int | None = None
    product: str = ""
    status: str = ""
    cancelled: bool = False  # only the cancelled and rejected hand-outs


@dataclass
class Row:
    keys: tuple
    labels: tuple[str, ...]
    values: dict[str, object]


@dataclass
class Result:
    query: StatsQuery
    rows: list[Row] = field(default_factory=list)
    total: dict[str, object] = field(default_factory=dict)
    # Branch dimension: the children rolled up to, by id (for drill-down links).
    branches: dict[int, Branch] = field(default_factory=dict)
    rollup_root: Branch | None = None  # its own lines form one row, not drilled into


def rollup_root(user, query: StatsQuery) -> Branch | None:
    """The branch whose children the branch dimension shows (None: the top level)."""
    return query.branch if query.branch is not None else branch_scope(user)


def rollup_children(user, root: Branch | None) -> list[Branch]:
    children = Branch.objects.filter(parent=root) if root else Branch.objects.filter(parent=None)
    return list(restrict(children, user, "view").order_by("code"))


def _branch_expression(root: Branch | None, children: list[Branch], source: Source):
    """Each line's branch rolled up to the child of ``root`` holding it; ``root`` itself
    for lines booked on the root (0 when nothing matches, which scope rules out)."""
    lookup = f"{source.branch}__path__startswith"
    whens = [When(**{lookup: child.path}, then=Value(child.pk)) for child in children]
    default = Value(root.pk if root else 0)
    if not whens:
        return default
    return Case(*whens, default=default, output_field=IntegerField())


def _rollup(user, query: StatsQuery, result: Result) -> tuple | None:
    """The branch dimension's root and the children it rolls up to (None: no branch
    dimension); noted on ``result`` for labels and drill-down links."""
    if "branch" not in query.dimensions:
        return None
    root = rollup_root(user, query)
    children = rollup_children(user, root)
    result.branches = {child.pk: child for child in children}
    if root is not None:
        result.branches[root.pk] = root
        result.rollup_root = root
    return root, children


def _key_expressions(query: StatsQuery, source: Source, rollup) -> dict:
    expressions = {}
    for position, code in enumerate(query.dimensions):
        dimension = DIMENSIONS[code]
        if code == "branch":
            expression = _branch_expression(*rollup, source)
        elif dimension.is_period:
            expression = source.period(dimension.period)
        elif source.facet and code in FACET_DIMENSIONS:
            expression = _bytewise(F("key"))
        elif code == "rule":
            expression = _bytewise(F(source.rule))
        elif source is HANDOUTS:
            expression = _bytewise(F(dimension.handout))
        elif code in ID_FACETS:
            expression = dimension.expression()
        else:
            expression = _bytewise(dimension.expression())
        expressions[f"k{position}"] = expression
    return expressions


def _bytewise(text):
    """A text key compared byte by byte on PostgreSQL: the same groups (equality does not
    depend on the collation), sorted without the locale's rules, which took 40% of a
    quarter's policies by agent (300k hand-outs). Pages sort the groups in Python."""
    return Collate(text, "C") if connection.vendor == "postgresql" else text


# The daily totals' sums; the policies reached come from the hand-outs (see sources).
TOTALS_AGGREGATES = {
    "count": Sum("distributions"),
    "units": Sum("units"),
    "value": Sum("value", output_field=MONEY),
    "cost": Sum("cost", output_field=MONEY),
}
REACH_MEASURES = {"policies", "premium", "cost_ratio"}
ID_FACETS = {"gift", "category", "provider"}


@dataclass
class Plan:
    """Where one question is read: ``parts`` (querysets and their sources) summed with
    ``summed``; the policies reached from ``reach`` (in all from the hand-outs
    ``total_reach`` when given); the total from ``total``: "groups" (the groups' sum),
    "daily" (the daily totals) or "rows" (the parts' own aggregate)."""

    parts: list[tuple[QuerySet, Source]]
    summed: dict
    reach: tuple[QuerySet, Source]
    total: str
    total_reach: QuerySet | None = None


def plan(user, query: StatsQuery, use_totals: bool = True) -> Plan:
    """Live hand-outs by branch, rule and period: the daily totals. By one attribute with
    branch and period: the facet totals. Anything else: the gift lines; their total from
    the daily totals when the filters are theirs, since a hand-out in two groups counts
    once. The policies reached: from the hand-outs wherever they reach the same policies
    as the lines (``_reach_rows``). With ``use_totals=False`` everything is read from the
    lines: the reference the tests hold the rest to."""
    lines = items_for(user, query)
    if not use_totals:
        return Plan([(lines, LINES)], ITEM_AGGREGATES, (lines, LINES), "rows")
    reach, total_reach = _reach_rows(user, query, lines)
    if answered_by_totals(query):
        parts = [(totals_for(user, query), TOTALS)]
        total = "groups" if query.dimensions else "rows"
        return Plan(parts, TOTALS_AGGREGATES, reach, total, total_reach)
    facet = answered_by_facets(query)
    if facet:
        parts = facets_for(user, query, facet)
        return Plan(parts, TOTALS_AGGREGATES, reach, "daily", total_reach)
    total = "daily" if answered_by_totals(replace(query, dimensions=())) else "rows"
    return Plan([(lines, LINES)], ITEM_AGGREGATES, reach, total, total_reach)


def _reach_rows(user, query: StatsQuery, lines: QuerySet) -> tuple:
    """Where the policies reached are counted, per group and in all (None: as per group):
    the reach rows where they answer (``stats.reach``); else the hand-outs wherever they
    reach the same policies as the lines, which spares the join of a quarter's 600k lines
    to their hand-outs."""
    facet = answered_by_reach(query)
    if facet:
        return (reach_for(user, query, facet), REACH), reach_for(user, query, REACH_ALL)
    handouts = handouts_for(user, query)
    per_group = (handouts, HANDOUTS) if reached_by_handouts(query) else (lines, LINES)
    in_all = handouts if reached_by_handouts(query, grouped_too=False) else None
    return per_group, in_all


@statements_not_prepared()
def grouped(*, user, query: StatsQuery, use_totals: bool = True) -> Result:
    """The measures of ``query`` per combination of its dimensions, and their total,
    read where ``plan`` says; not prepared, like every statistics page (``stats_page``)."""
    result = Result(query=query)
    rollup = _rollup(user, query, result)
    read = plan(user, query, use_totals)
    dims, summed = query.dimensions, read.summed

    rows = _grouped_rows(read.parts, query, rollup, summed) if dims else {}
    labels = _labels(query, list(rows), _branch_names(result)) if dims else {}
    if read.total == "groups":  # each totals row falls in exactly one group
        total = {m: sum((r[m] or 0) for r in rows.values()) for m in summed}
    elif read.total == "daily":
        total = totals_for(user, query).aggregate(**TOTALS_AGGREGATES)
    else:
        total = read.parts[0][0].aggregate(**summed)
    reach, total_reach = {}, None
    if REACH_MEASURES & set(query.measures):
        reach_qs, reach_source = read.reach
        reach_keys = _key_expressions(query, reach_source, rollup)
        with_premium = bool({"premium", "cost_ratio"} & set(query.measures))
        total_rows = None if with_premium else read.total_reach
        if reach_source is REACH:
            reach, total_reach = _counted_reach(reach_qs, reach_keys, query, total_rows)
        else:
            reach, total_reach = _reach(
                reach_qs, reach_keys, dims, reach_source, with_premium, total_rows
            )
    none = (0, Decimal(0)) if total_reach is not None else None

    for key, record in rows.items():
        values = _values(record, reach.get(key, none))
        result.rows.append(Row(keys=key, labels=labels.get(key, key), values=values))
    result.total = _values(total, total_reach)
    _sort(result)
    return result


def _grouped_rows(parts: list, query: StatsQuery, rollup, summed: dict) -> dict[tuple, dict]:
    """The sums per group of each part (a queryset and its source), added together."""
    rows: dict[tuple, dict] = {}
    for queryset, source in parts:
        keys = _key_expressions(query, source, rollup)
        names = list(keys)
        for record in queryset.annotate(**keys).values(*names).annotate(**summed):
            key = _record_key(query.dimensions, names, record)
            if key in rows:
                rows[key] = {m: (rows[key][m] or 0) + (record[m] or 0) for m in summed}
            else:
                rows[key] = record
    return rows


def _record_key(dimensions: tuple, names: list, record: dict) -> tuple:
    """The group of a grouped record: its key columns (``names``) as Python values."""
    return tuple(_key(code, record[n]) for code, n in zip(dimensions, names, strict=True))


def _key(code: str, value):
    """Keys as Python values whatever the database (SQLite gives dates as text; the
    facet totals hold ids as text, "" for none)."""
    if code in ID_FACETS and isinstance(value, str):
        return int(value) if value else None
    if DIMENSIONS[code].is_period and isinstance(value, str):
        return date.fromisoformat(value[:10])
    if isinstance(value, datetime):
        return value.date()
    return value


def _values(record: dict, reach: tuple | None) -> dict[str, object]:
    """The measures of one group; ``reach`` is (policies, their premium) when asked."""
    values = {
        "count": record.get("count") or 0,
        "units": record.get("units") or 0,
        "value": _money(record.get("value")),
        "cost": _money(record.get("cost")),
    }
    if reach is not None:
        values["policies"] = reach[0]
        values["premium"] = _money(reach[1])
        values["cost_ratio"] = (
            (values["cost"] * 100 / values["premium"]).quantize(CENT) if values["premium"] else None
        )
    return values


def _money(value) -> Decimal:
    if value is None:
        return Decimal("0.00")
    return Decimal(str(value)).quantize(CENT)


def _reach(
    rows: QuerySet,
    keys: dict,
    dimensions: tuple,
    source: Source,
    with_premium: bool = True,
    total_rows: QuerySet | None = None,
) -> tuple[dict, tuple]:
    """Policies reached and their premium per group and in all, each policy once per
    group and once in all; without the premium, the total from the hand-outs
    ``total_rows`` when given (they reach the same policies)."""
    if not with_premium:
        return _policies_reached(rows, keys, dimensions, source, total_rows)
    return _reach_with_premium(rows, keys, dimensions, source)


def _policies_reached(
    rows: QuerySet, keys: dict, dimensions: tuple, source: Source, total_rows=None
) -> tuple[dict, tuple]:
    """The policies alone: a distinct count per group and one in all, two plain
    aggregates (the premium's common table, written out and read twice, took 680 ms
    where these take 520 on a quarter's 300k hand-outs in bench_stats)."""
    reached = Count(source.policy, distinct=True)
    groups = {}
    if keys:
        names = list(keys)
        for record in rows.annotate(**keys).values(*names).annotate(policies=reached):
            if record["policies"]:
                groups[_record_key(dimensions, names, record)] = (record["policies"], Decimal(0))
    if total_rows is not None:
        total = total_rows.aggregate(policies=Count(HANDOUTS.policy, distinct=True))["policies"]
    else:
        total = rows.aggregate(policies=reached)["policies"]
    return groups, (total or 0, Decimal(0))


def _counted_reach(rows: QuerySet, keys: dict, query: StatsQuery, total_rows) -> tuple:
    """The policies alone, from the reach rows: per group and in all (``stats.reach``)."""
    names, dimensions = list(keys), query.dimensions

    def key_of(record):
        return _record_key(dimensions, names, record)

    groups = {}
    if keys:
        counted = reach_counted(rows, keys, dimensions, query.date_from, key_of)
        groups = {key: (n, Decimal(0)) for key, n in counted.items()}
    total = reach_counted(total_rows, {}, (), query.date_from, key_of).get((), 0)
    return groups, (total, Decimal(0))


def _reach_with_premium(
    rows: QuerySet, keys: dict, dimensions: tuple, source: Source
) -> tuple[dict, tuple]:
    """The distinct (group, policy, premium) rows in a common table read twice, summed
    per group and, reduced to distinct policies, in all; one query (the ORM has no
    FROM-subquery)."""
    names = list(keys)
    pairs = (
        rows.annotate(**keys)
        .annotate(
            policy_ref=F(source.policy),
            premium=F(source.premium),
        )
        .values(*names, "policy_ref", "premium")
        .distinct()
    )
    try:
        sql, params = pairs.query.sql_with_params()
    except EmptyResultSet:
        return {}, (0, Decimal(0))
    quote = connection.ops.quote_name
    quoted = [quote(n) for n in names]
    premium = f"SUM({quote('premium')})"
    # Only our own aliases are spliced in; every value stays a parameter.
    whole = (
        f"SELECT {', '.join(['NULL'] * len(names) + ['1', 'COUNT(*)', premium])} "  # noqa: S608
        f"FROM (SELECT DISTINCT {quote('policy_ref')}, {quote('premium')} FROM pairs) p"
    )
    statement = f"WITH pairs AS ({sql}) {whole}"
    if names:
        per_group = (
            f"SELECT {', '.join([*quoted, '0', 'COUNT(*)', premium])} "  # noqa: S608
            f"FROM pairs GROUP BY {', '.join(quoted)}"
        )
        statement = f"WITH pairs AS ({sql}) {per_group} UNION ALL {whole}"
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        found = cursor.fetchall()
    groups, total = {}, (0, Decimal(0))
    for row in found:
        policies, money = row[-2], _money(row[-1])
        if row[len(names)]:
            total = (policies or 0, money)
        elif policies:
            key = tuple(_key(code, v) for code, v in zip(dimensions, row, strict=False))
            groups[key] = (policies, money)
    return groups, total


def _branch_names(result: Result) -> dict[int, str]:
    names = {pk: branch.name for pk, branch in result.branches.items()}
    if result.rollup_root is not None:
        root = result.rollup_root
        names[root.pk] = _("%(branch)s (own)") % {"branch": root.name}
    return names


def _labels(query: StatsQuery, found: list[tuple], branches: dict) -> dict:
    """Display names per key: names grouped in the same query would split a group whose
    name changed, so they are read once per dimension from the keys found (one query each
    for gifts, categories and providers; none for the others)."""
    names_by_dimension = []
    for position, code in enumerate(query.dimensions):
        values = {key[position] for key in found}
        names_by_dimension.append(_names(code, values, branches))
    return {
        key: tuple(names[value] for names, value in zip(names_by_dimension, key, strict=True))
        for key in found
    }


def _names(code: str, values: set, branches: dict) -> dict:
    from gifts.models import Gift, GiftCategory
    from suppliers.models import Provider

    dimension = DIMENSIONS[code]
    models = {"gift": Gift, "category": GiftCategory, "provider": Provider}
    if code in models:
        found = dict(models[code].objects.filter(pk__in=values).values_list("pk", "name"))
        return {v: found.get(v, "—") for v in values}
    if code == "branch":
        return {v: branches.get(v, "—") for v in values}
    if dimension.choices:
        return {v: str(dimension.choices.get(v, v or "—")) for v in values}
    if dimension.is_period:
        return {v: period_label(dimension.period, v) for v in values}
    return {v: v or "—" for v in values}


def period_label(kind: str, day: date | None) -> str:
    if day is None:
        return "—"
    if kind == "year":
        return f"{day.year}"
    if kind == "quarter":
        return f"{day.year} Q{(day.month - 1) // 3 + 1}"
    if kind == "month":
        return f"{day:%Y-%m}"
    if kind == "week":
        return f"{day.isocalendar().year}-W{day.isocalendar().week:02d}"
    return day.isoformat()


def _sort(result: Result) -> None:
    """Periods in time order; otherwise the biggest first (by the first measure)."""
    dims = result.query.dimensions
    if dims and DIMENSIONS[dims[0]].is_period:
        periods = [DIMENSIONS[code].is_period for code in dims]

        def in_time_order(row: Row) -> tuple:
            # Periods by date; any other key by its text ("" and None are no date).
            return tuple(
                (k is None, k or date.min) if is_period else (k is None, str(k or ""))
                for k, is_period in zip(row.keys, periods, strict=True)
            )

        result.rows.sort(key=in_time_order)
        return
    first = result.query.measures[0] if result.query.measures else "count"
    result.rows.sort(key=lambda r: (-(r.values.get(first) or 0), [str(x) for x in r.labels]))


def pivot(result: Result, measure: str) -> tuple[list, list, dict]:
    """Two dimensions crossed: row keys, column keys and ``{(row, col): value}``."""
    rows, cols, cells = {}, {}, defaultdict(lambda: None)
    for row in result.rows:
        rows.setdefault(row.keys[0], row.labels[0])
        cols.setdefault(row.keys[1], row.labels[1])
        cells[row.keys] = row.values.get(measure)
    return list(rows.items()), list(cols.items()), cells
