"""The pure distribution engine: rule checks, rewards, budgets, quotas, plans."""

import zlib
from dataclasses import replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation

from distribution.engine import PlanRefused, evaluate, plan
from distribution.quota_math import format_money, premium_ratio_limit
from distribution.specs import (
    GIFT_AMOUNT,
    PER_POLICY,
    PREMIUM_RATIO,
    VOUCHER_COUNT,
    ConditionSpec,
    PolicyFacts,
    QuotaSnapshot,
    QuotaSpec,
    RewardSpec,
    RuleSpec,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2025, 10, 15, 10, 0, tzinfo=SHANGHAI)
EMPTY = QuotaSnapshot(quotas=())


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


# ------------------------------------------------------------------ builders (also used by
# the property tests)


def make_policy(**changes) -> PolicyFacts:
    base = PolicyFacts(
        policy_id=1,
        policy_no="P1",
        product="commercial",
        premium=Decimal("3000.00"),
        vehicle_type="SUV",
        usage="private",
        seats=5,
        is_new_car=True,
        is_renewal=False,
        channel="agency",
        agent_code="A001",
        branch_code="440304",
        branch_path="4403/440304/",
        plate="粤B12345",
        first_registration_date=date(2025, 9, 1),
        issue_date=date(2025, 10, 1),
        status="in_force",
        contract_services_left={"road_rescue": 2},
    )
    return replace(base, **changes)


def make_reward(reward_id=1, **changes) -> RewardSpec:
    base = RewardSpec(
        reward_id=reward_id,
        gift_id=reward_id,
        gift_code=f"G{reward_id}",
        gift_name=f"gift {reward_id}",
        gift_kind="physical",
        contract_service="",
        quantity=1,
        option_group="",
        face_value=Decimal("100.00"),
        unit_cost=Decimal("60.00"),
        available=1000,
        usable=True,
    )
    return replace(base, **changes)


def make_rule(code="R1", rewards=None, **changes) -> RuleSpec:
    base = RuleSpec(
        rule_id=zlib.crc32(code.encode()),
        code=code,
        name=f"rule {code}",
        priority=0,
        exclusive=False,
        max_per_policy=1,
        all_policies=True,
        starts_at=None,
        ends_at=None,
        issued_from=None,
        issued_to=None,
        branch_paths=(),
        conditions=(),
        rewards=tuple(rewards) if rewards is not None else (make_reward(),),
        approval_threshold=None,
        tax_treatment="sale",
    )
    return replace(base, **changes)


def make_quota(quota_id=1, **changes) -> QuotaSpec:
    base = QuotaSpec(
        quota_id=quota_id,
        code=f"Q{quota_id}",
        name=f"quota {quota_id}",
        basis=GIFT_AMOUNT,
        period="quarter",
        limit=Decimal("1000.00"),
        warn_percent=Decimal(80),
    )
    return replace(base, **changes)


def verdict(offer, code):
    return next(v for v in offer.verdicts if v.rule_code == code)


def only(rule, policy=None, quotas=EMPTY, now=NOW):
    return evaluate(policy or make_policy(), [rule], quotas, now).verdicts[0]


# ------------------------------------------------------------------ rule checks


def test_simple_match():
    v = only(make_rule())
    assert v.matched
    assert [line.allowed for line in v.rewards] == [True]
    assert v.tax_treatment == "sale"
    assert not v.needs_approval


@pytest.mark.parametrize(
    ("starts", "ends", "matched", "fragment"),
    [
        (NOW - timedelta(days=1), NOW + timedelta(days=1), True, ""),
        (NOW, NOW, True, ""),  # both ends inclusive
        (NOW + timedelta(seconds=1), None, False, "starts at 2025-10-15 10:00"),
        (None, NOW - timedelta(seconds=1), False, "ended at 2025-10-15 09:59"),
    ],
)
def test_distribution_window(starts, ends, matched, fragment):
    v = only(make_rule(starts_at=starts, ends_at=ends))
    assert v.matched is matched
    assert fragment in " ".join(v.reasons)


