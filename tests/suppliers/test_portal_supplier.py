"""Supplier pages over real HTTP: what to ship, logging parcels, delivery, scope."""

import io

import openpyxl
import pytest
from django.urls import reverse

from distribution.models import Courier, ItemStatus, Shipment
from distribution.services.shipments import shipment_log
from giftplatform.models import ExportLog
from suppliers.models import ProviderKind
from tests.factories import ProviderFactory, UserFactory
from tests.suppliers.shipment_support import build_supply, days_ago

pytestmark = pytest.mark.django_db
SF = "SF1234567890123"


@pytest.fixture
def supply(futian):
    return build_supply(futian)


@pytest.fixture
def as_s1(client, supply):
    client.force_login(supply.user1)
    return client


def _due_rows(supply, count, gift="G001", **fields):
    return [supply.due(supply.policy(**fields), supply.gifts[gift]) for _ in range(count)]


def test_outstanding_list_shows_masked_data_and_only_own_items(as_s1, supply):
    item = supply.due(
        supply.policy(id_number="110105199001011234", premium="4321.00"),
        supply.gifts["G001"],
        2,
        name="赵六",
        phone="13912345678",
        address="深圳市福田区福华路1号",
    )
    foreign = supply.due(supply.policy(), supply.gifts["G003"])
    response = as_s1.get(reverse("portal:outstanding"))
    body = response.content.decode()
    assert response.status_code == 200
    assert item.distribution.policy.policy_no in body
    assert "赵六" in body and "139****5678" in body and "福华路1号" in body
    assert "13912345678" not in body
    assert "110105199001011234" not in body and "4321" not in body
    assert foreign.distribution.policy.policy_no not in body


def test_outstanding_list_query_count_is_constant(as_s1, supply, django_assert_num_queries):
    _due_rows(supply, 3)
    with django_assert_num_queries(6) as few:
        as_s1.get(reverse("portal:outstanding"))
    _due_rows(supply, 12)
    with django_assert_num_queries(len(few.captured_queries)):
        response = as_s1.get(reverse("portal:outstanding"))
    assert len(response.context["rows"]) == 15


def test_overdue_flag_and_filter(as_s1, supply):
    old = supply.due(supply.policy(), supply.gifts["G001"], at=days_ago(30))
    new = supply.due(supply.policy(), supply.gifts["G001"])
    response = as_s1.get(reverse("portal:outstanding"), {"overdue": "yes"})
    numbers = [row.policy_no for row in response.context["rows"]]
    assert numbers == [old.distribution.policy.policy_no]
    assert response.context["rows"][0].overdue
    response = as_s1.get(reverse("portal:outstanding"), {"overdue": "no"})
    assert [row.item.pk for row in response.context["rows"]] == [new.pk]


def test_search_and_gift_filter(as_s1, supply):
    first = supply.due(supply.policy(), supply.gifts["G001"])
    second = supply.due(supply.policy(), supply.gifts["G002"])
    response = as_s1.get(reverse("portal:outstanding"), {"q": first.distribution.policy.policy_no})
    assert [row.item.pk for row in response.context["rows"]] == [first.pk]
    response = as_s1.get(reverse("portal:outstanding"), {"gift": supply.gifts["G002"].pk})
    assert [row.item.pk for row in response.context["rows"]] == [second.pk]
    # Another supplier's gift is not a choice.
    response = as_s1.get(reverse("portal:outstanding"), {"gift": supply.gifts["G003"].pk})
    assert response.context["form"].errors


def test_pagination(as_s1, supply):
    _due_rows(supply, 55)
    response = as_s1.get(reverse("portal:outstanding"), {"page": 2})
    assert len(response.context["rows"]) == 5


def test_export_has_masked_phone_and_only_own_rows(as_s1, supply):
    supply.due(supply.policy(), supply.gifts["G001"], at=days_ago(30), phone="13912345678")
    supply.due(supply.policy(), supply.gifts["G003"])
    response = as_s1.get(reverse("portal:outstanding_export"))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))[1:]  # a note, then the header
    assert rows[0][:3] == ("保单号", "收件人", "手机号")
    assert len(rows) == 2
    assert rows[1][2] == "139****5678"
    assert rows[1][8] == "是"
    log = ExportLog.objects.get()
    assert (log.user, log.row_count) == (supply.user1, 1)


