# ruff: noqa: F811 - the fixtures imported from admin_support are redefined as arguments
"""Rules admin: drafts edited with their rows, read-only once live, the life-cycle
buttons through the services, four eyes on activation, and the policy test box."""

import pytest
from django.utils.html import escape

from distribution.models import ChangeKind, ChangeRequest, ChangeStatus, Rule, RuleStatus
from distribution.services import rule_request_activation
from tests.distribution.admin_support import (  # noqa: F401 - fixtures
    active_rule,
    admin_url,
    approver,
    draft_rule,
    ft_manager,
    gift,
    grant_distribution,
    messages_of,
    sz_manager,
)
from tests.factories import PolicyFactory


def rule_post(gift, conditions=(), **fields):
    data = {
        "code": "ft-new",
        "name": "新车礼",
        "description": "",
        "priority": 100,
        "max_per_policy": 1,
        "tax_treatment": "sale",
        "starts_at_0": "",
        "starts_at_1": "",
        "ends_at_0": "",
        "ends_at_1": "",
        "conditions-TOTAL_FORMS": len(conditions),
        "conditions-INITIAL_FORMS": 0,
        "rewards-TOTAL_FORMS": 1,
        "rewards-INITIAL_FORMS": 0,
        "rewards-0-gift": gift.pk,
        "rewards-0-quantity": 2,
        "rewards-0-option_group": "",
        **fields,
    }
    for n, (group, attribute, operator, value) in enumerate(conditions):
        data |= {
            f"conditions-{n}-group": group,
            f"conditions-{n}-attribute": attribute,
            f"conditions-{n}-operator": operator,
            f"conditions-{n}-value": value,
        }
    return data


def test_a_new_rule_is_a_draft_of_the_users_branch_with_its_rows(client, ft_manager, futian, gift):
    client.force_login(ft_manager)
    page = client.get(admin_url("rule", "add"))
    assert page.context["adminform"].form.initial["branch"] == futian.pk

    response = client.post(
        admin_url("rule", "add"),
        rule_post(
            gift,
            [(1, "is_new_car", "eq", "是"), (2, "premium", "between", "5000, 8000")],
            branch=futian.pk,
        ),
    )

    assert response.status_code == 302, response.context["errors"]
    rule = Rule.objects.get(code="FT-NEW")
    assert (rule.status, rule.branch, rule.created_by) == (RuleStatus.DRAFT, futian, ft_manager)
    assert sorted(rule.conditions.values_list("attribute", "operator", "value")) == [
        ("is_new_car", "eq", True),
        ("premium", "between", ["5000.00", "8000.00"]),
    ]
    assert rule.rewards.get().quantity == 2


def test_a_bad_condition_value_is_an_error_on_its_row(client, ft_manager, futian, gift):
    client.force_login(ft_manager)

    response = client.post(
        admin_url("rule", "add"),
        rule_post(gift, [(1, "seats", "gt", "many")], branch=futian.pk),
    )

    assert response.status_code == 200
    formset = response.context["inline_admin_formsets"][0].formset
    assert formset.forms[0].errors["value"]
    assert not Rule.objects.filter(code="FT-NEW").exists()


def test_a_branch_outside_the_users_subtree_is_refused(client, ft_manager, nanshan, gift):
    client.force_login(ft_manager)

    response = client.post(admin_url("rule", "add"), rule_post(gift, branch=nanshan.pk))

    assert response.status_code == 200
    assert "branch" in response.context["adminform"].form.errors
    assert not Rule.objects.filter(code="FT-NEW").exists()


def test_a_draft_shows_its_rows_as_editable(client, ft_manager, draft_rule):
    client.force_login(ft_manager)

    response = client.get(admin_url("rule", "change", draft_rule.pk))

    assert b'name="priority"' in response.content
    assert b'name="conditions-0-value"' in response.content
    assert b'value="5"' in response.content  # the stored value, as text


