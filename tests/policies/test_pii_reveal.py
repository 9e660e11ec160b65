"""Personal data: masked on every page, revealed in full only with a reason and a log row."""

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import ProtectedError
from django.urls import reverse

from policies.models import PiiReveal
from policies.services import policy_reveal_pii
from tests.conftest import make_manager
from tests.distribution.conftest import with_permissions
from tests.factories import PolicyFactory, UserFactory

ID_NUMBER = "44030419800101123X"
PHONE = "13912345678"


def without_pii(user):
    user.user_permissions.remove(Permission.objects.get(codename="view_pii"))
    for cache in ("_perm_cache", "_user_perm_cache", "_group_perm_cache"):
        user.__dict__.pop(cache, None)
    return user


@pytest.fixture
def policy(futian):
    return PolicyFactory(branch=futian, id_number=ID_NUMBER, phone=PHONE)


@pytest.fixture
def revealer(futian):
    """A 福田 gift manager: holds policies.view_pii with the policies app's permissions."""
    user = make_manager("pii_ft", futian)
    assert user.has_perm("policies.view_pii")
    return user


@pytest.fixture
def plain_staff(futian):
    return without_pii(make_manager("plain_ft", futian))


def admin_reveal(policy, field):
    return reverse("admin:policies_policy_reveal", args=[policy.pk, field])


def workbench_reveal(policy, field):
    return reverse("policies:reveal", args=[policy.pk, field])


# The service


def test_service_refuses_without_the_permission(policy, plain_staff):
    with pytest.raises(PermissionDenied):
        policy_reveal_pii(actor=plain_staff, policy=policy, field="id_number", reason="核保")
    assert not PiiReveal.objects.exists()


@pytest.mark.parametrize("reason", ["", "   "])
def test_service_wants_a_reason(policy, revealer, reason):
    with pytest.raises(ValidationError):
        policy_reveal_pii(actor=revealer, policy=policy, field="phone", reason=reason)
    assert not PiiReveal.objects.exists()


def test_service_logs_then_returns_the_value(policy, revealer):
    value = policy_reveal_pii(actor=revealer, policy=policy, field="phone", reason=" 客户回访 ")

    assert value == PHONE
    row = PiiReveal.objects.get()
    assert (row.user, row.policy, row.field, row.reason) == (revealer, policy, "phone", "客户回访")


# Both faces: same rules


@pytest.mark.parametrize("url_of", [admin_reveal, workbench_reveal])
def test_without_view_pii_it_is_403_and_nothing_logged(client, policy, plain_staff, url_of):
    client.force_login(plain_staff)

    assert client.get(url_of(policy, "id_number")).status_code == 403
    response = client.post(url_of(policy, "id_number"), {"reason": "想看看"})

    assert response.status_code == 403
    assert ID_NUMBER not in response.content.decode()
    assert not PiiReveal.objects.exists()


@pytest.mark.parametrize("url_of", [admin_reveal, workbench_reveal])
def test_no_reason_is_an_error_and_nothing_logged(client, policy, revealer, url_of):
    client.force_login(revealer)

    response = client.post(url_of(policy, "id_number"), {"reason": ""})

    assert response.status_code == 200
    assert response.context["form"].errors["reason"]
    assert ID_NUMBER not in response.content.decode()
    assert not PiiReveal.objects.exists()


@pytest.mark.parametrize("url_of", [admin_reveal, workbench_reveal])
@pytest.mark.parametrize(("field", "full"), [("id_number", ID_NUMBER), ("phone", PHONE)])
def test_with_a_reason_the_value_is_shown_once_and_logged(
    client, policy, revealer, url_of, field, full
):
    client.force_login(revealer)

    form_page = client.get(url_of(policy, field))
    assert form_page.status_code == 200
    assert full not in form_page.content.decode()

    response = client.post(url_of(policy, field), {"reason": "客户来电核对身份"})

    assert response.status_code == 200
    assert full in response.content.decode()
    assert "no-store" in response.headers.get("Cache-Control", "")
    row = PiiReveal.objects.get()
    assert (row.user, row.policy, row.field, row.reason) == (
        revealer,
        policy,
        field,
        "客户来电核对身份",
    )
    assert full not in str(dict(client.session))


