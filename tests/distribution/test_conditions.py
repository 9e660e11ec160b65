"""Rule conditions: value cleaning, every operator on every type, groups, missing values."""

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from distribution.conditions import (
    ATTRIBUTES,
    TYPE_OPERATORS,
    clean_condition,
    condition_holds,
    conditions_hold,
    vehicle_age,
)
from distribution.specs import ConditionSpec, PolicyFacts

TODAY = date(2025, 10, 15)


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def facts(**changes) -> PolicyFacts:
    base = PolicyFacts(
        policy_id=1,
        policy_no="P1",
        product="commercial",
        premium=Decimal("4800.00"),
        vehicle_type="SUV",
        usage="private",
        seats=5,
        is_new_car=False,
        is_renewal=True,
        channel="agency",
        agent_code="A001",
        branch_code="440304",
        branch_path="4403/440304/",
        plate="粤B12345",
        first_registration_date=date(2020, 10, 16),
        issue_date=date(2025, 10, 1),
        status="in_force",
    )
    return replace(base, **changes)


def holds(attribute, operator, value, **changes) -> bool:
    cond = ConditionSpec(group=1, attribute=attribute, operator=operator, value=value)
    return condition_holds(facts(**changes), cond, TODAY)[0]


# ------------------------------------------------------------------ cleaning


@pytest.mark.parametrize(
    ("attribute", "operator", "value", "cleaned"),
    [
        ("premium", "gte", "5000", "5000.00"),
        ("premium", "gte", 5000, "5000.00"),
        ("premium", "gte", "¥5,000.5", "5000.50"),
        ("premium", "between", "3000, 5000", ["3000.00", "5000.00"]),
        ("premium", "in", ["3000", 4000.5], ["3000.00", "4000.50"]),
        ("seats", "lte", "5", 5),
        ("seats", "lte", 5.0, 5),
        ("seats", "in", "5、7，9", [5, 7, 9]),
        ("seats", "in", "5,5,7", [5, 7]),
        ("vehicle_age", "between", [0, 3], [0, 3]),
        ("is_new_car", "eq", "true", True),
        ("is_new_car", "eq", "否", False),
        ("is_new_car", "ne", 1, True),
        ("issue_date", "gte", "2025/10/01", "2025-10-01"),
        ("issue_date", "gte", date(2025, 10, 1), "2025-10-01"),
        (
            "first_registration_date",
            "between",
            ["2020-01-01", "2020-12-31"],
            ["2020-01-01", "2020-12-31"],
        ),
        ("product", "eq", "CTPL", "ctpl"),
        ("product", "in", "ctpl,commercial", ["ctpl", "commercial"]),
        ("status", "ne", "cancelled", "cancelled"),
        ("channel", "eq", "  agency ", "agency"),
        ("agent_code", "in", "A001，A002", ["A001", "A002"]),
        ("agent_code", "eq", 12345, "12345"),
        ("plate_prefix", "startswith", "粤B", "粤B"),
        ("plate_prefix", "in", "粤B、粤A", ["粤B", "粤A"]),
        ("vehicle_type", "is_empty", "false", False),
        ("seats", "is_empty", True, True),
    ],
)
def test_clean_accepts_and_normalizes(attribute, operator, value, cleaned):
    assert clean_condition(attribute, operator, value) == cleaned


def test_clean_chinese_choice_label():
    with translation.override("zh-hans"):
        label = str(ATTRIBUTES["status"].choices[0][1])
        assert clean_condition("status", "eq", label) == "in_force"


