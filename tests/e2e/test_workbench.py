"""A counter clerk finds a policy, picks a gift with the keyboard only, confirms, prints."""

import pytest

from distribution.models import Distribution
from gifts.models import Gift
from tests.distribution.conftest import (
    make_quota,
    make_rule,
    stocked_gift,
    voucher_gift,
    with_role,
)
from tests.e2e.conftest import SCREENSHOTS
from tests.factories import PolicyFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _login(page, live_server, username):
    page.goto(f"{live_server.url}/admin/login/?next=/workbench/")
    page.fill("#id_username", username)
    page.fill("#id_password", "correct-horse-battery")
    page.click("input[type=submit]")


def _shot(page, step):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"workbench-{step}.png"), full_page=True)


def _tab_to(page, selector, limit=80):
    """Press Tab until ``selector`` has the focus: proves it is reachable by keyboard."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"{selector} is not reachable with Tab")


def test_clerk_hands_out_a_chosen_gift_with_the_keyboard(page, live_server, futian):
    clerk = UserFactory(username="clerk_e2e", branch=futian, full_name="柜面小李")
    with_role(clerk, "counter_staff")
    policy = PolicyFactory(
        branch=futian,
        policy_no="PDAA202644030400000123",
        insured_name="王小明",
        id_number="44030419900101123X",
        phone="13812345678",
        plate="粤B8K123",
        vehicle_type="轿车",
        usage="家庭自用",
        seats=5,
        is_new_car=True,
        contract_services={"road_rescue": 4},
    )
    wash = voucher_gift(5, name="精洗服务券")
    kettle = stocked_gift(20, name="车载保温杯", face_value="80.00")
    vacuum = stocked_gift(20, name="车载吸尘器", face_value="120.00")
    make_rule(
        "NEWCAR",
        rewards=[(wash, 1, ""), (kettle, 1, "礼品"), (vacuum, 1, "礼品")],
        conditions=[(1, "is_new_car", "eq", True)],
        name="新车礼包",
    )
    make_rule(
        "MPV",
        rewards=[(stocked_gift(5, name="七座车脚垫"), 1, "")],
        conditions=[(1, "seats", "gte", 7)],
        name="七座车专享",
    )
    # The cheapest choice takes 82% of the pool: a warning; the dearer one fits exactly.
    make_quota("FT-POOL", "gift_amount", "month", "220.00", name="福田月度池")
    PolicyFactory(branch=futian, phone=policy.phone, insured_name="王小明")  # a second car

    _login(page, live_server, clerk.username)
    page.wait_for_selector("#id_q")
    # autofocus: applied once the document has focus, which may come a moment after load
    page.wait_for_function("document.activeElement && document.activeElement.id === 'id_q'")
    page.keyboard.type(policy.phone)
    page.keyboard.press("Enter")
    page.wait_for_selector("#search-results")
    assert policy.phone not in page.inner_text("#search-results")
    _shot(page, "0-search")
    _tab_to(page, f"#search-results a[href$='/policy/{policy.pk}/']")
    page.keyboard.press("Enter")
    page.wait_for_selector("#policy-details")
    assert page.inner_text("#masked-id") == "440304********123X"
    assert page.inner_text("#masked-phone") == "138****5678"
    # Rules that do not match are folded under a summary that opens from the keyboard.
    assert not page.is_visible("#rule-MPV")
    page.focus("#unmatched-rules > summary")
    page.keyboard.press("Enter")
    assert "七座车专享" in page.inner_text("#rule-MPV")
    assert page.is_visible("#rule-NEWCAR .badge-warn")
    _shot(page, "1-policy")

    # The first option of the group, then the arrow key to the second (the vacuum cleaner).
    _tab_to(page, "#handout-form input[type=radio]")
    page.keyboard.press("ArrowDown")
    rule_id = page.get_attribute("#rule-NEWCAR [data-include]", "id").removeprefix("include-")
    _tab_to(page, f"#include-{rule_id}")
    if not page.is_checked(f"#include-{rule_id}"):
        page.keyboard.press("Space")
    assert page.is_checked(f"#include-{rule_id}")
    _tab_to(page, "#id_delivery_address")
    page.keyboard.type("深圳市福田区福华三路88号")
    _shot(page, "2-chosen")
    _tab_to(page, "#confirm")
    page.keyboard.press("Enter")

    page.wait_for_selector("#receipt")
    _shot(page, "3-receipt")
    (made,) = Distribution.objects.filter(policy=policy)
    receipt = page.inner_text("#receipt")
    assert made.number in receipt and "车载吸尘器" in receipt and "精洗服务券" in receipt
    assert made.items.get(gift=wash).voucher.code in receipt
    assert Gift.objects.get(pk=vacuum.pk).stock == 19
    assert Gift.objects.get(pk=kettle.pk).stock == 20

    page.emulate_media(media="print")
    assert not page.is_visible(".site-header")
    assert not page.is_visible("#print")
    _shot(page, "4-print")
