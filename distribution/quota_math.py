"""Money and quota arithmetic for the distribution engine: pure, Decimal only.

A *budget* is anything a hand-out draws on and must never exceed: a quota (per
policy or pool), a gift's stock or voucher codes, a policy's remaining uses of a
contract service. The engine checks every combination of reward lines against
every budget the same way: ``used + amount <= limit``, where only a positive
amount is ever checked (a combination that does not touch a budget is not
blocked by it, even if that budget is already overdrawn).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from itertools import product

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from distribution.specs import (
    GIFT_AMOUNT,
    PER_POLICY,
    PREMIUM_RATIO,
    VOUCHER_COUNT,
    PolicyFacts,
    QuotaEffect,
    QuotaSnapshot,
    QuotaSpec,
    RewardSpec,
    RuleSpec,
)

CENT = Decimal("0.01")
# Beyond this many combinations of options, take the cheapest option of each group.
MAX_COMBINATIONS = 4096
ZERO = Decimal(0)

# Same msgids as gifts.models.ContractService (the engine does not import models).
CONTRACT_SERVICE_LABELS = {
    "road_rescue": gettext_lazy("road rescue"),
    "safety_inspection": gettext_lazy("vehicle safety inspection"),
    "designated_driving": gettext_lazy("designated driving"),
    "inspection_on_behalf": gettext_lazy("inspection on the owner's behalf"),
}


def cents(amount: Decimal) -> Decimal:
    """``amount`` rounded to the cent, half up (0.005 -> 0.01)."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def format_money(amount: Decimal) -> str:
    """``Decimal("1234.5")`` -> ``"¥1,234.50"``; negative -> ``"-¥1,234.50"``."""
    amount = cents(Decimal(amount))
    sign = "-" if amount < 0 else ""
    return f"{sign}¥{abs(amount):,.2f}"


def format_units(amount: Decimal) -> str:
    """A unit count without a needless fraction: ``Decimal("3.00")`` -> ``"3"``."""
    amount = Decimal(amount)
    if amount == amount.to_integral_value():
        return str(int(amount))
    return f"{amount.normalize():f}"


def premium_ratio_limit(premium: Decimal, percent: Decimal) -> Decimal:
    """The CNY ceiling of a premium-ratio quota: ``premium * percent / 100``, to the cent, half up.

    Exactly ``percent`` % of the premium passes; one cent more fails.
    A zero or negative premium gives a zero ceiling.
    """
    if premium <= 0:
        return ZERO.quantize(CENT)
    return cents(premium * percent / Decimal(100))


def quota_period(quota: QuotaSpec) -> str:
    """The counter a quota draws on. A premium ratio is about one policy's premium,
    so it is always counted per policy, whatever period it was saved with."""
    return PER_POLICY if quota.basis == PREMIUM_RATIO else quota.period


def quota_used(quota: QuotaSpec, snapshot: QuotaSnapshot) -> Decimal:
    """What the quota has already used: the policy's use or the pool's use in its period."""
    source = snapshot.policy_used if quota_period(quota) == PER_POLICY else snapshot.pool_used
    return Decimal(source.get(quota.quota_id, ZERO))


def quota_limit(quota: QuotaSpec, policy: PolicyFacts) -> Decimal:
    """The ceiling in the quota's unit (CNY, or units for a voucher count)."""
    if quota.basis == PREMIUM_RATIO:
        return premium_ratio_limit(policy.premium, quota.limit)
    return Decimal(quota.limit)


def quota_scope_matches(quota: QuotaSpec, policy: PolicyFacts, rule: RuleSpec) -> bool:
    """Branch subtree, rule and product scope (the gift scope is per line)."""
    if quota.branch_path and not policy.branch_path.startswith(quota.branch_path):
        return False
    if quota.rule_code and quota.rule_code != rule.code:
        return False
    return not (quota.product and quota.product != policy.product)


