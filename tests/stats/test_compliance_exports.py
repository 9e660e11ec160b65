"""The compliance checks' tables as Excel: each sheet holds what the compliance reads
give the page, every row (where the page lists the first ones), in the user's scope, and
every download is logged."""

from datetime import date

import pytest
from django.urls import reverse

from giftplatform.models import ExportLog
from stats import compliance
from stats.compliance import ComplianceQuery
from stats.compliance_sheets import COMPLIANCE_SHEETS
from tests.stats.sheet_support import as_cell, data_rows, download, header_row
from tests.stats.world import add_compliance_distributions, build_compliance

WHOLE = {"date_from": "2024-01-01", "date_to": "2028-12-31"}
QUERY = ComplianceQuery(date_from=date(2024, 1, 1), date_to=date(2028, 12, 31))
SPECS = {spec.name: spec for spec in COMPLIANCE_SHEETS}


@pytest.fixture
def extra(world):
    built = build_compliance(world)
    add_compliance_distributions(world, built, 90)
    return built


def _built(name, user) -> tuple[list[str], list[list]]:
    sheet = SPECS[name].build(user=user, query=QUERY)
    return sheet.headers, [[as_cell(v) for v in row] for row in sheet.rows]


@pytest.mark.parametrize("name", sorted(SPECS))
def test_each_sheet_is_what_the_reads_give(client, world, extra, analyst_shenzhen, name):
    headers, expected = _built(name, analyst_shenzhen)
    rows = download(client, analyst_shenzhen, f"stats:{name}_export", WHOLE)

    assert list(rows[header_row(rows, headers[0])]) == headers
    assert [[as_cell(v) for v in row] for row in data_rows(rows, headers[0])] == expected
    assert expected  # the compliance world has rows for every table
    logged = ExportLog.objects.get(model_label=SPECS[name].model_label)
    assert (logged.user, logged.row_count) == (analyst_shenzhen, len(expected))


def test_the_sheets_hold_every_row_the_page_counts(world, extra, analyst_shenzhen):
    ratios = compliance.premium_ratios(user=analyst_shenzhen, query=QUERY)
    _headers, rows = _built("compliance_ratios", analyst_shenzhen)
    assert len(rows) == sum(r.policies for r in ratios)
    cash = compliance.cash_equivalents(user=analyst_shenzhen, query=QUERY)
    assert len(_built("compliance_cash", analyst_shenzhen)[1]) == cash.lines
    uses = compliance.contract_uses(user=analyst_shenzhen, query=QUERY)
    _headers, rows = _built("compliance_services", analyst_shenzhen)
    assert [row[6] for row in rows] == [float(s.overused) for s in uses.services]
    overused = sum(s.overused for s in uses.services)
    assert len(_built("compliance_overuse", analyst_shenzhen)[1]) == overused > 0


def test_a_futian_analyst_exports_nothing_of_nanshan(client, world, extra, analyst_futian):
    nanshan = world.branches["nanshan"]
    for name in SPECS:
        rows = download(client, analyst_futian, f"stats:{name}_export", WHOLE)
        assert not any("南山" in str(cell) for row in rows for cell in row if cell), name
        outside = client.get(reverse(f"stats:{name}_export"), {**WHOLE, "branch": nanshan.pk})
        assert outside.status_code == 404, name


def test_the_page_links_each_export_with_the_filters(client, world, extra, analyst_futian):
    client.force_login(analyst_futian)
    page = client.get(reverse("stats:compliance"), WHOLE).content.decode()
    for name in SPECS:
        assert f'href="{reverse(f"stats:{name}_export")}?date_from=2024-01-01' in page, name