def test_log_a_parcel_from_the_form(as_s1, supply):
    item = supply.due(supply.policy(), supply.gifts["G001"], 2)
    url = reverse("portal:shipment_add") + f"?item={item.pk}"
    page = as_s1.get(url)
    assert page.status_code == 200
    response = as_s1.post(
        url, {"courier": Courier.SF, "tracking_no": SF, f"qty_{item.pk}": "2"}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("portal:shipments")
    assert SF in response.content.decode()
    item.refresh_from_db()
    assert item.status == ItemStatus.SHIPPED


def test_the_form_refuses_a_bad_number_and_too_many(as_s1, supply):
    item = supply.due(supply.policy(), supply.gifts["G001"])
    url = reverse("portal:shipment_add") + f"?item={item.pk}"
    bad = as_s1.post(url, {"courier": Courier.SF, "tracking_no": "YT1", f"qty_{item.pk}": "1"})
    assert bad.status_code == 200 and bad.context["form"].errors["tracking_no"]
    many = as_s1.post(url, {"courier": Courier.SF, "tracking_no": SF, f"qty_{item.pk}": "5"})
    assert many.status_code == 200 and many.context["refused"]
    assert not Shipment.objects.exists()


def test_another_suppliers_item_in_the_url_is_not_found(as_s1, supply):
    foreign = supply.due(supply.policy(), supply.gifts["G003"])
    for url in (
        reverse("portal:item", args=[foreign.pk]),
        reverse("portal:shipment_add") + f"?item={foreign.pk}",
        reverse("portal:item", args=[foreign.pk + 999]),
    ):
        response = as_s1.get(url)
        assert response.status_code == 404, url
        assert "portal/not_found.html" in [t.name for t in response.templates]


def test_another_suppliers_item_in_the_form_is_refused(as_s1, supply):
    mine = supply.due(supply.policy(), supply.gifts["G001"])
    foreign = supply.due(mine.distribution.policy, supply.gifts["G003"])
    url = reverse("portal:shipment_add") + f"?item={mine.pk}"
    response = as_s1.post(
        url,
        {"courier": Courier.SF, "tracking_no": SF, f"qty_{mine.pk}": "1", f"qty_{foreign.pk}": "1"},
    )
    assert response.status_code == 200
    assert response.context["refused"]
    assert not Shipment.objects.exists()
    foreign.refresh_from_db()
    assert foreign.status == ItemStatus.TO_SHIP


def _parcel(supply, item, number=SF, user=None, provider=None):
    return shipment_log(
        actor=user or supply.user1, provider=provider or supply.s1, courier=Courier.SF,
        tracking_no=number, lines=[(item.pk, item.quantity)],
    )  # fmt: skip


def test_parcels_list_query_count_is_constant(as_s1, supply, django_assert_num_queries):
    for n in range(2):
        _parcel(supply, supply.due(supply.policy(), supply.gifts["G001"]), f"SF12345678901{n:02d}")
    with django_assert_num_queries(6) as few:
        as_s1.get(reverse("portal:shipments"))
    for n in range(2, 10):
        _parcel(supply, supply.due(supply.policy(), supply.gifts["G001"]), f"SF12345678901{n:02d}")
    with django_assert_num_queries(len(few.captured_queries)):
        response = as_s1.get(reverse("portal:shipments"))
    assert len(response.context["page"].object_list) == 10


def test_mark_delivered_single_and_bulk(as_s1, supply):
    parcels = [
        _parcel(supply, supply.due(supply.policy(), supply.gifts["G001"]), f"SF12345678901{n:02d}")
        for n in range(3)
    ]
    response = as_s1.post(reverse("portal:shipment_deliver", args=[parcels[0].pk]))
    assert response.status_code == 302
    response = as_s1.post(
        reverse("portal:shipments_deliver"),
        {"parcel": [parcels[1].pk, parcels[2].pk], "delivered_at": "2026-01-01T10:00"},
    )
    # Before shipping: refused, nothing changed.
    assert Shipment.objects.filter(delivered_at__isnull=True).count() == 2
    as_s1.post(reverse("portal:shipments_deliver"), {"parcel": [parcels[1].pk, parcels[2].pk]})
    assert not Shipment.objects.filter(delivered_at__isnull=True).exists()


def test_another_suppliers_parcel_is_not_found_and_not_delivered(as_s1, supply):
    foreign_item = supply.due(supply.policy(), supply.gifts["G003"])
    foreign = _parcel(supply, foreign_item, user=supply.user2, provider=supply.s2)
    assert as_s1.get(reverse("portal:shipment", args=[foreign.pk])).status_code == 404
    assert as_s1.post(reverse("portal:shipment_deliver", args=[foreign.pk])).status_code == 404
    as_s1.post(reverse("portal:shipments_deliver"), {"parcel": [foreign.pk]})
    foreign.refresh_from_db()
    assert foreign.delivered_at is None


def test_service_providers_may_not_open_supplier_pages(client):
    provider = ProviderFactory(code="P001", kind=ProviderKind.SERVICE)
    client.force_login(UserFactory(username="p001", provider=provider, is_staff=False))
    for name in ("portal:outstanding", "portal:shipments", "portal:shipment_import"):
        assert client.get(reverse(name)).status_code == 403


def test_home_counts(as_s1, supply):
    supply.due(supply.policy(), supply.gifts["G001"], at=days_ago(30))
    supply.due(supply.policy(), supply.gifts["G001"])
    response = as_s1.get(reverse("portal:home"))
    assert response.context["outstanding_count"] == 2
    assert response.context["overdue_count"] == 1
