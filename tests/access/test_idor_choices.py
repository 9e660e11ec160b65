"""IDOR through a foreign-key choice: an admin form, an autocomplete, a rule's reward, the
batch start form and the rule test box never accept or show another branch's row."""

import pytest
from django.urls import reverse

from distribution.models import Quota, QuotaStatus
from tests.access.conftest import as_user
from tests.access.idor_support import Unchanged, own, sibling
from tests.distribution.conftest import make_rule

pytestmark = pytest.mark.django_db


# --- a foreign-key choice ------------------------------------------------------------------


def form_errors(response) -> dict:
    assert response.status_code == 200, "the form is shown again with its errors"
    return response.context["adminform"].form.errors


@pytest.mark.parametrize(
    ("role", "label", "field", "value_of"),
    [
        ("gift_manager", "gifts.gift", "branch", lambda w: w.branches["nanshan"].pk),
        ("gift_manager", "policies.policy", "branch", lambda w: w.branches["nanshan"].pk),
        ("gift_manager", "distribution.rule", "branch", lambda w: w.branches["nanshan"].pk),
        ("gift_manager", "distribution.quota", "branch", lambda w: w.branches["nanshan"].pk),
        ("gift_manager", "distribution.quota", "scope_branch", lambda w: w.branches["nanshan"].pk),
        ("gift_manager", "distribution.quota", "scope_gift", lambda w: sibling(w, "gifts.gift").pk),
        ("branch_admin", "giftplatform.user", "branch", lambda w: w.branches["nanshan"].pk),
        ("platform_admin", "giftplatform.branch", "parent", lambda w: w.branches["nanshan"].pk),
        ("platform_admin", "giftplatform.branch", "parent", lambda w: w.branches["shenzhen"].pk),
    ],
)
def test_add_form_refuses_a_choice_outside_scope(world, client, role, label, field, value_of):
    as_user(client, world, role)
    app, model = label.split(".")
    with Unchanged():
        response = client.post(reverse(f"admin:{app}_{model}_add"), {field: value_of(world)})
    assert field in form_errors(response)


def editable_row(world, label):
    """An own row whose scope fields are still editable (a quota before its approval)."""
    if label == "distribution.quota":
        return Quota.objects.create(
            code="Q-PENDING",
            name="待批额度",
            basis="gift_amount",
            period="month",
            limit=1000,
            status=QuotaStatus.PENDING,
            branch=world.branches["futian"],
        )
    return own(world, label)


@pytest.mark.parametrize(
    ("role", "label", "field", "value_of"),
    [
        ("gift_manager", "gifts.gift", "branch", lambda w: w.branches["nanshan"].pk),
        ("gift_manager", "distribution.quota", "branch", lambda w: w.branches["nanshan"].pk),
        ("gift_manager", "distribution.quota", "scope_gift", lambda w: sibling(w, "gifts.gift").pk),
        ("branch_admin", "giftplatform.user", "branch", lambda w: w.branches["nanshan"].pk),
        ("branch_admin", "giftplatform.user", "branch", lambda w: w.branches["shenzhen"].pk),
    ],
)
def test_change_form_refuses_a_choice_outside_scope(world, client, role, label, field, value_of):
    as_user(client, world, role)
    row = editable_row(world, label)
    app, model = label.split(".")
    with Unchanged(row):
        response = client.post(
            reverse(f"admin:{app}_{model}_change", args=[row.pk]), {field: value_of(world)}
        )
    assert field in form_errors(response)


def branch_code(world, ours):
    return world.branches["futian" if ours else "nanshan"].code


def gift_code(world, ours):
    return world.row("gifts.gift", "own" if ours else "sibling").code


@pytest.mark.parametrize(
    ("model", "field", "term_of"),
    [("gift", "branch", branch_code), ("quota", "scope_gift", gift_code)],
)
def test_autocomplete_offers_no_row_outside_scope(world, client, model, field, term_of):
    as_user(client, world, "gift_manager")
    app = "gifts" if model == "gift" else "distribution"
    query = {"app_label": app, "model_name": model, "field_name": field}
    url = reverse("admin:autocomplete")
    theirs = client.get(url, {**query, "term": term_of(world, ours=False)})
    assert theirs.status_code == 200
    assert theirs.json()["results"] == []
    ours = client.get(url, {**query, "term": term_of(world, ours=True)})
    assert len(ours.json()["results"]) == 1


def test_rule_reward_refuses_a_sibling_gift(world, client):
    as_user(client, world, "gift_manager")
    futian = world.branches["futian"]
    # A draft nobody has asked to activate yet: its rewards are still editable.
    draft = make_rule("D-EDIT", [(own(world, "gifts.gift"), 1, "")], branch=futian, status="draft")
    url = reverse("admin:distribution_rule_change", args=[draft.pk])
    page = client.get(url)
    formsets = {f.formset.prefix: f.formset for f in page.context["inline_admin_formsets"]}
    rewards = next(f for f in formsets.values() if f.model._meta.model_name == "rulereward")
    data = {}
    for prefix, formset in formsets.items():
        data.update(
            {
                f"{prefix}-TOTAL_FORMS": formset.total_form_count(),
                f"{prefix}-INITIAL_FORMS": formset.initial_form_count(),
            }
        )
    reward = draft.rewards.get()
    data.update(
        {
            f"{rewards.prefix}-0-id": reward.pk,
            f"{rewards.prefix}-0-rule": draft.pk,
            f"{rewards.prefix}-0-gift": sibling(world, "gifts.gift").pk,
            f"{rewards.prefix}-0-quantity": 1,
        }
    )
    with Unchanged(draft, reward):
        response = client.post(url, data)
    assert response.status_code == 200
    posted = next(
        f.formset
        for f in response.context["inline_admin_formsets"]
        if f.formset.prefix == rewards.prefix
    )
    assert "gift" in posted.forms[0].errors


def test_batch_run_start_refuses_a_sibling_rule(world, client):
    as_user(client, world, "gift_manager")
    rule = sibling(world, "distribution.rule")
    with Unchanged(rule):
        response = client.post(
            reverse("admin:distribution_batchrun_start"), {"rule": rule.pk, "dry_run": "on"}
        )
    assert response.status_code == 200
    assert "rule" in response.context["form"].errors


def test_rule_test_box_does_not_find_a_sibling_policy(world, client):
    as_user(client, world, "gift_manager")
    policy = sibling(world, "policies.policy")
    url = reverse("admin:distribution_rule_test", args=[own(world, "distribution.rule").pk])
    response = client.get(url, {"policy": policy.policy_no})
    assert response.status_code == 200
    assert not response.context["results"]
    assert policy.plate not in response.content.decode()