@pytest.mark.parametrize("url_of", [admin_reveal, workbench_reveal])
def test_a_policy_outside_scope_is_404_and_nothing_logged(client, nanshan, revealer, url_of):
    other = PolicyFactory(branch=nanshan, id_number=ID_NUMBER)
    client.force_login(revealer)

    response = client.post(url_of(other, "id_number"), {"reason": "越权"})

    assert response.status_code == 404
    assert not PiiReveal.objects.exists()


def test_an_unknown_field_is_404(client, policy, revealer):
    client.force_login(revealer)
    assert client.post(workbench_reveal(policy, "insured_name"), {"reason": "x"}).status_code == 404
    assert not PiiReveal.objects.exists()


# Masking on the pages, before any reveal


@pytest.mark.parametrize("who", ["revealer", "plain_staff", "superuser"])
def test_admin_change_page_masks_for_everyone(client, policy, request, who):
    user = request.getfixturevalue(who)
    client.force_login(user)

    response = client.get(reverse("admin:policies_policy_change", args=[policy.pk]))

    content = response.content.decode()
    assert response.status_code == 200
    assert "440304********123X" in content
    assert "139****5678" in content
    assert ID_NUMBER not in content
    assert PHONE not in content
    has_links = admin_reveal(policy, "id_number") in content
    assert has_links == (who != "plain_staff")
    assert (admin_reveal(policy, "phone") in content) == has_links


@pytest.mark.parametrize("who", ["revealer", "plain_staff"])
def test_workbench_masks_and_offers_reveal_only_with_view_pii(client, policy, request, who):
    # The workbench is for those who may hand out (distribution.add_distribution).
    client.force_login(with_permissions(request.getfixturevalue(who), "add_distribution"))

    response = client.get(reverse("workbench:policy", args=[policy.pk]))

    content = response.content.decode()
    assert response.status_code == 200
    assert "440304********123X" in content
    assert ID_NUMBER not in content
    assert PHONE not in content
    offered = workbench_reveal(policy, "id_number") in content
    assert offered == (who == "revealer")
    assert (workbench_reveal(policy, "phone") in content) == offered


# The log itself


def test_reveal_log_is_read_only_in_the_admin_even_for_superusers(client, policy, superuser):
    row = PiiReveal.objects.create(policy=policy, field="phone", reason="核对", user=superuser)
    client.force_login(superuser)

    assert client.get(reverse("admin:policies_piireveal_changelist")).status_code == 200
    assert client.get(reverse("admin:policies_piireveal_add")).status_code == 403
    delete_url = reverse("admin:policies_piireveal_delete", args=[row.pk])
    assert client.post(delete_url, {"post": "yes"}).status_code == 403
    change = client.post(
        reverse("admin:policies_piireveal_change", args=[row.pk]), {"reason": "改掉"}
    )
    assert change.status_code in (302, 403)
    row.refresh_from_db()
    assert row.reason == "核对"
    assert PiiReveal.objects.filter(pk=row.pk).exists()
    with pytest.raises(ProtectedError):
        row.delete()


def test_reveal_log_is_scoped(client, policy, nanshan, superuser, revealer):
    other = PolicyFactory(branch=nanshan)
    PiiReveal.objects.create(policy=policy, field="phone", reason="福田的", user=superuser)
    PiiReveal.objects.create(policy=other, field="phone", reason="南山的", user=superuser)
    client.force_login(revealer)

    content = client.get(reverse("admin:policies_piireveal_changelist")).content.decode()

    assert "福田的" in content
    assert "南山的" not in content


def test_inactive_user_cannot_reveal(policy, futian):
    user = UserFactory(username="gone", branch=futian, is_active=False, is_superuser=True)
    with pytest.raises(PermissionDenied):
        policy_reveal_pii(actor=user, policy=policy, field="phone", reason="x")
