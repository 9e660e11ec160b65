"""Change forms that go through services or fix a field: branches, providers, gifts, policies."""

import pytest
from django.urls import reverse

from giftplatform.models import Branch
from giftplatform.services import branch_save
from suppliers.models import Provider, ProviderKind
from tests.factories import CategoryFactory, PolicyFactory, ProviderFactory


def _branch_data(**fields):
    return {"name": "网点", "is_active": "on", **fields}


def test_branch_add_and_move_keep_the_paths(client, superuser, futian, nanshan):
    client.force_login(superuser)

    added = client.post(
        reverse("admin:giftplatform_branch_add"), _branch_data(code="44030401", parent=futian.pk)
    )
    assert added.status_code == 302
    branch = Branch.objects.get(code="44030401")
    assert (branch.path, branch.depth) == ("4403/440304/44030401/", 2)
    child = branch_save(code="4403040101", name="柜台", parent=branch)[0]

    moved = client.post(
        reverse("admin:giftplatform_branch_change", args=[branch.pk]),
        _branch_data(parent=nanshan.pk, code="IGNORED"),
    )

    assert moved.status_code == 302
    branch.refresh_from_db()
    child.refresh_from_db()
    assert branch.code == "44030401"  # the code is read-only once saved
    assert branch.path == "4403/440305/44030401/"
    assert child.path == "4403/440305/44030401/4403040101/"


def test_branch_cannot_move_below_itself(client, superuser, shenzhen, futian):
    client.force_login(superuser)

    response = client.post(
        reverse("admin:giftplatform_branch_change", args=[shenzhen.pk]),
        _branch_data(parent=futian.pk),
    )

    assert response.status_code == 200
    assert "parent" in response.context["adminform"].form.errors
    shenzhen.refresh_from_db()
    assert shenzhen.path == "4403/"


def test_manager_adds_branches_only_inside_own_subtree(client, manager_futian, futian, nanshan):
    client.force_login(manager_futian)
    url = reverse("admin:giftplatform_branch_add")

    for parent in ("", nanshan.pk):
        response = client.post(url, _branch_data(code="44039999", parent=parent))
        assert "parent" in response.context["adminform"].form.errors
    assert client.post(url, _branch_data(code="44039999", parent=futian.pk)).status_code == 302
    assert Branch.objects.get(code="44039999").is_within(futian)


@pytest.mark.parametrize(
    ("model_name", "kind"),
    [("supplier", ProviderKind.GOODS), ("serviceprovider", ProviderKind.SERVICE)],
)
def test_proxy_admins_list_and_save_only_their_kind(client, superuser, model_name, kind):
    goods, service = ProviderFactory(kind=ProviderKind.GOODS), ProviderFactory(kind="service")
    client.force_login(superuser)
    changelist = reverse(f"admin:suppliers_{model_name}_changelist")

    listed = list(client.get(changelist).context["cl"].result_list)
    added = client.post(
        reverse(f"admin:suppliers_{model_name}_add"),
        {"code": "P-NEW", "name": "新供应商", "kind": "other", "settlement_cycle": "monthly"}
        | {"status": "active"}
        # The documents inline's management form (no document uploaded).
        | {"documents-TOTAL_FORMS": "0", "documents-INITIAL_FORMS": "0"},
    )

    assert [p.pk for p in listed] == [goods.pk if kind == ProviderKind.GOODS else service.pk]
    assert added.status_code == 302
    assert Provider.objects.get(code="P-NEW").kind == kind
    other = service if kind == ProviderKind.GOODS else goods
    change = reverse(f"admin:suppliers_{model_name}_change", args=[other.pk])
    assert client.get(change).status_code == 404  # the other kind is "missing" here


def test_gift_provider_must_match_its_kind(client, superuser):
    client.force_login(superuser)
    data = {
        "code": "G-SVC-1",
        "name": "洗车券",
        "kind": "service",
        "category": CategoryFactory().pk,
        "provider": ProviderFactory(kind=ProviderKind.GOODS).pk,
        "face_value": "30.00",
        "unit_cost": "20.00",
        "low_stock_threshold": 0,
        "is_active": "on",
    }

    response = client.post(reverse("admin:gifts_gift_add"), data)

    assert response.status_code == 200
    assert "provider" in response.context["adminform"].form.errors


def test_policy_change_page_masks_personal_data_for_staff(client, manager_futian, futian):
    policy = PolicyFactory(branch=futian, id_number="11010519491231002X", phone="13912345678")
    client.force_login(manager_futian)

    response = client.get(reverse("admin:policies_policy_change", args=[policy.pk]))

    content = response.content.decode()
    assert "110105********002X" in content
    assert "11010519491231002X" not in content
    assert "13912345678" not in content
    assert "id_number" not in response.context["adminform"].form.fields
