"""Rules as the engine reads them (``specs.RuleSpec``), with their gifts' current facts.

A rule's shape (conditions, rewards, branches) changes only through a new version or a
status change, both of which touch the rule row; so the live rules' shapes are kept in
memory between requests and re-read when one cheap stamp query says anything changed.
The gifts' facts (stock, codes, prices, whether they may be given) are read every time.
"""

import threading
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal

from django.db import connection
from django.utils.translation import gettext as _

from distribution import rawsql, specs
from distribution.models import Rule, RuleStatus
from distribution.periods import local_date
from gifts.models import GiftKind, VoucherStatus
from suppliers.models import ProviderStatus

# A gift without a countable supply (a contract service delivered by phone, no codes).
UNLIMITED = 10**9
# Codes one look-up counts at most: one policy never needs more (see _gift_facts).
VOUCHER_CAP = 1000


@dataclass(frozen=True)
class RuleShape:
    """A rule without its gifts' facts: ``spec.rewards`` is empty until assembled."""

    spec: specs.RuleSpec
    rewards: tuple[tuple[int, int, int, str], ...]  # reward id, gift id, quantity, group


def live_rules():
    return Rule.objects.filter(status=RuleStatus.ACTIVE)


def rule_shapes(rules) -> list[RuleShape]:
    """``rules`` (a queryset) read in 4 queries, whatever their number."""
    rules = rules.select_related("branch").prefetch_related(
        "conditions", "rewards", "target_branches"
    )
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
                branch_paths=rule.reach_paths(),
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


@dataclass(frozen=True)
class GiftFacts:
    """What a reward needs of its gift, read on every look-up."""

    code: str
    name: str
    kind: str
    contract_service: str
    face_value: Decimal
    unit_cost: Decimal
    supply: int
    unusable_reason: str  # "" when it may be given


# One row per gift with its provider's and category's flags and its supply. Codes are
# counted inside a LIMITed sub-select so a pool of 100,000 codes is not read on every
# look-up ({codes_limit} is empty for batch runs, which plan against the full count).
GIFT_FACTS_SQL = """
SELECT g.id, g.code, g.name, g.kind, g.contract_service, g.face_value, g.unit_cost, g.stock,
       g.is_active, g.valid_from, g.valid_to, p.status, p.name,
       c.name, c.is_cash_equivalent, c.cash_equivalent_enabled,
       (SELECT COUNT(*) FROM (
           SELECT v.id FROM gifts_vouchercode v
            WHERE v.gift_id = g.id AND v.status = %s
              AND (v.expires_on IS NULL OR v.expires_on >= %s) {codes_limit}) AS usable),
       EXISTS (SELECT 1 FROM gifts_vouchercode w WHERE w.gift_id = g.id)
  FROM gifts_gift g
 INNER JOIN suppliers_provider p ON p.id = g.provider_id
 INNER JOIN gifts_giftcategory c ON c.id = g.category_id
 WHERE g.id IN ({gift_ids})
"""


def _unusable_reason(row, today) -> str:
    code, is_active, valid_from, valid_to = row[1], row[8], rawsql.day(row[9]), rawsql.day(row[10])
    provider_status, provider_name, category_name, cash, cash_enabled = row[11:16]
    if not is_active:
        return _("gift %(code)s is not active") % {"code": code}
    if valid_from and today < valid_from:
        return _("gift %(code)s is valid from %(day)s") % {"code": code, "day": valid_from}
    if valid_to and today > valid_to:
        return _("gift %(code)s expired on %(day)s") % {"code": code, "day": valid_to}
    if provider_status != ProviderStatus.ACTIVE:
        return _("provider %(name)s is not active") % {"name": provider_name}
    if cash and not cash_enabled:
        return _("%(category)s is a cash equivalent and not allowed") % {"category": category_name}
    return ""


def _supply(kind: str, stock: int, codes_left: int, has_codes: bool) -> int:
    if kind == GiftKind.PHYSICAL:
        return stock
    if kind == GiftKind.CONTRACT_SERVICE and not has_codes:
        return UNLIMITED  # called in by phone: the policy's clause uses, not codes, limit it
    return codes_left or 0


def _gift_facts_query(gift_ids, today, voucher_cap: int | None) -> tuple[str, list]:
    ids = sorted(gift_ids)
    sql = GIFT_FACTS_SQL.format(
        codes_limit="" if voucher_cap is None else "LIMIT %s",
        gift_ids=rawsql.placeholders(ids) if ids else "NULL",  # IN (NULL): no row
    )
    limit = [] if voucher_cap is None else [voucher_cap]
    return sql, [str(VoucherStatus.AVAILABLE), rawsql.date_param(today), *limit, *ids]


def _gift_facts_from(rows, today) -> dict[int, GiftFacts]:
    return {
        row[0]: GiftFacts(
            code=row[1],
            name=row[2],
            kind=row[3],
            contract_service=row[4],
            face_value=rawsql.money(row[5]),
            unit_cost=rawsql.money(row[6]),
            supply=_supply(row[3], row[7], row[16], bool(row[17])),
            unusable_reason=_unusable_reason(row, today),
        )
        for row in rows
    }


