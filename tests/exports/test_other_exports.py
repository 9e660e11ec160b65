"""Distribution (one row per item), gift, stock-movement and voucher-code exports: the
changelist's rows for the user, sibling branches absent, voucher codes masked unless the
user manages them, bounded queries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from distribution.models import Distribution
from gifts.models import StockMovement, VoucherCode
from tests.distribution.admin_support import hand_out
from tests.distribution.conftest import make_rule, stocked_gift, voucher_gift
from tests.exports.conftest import changelist_url, export_url, read_sheet
from tests.factories import GiftFactory, PolicyFactory

DISTRIBUTION = "distribution.distribution"


@pytest.fixture
def handouts(futian, nanshan, superuser):
    """Three 福田 hand-outs of a parcel and a car-wash code, and one of 南山."""
    parcel = stocked_gift(quantity=50, branch=None, name="=1+1 礼盒")
    wash = voucher_gift(codes=10, code="WASH", branch=None)
    ft_rule = make_rule("FT", [(parcel, 1, ""), (wash, 1, "")], branch=futian)
    ns_rule = make_rule("NS", [(parcel, 1, "")], branch=nanshan)
    own = [hand_out(superuser, PolicyFactory(branch=futian), ft_rule) for _ in range(3)]
    sibling = hand_out(superuser, PolicyFactory(branch=nanshan), ns_rule)
    return own, sibling


def listed(client, label, query=""):
    response = client.get(changelist_url(label, query))
    assert response.status_code == 200
    return list(response.context["cl"].result_list)


def unique(values):
    return list(dict.fromkeys(values))


@pytest.mark.parametrize("query", ["", "o=1", "q=PLACEHOLDER"])
def test_distributions_export_one_row_per_item_in_the_lists_order(
    client, auditor_futian, handouts, query
):
    own, sibling = handouts
    query = query.replace("PLACEHOLDER", own[1].number)
    client.force_login(auditor_futian)

    sheet = read_sheet(client.get(export_url(DISTRIBUTION, query)))

    numbers = sheet.column("发放单号")
    assert unique(numbers) == [d.number for d in listed(client, DISTRIBUTION, query)]
    assert len(numbers) == 2 * len(unique(numbers))  # the parcel and the code of each
    assert sibling.number not in numbers


def test_distribution_rows_mask_the_mobile_and_the_voucher_code(client, auditor_futian, handouts):
    client.force_login(auditor_futian)

    sheet = read_sheet(client.get(export_url(DISTRIBUTION)))

    assert set(sheet.column("领取人手机号")) == {"138****8000"}
    codes = [code for code in sheet.column("券码") if code]
    assert len(codes) == 3
    assert all(code.startswith("*****") and code[-4:].isdigit() for code in codes)
    issued = set(VoucherCode.objects.filter(status="issued").values_list("code", flat=True))
    assert not issued & set(codes)
    # Formula-like gift names stay text.
    assert "'=1+1 礼盒" in sheet.column("礼品")


def test_counter_staff_get_mobiles_in_full_but_codes_masked(client, counter_futian, handouts):
    client.force_login(counter_futian)

    sheet = read_sheet(client.get(export_url(DISTRIBUTION)))

    assert set(sheet.column("领取人手机号")) == {"13800138000"}
    assert all(code.startswith("*") for code in sheet.column("券码") if code)


def test_gift_managers_get_voucher_codes_in_full(client, gift_manager_futian, handouts):
    client.force_login(gift_manager_futian)

    distributions = read_sheet(client.get(export_url(DISTRIBUTION)))
    vouchers = read_sheet(client.get(export_url("gifts.vouchercode")))

    issued = set(VoucherCode.objects.filter(status="issued").values_list("code", flat=True))
    assert {code for code in distributions.column("券码") if code} == issued
    assert set(vouchers.column("券码")) == set(VoucherCode.objects.values_list("code", flat=True))
    assert set(distributions.column("领取人手机号")) == {"138****8000"}  # no view_pii


def test_voucher_codes_are_masked_for_auditors(client, auditor_futian, handouts):
    client.force_login(auditor_futian)

    sheet = read_sheet(client.get(export_url("gifts.vouchercode", "status__exact=available")))

    available = VoucherCode.objects.filter(status="available").values_list("code", flat=True)
    assert sorted(sheet.column("券码")) == sorted(f"******{code[-4:]}" for code in available)
    assert len(sheet.rows) == 7
    assert set(sheet.column("状态")) == {"可用"}


def test_a_redeemed_code_shows_where_and_for_which_plate(client, gift_manager_futian, handouts):
    voucher = VoucherCode.objects.filter(status="issued").first()
    VoucherCode.objects.filter(pk=voucher.pk).update(
        status="redeemed",
        redeemed_at=timezone.now(),
        redeemed_place="车洁福田店",
        redeemed_plate="粤B12345",
    )
    client.force_login(gift_manager_futian)

    page = client.get(reverse("admin:gifts_vouchercode_change", args=[voucher.pk]))
    sheet = read_sheet(client.get(export_url("gifts.vouchercode", "status__exact=redeemed")))

    assert page.status_code == 200
    assert "车洁福田店" in page.content.decode() and "粤B12345" in page.content.decode()
    assert sheet.column("核销地点") == ["车洁福田店"]
    assert sheet.column("核销车牌") == ["粤B12345"]


@pytest.mark.parametrize("who", ["auditor_futian", "superuser"])
def test_distribution_export_queries_do_not_grow_with_rows(
    client, request, futian, superuser, who, django_assert_num_queries
):
    gift = stocked_gift(quantity=500, branch=futian)
    wash = voucher_gift(codes=60, branch=futian)
    rule = make_rule("FT-Q", [(gift, 1, ""), (wash, 1, "")], branch=futian)
    for _ in range(5):
        hand_out(superuser, PolicyFactory(branch=futian), rule)
    client.force_login(request.getfixturevalue(who))
    url = export_url(DISTRIBUTION, "o=1")
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        assert len(read_sheet(client.get(url)).rows) == 10
    for _ in range(45):
        hand_out(superuser, PolicyFactory(branch=futian), rule)

    with django_assert_num_queries(len(few)):
        sheet = read_sheet(client.get(url))
    assert len(sheet.rows) == 100
    assert Distribution.objects.count() == 50


@pytest.mark.parametrize("query", ["", "kind__exact=physical", "q=G", "o=-2"])
def test_gifts_export_the_lists_rows(client, auditor_futian, futian, nanshan, query):
    own = [GiftFactory(branch=futian) for _ in range(3)] + [GiftFactory(branch=None)]
    hidden = GiftFactory(branch=nanshan)
    client.force_login(auditor_futian)

    sheet = read_sheet(client.get(export_url("gifts.gift", query)))

    assert sheet.column("礼品编码") == [g.code for g in listed(client, "gifts.gift", query)]
    assert hidden.code not in sheet.column("礼品编码")
    assert len(sheet.rows) == len(own)
    face_value = sheet.cells[0][sheet.header.index("面值")]
    assert (face_value.value, face_value.data_type) == (100, "n")


def test_stock_movements_export_the_lists_rows_with_local_times(
    client, auditor_futian, futian, nanshan
):
    for branch in (futian, futian, nanshan):
        stocked_gift(quantity=5, branch=branch)
    client.force_login(auditor_futian)

    sheet = read_sheet(client.get(export_url("gifts.stockmovement", "reason__exact=receipt")))

    shown = listed(client, "gifts.stockmovement", "reason__exact=receipt")
    assert sheet.column("礼品编码") == [m.gift.code for m in shown]
    assert len(shown) == 2
    time = sheet.cells[0][sheet.header.index("时间")]
    movement = StockMovement.objects.get(pk=shown[0].pk)
    local = movement.created_at.astimezone(__import__("zoneinfo").ZoneInfo("Asia/Shanghai"))
    assert time.is_date
    assert time.value == local.replace(tzinfo=None, microsecond=time.value.microsecond)


def test_the_row_limit_counts_item_rows(client, auditor_futian, handouts, settings):
    settings.EXPORT_MAX_ROWS = 5  # three distributions, six item rows
    client.force_login(auditor_futian)

    refused = client.get(export_url(DISTRIBUTION))
    settings.EXPORT_MAX_ROWS = 6
    sheet = read_sheet(client.get(export_url(DISTRIBUTION)))

    assert refused.status_code == 302
    assert len(sheet.rows) == 6


@pytest.mark.parametrize(
    "label", [DISTRIBUTION, "gifts.gift", "gifts.stockmovement", "gifts.vouchercode"]
)
def test_each_changelist_has_the_export_button(client, auditor_futian, label):
    client.force_login(auditor_futian)

    page = client.get(changelist_url(label, "o=1"))
    popup = client.get(changelist_url(label, "_popup=1"))

    assert f'href="{export_url(label, "o=1")}"' in page.content.decode()
    assert 'id="export-link"' not in popup.content.decode()
