"""Chart data for ECharts (stats/static/stats/charts.js draws it): plain JSON, embedded in
the page with ``json_script``; numbers as floats (JSON has no Decimal)."""

from decimal import Decimal

from stats.dimensions import DIMENSIONS, MEASURES
from stats.selectors import Result

PIE_DIMENSIONS = {"category", "kind", "product", "status"}


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
    chart = {
        "kind": kind,
        "title": title or str(MEASURES[measure].label),
        "measure": str(MEASURES[measure].label),
        "labels": [],
        "series": [],
    }
    if len(dims) == 1:
        chart["labels"] = [str(row.labels[0]) for row in result.rows]
        chart["series"] = [
            {
                "name": str(MEASURES[measure].label),
                "data": [number(row.values.get(measure)) for row in result.rows],
            }
        ]
        return chart
    labels = list(dict.fromkeys(row.labels[0] for row in result.rows))
    series: dict[str, dict] = {}
    for row in result.rows:
        values = series.setdefault(str(row.labels[1]), {})
        values[row.labels[0]] = number(row.values.get(measure))
    chart["labels"] = [str(label) for label in labels]
    chart["series"] = [
        {"name": name, "data": [values.get(label) for label in labels]}
        for name, values in series.items()
    ]
    return chart


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