def _gift_facts(gift_ids, today, voucher_cap: int | None) -> dict[int, GiftFacts]:
    """gift id -> its facts, in one query, in SQL written out because it runs on every
    workbench look-up (see ``rawsql``).

    Supply is the stock of a physical gift, the available unexpired codes of a voucher
    gift, counted up to ``voucher_cap``; None counts them all (batch runs plan many
    policies against one count).
    """
    return _gift_facts_from(
        rawsql.fetch_all(*_gift_facts_query(gift_ids, today, voucher_cap)), today
    )


def _gift_ids(shapes: list[RuleShape]) -> set[int]:
    return {gift_id for shape in shapes for _r, gift_id, _q, _g in shape.rewards}


def _codes_to_count(shapes: list[RuleShape], voucher_cap: int | None) -> int | None:
    """How many codes of a gift one look-up needs to count: no more than one policy could
    take from all these rules at once (a shortfall below that is counted exactly)."""
    if voucher_cap is None:
        return None
    most = sum(quantity for shape in shapes for _r, _g, quantity, _group in shape.rewards)
    return min(voucher_cap, max(most, 1))


def assemble(shapes: list[RuleShape], gifts: dict[int, GiftFacts]) -> list[specs.RuleSpec]:
    out = []
    for shape in shapes:
        rewards = []
        for reward_id, gift_id, quantity, group in shape.rewards:
            gift = gifts[gift_id]
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
                    available=gift.supply,
                    usable=not gift.unusable_reason,
                    unusable_reason=gift.unusable_reason,
                )
            )
        out.append(replace(shape.spec, rewards=tuple(rewards)))
    return out


def rule_specs(rules, now: datetime, voucher_cap: int | None = VOUCHER_CAP) -> list[specs.RuleSpec]:
    """``rules`` (a queryset, drafts too) as engine input, read now: 5 queries."""
    shapes = rule_shapes(rules)
    return assemble(shapes, _gift_facts(_gift_ids(shapes), local_date(now), voucher_cap))


_cached = threading.local()


# Changes whenever a rule, condition, reward or rule branch is added, removed or saved,
# and whenever the set of active rules changes (even by a bare UPDATE).
STAMP_SQL = """
SELECT (SELECT COUNT(*) FROM distribution_rule) AS rules,
       (SELECT MAX(updated_at) FROM distribution_rule) AS rule_saved,
       (SELECT COUNT(*) FROM distribution_rule WHERE status = %s) AS active,
       (SELECT SUM(id) FROM distribution_rule WHERE status = %s) AS active_ids,
       (SELECT COUNT(*) FROM distribution_rulecondition) AS conditions,
       (SELECT MAX(id) FROM distribution_rulecondition) AS last_condition,
       (SELECT COUNT(*) FROM distribution_rulereward) AS rewards,
       (SELECT MAX(id) FROM distribution_rulereward) AS last_reward,
       (SELECT COUNT(*) FROM distribution_rule_target_branches) AS branches,
       (SELECT MAX(id) FROM distribution_rule_target_branches) AS last_branch
"""
STAMP_COLUMNS = 10


def _stamp_and_gift_facts(gift_ids, today, voucher_cap) -> tuple[tuple, dict[int, GiftFacts]]:
    """The stamp and the facts of ``gift_ids`` in one round trip: the stamp's one row joined
    to each gift row (to none when there are no gifts: then the gift columns are NULL)."""
    gifts_sql, gifts_params = _gift_facts_query(gift_ids, today, voucher_cap)
    sql = f"SELECT * FROM ({STAMP_SQL}) s LEFT OUTER JOIN ({gifts_sql}) g ON 1 = 1"  # noqa: S608 - constants
    active = str(RuleStatus.ACTIVE)
    rows = rawsql.fetch_all(sql, [active, active, *gifts_params])
    stamp = (connection.alias, connection.settings_dict["NAME"], *rows[0][:STAMP_COLUMNS])
    gift_rows = [row[STAMP_COLUMNS:] for row in rows if row[STAMP_COLUMNS] is not None]
    return stamp, _gift_facts_from(gift_rows, today)


def live_rule_specs(now: datetime, voucher_cap: int | None = VOUCHER_CAP) -> list[specs.RuleSpec]:
    """The active rules: shapes from memory while the stamp holds, gift facts read now.

    One query when nothing changed (the stamp rides along with the gift facts). Per
    thread, so a worker never sees another's half-built cache.
    """
    today = local_date(now)
    shapes = getattr(_cached, "shapes", [])
    cap = _codes_to_count(shapes, voucher_cap)
    stamp, gifts = _stamp_and_gift_facts(_gift_ids(shapes), today, cap)
    if getattr(_cached, "stamp", None) != stamp:
        _cached.shapes = shapes = rule_shapes(live_rules())
        _cached.stamp = stamp
        gifts = _gift_facts(_gift_ids(shapes), today, _codes_to_count(shapes, voucher_cap))
    return assemble(shapes, gifts)
