"""Portal accounts created by staff from the provider's admin page: the provider's kind
decides the role; the user has no branch and is not staff. Only user managers whose reach
includes provider users (a top-level branch's) may create, deactivate or reset them."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
User = get_user_model()


def _users_url(provider):
    return reverse("admin:suppliers_provider_portal_users", args=[provider.pk])


@pytest.mark.parametrize(
    ("fixture", "role"),
    [("supplier", "supplier_user"), ("service_provider", "service_provider_user")],
)
def test_a_shenzhen_branch_admin_creates_a_portal_account_with_the_kinds_role(
    client, request, branch_admin_shenzhen, fixture, role
):
    provider = request.getfixturevalue(fixture)
    client.force_login(branch_admin_shenzhen)
    response = client.post(
        _users_url(provider),
        {"username": f"{provider.code.lower()}_user", "full_name": "张三", "email": "a@b.cn"},
    )
    assert response.status_code == 200
    user = User.objects.get(username=f"{provider.code.lower()}_user")
    assert (user.provider, user.branch, user.is_staff, user.is_superuser) == (
        provider,
        None,
        False,
        False,
    )
    assert [group.name for group in user.groups.all()] == [role]
    shown = response.context["shown_password"]
    assert user.check_password(shown)
    assert "no-store" in response["Cache-Control"]
    # Shown once: the next visit lists the user, without any password.
    again = client.get(_users_url(provider))
    assert again.context["shown_password"] is None
    assert shown not in again.content.decode()
    assert [u.username for u in again.context["users"]] == [user.username]
    assert user.history.latest().history_user == branch_admin_shenzhen


def test_a_password_set_by_staff_passes_djangos_validators(client, branch_admin_shenzhen, supplier):
    client.force_login(branch_admin_shenzhen)
    weak = client.post(_users_url(supplier), {"username": "s001_user", "password": "12345678"})
    assert weak.status_code == 200
    assert "password" in weak.context["form"].errors
    assert not User.objects.filter(username="s001_user").exists()
    strong = client.post(
        _users_url(supplier), {"username": "s001_user", "password": "Kf8-galaxy-rain"}
    )
    assert strong.context["form"].errors == {}
    assert User.objects.get(username="s001_user").check_password("Kf8-galaxy-rain")


def test_a_taken_username_is_refused(client, branch_admin_shenzhen, supplier):
    UserFactory(username="S001_USER")
    client.force_login(branch_admin_shenzhen)
    response = client.post(_users_url(supplier), {"username": "s001_user"})
    assert "username" in response.context["form"].errors


@pytest.mark.parametrize("who", ["branch_admin_futian", "gift_manager_shenzhen"])
def test_who_does_not_manage_provider_users_gets_403(client, request, supplier, who):
    """A 福田 branch admin manages 福田's users, not providers' (no top-level reach); a
    gift manager holds no user permission at all."""
    client.force_login(request.getfixturevalue(who))
    assert client.get(_users_url(supplier)).status_code == 403
    assert client.post(_users_url(supplier), {"username": "x_user"}).status_code == 403
    assert not User.objects.filter(username="x_user").exists()


def test_a_missing_provider_is_404(client, branch_admin_shenzhen):
    client.force_login(branch_admin_shenzhen)
    assert (
        client.get(reverse("admin:suppliers_provider_portal_users", args=[999])).status_code == 404
    )


def test_deactivate_and_reset_password(client, branch_admin_shenzhen, supplier):
    portal = UserFactory(username="s001_user", provider=supplier, is_staff=False)
    client.force_login(branch_admin_shenzhen)
    deactivate = reverse("admin:suppliers_provider_portal_user_deactivate", args=[portal.pk])
    assert client.get(deactivate).status_code == 200  # the confirmation page
    assert client.post(deactivate).status_code == 302
    portal.refresh_from_db()
    assert not portal.is_active

    password = reverse("admin:suppliers_provider_portal_user_password", args=[portal.pk])
    response = client.post(password, {"password": ""})
    assert response.status_code == 200
    portal.refresh_from_db()
    assert portal.check_password(response.context["shown_password"])


def test_staff_users_are_not_reached_through_the_portal_account_pages(
    client, branch_admin_shenzhen, gift_manager_futian
):
    client.force_login(branch_admin_shenzhen)
    for name in ("deactivate", "password"):
        url = reverse(f"admin:suppliers_provider_portal_user_{name}", args=[gift_manager_futian.pk])
        assert client.get(url).status_code == 404
        assert client.post(url).status_code == 404
    gift_manager_futian.refresh_from_db()
    assert gift_manager_futian.is_active


def test_the_provider_page_links_to_portal_accounts_only_for_who_may_manage_them(
    client, branch_admin_shenzhen, gift_manager_shenzhen, supplier
):
    url = reverse("admin:suppliers_supplier_change", args=[supplier.pk])
    link = _users_url(supplier)
    client.force_login(branch_admin_shenzhen)
    assert link in client.get(url).content.decode()
    client.force_login(gift_manager_shenzhen)
    assert link not in client.get(url).content.decode()
