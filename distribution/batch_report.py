"""Batch runs, the report: what went out (or would), kept in ``BatchRun.report`` (JSON).

A dry run and a real run end with the same shape::

    {"selection": {...},                       # the filter, set when the run is prepared
     "policies": 1000, "distributed": 620, "pending_approval": 3, "refused": 380,
     "total_value": "62000.00", "total_cost": "37200.00",
     "gifts": {"G001": {"name": ..., "kind": ..., "units": 620, "value": ..., "cost": ...}},
     "quotas": {"Q1": {"id": 4, "name": ..., "pool": true, "amount": "620.00"}},
     "stock": {"G001": 620},                    # physical units taken
     "codes": {"G002": 100},                    # voucher codes claimed
     "refusals": {"reason": count}}             # each refused policy counts each reason once

Money and quota amounts are strings (Decimal, exact). Each chunk's share is merged into
the report in the chunk's own transaction, so after a stop or crash the report says
exactly what was committed.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from decimal import Decimal

from distribution.quota_math import quota_period
from distribution.specs import PER_POLICY, Plan, QuotaSpec, RuleSpec

# Distinct refusal reasons kept; further ones are counted together.
MAX_REASONS = 200
MAX_SHAPES = 100
OTHER_REASONS = "…"
_DIGITS = re.compile(r"\d[\d,.]*")
ZERO = Decimal(0)


class ChunkReport:
    """One chunk's share of the report."""

    def __init__(self, rule: RuleSpec, quotas, code_gifts: set[int]):
        self.gifts = {r.gift_id: (r.gift_code, r.gift_name, r.gift_kind) for r in rule.rewards}
        self.quotas: dict[int, QuotaSpec] = {q.quota_id: q for q in quotas}
        self.code_gifts = code_gifts
        self.policies = self.distributed = self.pending = self.refused = 0
        self.value = self.cost = ZERO
        self.units: Counter = Counter()
        self.gift_value: dict[int, Decimal] = defaultdict(Decimal)
        self.gift_cost: dict[int, Decimal] = defaultdict(Decimal)
        self.quota_amount: dict[int, Decimal] = defaultdict(Decimal)
        self.reasons: Counter = Counter()

    def add_plan(self, plan: Plan) -> None:
        self.policies += 1
        self.distributed += 1
        self.pending += plan.needs_approval
        self.value += plan.total_value
        self.cost += plan.total_cost
        for line in plan.lines:
            self.units[line.gift_id] += line.quantity
            self.gift_value[line.gift_id] += line.face_value * line.quantity
            self.gift_cost[line.gift_id] += line.unit_cost * line.quantity
        for charge in plan.charges:
            self.quota_amount[charge.quota_id] += charge.amount

    def add_refusal(self, reasons) -> None:
        self.policies += 1
        self.refused += 1
        self.reasons.update(dict.fromkeys(reasons, 1))

    def merge_into(self, report: dict) -> dict:
        """``report`` with this chunk added (a new dict; ``report`` is left as it was)."""
        out = {**report}
        for key, n in (
            ("policies", self.policies),
            ("distributed", self.distributed),
            ("pending_approval", self.pending),
            ("refused", self.refused),
        ):
            out[key] = out.get(key, 0) + n
        out["total_value"] = str(Decimal(out.get("total_value", "0")) + self.value)
        out["total_cost"] = str(Decimal(out.get("total_cost", "0")) + self.cost)
        gifts = {k: {**v} for k, v in out.get("gifts", {}).items()}
        stock, codes = {**out.get("stock", {})}, {**out.get("codes", {})}
        for gift_id, units in self.units.items():
            code, name, kind = self.gifts[gift_id]
            entry = gifts.setdefault(
                code, {"name": name, "kind": kind, "units": 0, "value": "0", "cost": "0"}
            )
            entry["units"] += units
            entry["value"] = str(Decimal(entry["value"]) + self.gift_value[gift_id])
            entry["cost"] = str(Decimal(entry["cost"]) + self.gift_cost[gift_id])
            if kind == "physical":
                stock[code] = stock.get(code, 0) + units
            elif gift_id in self.code_gifts:
                codes[code] = codes.get(code, 0) + units
        quotas = {k: {**v} for k, v in out.get("quotas", {}).items()}
        for quota_id, amount in self.quota_amount.items():
            quota = self.quotas[quota_id]
            entry = quotas.setdefault(
                quota.code,
                {
                    "id": quota_id,
                    "name": quota.name,
                    "pool": quota_period(quota) != PER_POLICY,
                    "amount": "0",
                },
            )
            entry["amount"] = str(Decimal(entry["amount"]) + amount)
        refusals = {**out.get("refusals", {})}
        for reason, n in self.reasons.items():
            if reason not in refusals and len(refusals) >= MAX_REASONS:
                # Past the cap, reasons that differ only in their figures count together.
                reason = _DIGITS.sub("#", reason)
                if reason not in refusals and len(refusals) >= MAX_REASONS + MAX_SHAPES:
                    reason = OTHER_REASONS
            refusals[reason] = refusals.get(reason, 0) + n
        out.update(gifts=gifts, stock=stock, codes=codes, quotas=quotas, refusals=refusals)
        return out


def pool_taken(report: dict) -> dict[int, Decimal]:
    """What a dry run's earlier chunks would have taken from each pool, by quota id."""
    return {
        entry["id"]: Decimal(entry["amount"])
        for entry in report.get("quotas", {}).values()
        if entry.get("pool")
    }


def supply_taken(report: dict) -> dict[str, int]:
    """What a dry run's earlier chunks would have taken of each gift, by gift code."""
    return {**report.get("stock", {}), **report.get("codes", {})}


def top_refusals(report: dict, n: int = 10) -> list[tuple[str, int]]:
    return Counter(report.get("refusals", {})).most_common(n)


def report_lines(report: dict) -> list[str]:
    """The report as plain lines (the command prints them; the admin can too)."""
    lines = [
        f"policies: {report.get('policies', 0)}, handed out: {report.get('distributed', 0)} "
        f"(awaiting approval: {report.get('pending_approval', 0)}), "
        f"refused: {report.get('refused', 0)}",
        f"face value: {report.get('total_value', '0')}, cost: {report.get('total_cost', '0')}",
    ]
    for code, g in sorted(report.get("gifts", {}).items()):
        lines.append(f"  gift {code} {g['name']}: {g['units']} units, value {g['value']}")
    for code, q in sorted(report.get("quotas", {}).items()):
        kind = "pool" if q["pool"] else "per policy"
        lines.append(f"  quota {code} {q['name']} ({kind}): {q['amount']}")
    for code, n in sorted(report.get("stock", {}).items()):
        lines.append(f"  stock {code}: {n}")
    for code, n in sorted(report.get("codes", {}).items()):
        lines.append(f"  voucher codes {code}: {n}")
    refusals = top_refusals(report)
    if refusals:
        lines.append("top refusal reasons:")
        lines.extend(f"  {n:>7}  {reason}" for reason, n in refusals)
    return lines
