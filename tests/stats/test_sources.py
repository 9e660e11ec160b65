"""Questions the daily totals answer give what the gift lines give, and read the totals."""

from datetime import date
from itertools import combinations

import pytest

from distribution.models import HandoutDayTotal
from stats.selectors import StatsQuery, grouped
from stats.sources import TOTALS_DIMENSIONS, answered_by_totals

MEASURES = ("count", "units", "value", "cost", "policies", "premium", "cost_ratio")
SHAPES = [(d,) for d in sorted(TOTALS_DIMENSIONS)] + list(
    combinations(["branch", "rule", "month"], 2)
)


def _both(user, query):
    by_totals = grouped(user=user, query=query)
    by_lines = grouped(user=user, query=query, use_totals=False)
    return by_totals, by_lines


def _as_dict(result):
    return {row.keys: row.values for row in result.rows}, result.total


@pytest.mark.parametrize("dimensions", [(), *SHAPES])
def test_the_totals_give_what_the_lines_give(world, analyst_futian, analyst_shenzhen, dimensions):
    rule = world.rules[0].code
    for user in (analyst_futian, analyst_shenzhen):
        for query in (
            StatsQuery(dimensions=dimensions, measures=MEASURES),
            StatsQuery(
                dimensions=dimensions,
                measures=MEASURES,
                date_from=date(2026, 1, 1),
                date_to=date(2026, 1, 31),
                branch=world.branches["futian"],
                rule_code=rule,
            ),
        ):
            assert answered_by_totals(query)
            by_totals, by_lines = _both(user, query)
            assert _as_dict(by_totals) == _as_dict(by_lines)
            assert [r.labels for r in by_totals.rows] == [r.labels for r in by_lines.rows]


def test_questions_by_gift_status_product_or_provider_read_the_lines(world):
    for query in (
        StatsQuery(dimensions=("gift",)),
        StatsQuery(dimensions=("branch",), status="completed"),
        StatsQuery(dimensions=("month",), product="ctpl"),
        StatsQuery(dimensions=("rule",), provider_id=world.providers[0].pk),
        StatsQuery(dimensions=("branch",), cancelled=True),
    ):
        assert not answered_by_totals(query)


def test_the_totals_are_what_is_read(world, analyst_shenzhen):
    query = StatsQuery(dimensions=("branch",))
    before = grouped(user=analyst_shenzhen, query=query).total["count"]
    assert before > 0

    HandoutDayTotal.objects.update(distributions=0)  # what a stale table would say

    assert grouped(user=analyst_shenzhen, query=query).total["count"] == 0
    assert grouped(user=analyst_shenzhen, query=query, use_totals=False).total["count"] == before
