"""IDOR: another branch's id put where an own id belongs is refused, and nothing is written.

Ids are swapped in a URL, in a form's hidden field, in an admin action's selection and in
an export filter (foreign-key choices: test_idor_choices.py). The requesters are the 福田
users of the shared world (tests/access/conftest.py); the foreign rows are 南山's.
"""

import io
import uuid

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from distribution.models import Distribution
from distribution.workbench_forms import group_name
from giftplatform.models import ExportLog
from tests.access.conftest import as_user
from tests.access.idor_support import Unchanged, own, sibling, snapshot
from tests.distribution.conftest import make_rule
from tests.factories import PolicyFactory

pytestmark = pytest.mark.django_db


# --- the id in a URL ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "label", "view", "data"),
    [
        ("gift_manager", "gifts.gift", "change", {"name": "改名"}),
        ("gift_manager", "distribution.rule", "change", {"name": "改名"}),
        ("gift_manager", "distribution.quota", "change", {"name": "改名"}),
        ("gift_manager", "policies.policy", "change", {"insured_name": "改名"}),
        ("platform_admin", "gifts.gift", "delete", {"post": "yes"}),
        ("platform_admin", "policies.policy", "delete", {"post": "yes"}),
        ("platform_admin", "giftplatform.branch", "delete", {"post": "yes"}),
        ("gift_manager", "gifts.gift", "receive", {"apply": "1", "quantity": 5, "reference": "X"}),
        ("gift_manager", "distribution.rule", "pause", {"post": "yes"}),
        ("gift_manager", "distribution.rule", "clone", {"post": "yes", "code": "STOLEN"}),
        ("approver", "distribution.changerequest", "approve", {"post": "yes"}),
        ("approver", "distribution.distribution", "reject", {"post": "yes", "reason": "x"}),
        ("platform_admin", "distribution.distribution", "cancel", {"post": "yes", "reason": "x"}),
        ("platform_admin", "giftplatform.user", "password_change", {}),
    ],
)
def test_admin_post_to_a_sibling_row_is_404(world, client, role, label, view, data):
    row = sibling(world, label)
    app, model = label.split(".")
    name = (
        f"admin:{app}_{model}_{view}"
        if view != "password_change"
        else "admin:auth_user_password_change"
    )
    if view == "password_change":
        data = {"password1": "another-horse-battery", "password2": "another-horse-battery"}
    as_user(client, world, role)
    with Unchanged(row):
        response = client.post(reverse(name, args=[row.pk]), data)
    assert response.status_code == 404


def test_workbench_hand_out_for_a_sibling_policy_is_404(world, client):
    as_user(client, world, "counter_staff")
    policy = sibling(world, "policies.policy")
    rule = sibling(world, "distribution.rule")
    with Unchanged(policy):
        response = client.post(
            reverse("workbench:policy", args=[policy.pk]),
            {"key": str(uuid.uuid4()), f"rule_{rule.pk}": "on"},
        )
    assert response.status_code == 404


def test_workbench_receipt_with_a_sibling_number_among_its_own_is_404(world, client):
    as_user(client, world, "counter_staff")
    ours = own(world, "distribution.distribution").number
    theirs = sibling(world, "distribution.distribution").number
    url = reverse("workbench:receipt", args=[ours])
    assert client.get(url).status_code == 200
    response = client.get(f"{url}?n={theirs}")
    assert response.status_code == 404
    assert theirs not in response.content.decode()


@pytest.mark.parametrize("name", ["policies:reveal", "admin:policies_policy_reveal"])
def test_reveal_of_a_sibling_policy_is_404_and_logs_nothing(world, client, name):
    as_user(client, world, "counter_staff" if name.startswith("policies") else "branch_admin")
    policy = sibling(world, "policies.policy")
    with Unchanged(policy):
        response = client.post(reverse(name, args=[policy.pk, "phone"]), {"reason": "回访"})
    assert response.status_code == 404
    assert policy.phone not in response.content.decode()


# --- a hidden field ---------------------------------------------------------------------


def test_workbench_form_with_a_rule_that_is_not_in_the_offer_hands_out_nothing(world, client):
    as_user(client, world, "counter_staff")
    policy = PolicyFactory(branch=world.branches["futian"])
    foreign_rule = sibling(world, "distribution.rule")
    with Unchanged(policy, foreign_rule):
        response = client.post(
            reverse("workbench:policy", args=[policy.pk]),
            {"key": str(uuid.uuid4()), f"rule_{foreign_rule.pk}": "on"},
        )
    assert response.status_code == 200
    assert not Distribution.objects.filter(policy=policy).exists()