def quota_line_amount(quota: QuotaSpec, reward: RewardSpec) -> Decimal:
    """What one reward line adds to a quota (zero when the quota's gift scope excludes it)."""
    if quota.gift_id is not None and quota.gift_id != reward.gift_id:
        return ZERO
    if quota.basis == VOUCHER_COUNT:
        return Decimal(reward.quantity)
    if quota.basis in (GIFT_AMOUNT, PREMIUM_RATIO):
        return reward.face_value * reward.quantity
    raise ValueError(f"unknown quota basis {quota.basis!r}")


def applicable_quotas(
    snapshot: QuotaSnapshot, policy: PolicyFacts, rule: RuleSpec
) -> tuple[QuotaSpec, ...]:
    """Quotas whose scope covers this policy and rule and at least one of the rule's gifts."""
    gifts = {r.gift_id for r in rule.rewards}
    return tuple(
        q
        for q in sorted(snapshot.quotas, key=lambda q: (q.code, q.quota_id))
        if quota_scope_matches(q, policy, rule) and (q.gift_id is None or q.gift_id in gifts)
    )


@dataclass(frozen=True)
class Budget:
    """Something a hand-out draws on: ``key`` is ("quota", id), ("stock", gift id)
    or ("contract", service)."""

    key: tuple
    limit: Decimal
    amount_of: Callable[[RewardSpec], Decimal]
    shortfall: Callable[[Decimal, Decimal], str]  # (left, needed) -> reason
    quota: QuotaSpec | None = None

    def amount(self, rewards: Iterable[RewardSpec]) -> Decimal:
        return sum((self.amount_of(r) for r in rewards), ZERO)


def quota_budget(quota: QuotaSpec, policy: PolicyFacts) -> Budget:
    limit = quota_limit(quota, policy)
    if quota.basis == VOUCHER_COUNT:

        def shortfall(left: Decimal, need: Decimal) -> str:
            return _("quota %(name)s has %(left)s units left, %(need)s needed") % {
                "name": quota.name,
                "left": format_units(max(left, ZERO)),
                "need": format_units(need),
            }

    elif quota.basis == PREMIUM_RATIO:

        def shortfall(left: Decimal, need: Decimal) -> str:
            return _(
                "quota %(name)s (%(percent)s%% of the premium %(premium)s = %(limit)s) "
                "has %(left)s left, %(need)s needed"
            ) % {
                "name": quota.name,
                "percent": format_units(quota.limit),
                "premium": format_money(policy.premium),
                "limit": format_money(limit),
                "left": format_money(max(left, ZERO)),
                "need": format_money(need),
            }

    else:

        def shortfall(left: Decimal, need: Decimal) -> str:
            return _("quota %(name)s has %(left)s left, %(need)s needed") % {
                "name": quota.name,
                "left": format_money(max(left, ZERO)),
                "need": format_money(need),
            }

    return Budget(
        key=("quota", quota.quota_id),
        limit=limit,
        amount_of=lambda r: quota_line_amount(quota, r),
        shortfall=shortfall,
        quota=quota,
    )


def stock_budget(gift_id: int, rewards: Iterable[RewardSpec]) -> Budget:
    rewards = [r for r in rewards if r.gift_id == gift_id]
    first = rewards[0]
    voucher = first.gift_kind != "physical"

    def shortfall(left: Decimal, need: Decimal) -> str:
        message = (
            _("no voucher codes left for %(gift)s: %(left)s left, %(need)s needed")
            if voucher
            else _("%(gift)s is out of stock: %(left)s left, %(need)s needed")
        )
        return message % {
            "gift": first.gift_name,
            "left": format_units(max(left, ZERO)),
            "need": format_units(need),
        }

    return Budget(
        key=("stock", gift_id),
        limit=Decimal(min(r.available for r in rewards)),
        amount_of=lambda r: Decimal(r.quantity) if r.gift_id == gift_id else ZERO,
        shortfall=shortfall,
    )