def test_an_active_rule_is_read_only_but_its_name(client, ft_manager, active_rule, gift):
    client.force_login(ft_manager)
    url = admin_url("rule", "change", active_rule.pk)

    page = client.get(url)
    assert b'name="priority"' not in page.content
    assert b'name="rewards-0-quantity"' not in page.content
    assert b'name="name"' in page.content

    response = client.post(
        url,
        {
            "name": "改名",
            "description": "说明",
            "priority": 1,
            "exclusive": "on",
            "conditions-TOTAL_FORMS": 0,
            "conditions-INITIAL_FORMS": 0,
            "rewards-TOTAL_FORMS": 1,
            "rewards-INITIAL_FORMS": 0,
            "rewards-0-gift": gift.pk,
            "rewards-0-quantity": 9,
        },
    )
    assert response.status_code == 302
    active_rule.refresh_from_db()
    assert (active_rule.name, active_rule.priority, active_rule.exclusive) == ("改名", 100, False)
    assert list(active_rule.rewards.values_list("quantity", flat=True)) == [1]


def test_submit_for_activation_creates_a_change_and_freezes_the_draft(
    client, ft_manager, draft_rule
):
    client.force_login(ft_manager)
    url = admin_url("rule", "submit", draft_rule.pk)
    assert client.get(url).status_code == 200
    assert not ChangeRequest.objects.exists()  # a GET only asks

    response = client.post(url, {"reason": "四季度活动"})

    assert response.status_code == 302
    change = ChangeRequest.objects.get()
    assert (change.kind, change.rule, change.maker) == (
        ChangeKind.ACTIVATE_RULE,
        draft_rule,
        ft_manager,
    )
    assert change.note == "四季度活动"
    page = client.get(admin_url("rule", "change", draft_rule.pk))
    assert b'name="priority"' not in page.content  # frozen while awaiting approval


def test_submit_shows_the_rules_problems(client, ft_manager, draft_rule):
    draft_rule.rewards.all().delete()
    client.force_login(ft_manager)
    url = admin_url("rule", "submit", draft_rule.pk)

    page = client.get(url)
    assert page.context["problems"]
    response = client.post(url, {"reason": ""})

    assert response.status_code == 302
    assert any("reward" in m or "奖" in m or "礼" in m for m in messages_of(response))
    assert not ChangeRequest.objects.exists()


def test_an_approver_activates_the_submitted_rule(client, ft_manager, approver, draft_rule):
    change = rule_request_activation(actor=ft_manager, rule=draft_rule)
    client.force_login(approver)

    response = client.post(admin_url("changerequest", "approve", change.pk), {"reason": ""})

    assert response.status_code == 302
    draft_rule.refresh_from_db()
    change.refresh_from_db()
    assert draft_rule.status == RuleStatus.ACTIVE
    assert (change.status, change.checker) == (ChangeStatus.APPROVED, approver)


def test_the_maker_cannot_approve_their_own_change(client, sz_manager, futian, gift):
    maker = grant_distribution(sz_manager, approve=True)
    rule = Rule.objects.create(code="SZ-1", name="深圳", branch=futian, all_policies=True)
    rule.rewards.create(gift=gift, quantity=1)
    change = rule_request_activation(actor=maker, rule=rule)
    client.force_login(maker)

    page = client.get(admin_url("changerequest", "change", change.pk))
    assert page.status_code == 200
    assert admin_url("changerequest", "approve", change.pk).encode() not in page.content
    response = client.post(admin_url("changerequest", "approve", change.pk), {"reason": ""})

    assert response.status_code == 302
    assert messages_of(response)  # the refusal, in words
    change.refresh_from_db()
    rule.refresh_from_db()
    assert (change.status, rule.status) == (ChangeStatus.PENDING, RuleStatus.DRAFT)


def test_a_user_without_approval_permission_sees_no_approve_button(
    client, ft_manager, sz_manager, draft_rule
):
    change = rule_request_activation(actor=sz_manager, rule=draft_rule)
    client.force_login(ft_manager)

    page = client.get(admin_url("changerequest", "change", change.pk))

    assert page.status_code == 200
    assert admin_url("changerequest", "approve", change.pk).encode() not in page.content
    assert client.post(admin_url("changerequest", "approve", change.pk)).status_code == 403
    change.refresh_from_db()
    assert change.status == ChangeStatus.PENDING


@pytest.mark.parametrize(
    ("start", "button", "end"),
    [
        (RuleStatus.ACTIVE, "pause", RuleStatus.PAUSED),
        (RuleStatus.PAUSED, "resume", RuleStatus.ACTIVE),
        (RuleStatus.ACTIVE, "close", RuleStatus.CLOSED),
    ],
)
def test_status_buttons_confirm_then_act(client, ft_manager, active_rule, start, button, end):
    Rule.objects.filter(pk=active_rule.pk).update(status=start)
    client.force_login(ft_manager)
    url = admin_url("rule", button, active_rule.pk)

    page = client.get(admin_url("rule", "change", active_rule.pk))
    assert url.encode() in page.content
    assert client.get(url).status_code == 200
    active_rule.refresh_from_db()
    assert active_rule.status == start  # a GET only asks

    assert client.post(url).status_code == 302
    active_rule.refresh_from_db()
    assert active_rule.status == end