def test_window_shown_in_the_time_zone_of_now():
    starts = datetime(2025, 10, 16, 0, 0, tzinfo=SHANGHAI).astimezone(ZoneInfo("UTC"))
    v = only(make_rule(starts_at=starts))
    assert "2025-10-16 00:00" in v.reasons[0]


@pytest.mark.parametrize(
    ("issued_from", "issued_to", "matched"),
    [
        (date(2025, 10, 1), date(2025, 10, 1), True),
        (date(2025, 10, 2), None, False),
        (None, date(2025, 9, 30), False),
        (None, None, True),
    ],
)
def test_issue_date_window(issued_from, issued_to, matched):
    v = only(make_rule(issued_from=issued_from, issued_to=issued_to))
    assert v.matched is matched
    if not matched:
        assert "issue date 2025-10-01" in v.reasons[0]


@pytest.mark.parametrize(
    ("paths", "matched"),
    [
        ((), True),
        (("4403/",), True),
        (("4403/440304/",), True),
        (("4403/440305/",), False),
        (("4401/", "4403/440304/"), True),
        (("4403/4403041/",), False),
    ],
)
def test_branch_subtrees(paths, matched):
    v = only(make_rule(branch_paths=paths))
    assert v.matched is matched
    if not matched:
        assert "440304" in v.reasons[0]


def test_max_per_policy():
    rule = make_rule(max_per_policy=2)
    assert only(rule, make_policy(distributions_by_rule={"R1": 1})).matched
    v = only(rule, make_policy(distributions_by_rule={"R1": 2}))
    assert not v.matched
    assert "2 times, at most 2" in v.reasons[0]
    assert only(rule, make_policy(distributions_by_rule={"OTHER": 5})).matched


@pytest.mark.parametrize("status", ["cancelled", "expired"])
def test_cancelled_or_expired_policy_gets_nothing(status):
    offer = evaluate(make_policy(status=status), [make_rule(), make_rule("R2")], EMPTY, NOW)
    assert offer.matched == ()
    assert all(status in v.reasons[0] and "in force" in v.reasons[0] for v in offer.verdicts)


def test_conditions_and_every_failure_reported():
    rule = make_rule(
        all_policies=False,
        conditions=(ConditionSpec(group=1, attribute="seats", operator="lte", value=4),),
        branch_paths=("4401/",),
    )
    v = only(rule)
    assert not v.matched
    assert len(v.reasons) == 2
    assert "seats 5 does not satisfy <= 4" in v.reasons
    assert only(replace(rule, branch_paths=()), make_policy(seats=4)).matched


def test_rule_without_conditions_needs_all_policies():
    v = only(make_rule(all_policies=False))
    assert not v.matched
    assert "all policies" in v.reasons[0]


def test_matched_reasons_are_the_conditions_that_held():
    cond = ConditionSpec(group=1, attribute="is_new_car", operator="eq", value=True)
    v = only(make_rule(all_policies=False, conditions=(cond,)))
    assert v.matched
    assert v.reasons == ("new car yes satisfies = yes",)


# ------------------------------------------------------------------ priority and exclusivity


def test_exclusive_higher_rule_stops_lower_ones():
    rules = [
        make_rule("LOW", priority=1),
        make_rule("TOP", priority=10, exclusive=True),
        make_rule("MID", priority=5),
    ]
    offer = evaluate(make_policy(), rules, EMPTY, NOW)
    assert [v.rule_code for v in offer.verdicts] == ["TOP", "MID", "LOW"]
    assert [v.rule_code for v in offer.matched] == ["TOP"]
    assert "TOP" in verdict(offer, "MID").reasons[0]


def test_non_exclusive_higher_rule_does_not_stop_lower_ones():
    rules = [make_rule("TOP", priority=10), make_rule("LOW", priority=1, exclusive=True)]
    offer = evaluate(make_policy(), rules, EMPTY, NOW)
    assert [v.rule_code for v in offer.matched] == ["TOP", "LOW"]


