"""Property tests of the engine: random policies, rules and quotas.

Budgets are recomputed here independently of ``distribution.quota_math`` (scope,
basis, premium ratio), so the engine is checked against a second reading of the spec.
"""

from collections import defaultdict
from dataclasses import replace
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from distribution.engine import PlanRefused, evaluate, plan
from distribution.specs import (
    GIFT_AMOUNT,
    PER_POLICY,
    POOL_PERIODS,
    PREMIUM_RATIO,
    VOUCHER_COUNT,
    ConditionSpec,
    QuotaSnapshot,
    QuotaSpec,
)
from tests.distribution.test_engine import NOW, make_policy, make_reward, make_rule

BRANCHES = ("4403/440304/", "4403/440305/", "4403/440304/", "4401/440101/")
PRODUCTS = ("ctpl", "commercial")
SERVICES = ("road_rescue", "safety_inspection")
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

money = st.integers(min_value=0, max_value=40_000).map(lambda c: Decimal(c) / 100)
face_values = (
    st.sampled_from([Decimal(v) for v in ("50", "100", "9.99", "150.01", "300", "0")]) | money
)


@st.composite
def gifts(draw):
    """A gift table shared by every rule: id -> (kind, service, face value, available, usable)."""
    table = {}
    for gift_id in range(1, draw(st.sampled_from((3, 4, 2, 5, 1))) + 1):
        kind = draw(st.sampled_from(("physical", "service", "contract_service")))
        table[gift_id] = {
            "gift_kind": kind,
            "contract_service": draw(st.sampled_from(SERVICES))
            if kind == "contract_service"
            else "",
            "face_value": draw(face_values),
            "available": draw(st.sampled_from((10_000, 10, 5, 3, 2, 1, 0))),
            "usable": draw(st.sampled_from((True,) * 9 + (False,))),
        }
    return table


@st.composite
def rules(draw, table):
    count = draw(st.sampled_from((3, 4, 5, 2, 1)))
    out = []
    reward_id = 0
    for index in range(count):
        rewards = []
        for _ in range(draw(st.sampled_from((1, 2, 2, 3, 4, 0)))):
            reward_id += 1
            gift_id = draw(st.sampled_from(sorted(table)))
            rewards.append(
                make_reward(
                    reward_id,
                    gift_id=gift_id,
                    quantity=draw(st.integers(1, 3)),
                    option_group=draw(st.sampled_from(("", "", "A", "B"))),
                    **table[gift_id],
                )
            )
        conditions = ()
        if draw(st.sampled_from((True, False, False))):
            conditions = (
                ConditionSpec(
                    group=1, attribute="premium", operator="gte", value=str(draw(money) * 5)
                ),
            )
        out.append(
            make_rule(
                f"R{index}",
                rewards,
                rule_id=index + 1,
                priority=draw(st.integers(0, 3)),
                exclusive=draw(st.booleans()),
                max_per_policy=draw(st.integers(1, 2)),
                conditions=conditions,
                branch_paths=draw(st.sampled_from(((), (), (), ("4403/",), ("4401/",)))),
                approval_threshold=draw(st.none() | money),
                tax_treatment=draw(st.sampled_from(("sale", "casual"))),
            )
        )
    return out


@st.composite
def snapshots(draw, table, rule_codes):
    quotas = []
    pool_used, policy_used = {}, {}
    for quota_id in range(1, draw(st.sampled_from((2, 3, 1, 4, 0))) + 1):
        basis = draw(st.sampled_from((GIFT_AMOUNT, VOUCHER_COUNT, PREMIUM_RATIO)))
        if basis == VOUCHER_COUNT:
            limit = Decimal(draw(st.sampled_from((6, 3, 12, 1, 0))))
        elif basis == PREMIUM_RATIO:
            limit = draw(st.sampled_from((Decimal(5), Decimal(10), Decimal("2.5"), Decimal(0))))
        else:
            limit = draw(
                st.sampled_from((Decimal(500), Decimal(200), Decimal(1000), Decimal(0))) | money
            )
        quota = QuotaSpec(
            quota_id=quota_id,
            code=f"Q{quota_id}",
            name=f"quota {quota_id}",
            basis=basis,
            period=draw(st.sampled_from((PER_POLICY, *POOL_PERIODS))),
            limit=limit,
            warn_percent=Decimal(80),
            branch_path=draw(st.sampled_from((None, "", "4403/", "4403/440304/"))),
            rule_code=draw(st.sampled_from((None, None, "", *rule_codes))),
            gift_id=draw(st.sampled_from((None, None, *sorted(table)))),
            product=draw(st.sampled_from(("", "", *PRODUCTS))),
        )
        quotas.append(quota)
        used = draw(st.none() | st.integers(0, 50).map(Decimal))
        if used is not None:
            (policy_used if quota.period == PER_POLICY else pool_used)[quota_id] = used
            if basis == PREMIUM_RATIO:
                policy_used[quota_id] = used
    return QuotaSnapshot(tuple(quotas), pool_used=pool_used, policy_used=policy_used)


