# ruff: noqa: F811 - the fixtures imported from admin_support are redefined as arguments
"""Distributions admin: a read-only ledger; approve, reject and cancel through the
services with a reason; gifts of cancelled policies listed for recovery."""

from decimal import Decimal

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db import connection
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext

from distribution.models import (
    Distribution,
    DistributionStatus,
    ItemStatus,
    RecoveryStatus,
)
from gifts.models import StockMovement
from tests.distribution.admin_support import (  # noqa: F401 - fixtures
    active_rule,
    admin_url,
    approver,
    ft_manager,
    futian_distribution,
    gift,
    grant_distribution,
    hand_out,
    messages_of,
)
from tests.distribution.conftest import make_quota, make_rule
from tests.factories import PolicyFactory


def stock_and_ledger(gift):
    gift.refresh_from_db()
    ledger = StockMovement.objects.filter(gift=gift).aggregate(total=Sum("quantity"))["total"]
    return gift.stock, ledger


@pytest.fixture
def pending_distribution(futian, gift, ft_manager, policy):
    rule = make_rule("FT-BIG", [(gift, 1, "")], branch=futian, approval_threshold=Decimal("10"))
    return hand_out(ft_manager, policy, rule)


def test_the_detail_shows_items_and_charges_read_only(
    client, ft_manager, active_rule, policy, futian, superuser
):
    make_quota("FT-POOL", "voucher_count", "month", "100", branch=futian)
    distribution = hand_out(superuser, policy, active_rule)
    client.force_login(ft_manager)

    page = client.get(admin_url("distribution", "change", distribution.pk))

    assert page.status_code == 200
    items, charges = page.context["inline_admin_formsets"]
    assert [f.instance.quantity for f in items.formset.forms] == [1]
    assert [(f.instance.quota.code, f.instance.amount) for f in charges.formset.forms] == [
        ("FT-POOL", Decimal("1"))
    ]
    assert b"13800138000" not in page.content  # the recipient's mobile is masked
    assert b'name="status"' not in page.content
    assert b'name="_save"' not in page.content


def test_cancel_needs_a_reason_and_returns_the_stock(client, ft_manager, futian_distribution, gift):
    before = stock_and_ledger(gift)
    assert before[0] == before[1] == 49
    client.force_login(ft_manager)
    url = admin_url("distribution", "cancel", futian_distribution.pk)

    assert client.post(url, {"reason": ""}).status_code == 200  # asked again, with the error
    futian_distribution.refresh_from_db()
    assert futian_distribution.status != DistributionStatus.CANCELLED

    response = client.post(url, {"reason": "客户退回"})

    assert response.status_code == 302
    futian_distribution.refresh_from_db()
    assert futian_distribution.status == DistributionStatus.CANCELLED
    assert futian_distribution.cancel_reason == "客户退回"
    assert futian_distribution.cancelled_by == ft_manager
    assert stock_and_ledger(gift) == (50, 50)
    assert set(futian_distribution.items.values_list("status", flat=True)) == {ItemStatus.CANCELLED}


def test_cancel_as_a_changelist_action(client, ft_manager, futian_distribution, gift):
    client.force_login(ft_manager)
    data = {"action": "cancel", ACTION_CHECKBOX_NAME: [futian_distribution.pk]}
    url = admin_url("distribution", "changelist")

    page = client.post(url, data)
    assert page.status_code == 200  # the confirmation page
    response = client.post(url, data | {"apply": "1", "reason": "录错"})

    assert response.status_code == 302
    futian_distribution.refresh_from_db()
    assert futian_distribution.status == DistributionStatus.CANCELLED
    assert stock_and_ledger(gift) == (50, 50)


def test_an_approver_approves_a_pending_distribution(client, approver, pending_distribution):
    assert pending_distribution.status == DistributionStatus.PENDING_APPROVAL
    client.force_login(approver)
    page = client.get(admin_url("distribution", "change", pending_distribution.pk))
    assert admin_url("distribution", "approve", pending_distribution.pk).encode() in page.content

    client.post(admin_url("distribution", "approve", pending_distribution.pk), {"reason": ""})

    pending_distribution.refresh_from_db()
    assert pending_distribution.status == DistributionStatus.FULFILLING
    assert pending_distribution.decided_by == approver


