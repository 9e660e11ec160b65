"""The service provider's portal pages over real HTTP: look-up, redeem, history, export."""

# ruff: noqa: F811 (fixtures imported from redeem_support are parameters here)

import datetime
import io
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from django.urls import reverse
from django.utils.translation import gettext as _

from distribution.services.redemption import voucher_redeem
from giftplatform.models import ExportLog
from gifts.models import VoucherCode, VoucherStatus
from suppliers.models import ProviderKind
from tests.factories import PolicyFactory, ProviderFactory, UserFactory
from tests.suppliers.redeem_support import (  # noqa: F401
    carwash,
    issued_voucher,
    portal_user,
    rescue_voucher,
    rival,
    rival_user,
    washer,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
LOOKUP = reverse("portal:voucher_lookup")
REDEEM = reverse("portal:voucher_redeem")
HISTORY = reverse("portal:redemptions")
EXPORT = reverse("portal:redemptions_export")


def main_of(response, code: str) -> str:
    """The page's main part with the code typed in taken out (the header holds a token)."""
    page = response.content.decode()
    return page[page.index("<main") : page.index("</main>")].replace(code, "")


@pytest.fixture
def policy(futian):
    return PolicyFactory(
        branch=futian,
        plate="粤B12345",
        phone="13912345678",
        insured_name="王小明",
        id_number="110105199001011234",
    )


@pytest.fixture
def voucher(carwash, policy):
    return issued_voucher(carwash, policy)


@pytest.fixture
def signed_in(client, washer):
    client.force_login(washer)
    return client


def test_look_up_shows_gift_validity_masked_holder_and_status(signed_in, voucher, policy):
    response = signed_in.get(LOOKUP, {"code": voucher.code.lower()})
    page = response.content.decode()
    assert response.status_code == 200
    assert voucher.gift.name in page and "王**" in page and "139****5678" in page
    assert response.context["info"].status_label in page
    for secret in ("王小明", "13912345678", policy.id_number, policy.policy_no, "3200"):
        assert secret not in page
    assert 'name="plate"' in page  # redeemable: the redeem form follows


def test_another_providers_code_looks_exactly_like_a_missing_one(signed_in, rival, futian):
    theirs = issued_voucher(rival, branch=futian)
    foreign = signed_in.get(LOOKUP, {"code": theirs.code})
    missing = signed_in.get(LOOKUP, {"code": "NOSUCHCODE"})
    assert foreign.status_code == missing.status_code == 200
    assert (
        foreign.context["refusal"] == missing.context["refusal"] == _("No voucher with this code.")
    )
    assert main_of(foreign, theirs.code) == main_of(missing, "NOSUCHCODE")
    assert theirs.gift.name not in foreign.content.decode()


def test_redeem_asks_for_confirmation_then_redeems_once(signed_in, voucher, washer):
    data = {"code": voucher.code, "plate": "粤b 12345", "place": "车洁福田店"}

    confirm = signed_in.post(REDEEM, data)
    assert confirm.status_code == 200
    assert _("Confirm redemption") in confirm.content.decode()
    assert VoucherCode.objects.get(pk=voucher.pk).status == VoucherStatus.ISSUED

    done = signed_in.post(REDEEM, {**data, "confirm": "1"}, follow=True)
    assert done.redirect_chain[-1][0].startswith(LOOKUP)
    redeemed = VoucherCode.objects.get(pk=voucher.pk)
    assert (redeemed.status, redeemed.redeemed_by, redeemed.redeemed_place) == (
        VoucherStatus.REDEEMED,
        washer,
        "车洁福田店",
    )
    assert voucher.code in " ".join(str(m) for m in done.context["messages"])
    assert done.context["info"].redeemed_by == "李核销"  # the redeemer's name, not the login

    again = signed_in.post(REDEEM, {**data, "confirm": "1"})
    assert again.status_code == 200
    assert again.context["refusal"].startswith(_("Already redeemed on %(when)s at %(place)s.")[:3])
    assert "车洁福田店" in again.context["refusal"]
    assert again.context["refusal"] in again.content.decode()


def test_a_wrong_plate_is_refused_at_the_confirmation_step(signed_in, voucher):
    response = signed_in.post(REDEEM, {"code": voucher.code, "plate": "粤B99999", "place": "店"})
    assert response.status_code == 200
    assert response.context["refusal"] == _(
        "The plate does not match the vehicle this voucher was issued to."
    )
    assert VoucherCode.objects.get(pk=voucher.pk).status == VoucherStatus.ISSUED


def test_the_redeem_form_needs_plate_and_place(signed_in, voucher):
    response = signed_in.post(REDEEM, {"code": voucher.code, "plate": "", "place": ""})
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"plate", "place"}


@pytest.mark.parametrize(
    "name", ["voucher_lookup", "voucher_redeem", "redemptions", "redemptions_export"]
)
def test_suppliers_and_staff_are_refused_anonymous_sent_to_sign_in(client, futian, name):
    url = reverse(f"portal:{name}")
    assert client.get(url).status_code == 302
    supplier = ProviderFactory(code="S101", kind=ProviderKind.GOODS)
    for user in (portal_user(supplier, "s101_user"), UserFactory(username="clerk", branch=futian)):
        client.force_login(user)
        assert client.get(url).status_code == 403


# ----------------------------------------------------------------------------- history


