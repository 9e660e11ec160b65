"""Staff see shipping: parcels on each distributed item in the admin, the overdue filter
scoped to their branch, and tracking numbers on the workbench receipt."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from distribution.models import Courier
from distribution.services.shipments import shipment_log, shipment_mark_delivered
from giftplatform.roles import apply_roles
from tests.factories import UserFactory
from tests.suppliers.shipment_support import build_supply, days_ago

pytestmark = pytest.mark.django_db
SF = "SF1234567890123"


@pytest.fixture
def supply(futian):
    return build_supply(futian)


def staff(code, branch):
    from django.contrib.auth.models import Group

    apply_roles()
    user = UserFactory(username=f"{code}_{branch.code}", branch=branch)
    user.groups.add(Group.objects.get(name=code))
    return user


def test_admin_item_inline_shows_parcels(client, supply, futian):
    item = supply.due(supply.policy(), supply.gifts["G001"], 2)
    parcel = shipment_log(
        actor=supply.user1, provider=supply.s1, courier=Courier.SF, tracking_no=SF,
        lines=[(item.pk, 2)],
    )  # fmt: skip
    shipment_mark_delivered(actor=supply.user1, provider=supply.s1, shipment_ids=[parcel.pk])
    waiting = supply.due(supply.policy(), supply.gifts["G001"])
    client.force_login(staff("gift_manager", futian))
    url = reverse("admin:distribution_distribution_change", args=[item.distribution_id])
    body = client.get(url).content.decode()
    assert SF in body and "×2" in body
    body = client.get(
        reverse("admin:distribution_distribution_change", args=[waiting.distribution_id])
    ).content.decode()
    assert SF not in body


def test_overdue_filter_lists_only_overdue_in_the_branch_subtree(client, supply, futian, nanshan):
    late = supply.due(supply.policy(), supply.gifts["G001"], at=days_ago(30))
    recent = supply.due(supply.policy(), supply.gifts["G001"])
    late_sibling = supply.due(supply.policy(branch=nanshan), supply.gifts["G001"], at=days_ago(30))
    client.force_login(staff("gift_manager", futian))
    response = client.get(
        reverse("admin:distribution_distribution_changelist"), {"shipping": "overdue"}
    )
    shown = {d.pk for d in response.context["cl"].result_list}
    assert shown == {late.distribution_id}
    assert recent.distribution_id not in shown and late_sibling.distribution_id not in shown
    response = client.get(
        reverse("admin:distribution_distribution_changelist"), {"shipping": "waiting"}
    )
    assert {d.pk for d in response.context["cl"].result_list} == {
        late.distribution_id,
        recent.distribution_id,
    }


def test_receipt_shows_tracking_numbers_with_constant_queries(
    client, supply, futian, django_assert_num_queries
):
    policy = supply.policy()
    first = supply.due(policy, supply.gifts["G001"])
    client.force_login(staff("counter_staff", futian))
    url = reverse("workbench:receipt", args=[first.distribution.number])
    with CaptureQueriesContext(connection) as before:
        assert SF not in client.get(url).content.decode()
    items = [first] + [supply.due(policy, supply.gifts["G002"]) for _ in range(3)]
    for n, item in enumerate(items):
        shipment_log(
            actor=supply.user1, provider=supply.s1, courier=Courier.SF,
            tracking_no=f"SF12345678901{n:02d}", lines=[(item.pk, 1)],
        )  # fmt: skip
    numbers = [item.distribution.number for item in items[1:]]
    with django_assert_num_queries(len(before.captured_queries)):
        response = client.get(url, {"n": numbers})
    body = response.content.decode()
    assert all(f"SF12345678901{n:02d}" in body for n in range(4))
