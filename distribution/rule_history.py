"""A rule's history as people read it: who changed what when, on the rule itself and on
its conditions and rewards, with old → new values in the labels of the admin.

``rule_history(rule)`` reads simple-history's records of the rule, its conditions and its
rewards (one query each, the users joined), the rule's branch list per record (one
query) and the branches and gifts the records name (one query each): seven queries
whatever the length of the history. Each record is compared with the previous record of
the same row; a row's first record is "added", a deletion record is "removed".

The caller decides whether the user may see the rule (``giftplatform.access``); the
records are the rule's own, so they are in its scope.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from distribution.conditions import ATTRIBUTE_CHOICES, OPERATOR_CHOICES
from distribution.forms import condition_value_text
from distribution.models import Rule, RuleCondition, RuleReward
from giftplatform.models import Branch
from gifts.models import Gift

RULE_FIELDS = (
    "code",
    "name",
    "description",
    "status",
    "branch",
    "starts_at",
    "ends_at",
    "issued_from",
    "issued_to",
    "priority",
    "exclusive",
    "max_per_policy",
    "approval_threshold",
    "all_policies",
    "tax_treatment",
)
CONDITION_FIELDS = ("group", "attribute", "operator", "value")
REWARD_FIELDS = ("gift", "quantity", "option_group")
TARGET_BRANCHES = "target_branches"

ACTIONS = {
    "+": gettext_lazy("added"),
    "~": gettext_lazy("changed"),
    "-": gettext_lazy("removed"),
}


@dataclass(frozen=True)
class FieldChange:
    label: str
    old: str
    new: str


@dataclass
class HistoryEntry:
    when: datetime.datetime
    who: object  # the user, or None (a command, a migration)
    part: str  # "rule", "condition" or "reward"
    part_label: str
    action: str  # "+", "~", "-"
    subject: str  # the row as it reads after (or, removed, before) the change
    changes: list[FieldChange] = field(default_factory=list)
    reason: str = ""
    history_id: int = 0

    @property
    def action_label(self) -> str:
        return str(ACTIONS[self.action])


class _Labels:
    """Turns stored values into what the admin shows, from lookups loaded once."""

    def __init__(self, branches: dict[int, Branch], gifts: dict[int, Gift]):
        self.branches = branches
        self.gifts = gifts
        self.attributes = dict(ATTRIBUTE_CHOICES)
        self.operators = dict(OPERATOR_CHOICES)

    def value(self, model, name: str, record) -> str:
        if name == TARGET_BRANCHES:
            ids = record.branch_ids
            if not ids:
                return _("every branch")
            return "、".join(sorted(self._branch(pk) for pk in ids))
        model_field = model._meta.get_field(name)
        if model_field.is_relation:
            pk = getattr(record, f"{name}_id")
            if pk is None:
                return "—"
            return self._branch(pk) if name == "branch" else self._gift(pk)
        raw = getattr(record, name)
        if model is RuleCondition and name == "attribute":
            return str(self.attributes.get(raw, raw))
        if model is RuleCondition and name == "operator":
            return str(self.operators.get(raw, raw))
        if model is RuleCondition and name == "value":
            return condition_value_text(raw) or "—"
        if model_field.choices:
            return str(dict(model_field.flatchoices).get(raw, raw))
        return _plain(raw)

    def label(self, model, name: str) -> str:
        return str(model._meta.get_field(name).verbose_name)

    def _branch(self, pk: int) -> str:
        branch = self.branches.get(pk)
        return str(branch) if branch else f"#{pk}"

    def _gift(self, pk: int) -> str:
        gift = self.gifts.get(pk)
        return f"{gift.code} {gift.name}" if gift else f"#{pk}"


def _plain(raw) -> str:
    if raw is None or raw == "":
        return "—"
    if isinstance(raw, bool):
        return _("yes") if raw else _("no")
    if isinstance(raw, datetime.datetime):
        return f"{timezone.localtime(raw):%Y-%m-%d %H:%M}"
    if isinstance(raw, datetime.date):
        return raw.isoformat()
    if isinstance(raw, Decimal):
        return f"{raw:,.2f}"
    return str(raw)


def _records(model, **lookup):
    return list(
        model.history.filter(**lookup)
        .select_related("history_user")
        .order_by("history_date", "history_id")
    )


def rule_history(rule: Rule) -> list[HistoryEntry]:
    """Every recorded change of ``rule``, its conditions and rewards, newest first."""
    rules = _records(Rule, id=rule.pk)
    conditions = _records(RuleCondition, rule_id=rule.pk)
    rewards = _records(RuleReward, rule_id=rule.pk)
    through = Rule.history.model._meta.get_field("historicalrule_target_branches").related_model
    branch_ids: dict[int, set[int]] = {r.history_id: set() for r in rules}
    for history_id, branch_id in through.objects.filter(
        history_id__in=list(branch_ids)
    ).values_list("history_id", "branch_id"):
        branch_ids[history_id].add(branch_id)
    for record in rules:
        record.branch_ids = frozenset(branch_ids[record.history_id])
    wanted_branches = {pk for ids in branch_ids.values() for pk in ids}
    wanted_branches |= {r.branch_id for r in rules if r.branch_id}
    labels = _Labels(
        branches=Branch.objects.in_bulk(wanted_branches),
        gifts=Gift.objects.only("code", "name").in_bulk({r.gift_id for r in rewards}),
    )
    entries = [
        *_entries(rules, Rule, (*RULE_FIELDS, TARGET_BRANCHES), "rule", labels),
        *_entries(conditions, RuleCondition, CONDITION_FIELDS, "condition", labels),
        *_entries(rewards, RuleReward, REWARD_FIELDS, "reward", labels),
    ]
    entries.sort(key=lambda e: (e.when, e.history_id), reverse=True)
    return entries


def _entries(records, model, fields, part, labels: _Labels) -> list[HistoryEntry]:
    part_label = str(model._meta.verbose_name)
    previous: dict[int, object] = {}
    entries = []
    for record in records:
        before = previous.get(record.id)
        previous[record.id] = record
        action = record.history_type
        if action == "~" and before is None:
            action = "+"  # the row predates its history (e.g. imported data)
        entry = HistoryEntry(
            when=record.history_date,
            who=record.history_user,
            part=part,
            part_label=part_label,
            action=action,
            subject=_subject(model, record, labels),
            reason=record.history_change_reason or "",
            history_id=record.history_id,
        )
        if action == "~":
            entry.changes = [
                FieldChange(labels.label(model, name), old, new)
                for name in fields
                if (old := labels.value(model, name, before))
                != (new := labels.value(model, name, record))
            ]
            if not entry.changes:
                continue  # saved without a visible change
        elif action == "+":
            entry.changes = [
                FieldChange(labels.label(model, name), "", labels.value(model, name, record))
                for name in fields
                if labels.value(model, name, record) != "—" or model is not Rule
            ]
        entries.append(entry)
    return entries


def _subject(model, record, labels: _Labels) -> str:
    if model is RuleCondition:
        return _("group %(group)s: %(attribute)s %(operator)s %(value)s") % {
            "group": record.group,
            "attribute": labels.value(model, "attribute", record),
            "operator": labels.value(model, "operator", record),
            "value": labels.value(model, "value", record),
        }
    if model is RuleReward:
        text = f"{labels.value(model, 'gift', record)} × {record.quantity}"
        if record.option_group:
            text += " " + _("(choose one of group %(group)s)") % {"group": record.option_group}
        return text
    version = f" v{record.version}" if record.version > 1 else ""
    return f"{record.code}{version} {record.name}"
