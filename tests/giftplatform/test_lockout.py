"""Sign-in protection: lock-out per username and address (django-axes), CSRF, redirects."""

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.core.management import call_command
from django.test import Client, override_settings
from django.urls import reverse

from tests.factories import UserFactory

LOGIN = "/admin/login/"
PASSWORD = "correct-horse-battery"
CLIENT_IP = "198.51.100.7"
PROXY_IP = "10.0.0.254"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def three_failures(settings):
    settings.AXES_FAILURE_LIMIT = 3
    # Every sign-in checks a password: a fast hasher keeps the module quick.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def alice(three_failures):
    return UserFactory(username="alice")


def english_client() -> Client:
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def sign_in(client, username, password, **meta):
    meta.setdefault("REMOTE_ADDR", CLIENT_IP)
    return client.post(LOGIN, {"username": username, "password": password}, **meta)


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def lock_out(client, username="alice", **meta):
    for _ in range(3):
        response = sign_in(client, username, "wrong password", **meta)
    return response


def test_failures_below_the_limit_show_the_login_form_again(alice):
    client = english_client()

    response = sign_in(client, "alice", "wrong password")

    assert response.status_code == 200
    assert "Please enter the correct username and password" in response.text


def test_the_limit_locks_the_pair_with_a_clear_page_in_the_users_language(alice):
    client = english_client()

    response = lock_out(client)

    assert response.status_code == 429
    assert "Sign-in locked" in response.text
    assert (
        "Too many failed sign-ins for this account from this address. "
        "Try again in 30 minutes or ask an administrator to unlock it."
    ) in response.text
    # The admin frame: header, language switch, and a way back to the form.
    assert 'class="language-switch"' in response.text
    assert f'href="{LOGIN}"' in response.text
    attempt = AccessAttempt.objects.get()
    assert (attempt.username, attempt.ip_address) == ("alice", CLIENT_IP)
    assert attempt.failures_since_start == 3


def test_a_portal_sign_in_is_locked_in_the_portals_look(alice):
    client = english_client()
    portal_login = reverse("portal:login")

    for _ in range(3):
        response = client.post(
            portal_login,
            {"username": "alice", "password": "wrong password"},
            REMOTE_ADDR=CLIENT_IP,
        )

    assert response.status_code == 429
    assert "Too many failed sign-ins for this account from this address." in response.text
    assert 'class="portal-header"' in response.text  # the portal's frame, not the admin's
    assert f'href="{portal_login}"' in response.text and f'href="{LOGIN}"' not in response.text
    # One lock for the pair, whichever form: the admin's sign-in is locked too.
    assert lock_out(client).status_code == 429


def test_the_page_speaks_chinese_by_default(alice):
    response = lock_out(Client())

    assert response.status_code == 429
    assert '<html lang="zh-hans"' in response.text


@override_settings(AXES_COOLOFF_TIME=None)
def test_without_a_cool_off_only_an_administrator_unlocks(alice):
    response = lock_out(english_client())

    assert response.status_code == 429
    assert "Ask an administrator to unlock it." in response.text
    assert "Try again in" not in response.text


def test_the_right_password_is_refused_while_locked(alice):
    client = english_client()
    lock_out(client)

    response = sign_in(client, "alice", PASSWORD)

    assert response.status_code == 429
    assert not signed_in(client)


def test_the_same_username_from_another_address_is_not_locked(alice):
    lock_out(english_client())
    client = english_client()

    response = sign_in(client, "alice", PASSWORD, REMOTE_ADDR="198.51.100.8")

    assert response.status_code == 302
    assert signed_in(client)


def test_another_username_from_the_same_address_is_not_locked(alice):
    UserFactory(username="bob")
    lock_out(english_client())
    client = english_client()

    response = sign_in(client, "bob", PASSWORD)

    assert response.status_code == 302
    assert signed_in(client)


def test_a_success_before_the_limit_clears_the_failures(alice):
    client = english_client()
    sign_in(client, "alice", "wrong password")
    sign_in(client, "alice", "wrong password")
    assert sign_in(client, "alice", PASSWORD).status_code == 302
    client.logout()

    sign_in(client, "alice", "wrong password")
    response = sign_in(client, "alice", PASSWORD)

    assert response.status_code == 302


def test_an_administrator_sees_the_attempt_and_unlocks_by_deleting_it(alice):
    lock_out(english_client())
    attempt = AccessAttempt.objects.get()
    admin_client = english_client()
    admin_client.force_login(UserFactory(username="root", is_superuser=True))

    listing = admin_client.get("/admin/axes/accessattempt/")
    assert listing.status_code == 200
    assert "alice" in listing.text and CLIENT_IP in listing.text
    assert "Locked Out" in listing.text
    deleted = admin_client.post(f"/admin/axes/accessattempt/{attempt.pk}/delete/", {"post": "yes"})
    assert deleted.status_code == 302
    assert not AccessAttempt.objects.exists()

    client = english_client()
    response = sign_in(client, "alice", PASSWORD)
    assert response.status_code == 302
    assert signed_in(client)