@pytest.mark.parametrize(
    ("attribute", "operator", "value", "fragment"),
    [
        ("horsepower", "eq", 1, "horsepower"),
        ("premium", "gte", "lots", "premium"),
        ("premium", "gte", "-1", "negative"),
        ("premium", "gte", "1.005", "2 decimal"),
        ("premium", "gte", "NaN", "amount"),
        ("premium", "gte", True, "amount"),
        ("premium", "gte", "", "required"),
        ("premium", "gte", None, "required"),
        ("premium", "startswith", "5", "startswith"),
        ("premium", "between", ["5000", "3000"], "above"),
        ("premium", "between", ["5000"], "two values"),
        ("premium", "in", [], "at least one"),
        ("premium", "in", "", "at least one"),
        ("seats", "gt", "5.5", "whole number"),
        ("seats", "gt", "five", "whole number"),
        ("seats", "gt", True, "whole number"),
        ("seats", "gt", -1, "negative"),
        ("is_new_car", "eq", "maybe", "yes or no"),
        ("is_new_car", "gt", True, "does not apply"),
        ("is_new_car", "in", [True], "does not apply"),
        ("product", "eq", "life", "ctpl"),
        ("product", "gt", "ctpl", "does not apply"),
        ("product", "startswith", "c", "does not apply"),
        ("status", "eq", "lapsed", "in_force"),
        ("issue_date", "gte", "2025-13-01", "YYYY-MM-DD"),
        ("issue_date", "gte", "yesterday", "YYYY-MM-DD"),
        ("issue_date", "between", ["2025-12-01", "2025-01-01"], "above"),
        ("issue_date", "startswith", "2025", "does not apply"),
        ("channel", "gt", "a", "does not apply"),
        ("channel", "eq", ["a"], "text"),
        ("channel", "eq", "x" * 101, "100"),
        ("plate_prefix", "eq", "粤B", "does not apply"),
        ("seats", "is_empty", "perhaps", "yes or no"),
        ("seats", "frobnicate", 1, "does not apply"),
    ],
)
def test_clean_refuses_with_a_clear_message(attribute, operator, value, fragment):
    with pytest.raises(ValidationError) as raised:
        clean_condition(attribute, operator, value)
    message = " ".join(raised.value.messages)
    assert fragment in message
    label = ATTRIBUTES[attribute].label if attribute in ATTRIBUTES else attribute
    assert str(label) in message


def test_every_attribute_has_a_label_and_operators():
    for attribute in ATTRIBUTES.values():
        assert str(attribute.label)
        assert set(attribute.allowed_operators()) <= set(TYPE_OPERATORS[attribute.type]) | {
            "startswith"
        }
        assert "is_empty" in attribute.allowed_operators()
        assert attribute.read(facts(), TODAY) is not None or attribute.name == "vehicle_age"


# ------------------------------------------------------------------ operators × types

# (attribute, operator, value, expected verdict on facts()); facts(): commercial,
# ¥4,800, SUV, private, 5 seats, not new, renewal, agency, A001, 440304, 粤B12345,
# registered 2020-10-16 (4 years old on TODAY), issued 2025-10-01, in force.
CASES = [
    # choice
    ("product", "eq", "commercial", True),
    ("product", "eq", "ctpl", False),
    ("product", "ne", "ctpl", True),
    ("product", "in", ["ctpl", "commercial"], True),
    ("product", "not_in", ["commercial"], False),
    ("status", "eq", "in_force", True),
    ("status", "in", ["cancelled", "expired"], False),
    # money
    ("premium", "eq", "4800", True),
    ("premium", "ne", "4800", False),
    ("premium", "in", ["4800", "5000"], True),
    ("premium", "not_in", ["4800"], False),
    ("premium", "gt", "4799.99", True),
    ("premium", "gt", "4800", False),
    ("premium", "gte", "4800", True),
    ("premium", "gte", "4800.01", False),
    ("premium", "lt", "4800.01", True),
    ("premium", "lt", "4800", False),
    ("premium", "lte", "4800", True),
    ("premium", "lte", "4799.99", False),
    ("premium", "between", ["4800", "5000"], True),
    ("premium", "between", ["3000", "4800"], True),
    ("premium", "between", ["4800.01", "5000"], False),
    # int
    ("seats", "eq", 5, True),
    ("seats", "ne", 5, False),
    ("seats", "in", [5, 7], True),
    ("seats", "not_in", [5, 7], False),
    ("seats", "gt", 4, True),
    ("seats", "gt", 5, False),
    ("seats", "gte", 5, True),
    ("seats", "lt", 5, False),
    ("seats", "lte", 5, True),
    ("seats", "between", [2, 5], True),
    ("seats", "between", [6, 9], False),
    ("vehicle_age", "eq", 4, True),
    ("vehicle_age", "lte", 3, False),
    ("vehicle_age", "between", [3, 5], True),
    # bool
    ("is_new_car", "eq", False, True),
    ("is_new_car", "eq", True, False),
    ("is_new_car", "ne", True, True),
    ("is_renewal", "eq", True, True),
    # date
    ("issue_date", "eq", "2025-10-01", True),
    ("issue_date", "ne", "2025-10-01", False),
    ("issue_date", "in", ["2025-10-01"], True),
    ("issue_date", "not_in", ["2025-10-01"], False),
    ("issue_date", "gt", "2025-09-30", True),
    ("issue_date", "gte", "2025-10-02", False),
    ("issue_date", "lt", "2025-10-01", False),
    ("issue_date", "lte", "2025-10-01", True),
    ("issue_date", "between", ["2025-10-01", "2025-12-31"], True),
    ("first_registration_date", "lt", "2021-01-01", True),
    # text (case and spaces ignored)
    ("vehicle_type", "eq", "suv", True),
    ("vehicle_type", "ne", "SUV", False),
    ("usage", "in", ["private", "business"], True),
    ("usage", "not_in", ["private"], False),
    ("channel", "startswith", "AG", True),
    ("channel", "startswith", "bank", False),
    ("agent_code", "eq", "A001", True),
    ("branch", "eq", "440304", True),
    ("branch", "startswith", "4403", True),
    ("branch", "in", ["440305"], False),
    # plate prefix
    ("plate_prefix", "startswith", "粤B", True),
    ("plate_prefix", "startswith", "粤A", False),
    ("plate_prefix", "in", ["粤A", "粤B"], True),
    ("plate_prefix", "not_in", ["粤B"], False),
    ("plate_prefix", "not_in", ["粤A"], True),
    # is_empty
    ("vehicle_type", "is_empty", True, False),
    ("vehicle_type", "is_empty", False, True),
    ("seats", "is_empty", False, True),
    ("first_registration_date", "is_empty", True, False),
    ("product", "is_empty", False, True),
    ("premium", "is_empty", True, False),
    ("issue_date", "is_empty", False, True),
    ("vehicle_type", "startswith", "S", True),
    ("is_new_car", "is_empty", True, False),
    ("vehicle_type", "in", ["SUV", "MPV"], True),
    ("vehicle_type", "not_in", ["MPV"], True),
]


