"""Stock moves only through the receive/adjust actions, each a ledger row."""

from decimal import Decimal

import pytest
from django.contrib import messages
from django.contrib.admin.models import LogEntry
from django.contrib.messages import get_messages
from django.urls import reverse

from gifts.models import MovementReason, StockMovement, VoucherStatus
from gifts.services import gift_receive_stock
from tests.admin import service_gift
from tests.factories import GiftFactory

CHANGELIST = "admin:gifts_gift_changelist"


@pytest.fixture
def staff(client, manager_futian):
    client.force_login(manager_futian)
    return manager_futian


def _act(client, action, gifts, **fields):
    """Submit the intermediate page of ``action`` for ``gifts`` (``fields`` = its form)."""
    data = {"action": action, "_selected_action": [g.pk for g in gifts], **fields}
    if fields:
        data["apply"] = "1"
    return client.post(reverse(CHANGELIST), data)


def _errors(response):
    return [m for m in get_messages(response.wsgi_request) if m.level == messages.ERROR]


def _stock(gift):
    gift.refresh_from_db()
    return gift.stock


def test_receive_action_shows_a_form_then_books_each_gift(client, staff, futian):
    gifts = [GiftFactory(branch=futian), GiftFactory(branch=None)]

    page = _act(client, "receive_stock", gifts)
    assert page.status_code == 200
    assert page.templates[0].name == "admin/gifts/gift/stock_form.html"
    assert not StockMovement.objects.exists()

    done = _act(client, "receive_stock", gifts, quantity=5, reference=" PO-2026-001 ")

    assert done.status_code == 302
    for gift in gifts:
        assert _stock(gift) == 5
        movement = gift.movements.get()
        assert movement.reason == MovementReason.RECEIPT
        assert movement.reference == "PO-2026-001"
        assert movement.quantity == 5
        assert movement.stock_after == 5
        assert movement.unit_cost == gift.unit_cost
        assert movement.actor == staff
        assert LogEntry.objects.get(object_id=str(gift.pk)).user == staff


def test_receive_takes_the_unit_cost_of_the_receipt(client, staff, futian):
    gift = GiftFactory(branch=futian)

    _act(client, "receive_stock", [gift], quantity=2, reference="INV-7", unit_cost="12.50")

    assert gift.movements.get().unit_cost == Decimal("12.50")


@pytest.mark.parametrize("reference", ["", "   "])
def test_receipt_without_reference_is_refused_and_writes_nothing(client, staff, futian, reference):
    gift = GiftFactory(branch=futian)

    response = _act(client, "receive_stock", [gift], quantity=5, reference=reference)

    assert response.status_code == 200
    assert "reference" in response.context["form"].errors
    assert _stock(gift) == 0
    assert not StockMovement.objects.exists()


@pytest.mark.parametrize("quantity", [0, -3])
def test_receipt_quantity_must_be_positive(client, staff, futian, quantity):
    gift = GiftFactory(branch=futian)

    response = _act(client, "receive_stock", [gift], quantity=quantity, reference="PO-1")

    assert "quantity" in response.context["form"].errors
    assert not StockMovement.objects.exists()


def test_adjust_below_zero_is_refused_for_all_selected(client, staff, superuser, futian):
    plenty, scarce = GiftFactory(branch=futian), GiftFactory(branch=futian)
    gift_receive_stock(actor=superuser, gift=plenty, quantity=10, reference="PO-1")
    gift_receive_stock(actor=superuser, gift=scarce, quantity=3, reference="PO-1")

    response = _act(client, "adjust_stock", [plenty, scarce], quantity=-5, note="盘点")

    assert response.status_code == 200  # the form again, with the refusal
    assert _errors(response)
    assert (_stock(plenty), _stock(scarce)) == (10, 3)
    assert StockMovement.objects.count() == 2  # the two receipts, nothing else
    assert [gift.stock for gift in response.context["gifts"]] == [10, 3]


def test_adjust_writes_a_signed_movement_with_its_reason(client, staff, superuser, futian):
    gift = GiftFactory(branch=futian)
    gift_receive_stock(actor=superuser, gift=gift, quantity=10, reference="PO-1")

    _act(client, "adjust_stock", [gift], quantity=-4, note="破损")

    movement = gift.movements.filter(reason=MovementReason.ADJUSTMENT).get()
    assert (movement.quantity, movement.note, movement.stock_after) == (-4, "破损", 6)
    assert _stock(gift) == 6


@pytest.mark.parametrize("fields", [{"quantity": 0, "note": "x"}, {"quantity": 2, "note": " "}])
def test_adjust_needs_a_nonzero_quantity_and_a_reason(client, staff, futian, fields):
    gift = GiftFactory(branch=futian)

    response = _act(client, "adjust_stock", [gift], **fields)

    assert response.context["form"].errors
    assert not StockMovement.objects.exists()


