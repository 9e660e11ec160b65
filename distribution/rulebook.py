"""Rules as the engine reads them (``specs.RuleSpec``), with their gifts' current facts.

A rule's shape (conditions, rewards, branches) changes only through a new version or a
status change, both of which touch the rule row; so the live rules' shapes are kept in
memory between requests and re-read when one cheap stamp query says anything changed.
The gifts' facts (stock, codes, prices, whether they may be given) are read every time.
"""

import threading
from dataclasses import dataclass, replace
from datetime import datetime

from django.db import connection
from django.db.models import Count, Exists, IntegerField, OuterRef, Subquery
from django.utils.translation import gettext as _

from distribution import specs
from distribution.models import Rule, RuleCondition, RuleReward, RuleStatus
from distribution.periods import local_date
from gifts.models import Gift, GiftKind, VoucherCode, VoucherStatus
from suppliers.models import ProviderStatus

# A gift without a countable supply (a contract service delivered by phone, no codes).
UNLIMITED = 10**9
# Codes one look-up counts at most: one policy never needs more (see _gift_facts).
VOUCHER_CAP = 1000


class CappedCount(Subquery):
    """COUNT(*) of a sliced subquery: stops reading after the slice's limit."""

    template = "(SELECT COUNT(*) FROM (%(subquery)s) AS capped)"
    output_field = IntegerField()


@dataclass(frozen=True)
class RuleShape:
    """A rule without its gifts' facts: ``spec.rewards`` is empty until assembled."""

    spec: specs.RuleSpec
    rewards: tuple[tuple[int, int, int, str], ...]  # reward id, gift id, quantity, group


def live_rules():
    return Rule.objects.filter(status=RuleStatus.ACTIVE)


def rule_shapes(rules) -> list[RuleShape]:
    """``rules`` (a queryset) read in 4 queries, whatever their number."""
    rules = rules.prefetch_related("conditions", "rewards", "target_branches")
    return [
        RuleShape(
            spec=specs.RuleSpec(
                rule_id=rule.pk,
                code=rule.code,
                name=rule.name,
                priority=rule.priority,
                exclusive=rule.exclusive,
                max_per_policy=rule.max_per_policy,
                all_policies=rule.all_policies,
                starts_at=rule.starts_at,
                ends_at=rule.ends_at,
                issued_from=rule.issued_from,
                issued_to=rule.issued_to,
                branch_paths=tuple(b.path for b in rule.target_branches.all()),
                conditions=tuple(
                    specs.ConditionSpec(c.group, c.attribute, c.operator, c.value)
                    for c in rule.conditions.all()
                ),
                rewards=(),
                approval_threshold=rule.approval_threshold,
                tax_treatment=rule.tax_treatment,
            ),
            rewards=tuple(
                (r.pk, r.gift_id, r.quantity, r.option_group) for r in rule.rewards.all()
            ),
        )
        for rule in rules
    ]


def _unusable_reason(gift: Gift, today) -> str:
    if not gift.is_active:
        return _("gift %(code)s is not active") % {"code": gift.code}
    if gift.valid_from and today < gift.valid_from:
        return _("gift %(code)s is valid from %(day)s") % {
            "code": gift.code,
            "day": gift.valid_from,
        }
    if gift.valid_to and today > gift.valid_to:
        return _("gift %(code)s expired on %(day)s") % {"code": gift.code, "day": gift.valid_to}
    if gift.provider.status != ProviderStatus.ACTIVE:
        return _("provider %(name)s is not active") % {"name": gift.provider.name}
    if gift.category.is_cash_equivalent and not gift.category.cash_equivalent_enabled:
        return _("%(category)s is a cash equivalent and not allowed") % {
            "category": gift.category.name
        }
    return ""