def test_unmatched_exclusive_rule_stops_nothing():
    rules = [
        make_rule("TOP", priority=10, exclusive=True, issued_from=date(2030, 1, 1)),
        make_rule("LOW", priority=1),
    ]
    offer = evaluate(make_policy(), rules, EMPTY, NOW)
    assert [v.rule_code for v in offer.matched] == ["LOW"]


def test_equal_priority_ordered_by_code():
    rules = [make_rule("B", exclusive=True), make_rule("A", exclusive=True)]
    offer = evaluate(make_policy(), rules, EMPTY, NOW)
    assert [v.rule_code for v in offer.verdicts] == ["A", "B"]
    assert [v.rule_code for v in offer.matched] == ["A"]


# ------------------------------------------------------------------ rewards


def options_rule(**changes):
    return make_rule(
        rewards=[
            make_reward(1),
            make_reward(2, option_group="A", face_value=Decimal("50.00")),
            make_reward(3, option_group="A", face_value=Decimal("30.00")),
            make_reward(4, option_group="B", face_value=Decimal("20.00")),
        ],
        **changes,
    )


def test_option_groups_cheapest_combination():
    v = only(options_rule(approval_threshold=Decimal("149.99")))
    assert v.matched
    assert {line.reward_id: line.option_group for line in v.rewards} == {
        1: "",
        2: "A",
        3: "A",
        4: "B",
    }
    assert v.needs_approval  # cheapest 100 + 30 + 20 = 150 > 149.99
    assert v.choices == {"A": 3, "B": 4}
    assert not only(options_rule(approval_threshold=Decimal(150))).needs_approval


def test_unusable_gift():
    rule = make_rule(rewards=[make_reward(usable=False, unusable_reason="gift 1 has expired")])
    v = only(rule)
    assert not v.matched
    assert v.rewards[0].allowed is False
    assert v.rewards[0].reasons == ("gift 1 has expired",)
    assert "gift 1 has expired" in v.reasons


def test_out_of_stock_fixed_reward_refuses_the_rule():
    v = only(make_rule(rewards=[make_reward(quantity=2, available=1)]))
    assert not v.matched
    assert "out of stock: 1 left, 2 needed" in v.rewards[0].reasons[0]


def test_no_voucher_codes_left():
    v = only(make_rule(rewards=[make_reward(gift_kind="service", available=0)]))
    assert not v.matched
    assert "no voucher codes left" in v.rewards[0].reasons[0]


def test_option_out_of_stock_leaves_the_others():
    rule = make_rule(
        rewards=[
            make_reward(1, option_group="A", face_value=Decimal(10), available=0),
            make_reward(2, option_group="A", face_value=Decimal(90)),
        ]
    )
    v = only(rule)
    assert v.matched
    assert [line.allowed for line in v.rewards] == [False, True]


def test_group_without_any_allowed_option_refuses_the_rule():
    rule = make_rule(rewards=[make_reward(1, option_group="A", available=0)])
    v = only(rule)
    assert not v.matched
    assert any("group A" in r for r in v.reasons)


def test_rule_without_rewards_is_not_matched():
    assert not only(make_rule(rewards=[])).matched


def rescue(reward_id=1, quantity=1, **changes):
    return make_reward(
        reward_id,
        gift_kind="contract_service",
        contract_service="road_rescue",
        quantity=quantity,
        **changes,
    )


def test_contract_service_uses_never_exceeded():
    assert only(make_rule(rewards=[rescue(quantity=2)])).matched
    v = only(make_rule(rewards=[rescue(quantity=3)]))
    assert not v.matched
    assert "2 uses of road rescue left, 3 needed" in v.rewards[0].reasons[0]
    v = only(make_rule(rewards=[rescue(quantity=1)]), make_policy(contract_services_left={}))
    assert not v.matched


