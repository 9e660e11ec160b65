"""Chart data for ECharts (stats/static/stats/charts.js draws it): plain JSON, embedded in
the page with ``json_script``; numbers as floats (JSON has no Decimal)."""

from decimal import Decimal

from django.utils.translation import gettext as _

from stats.dimensions import DIMENSIONS, MEASURES
from stats.selectors import Result

PIE_DIMENSIONS = {"category", "kind", "product", "status"}
# Bars and slices beyond this many are unreadable: the chart shows the biggest groups
# (rows come sorted biggest first) and says so; the table and the export keep them all.
MAX_GROUPS = 30


def number(value):
    if value is None:
        return None
    return float(value) if isinstance(value, Decimal) else value


def chart_for(result: Result, measure: str, *, title: str = "", kind: str = "") -> dict:
    """A line for periods, a pie for shares of a few categories, bars otherwise; with two
    dimensions one series per value of the second."""
    dims = result.query.dimensions
    if not kind:
        kind = "line" if DIMENSIONS[dims[0]].is_period else "bar"
        if dims[0] in PIE_DIMENSIONS and len(dims) == 1:
            kind = "pie"
    labels = list(dict.fromkeys(str(row.labels[0]) for row in result.rows))
    capped = not DIMENSIONS[dims[0]].is_period and len(labels) > MAX_GROUPS
    labels = labels[:MAX_GROUPS] if capped else labels
    if len(dims) == 1:
        names = [str(MEASURES[measure].label)]
    else:
        names = list(dict.fromkeys(str(row.labels[1]) for row in result.rows))
    figures: dict[str, dict] = {name: {} for name in names}
    for row in result.rows:
        name = names[0] if len(dims) == 1 else str(row.labels[1])
        figures[name][str(row.labels[0])] = number(row.values.get(measure))
    return {
        "kind": kind,
        "title": title or str(MEASURES[measure].label),
        "measure": str(MEASURES[measure].label),
        "capped": MAX_GROUPS if capped else None,
        "labels": labels,
        "series": [
            {"name": name, "data": [figures[name].get(label) for label in labels]} for name in names
        ],
    }


def gauges(pools) -> dict:
    """One gauge per quota pool (percent used), coloured at its warning level."""
    return {
        "kind": "gauge",
        "title": "",
        "labels": [],
        "series": [
            {
                "name": pool.quota.name,
                "data": [float(min(pool.percent, Decimal(100)))],
                "warn": float(pool.quota.warn_percent),
            }
            for pool in pools
        ],
    }


def overdue_by_supplier(times) -> dict:
    """Items overdue per supplier (``stats.delivery.DeliveryTimes``), stacked: shipped late
    and still waiting past the SLA; suppliers with none are left out (the table has them)."""
    late = [row for row in times.rows if row.overdue][:MAX_GROUPS]
    return {
        "kind": "bar",
        "title": str(_("Items overdue by supplier")),
        "measure": str(_("items")),
        "capped": None,
        "labels": [row.name for row in late],
        "series": [
            {"name": str(_("shipped late")), "data": [row.shipped_late for row in late]},
            {
                "name": str(_("still to ship, past the SLA")),
                "data": [row.waiting_late for row in late],
            },
        ],
    }
