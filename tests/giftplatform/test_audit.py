"""The audit trail: history rows carry the acting user; /audit/ lists them, scoped by
branch subtree, behind its gate, in a constant number of queries."""

import datetime

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from distribution.services.handout import distribution_create
from gifts.models import Gift
from suppliers.models import Provider
from tests.conftest import make_manager
from tests.distribution.conftest import make_rule, stocked_gift
from tests.factories import GiftFactory, PolicyFactory, ProviderFactory, UserFactory

AUDIT_URL = "/audit/"


def grant(user, *perms):
    for perm in perms:
        app_label, codename = perm.split(".")
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    for cache in ("_perm_cache", "_user_perm_cache", "_group_perm_cache"):
        user.__dict__.pop(cache, None)
    return user


def auditor(username, branch):
    user = make_manager(username, branch)
    return grant(user, "distribution.view_distribution", "giftplatform.view_audit_trail")


def change_post(client, url, **changes):
    """POST the admin change form back as shown, with ``changes`` applied."""
    page = client.get(url)
    assert page.status_code == 200
    data = {}

    def add(bound_form):
        for bf in bound_form:
            value = bf.value()
            if value is None:
                continue
            if isinstance(value, bool):
                if value:
                    data[bf.html_name] = "on"
                continue
            data[bf.html_name] = value

    add(page.context["adminform"].form)
    for inline in page.context["inline_admin_formsets"]:
        add(inline.formset.management_form)
        for form in inline.formset.forms:
            add(form)
    data.update(changes)
    return client.post(url, data)


def hand_out(actor, policy, rule, n):
    return distribution_create(actor=actor, policy=policy, rule=rule, idempotency_key=f"a-{n}")


@pytest.fixture
def ft_auditor(futian):
    return auditor("audit_ft", futian)


@pytest.fixture
def world(futian, nanshan, superuser):
    """A gift, a rule and a distribution in each of 福田 and 南山."""
    made = {}
    for n, branch in enumerate((futian, nanshan)):
        gift = stocked_gift(quantity=10, branch=branch, code=f"GIFT-{branch.code}")
        rule = make_rule(f"RULE-{branch.code}", [(gift, 1, "")], branch=branch)
        policy = PolicyFactory(branch=branch)
        distribution = hand_out(superuser, policy, rule, n)
        made[branch.code] = {"gift": gift, "rule": rule, "distribution": distribution}
    return made


def test_admin_change_of_a_gift_records_the_acting_user(client, superuser):
    gift = GiftFactory(name="保温杯")
    client.force_login(superuser)

    response = change_post(
        client, reverse("admin:gifts_gift_change", args=[gift.pk]), name="保温杯（大）"
    )

    assert response.status_code == 302
    latest = gift.history.first()
    assert latest.history_type == "~"
    assert latest.history_user == superuser
    assert latest.name == "保温杯（大）"
    assert latest.prev_record.name == "保温杯"


@pytest.mark.parametrize("admin_name", ["provider", "supplier"])
def test_admin_change_of_a_provider_records_the_acting_user(client, superuser, admin_name):
    """Through the Provider admin and through the Supplier proxy's admin alike."""
    provider = ProviderFactory(name="旧名")
    client.force_login(superuser)

    response = change_post(
        client,
        reverse(f"admin:suppliers_{admin_name}_change", args=[provider.pk]),
        name="新名",
    )

    assert response.status_code == 302
    assert Provider.objects.get(pk=provider.pk).name == "新名"
    latest = Provider.history.filter(id=provider.pk).first()
    assert (latest.history_type, latest.history_user, latest.name) == ("~", superuser, "新名")


def test_audit_page_lists_changes_with_who_and_what(client, superuser):
    gift = GiftFactory(name="保温杯")
    client.force_login(superuser)
    change_post(client, reverse("admin:gifts_gift_change", args=[gift.pk]), name="雨伞")

    response = client.get(AUDIT_URL)

    assert response.status_code == 200
    entries = response.context["entries"]
    newest = entries[0]
    assert newest.change_type == "~"
    assert newest.user == superuser
    assert newest.object_url == reverse("admin:gifts_gift_change", args=[gift.pk])
    assert [(c.old, c.new) for c in newest.changes] == [("保温杯", "雨伞")]
    content = response.content.decode()
    assert "保温杯 → 雨伞" in content


