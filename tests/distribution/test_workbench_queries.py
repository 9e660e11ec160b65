"""The workbench stays fast: query counts do not grow with rules, past hand-outs or hits."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from distribution.services.handout import distribution_create
from tests.distribution.conftest import make_quota, make_rule, stocked_gift, voucher_gift
from tests.factories import PolicyFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_futian(client, clerk_futian):
    client.force_login(clerk_futian)
    return client


def _rule(n: int):
    """A rule with a fixed physical gift, a choose-one group and a voucher gift."""
    return make_rule(
        f"Q{n}",
        rewards=[
            (stocked_gift(50), 1, ""),
            (stocked_gift(50), 1, "A"),
            (voucher_gift(5), 1, "A"),
        ],
        conditions=[(1, "premium", "gte", "1000.00"), (2, "is_new_car", "eq", True)],
        max_per_policy=5,
    )


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_policy_page_queries_do_not_grow_with_rules_or_past_distributions(
    client_futian, clerk_futian, policy, django_assert_num_queries
):
    make_quota("PP", "premium_ratio", "policy", "1000")
    make_quota("POOL", "gift_amount", "month", "100000")
    first = _rule(1)
    distribution_create(
        actor=clerk_futian,
        policy=policy,
        rule=first,
        idempotency_key="q-0",
        choices={"A": first.rewards.get(option_group="A", gift__kind="physical").pk},
    )
    url = reverse("workbench:policy", args=[policy.pk])
    baseline = _count(client_futian, url)

    rules = [first, *(_rule(n) for n in range(2, 6))]
    for n, rule in enumerate(rules):
        option = rule.rewards.filter(option_group="A").order_by("id").first()
        distribution_create(
            actor=clerk_futian,
            policy=policy,
            rule=rule,
            idempotency_key=f"q-{n + 1}",
            choices={"A": option.pk},
        )

    with django_assert_num_queries(baseline):
        response = client_futian.get(url)
    assert len(response.context["cards"]) == 5
    assert all(card.verdict.matched for card in response.context["cards"])
    assert len(response.context["past"]) == 6


def test_search_is_one_lookup_whatever_the_number_of_hits(
    client_futian, futian, django_assert_num_queries
):
    PolicyFactory(branch=futian, phone="13511112222")
    PolicyFactory(branch=futian, phone="13511112222")
    url = reverse("workbench:search")
    baseline = _count(client_futian, f"{url}?q=13511112222")
    PolicyFactory.create_batch(10, branch=futian, phone="13511112222")

    with django_assert_num_queries(baseline):
        response = client_futian.get(url, {"q": "13511112222"})
    assert len(response.context["results"]) == 12


def test_receipt_queries_do_not_grow_with_distributions(
    client_futian, clerk_futian, policy, django_assert_num_queries
):
    made = []
    for n in range(4):
        rule = make_rule(f"RC{n}", rewards=[(stocked_gift(5), 1, ""), (voucher_gift(3), 2, "")])
        made.append(
            distribution_create(
                actor=clerk_futian, policy=policy, rule=rule, idempotency_key=f"{n}"
            )
        )
    url = reverse("workbench:receipt", args=[made[0].number])
    baseline = _count(client_futian, url)

    with django_assert_num_queries(baseline):
        response = client_futian.get(url, {"n": [d.number for d in made[1:]]})
    assert len(response.context["distributions"]) == 4
