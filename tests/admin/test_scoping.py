"""A branch manager sees and touches only their subtree; outside it is "missing"."""

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from gifts.models import Gift, StockMovement
from gifts.services import gift_receive_stock
from tests.admin import service_gift
from tests.factories import GiftFactory, PolicyFactory


def _nanshan_row(kind, nanshan, actor):
    if kind == "policy":
        return PolicyFactory(branch=nanshan)
    if kind == "gift":
        return GiftFactory(branch=nanshan)
    if kind == "branch":
        return nanshan
    if kind == "stockmovement":
        gift = GiftFactory(branch=nanshan)
        return gift_receive_stock(actor=actor, gift=gift, quantity=1, reference="PO-9")
    if kind == "vouchercode":
        return service_gift(branch=nanshan).vouchers.create(code="NS-0001")
    raise AssertionError(kind)


APPS = {
    "policy": "policies",
    "gift": "gifts",
    "branch": "giftplatform",
    "stockmovement": "gifts",
    "vouchercode": "gifts",
}


def _answer(user, url_name, pk):
    """What the admin says about ``pk``: status, redirect and messages (id blanked)."""
    client = Client()  # a fresh client: no message left over from the other answer
    client.force_login(user)
    response = client.get(reverse(url_name, args=[pk]))
    notes = [
        (note.level, str(note.message).replace(str(pk), "<id>"))
        for note in get_messages(response.wsgi_request)
    ]
    return response.status_code, response.get("Location"), notes


@pytest.mark.parametrize("kind", sorted(APPS))
@pytest.mark.parametrize("view", ["change", "history", "delete"])
def test_out_of_scope_row_answers_exactly_like_a_missing_one(
    manager_futian, nanshan, superuser, kind, view
):
    row = _nanshan_row(kind, nanshan, superuser)
    url_name = f"admin:{APPS[kind]}_{kind}_{view}"

    out_of_scope = _answer(manager_futian, url_name, row.pk)
    missing = _answer(manager_futian, url_name, row.pk + 10_000)

    assert out_of_scope == missing
    # 404, or 403 where nobody may act at all (deleting ledger rows), missing or not.
    assert out_of_scope[0] == (403 if (kind, view) == ("stockmovement", "delete") else 404)
    # And the row is really there for someone whose scope covers it.
    assert _answer(superuser, url_name, row.pk)[0] in (200, 403)


@pytest.mark.parametrize("operation", ["receive", "adjust"])
def test_stock_pages_of_an_out_of_scope_gift_are_404(client, manager_futian, nanshan, operation):
    gift = GiftFactory(branch=nanshan)
    client.force_login(manager_futian)

    for pk in (gift.pk, gift.pk + 10_000):
        url = reverse(f"admin:gifts_gift_{operation}", args=[pk])
        assert client.get(url).status_code == 404
        assert client.post(url, {"apply": "1", "quantity": 5, "reference": "X"}).status_code == 404
    assert not StockMovement.objects.exists()


def test_manager_does_not_see_another_branchs_policy(client, manager_futian, futian, nanshan):
    mine = PolicyFactory(branch=futian)
    theirs = PolicyFactory(branch=nanshan)
    client.force_login(manager_futian)
    url = reverse("admin:policies_policy_changelist")

    listed = list(client.get(url).context["cl"].result_list)
    searched = list(client.get(url, {"q": theirs.policy_no}).context["cl"].result_list)

    assert listed == [mine]
    assert searched == []


def test_ledger_rows_follow_their_gifts_scope(client, manager_futian, superuser, futian, nanshan):
    mine = GiftFactory(branch=futian)
    shared = GiftFactory(branch=None)
    theirs = GiftFactory(branch=nanshan)
    for gift in (mine, shared, theirs):
        gift_receive_stock(actor=superuser, gift=gift, quantity=2, reference="PO-2")
    client.force_login(manager_futian)

    response = client.get(reverse("admin:gifts_stockmovement_changelist"))

    assert {m.gift for m in response.context["cl"].result_list} == {mine, shared}


def test_branch_choices_filters_and_autocomplete_stay_in_scope(
    client, manager_futian, futian, nanshan
):
    client.force_login(manager_futian)

    form = client.get(reverse("admin:gifts_gift_add")).context["adminform"].form
    assert set(form.fields["branch"].queryset) == {futian}

    changelist = client.get(reverse("admin:gifts_gift_changelist")).context["cl"]
    branch_filter = next(f for f in changelist.filter_specs if f.field_path == "branch")
    assert [pk for pk, _label in branch_filter.lookup_choices] == [futian.pk]

    found = client.get(
        reverse("admin:autocomplete"),
        {"app_label": "gifts", "model_name": "gift", "field_name": "branch", "term": ""},
    ).json()["results"]
    assert [row["id"] for row in found] == [str(futian.pk)]


def test_a_gift_cannot_be_placed_in_another_branch(client, manager_futian, nanshan):
    gift = GiftFactory.build()
    client.force_login(manager_futian)
    data = {
        "code": "G-NS-1",
        "name": "雨伞",
        "kind": "physical",
        "category": GiftFactory.create().category.pk,
        "provider": GiftFactory.create().provider.pk,
        "face_value": gift.face_value,
        "unit_cost": gift.unit_cost,
        "low_stock_threshold": 0,
        "branch": nanshan.pk,
        "is_active": "on",
    }

    for branch in (nanshan.pk, ""):  # another branch, or every branch
        response = client.post(reverse("admin:gifts_gift_add"), {**data, "branch": branch})
        assert response.status_code == 200
        assert "branch" in response.context["adminform"].form.errors
    assert not Gift.objects.filter(code="G-NS-1").exists()


def test_manager_lists_only_own_subtree_users_and_cannot_grant_superuser(
    client, manager_futian, manager_shenzhen, superuser
):
    client.force_login(manager_futian)

    listed = set(
        client.get(reverse("admin:giftplatform_user_changelist")).context["cl"].result_list
    )
    page = client.get(reverse("admin:giftplatform_user_change", args=[manager_futian.pk]))

    assert listed == {manager_futian}
    assert "is_superuser" not in page.context["adminform"].form.fields
    assert "user_permissions" not in page.context["adminform"].form.fields
