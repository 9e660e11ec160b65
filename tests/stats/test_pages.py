"""The statistics pages through Django's client: permission, scope, drill-down, query
counts that stay flat as rows grow, and the export equal to the page's table."""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.translation import gettext as _

from distribution.models import DistributionStatus
from giftplatform.models import ExportLog
from stats.charts import MAX_GROUPS, chart_for
from stats.selectors import StatsQuery, grouped
from tests.stats.sheet_support import as_cell, sheet_rows
from tests.stats.world import add_distributions, analyst

WHOLE_RANGE = {"date_from": "2024-01-01", "date_to": "2028-12-31"}


def _get(client, user, name, **params):
    client.force_login(user)
    return client.get(reverse(name), params)


@pytest.mark.parametrize("name", ["stats:overview", "stats:grouped", "stats:grouped_export"])
def test_staff_without_the_permission_get_403(client, world, name):
    clerk = analyst("clerk_ft", world.branches["futian"], role="counter_staff")
    assert _get(client, clerk, name).status_code == 403


@pytest.mark.parametrize("name", ["stats:overview", "stats:grouped"])
def test_anonymous_visitors_go_to_the_sign_in_page(client, world, name):
    assert client.get(reverse(name)).status_code == 302


@pytest.mark.parametrize("role", ["auditor", "branch_admin", "platform_admin"])
def test_roles_holding_view_statistics_read_the_pages(client, world, role):
    user = analyst(f"u_{role}", world.branches["futian"], role=role)
    assert _get(client, user, "stats:overview", **WHOLE_RANGE).status_code == 200
    assert _get(client, user, "stats:grouped", **WHOLE_RANGE).status_code == 200


def test_a_futian_analyst_never_sees_nanshan(client, world, analyst_futian):
    nanshan = world.branches["nanshan"]
    for name in ("stats:overview", "stats:grouped"):
        page = _get(client, analyst_futian, name, **WHOLE_RANGE)
        assert page.status_code == 200
        assert "南山" not in page.content.decode()
    for name in ("stats:overview", "stats:grouped", "stats:grouped_export"):
        response = _get(client, analyst_futian, name, branch=nanshan.pk, **WHOLE_RANGE)
        assert response.status_code == 404, name
    sheet = sheet_rows(_get(client, analyst_futian, "stats:grouped_export", **WHOLE_RANGE))
    assert not any("南山" in str(cell) for row in sheet for cell in row if cell)


def test_drill_down_shows_the_children_of_the_branch(client, world, analyst_shenzhen):
    top = _get(client, analyst_shenzhen, "stats:grouped", dimension="branch", **WHOLE_RANGE)
    labels = {row[0] for row in top.context["table"].rows}
    assert labels <= {own("深圳分公司"), "福田支公司", "南山支公司"}
    assert "福田营业部" not in labels
    futian = world.branches["futian"]
    assert f"branch={futian.pk}" in top.content.decode()
    drill = _get(
        client,
        analyst_shenzhen,
        "stats:grouped",
        dimension="branch",
        branch=futian.pk,
        **WHOLE_RANGE,
    )
    assert {row[0] for row in drill.context["table"].rows} <= {own("福田支公司"), "福田营业部"}
    # The branch drilled into is one row of its own lines, not a link to itself.
    assert drill.context["table"].drill.count(None) == len(drill.context["table"].rows) - 1
    assert "福田营业部" in drill.content.decode()
    missing = _get(client, analyst_shenzhen, "stats:grouped", branch=999999)
    assert missing.status_code == 404


def own(name: str) -> str:
    return _("%(branch)s (own)") % {"branch": name}


@pytest.mark.parametrize(
    "params", [{"dimension": "gift"}, {"dimension": "month", "across": "rule"}]
)
def test_the_export_holds_the_page_table(client, world, analyst_shenzhen, params):
    params = {**params, **WHOLE_RANGE, "measures": ["count", "value", "premium", "cost_ratio"]}
    page = _get(client, analyst_shenzhen, "stats:grouped", **params)
    table = page.context["table"]
    sheet = sheet_rows(_get(client, analyst_shenzhen, "stats:grouped_export", **params))
    notes, header, data = sheet[:2], sheet[2], sheet[3:]
    assert "2024-01-01" in notes[1][0]
    assert list(header) == table.headers
    # The sheet holds the page's cells; text a spreadsheet would run carries an apostrophe.
    expected = [[as_cell(v) for v in row] for row in [*table.rows, table.total]]
    assert [[as_cell(v) for v in row] for row in data] == expected
    assert ExportLog.objects.filter(model_label="stats.statistics").count() == 1