@st.composite
def scenarios(draw):
    table = draw(gifts())
    rule_list = draw(rules(table))
    policy = make_policy(
        premium=draw(
            st.sampled_from((Decimal(3000), Decimal("1234.56"))) | money.map(lambda m: m * 10)
        ),
        product=draw(st.sampled_from(PRODUCTS)),
        branch_path=draw(st.sampled_from(BRANCHES)),
        status=draw(st.sampled_from(("in_force",) * 7 + ("cancelled",))),
        contract_services_left={s: draw(st.integers(0, 4)) for s in SERVICES},
        distributions_by_rule={r.code: draw(st.sampled_from((0, 0, 0, 1))) for r in rule_list},
        issue_date=date(2025, 10, 1),
    )
    snapshot = draw(snapshots(table, [r.code for r in rule_list]))
    return policy, rule_list, snapshot


# ------------------------------------------------------------------ a second reading of the spec


def limit_of(quota, policy):
    if quota.basis == PREMIUM_RATIO:
        ceiling = max(policy.premium, Decimal(0)) * quota.limit / 100
        return ceiling.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return quota.limit


def used_of(quota, snapshot):
    per_policy = quota.period == PER_POLICY or quota.basis == PREMIUM_RATIO
    source = snapshot.policy_used if per_policy else snapshot.pool_used
    return source.get(quota.quota_id, Decimal(0))


def amount_of(quota, policy, rule, rewards):
    if quota.branch_path and not policy.branch_path.startswith(quota.branch_path):
        return Decimal(0)
    if quota.rule_code and quota.rule_code != rule.code:
        return Decimal(0)
    if quota.product and quota.product != policy.product:
        return Decimal(0)
    total = Decimal(0)
    for r in rewards:
        if quota.gift_id is not None and quota.gift_id != r.gift_id:
            continue
        total += r.quantity if quota.basis == VOUCHER_COUNT else r.face_value * r.quantity
    return total


def chosen_rewards(rule, choices):
    return [
        r for r in rule.rewards if not r.option_group or choices.get(r.option_group) == r.reward_id
    ]


def english():
    return translation.override("en")


# ------------------------------------------------------------------ properties


@SETTINGS
@given(scenarios())
def test_offer_never_exceeds_any_budget(scenario):
    """(a) What the matched rules take together (their cheapest combinations) fits every
    quota, pool or per policy, every stock and every contract service; and handing the
    matched rules out in order with those choices is never refused by plan()."""
    policy, rule_list, snapshot = scenario
    with english():
        offer = evaluate(policy, rule_list, snapshot, NOW)
    by_code = {r.code: r for r in rule_list}
    taken = defaultdict(Decimal)
    stock = defaultdict(int)
    uses = defaultdict(int)
    running = snapshot
    for v in offer.matched:
        rule = by_code[v.rule_code]
        groups = {r.option_group for r in rule.rewards if r.option_group}
        assert set(v.choices) == groups
        rewards = chosen_rewards(rule, v.choices)
        for quota in snapshot.quotas:
            taken[quota.quota_id] += amount_of(quota, policy, rule, rewards)
        for r in rewards:
            stock[r.gift_id] += r.quantity
            if r.gift_kind == "contract_service":
                uses[r.contract_service] += r.quantity
        # plan() accepts the same choices once earlier hand-outs are charged
        with english():
            result = plan(policy, rule, running, NOW, v.choices)
        pool, per_policy = dict(running.pool_used), dict(running.policy_used)
        for charge in result.charges:
            target = per_policy if charge.period == PER_POLICY else pool
            target[charge.quota_id] = target.get(charge.quota_id, Decimal(0)) + charge.amount
        running = replace(running, pool_used=pool, policy_used=per_policy)
    for quota in snapshot.quotas:
        if taken[quota.quota_id] > 0:
            assert used_of(quota, snapshot) + taken[quota.quota_id] <= limit_of(quota, policy)
    gifts_available = {r.gift_id: r.available for rule in rule_list for r in rule.rewards}
    for gift_id, quantity in stock.items():
        assert quantity <= gifts_available[gift_id]
    for service, quantity in uses.items():
        assert quantity <= policy.contract_services_left.get(service, 0)


