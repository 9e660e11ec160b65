"""A supplier ships through the portal: finds an item, logs its tracking number, uploads a
sheet with a bad row (error shown, nothing saved), fixes it, and cannot open another
supplier's item by editing the URL."""

import pytest

from distribution.models import ItemStatus, Shipment
from giftplatform.sheets.writer import write_workbook
from tests.suppliers.shipment_support import build_supply, days_ago

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
HEADERS = ["保单号", "礼品编码", "礼品名称", "数量", "快递公司", "快递单号"]


def _sheet(path, rows):
    write_workbook(str(path), HEADERS, rows)
    return str(path)


def test_supplier_logs_parcels_by_hand_and_by_sheet(
    page, live_server, futian, shoot, tmp_path, settings
):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    supply = build_supply(futian)
    by_hand = supply.due(
        supply.policy(policy_no="PDAA202644030400000001"),
        supply.gifts["G001"],
        at=days_ago(10),
        name="陈美玲",
        phone="13923456789",
        address="深圳市福田区深南大道6008号",
    )
    by_sheet = supply.due(supply.policy(policy_no="PDAA202644030400000002"), supply.gifts["G002"])
    foreign = supply.due(supply.policy(policy_no="PDAA202644030400000003"), supply.gifts["G003"])

    # Sign in on the portal's own page.
    page.goto(f"{live_server.url}/portal/")
    page.wait_for_selector("#id_username")
    shoot(page, "1-sign-in")
    page.fill("#id_username", "s001_user")
    page.fill("#id_password", "correct-horse-battery")
    page.click("button[type=submit].primary")
    page.wait_for_selector(".tiles")
    shoot(page, "2-home")

    # Find the outstanding item and log its tracking number.
    page.click('.portal-nav a[href="/portal/items/"]')
    page.fill("#id_q", by_hand.distribution.policy.policy_no)
    page.press("#id_q", "Enter")
    row = page.locator(f'#outstanding tr[data-item="{by_hand.pk}"]')
    row.wait_for()
    assert "139****6789" in row.inner_text() and "陈美玲" in row.inner_text()
    assert "13923456789" not in page.content()
    assert row.locator(".badge.bad").count() == 1  # ten days: overdue
    shoot(page, "3-outstanding")
    row.locator("a.button.primary").click()
    page.wait_for_selector("#id_tracking_no")
    page.select_option("#id_courier", "SF")
    page.fill("#id_tracking_no", "sf 1234 5678 90123")
    shoot(page, "4-log-parcel")
    page.click("form.card button[type=submit].primary")
    page.wait_for_selector("#parcels")
    assert "SF1234567890123" in page.locator("#parcels").inner_text()
    shoot(page, "5-parcel-listed")
    by_hand.refresh_from_db()
    assert by_hand.status == ItemStatus.SHIPPED

    # A sheet with one bad row (another supplier's item): its error, nothing saved.
    page.click('.portal-nav a[href="/portal/shipments/import/"]')
    bad = _sheet(
        tmp_path / "bad.xlsx",
        [
            [by_sheet.distribution.policy.policy_no, "G002", "", 1, "中通", "78123456789012"],
            [foreign.distribution.policy.policy_no, "G003", "", 1, "顺丰", "SF1234567890124"],
        ],
    )
    page.set_input_files("#id_sheet", bad)
    page.click("form.card button[type=submit].primary")
    page.wait_for_selector("#sheet-errors")
    errors = page.locator("#sheet-errors li")
    assert errors.count() == 1
    bad_rows = page.locator("#sheet-rows tr.overdue td:first-child")
    assert bad_rows.all_inner_texts() == ["3"]
    assert page.locator("input[name=token]").count() == 0
    shoot(page, "6-sheet-row-error")
    assert Shipment.objects.count() == 1

    # Fixed: the bad row taken out; preview, then save.
    good = _sheet(
        tmp_path / "good.xlsx",
        [[by_sheet.distribution.policy.policy_no, "G002", "", 1, "中通", "78123456789012"]],
    )
    page.set_input_files("#id_sheet", good)
    page.click("form.card button[type=submit].primary")
    page.wait_for_selector("input[name=token]", state="attached")
    shoot(page, "7-sheet-preview")
    page.click("#sheet-check form button[type=submit]")
    page.wait_for_selector("#parcels")
    assert "78123456789012" in page.locator("#parcels").inner_text()
    shoot(page, "8-sheet-saved")
    assert Shipment.objects.count() == 2

    # Another supplier's item by URL: the portal's not-found page.
    response = page.goto(f"{live_server.url}/portal/items/{foreign.pk}/")
    assert response.status == 404
    assert page.locator("main h1").count() == 1
    assert foreign.distribution.policy.policy_no not in page.content()
    shoot(page, "9-not-found")