def test_contract_uses_add_up_within_a_rule_and_across_rules():
    two_lines = make_rule(rewards=[rescue(1), rescue(2, gift_id=1), rescue(3, gift_id=1)])
    assert not only(two_lines).matched
    rules = [make_rule("A", [rescue(1)], priority=2), make_rule("B", [rescue(2)], priority=1)]
    offer = evaluate(make_policy(contract_services_left={"road_rescue": 1}), rules, EMPTY, NOW)
    assert [v.rule_code for v in offer.matched] == ["A"]


def test_stock_adds_up_across_rules():
    rules = [
        make_rule("A", [make_reward(1, available=1)], priority=2),
        make_rule("B", [make_reward(1, available=1)], priority=1),
    ]
    offer = evaluate(make_policy(), rules, EMPTY, NOW)
    assert [v.rule_code for v in offer.matched] == ["A"]


def test_tax_treatment_copied():
    assert only(make_rule(tax_treatment="casual")).tax_treatment == "casual"


# ------------------------------------------------------------------ quotas


@pytest.mark.parametrize(
    ("basis", "limit", "quantity", "face", "matched"),
    [
        (GIFT_AMOUNT, "200", 2, "100", True),
        (GIFT_AMOUNT, "199.99", 2, "100", False),
        (VOUCHER_COUNT, "2", 2, "100", True),
        (VOUCHER_COUNT, "1", 2, "1", False),
    ],
)
@pytest.mark.parametrize("period", [PER_POLICY, "day", "all"])
def test_quota_bases_and_periods(basis, limit, quantity, face, matched, period):
    quota = make_quota(basis=basis, period=period, limit=Decimal(limit))
    rule = make_rule(rewards=[make_reward(quantity=quantity, face_value=Decimal(face))])
    v = only(rule, quotas=QuotaSnapshot((quota,)))
    assert v.matched is matched
    assert len(v.quota_effects) == 1


def test_pool_uses_pool_used_and_policy_quota_uses_policy_used():
    pool = make_quota(1, period="month", limit=Decimal(500))
    per_policy = make_quota(2, period=PER_POLICY, limit=Decimal(500))
    rule = make_rule(rewards=[make_reward(face_value=Decimal(200))])
    crowded_pool = QuotaSnapshot((pool, per_policy), pool_used={1: Decimal(350)})
    v = only(rule, quotas=crowded_pool)
    assert not v.matched
    assert v.reasons == ("quota quota 1 has ¥150.00 left, ¥200.00 needed",)
    crowded_policy = QuotaSnapshot(
        (pool, per_policy), policy_used={2: Decimal(350)}, pool_used={2: Decimal(0)}
    )
    v = only(rule, quotas=crowded_policy)
    assert not v.matched
    assert "quota 2" in v.reasons[0]
    # the pool counter of a per-policy quota is never read
    assert only(rule, quotas=QuotaSnapshot((per_policy,), pool_used={2: Decimal(999)})).matched


@pytest.mark.parametrize(
    ("scope", "applies"),
    [
        ({}, True),
        ({"branch_path": "4403/"}, True),
        ({"branch_path": "4403/440304/"}, True),
        ({"branch_path": "4403/440305/"}, False),
        ({"branch_path": ""}, True),
        ({"rule_code": "R1"}, True),
        ({"rule_code": "R2"}, False),
        ({"gift_id": 1}, True),
        ({"gift_id": 9}, False),
        ({"product": "commercial"}, True),
        ({"product": "ctpl"}, False),
    ],
)
def test_quota_scopes(scope, applies):
    quota = make_quota(limit=Decimal(0), **scope)
    v = only(make_rule(), quotas=QuotaSnapshot((quota,)))
    assert v.matched is not applies
    assert len(v.quota_effects) == (1 if applies else 0)


