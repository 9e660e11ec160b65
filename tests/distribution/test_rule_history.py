# ruff: noqa: F811 - the fixtures imported from admin_support are redefined as arguments
"""A rule's history page: the rule, its conditions and its rewards, who, when, old → new,
in the admin's Chinese labels; scoped like the rule; a bounded number of queries."""

import pytest
from django.utils import translation

from distribution.models import Rule, RuleCondition, RuleReward
from tests.distribution.admin_support import (  # noqa: F401 - fixtures
    admin_url,
    ft_manager,
    gift,
    grant_distribution,
)
from tests.distribution.conftest import stocked_gift
from tests.factories import UserFactory


def form(rule, conditions, rewards, **fields):
    """The change form's POST: ``conditions`` (pk, group, attr, op, value), ``rewards``
    (pk, gift, quantity, group, delete); pk None = a new row."""
    data = {
        "code": rule.code,
        "name": rule.name,
        "description": "",
        "branch": rule.branch_id,
        "priority": 100,
        "max_per_policy": 1,
        "tax_treatment": "sale",
        "starts_at_0": "",
        "starts_at_1": "",
        "ends_at_0": "",
        "ends_at_1": "",
        "conditions-TOTAL_FORMS": len(conditions),
        "conditions-INITIAL_FORMS": sum(1 for c in conditions if c[0]),
        "rewards-TOTAL_FORMS": len(rewards),
        "rewards-INITIAL_FORMS": sum(1 for r in rewards if r[0]),
        **fields,
    }
    for n, (pk, group, attribute, operator, value) in enumerate(conditions):
        data |= {
            f"conditions-{n}-id": pk or "",
            f"conditions-{n}-rule": rule.pk or "",
            f"conditions-{n}-group": group,
            f"conditions-{n}-attribute": attribute,
            f"conditions-{n}-operator": operator,
            f"conditions-{n}-value": value,
        }
    for n, (pk, reward_gift, quantity, group, delete) in enumerate(rewards):
        data |= {
            f"rewards-{n}-id": pk or "",
            f"rewards-{n}-rule": rule.pk or "",
            f"rewards-{n}-gift": reward_gift.pk,
            f"rewards-{n}-quantity": quantity,
            f"rewards-{n}-option_group": group,
        }
        if delete:
            data[f"rewards-{n}-DELETE"] = "on"
    return data


@pytest.fixture
def edited_rule(client, ft_manager, futian, gift):
    """A draft made and then edited through the admin by ft_manager."""
    other = stocked_gift(10, code="WASH", name="精洗券", branch=futian)
    client.force_login(ft_manager)
    blank = Rule(code="FT-HIST", name="新车礼", branch=futian)
    response = client.post(
        admin_url("rule", "add"),
        form(blank, [(None, 1, "seats", "lte", "5")], [(None, gift, 1, "", False)]),
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    rule = Rule.objects.get(code="FT-HIST")
    condition, reward = rule.conditions.get(), rule.rewards.get()
    response = client.post(
        admin_url("rule", "change", rule.pk),
        form(
            rule,
            [(condition.pk, 1, "seats", "lte", "7")],
            [(reward.pk, gift, 1, "", True), (None, other, 2, "A", False)],
            name="新车礼遇",
            priority=200,
            target_branches=[futian.pk],
        ),
    )
    assert response.status_code == 302
    return rule


def test_history_lists_rule_condition_and_reward_changes_with_old_and_new(
    client, ft_manager, edited_rule, gift, futian
):
    with translation.override("zh-hans"):
        page = client.get(admin_url("rule", "history", edited_rule.pk))
        labels = {
            name: str(model._meta.get_field(name).verbose_name)
            for model, name in [
                (Rule, "name"),
                (Rule, "priority"),
                (Rule, "target_branches"),
                (RuleCondition, "value"),
            ]
        }
        everywhere = translation.gettext("every branch")
        seats = str(translation.gettext("seats"))
    assert page.status_code == 200
    entries = page.context["entries"]
    kinds = {(e.part, e.action) for e in entries}
    assert kinds == {
        ("rule", "+"),
        ("rule", "~"),
        ("condition", "+"),
        ("condition", "~"),
        ("reward", "+"),
        ("reward", "-"),
    }
    assert all(e.who == ft_manager for e in entries)
    # The branch list is saved after the rule's fields: its own record.
    rule_changes = [e for e in entries if e.part == "rule" and e.action == "~"]
    assert {(c.label, c.old, c.new) for e in rule_changes for c in e.changes} == {
        (labels["name"], "新车礼", "新车礼遇"),
        (labels["priority"], "100", "200"),
        (labels["target_branches"], everywhere, str(futian)),
    }
    condition_change = next(e for e in entries if e.part == "condition" and e.action == "~")
    assert [(c.label, c.old, c.new) for c in condition_change.changes] == [
        (labels["value"], "5", "7")
    ]
    assert seats in condition_change.subject and "<=" in condition_change.subject
    removed = next(e for e in entries if e.action == "-")
    assert gift.code in removed.subject
    added = [e for e in entries if e.part == "reward" and e.action == "+"]
    assert {e.subject.split(" ")[0] for e in added} == {gift.code, "WASH"}

    html = page.content.decode()
    assert "manager_ft" in html and "新车礼 → 新车礼遇" not in html  # old is struck through
    assert '<span class="old">5</span> → 7' in html and labels["value"] in html
    assert "精洗券" in html


def test_history_is_scoped_like_the_rule(client, edited_rule, nanshan):
    outsider = grant_distribution(UserFactory(username="mgr_ns", branch=nanshan))
    client.force_login(outsider)
    assert client.get(admin_url("rule", "history", edited_rule.pk)).status_code == 404
    assert client.get(admin_url("rule", "history", 999999)).status_code == 404


def test_history_without_the_view_permission_is_403(client, edited_rule, futian):
    client.force_login(UserFactory(username="plain_ft", branch=futian))
    assert client.get(admin_url("rule", "history", edited_rule.pk)).status_code == 403


def test_history_queries_do_not_grow_with_the_history(
    client, ft_manager, edited_rule, gift, django_assert_max_num_queries
):
    url = admin_url("rule", "history", edited_rule.pk)
    with django_assert_max_num_queries(30) as first:
        client.get(url)
    for n in range(5):
        RuleCondition.objects.create(
            rule=edited_rule, group=2, attribute="seats", operator="gte", value=n
        )
        reward = RuleReward.objects.create(rule=edited_rule, gift=gift, quantity=n + 1)
        reward.quantity += 1
        reward.save()
        reward.delete()
        Rule.objects.get(pk=edited_rule.pk).save()
    with django_assert_max_num_queries(len(first.captured_queries)):
        page = client.get(url)
    assert len(page.context["entries"]) > 20
