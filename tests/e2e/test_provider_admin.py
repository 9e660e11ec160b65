"""Staff manage a supplier in the browser: expiry flags, a document upload (a renamed
executable refused, a PDF kept), a portal account whose password shows once, and a
settlement marked settled."""

import datetime

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from giftplatform.roles import apply_roles
from suppliers.models import (
    ProviderDocument,
    ProviderKind,
    ProviderSignupRequest,
    Settlement,
    SettlementStatus,
)
from tests.factories import ProviderFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "correct-horse-battery"
PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"


def _login(page, live_server, username):
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")


def _staff(role, branch, username):
    user = UserFactory(username=username, branch=branch, is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    return user


def test_staff_manage_a_supplier(page, live_server, shoot, tmp_path, shenzhen):
    apply_roles()
    today = timezone.localdate()
    supplier = ProviderFactory(
        code="S001",
        name="深圳好礼贸易",
        kind=ProviderKind.GOODS,
        contract_end=today + datetime.timedelta(days=12),
    )
    ProviderFactory(code="S002", name="广州优选", contract_end=today - datetime.timedelta(days=3))
    _staff("gift_manager", shenzhen, "gm_sz")
    _staff("branch_admin", shenzhen, "ba_sz")
    renamed = tmp_path / "合同.pdf"
    renamed.write_bytes(b"MZ\x90\x00" + b"\x00" * 64)
    contract = tmp_path / "采购合同2026.pdf"
    contract.write_bytes(PDF)

    _login(page, live_server, "gm_sz")
    page.goto(f"{live_server.url}/admin/suppliers/supplier/")
    assert page.locator(".contract-expiring").count() == 1
    assert page.locator(".contract-expired").count() == 1
    shoot(page, "1-list")

    page.goto(f"{live_server.url}/admin/suppliers/supplier/{supplier.pk}/change/")
    page.wait_for_selector(".messagelist .warning")
    page.click("#documents-group .add-row a")
    page.select_option("#id_documents-0-doc_type", "contract")
    page.set_input_files("#id_documents-0-upload", str(renamed))
    page.click("input[name=_continue]")
    page.wait_for_selector("#documents-group .errorlist")
    shoot(page, "2-renamed-exe-refused")
    assert ProviderDocument.objects.count() == 0
    page.set_input_files("#id_documents-0-upload", str(contract))
    page.click("input[name=_continue]")
    page.wait_for_selector(".messagelist .success")
    assert page.locator("#documents-group a", has_text="采购合同2026.pdf").count() == 1
    shoot(page, "3-document-kept")

    _login(page, live_server, "ba_sz")
    page.goto(f"{live_server.url}/admin/suppliers/supplier/{supplier.pk}/change/")
    page.click("a[href$='/portal-users/']")
    page.fill("#id_username", "s001_user")
    page.fill("#id_full_name", "王供货")
    page.click("#content-main form input[type=submit]")
    page.wait_for_selector("#shown-password")
    password = page.inner_text("#shown-password code")
    shoot(page, "4-portal-account")
    assert supplier.users.get().check_password(password)
    page.reload()
    assert page.locator("#shown-password").count() == 0

    _login(page, live_server, "gm_sz")
    page.goto(f"{live_server.url}/admin/suppliers/settlement/add/")
    page.select_option("#id_provider", str(supplier.pk))
    page.click("input[name=_continue]")
    page.wait_for_selector("#statement-lines")
    shoot(page, "5-statement")
    page.click("a[href$='/settle/']")
    page.click("input[type=submit]")
    page.wait_for_selector(".messagelist .success")
    shoot(page, "6-settled")
    assert Settlement.objects.get().status == SettlementStatus.SETTLED


def test_a_company_asks_to_become_a_provider(page, live_server, shoot):
    page.goto(f"{live_server.url}/provider-signup/")
    page.fill("#id_name", "深圳市好车服务有限公司")
    page.select_option("#id_kind", "service")
    page.fill("#id_credit_code", "914403007152672631")  # a wrong check digit
    page.fill("#id_contact_name", "陈经理")
    page.fill("#id_phone", "13912345678")
    page.fill("#id_email", "chen@example.com")
    page.click("#signup-form input[type=submit]")
    page.wait_for_selector(".errorlist")
    shoot(page, "1-refused")
    page.fill("#id_credit_code", "914403007152672630")
    page.click("#signup-form input[type=submit]")
    page.wait_for_selector("#signup-sent")
    shoot(page, "2-sent")
    assert ProviderSignupRequest.objects.get().status == "pending"
