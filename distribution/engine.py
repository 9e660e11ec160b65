"""The distribution engine: which rules a policy earns, what they give, and why.

Pure: plain data in (``distribution.specs``), plain data out; no ORM, no clock,
no request. ``now`` is passed in; "today" (issue-date windows, vehicle age) is
``now.date()`` in ``now``'s own time zone, so pass a local time
(``timezone.localtime()``).

Semantics chosen here (the services rely on them):

- Rules are considered by priority, higher first, ties by rule code. An
  exclusive rule that matches stops every rule considered after it.
- Windows are inclusive: ``starts_at <= now <= ends_at`` and
  ``issued_from <= issue_date <= issued_to``.
- A reward draws on budgets: each applicable quota, the gift's stock or voucher
  codes, the policy's remaining uses of a contract service. A rule matches only
  if all its fixed rewards and at least one option per group can be given and
  some combination (fixed rewards + one option per group) fits every budget; of
  those, the one with the lowest total face value (ties: lowest reward ids) is
  the rule's *cheapest combination*. Matched rules add their cheapest
  combination to the running use of every budget, so a lower-priority rule sees
  what higher ones would take: an offer never promises more than any quota,
  stock or contract service allows in total.
- An option is marked not allowed when, given with the fixed rewards, it would
  overdraw a budget by itself.
- A premium-ratio quota's ceiling is ``premium * limit / 100`` rounded to the
  cent half up; it compares the face value given to the policy (its
  ``policy_used`` plus this rule) and is always counted per policy.
- ``needs_approval``: the rule has an approval threshold and the total face
  value (the cheapest combination in ``evaluate``, the chosen lines in
  ``plan``) is strictly above it; exactly the threshold needs no approval.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from decimal import Decimal

from django.utils.translation import gettext as _

from distribution.conditions import STATUS_CHOICES, conditions_hold
from distribution.quota_math import (
    ZERO,
    Budget,
    applicable_quotas,
    cheapest_fit,
    face_value_of,
    format_money,
    initial_used,
    overflows,
    quota_effects,
    quota_period,
    rule_budgets,
)
from distribution.specs import (
    Offer,
    Plan,
    PlanLine,
    PolicyFacts,
    QuotaCharge,
    QuotaSnapshot,
    RewardLine,
    RewardSpec,
    RuleSpec,
    RuleVerdict,
)

IN_FORCE = "in_force"


class PlanRefused(Exception):
    """A hand-out that the engine will not plan; ``reasons`` says why, in the active language."""

    def __init__(self, reasons: Sequence[str]):
        self.reasons = tuple(reasons)
        super().__init__("; ".join(self.reasons))


def exclusive_blocker(offer: Offer, specs_by_id: Mapping[int, RuleSpec], ours: RuleSpec) -> str:
    """The name of a matched exclusive rule in ``offer`` that outranks ``ours``, or ""."""
    for verdict in offer.matched:
        spec = specs_by_id[verdict.rule_id]
        if spec.rule_id != ours.rule_id and spec.exclusive and spec.priority > ours.priority:
            return spec.name
    return ""


def free_slot(taken: Iterable[int], max_per_policy: int) -> int:
    """A policy's lowest free hand-out slot of a rule (max_per_policy + 1 when all are taken:
    the database's slot check then refuses it)."""
    taken = set(taken)
    return next(n for n in range(1, max_per_policy + 2) if n not in taken)


def ordered_rules(rules: Sequence[RuleSpec]) -> list[RuleSpec]:
    """Rules in the order the engine considers them: priority high to low, then code."""
    return sorted(rules, key=lambda r: (-r.priority, r.code, r.rule_id))


def _when(moment: datetime, now: datetime) -> str:
    if moment.tzinfo is not None and now.tzinfo is not None:
        moment = moment.astimezone(now.tzinfo)
    return moment.strftime("%Y-%m-%d %H:%M")


def eligibility(policy: PolicyFacts, rule: RuleSpec, now: datetime) -> tuple[bool, tuple[str, ...]]:
    """Every check of a rule that does not depend on rewards or quotas, with all failures.

    Matched: the reasons of the conditions that matched. Not matched: every failing check.
    """
    failures: list[str] = []
    if policy.status != IN_FORCE:
        failures.append(
            _("the policy is %(status)s; only policies in force receive gifts")
            % {"status": dict(STATUS_CHOICES).get(policy.status, policy.status)}
        )
    if rule.starts_at is not None and now < rule.starts_at:
        failures.append(_("the rule starts at %(when)s") % {"when": _when(rule.starts_at, now)})
    if rule.ends_at is not None and now > rule.ends_at:
        failures.append(_("the rule ended at %(when)s") % {"when": _when(rule.ends_at, now)})
    issued = policy.issue_date
    if (rule.issued_from is not None and issued < rule.issued_from) or (
        rule.issued_to is not None and issued > rule.issued_to
    ):
        failures.append(
            _("issue date %(date)s is outside the rule's issue dates %(start)s to %(end)s")
            % {
                "date": issued.isoformat(),
                "start": rule.issued_from.isoformat() if rule.issued_from else "…",
                "end": rule.issued_to.isoformat() if rule.issued_to else "…",
            }
        )
    if rule.branch_paths and not any(policy.branch_path.startswith(p) for p in rule.branch_paths):
        failures.append(
            _("branch %(branch)s is outside the rule's branches") % {"branch": policy.branch_code}
        )
    received = policy.distributions_by_rule.get(rule.code, 0)
    if received >= rule.max_per_policy:
        failures.append(
            _("the policy already received this rule %(count)d times, at most %(max)d")
            % {"count": received, "max": rule.max_per_policy}
        )
    holds, reasons = conditions_hold(policy, rule.conditions, rule.all_policies, now.date())
    if not holds:
        failures.extend(reasons)
    if failures:
        return False, tuple(failures)
    return True, reasons