def redeemed(provider, user, futian, when, n=1, place="福田店"):
    vouchers = []
    for _number in range(n):
        voucher = issued_voucher(provider, branch=futian)
        plate = voucher.distribution_items.get().distribution.policy.plate
        vouchers.append(
            voucher_redeem(actor=user, code=voucher.code, plate=plate, place=place, when=when)
        )
    return vouchers


def test_history_lists_own_redemptions_newest_first_with_holders_masked(
    signed_in, carwash, washer, rival, rival_user, futian
):
    day = datetime.datetime(2026, 11, 20, 9, 0, tzinfo=SHANGHAI)
    older = redeemed(carwash, washer, futian, day)[0]
    newer = redeemed(carwash, washer, futian, day + datetime.timedelta(days=2))[0]
    theirs = redeemed(rival, rival_user, futian, day)[0]

    response = signed_in.get(HISTORY)

    codes = [row["code"] for row in response.context["rows"]]
    assert codes == [newer.code, older.code]
    page = response.content.decode()
    assert theirs.code not in page and "张*" in page and "138****8000" in page
    assert "张三" not in page and "13800138000" not in page


def test_history_filters_by_date_gift_and_code(signed_in, carwash, washer, futian):
    day = datetime.datetime(2026, 11, 20, 23, 30, tzinfo=SHANGHAI)  # 15:30 UTC
    first = redeemed(carwash, washer, futian, day)[0]
    second = redeemed(carwash, washer, futian, day + datetime.timedelta(days=1))[0]

    def codes(**query):
        return [row["code"] for row in signed_in.get(HISTORY, query).context["rows"]]

    assert codes(date_from="2026-11-21") == [second.code]
    assert codes(date_to="2026-11-20") == [first.code]
    assert codes(gift=first.gift_id) == [first.code]
    assert codes(code=second.code[:6].lower()) == [second.code]
    # Another provider's gift is not a choice: the filter is invalid and filters nothing.
    assert signed_in.get(HISTORY, {"gift": 999999}).context["form"].errors


def test_history_pages_cost_the_same_queries_however_many_rows(
    signed_in, carwash, washer, futian, django_assert_max_num_queries, django_assert_num_queries
):
    when = datetime.datetime(2026, 11, 20, 9, 0, tzinfo=SHANGHAI)
    redeemed(carwash, washer, futian, when, n=2)
    with django_assert_max_num_queries(20) as few:
        signed_in.get(HISTORY)
    redeemed(carwash, washer, futian, when, n=53)
    with django_assert_num_queries(len(few.captured_queries)):
        first = signed_in.get(HISTORY)
    assert len(first.context["rows"]) == 50 and first.context["page"].has_next()
    last = signed_in.get(HISTORY, {"page": 2})
    assert len(last.context["rows"]) == 5


def test_export_is_the_filtered_history_as_a_sheet_logged(
    signed_in, carwash, washer, rival, rival_user, futian
):
    when = datetime.datetime(2026, 11, 20, 9, 0, tzinfo=SHANGHAI)
    mine = redeemed(carwash, washer, futian, when, n=2)
    redeemed(rival, rival_user, futian, when)

    response = signed_in.get(EXPORT, {"date_from": "2026-11-20"})

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert "no-store" in response["Cache-Control"]
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    values = [[cell for cell in row] for row in sheet.iter_rows(values_only=True)]
    header_at = next(i for i, row in enumerate(values) if row[0] == _("Redeemed at"))
    body = values[header_at + 1 :]
    assert sorted(row[1] for row in body) == sorted(v.code for v in mine)
    assert {row[4] for row in body} == {"张*"} and {row[5] for row in body} == {"138****8000"}
    assert body[0][0] == datetime.datetime(2026, 11, 20, 9, 0)
    log = ExportLog.objects.get()
    assert (log.user, log.row_count, log.model_label) == (washer, 2, "gifts.vouchercode")


def test_the_audit_page_shows_the_redemption_with_who_and_when(client, voucher, washer, superuser):
    when = datetime.datetime(2026, 11, 25, 14, 5, tzinfo=SHANGHAI)
    plate = voucher.distribution_items.get().distribution.policy.plate
    voucher_redeem(actor=washer, code=voucher.code, plate=plate, place="车洁福田店", when=when)
    client.force_login(superuser)

    response = client.get(reverse("audit"), {"model": "gifts.vouchercode"})

    assert response.status_code == 200
    page = response.content.decode()
    assert voucher.code in page and "车洁福田店" in page and washer.full_name in page


def test_a_contract_service_shows_the_policys_uses_left(signed_in, carwash, futian):
    rescue_policy = PolicyFactory(branch=futian, contract_services={"road_rescue": 3})
    rescue = rescue_voucher(carwash, rescue_policy)
    response = signed_in.get(LOOKUP, {"code": rescue.code})
    info = response.context["info"]
    assert (info.contract_service, info.uses_left) == (_("road rescue"), 3)
    assert _("Uses of the service left on the policy") in response.content.decode()


def test_the_redeem_form_offers_the_last_place_again(signed_in, carwash, voucher, futian):
    data = {"code": voucher.code, "plate": "粤B12345", "place": "车洁福田店", "confirm": "1"}
    signed_in.post(REDEEM, data)
    other = issued_voucher(carwash, branch=futian)
    response = signed_in.get(LOOKUP, {"code": other.code})
    assert response.context["redeem_form"].initial["place"] == "车洁福田店"