def test_new_version_creates_a_draft_and_opens_it(client, ft_manager, active_rule):
    client.force_login(ft_manager)

    response = client.post(admin_url("rule", "new_version", active_rule.pk))

    draft = Rule.objects.get(code=active_rule.code, version=2)
    assert response["Location"] == admin_url("rule", "change", draft.pk)
    assert (draft.status, draft.previous, draft.created_by) == (
        RuleStatus.DRAFT,
        active_rule,
        ft_manager,
    )
    page = client.get(response["Location"])
    assert admin_url("rule", "change", active_rule.pk).encode() in page.content  # versions


def test_clone_asks_for_a_code(client, ft_manager, active_rule):
    client.force_login(ft_manager)
    url = admin_url("rule", "clone", active_rule.pk)

    assert client.post(url, {"code": ""}).status_code == 200  # the form again, with its error
    response = client.post(url, {"code": "ft-copy"})

    copy = Rule.objects.get(code="FT-COPY")
    assert response["Location"] == admin_url("rule", "change", copy.pk)
    assert copy.status == RuleStatus.DRAFT
    assert copy.rewards.count() == 1


# ------------------------------------------------------------------ the test box


def _verdict(response):
    ((_policy, verdict),) = response.context["results"]
    return verdict


@pytest.mark.parametrize("fragment", [False, True])
def test_the_test_box_shows_a_match(client, ft_manager, draft_rule, futian, fragment):
    policy = PolicyFactory(branch=futian, seats=5)
    client.force_login(ft_manager)
    query = {"policy": policy.policy_no} | ({"fragment": "1"} if fragment else {})

    response = client.get(admin_url("rule", "test", draft_rule.pk), query)

    assert response.status_code == 200
    verdict = _verdict(response)
    assert verdict.matched
    assert b"verdict-matched" in response.content
    assert escape(verdict.reasons[0]).encode() in response.content
    assert escape(verdict.rewards[0].gift_name).encode() in response.content
    assert (b"<html" in response.content) is not fragment


def test_the_test_box_says_why_not(client, ft_manager, draft_rule, futian):
    policy = PolicyFactory(branch=futian, seats=7)
    client.force_login(ft_manager)

    response = client.get(admin_url("rule", "test", draft_rule.pk), {"policy": policy.policy_no})

    verdict = _verdict(response)
    assert not verdict.matched
    assert any("7" in reason for reason in verdict.reasons)
    assert b"verdict-refused" in response.content
    for reason in verdict.reasons:
        assert escape(reason).encode() in response.content


def test_the_test_box_finds_only_policies_in_scope(client, ft_manager, draft_rule, nanshan):
    policy = PolicyFactory(branch=nanshan)
    client.force_login(ft_manager)

    response = client.get(admin_url("rule", "test", draft_rule.pk), {"policy": policy.policy_no})

    assert response.status_code == 200
    assert response.context["results"] == []


def test_the_rule_page_carries_the_test_box(client, ft_manager, draft_rule):
    client.force_login(ft_manager)

    page = client.get(admin_url("rule", "change", draft_rule.pk))

    assert b'id="rule-test-form"' in page.content
    assert admin_url("rule", "test", draft_rule.pk).encode() in page.content


def test_history_shows_who_changed_the_rule(client, ft_manager, draft_rule):
    client.force_login(ft_manager)
    client.post(
        admin_url("rule", "change", draft_rule.pk),
        rule_post(draft_rule.rewards.first().gift, name="改过的名字")
        | {
            "branch": draft_rule.branch_id,
            "rewards-INITIAL_FORMS": 0,
            "rewards-TOTAL_FORMS": 0,
            "conditions-INITIAL_FORMS": 0,
            "conditions-TOTAL_FORMS": 0,
        },
    )

    page = client.get(admin_url("rule", "history", draft_rule.pk))

    assert page.status_code == 200
    assert draft_rule.history.filter(history_user=ft_manager).exists()
    assert b"manager_ft" in page.content
    assert page.context["revert_disabled"] is True