def test_gift_scoped_count_quota_counts_only_that_gift():
    quota = make_quota(basis=VOUCHER_COUNT, gift_id=2, limit=Decimal(3))
    rule = make_rule(rewards=[make_reward(1, quantity=5), make_reward(2, quantity=3)])
    v = only(rule, quotas=QuotaSnapshot((quota,)))
    assert v.matched
    assert v.quota_effects[0].amount == 3


def test_premium_ratio_boundary():
    # 5% of ¥3,000.00 = ¥150.00: exactly ¥150 passes, ¥150.01 fails.
    quota = make_quota(basis=PREMIUM_RATIO, period=PER_POLICY, limit=Decimal(5), name="5%")
    snapshot = QuotaSnapshot((quota,))
    exact = make_rule(rewards=[make_reward(face_value=Decimal("150.00"))])
    over = make_rule(rewards=[make_reward(face_value=Decimal("150.01"))])
    v = only(exact, quotas=snapshot)
    assert v.matched and v.quota_effects[0].limit == Decimal("150.00")
    v = only(over, quotas=snapshot)
    assert not v.matched
    assert "¥150.00 left, ¥150.01 needed" in v.reasons[0]
    assert plan(make_policy(), exact, snapshot, NOW, {}).total_value == Decimal("150.00")
    with pytest.raises(PlanRefused):
        plan(make_policy(), over, snapshot, NOW, {})


def test_premium_ratio_counts_what_the_policy_already_got():
    quota = make_quota(basis=PREMIUM_RATIO, period=PER_POLICY, limit=Decimal(5))
    rule = make_rule(rewards=[make_reward(face_value=Decimal("50.00"))])
    assert only(rule, quotas=QuotaSnapshot((quota,), policy_used={1: Decimal(100)})).matched
    refused = only(rule, quotas=QuotaSnapshot((quota,), policy_used={1: Decimal("100.01")}))
    assert not refused.matched


@pytest.mark.parametrize(
    ("premium", "percent", "limit"),
    [
        ("3000", "5", "150.00"),
        ("1234.56", "3", "37.04"),  # 37.0368 -> 37.04
        ("0.50", "1", "0.01"),  # 0.005 -> 0.01, half up
        ("0.49", "1", "0.00"),
        ("0", "5", "0.00"),
        ("-100", "5", "0.00"),
    ],
)
def test_premium_ratio_limit_rounds_half_up_to_cents(premium, percent, limit):
    assert premium_ratio_limit(Decimal(premium), Decimal(percent)) == Decimal(limit)


def test_money_format():
    assert format_money(Decimal("1234.5")) == "¥1,234.50"
    assert format_money(Decimal("0.005")) == "¥0.01"
    assert format_money(Decimal("-12")) == "-¥12.00"


def test_option_overflowing_a_quota_alone_is_not_allowed():
    quota = make_quota(limit=Decimal(150))
    v = only(options_rule(), quotas=QuotaSnapshot((quota,)))
    # fixed 100 + option 50 + B 20 = 170 > 150; fixed 100 + 30 + 20 = 150 fits
    assert v.matched
    allowed = {line.reward_id: line.allowed for line in v.rewards}
    assert allowed == {1: True, 2: True, 3: True, 4: True}
    assert v.quota_effects[0].amount == Decimal(150)
    v = only(options_rule(), quotas=QuotaSnapshot((make_quota(limit=Decimal(140)),)))
    allowed = {line.reward_id: line.allowed for line in v.rewards}
    assert allowed == {1: True, 2: False, 3: True, 4: True}  # 100 + 50 > 140 on its own
    assert not v.matched  # 100 + 30 + 20 = 150 > 140
    assert "¥140.00 left, ¥150.00 needed" in v.reasons[0]