@SETTINGS
@given(scenarios(), st.randoms(use_true_random=False))
def test_evaluate_is_deterministic(scenario, rnd):
    """(b) Same inputs, same offer, whatever the order of the rules."""
    policy, rule_list, snapshot = scenario
    shuffled = list(rule_list)
    rnd.shuffle(shuffled)
    with english():
        first = evaluate(policy, rule_list, snapshot, NOW)
        assert evaluate(policy, rule_list, snapshot, NOW) == first
        assert evaluate(policy, shuffled, snapshot, NOW) == first
        assert evaluate(policy, list(reversed(rule_list)), snapshot, NOW) == first


@SETTINGS
@given(scenarios())
def test_nothing_matches_below_a_matched_exclusive_rule(scenario):
    """(c) Verdicts come by priority (then code); after a matched exclusive rule none matches."""
    policy, rule_list, snapshot = scenario
    with english():
        offer = evaluate(policy, rule_list, snapshot, NOW)
    by_code = {r.code: r for r in rule_list}
    keys = [(-by_code[v.rule_code].priority, v.rule_code) for v in offer.verdicts]
    assert keys == sorted(keys)
    stopped = False
    for v in offer.verdicts:
        assert not (stopped and v.matched)
        if v.matched and by_code[v.rule_code].exclusive:
            stopped = True
    if policy.status != "in_force":
        assert offer.matched == ()


@SETTINGS
@given(scenarios(), st.data())
def test_plan_never_charges_beyond_a_quota(scenario, data):
    """(d) Any choice plan() accepts fits every quota, stock and contract service."""
    policy, rule_list, snapshot = scenario
    rule = data.draw(st.sampled_from(rule_list))
    groups = sorted({r.option_group for r in rule.rewards if r.option_group})
    choices = {}
    for group in groups:
        options = [r.reward_id for r in rule.rewards if r.option_group == group]
        choices[group] = data.draw(st.sampled_from([*options, 999]))
    if groups and data.draw(st.booleans()):
        choices.pop(groups[0])
    try:
        with english():
            result = plan(policy, rule, snapshot, NOW, choices)
    except PlanRefused as refused:
        assert refused.reasons
        return
    rewards = chosen_rewards(rule, choices)
    assert sorted(line.reward_id for line in result.lines) == sorted(r.reward_id for r in rewards)
    charged = {c.quota_id: c.amount for c in result.charges}
    for quota in snapshot.quotas:
        amount = amount_of(quota, policy, rule, rewards)
        assert charged.get(quota.quota_id, Decimal(0)) == amount
        if amount > 0:
            assert used_of(quota, snapshot) + amount <= limit_of(quota, policy)
    assert all(c.amount > 0 for c in result.charges)
    assert result.total_value == sum((r.face_value * r.quantity for r in rewards), Decimal(0))
    assert result.needs_approval == (
        rule.approval_threshold is not None and result.total_value > rule.approval_threshold
    )
    per_gift = defaultdict(int)
    for r in rewards:
        per_gift[r.gift_id] += r.quantity
        assert r.usable
    for gift_id, quantity in per_gift.items():
        assert quantity <= by_gift(rule, gift_id).available
    assert policy.status == "in_force"


def by_id(rule, reward_id):
    return next(r for r in rule.rewards if r.reward_id == reward_id)


def by_gift(rule, gift_id):
    return next(r for r in rule.rewards if r.gift_id == gift_id)


@SETTINGS
@given(scenarios())
def test_allowed_lines_respect_stock_and_contract_uses(scenario):
    """(e) An allowed reward line never asks more than the stock or the contract uses left."""
    policy, rule_list, snapshot = scenario
    with english():
        offer = evaluate(policy, rule_list, snapshot, NOW)
    for v in offer.verdicts:
        for line in v.rewards:
            if not line.allowed:
                assert line.reasons
                continue
            rule = next(r for r in rule_list if r.code == v.rule_code)
            assert line.quantity <= by_id(rule, line.reward_id).available
            if line.gift_kind == "contract_service":
                assert line.quantity <= policy.contract_services_left.get(line.contract_service, 0)
        if v.matched:
            assert all(line.allowed for line in v.rewards if not line.option_group), (
                "a matched rule gives all its fixed rewards"
            )
            for effect in v.quota_effects:
                if effect.amount > 0:
                    assert effect.used + effect.amount <= effect.limit