def _gift_facts(gift_ids, today, voucher_cap: int | None) -> dict[int, tuple[Gift, int, str]]:
    """gift id -> (gift, supply, why it cannot be given or ""), in one query.

    Supply is the stock of a physical gift, the available unexpired codes of a voucher
    gift, counted up to ``voucher_cap`` (a pool of 100,000 codes is not read on every
    look-up); None counts them all (batch runs plan many policies against one count).
    """
    usable = VoucherCode.objects.filter(
        gift=OuterRef("pk"), status=VoucherStatus.AVAILABLE
    ).exclude(expires_on__lt=today)
    if voucher_cap is None:
        codes_left = Subquery(
            usable.order_by().values("gift").annotate(n=Count("pk")).values("n"),
            output_field=IntegerField(),
        )
    else:
        codes_left = CappedCount(usable.order_by().values("pk")[:voucher_cap])
    gifts = (
        Gift.objects.filter(pk__in=gift_ids)
        .select_related("provider", "category")
        .annotate(
            codes_left=codes_left, has_codes=Exists(VoucherCode.objects.filter(gift=OuterRef("pk")))
        )
    )
    facts = {}
    for gift in gifts:
        if gift.kind == GiftKind.PHYSICAL:
            supply = gift.stock
        elif gift.kind == GiftKind.CONTRACT_SERVICE and not gift.has_codes:
            # Called in by phone: the policy's clause uses, not codes, limit it.
            supply = UNLIMITED
        else:
            supply = gift.codes_left or 0
        facts[gift.pk] = (gift, supply, _unusable_reason(gift, today))
    return facts


def assemble(
    shapes: list[RuleShape], now: datetime, voucher_cap: int | None
) -> list[specs.RuleSpec]:
    gift_ids = {gift_id for shape in shapes for _r, gift_id, _q, _g in shape.rewards}
    gifts = _gift_facts(gift_ids, local_date(now), voucher_cap) if gift_ids else {}
    out = []
    for shape in shapes:
        rewards = []
        for reward_id, gift_id, quantity, group in shape.rewards:
            gift, supply, reason = gifts[gift_id]
            rewards.append(
                specs.RewardSpec(
                    reward_id=reward_id,
                    gift_id=gift_id,
                    gift_code=gift.code,
                    gift_name=gift.name,
                    gift_kind=gift.kind,
                    contract_service=gift.contract_service,
                    quantity=quantity,
                    option_group=group,
                    face_value=gift.face_value,
                    unit_cost=gift.unit_cost,
                    available=supply,
                    usable=not reason,
                    unusable_reason=reason,
                )
            )
        out.append(replace(shape.spec, rewards=tuple(rewards)))
    return out


def rule_specs(rules, now: datetime, voucher_cap: int | None = VOUCHER_CAP) -> list[specs.RuleSpec]:
    """``rules`` (a queryset, drafts too) as engine input, read now: 5 queries."""
    return assemble(rule_shapes(rules), now, voucher_cap)


_cached = threading.local()


def _stamp() -> tuple:
    """Changes whenever a rule, condition, reward or rule branch is added, removed or saved,
    and whenever the set of active rules changes (even by a bare UPDATE)."""
    tables = {
        "rule": Rule._meta.db_table,
        "condition": RuleCondition._meta.db_table,
        "reward": RuleReward._meta.db_table,
        "branches": Rule.target_branches.through._meta.db_table,
    }
    sql = (  # noqa: S608 - table names from the models, quoted; nothing from input
        "SELECT (SELECT COUNT(*) FROM {rule}), (SELECT MAX(updated_at) FROM {rule}),"
        " (SELECT COUNT(*) FROM {rule} WHERE status = %s),"
        " (SELECT SUM(id) FROM {rule} WHERE status = %s),"
        " (SELECT COUNT(*) FROM {condition}), (SELECT MAX(id) FROM {condition}),"
        " (SELECT COUNT(*) FROM {reward}), (SELECT MAX(id) FROM {reward}),"
        " (SELECT COUNT(*) FROM {branches}), (SELECT MAX(id) FROM {branches})"
    ).format(**{k: connection.ops.quote_name(v) for k, v in tables.items()})
    with connection.cursor() as cursor:
        cursor.execute(sql, [RuleStatus.ACTIVE.value, RuleStatus.ACTIVE.value])
        return (connection.alias, connection.settings_dict["NAME"], *cursor.fetchone())


def live_rule_specs(now: datetime, voucher_cap: int | None = VOUCHER_CAP) -> list[specs.RuleSpec]:
    """The active rules: shapes from memory while the stamp holds, gift facts read now.

    Two queries when nothing changed. Per thread, so a worker never sees another's
    half-built cache.
    """
    stamp = _stamp()
    if getattr(_cached, "stamp", None) != stamp:
        _cached.shapes = rule_shapes(live_rules())
        _cached.stamp = stamp
    return assemble(_cached.shapes, now, voucher_cap)
