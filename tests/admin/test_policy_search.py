"""The policy search is exact, on the one identifier the text looks like."""

import random

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from giftplatform.admin_scoping import EstimatedCountPaginator
from policies.models import Policy
from policies.selectors import policy_lookup
from tests.factories import PolicyFactory, make_vin

VIN = make_vin(random.Random(2026))
ID_NUMBER = "11010519491231002X"


@pytest.fixture
def target(futian):
    return PolicyFactory(
        branch=futian,
        policy_no="PDAA202644030012345678",
        plate="粤B12345",
        vin=VIN,
        phone="13912345678",
        id_number=ID_NUMBER,
    )


@pytest.fixture
def others(futian):
    # Near misses: same prefixes, other identifiers.
    return [
        PolicyFactory(branch=futian, policy_no="PDAA2026440300123456789"),
        PolicyFactory(branch=futian, plate="粤B123456", phone="13912345670"),
        PolicyFactory(branch=futian, id_number="110105194912310021"),
    ]


def _search(client, text):
    response = client.get(reverse("admin:policies_policy_changelist"), {"q": text})
    assert response.status_code == 200
    return list(response.context["cl"].result_list)


@pytest.mark.parametrize(
    "text",
    [
        "PDAA202644030012345678",
        " pdaa202644030012345678 ",
        "ＰＤＡＡ２０２６４４０３００１２３４５６７８",  # typed with a full-width IME
        "粤B12345",
        "粤b·12345",
        "粤B 12345",
        VIN,
        VIN.lower(),
        "13912345678",
        "+8613912345678",
        ID_NUMBER,
        ID_NUMBER.lower(),
    ],
)
def test_search_finds_the_policy_by_each_identifier(client, superuser, target, others, text):
    client.force_login(superuser)

    assert _search(client, text) == [target]


@pytest.mark.parametrize("text", ["PDAA2026440300", "粤B1234", VIN[:16], "1391234567", "张三"])
def test_search_does_not_match_partial_text(client, superuser, target, others, text):
    client.force_login(superuser)

    assert target not in _search(client, text)


def test_search_is_an_equality_on_the_identifier_column(client, superuser, target):
    client.force_login(superuser)
    with CaptureQueriesContext(connection) as queries:
        _search(client, "粤B·12345")

    listing = [q["sql"] for q in queries if "policies_policy" in q["sql"] and "LIKE" in q["sql"]]
    assert listing == []


def test_lookup_starts_from_the_users_scope(manager_futian, nanshan, target):
    theirs = PolicyFactory(branch=nanshan, plate="粤B54321")

    assert list(policy_lookup(user=manager_futian, text="粤B12345")) == [target]
    assert list(policy_lookup(user=manager_futian, text=theirs.plate)) == []
    assert list(policy_lookup(user=manager_futian, text="  ")) == []


def test_list_masks_id_number_and_phone(client, superuser, target):
    client.force_login(superuser)

    content = client.get(reverse("admin:policies_policy_changelist")).content.decode()

    assert "110105********002X" in content
    assert "139****5678" in content
    assert ID_NUMBER not in content
    assert "13912345678" not in content


def test_paginator_counts_filtered_lists_for_real(target, others):
    paginator = EstimatedCountPaginator(Policy.objects.filter(plate="粤B12345"), 100)

    assert paginator.count == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="planner estimates need PostgreSQL")
def test_paginator_takes_the_planner_estimate_for_a_big_unfiltered_table(target, others):
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE policies_policy")

    class Eager(EstimatedCountPaginator):
        estimate_threshold = 0

    with CaptureQueriesContext(connection) as queries:
        count = Eager(Policy.objects.order_by("-issue_date", "-id"), 100).count

    assert count == 4
    assert [q for q in queries if "COUNT(" in q["sql"].upper()] == []
    with CaptureQueriesContext(connection) as queries:
        assert EstimatedCountPaginator(Policy.objects.all(), 100).count == 4
    assert any("COUNT(" in q["sql"].upper() for q in queries)  # small: a real count


def test_policy_list_never_counts_facets(client, superuser, target):
    client.force_login(superuser)

    response = client.get(reverse("admin:policies_policy_changelist"), {"_facets": "1"})

    assert response.context["cl"].add_facets is False
