"""The overview's own tables as Excel: each sheet holds what the selectors read for the
page (every row, where the page shows the top), in the user's scope, formula-safe, and
every download is logged."""

from datetime import date, datetime, time
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from distribution.models import Quota, QuotaStatus, QuotaUsage
from giftplatform.models import ExportLog
from giftplatform.sheets.writer import neutralize
from stats import dashboard, delivery
from stats.overview_sheets import OVERVIEW_SHEETS
from tests.factories import GiftFactory
from tests.stats.sheet_support import as_cell, data_rows, download, header_row
from tests.stats.world import SHANGHAI, add_distributions, add_shipments

WHOLE = {"date_from": "2025-01-01", "date_to": "2027-12-31"}
SPECS = {spec.name: spec for spec in OVERVIEW_SHEETS}
UNTIL = datetime.combine(date(2026, 6, 30), time(18), tzinfo=SHANGHAI)


@pytest.fixture
def overview_world(world):
    """Hand-outs with parcels (some late, some still waiting), a pool and low stock in
    福田 and in 南山."""
    add_distributions(world, 160, seed=23)
    add_shipments(until=UNTIL)
    today = timezone.localdate()
    for code, branch in (("POOL-FT", "futian"), ("POOL-NS", "nanshan")):
        quota = Quota.objects.create(
            code=code,
            name=f"{world.branches[branch].name}月度池",
            basis="gift_amount",
            period="month",
            limit=Decimal("1000"),
            warn_percent=Decimal("80"),
            status=QuotaStatus.ACTIVE,
            branch=world.branches[branch],
        )
        QuotaUsage.objects.create(quota=quota, period_start=today.replace(day=1), used=900)
    for code, branch, name in (
        ("LOW-FT", "futian", '=HYPERLINK("http://x")'),
        ("LOW-NS", "nanshan", "南山低库存"),
    ):
        GiftFactory(
            code=code, name=name, branch=world.branches[branch], stock=1, low_stock_threshold=5
        )
    return world


def _export(client, user, section, **params):
    return download(client, user, f"stats:{section}_export", {**WHOLE, **params})


def _sheet_of(section, user, branch=None) -> list[list]:
    build = SPECS[section].build
    sheet = build(user=user, date_from=date(2025, 1, 1), date_to=date(2027, 12, 31), branch=branch)
    return sheet.headers, [[as_cell(v) for v in row] for row in sheet.rows]


@pytest.mark.parametrize("section", sorted(SPECS))
def test_each_sheet_is_what_the_selectors_read(client, overview_world, analyst_shenzhen, section):
    headers, expected = _sheet_of(section, analyst_shenzhen)
    rows = _export(client, analyst_shenzhen, section)

    assert list(rows[header_row(rows, headers[0])]) == headers
    assert [[as_cell(v) for v in row] for row in data_rows(rows, headers[0])] == expected
    assert expected  # the world has rows for every section
    logged = ExportLog.objects.get(model_label=SPECS[section].model_label)
    assert (logged.user, logged.row_count) == (analyst_shenzhen, len(expected))


def test_the_sheets_hold_the_selectors_figures(overview_world, analyst_shenzhen):
    times = delivery.delivery_times(
        user=analyst_shenzhen, date_from=date(2025, 1, 1), date_to=date(2027, 12, 31)
    )
    _headers, rows = _sheet_of("delivery", analyst_shenzhen)
    assert [row[1] for row in rows[:-1]] == [row.code for row in times.rows]
    assert rows[-1][2] == times.total.items > 0
    assert rows[-1][12] == times.total.overdue

    oldest = delivery.overdue_shipments(user=analyst_shenzhen, limit=5)
    _headers, rows = _sheet_of("overdue", analyst_shenzhen)
    # The page lists the oldest few; the sheet every one of them, oldest first.
    assert len(rows) == oldest.count > len(oldest.items) == 5
    assert [row[0] for row in rows[:5]] == [o.item.distribution.number for o in oldest.items]

    pools = dashboard.quota_pools(
        user=analyst_shenzhen, today=timezone.localdate(), moment=timezone.now()
    )
    _headers, rows = _sheet_of("pools", analyst_shenzhen)
    assert [(row[1], row[5], row[7]) for row in rows] == [
        (p.quota.code, float(p.used), float(p.percent)) for p in pools
    ]


def test_a_futian_analyst_exports_nothing_of_nanshan(client, overview_world, analyst_futian):
    nanshan = overview_world.branches["nanshan"]
    for section in SPECS:
        rows = _export(client, analyst_futian, section)
        assert not any("南山" in str(cell) for row in rows for cell in row if cell), section
        response = client.get(reverse(f"stats:{section}_export"), {**WHOLE, "branch": nanshan.pk})
        assert response.status_code == 404, section


def test_text_that_looks_like_a_formula_stays_text(client, overview_world, analyst_futian):
    rows = _export(client, analyst_futian, "low_stock")
    cells = [cell for row in rows for cell in row if isinstance(cell, str)]
    assert neutralize('=HYPERLINK("http://x")') in cells
    assert '=HYPERLINK("http://x")' not in cells


def test_the_overview_links_each_export_with_the_filters(client, overview_world, analyst_futian):
    client.force_login(analyst_futian)
    page = client.get(reverse("stats:overview"), WHOLE).content.decode()
    for section in SPECS:
        assert f'href="{reverse(f"stats:{section}_export")}?date_from=2025-01-01' in page


def test_the_charts_tables_export_as_the_grouped_sheet(client, overview_world, analyst_futian):
    """The trend, branch and category tables under the charts: the grouped export of the
    same period and dimension, which holds the same cells as the overview's table."""
    client.force_login(analyst_futian)
    page = client.get(reverse("stats:overview"), WHOLE).content.decode()
    for dimension in ("month", "branch", "category"):
        link = f"{reverse('stats:grouped_export')}?date_from=2025-01-01&amp;date_to=2027-12-31"
        assert f'href="{link}&amp;dimension={dimension}"' in page, dimension
    rows = download(
        client, analyst_futian, "stats:grouped_export", {**WHOLE, "dimension": "category"}
    )
    assert rows[header_row(rows, "礼品类别")][:5] == (
        "礼品类别",
        "发放记录",
        "件数",
        "面值（元）",
        "成本（元）",
    )