def test_a_staff_user_without_permissions_cannot_unlock(alice):
    lock_out(english_client())
    attempt = AccessAttempt.objects.get()
    staff = english_client()
    staff.force_login(UserFactory(username="plain_staff"))

    assert staff.get("/admin/axes/accessattempt/").status_code == 403
    staff.post(f"/admin/axes/accessattempt/{attempt.pk}/delete/", {"post": "yes"})
    assert AccessAttempt.objects.filter(pk=attempt.pk).exists()


def test_axes_reset_username_unlocks(alice):
    lock_out(english_client())

    call_command("axes_reset_username", "alice", stdout=None)

    client = english_client()
    assert sign_in(client, "alice", PASSWORD).status_code == 302


def test_forwarded_for_is_ignored_without_a_trusted_header(alice):
    """With no TRUSTED_PROXY_IP_HEADER, a locked client cannot escape by claiming an address."""
    lock_out(english_client())
    client = english_client()

    response = sign_in(client, "alice", PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.99")

    assert response.status_code == 429
    assert not signed_in(client)
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {CLIENT_IP}


@override_settings(
    AXES_IPWARE_META_PRECEDENCE_ORDER=("HTTP_X_FORWARDED_FOR",), AXES_IPWARE_PROXY_COUNT=0
)
def test_the_trusted_header_gives_the_client_address_behind_the_proxy(alice):
    # Every request comes from the proxy; the header holds the address it saw.
    lock_out(english_client(), REMOTE_ADDR=PROXY_IP, HTTP_X_FORWARDED_FOR=CLIENT_IP)
    assert AccessAttempt.objects.get().ip_address == CLIENT_IP

    # Another client behind the same proxy signs in.
    other = english_client()
    response = sign_in(
        other, "alice", PASSWORD, REMOTE_ADDR=PROXY_IP, HTTP_X_FORWARDED_FOR="198.51.100.8"
    )
    assert response.status_code == 302

    # The locked client prepends an address of its choice; the proxy appends the real one.
    spoofer = english_client()
    response = sign_in(
        spoofer,
        "alice",
        PASSWORD,
        REMOTE_ADDR=PROXY_IP,
        HTTP_X_FORWARDED_FOR=f"203.0.113.99, {CLIENT_IP}",
    )
    assert response.status_code == 429
    assert not signed_in(spoofer)


@override_settings(AXES_IPWARE_META_PRECEDENCE_ORDER=("HTTP_X_REAL_IP",), AXES_IPWARE_PROXY_COUNT=0)
def test_with_a_trusted_header_other_forwarding_headers_are_ignored(alice):
    lock_out(english_client(), REMOTE_ADDR=PROXY_IP, HTTP_X_REAL_IP=CLIENT_IP)
    client = english_client()

    response = sign_in(
        client,
        "alice",
        PASSWORD,
        REMOTE_ADDR=PROXY_IP,
        HTTP_X_REAL_IP=CLIENT_IP,
        HTTP_X_FORWARDED_FOR="203.0.113.99",
    )

    assert response.status_code == 429


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/", "https:///evil.example/"]
)
def test_no_redirect_off_site_after_sign_in(alice, target):
    client = english_client()

    response = client.post(
        f"{LOGIN}?next={target}",
        {"username": "alice", "password": PASSWORD, "next": target},
        REMOTE_ADDR=CLIENT_IP,
    )

    assert response.status_code == 302
    assert signed_in(client)
    assert "evil.example" not in response["Location"]
    assert response["Location"] == "/admin/"


def test_a_local_next_is_followed(alice):
    client = english_client()

    response = client.post(
        f"{LOGIN}?next=/workbench/",
        {"username": "alice", "password": PASSWORD, "next": "/workbench/"},
    )

    assert response.status_code == 302
    assert response["Location"] == "/workbench/"


def test_sign_in_without_a_csrf_token_is_refused(alice):
    client = Client(enforce_csrf_checks=True)

    response = sign_in(client, "alice", PASSWORD)

    assert response.status_code == 403
    assert not signed_in(client)


def test_sign_in_with_the_csrf_token_works(alice):
    client = Client(enforce_csrf_checks=True)
    client.get(LOGIN)
    token = client.cookies[settings.CSRF_COOKIE_NAME].value

    response = client.post(
        LOGIN, {"username": "alice", "password": PASSWORD, "csrfmiddlewaretoken": token}
    )

    assert response.status_code == 302
    assert signed_in(client)


def test_axes_is_configured_first_and_last():
    assert settings.AUTHENTICATION_BACKENDS[0] == "axes.backends.AxesStandaloneBackend"
    assert "giftplatform.backends.OneQueryModelBackend" in settings.AUTHENTICATION_BACKENDS
    assert "guardian.backends.ObjectPermissionBackend" in settings.AUTHENTICATION_BACKENDS
    assert settings.MIDDLEWARE[-1] == "axes.middleware.AxesMiddleware"
    assert settings.INSTALLED_APPS[-1] == "axes"
    assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]
    assert settings.AXES_RESET_ON_SUCCESS is True