def test_workbench_form_with_a_foreign_reward_in_a_choice_hands_out_nothing(world, client):
    as_user(client, world, "counter_staff")
    futian = world.branches["futian"]
    policy = PolicyFactory(branch=futian)
    ours = [own(world, "gifts.gift"), world.row("gifts.gift", "other_provider")]
    rule = make_rule("CHOICE", [(gift, 1, "A") for gift in ours], branch=futian)
    rule.target_branches.set([futian])
    foreign_reward = sibling(world, "distribution.rule").rewards.get()
    data = {"key": str(uuid.uuid4()), f"rule_{rule.pk}": "on"}
    with Unchanged(policy, rule):
        response = client.post(
            reverse("workbench:policy", args=[policy.pk]),
            {**data, group_name(rule.pk, 0): foreign_reward.pk},
        )
    assert response.status_code == 200
    assert group_name(rule.pk, 0) in response.context["form"].errors
    # The same form with an own option goes through: the refusal was the foreign id.
    response = client.post(
        reverse("workbench:policy", args=[policy.pk]),
        {**data, group_name(rule.pk, 0): rule.rewards.first().pk},
    )
    assert response.status_code == 302
    assert Distribution.objects.filter(policy=policy, rule=rule).count() == 1


def test_a_sibling_owned_rule_without_targets_is_not_offered_here(world, client):
    nanshan = world.branches["nanshan"]
    theirs = make_rule("NS-ALL", [(sibling(world, "gifts.gift"), 1, "")], branch=nanshan)
    as_user(client, world, "counter_staff")
    policy = PolicyFactory(branch=world.branches["futian"])
    response = client.get(reverse("workbench:policy", args=[policy.pk]))
    assert f"rule_{theirs.pk}" not in response.context["form"].fields


# --- an admin action's selection ---------------------------------------------------------

RECEIVE = {"apply": "1", "quantity": 5, "reference": "PO-IDOR"}
ADJUST = {"apply": "1", "quantity": -5, "note": "盘亏"}


@pytest.mark.parametrize(
    ("role", "label", "action", "extra", "works_on_own"),
    [
        ("approver", "distribution.distribution", "approve", {"apply": "1"}, False),
        ("approver", "distribution.distribution", "reject", {"apply": "1", "reason": "x"}, False),
        (
            "platform_admin",
            "distribution.distribution",
            "cancel",
            {"apply": "1", "reason": "x"},
            True,
        ),
        ("gift_manager", "gifts.gift", "receive_stock", RECEIVE, True),
        ("gift_manager", "gifts.gift", "adjust_stock", ADJUST, True),
        ("platform_admin", "gifts.gift", "delete_selected", {"post": "yes"}, False),
        ("platform_admin", "policies.policy", "delete_selected", {"post": "yes"}, False),
        ("platform_admin", "giftplatform.user", "delete_selected", {"post": "yes"}, True),
    ],
)
def test_action_on_a_sibling_row_leaves_it_alone(
    world, client, role, label, action, extra, works_on_own
):
    as_user(client, world, role)
    app, model = label.split(".")
    url = reverse(f"admin:{app}_{model}_changelist")
    row = sibling(world, label)
    with Unchanged(row):
        response = client.post(
            url, {"action": action, "_selected_action": [row.pk], "index": 0, **extra}
        )
    assert response.status_code in (200, 302)
    if works_on_own:
        # The same request with an own row does something: the refusal was the foreign id.
        ours = own(world, label)
        before = snapshot(ours) if type(ours).objects.filter(pk=ours.pk).exists() else None
        client.post(url, {"action": action, "_selected_action": [ours.pk], "index": 0, **extra})
        exists = type(ours).objects.filter(pk=ours.pk).exists()
        assert not exists or snapshot(ours) != before


# --- an export filter -----------------------------------------------------------------------


def sheet_rows(response) -> list[tuple]:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    book = load_workbook(io.BytesIO(content), read_only=True)
    return [row for sheet in book for row in sheet.iter_rows(values_only=True)]


def in_branch(world):
    return {"branch__id__exact": world.branches["nanshan"].pk}


def of_gift(world):
    return {"gift__id__exact": sibling(world, "gifts.gift").pk}


def searching(field):
    return lambda row: {"q": getattr(row, field)}


@pytest.mark.parametrize(
    ("label", "shown", "query_of"),
    [
        ("gifts.gift", "code", in_branch),
        ("gifts.gift", "code", searching("code")),
        ("policies.policy", "policy_no", in_branch),
        ("policies.policy", "policy_no", searching("policy_no")),
        ("distribution.distribution", "number", in_branch),
        ("distribution.distribution", "number", searching("number")),
        ("gifts.stockmovement", "reference", of_gift),
        ("gifts.vouchercode", "code", searching("code")),
    ],
)
def test_export_filtered_on_a_sibling_row_does_not_contain_it(
    world, client, label, shown, query_of
):
    as_user(client, world, "gift_manager")
    app, model = label.split(".")
    row = sibling(world, label)
    query = query_of(row) if query_of.__name__ == "<lambda>" else query_of(world)
    logged = ExportLog.objects.count()
    response = client.get(reverse(f"admin:{app}_{model}_export"), query)
    if response.status_code == 302:  # a lookup the list does not allow: back to the list
        assert "/export/" not in response["Location"]
        assert ExportLog.objects.count() == logged
        return
    assert response.status_code == 200
    rows = sheet_rows(response)
    log = ExportLog.objects.latest("pk")
    # The notes above the header echo the filter: only the data rows must not hold the value.
    data = rows[len(rows) - log.row_count :] if log.row_count else []
    assert all(getattr(row, shown) not in data_row for data_row in data)
    if "q" in query:
        assert log.row_count == 0
