"""Every figure equals a brute-force Python sum over the same rows, per dimension and scope."""

from collections import defaultdict
from datetime import date

import pytest
from django.utils.translation import gettext as _

from stats.selectors import StatsQuery, grouped
from tests.stats.world import (
    MONTH_END_EDGE,
    add_distributions,
    analyst,
    brute_force_rows,
    brute_force_totals,
    build_world,
)

PLAIN_DIMENSIONS = (
    "gift",
    "category",
    "kind",
    "provider",
    "rule",
    "product",
    "channel",
    "agent",
    "vehicle_type",
    "status",
    "day",
    "week",
    "month",
    "quarter",
    "year",
)
ALL_MEASURES = ("count", "units", "value", "cost", "policies", "premium", "cost_ratio")


def _expected_by(rows, key_of):
    groups = defaultdict(list)
    for row in rows:
        groups[key_of(row)].append(row)
    return {key: brute_force_totals(members) for key, members in groups.items()}


def _figures(values):
    return {k: values[k] for k in ("count", "units", "value", "cost", "policies", "premium")}


@pytest.fixture(params=["futian", "shenzhen"])
def scope(request, world, analyst_futian, analyst_shenzhen):
    user = analyst_futian if request.param == "futian" else analyst_shenzhen
    return user, world.branches[request.param].path


@pytest.mark.parametrize("cancelled", [False, True])
@pytest.mark.parametrize("dimension", PLAIN_DIMENSIONS)
def test_every_group_equals_the_brute_force_sum(scope, dimension, cancelled):
    user, path = scope
    rows = brute_force_rows(path, cancelled=cancelled)
    result = grouped(
        user=user,
        query=StatsQuery(dimensions=(dimension,), measures=ALL_MEASURES, cancelled=cancelled),
    )
    expected = _expected_by(rows, lambda r: r[dimension])
    assert {row.keys[0]: _figures(row.values) for row in result.rows} == expected
    assert _figures(result.total) == brute_force_totals(rows)


def test_the_branch_dimension_rolls_up_to_the_children(world, analyst_shenzhen):
    branches = world.branches
    rows = brute_force_rows(branches["shenzhen"].path)
    children = {b.pk: b.path for b in (branches["futian"], branches["nanshan"])}

    def rolled(row):
        for pk, path in children.items():
            if row["branch_path"].startswith(path):
                return pk
        return branches["shenzhen"].pk

    result = grouped(user=analyst_shenzhen, query=StatsQuery(dimensions=("branch",)))
    got = {
        row.keys[0]: _figures({**row.values, "premium": 0, "policies": 0}) for row in result.rows
    }
    want = {
        k: _figures({**v, "premium": 0, "policies": 0})
        for k, v in _expected_by(rows, rolled).items()
    }
    assert got == want
    # Drill down into 福田: its own lines and its 营业部's.
    drill = grouped(
        user=analyst_shenzhen, query=StatsQuery(dimensions=("branch",), branch=branches["futian"])
    )
    own = _("%(branch)s (own)") % {"branch": "福田支公司"}
    assert {row.labels[0] for row in drill.rows} == {own, "福田营业部"}
    assert drill.total["units"] == sum(
        r["units"] for r in brute_force_rows(branches["futian"].path)
    )


def test_a_futian_analyst_never_sees_nanshan(world, analyst_futian):
    result = grouped(
        user=analyst_futian, query=StatsQuery(dimensions=("branch",), measures=ALL_MEASURES)
    )
    assert "南山支公司" not in {label for row in result.rows for label in row.labels}
    assert result.total["units"] == sum(
        r["units"] for r in brute_force_rows(world.branches["futian"].path)
    )


def test_two_dimensions_cross_into_a_pivot(world, analyst_shenzhen):
    rows = brute_force_rows(world.branches["shenzhen"].path)
    result = grouped(user=analyst_shenzhen, query=StatsQuery(dimensions=("gift", "month")))
    expected = _expected_by(rows, lambda r: (r["gift"], r["month"]))
    assert {row.keys: row.values["units"] for row in result.rows} == {
        k: v["units"] for k, v in expected.items()
    }


def test_months_are_cut_in_shanghai_time(world, analyst_shenzhen):
    """23:30 on 31 January in Shanghai is 15:30 UTC the same day, and in Shanghai's January;
    a moment an hour later is February in Shanghai though still 31 January in UTC."""
    result = grouped(
        user=analyst_shenzhen,
        query=StatsQuery(
            dimensions=("month",), date_from=date(2026, 1, 31), date_to=date(2026, 1, 31)
        ),
    )
    rows = [
        r
        for r in brute_force_rows(world.branches["shenzhen"].path)
        if r["day"] == MONTH_END_EDGE.date()
    ]
    assert rows, "the seeded rows include the month-end edge"
    assert [row.keys[0] for row in result.rows] == [date(2026, 1, 1)]
    assert result.total["units"] == sum(r["units"] for r in rows)


def test_filters_narrow_the_rows(world, analyst_shenzhen):
    provider = world.providers[1]
    rows = [
        r
        for r in brute_force_rows(world.branches["shenzhen"].path)
        if r["provider"] == provider.pk and r["rule"] == "R-NEW" and r["product"] == "ctpl"
    ]
    result = grouped(
        user=analyst_shenzhen,
        query=StatsQuery(provider_id=provider.pk, rule_code="R-NEW", product="ctpl"),
    )
    assert result.total["units"] == sum(r["units"] for r in rows)
    assert result.total["count"] == len({r["distribution"] for r in rows})


def test_query_count_is_bounded(world, analyst_shenzhen, django_assert_max_num_queries):
    query = StatsQuery(dimensions=("branch", "gift"), measures=ALL_MEASURES)
    with django_assert_max_num_queries(7):
        grouped(user=analyst_shenzhen, query=query)


@pytest.mark.parametrize("seed", [1, 23, 99])
def test_other_seeds_agree_with_brute_force_too(db, seed):
    built = build_world()
    add_distributions(built, 50, seed=seed)
    user = analyst("analyst_seed", built.branches["futian"])
    rows = brute_force_rows(built.branches["futian"].path)
    for dimension in PLAIN_DIMENSIONS:
        result = grouped(
            user=user, query=StatsQuery(dimensions=(dimension,), measures=ALL_MEASURES)
        )
        expected = _expected_by(rows, lambda r, d=dimension: r[d])
        assert {row.keys[0]: _figures(row.values) for row in result.rows} == expected, dimension
