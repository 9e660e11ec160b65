"""Batch runs, the in-memory half: the facts of a chunk of policies in a few queries, and
the engine's decision for each policy against a running snapshot.

Nothing here writes. ``ChunkPlanner`` holds what the run has taken so far (pool use,
stock, voucher codes) and decrements it as it plans each policy, so policy n + 1 sees
what policies 1..n would take: the same checks ``distribution_create`` makes against the
database, made in memory for a whole chunk.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from itertools import islice, product

from django.db.models import Sum
from django.utils.translation import gettext as _

from distribution import engine, loaders
from distribution.models import LIVE_STATUSES, Distribution, DistributionItem, policy_snapshot
from distribution.specs import PER_POLICY, Plan, PolicyFacts, QuotaSnapshot, QuotaSpec, RuleSpec
from policies.models import Policy

# Option combinations tried per policy before it is refused (first allowed options first).
MAX_CHOICE_TRIES = 8

POLICY_COLUMNS = (
    "id",
    "policy_no",
    "product",
    "premium",
    "vehicle_type",
    "usage",
    "seats",
    "is_new_car",
    "is_renewal",
    "channel",
    "agent_code",
    "branch__code",
    "branch__path",
    "plate",
    "first_registration_date",
    "issue_date",
    "status",
    "contract_services",
    "branch_id",
    "insured_name",
    "phone",
)


def combinations(rule: RuleSpec):
    """Choices of one option per group, in reward order (the first option of each group
    first, the last group varying fastest)."""
    groups: dict[str, list[int]] = {}
    for reward in sorted(rule.rewards, key=lambda r: (r.option_group, r.reward_id)):
        if reward.option_group:
            groups.setdefault(reward.option_group, []).append(reward.reward_id)
    labels = sorted(groups)
    for pick in product(*(groups[label] for label in labels)):
        yield dict(zip(labels, pick, strict=True))


@dataclass(frozen=True)
class PolicyRow:
    """What a batch run needs of a policy besides its facts."""

    policy_id: int
    branch_id: int
    insured_name: str
    phone: str
    taken_slots: frozenset[int]
    snapshot: dict[str, str]  # what the hand-out keeps of the policy (POLICY_SNAPSHOT)


@dataclass
class ChunkFacts:
    rows: list[PolicyRow]
    facts: dict[int, PolicyFacts]
    policy_used: dict[int, dict[int, Decimal]]  # policy id -> per-policy quota use


def load_chunk_facts(policy_ids, rule_code: str, per_policy_quotas, *, lock: bool) -> ChunkFacts:
    """Facts of many policies in four queries; with ``lock``, the policy rows are locked
    (as ``distribution_create`` locks its one policy) until the transaction ends."""
    policies = Policy.objects.filter(pk__in=policy_ids).order_by("pk")
    if lock:
        policies = policies.select_for_update(of=("self",), no_key=True)
    values = list(policies.values_list(*POLICY_COLUMNS))
    by_rule: dict[int, Counter] = defaultdict(Counter)
    slots: dict[int, set[int]] = defaultdict(set)
    live = Distribution.objects.filter(policy_id__in=policy_ids, status__in=LIVE_STATUSES)
    for policy_id, code, slot in live.values_list("policy_id", "rule_code", "slot").order_by():
        by_rule[policy_id][code] += 1
        if code == rule_code:
            slots[policy_id].add(slot)
    entitled_ids = [v[0] for v in values if v[17]]
    services_used: dict[int, dict[str, int]] = defaultdict(dict)
    if entitled_ids:
        used = (
            DistributionItem.objects.filter(
                distribution__policy_id__in=entitled_ids, distribution__status__in=LIVE_STATUSES
            )
            .exclude(contract_service="")
            .values_list("distribution__policy_id", "contract_service")
            .annotate(n=Sum("quantity"))
            .order_by()
        )
        for policy_id, service, n in used:
            services_used[policy_id][service] = int(n)
    policy_used: dict[int, dict[int, Decimal]] = defaultdict(dict)
    if per_policy_quotas:
        for (policy_id, quota_id), total in loaders.policy_charges(
            policy_ids, per_policy_quotas
        ).items():
            policy_used[policy_id][quota_id] = total
    rows, facts = [], {}
    for v in values:
        policy_id, entitled = v[0], v[17] or {}
        used = services_used.get(policy_id, {})
        # Same construction as loaders.policy_facts, for many policies at once.
        facts[policy_id] = PolicyFacts(
            policy_id=policy_id,
            policy_no=v[1],
            product=v[2],
            premium=v[3],
            vehicle_type=v[4],
            usage=v[5],
            seats=v[6],
            is_new_car=v[7],
            is_renewal=v[8],
            channel=v[9],
            agent_code=v[10],
            branch_code=v[11],
            branch_path=v[12],
            plate=v[13],
            first_registration_date=v[14],
            issue_date=v[15],
            status=v[16],
            contract_services_left={
                service: max(int(n) - int(used.get(service, 0)), 0)
                for service, n in entitled.items()
            },
            distributions_by_rule=dict(by_rule.get(policy_id, {})),
        )
        rows.append(
            PolicyRow(
                policy_id=policy_id,
                branch_id=v[18],
                insured_name=v[19],
                phone=v[20],
                taken_slots=frozenset(slots.get(policy_id, ())),
                snapshot=policy_snapshot(facts[policy_id]),
            )
        )
    return ChunkFacts(rows=rows, facts=facts, policy_used=policy_used)


def batch_choices(verdict) -> list[dict[str, int]]:
    """Choices to try for a matched verdict, in order.

    Batch runs have no customer to ask: each option group gets its first allowed option
    in reward order (the order the rule lists them); the other allowed combinations
    follow in the same order, then the engine's cheapest fitting combination.
    """
    allowed: dict[str, list[int]] = {}
    for line in verdict.rewards:  # sorted by (option group, reward id)
        if line.option_group:
            allowed.setdefault(line.option_group, [])
            if line.allowed:
                allowed[line.option_group].append(line.reward_id)
    labels = sorted(allowed)
    tries = [
        dict(zip(labels, pick, strict=True))
        for pick in islice(product(*(allowed[label] for label in labels)), MAX_CHOICE_TRIES)
    ]
    cheapest = dict(getattr(verdict, "choices", None) or {})
    if cheapest and cheapest not in tries:
        tries.append(cheapest)
    return tries


@dataclass
class Decision:
    policy_id: int
    plan: Plan | None = None
    reasons: tuple[str, ...] = ()


@dataclass
class ChunkPlanner:
    """The engine run over many policies against a running snapshot.

    ``pool_used`` (quota id -> use this period) and ``supply`` (gift id -> stock or
    voucher codes) start from what the caller read (under locks in a real run) and are
    decremented by every plan made, so no policy is promised what an earlier one took.
    """

    rule: RuleSpec
    all_rules: list[RuleSpec]
    quotas: tuple[QuotaSpec, ...]
    pool_used: dict[int, Decimal]
    supply: dict[int, int]
    now: datetime  # local time, as the engine wants it
    _specs: dict[int, RuleSpec] = field(default_factory=dict)
    _dirty: bool = True
    _prefix: list[RuleSpec] = field(default_factory=list)

    def __post_init__(self):
        ordered = engine.ordered_rules(self.all_rules)
        blockers = [
            i
            for i, s in enumerate(ordered)
            if s.exclusive and s.priority > self.rule.priority and s.rule_id != self.rule.rule_id
        ]
        # A rule's verdict depends only on the rules considered before it, so evaluating
        # the rules up to the last possible blocker decides exclusivity exactly.
        self._prefix = ordered[: blockers[-1] + 1] if blockers else []
        self._blockers = [ordered[i] for i in blockers]
        self._by_id = {s.rule_id: s for s in self.all_rules}

    def _with_supply(self, spec: RuleSpec) -> RuleSpec:
        rewards = tuple(
            replace(r, available=self.supply.get(r.gift_id, r.available)) for r in spec.rewards
        )
        return replace(spec, rewards=rewards)

    def _current(self) -> tuple[RuleSpec, list[RuleSpec]]:
        if self._dirty:
            self._specs = {s.rule_id: self._with_supply(s) for s in [self.rule, *self._prefix]}
            self._dirty = False
        return self._specs[self.rule.rule_id], [self._specs[s.rule_id] for s in self._prefix]

    def decide(self, facts: PolicyFacts, policy_used: dict[int, Decimal]) -> Decision:
        """Plan the rule for one policy, or say why not; a plan is taken from the budgets."""
        snapshot = QuotaSnapshot(
            quotas=self.quotas, pool_used=self.pool_used, policy_used=policy_used
        )
        rule, prefix = self._current()
        # Most refusals are conditions: the engine's own first check, without budgets.
        eligible, reasons = engine.eligibility(facts, rule, self.now)
        if not eligible:
            return Decision(facts.policy_id, reasons=reasons)
        if prefix and any(engine.eligibility(facts, s, self.now)[0] for s in self._blockers):
            # Only an eligible blocker can match: then the engine decides exactly.
            offer = engine.evaluate(facts, prefix, snapshot, self.now)
            blocker = engine.exclusive_blocker(offer, self._by_id, rule)
            if blocker:
                reason = _("Exclusive rule %(rule)s takes precedence.") % {"rule": blocker}
                return Decision(facts.policy_id, reasons=(reason,))
        # A combination including an option that does not fit by itself never fits, so the
        # first combination that plans is the one of the first allowed options.
        tries = list(islice(combinations(rule), MAX_CHOICE_TRIES))
        reasons = ()
        for choices in tries:
            try:
                plan = engine.plan(facts, rule, snapshot, self.now, choices)
            except engine.PlanRefused as refused:
                reasons = reasons or refused.reasons
                continue
            self.take(plan)
            return Decision(facts.policy_id, plan=plan)
        if len(tries) == MAX_CHOICE_TRIES:  # more combinations than tried: ask the engine
            verdict = engine.evaluate(facts, [rule], snapshot, self.now).verdicts[0]
            if verdict.matched:
                for choices in batch_choices(verdict):
                    try:
                        plan = engine.plan(facts, rule, snapshot, self.now, choices)
                    except engine.PlanRefused:
                        continue
                    self.take(plan)
                    return Decision(facts.policy_id, plan=plan)
        return Decision(facts.policy_id, reasons=reasons or (_("No option can be given."),))

    def take(self, plan: Plan) -> None:
        for charge in plan.charges:
            if charge.period != PER_POLICY:
                self.pool_used[charge.quota_id] = (
                    self.pool_used.get(charge.quota_id, Decimal(0)) + charge.amount
                )
        for line in plan.lines:
            if line.gift_id in self.supply:
                self.supply[line.gift_id] -= line.quantity
                self._dirty = True
