"""Who gets into the portal: portal users in, staff 403, anonymous to the portal sign-in."""

import pytest
from django.urls import reverse

from suppliers.models import ProviderKind, ProviderStatus
from tests.factories import ProviderFactory, UserFactory

pytestmark = pytest.mark.django_db
PASSWORD = "correct-horse-battery"


@pytest.fixture
def supplier_user():
    provider = ProviderFactory(code="S001", kind=ProviderKind.GOODS)
    return UserFactory(username="s001_user", provider=provider, is_staff=False)


@pytest.fixture
def service_user():
    provider = ProviderFactory(code="P001", kind=ProviderKind.SERVICE)
    return UserFactory(username="p001_user", provider=provider, is_staff=False)


def test_anonymous_is_sent_to_the_portal_sign_in(client):
    response = client.get(reverse("portal:home"))
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('portal:login')}?next=/portal/"


def test_staff_get_403_with_a_pointer_to_the_administration(client, futian):
    client.force_login(UserFactory(username="clerk", branch=futian))
    response = client.get(reverse("portal:home"))
    assert response.status_code == 403
    assert reverse("admin:index").encode() in response.content


def test_superuser_is_staff_too(client, superuser):
    client.force_login(superuser)
    assert client.get(reverse("portal:home")).status_code == 403


@pytest.mark.parametrize("fixture", ["supplier_user", "service_user"])
def test_each_kind_has_its_own_home(client, request, fixture):
    user = request.getfixturevalue(fixture)
    client.force_login(user)
    response = client.get(reverse("portal:home"))
    assert response.status_code == 200
    kind = "supplier" if fixture == "supplier_user" else "service"
    template = f"portal/home_{kind}.html"
    assert template in [t.name for t in response.templates]
    assert user.provider.name in response.content.decode()


def test_sign_in_lands_on_the_portal_home(client, supplier_user):
    response = client.post(reverse("portal:login"), {"username": "s001_user", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:home")
    assert client.get(reverse("portal:home")).status_code == 200


def test_sign_in_follows_next_within_the_site(client, supplier_user):
    response = client.post(
        reverse("portal:login") + "?next=/portal/",
        {"username": "s001_user", "password": PASSWORD, "next": "/portal/"},
    )
    assert response["Location"] == "/portal/"


def test_staff_cannot_sign_in_to_the_portal(client, futian):
    UserFactory(username="clerk", branch=futian)
    response = client.post(reverse("portal:login"), {"username": "clerk", "password": PASSWORD})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert "Staff sign in to the administration" in response.content.decode() or (
        "工作人员" in response.content.decode()
    )


def test_terminated_provider_cannot_sign_in(client, supplier_user):
    supplier_user.provider.status = ProviderStatus.TERMINATED
    supplier_user.provider.save()
    response = client.post(reverse("portal:login"), {"username": "s001_user", "password": PASSWORD})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_failed_sign_ins_lock_out_through_axes(client, supplier_user, settings):
    settings.AXES_FAILURE_LIMIT = 2
    for _ in range(2):
        client.post(reverse("portal:login"), {"username": "s001_user", "password": "wrong"})
    response = client.post(reverse("portal:login"), {"username": "s001_user", "password": PASSWORD})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_sign_out_returns_to_the_portal_sign_in(client, supplier_user):
    client.force_login(supplier_user)
    response = client.post(reverse("portal:logout"))
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:login")
    assert client.get(reverse("portal:home")).status_code == 302


@pytest.mark.parametrize("path", ["/admin/", "/workbench/"])
def test_portal_users_never_reach_admin_or_workbench(client, supplier_user, path):
    client.force_login(supplier_user)
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_the_portal_speaks_chinese_by_default(client, supplier_user):
    client.force_login(supplier_user)
    response = client.get(reverse("portal:home"))
    assert '<html lang="zh-hans">' in response.content.decode()
    assert 'name="language"' in response.content.decode()
