"""Questions the daily or facet totals answer give what the gift lines give, and read
those totals."""

from datetime import date
from itertools import combinations

import pytest

from distribution.models import (
    REACH_ALL,
    HandoutDayFacet,
    HandoutDayTotal,
    HandoutMonthFacet,
    HandoutReach,
)
from stats.selectors import StatsQuery, grouped
from stats.sources import (
    FACET_DIMENSIONS,
    TOTALS_DIMENSIONS,
    answered_by_facets,
    answered_by_reach,
    answered_by_totals,
    whole_months,
)
from tests.distribution.totals_check import expected_reach, stored_reach
from tests.stats.world import add_distributions

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


# --- the facet totals -------------------------------------------------------------------

FACETS = sorted(FACET_DIMENSIONS)
FACET_SHAPES = [(f,) for f in FACETS] + [
    ("branch", "category"),
    ("provider", "branch"),
    ("gift", "month"),
    ("quarter", "kind"),
    ("category", "day"),
    ("week", "provider"),
    ("year", "gift"),
    ("branch", "agent"),
    ("product", "month"),
    ("day", "channel"),
    ("vehicle_type", "quarter"),
    ("status",),
    ("status", "branch"),
]
# The world's moments cluster about the end of January 2026 (in Shanghai), a day and a
# month either side, and months and a year later: whole months, edges cut mid-month, a
# period within one month, open ends.
PERIODS = [
    (None, None),
    (date(2026, 1, 1), date(2026, 1, 31)),
    (date(2026, 1, 31), date(2026, 3, 1)),
    (date(2025, 12, 30), date(2026, 2, 28)),
    (date(2026, 2, 1), date(2026, 2, 1)),
    (date(2026, 1, 2), date(2026, 1, 30)),
    (None, date(2026, 2, 15)),
    (date(2026, 1, 31), None),
    (date(2026, 2, 1), None),
    (None, date(2026, 1, 31)),
]


@pytest.mark.parametrize("dimensions", FACET_SHAPES)
def test_the_facet_totals_give_what_the_lines_give(
    world, analyst_futian, analyst_shenzhen, dimensions
):
    for user in (analyst_futian, analyst_shenzhen):
        for date_from, date_to in PERIODS:
            for branch in (None, world.branches["futian"]):
                query = StatsQuery(
                    dimensions=dimensions,
                    measures=MEASURES,
                    date_from=date_from,
                    date_to=date_to,
                    branch=branch,
                )
                assert answered_by_facets(query) and not answered_by_totals(query)
                by_facets, by_lines = _both(user, query)
                assert _as_dict(by_facets) == _as_dict(by_lines), (date_from, date_to)
                assert [r.labels for r in by_facets.rows] == [r.labels for r in by_lines.rows]


REACH_QUESTIONS = [
    {"dimensions": ("agent",)},
    {"dimensions": ("branch",)},
    {"dimensions": ("category",)},
    {"dimensions": ("month",)},
    {"dimensions": ()},
    # Read from the lines, the policies from the hand-outs (no line attribute, no provider).
    {"dimensions": ("agent", "channel")},
    {"dimensions": ("branch",), "product": "ctpl"},
    {"dimensions": ("rule",), "status": "completed"},
    {"dimensions": ("status",), "cancelled": True},
    {"dimensions": ("month", "vehicle_type"), "date_from": date(2026, 1, 15)},
    # Counted from the reach rows: by a line attribute, branch and period, or in all.
    {"dimensions": ("gift",), "date_from": date(2026, 1, 15), "date_to": date(2026, 3, 31)},
    {"dimensions": ("branch", "kind"), "date_to": date(2026, 2, 28)},
    {"dimensions": ("week", "provider"), "date_from": date(2026, 1, 30)},
    {"dimensions": ("month", "category", "branch"), "date_from": date(2025, 12, 31)},
    {"dimensions": ("quarter", "week")},
    {"dimensions": (), "date_from": date(2026, 2, 1), "date_to": date(2026, 5, 31)},
    # The lines' own: grouped by a line attribute, or filtered by provider.
    {"dimensions": ("gift", "agent")},
    {"dimensions": ("agent",), "provider": 0},
    {"dimensions": (), "provider": 1, "product": "commercial"},
]


@pytest.fixture
def moved_world(world):
    """The world and hand-outs of policies that moved between branches."""
    add_distributions(world, 40, seed=9, moved=0.5)
    return world


