"""Four eyes: a maker asks, a second person with the approver permission confirms.

Activating a rule, putting a quota into effect, raising a quota and allowing a cash-
equivalent gift category all wait here. Lowering a quota, pausing and closing are
safe and take effect at once.
"""

from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from distribution.models import (
    ChangeKind,
    ChangeRequest,
    ChangeStatus,
    Quota,
    QuotaStatus,
    Rule,
    RuleStatus,
)
from distribution.services.four_eyes import (
    FourEyes,
    lock_for_decision,
    record_decision,
    rejection_reason,
)
from distribution.services.rules import rule_activate, rule_problems
from giftplatform.access import recorded
from gifts.models import GiftCategory

APPROVE_PERMISSION = "distribution.approve_changerequest"
CHANGE_DECISIONS = FourEyes(
    permission=APPROVE_PERMISSION,
    maker_field="maker",
    pending_status=ChangeStatus.PENDING,
    not_approver=gettext_lazy("Only an approver can decide on changes."),
    outside=gettext_lazy("This change is outside your branch."),
    own=gettext_lazy("You cannot approve your own change."),
    decided=gettext_lazy("This change was already decided."),
)


def _request(*, actor, note: str = "", **fields) -> ChangeRequest:
    try:
        with transaction.atomic():
            return ChangeRequest.objects.create(maker=recorded(actor), note=note, **fields)
    except IntegrityError as exc:
        raise ValidationError(_("The same change is already awaiting approval.")) from exc


def rule_request_activation(*, actor, rule: Rule, note: str = "") -> ChangeRequest:
    if rule.status != RuleStatus.DRAFT:
        raise ValidationError(_("Only a draft rule can be submitted for activation."))
    problems = rule_problems(rule)
    if problems:
        raise ValidationError(problems)
    return _request(
        actor=actor, kind=ChangeKind.ACTIVATE_RULE, rule=rule, branch=rule.branch, note=note
    )


def quota_request_activation(*, actor, quota: Quota, note: str = "") -> ChangeRequest:
    """A new quota counts only once approved; until then it is listed as pending."""
    return _request(
        actor=actor,
        kind=ChangeKind.ACTIVATE_QUOTA,
        quota=quota,
        branch=quota.branch,
        new_limit=quota.limit,
        note=note,
    )


@transaction.atomic
def quota_change_limit(*, actor, quota: Quota, new_limit: Decimal, note: str = ""):
    """Lowering applies now; raising waits for an approver. Returns the change request or None."""
    quota = Quota.objects.select_for_update().get(pk=quota.pk)
    if new_limit < 0:
        raise ValidationError(_("A limit cannot be negative."))
    if quota.status != QuotaStatus.ACTIVE or new_limit <= quota.limit:
        if quota.status == QuotaStatus.PENDING:
            ChangeRequest.objects.filter(quota=quota, status=ChangeStatus.PENDING).update(
                new_limit=new_limit
            )
        quota.limit = new_limit
        quota.save(update_fields=["limit"])
        return None
    return _request(
        actor=actor,
        kind=ChangeKind.RAISE_QUOTA,
        quota=quota,
        branch=quota.branch,
        old_limit=quota.limit,
        new_limit=new_limit,
        note=note,
    )


def category_request_cash_enable(*, actor, category: GiftCategory, note: str = ""):
    if not category.is_cash_equivalent:
        raise ValidationError(_("Only a cash-equivalent category needs this approval."))
    if category.cash_equivalent_enabled:
        raise ValidationError(_("This category is already allowed."))
    return _request(actor=actor, kind=ChangeKind.ENABLE_CASH_CATEGORY, category=category, note=note)


def _decidable(actor, change: ChangeRequest) -> ChangeRequest:
    return lock_for_decision(
        CHANGE_DECISIONS, actor=actor, queryset=ChangeRequest.objects.all(), pk=change.pk
    )


def _apply(change: ChangeRequest) -> None:
    if change.kind == ChangeKind.ACTIVATE_RULE:
        rule_activate(rule=change.rule)
    elif change.kind == ChangeKind.ACTIVATE_QUOTA:
        quota = Quota.objects.select_for_update().get(pk=change.quota_id)
        quota.status, quota.limit = QuotaStatus.ACTIVE, change.new_limit
        quota.save(update_fields=["status", "limit"])
    elif change.kind == ChangeKind.RAISE_QUOTA:
        quota = Quota.objects.select_for_update().get(pk=change.quota_id)
        quota.limit = change.new_limit
        quota.save(update_fields=["limit"])
    elif change.kind == ChangeKind.ENABLE_CASH_CATEGORY:
        GiftCategory.objects.filter(pk=change.category_id).update(cash_equivalent_enabled=True)


@transaction.atomic
def change_approve(*, actor, change: ChangeRequest, note: str = "") -> ChangeRequest:
    change = _decidable(actor, change)
    _apply(change)
    return record_decision(change, actor=actor, status=ChangeStatus.APPROVED, note=note)


@transaction.atomic
def change_reject(*, actor, change: ChangeRequest, note: str) -> ChangeRequest:
    note = rejection_reason(note)
    change = _decidable(actor, change)
    return record_decision(change, actor=actor, status=ChangeStatus.REJECTED, note=note)


@transaction.atomic
def change_withdraw(*, actor, change: ChangeRequest) -> ChangeRequest:
    change = ChangeRequest.objects.select_for_update().get(pk=change.pk)
    if change.maker_id != actor.pk:
        raise PermissionDenied(_("Only the person who asked can withdraw a change."))
    if change.status != ChangeStatus.PENDING:
        raise ValidationError(_("This change was already decided."))
    change.status = ChangeStatus.WITHDRAWN
    change.save(update_fields=["status"])
    return change