def test_stock_actions_refuse_a_selection_with_service_gifts(client, staff, futian):
    gifts = [GiftFactory(branch=futian), service_gift(branch=futian)]

    response = _act(client, "receive_stock", gifts, quantity=1, reference="PO-1")

    assert response.status_code == 302
    assert _errors(response)
    assert not StockMovement.objects.exists()


def test_single_gift_pages_receive_and_adjust(client, staff, futian):
    gift = GiftFactory(branch=futian)
    receive = reverse("admin:gifts_gift_receive", args=[gift.pk])
    adjust = reverse("admin:gifts_gift_adjust", args=[gift.pk])
    change = reverse("admin:gifts_gift_change", args=[gift.pk])

    assert client.get(receive).status_code == 200
    response = client.post(receive, {"apply": "1", "quantity": 7, "reference": "PO-3"})
    assert response.status_code == 302
    assert response["Location"] == change
    refused = client.post(adjust, {"apply": "1", "quantity": -8, "note": "盘亏"})
    assert refused.status_code == 200
    assert _errors(refused)
    client.post(adjust, {"apply": "1", "quantity": -2, "note": "盘亏"})

    assert _stock(gift) == 5
    assert list(gift.movements.values_list("quantity", flat=True)) == [-2, 7]


def test_change_page_shows_stock_buttons_and_latest_movements(client, staff, superuser, futian):
    gift = GiftFactory(branch=futian)
    for n in range(25):
        gift_receive_stock(actor=superuser, gift=gift, quantity=1, reference=f"PO-{n}")

    response = client.get(reverse("admin:gifts_gift_change", args=[gift.pk]))

    content = response.content.decode()
    assert reverse("admin:gifts_gift_receive", args=[gift.pk]) in content
    assert reverse("admin:gifts_gift_adjust", args=[gift.pk]) in content
    (movements,) = response.context["inline_admin_formsets"]
    shown = [form.original.reference for form in movements]
    assert shown == [f"PO-{n}" for n in range(24, 4, -1)]


def _change_form_data(response) -> dict:
    """What a browser would post back from a change page, unchanged."""
    form = response.context["adminform"].form
    data = {name: form[name].value() for name in form.fields}
    data = {name: value for name, value in data.items() if value is not None and value is not False}
    for inline in response.context["inline_admin_formsets"]:
        management = inline.formset.management_form
        data.update({management.add_prefix(n): management[n].value() for n in management.fields})
    return data


def test_stock_cannot_be_set_through_the_change_form(client, staff, superuser, futian):
    gift = GiftFactory(branch=futian)
    gift_receive_stock(actor=superuser, gift=gift, quantity=4, reference="PO-1")
    url = reverse("admin:gifts_gift_change", args=[gift.pk])
    page = client.get(url)
    assert "stock" not in page.context["adminform"].form.fields

    data = {**_change_form_data(page), "name": "新名称", "stock": "999"}
    response = client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    gift.refresh_from_db()
    assert (gift.name, gift.stock) == ("新名称", 4)
    assert gift.movements.count() == 1


def test_stock_movements_cannot_be_deleted_or_changed_in_the_admin(client, superuser, futian):
    gift = GiftFactory(branch=futian)
    movement = gift_receive_stock(actor=superuser, gift=gift, quantity=4, reference="PO-1")
    client.force_login(superuser)
    delete = reverse("admin:gifts_stockmovement_delete", args=[movement.pk])
    change = reverse("admin:gifts_stockmovement_change", args=[movement.pk])
    changelist = reverse("admin:gifts_stockmovement_changelist")

    assert client.get(delete).status_code == 403
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert client.post(change, {"quantity": 100}).status_code == 403
    assert client.get(reverse("admin:gifts_stockmovement_add")).status_code == 403
    bulk = client.post(
        changelist, {"action": "delete_selected", "_selected_action": [movement.pk], "post": "yes"}
    )
    assert bulk.status_code in (200, 302)
    assert StockMovement.objects.filter(pk=movement.pk, quantity=4).exists()


@pytest.mark.parametrize("status", [VoucherStatus.ISSUED, VoucherStatus.REDEEMED])
def test_issued_or_redeemed_voucher_codes_cannot_be_deleted(client, superuser, futian, status):
    gift = service_gift(branch=futian)
    used = gift.vouchers.create(code="USED-1", status=status, redeemed_at="2026-11-01T10:00+08:00")
    spare = gift.vouchers.create(code="SPARE-1")
    client.force_login(superuser)

    single = client.post(reverse("admin:gifts_vouchercode_delete", args=[used.pk]), {"post": "yes"})
    bulk = client.post(
        reverse("admin:gifts_vouchercode_changelist"),
        {"action": "delete_selected", "_selected_action": [used.pk, spare.pk], "post": "yes"},
    )

    assert single.status_code == 403
    assert bulk.status_code == 403
    assert gift.vouchers.count() == 2
    client.post(reverse("admin:gifts_vouchercode_delete", args=[spare.pk]), {"post": "yes"})
    assert list(gift.vouchers.all()) == [used]
