"""A double click on confirm: concurrent POSTs of one form hand out once (PostgreSQL)."""

import threading
import uuid

import pytest
from django.db import connection, connections
from django.test import Client
from django.urls import reverse

from distribution.models import Distribution
from gifts.models import Gift
from tests.distribution.conftest import make_rule, stocked_gift, with_role
from tests.factories import PolicyFactory, UserFactory

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL"),
    pytest.mark.django_db(transaction=True),
]

CLICKS = 6


@pytest.mark.parametrize("max_per_policy", [1, 3])
def test_concurrent_posts_of_one_form_hand_out_once_and_show_one_receipt(futian, max_per_policy):
    # max 1: the waiting request is refused (already received) and finds the first's result;
    # max 3: it hits the unique idempotency key and the service returns the first result.
    clerk = UserFactory(username=f"clerk_click{max_per_policy}", branch=futian)
    with_role(clerk, "counter_staff")
    policy = PolicyFactory(branch=futian)
    gift = stocked_gift(10)
    rule = make_rule("DBL", rewards=[(gift, 1, "")], max_per_policy=max_per_policy)
    data = {"key": str(uuid.uuid4()), f"rule_{rule.pk}": "on"}
    url = reverse("workbench:policy", args=[policy.pk])
    barrier = threading.Barrier(CLICKS)
    locations, errors = [], []

    def click():
        try:
            client = Client()
            client.force_login(clerk)
            barrier.wait(timeout=60)  # a thread that failed early must not hang the rest
            response = client.post(url, data)
            locations.append(response.get("Location", response.status_code))
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=click) for _ in range(CLICKS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert not errors
    (made,) = Distribution.objects.filter(policy=policy)
    assert locations == [reverse("workbench:receipt", args=[made.number])] * CLICKS
    assert Gift.objects.get(pk=gift.pk).stock == 9