def test_audit_page_filters_by_model_user_and_date(client, superuser, futian):
    other = UserFactory(username="someone_else", is_superuser=True)
    GiftFactory(name="A")
    ProviderFactory(code="P-FILTER")
    client.force_login(superuser)

    only_providers = client.get(AUDIT_URL, {"model": "suppliers.provider"}).context["entries"]
    assert only_providers
    assert {str(e.model_name) for e in only_providers} == {str(Provider._meta.verbose_name)}

    gift = Gift.objects.get(name="A")
    client.force_login(other)
    change_post(client, reverse("admin:gifts_gift_change", args=[gift.pk]), name="B")
    by_other = client.get(AUDIT_URL, {"user": "someone_else"}).context["entries"]
    assert [e.user for e in by_other] == [other]
    assert client.get(AUDIT_URL, {"user": "nobody-at-all"}).context["entries"] == []

    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    assert client.get(AUDIT_URL, {"date_from": tomorrow}).context["entries"] == []
    assert client.get(AUDIT_URL, {"date_to": timezone.localdate()}).context["entries"]


def test_a_futian_auditor_sees_futian_history_only(client, world, ft_auditor):
    client.force_login(ft_auditor)

    entries = client.get(AUDIT_URL).context["entries"]

    names = {e.object_name for e in entries}
    ft, ns = world["440304"], world["440305"]
    assert any(str(ft["gift"].code) in n for n in names)
    assert any(ft["rule"].code in n for n in names)
    assert any(ft["distribution"].number in n for n in names)
    assert not any(ns["gift"].code in n for n in names)
    assert not any(ns["rule"].code in n for n in names)
    assert not any(ns["distribution"].number in n for n in names)
    content = client.get(AUDIT_URL).content.decode()
    assert ns["distribution"].number not in content
    assert ns["gift"].code not in content


def test_a_shenzhen_auditor_sees_both_subtrees(client, world, shenzhen):
    client.force_login(auditor("audit_sz", shenzhen))

    names = " ".join(e.object_name for e in client.get(AUDIT_URL).context["entries"])

    assert world["440304"]["distribution"].number in names
    assert world["440305"]["distribution"].number in names


def test_the_audit_page_is_gated(client, futian):
    assert client.get(AUDIT_URL).status_code == 302  # to the login page

    # Reading every row is not reading their history: that is view_audit_trail's alone.
    reader = make_manager("no_audit", futian)
    reader.user_permissions.remove(Permission.objects.get(codename="view_audit_trail"))
    client.force_login(grant(reader, "distribution.view_distribution"))
    assert client.get(AUDIT_URL).status_code == 403

    client.force_login(
        grant(UserFactory(username="half", branch=futian), "giftplatform.view_audit_trail")
    )
    assert client.get(AUDIT_URL).status_code == 200


def test_rejects_a_bad_page_number(client, superuser):
    client.force_login(superuser)
    response = client.get(AUDIT_URL, {"page": "0"})
    assert response.status_code == 200
    assert response.context["entries"] == []


def _gift_changes(n, branch, prefix="Q"):
    for i in range(n):
        gift = GiftFactory(branch=branch, code=f"{prefix}{branch.code}-{i:03d}")
        gift.name = f"改名{i}"
        gift.save()


def _queries(client):
    # One record type: the count depends on how many types a page shows (bounded by the
    # audited models), never on how many rows there are.
    with CaptureQueriesContext(connection) as captured:
        response = client.get(AUDIT_URL + "?model=gifts.gift")
    assert response.status_code == 200
    return len(captured), len(response.context["entries"])


def test_query_count_does_not_grow_with_rows(client, futian, ft_auditor):
    client.force_login(ft_auditor)
    _gift_changes(5, futian)
    few, shown_few = _queries(client)

    _gift_changes(20, futian, prefix="R")
    many, shown_many = _queries(client)

    assert shown_many > shown_few
    assert many == few


def test_pages_of_fifty_newest_first(client, superuser, futian):
    _gift_changes(30, futian)  # 30 gifts (+ categories and providers) x 2 rows
    client.force_login(superuser)

    first = client.get(AUDIT_URL)
    second = client.get(AUDIT_URL + first.context["next_url"])

    assert len(first.context["entries"]) == 50
    times = [e.time for e in first.context["entries"] + second.context["entries"]]
    assert times == sorted(times, reverse=True)
    assert second.context["previous_url"]