def test_cheapest_combination_that_fits_all_budgets():
    rule = make_rule(
        rewards=[
            make_reward(2, option_group="A", face_value=Decimal(50)),
            make_reward(3, option_group="A", face_value=Decimal(15), quantity=2),
            make_reward(4, option_group="B", face_value=Decimal(20)),
        ]
    )
    units = make_quota(basis=VOUCHER_COUNT, limit=Decimal(2))
    v = only(rule, quotas=QuotaSnapshot((units,)))
    # 3 (2 units, ¥30) + 4 is cheapest but needs 3 units; 2 + 4 fits
    assert v.matched
    assert all(line.allowed for line in v.rewards)
    assert v.choices == {"A": 2, "B": 4}
    assert v.quota_effects[0].amount == 2
    assert plan(make_policy(), rule, QuotaSnapshot((units,)), NOW, v.choices)
    with pytest.raises(PlanRefused):
        plan(make_policy(), rule, QuotaSnapshot((units,)), NOW, {"A": 3, "B": 4})


def test_quota_accumulates_across_rules():
    quota = make_quota(limit=Decimal(250))
    rules = [
        make_rule("A", [make_reward(1)], priority=3),
        make_rule("B", [make_reward(2)], priority=2),
        make_rule("C", [make_reward(3)], priority=1),
    ]
    offer = evaluate(make_policy(), rules, QuotaSnapshot((quota,)), NOW)
    assert [v.rule_code for v in offer.matched] == ["A", "B"]
    c = verdict(offer, "C")
    assert "¥50.00 left, ¥100.00 needed" in c.reasons[0]
    assert [v.quota_effects[0].used for v in offer.verdicts] == [0, 100, 200]


def test_quota_warning():
    quota = make_quota(limit=Decimal(1000), warn_percent=Decimal(80))
    rule = make_rule(rewards=[make_reward(face_value=Decimal(100))])
    below = only(rule, quotas=QuotaSnapshot((quota,), pool_used={1: Decimal("699.99")}))
    at = only(rule, quotas=QuotaSnapshot((quota,), pool_used={1: Decimal(700)}))
    assert below.quota_effects[0].warning is False
    assert at.quota_effects[0].warning is True


def test_quota_not_touched_by_the_combination_does_not_block():
    overdrawn = make_quota(gift_id=2, limit=Decimal(0))
    rule = make_rule(
        rewards=[
            make_reward(1, option_group="A", face_value=Decimal(10)),
            make_reward(2, option_group="A", face_value=Decimal(5)),
        ]
    )
    v = only(rule, quotas=QuotaSnapshot((overdrawn,), pool_used={1: Decimal(5)}))
    assert v.matched
    assert [line.allowed for line in v.rewards] == [True, False]
    assert v.quota_effects[0].amount == 0


# ------------------------------------------------------------------ plan


def test_plan_success():
    quota = make_quota(limit=Decimal(1000))
    per_policy = make_quota(2, basis=VOUCHER_COUNT, period=PER_POLICY, limit=Decimal(10))
    snapshot = QuotaSnapshot((quota, per_policy))
    rule = options_rule(approval_threshold=Decimal(160), tax_treatment="casual")
    result = plan(make_policy(), rule, snapshot, NOW, {"A": 2, "B": 4})
    assert [line.reward_id for line in result.lines] == [1, 2, 4]
    assert result.total_value == Decimal(170)
    assert result.total_cost == Decimal(180)
    assert result.needs_approval  # 170 > 160
    assert result.tax_treatment == "casual"
    assert {(c.quota_id, c.period, c.amount) for c in result.charges} == {
        (1, "quarter", Decimal(170)),
        (2, PER_POLICY, Decimal(3)),
    }


def test_plan_accepts_a_reward_id_typed_as_text():
    result = plan(make_policy(), options_rule(), EMPTY, NOW, {"A": "3", "B": 4})
    assert [line.reward_id for line in result.lines] == [1, 3, 4]


def test_plan_charges_only_positive_amounts():
    quota = make_quota(gift_id=3)
    result = plan(make_policy(), options_rule(), QuotaSnapshot((quota,)), NOW, {"A": 2, "B": 4})
    assert result.charges == ()