@pytest.mark.parametrize(("attribute", "operator", "value", "expected"), CASES)
def test_operator_on_type(attribute, operator, value, expected):
    assert holds(attribute, operator, value) is expected


def test_every_operator_of_every_type_is_exercised():
    tried = {(ATTRIBUTES[a].type, op) for a, op, _value, _expected in CASES}
    for kind, operators in TYPE_OPERATORS.items():
        for operator in operators:
            assert (kind, operator) in tried, (kind, operator)


def test_reasons_name_label_value_and_operator():
    cond = ConditionSpec(group=1, attribute="seats", operator="lte", value=5)
    ok, reason = condition_holds(facts(seats=7), cond, TODAY)
    assert not ok
    assert reason == "seats 7 does not satisfy <= 5"
    ok, reason = condition_holds(facts(seats=5), cond, TODAY)
    assert ok
    assert "seats 5" in reason and "does not" not in reason


def test_money_reason_is_formatted():
    cond = ConditionSpec(group=1, attribute="premium", operator="gte", value="5000")
    ok, reason = condition_holds(facts(premium=Decimal("1234.5")), cond, TODAY)
    assert not ok
    assert "¥1,234.50" in reason and "¥5,000.00" in reason


def test_reason_follows_the_active_language():
    cond = ConditionSpec(group=1, attribute="seats", operator="lte", value=5)
    with translation.override("zh-hans"):
        _ok, reason = condition_holds(facts(seats=7), cond, TODAY)
        label = str(ATTRIBUTES["seats"].label)
    assert reason.startswith(label)
    assert "7" in reason and "<= 5" in reason


def test_invalid_stored_value_fails_instead_of_raising():
    cond = ConditionSpec(group=1, attribute="seats", operator="lte", value="many")
    ok, reason = condition_holds(facts(), cond, TODAY)
    assert not ok and "invalid" in reason
    unknown = ConditionSpec(group=1, attribute="colour", operator="eq", value="red")
    assert condition_holds(facts(), unknown, TODAY)[0] is False


# ------------------------------------------------------------------ missing values


@pytest.mark.parametrize(
    ("attribute", "operator", "value", "missing"),
    [
        ("seats", "eq", 5, {"seats": None}),
        ("seats", "gt", 0, {"seats": None}),
        ("seats", "lt", 100, {"seats": None}),
        ("seats", "not_in", [5], {"seats": None}),
        ("seats", "between", [0, 100], {"seats": None}),
        ("vehicle_age", "gte", 0, {"first_registration_date": None}),
        ("vehicle_type", "eq", "SUV", {"vehicle_type": ""}),
        ("channel", "startswith", "a", {"channel": "  "}),
        ("plate_prefix", "startswith", "粤", {"plate": ""}),
        ("plate_prefix", "not_in", ["粤A"], {"plate": ""}),
        ("first_registration_date", "lt", "2030-01-01", {"first_registration_date": None}),
    ],
)
def test_missing_value_fails_every_operator(attribute, operator, value, missing):
    cond = ConditionSpec(group=1, attribute=attribute, operator=operator, value=value)
    ok, reason = condition_holds(facts(**missing), cond, TODAY)
    assert not ok
    assert "empty" in reason


