"""An auditor opens the statistics overview: the charts are drawn (canvas), Chinese renders."""

import io
from decimal import Decimal
from urllib.parse import urlencode

import openpyxl
import pytest
from django.utils import timezone

from distribution.models import Quota, QuotaStatus, QuotaUsage
from distribution.periods import period_start
from stats.compliance_views import ZONE_COLORS
from tests.stats.world import (
    add_compliance_distributions,
    add_distributions,
    add_shipments,
    analyst,
    build_compliance,
    build_world,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _login(page, live_server, username, target):
    page.goto(f"{live_server.url}/admin/login/?{urlencode({'next': target})}")
    page.fill("#id_username", username)
    page.fill("#id_password", "correct-horse-battery")
    page.click("input[type=submit]")


def test_an_auditor_sees_the_charts(page, live_server, shoot):
    world = build_world()
    add_distributions(world, 60)
    add_shipments(until=timezone.now())
    auditor = analyst("auditor_e2e", world.branches["shenzhen"])
    quota = Quota.objects.create(
        code="Q-MONTH",
        name="月度礼品额度",
        basis="gift_amount",
        period="month",
        limit=Decimal("10000"),
        status=QuotaStatus.ACTIVE,
        branch=world.branches["shenzhen"],
    )
    QuotaUsage.objects.create(
        quota=quota, period_start=period_start("month", timezone.now()), used=Decimal("8600")
    )
    target = "/stats/?date_from=2025-10-01&date_to=2027-06-30"
    _login(page, live_server, auditor.username, target)
    page.wait_for_selector("[data-chart='chart-month'] canvas")
    page.wait_for_selector("[data-chart='chart-branch'] canvas")
    page.wait_for_selector("[data-chart='chart-category'] canvas")
    page.wait_for_selector("[data-chart='chart-gauges'] canvas")
    page.wait_for_selector("[data-chart='chart-delivery'] canvas")
    assert page.locator("#delivery tbody tr").count() == 2  # both suppliers, most late first
    assert int(page.locator("[data-overdue-count]").get_attribute("data-overdue-count")) > 0
    assert page.locator("#overdue tbody a[href*='/admin/distribution/distribution/']").count() > 0
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert "福田支公司" in page.content()
    shoot(page, "overview")
    with page.expect_download() as downloaded:
        page.click("[data-export='delivery']")
    assert downloaded.value.suggested_filename.startswith("delivery-")
    sheet = openpyxl.load_workbook(io.BytesIO(downloaded.value.path().read_bytes()))
    rows = list(sheet.active.iter_rows(values_only=True))
    assert rows[2][:2] == ("供货商", "编码")  # the heading, the filters, then the columns
    assert "供货商发货时效" in rows[1][0]  # which table, with the filters
    assert len(rows) == 3 + 2 + 1  # two suppliers and the total
    page.goto(f"{live_server.url}/stats/grouped/?dimension=month&across=rule&date_from=2025-01-01")
    page.wait_for_selector("[data-chart='chart-grouped'] canvas")
    shoot(page, "grouped")


def test_a_futian_analyst_sees_the_levels_set_above_it(page, live_server, shoot):
    """The compliance page of a 福田 analyst: 深圳's quota over every branch applies to
    福田's policies, so its levels show; 南山's never do. The histogram's levels have the
    table's colours."""
    world = build_world()
    add_distributions(world, 40)
    extra = build_compliance(world)
    add_compliance_distributions(world, extra, 60)
    auditor = analyst("auditor_ft_e2e", world.branches["futian"])
    _login(page, live_server, auditor.username, "/stats/compliance/?date_from=2024-01-01")
    page.wait_for_selector("[data-chart='chart-ratio-commercial'] canvas")
    quotas = page.locator("#premium-ratio").inner_text()
    assert "PR-RULE" in quotas and "PR-COM" in quotas
    assert "PR-NS" not in quotas
    colours = page.evaluate(
        """() => echarts.getInstanceByDom(
            document.querySelector("[data-chart='chart-ratio-commercial']")
        ).getOption().series.map((s) => s.itemStyle.color)"""
    )
    assert colours == list(ZONE_COLORS)
    shoot(page, "compliance")