def test_premium_ratio_charge_is_per_policy():
    quota = make_quota(basis=PREMIUM_RATIO, period="year", limit=Decimal(10))
    result = plan(make_policy(), make_rule(), QuotaSnapshot((quota,)), NOW, {})
    assert result.charges[0].period == PER_POLICY


@pytest.mark.parametrize(
    ("choices", "fragment"),
    [
        ({"A": 2}, "choose one option of group B"),
        ({"A": 2, "B": 4, "C": 1}, "no option group C"),
        ({"A": 4, "B": 4}, "not an option of group A"),
        ({"A": 99, "B": 4}, "not an option of group A"),
    ],
)
def test_plan_refuses_bad_choices(choices, fragment):
    with pytest.raises(PlanRefused) as refused:
        plan(make_policy(), options_rule(), EMPTY, NOW, choices)
    assert any(fragment in r for r in refused.value.reasons)


@pytest.mark.parametrize(
    ("policy", "rule", "fragment"),
    [
        (make_policy(status="cancelled"), make_rule(), "cancelled"),
        (make_policy(), make_rule(ends_at=NOW - timedelta(1)), "ended"),
        (make_policy(), make_rule(branch_paths=("4401/",)), "branch"),
        (make_policy(distributions_by_rule={"R1": 1}), make_rule(), "at most 1"),
        (make_policy(), make_rule(all_policies=False), "all policies"),
        (make_policy(), make_rule(rewards=[make_reward(available=0)]), "out of stock"),
        (make_policy(), make_rule(rewards=[make_reward(usable=False)]), "cannot be given"),
        (make_policy(), make_rule(rewards=[rescue(quantity=3)]), "road rescue"),
        (make_policy(), make_rule(rewards=[]), "no rewards"),
    ],
)
def test_plan_rechecks_the_rule(policy, rule, fragment):
    with pytest.raises(PlanRefused) as refused:
        plan(policy, rule, EMPTY, NOW, {})
    assert any(fragment in r for r in refused.value.reasons)
    assert fragment in str(refused.value)


def test_plan_checks_quotas_with_the_actual_choice():
    quota = make_quota(limit=Decimal(150))
    snapshot = QuotaSnapshot((quota,))
    assert plan(make_policy(), options_rule(), snapshot, NOW, {"A": 3, "B": 4}).total_value == 150
    with pytest.raises(PlanRefused) as refused:
        plan(make_policy(), options_rule(), snapshot, NOW, {"A": 2, "B": 4})
    assert refused.value.reasons == ("quota quota 1 has ¥150.00 left, ¥170.00 needed",)


def test_plan_needs_approval_strictly_above_the_threshold():
    rule = make_rule(approval_threshold=Decimal(100))
    assert not plan(make_policy(), rule, EMPTY, NOW, {}).needs_approval
    rule = make_rule(approval_threshold=Decimal("99.99"))
    assert plan(make_policy(), rule, EMPTY, NOW, {}).needs_approval
    assert not plan(make_policy(), make_rule(), EMPTY, NOW, {}).needs_approval


def test_plan_ignores_exclusivity():
    rule = make_rule("LOW", priority=1)
    assert plan(make_policy(), rule, EMPTY, NOW, {}).rule_code == "LOW"


# ------------------------------------------------------------------ determinism


def test_determinism_and_input_order():
    quota = make_quota(limit=Decimal(300))
    rules = [
        options_rule(code="X", priority=2),
        make_rule("Y", [make_reward(7)], priority=2, exclusive=True),
        make_rule("Z", [make_reward(8)], priority=1),
    ]
    snapshot = QuotaSnapshot((quota,))
    first = evaluate(make_policy(), rules, snapshot, NOW)
    assert evaluate(make_policy(), list(reversed(rules)), snapshot, NOW) == first
    assert evaluate(make_policy(), rules, snapshot, NOW) == first
    assert [v.rule_code for v in first.verdicts] == ["X", "Y", "Z"]
    assert [v.rule_code for v in first.matched] == ["X", "Y"]