def test_formula_like_names_are_written_as_text(client, world, analyst_shenzhen):
    params = {"dimension": "gift", **WHOLE_RANGE}
    sheet = sheet_rows(_get(client, analyst_shenzhen, "stats:grouped_export", **params))
    assert "'=SUM(A1)" in [row[0] for row in sheet[3:]]


def _count_queries(client, user, name, params) -> int:
    client.force_login(user)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(reverse(name), params).status_code == 200
    return len(captured)


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("stats:overview", WHOLE_RANGE),
        ("stats:grouped", {"dimension": "branch", "across": "gift", "cancelled": "on"}),
        ("stats:grouped_export", {"dimension": "month", "measures": ["premium"]}),
    ],
)
def test_query_counts_stay_flat_as_rows_grow(client, world, analyst_shenzhen, name, params):
    params = {**WHOLE_RANGE, **params}
    before = _count_queries(client, analyst_shenzhen, name, params)
    add_distributions(world, 60, seed=11)
    assert _count_queries(client, analyst_shenzhen, name, params) == before


def test_the_overview_compares_with_the_previous_period(client, world, analyst_shenzhen):
    page = _get(
        client, analyst_shenzhen, "stats:overview", date_from="2026-02-01", date_to="2026-02-28"
    )
    assert page.context["previous_from"] == date(2026, 1, 4)
    assert page.context["previous_to"] == date(2026, 1, 31)
    assert [c.measure for c in page.context["comparisons"]] == ["count", "units", "value", "cost"]
    assert 'data-chart="chart-branch"' in page.content.decode()


def test_charts_carry_the_table_figures(world, analyst_shenzhen):
    one = grouped(user=analyst_shenzhen, query=StatsQuery(dimensions=("gift",)))
    chart = chart_for(one, "units")
    assert chart["kind"] == "bar"
    assert chart["labels"] == [row.labels[0] for row in one.rows]
    assert chart["series"][0]["data"] == [row.values["units"] for row in one.rows]
    crossed = grouped(user=analyst_shenzhen, query=StatsQuery(dimensions=("month", "rule")))
    chart = chart_for(crossed, "count")
    assert chart["kind"] == "line"
    assert {s["name"] for s in chart["series"]} == {"R-NEW", "R-RENEW"}
    cells = {(row.labels[0], row.labels[1]): row.values["count"] for row in crossed.rows}
    for series in chart["series"]:
        for label, value in zip(chart["labels"], series["data"], strict=True):
            assert value == cells.get((label, series["name"]))
    assert chart_for(one, "value", kind="")["capped"] is None
    assert MAX_GROUPS >= 10


def test_a_holder_without_a_branch_sees_zeros(client, world):
    nobody = analyst("auditor_nowhere", None)
    page = _get(client, nobody, "stats:grouped", dimension="gift", **WHOLE_RANGE)
    assert page.status_code == 200
    assert page.context["table"].rows == []
    assert page.context["table"].total[1] == 0


def test_cancelled_hand_outs_are_shown_apart(client, world, analyst_shenzhen):
    params = {"dimension": "status", "cancelled": "on", **WHOLE_RANGE}
    page = _get(client, analyst_shenzhen, "stats:grouped", **params)
    live = {row[0] for row in page.context["table"].rows}
    apart = {row[0] for row in page.context["cancelled_table"].rows}
    labels = dict(DistributionStatus.choices)
    assert apart == {str(labels["cancelled"]), str(labels["rejected"])}
    assert not live & apart


@pytest.mark.parametrize("name", ["stats:overview", "stats:grouped", "stats:compliance"])
def test_statistics_pages_prepare_no_statement(client, world, analyst_shenzhen, name):
    """Run again and again on one connection, a page's queries are never prepared on
    PostgreSQL (a prepared one may settle on a generic plan blind to the date range)."""
    if connection.vendor != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's")
    client.force_login(analyst_shenzhen)
    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")
    for _run in range(8):
        assert client.get(reverse(name), WHOLE_RANGE).status_code == 200
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [row[0] for row in cursor.fetchall()]
    assert not [s for s in prepared if "distribution_" in s], prepared