def _own_reasons(reward: RewardSpec) -> tuple[str, ...]:
    """Why a reward cannot be given whatever the budgets."""
    if not reward.usable:
        return (
            reward.unusable_reason or _("%(gift)s cannot be given") % {"gift": reward.gift_name},
        )
    if reward.quantity <= 0:
        return (_("%(gift)s has no quantity") % {"gift": reward.gift_name},)
    if reward.gift_kind == "contract_service" and not reward.contract_service:
        return (_("%(gift)s names no contract service") % {"gift": reward.gift_name},)
    return ()


def _line(reward: RewardSpec, reasons: tuple[str, ...]) -> RewardLine:
    return RewardLine(
        reward_id=reward.reward_id,
        gift_id=reward.gift_id,
        gift_code=reward.gift_code,
        gift_name=reward.gift_name,
        gift_kind=reward.gift_kind,
        contract_service=reward.contract_service,
        quantity=reward.quantity,
        option_group=reward.option_group,
        face_value=reward.face_value,
        unit_cost=reward.unit_cost,
        allowed=not reasons,
        reasons=reasons,
    )


def _groups(rule: RuleSpec) -> dict[str, list[RewardSpec]]:
    groups: dict[str, list[RewardSpec]] = {}
    for reward in sorted(rule.rewards, key=lambda r: (r.option_group, r.reward_id)):
        if reward.option_group:
            groups.setdefault(reward.option_group, []).append(reward)
    return groups


def _judge_rule(
    policy: PolicyFacts,
    rule: RuleSpec,
    snapshot: QuotaSnapshot,
    now: datetime,
    running: dict[tuple, Decimal],
) -> tuple[RuleVerdict, tuple[RewardSpec, ...], tuple[Budget, ...]]:
    """The verdict of one rule given the running use of every budget; also the
    combination to add to the running use (empty unless matched) and the budgets."""
    verdict = RuleVerdict(
        rule_id=rule.rule_id,
        rule_code=rule.code,
        rule_name=rule.name,
        matched=False,
        reasons=(),
        tax_treatment=rule.tax_treatment,
    )
    eligible, reasons = eligibility(policy, rule, now)
    if not eligible:
        return replace(verdict, reasons=reasons), (), ()
    quotas = applicable_quotas(snapshot, policy, rule)
    budgets = rule_budgets(policy, rule, quotas)
    used = initial_used(budgets, snapshot)
    for key, amount in running.items():
        used[key] = used.get(key, ZERO) + amount

    fixed = sorted((r for r in rule.rewards if not r.option_group), key=lambda r: r.reward_id)
    line_reasons: dict[int, tuple[str, ...]] = {}
    for reward in fixed:
        line_reasons[reward.reward_id] = _own_reasons(reward) or overflows(budgets, used, [reward])
    fixed_ok = all(not line_reasons[r.reward_id] for r in fixed)
    failures: list[str] = [reason for r in fixed for reason in line_reasons[r.reward_id]]
    if not rule.rewards:
        failures.append(_("the rule has no rewards"))
    if fixed_ok and fixed:
        failures.extend(overflows(budgets, used, fixed))
    base = fixed if fixed_ok and not failures else []
    allowed_options: list[list[RewardSpec]] = []
    for label, members in _groups(rule).items():
        for reward in members:
            line_reasons[reward.reward_id] = _own_reasons(reward) or overflows(
                budgets, used, [*base, reward]
            )
        allowed = [r for r in members if not line_reasons[r.reward_id]]
        if not allowed:
            failures.append(_("no option of group %(group)s can be given") % {"group": label})
        allowed_options.append(allowed)
    lines = tuple(
        _line(r, line_reasons[r.reward_id])
        for r in sorted(rule.rewards, key=lambda r: (r.option_group, r.reward_id))
    )
    combo: tuple[RewardSpec, ...] = ()
    if not failures:
        fit, cheapest, overdrawn = cheapest_fit(fixed, allowed_options, budgets, used)
        if fit is None:
            failures.extend(overdrawn)
            combo = cheapest
        else:
            combo = fit
    effects = quota_effects(budgets, used, combo)
    if failures:
        return (
            replace(verdict, reasons=tuple(failures), rewards=lines, quota_effects=effects),
            (),
            budgets,
        )
    total = face_value_of(combo)
    needs_approval = rule.approval_threshold is not None and total > rule.approval_threshold
    if needs_approval:
        reasons = (
            *reasons,
            _("%(total)s is above the approval threshold %(threshold)s; an approver must confirm")
            % {"total": format_money(total), "threshold": format_money(rule.approval_threshold)},
        )
    matched = replace(
        verdict,
        matched=True,
        reasons=reasons,
        rewards=lines,
        quota_effects=effects,
        needs_approval=needs_approval,
        choices={r.option_group: r.reward_id for r in combo if r.option_group},
    )
    return matched, combo, budgets