def contract_budget(service: str, policy: PolicyFacts) -> Budget:
    label = CONTRACT_SERVICE_LABELS.get(service, service)

    def shortfall(left: Decimal, need: Decimal) -> str:
        return _("the policy has %(left)s uses of %(service)s left, %(need)s needed") % {
            "service": label,
            "left": format_units(max(left, ZERO)),
            "need": format_units(need),
        }

    return Budget(
        key=("contract", service),
        limit=Decimal(policy.contract_services_left.get(service, 0)),
        amount_of=lambda r: (
            Decimal(r.quantity)
            if r.gift_kind == "contract_service" and r.contract_service == service
            else ZERO
        ),
        shortfall=shortfall,
    )


def rule_budgets(
    policy: PolicyFacts, rule: RuleSpec, quotas: tuple[QuotaSpec, ...]
) -> tuple[Budget, ...]:
    """Every budget the rule's rewards may draw on, in a stable order."""
    budgets = [quota_budget(q, policy) for q in quotas]
    for gift_id in sorted({r.gift_id for r in rule.rewards}):
        budgets.append(stock_budget(gift_id, rule.rewards))
    services = {r.contract_service for r in rule.rewards if r.gift_kind == "contract_service"}
    budgets.extend(contract_budget(s, policy) for s in sorted(services))
    return tuple(budgets)


def overflows(
    budgets: Iterable[Budget], used: dict[tuple, Decimal], rewards: Iterable[RewardSpec]
) -> tuple[str, ...]:
    """The reason of every budget that ``rewards`` together would overdraw."""
    rewards = tuple(rewards)
    reasons = []
    for budget in budgets:
        need = budget.amount(rewards)
        already = used.get(budget.key, ZERO)
        if need > 0 and already + need > budget.limit:
            reasons.append(budget.shortfall(budget.limit - already, need))
    return tuple(reasons)


def face_value_of(rewards: Sequence[RewardSpec]) -> Decimal:
    """Total face value of reward lines."""
    return sum((r.face_value * r.quantity for r in rewards), ZERO)


def cheapest_fit(
    fixed: list[RewardSpec],
    options: list[list[RewardSpec]],
    budgets: Sequence[Budget],
    used: dict[tuple, Decimal],
) -> tuple[tuple[RewardSpec, ...] | None, tuple[RewardSpec, ...], tuple[str, ...]]:
    """Fixed rewards plus one option per group: (the cheapest combination that fits every
    budget, or None; the cheapest combination overall; what the latter overdraws).

    Cheapest = lowest total face value, ties by reward ids. Every combination is tried
    up to MAX_COMBINATIONS; beyond that only the cheapest option of each group."""

    def key(combo: tuple[RewardSpec, ...]) -> tuple:
        return (face_value_of(combo), tuple(sorted(r.reward_id for r in combo)))

    count = 1
    for group in options:
        count *= len(group)
    if count > MAX_COMBINATIONS:
        pick = tuple(min(group, key=lambda r: key((r,))) for group in options)
        combos = [tuple(fixed) + pick]
    else:
        combos = sorted((tuple(fixed) + pick for pick in product(*options)), key=key)
    for combo in combos:
        if not overflows(budgets, used, combo):
            return combo, combos[0], ()
    return None, combos[0], overflows(budgets, used, combos[0])


def quota_effects(
    budgets: Sequence[Budget],
    used: dict[tuple, Decimal],
    combo: Sequence[RewardSpec],
) -> tuple[QuotaEffect, ...]:
    effects = []
    for budget in budgets:
        quota = budget.quota
        if quota is None:
            continue
        already = used.get(budget.key, ZERO)
        amount = budget.amount(combo)
        effects.append(
            QuotaEffect(
                quota_id=quota.quota_id,
                code=quota.code,
                name=quota.name,
                used=already,
                amount=amount,
                limit=budget.limit,
                warning=(already + amount) * 100 >= quota.warn_percent * budget.limit,
            )
        )
    return tuple(effects)


def initial_used(budgets: Sequence[Budget], snapshot: QuotaSnapshot) -> dict[tuple, Decimal]:
    """What each quota budget has used before this policy's offer (stock and uses start at 0)."""
    return {b.key: quota_used(b.quota, snapshot) for b in budgets if b.quota is not None}