def test_rejecting_needs_a_reason_and_returns_the_stock(
    client, approver, pending_distribution, gift
):
    client.force_login(approver)
    url = admin_url("distribution", "reject", pending_distribution.pk)

    assert client.post(url, {"reason": ""}).status_code == 200
    client.post(url, {"reason": "超出预算"})

    pending_distribution.refresh_from_db()
    assert pending_distribution.status == DistributionStatus.REJECTED
    assert stock_and_ledger(gift) == (50, 50)


def test_nobody_approves_their_own_hand_out(client, ft_manager, pending_distribution):
    maker = grant_distribution(ft_manager, approve=True)
    client.force_login(maker)
    page = client.get(admin_url("distribution", "change", pending_distribution.pk))
    assert admin_url("distribution", "approve", pending_distribution.pk).encode() not in (
        page.content
    )

    response = client.post(admin_url("distribution", "approve", pending_distribution.pk))

    assert response.status_code == 302
    assert messages_of(response)
    pending_distribution.refresh_from_db()
    assert pending_distribution.status == DistributionStatus.PENDING_APPROVAL


def test_approving_needs_the_approver_permission(client, ft_manager, pending_distribution):
    client.force_login(ft_manager)

    response = client.post(admin_url("distribution", "approve", pending_distribution.pk))

    assert response.status_code == 403
    actions = client.get(admin_url("distribution", "changelist")).context["action_form"]
    assert "approve" not in dict(actions.fields["action"].choices)


def test_gifts_of_cancelled_policies_are_listed_and_recovered(
    client, ft_manager, active_rule, futian, superuser
):
    kept = hand_out(superuser, PolicyFactory(branch=futian), active_rule)
    lapsed_policy = PolicyFactory(branch=futian)
    lapsed = hand_out(superuser, lapsed_policy, active_rule)
    lapsed_policy.status = "cancelled"
    lapsed_policy.save()
    client.force_login(ft_manager)

    listed = client.get(admin_url("distribution", "changelist"), {"to_recover": "yes"})
    assert list(listed.context["cl"].result_list) == [lapsed]

    data = {"action": "mark_recovery", ACTION_CHECKBOX_NAME: [lapsed.pk, kept.pk]}
    response = client.post(
        admin_url("distribution", "changelist"),
        data | {"apply": "1", "outcome": RecoveryStatus.WRITTEN_OFF},
    )

    assert response.status_code == 302
    lapsed.refresh_from_db()
    kept.refresh_from_db()
    assert (lapsed.recovery, kept.recovery) == (RecoveryStatus.WRITTEN_OFF, "")
    after = client.get(admin_url("distribution", "changelist"), {"to_recover": "yes"})
    assert list(after.context["cl"].result_list) == []


def test_search_is_exact_on_number_or_policy_no(client, ft_manager, futian_distribution):
    client.force_login(ft_manager)
    url = admin_url("distribution", "changelist")

    by_number = client.get(url, {"q": futian_distribution.number.lower()})
    by_policy = client.get(url, {"q": futian_distribution.policy.policy_no})
    partial = client.get(url, {"q": futian_distribution.number[:6]})

    assert list(by_number.context["cl"].result_list) == [futian_distribution]
    assert list(by_policy.context["cl"].result_list) == [futian_distribution]
    assert list(partial.context["cl"].result_list) == []


@pytest.mark.parametrize("who", ["superuser", "ft_manager"])
def test_the_changelist_query_count_is_constant(request, client, who, active_rule, futian):
    user = request.getfixturevalue(who)
    client.force_login(user)
    url = admin_url("distribution", "changelist")

    def build(n):
        for _ in range(n):
            hand_out(user, PolicyFactory(branch=futian), active_rule)

    build(3)
    client.get(url)  # warm caches before counting
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    build(17)
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)

    assert len(many) == len(few)
    assert len(response.context["cl"].result_list) == 20
    assert Distribution.objects.count() == 20
