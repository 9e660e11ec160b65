"""The public provider sign-up page and its review: anyone may send a request (checked
like the trade's identifiers, one pending per company, bots caught by a hidden field); a
gift manager of a top-level branch approves it (the provider is created) or rejects it."""

import pytest
from django.urls import reverse

from suppliers.models import Provider, ProviderKind, ProviderSignupRequest, SignupStatus
from tests.suppliers.test_provider_validation import VALID_USCC

pytestmark = pytest.mark.django_db
URL = "/provider-signup/"


def _data(**changes):
    data = {
        "name": "深圳市好车服务有限公司",
        "kind": ProviderKind.SERVICE,
        "credit_code": "９１４４ ０３００ ７１５２ ６７２６ ３０",
        "contact_name": "陈经理",
        "phone": "139 1234 5678",
        "email": "chen@example.com",
        "address": "深圳市福田区",
        "note": "洗车、检测",
        "website": "",
    }
    return data | changes


def test_anyone_sends_a_request_that_waits_for_review(client):
    assert reverse("provider_signup") == URL
    assert client.get(URL).status_code == 200
    response = client.post(URL, _data())
    assert response.status_code == 200
    assert "suppliers/signup_sent.html" in [t.name for t in response.templates]
    row = ProviderSignupRequest.objects.get()
    assert (row.credit_code, row.phone, row.status) == (VALID_USCC, "13912345678", "pending")
    assert not Provider.objects.exists()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"credit_code": "914403007152672631"}, "credit_code"),
        ({"phone": "12345"}, "phone"),
        ({"email": "nope"}, "email"),
        ({"website": "http://spam.example"}, "website"),
    ],
)
def test_bad_requests_are_refused_and_write_nothing(client, changes, field):
    response = client.post(URL, _data(**changes))
    assert field in response.context["form"].errors
    assert not ProviderSignupRequest.objects.exists()


def test_one_pending_request_per_company(client):
    client.post(URL, _data())
    again = client.post(URL, _data(name="另一个名字"))
    assert again.context["form"].errors
    assert ProviderSignupRequest.objects.count() == 1


def test_a_shenzhen_gift_manager_approves_and_the_provider_is_created(
    client, gift_manager_shenzhen
):
    client.post(URL, _data())
    row = ProviderSignupRequest.objects.get()
    client.force_login(gift_manager_shenzhen)
    page = client.get(reverse("admin:suppliers_providersignuprequest_change", args=[row.pk]))
    approve = reverse("admin:suppliers_providersignuprequest_approve", args=[row.pk])
    assert approve in page.content.decode()
    assert client.get(approve).status_code == 200
    assert client.post(approve, {"code": "P777"}).status_code == 302
    row.refresh_from_db()
    provider = Provider.objects.get(code="P777")
    assert (provider.kind, provider.credit_code, provider.status) == (
        "service",
        VALID_USCC,
        "active",
    )
    assert (row.status, row.provider, row.decided_by) == (
        SignupStatus.APPROVED,
        provider,
        gift_manager_shenzhen,
    )
    # Decided once: a second approval changes nothing.
    client.post(approve, {"code": "P778"})
    assert not Provider.objects.filter(code="P778").exists()


def test_reject(client, gift_manager_shenzhen):
    client.post(URL, _data())
    row = ProviderSignupRequest.objects.get()
    client.force_login(gift_manager_shenzhen)
    reject = reverse("admin:suppliers_providersignuprequest_reject", args=[row.pk])
    assert client.post(reject).status_code == 302
    row.refresh_from_db()
    assert row.status == SignupStatus.REJECTED
    assert not Provider.objects.exists()
    # The company may send a new request once the last one is decided.
    client.logout()
    client.post(URL, _data())
    assert ProviderSignupRequest.objects.filter(status="pending").count() == 1


def test_a_futian_gift_manager_reads_requests_but_may_not_decide(client, gift_manager_futian):
    client.post(URL, _data())
    row = ProviderSignupRequest.objects.get()
    client.force_login(gift_manager_futian)
    page = client.get(reverse("admin:suppliers_providersignuprequest_change", args=[row.pk]))
    assert page.status_code == 200
    for name in ("approve", "reject"):
        url = reverse(f"admin:suppliers_providersignuprequest_{name}", args=[row.pk])
        assert url not in page.content.decode()
        assert client.get(url).status_code == 403
        assert client.post(url, {"code": "P777"}).status_code == 403
    row.refresh_from_db()
    assert row.status == SignupStatus.PENDING