def evaluate(
    policy: PolicyFacts, rules: Sequence[RuleSpec], quotas: QuotaSnapshot, now: datetime
) -> Offer:
    """Every rule's verdict for the policy, in the order considered (see the module docstring)."""
    running: dict[tuple, Decimal] = {}
    verdicts: list[RuleVerdict] = []
    stopped_by: RuleSpec | None = None
    for rule in ordered_rules(rules):
        if stopped_by is not None:
            verdicts.append(
                RuleVerdict(
                    rule_id=rule.rule_id,
                    rule_code=rule.code,
                    rule_name=rule.name,
                    matched=False,
                    reasons=(
                        _("exclusive rule %(code)s %(name)s applies first")
                        % {"code": stopped_by.code, "name": stopped_by.name},
                    ),
                    tax_treatment=rule.tax_treatment,
                )
            )
            continue
        verdict, combo, budgets = _judge_rule(policy, rule, quotas, now, running)
        verdicts.append(verdict)
        if verdict.matched:
            for budget in budgets:
                amount = budget.amount(combo)
                if amount:
                    running[budget.key] = running.get(budget.key, ZERO) + amount
            if rule.exclusive:
                stopped_by = rule
    return Offer(policy_id=policy.policy_id, verdicts=tuple(verdicts))


def plan(
    policy: PolicyFacts,
    rule: RuleSpec,
    quotas: QuotaSnapshot,
    now: datetime,
    choices: Mapping[str, int],
) -> Plan:
    """The hand-out of one rule as the customer chose it, checked against every budget.

    ``choices`` maps each option group to the chosen reward id (exactly one per
    group). Raises ``PlanRefused`` with every reason when the rule does not apply,
    a choice is missing or wrong, or a chosen line cannot be given (usability,
    stock, contract uses, any applicable quota with the actual lines).
    Exclusivity against other rules is the caller's concern.
    """
    eligible, reasons = eligibility(policy, rule, now)
    failures: list[str] = [] if eligible else list(reasons)
    groups = _groups(rule)
    chosen: list[RewardSpec] = sorted(
        (r for r in rule.rewards if not r.option_group), key=lambda r: r.reward_id
    )
    for label in sorted(set(choices) - set(groups)):
        failures.append(_("the rule has no option group %(group)s") % {"group": label})
    for label, members in groups.items():
        if label not in choices:
            failures.append(_("choose one option of group %(group)s") % {"group": label})
            continue
        pick = [r for r in members if str(r.reward_id) == str(choices[label]).strip()]
        if not pick:
            failures.append(
                _("reward %(reward)s is not an option of group %(group)s")
                % {"reward": choices[label], "group": label}
            )
            continue
        chosen.extend(pick)
    if not rule.rewards:
        failures.append(_("the rule has no rewards"))
    for reward in chosen:
        failures.extend(_own_reasons(reward))
    quota_specs = applicable_quotas(quotas, policy, rule)
    budgets = rule_budgets(policy, rule, quota_specs)
    used = initial_used(budgets, quotas)
    failures.extend(overflows(budgets, used, chosen))
    if failures:
        raise PlanRefused(failures)
    charges = []
    for budget in budgets:
        amount = budget.amount(chosen)
        if budget.quota is not None and amount > 0:
            charges.append(
                QuotaCharge(
                    quota_id=budget.quota.quota_id,
                    period=quota_period(budget.quota),
                    amount=amount,
                )
            )
    total_value = face_value_of(chosen)
    return Plan(
        rule_id=rule.rule_id,
        rule_code=rule.code,
        lines=tuple(
            PlanLine(
                reward_id=r.reward_id,
                gift_id=r.gift_id,
                quantity=r.quantity,
                face_value=r.face_value,
                unit_cost=r.unit_cost,
                contract_service=r.contract_service,
            )
            for r in chosen
        ),
        charges=tuple(charges),
        total_value=total_value,
        total_cost=sum((r.unit_cost * r.quantity for r in chosen), ZERO),
        needs_approval=rule.approval_threshold is not None
        and total_value > rule.approval_threshold,
        tax_treatment=rule.tax_treatment,
    )
