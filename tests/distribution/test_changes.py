"""Four eyes and a rule's life: what takes a second person, versions, clones, history."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError

from distribution.models import (
    ChangeKind,
    ChangeRequest,
    ChangeStatus,
    Quota,
    QuotaStatus,
    Rule,
    RuleStatus,
)
from distribution.services import (
    DistributionRefused,
    category_request_cash_enable,
    change_approve,
    change_reject,
    change_withdraw,
    distribution_create,
    quota_change_limit,
    quota_request_activation,
    rule_clone,
    rule_close,
    rule_new_version,
    rule_pause,
    rule_request_activation,
    rule_resume,
)
from tests.distribution.conftest import make_quota, make_rule, stocked_gift, with_permissions
from tests.factories import CategoryFactory, GiftFactory, UserFactory


@pytest.fixture
def maker(futian):
    return UserFactory(username="maker_ft", branch=futian)


@pytest.fixture
def draft(futian):
    return make_rule("NEWCAR", [(stocked_gift(10), 1, "")], status=RuleStatus.DRAFT, branch=futian)


def test_activation_waits_for_a_second_person(draft, maker, approver_shenzhen):
    change = rule_request_activation(actor=maker, rule=draft)
    draft.refresh_from_db()
    assert draft.status == RuleStatus.DRAFT and change.status == ChangeStatus.PENDING

    change_approve(actor=approver_shenzhen, change=change)

    draft.refresh_from_db()
    change.refresh_from_db()
    assert draft.status == RuleStatus.ACTIVE
    assert (change.status, change.checker, change.maker) == (
        ChangeStatus.APPROVED,
        approver_shenzhen,
        maker,
    )


def test_the_maker_cannot_approve_their_own_change(draft, approver_shenzhen):
    change = rule_request_activation(actor=approver_shenzhen, rule=draft)
    with pytest.raises(PermissionDenied):
        change_approve(actor=approver_shenzhen, change=change)
    draft.refresh_from_db()
    assert draft.status == RuleStatus.DRAFT


def test_the_database_refuses_a_checker_who_is_the_maker(draft, approver_shenzhen):
    change = rule_request_activation(actor=approver_shenzhen, rule=draft)
    change.checker = approver_shenzhen
    with pytest.raises(IntegrityError):
        change.save()


def test_without_the_approver_permission_nobody_approves(draft, maker, futian):
    colleague = UserFactory(username="colleague", branch=futian)
    change = rule_request_activation(actor=maker, rule=draft)
    with pytest.raises(PermissionDenied):
        change_approve(actor=colleague, change=change)


def test_an_approver_of_another_branch_cannot_decide(draft, maker, nanshan):
    outsider = with_permissions(
        UserFactory(username="approver_ns", branch=nanshan), "approve_changerequest"
    )
    change = rule_request_activation(actor=maker, rule=draft)
    with pytest.raises(PermissionDenied):
        change_approve(actor=outsider, change=change)


def test_rejection_needs_a_reason_and_leaves_the_draft(draft, maker, approver_shenzhen):
    change = rule_request_activation(actor=maker, rule=draft)
    with pytest.raises(ValidationError):
        change_reject(actor=approver_shenzhen, change=change, note=" ")
    change_reject(actor=approver_shenzhen, change=change, note="门槛太低")
    draft.refresh_from_db()
    assert draft.status == RuleStatus.DRAFT
    with pytest.raises(ValidationError):
        change_approve(actor=approver_shenzhen, change=change)


def test_only_the_maker_withdraws(draft, maker, approver_shenzhen):
    change = rule_request_activation(actor=maker, rule=draft)
    with pytest.raises(PermissionDenied):
        change_withdraw(actor=approver_shenzhen, change=change)
    change_withdraw(actor=maker, change=change)
    change.refresh_from_db()
    assert change.status == ChangeStatus.WITHDRAWN


def test_one_pending_change_per_rule(draft, maker):
    rule_request_activation(actor=maker, rule=draft)
    with pytest.raises(ValidationError):
        rule_request_activation(actor=maker, rule=draft)


def test_a_rule_without_conditions_needs_the_all_policies_flag(futian, maker):
    rule = make_rule(
        "BARE", [(stocked_gift(1), 1, "")], status=RuleStatus.DRAFT, all_policies=False
    )
    with pytest.raises(ValidationError):
        rule_request_activation(actor=maker, rule=rule)


def test_a_blocked_cash_equivalent_cannot_be_a_reward(futian, maker, approver_shenzhen):
    fuel = CategoryFactory(code="FUEL", name="加油卡", is_cash_equivalent=True)
    card = GiftFactory(category=fuel)
    rule = make_rule("CASH", [(card, 1, "")], status=RuleStatus.DRAFT)
    with pytest.raises(ValidationError):
        rule_request_activation(actor=maker, rule=rule)

    change = category_request_cash_enable(actor=maker, category=fuel)
    change_approve(actor=approver_shenzhen, change=change)
    fuel.refresh_from_db()
    assert fuel.cash_equivalent_enabled
    assert rule_request_activation(actor=maker, rule=rule).kind == ChangeKind.ACTIVATE_RULE


def test_a_new_quota_counts_only_once_approved(futian, maker, approver_shenzhen, policy):
    rule = make_rule("R1", [(stocked_gift(10), 1, "")])
    quota = Quota.objects.create(
        code="Q0", name="零额度", basis="gift_amount", period="month", limit=Decimal("0")
    )
    change = quota_request_activation(actor=maker, quota=quota)
    # Pending: not in force, so the hand-out goes through.
    distribution_create(actor=maker, policy=policy, rule=rule, idempotency_key="a")
    change_approve(actor=approver_shenzhen, change=change)
    quota.refresh_from_db()
    assert quota.status == QuotaStatus.ACTIVE


def test_lowering_applies_at_once_raising_waits(maker, approver_shenzhen):
    quota = make_quota("Q1", "gift_amount", "month", "1000")
    assert quota_change_limit(actor=maker, quota=quota, new_limit=Decimal("800")) is None
    quota.refresh_from_db()
    assert quota.limit == Decimal("800")

    change = quota_change_limit(actor=maker, quota=quota, new_limit=Decimal("5000"))
    quota.refresh_from_db()
    assert quota.limit == Decimal("800")
    assert (change.old_limit, change.new_limit) == (Decimal("800"), Decimal("5000"))
    change_approve(actor=approver_shenzhen, change=change)
    quota.refresh_from_db()
    assert quota.limit == Decimal("5000")


def test_status_moves(futian):
    rule = make_rule("R1", [(stocked_gift(1), 1, "")])
    rule = rule_pause(actor=None, rule=rule)
    assert rule.status == RuleStatus.PAUSED
    rule = rule_resume(actor=None, rule=rule)
    assert rule.status == RuleStatus.ACTIVE
    rule = rule_close(actor=None, rule=rule)
    with pytest.raises(ValidationError):
        rule_resume(actor=None, rule=rule)


def test_a_new_version_replaces_the_live_one_when_approved(
    policy, maker, approver_shenzhen, futian
):
    gift = stocked_gift(10)
    v1 = make_rule(
        "R1", [(gift, 1, "")], conditions=[(1, "premium", "gte", "1000.00")], branch=futian
    )
    v1.target_branches.add(futian)
    first = distribution_create(actor=maker, policy=policy, rule=v1, idempotency_key="a")

    v2 = rule_new_version(actor=maker, rule=v1)
    assert (v2.code, v2.version, v2.previous, v2.status) == ("R1", 2, v1, RuleStatus.DRAFT)
    assert list(v2.target_branches.all()) == [futian]
    assert v2.conditions.get().value == "1000.00" and v2.rewards.get().gift == gift
    with pytest.raises(ValidationError):
        rule_new_version(actor=maker, rule=v1)

    change_approve(actor=approver_shenzhen, change=rule_request_activation(actor=maker, rule=v2))
    v1.refresh_from_db()
    v2.refresh_from_db()
    assert (v1.status, v2.status) == (RuleStatus.CLOSED, RuleStatus.ACTIVE)
    # The past hand-out keeps pointing at the version it was made under.
    first.refresh_from_db()
    assert first.rule == v1
    # Max per policy counts across versions of one code.
    with pytest.raises(DistributionRefused):
        distribution_create(actor=maker, policy=policy, rule=v2, idempotency_key="b")


def test_clone_starts_a_new_lineage(futian, maker):
    rule = make_rule("R1", [(stocked_gift(1), 1, "")])
    copy = rule_clone(actor=maker, rule=rule, code="r2")
    assert (copy.code, copy.version, copy.previous, copy.status) == ("R2", 1, None, "draft")
    with pytest.raises(ValidationError):
        rule_clone(actor=maker, rule=rule, code="R2")


def test_history_keeps_who_changed_what(draft, maker, approver_shenzhen):
    change_approve(actor=approver_shenzhen, change=rule_request_activation(actor=maker, rule=draft))
    statuses = list(
        Rule.history.filter(id=draft.pk).order_by("history_date").values_list("status", flat=True)
    )
    assert statuses[0] == RuleStatus.DRAFT and statuses[-1] == RuleStatus.ACTIVE
    assert ChangeRequest.objects.get(rule=draft).checker == approver_shenzhen