@pytest.mark.parametrize("question", REACH_QUESTIONS)
def test_policies_reached_equal_the_lines_whatever_they_are_read_from(
    moved_world, analyst_futian, analyst_shenzhen, question
):
    """With or without the premium, from the hand-outs or from the lines: the policies
    reached per group and in all are the lines' own (``use_totals=False``)."""
    question = dict(question)
    if "provider" in question:
        question["provider_id"] = moved_world.providers[question.pop("provider")].pk
    for user in (analyst_futian, analyst_shenzhen):
        reference = grouped(
            user=user,
            query=StatsQuery(**question, measures=("count", "policies", "premium")),
            use_totals=False,
        )
        assert reference.total["policies"] > 0
        for measures in (("count", "policies"), ("count", "policies", "premium")):
            found = grouped(user=user, query=StatsQuery(**question, measures=measures))
            assert {r.keys: r.values["policies"] for r in found.rows} == {
                r.keys: r.values["policies"] for r in reference.rows
            }
            assert found.total["policies"] == reference.total["policies"]


def test_the_reach_rows_answer_by_one_line_attribute_branch_and_period(moved_world):
    """Which questions the reach rows count; the world holds policies whose hand-outs
    lie in two branches (the rows' ``spans``), and the rows equal the lines."""
    assert stored_reach() == expected_reach()
    assert HandoutReach.objects.filter(spans=True).exists()
    assert HandoutReach.objects.filter(spans=False, previous_day__isnull=False).exists()
    policies = ("count", "policies")
    for dimensions, facet in (
        (("category",), "category"),
        (("week", "gift", "branch"), "gift"),
        (("month",), REACH_ALL),
        ((), REACH_ALL),
    ):
        assert answered_by_reach(StatsQuery(dimensions=dimensions, measures=policies)) == facet
    for query in (
        StatsQuery(dimensions=("category",), measures=("policies", "premium")),
        StatsQuery(dimensions=("gift", "kind"), measures=policies),
        StatsQuery(dimensions=("agent",), measures=policies),  # the hand-outs count these
        StatsQuery(dimensions=("rule",), measures=policies),
        StatsQuery(dimensions=("gift",), measures=policies, product="ctpl"),
        StatsQuery(dimensions=("gift",), measures=policies, cancelled=True),
    ):
        assert answered_by_reach(query) == "", query


def test_whole_months_leave_the_days_around_them_to_the_daily_rows():
    def months(date_from, date_to):
        return whole_months(StatsQuery(date_from=date_from, date_to=date_to))

    assert months(date(2026, 1, 1), date(2026, 3, 31)) == (date(2026, 1, 1), date(2026, 3, 1))
    assert months(date(2026, 1, 2), date(2026, 3, 30)) == (date(2026, 2, 1), date(2026, 2, 1))
    assert months(date(2026, 1, 2), date(2026, 2, 27)) is None
    assert months(None, date(2024, 2, 29)) == (None, date(2024, 2, 1))  # leap year
    assert months(date(2025, 12, 15), None) == (date(2026, 1, 1), None)


def test_questions_the_facets_do_not_answer(world):
    for query in (
        StatsQuery(dimensions=("gift", "provider")),  # two facets
        StatsQuery(dimensions=("gift", "rule")),
        StatsQuery(dimensions=("category",), rule_code=world.rules[0].code),
        StatsQuery(dimensions=("kind",), provider_id=world.providers[0].pk),
        StatsQuery(dimensions=("gift",), status="completed"),
        StatsQuery(dimensions=("agent", "category")),
        StatsQuery(dimensions=("product",), product="ctpl"),
        StatsQuery(dimensions=("status",), status="completed"),
        StatsQuery(dimensions=("status",), cancelled=True),
    ):
        assert not answered_by_facets(query)


def test_the_facet_totals_are_what_is_read(world, analyst_shenzhen):
    query = StatsQuery(
        dimensions=("category",), date_from=date(2025, 12, 15), date_to=date(2026, 3, 14)
    )
    before = {
        row.keys: row.values["count"] for row in grouped(user=analyst_shenzhen, query=query).rows
    }
    assert before

    HandoutMonthFacet.objects.update(distributions=0)  # what a stale table would say
    months_gone = {
        row.keys: row.values["count"] for row in grouped(user=analyst_shenzhen, query=query).rows
    }
    HandoutDayFacet.objects.update(distributions=0)

    assert sum(months_gone.values()) < sum(before.values())
    assert grouped(user=analyst_shenzhen, query=query).rows == []
