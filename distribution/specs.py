"""Plain data the distribution engine reads and returns: no ORM, no clock, no request.

``distribution.loaders`` builds these from the database; ``distribution.engine``
turns them into an offer; ``distribution.services`` persists a chosen plan.
Money is ``Decimal`` in CNY; percentages are ``Decimal`` (5 means 5%).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

# Quota bases (the three of the spec) and periods.
PREMIUM_RATIO = "premium_ratio"
VOUCHER_COUNT = "voucher_count"
GIFT_AMOUNT = "gift_amount"
PER_POLICY = "policy"
POOL_PERIODS = ("day", "month", "quarter", "year", "all")


@dataclass(frozen=True)
class PolicyFacts:
    """What rules may look at, plus what this policy already received."""

    policy_id: int
    policy_no: str
    product: str
    premium: Decimal
    vehicle_type: str
    usage: str
    seats: int | None
    is_new_car: bool
    is_renewal: bool
    channel: str
    agent_code: str
    branch_code: str
    branch_path: str
    plate: str
    first_registration_date: date | None
    issue_date: date
    status: str
    # Remaining uses of each value-added clause service, e.g. {"road_rescue": 6}.
    contract_services_left: Mapping[str, int] = field(default_factory=dict)
    # Live (not cancelled / rejected) distributions per rule code.
    distributions_by_rule: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class ConditionSpec:
    group: int
    attribute: str
    operator: str
    value: Any


@dataclass(frozen=True)
class RewardSpec:
    reward_id: int
    gift_id: int
    gift_code: str
    gift_name: str
    gift_kind: str  # physical | service | contract_service
    contract_service: str  # the clause service for contract_service gifts, else ""
    quantity: int
    option_group: str  # "" = always given; same non-empty label = the customer picks one
    face_value: Decimal
    unit_cost: Decimal
    available: int  # stock (physical) or available voucher codes (service); large if unlimited
    usable: (
        bool  # gift active, in validity, provider active, category not a blocked cash equivalent
    )
    unusable_reason: str = ""


@dataclass(frozen=True)
class RuleSpec:
    rule_id: int
    code: str
    name: str
    priority: int  # higher is considered first
    exclusive: bool  # a match stops every lower-priority rule
    max_per_policy: int
    all_policies: bool  # required for a rule without conditions
    starts_at: datetime | None
    ends_at: datetime | None
    issued_from: date | None
    issued_to: date | None
    branch_paths: tuple[str, ...]  # subtree roots (Rule.reach_paths); empty = every branch
    conditions: tuple[ConditionSpec, ...]
    rewards: tuple[RewardSpec, ...]
    approval_threshold: Decimal | None  # total face value above which an approver must confirm
    tax_treatment: str  # "sale" | "casual" (偶然所得, 20% withheld)


@dataclass(frozen=True)
class QuotaSpec:
    quota_id: int
    code: str
    name: str
    basis: str  # PREMIUM_RATIO | VOUCHER_COUNT | GIFT_AMOUNT
    period: str  # PER_POLICY or one of POOL_PERIODS
    limit: Decimal  # percent for PREMIUM_RATIO, units for VOUCHER_COUNT, CNY for GIFT_AMOUNT
    warn_percent: Decimal  # share of the limit at which to warn, e.g. 80
    # Scope; None / "" = any.
    branch_path: str | None = None
    rule_code: str | None = None
    gift_id: int | None = None
    product: str = ""


@dataclass(frozen=True)
class QuotaSnapshot:
    quotas: tuple[QuotaSpec, ...]
    # Pool use in the current period, by quota id (missing = 0).
    pool_used: Mapping[int, Decimal] = field(default_factory=dict)
    # For per-policy quotas: what this policy already used, by quota id (missing = 0).
    policy_used: Mapping[int, Decimal] = field(default_factory=dict)


@dataclass(frozen=True)
class RewardLine:
    reward_id: int
    gift_id: int
    gift_code: str
    gift_name: str
    gift_kind: str
    contract_service: str
    quantity: int
    option_group: str
    face_value: Decimal
    unit_cost: Decimal
    allowed: bool  # False: shown, but stock / quota / usability refuses it
    reasons: tuple[str, ...] = ()

    @property
    def value(self) -> Decimal:
        return self.face_value * self.quantity


@dataclass(frozen=True)
class QuotaEffect:
    quota_id: int
    code: str
    name: str
    used: Decimal
    amount: Decimal  # what this rule's cheapest allowed choice would add
    limit: Decimal
    warning: bool  # used + amount reaches warn_percent of the limit


@dataclass(frozen=True)
class RuleVerdict:
    rule_id: int
    rule_code: str
    rule_name: str
    matched: bool
    reasons: tuple[str, ...]  # plain Chinese, why it matched or not
    rewards: tuple[RewardLine, ...] = ()
    quota_effects: tuple[QuotaEffect, ...] = ()
    needs_approval: bool = False
    tax_treatment: str = "sale"
    # Matched rules: the option chosen in each group by the cheapest combination that fits
    # every budget (what quota_effects counted); pass it to ``engine.plan`` for a default
    # hand-out (batch runs, the workbench's preselection).
    choices: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Offer:
    policy_id: int
    verdicts: tuple[RuleVerdict, ...]

    @property
    def matched(self) -> tuple[RuleVerdict, ...]:
        return tuple(v for v in self.verdicts if v.matched)


@dataclass(frozen=True)
class PlanLine:
    reward_id: int
    gift_id: int
    quantity: int
    face_value: Decimal
    unit_cost: Decimal
    contract_service: str


@dataclass(frozen=True)
class QuotaCharge:
    quota_id: int
    period: str
    amount: Decimal


@dataclass(frozen=True)
class Plan:
    """One rule's hand-out as the customer chose it, checked against every quota."""

    rule_id: int
    rule_code: str
    lines: tuple[PlanLine, ...]
    charges: tuple[QuotaCharge, ...]  # what to consume (pool and per-policy quotas alike)
    total_value: Decimal
    total_cost: Decimal
    needs_approval: bool
    tax_treatment: str