def test_missing_value_satisfies_ne_and_is_empty():
    assert holds("seats", "ne", 5, seats=None)
    assert holds("seats", "is_empty", True, seats=None)
    assert not holds("seats", "is_empty", False, seats=None)
    assert holds("vehicle_age", "is_empty", True, first_registration_date=None)


# ------------------------------------------------------------------ vehicle age


@pytest.mark.parametrize(
    ("registered", "today", "age"),
    [
        (date(2020, 10, 16), date(2025, 10, 15), 4),
        (date(2020, 10, 15), date(2025, 10, 15), 5),
        (date(2025, 10, 1), date(2025, 10, 15), 0),
        (date(2020, 2, 29), date(2021, 2, 28), 0),
        (date(2020, 2, 29), date(2021, 3, 1), 1),
        (date(2026, 1, 1), date(2025, 10, 15), 0),
        (None, date(2025, 10, 15), None),
    ],
)
def test_vehicle_age_in_whole_years(registered, today, age):
    assert vehicle_age(registered, today) == age


def test_vehicle_age_condition_counts_to_the_evaluation_date():
    cond = ConditionSpec(group=1, attribute="vehicle_age", operator="gte", value=5)
    policy = facts(first_registration_date=date(2020, 10, 16))
    assert not condition_holds(policy, cond, date(2025, 10, 15))[0]
    assert condition_holds(policy, cond, date(2025, 10, 16))[0]


# ------------------------------------------------------------------ groups

NEW_CAR_OR_RICH_RENEWAL = (
    ConditionSpec(group=1, attribute="is_new_car", operator="eq", value=True),
    ConditionSpec(group=2, attribute="is_renewal", operator="eq", value=True),
    ConditionSpec(group=2, attribute="premium", operator="gte", value="5000.00"),
)


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"is_new_car": True, "is_renewal": False, "premium": Decimal(100)}, True),
        ({"is_new_car": False, "is_renewal": True, "premium": Decimal(5000)}, True),
        ({"is_new_car": False, "is_renewal": True, "premium": Decimal("4999.99")}, False),
        ({"is_new_car": False, "is_renewal": False, "premium": Decimal(9000)}, False),
        ({"is_new_car": True, "is_renewal": True, "premium": Decimal(9000)}, True),
    ],
)
def test_groups_and_inside_or_across(changes, expected):
    ok, reasons = conditions_hold(facts(**changes), NEW_CAR_OR_RICH_RENEWAL, False, TODAY)
    assert ok is expected
    assert reasons


def test_group_reasons():
    ok, reasons = conditions_hold(
        facts(is_new_car=False, is_renewal=True, premium=Decimal(6000)),
        NEW_CAR_OR_RICH_RENEWAL,
        False,
        TODAY,
    )
    assert ok
    assert len(reasons) == 2  # the two conditions of the group that matched
    assert all("does not" not in r for r in reasons)

    ok, reasons = conditions_hold(
        facts(is_new_car=False, is_renewal=True, premium=Decimal(100)),
        NEW_CAR_OR_RICH_RENEWAL,
        False,
        TODAY,
    )
    assert not ok
    assert len(reasons) == 2  # the failing condition of each group
    assert "new car" in reasons[0] and "premium" in reasons[1]


def test_group_order_does_not_depend_on_input_order():
    shuffled = tuple(reversed(NEW_CAR_OR_RICH_RENEWAL))
    policy = facts(is_new_car=True, is_renewal=True, premium=Decimal(9000))
    assert conditions_hold(policy, shuffled, False, TODAY) == conditions_hold(
        policy, NEW_CAR_OR_RICH_RENEWAL, False, TODAY
    )


def test_no_conditions_needs_all_policies():
    ok, reasons = conditions_hold(facts(), (), True, TODAY)
    assert ok and reasons
    ok, reasons = conditions_hold(facts(), (), False, TODAY)
    assert not ok
    assert "all policies" in reasons[0]


def test_all_policies_does_not_override_conditions():
    cond = (ConditionSpec(group=1, attribute="seats", operator="gt", value=5),)
    assert conditions_hold(facts(), cond, True, TODAY)[0] is False
