"""A gift manager imports a gift sheet in the browser: a bad row first, then the fix."""

import pytest

from giftplatform.sheets.writer import write_workbook
from gifts.models import Gift
from tests.conftest import make_manager
from tests.factories import CategoryFactory, ProviderFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HEADERS = ["礼品编码", "礼品名称", "类型", "类别", "供应商编码", "面值", "单位成本", "所属机构"]


def _login(page, live_server, username):
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "correct-horse-battery")
    page.click("input[type=submit]")


def test_manager_fixes_a_bad_sheet_and_imports_it(page, live_server, shoot, tmp_path, shenzhen):
    CategoryFactory(code="C01", name="车品")
    ProviderFactory(code="S001")
    make_manager("manager_e2e", shenzhen)
    bad = tmp_path / "礼品-有错.xlsx"
    good = tmp_path / "礼品.xlsx"
    rows = [["G1", "车载吸尘器", "实物", "C01", "S001", "¥128.00", "88元", "4403"]]
    write_workbook(
        str(bad), HEADERS, [*rows, ["G2", "洗车套装", "实物", "C99", "S001", 60, 30, "4403"]]
    )
    write_workbook(
        str(good), HEADERS, [*rows, ["G2", "洗车套装", "实物", "C01", "S001", 60, 30, "4403"]]
    )

    _login(page, live_server, "manager_e2e")
    page.goto(f"{live_server.url}/admin/gifts/gift/")
    page.click("#import-link")
    shoot(page, "1-upload")
    page.set_input_files("#id_file", str(bad))
    page.click("#import-form input[type=submit]")
    page.wait_for_selector("#import-errors")
    shoot(page, "2-rejected")
    errors = page.inner_text("#import-errors")
    assert "3" in errors and "类别" in errors
    assert Gift.objects.count() == 0

    page.click("#upload-again")
    page.set_input_files("#id_file", str(good))
    page.click("#import-form input[type=submit]")
    page.wait_for_selector("#confirm-import")
    assert page.inner_text("#count-created") == "2"
    shoot(page, "3-preview")
    page.click("#confirm-import")
    page.wait_for_selector(".messagelist .success")
    shoot(page, "4-committed")
    assert set(Gift.objects.values_list("code", flat=True)) == {"G1", "G2"}
