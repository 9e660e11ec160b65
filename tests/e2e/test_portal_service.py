"""A service provider looks a voucher up, redeems it, then tries again and sees the refusal."""

import pytest
from django.utils import translation

from gifts.models import VoucherCode, VoucherStatus
from suppliers.models import ProviderKind
from tests.e2e.conftest import SCREENSHOTS
from tests.factories import PolicyFactory, ProviderFactory, UserFactory
from tests.suppliers.redeem_support import issued_voucher

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def zh(text: str) -> str:
    """``text`` as the portal shows it (Chinese, whichever catalog is compiled)."""
    with translation.override("zh-hans"):
        return translation.gettext(text)


def _shot(page, step):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"portal-service-{step}.png"), full_page=True)


def test_service_provider_redeems_a_voucher_then_is_refused_the_second_time(
    page, live_server, futian
):
    carwash = ProviderFactory(code="P001", name="车洁洗车服务", kind=ProviderKind.SERVICE)
    UserFactory(username="p001_e2e", provider=carwash, is_staff=False, full_name="吴俊杰")
    policy = PolicyFactory(
        branch=futian, plate="粤B8K123", insured_name="王小明", phone="13812345678"
    )
    voucher = issued_voucher(carwash, policy, name="精洗服务券")

    page.goto(f"{live_server.url}/portal/login/")
    page.fill("#id_username", "p001_e2e")
    page.fill("#id_password", "correct-horse-battery")
    page.click(".login-card button[type=submit]")
    page.get_by_role("link", name=zh("Redeem a voucher")).click()

    # Look-up: the gift, the holder masked, the redeem form.
    page.fill("#id_code", voucher.code.lower())
    page.keyboard.press("Enter")
    card = page.locator(".voucher-card")
    card.wait_for()
    assert "精洗服务券" in card.inner_text() and "王**" in card.inner_text()
    assert "138****5678" in card.inner_text() and "13812345678" not in page.content()
    _shot(page, "1-looked-up")

    page.fill("#id_plate", "粤b 8k123")
    page.fill("#id_place", "车洁福田店")
    page.locator("form[action$='/vouchers/redeem/'] button[type=submit]").click()
    confirm = page.locator("button[name=confirm]")
    confirm.wait_for()
    _shot(page, "2-confirm")
    confirm.click()

    page.locator("ul.messages li").wait_for()
    assert voucher.code in page.locator("ul.messages").inner_text()
    _shot(page, "3-redeemed")
    redeemed = VoucherCode.objects.get(pk=voucher.pk)
    assert redeemed.status == VoucherStatus.REDEEMED and redeemed.redeemed_place == "车洁福田店"

    # The same code again: the page says it was redeemed already, when and where.
    page.goto(f"{live_server.url}/portal/vouchers/redeem/?code={voucher.code}")
    page.fill("#id_plate", "粤B8K123")
    page.fill("#id_place", "车洁福田店")
    page.locator("form button[type=submit].primary").click()
    refusal = page.locator(".refusal")
    refusal.wait_for()
    assert "车洁福田店" in refusal.inner_text()
    assert page.locator("button[name=confirm]").count() == 0
    _shot(page, "4-refused")

    # The history lists it once.
    page.get_by_role("link", name=zh("Redemption history")).click()
    rows = page.locator("table.rows tbody tr")
    rows.first.wait_for()
    assert rows.count() == 1 and voucher.code in rows.first.inner_text()
    _shot(page, "5-history")
