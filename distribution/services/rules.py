"""A rule's life: draft -> active -> paused -> closed, versions and clones.

Only a draft can be edited. Activation takes a second person (see changes.py); an
active rule is changed by a new version, so past hand-outs keep the meaning they had.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from distribution.conditions import clean_condition
from distribution.models import Rule, RuleCondition, RuleReward, RuleStatus
from giftplatform.access import recorded


def rule_is_editable(rule: Rule) -> bool:
    return rule.pk is None or rule.status == RuleStatus.DRAFT


def rule_problems(rule: Rule) -> list[str]:
    """What stops ``rule`` from going live, in the user's language."""
    problems = []
    conditions = list(rule.conditions.all())
    if not conditions and not rule.all_policies:
        problems.append(_("A rule without conditions needs the 'all policies' flag."))
    for condition in conditions:
        try:
            clean_condition(condition.attribute, condition.operator, condition.value)
        except ValidationError as exc:
            problems.extend(exc.messages)
    rewards = list(rule.rewards.select_related("gift__category"))
    if not rewards:
        problems.append(_("A rule needs at least one reward."))
    for reward in rewards:
        category = reward.gift.category
        if category.is_cash_equivalent and not category.cash_equivalent_enabled:
            problems.append(
                _("%(gift)s is a cash equivalent (%(category)s), which is not allowed.")
                % {"gift": reward.gift.name, "category": category.name}
            )
    return problems


def _set_status(rule: Rule, status: str, allowed_from: tuple[str, ...]) -> Rule:
    rule = Rule.objects.select_for_update().get(pk=rule.pk)
    if rule.status not in allowed_from:
        raise ValidationError(
            _("A %(status)s rule cannot be changed that way.")
            % {"status": rule.get_status_display()}
        )
    rule.status = status
    rule.save(update_fields=["status", "updated_at"])
    return rule


@transaction.atomic
def rule_activate(*, rule: Rule) -> Rule:
    """Put an approved draft live; its previous version, if live, closes in the same step.

    Called only by ``change_approve``: activation takes a second person.
    """
    problems = rule_problems(rule)
    if problems:
        raise ValidationError(problems)
    if rule.previous_id:
        Rule.objects.filter(
            pk=rule.previous_id, status__in=[RuleStatus.ACTIVE, RuleStatus.PAUSED]
        ).update(status=RuleStatus.CLOSED, updated_at=timezone.now())
    return _set_status(rule, RuleStatus.ACTIVE, (RuleStatus.DRAFT,))


@transaction.atomic
def rule_pause(*, actor, rule: Rule) -> Rule:
    return _set_status(rule, RuleStatus.PAUSED, (RuleStatus.ACTIVE,))


@transaction.atomic
def rule_resume(*, actor, rule: Rule) -> Rule:
    """Back to active: the content was approved and has not changed since."""
    return _set_status(rule, RuleStatus.ACTIVE, (RuleStatus.PAUSED,))


@transaction.atomic
def rule_close(*, actor, rule: Rule) -> Rule:
    return _set_status(
        rule, RuleStatus.CLOSED, (RuleStatus.DRAFT, RuleStatus.ACTIVE, RuleStatus.PAUSED)
    )


def _copy(rule: Rule, *, actor, code: str, version: int, previous: Rule | None) -> Rule:
    source_pk = rule.pk
    branches = list(rule.target_branches.all())
    copy = Rule.objects.get(pk=source_pk)
    copy.pk = None
    copy.code, copy.version, copy.previous = code, version, previous
    copy.status = RuleStatus.DRAFT
    copy.created_by = recorded(actor)
    copy.save()
    copy.target_branches.set(branches)
    RuleCondition.objects.bulk_create(
        RuleCondition(
            rule=copy, group=c.group, attribute=c.attribute, operator=c.operator, value=c.value
        )
        for c in RuleCondition.objects.filter(rule_id=source_pk)
    )
    RuleReward.objects.bulk_create(
        RuleReward(rule=copy, gift_id=r.gift_id, quantity=r.quantity, option_group=r.option_group)
        for r in RuleReward.objects.filter(rule_id=source_pk)
    )
    return copy


@transaction.atomic
def rule_new_version(*, actor, rule: Rule) -> Rule:
    """A draft copy to edit; approving its activation closes ``rule``."""
    if rule.status == RuleStatus.DRAFT:
        raise ValidationError(_("A draft can be edited as it is."))
    if Rule.objects.filter(previous=rule).exists():
        raise ValidationError(_("This rule already has a newer version."))
    latest = Rule.objects.filter(code=rule.code).order_by("-version").first()
    return _copy(rule, actor=actor, code=rule.code, version=latest.version + 1, previous=rule)


@transaction.atomic
def rule_clone(*, actor, rule: Rule, code: str) -> Rule:
    """A new rule (its own code and lineage) starting from ``rule``'s content."""
    code = code.strip().upper()
    if not code:
        raise ValidationError(_("The new rule needs a code."))
    if Rule.objects.filter(code=code).exists():
        raise ValidationError(_("Rule code %(code)s is taken.") % {"code": code})
    return _copy(rule, actor=actor, code=code, version=1, previous=None)
