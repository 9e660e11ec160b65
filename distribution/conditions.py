"""Rule conditions: the whitelist of policy attributes, their operators, value checks
and the verdict of a condition on one policy. Pure: no ORM, no clock.

Values are stored as JSON: money as a string with two decimals ("5000.00"),
dates as "YYYY-MM-DD", lists for in / not_in, [low, high] for between, and a
bool for is_empty. ``clean_condition`` turns what an admin typed into that form;
``condition_holds`` reads it back.

Text comparisons ignore case and surrounding spaces (agent and channel codes
are typed by hand). A missing attribute value (None or "") fails every operator
except is_empty and ne.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from itertools import groupby
from operator import eq, ge, gt, le, lt, ne
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from distribution.quota_math import CENT, format_money
from distribution.specs import ConditionSpec, PolicyFacts

# Attribute types.
CHOICE, MONEY, TEXT, INT, BOOL, DATE = "choice", "money", "text", "int", "bool", "date"

# Operators: code -> how a reason shows it.
OPERATORS: dict[str, Any] = {
    "eq": "=",
    "ne": "!=",
    "in": gettext_lazy("in"),
    "not_in": gettext_lazy("not in"),
    "gt": ">",
    "gte": ">=",
    "lt": "<",
    "lte": "<=",
    "between": gettext_lazy("between"),
    "startswith": gettext_lazy("starts with"),
    "is_empty": gettext_lazy("is empty"),
}
OPERATOR_CHOICES = list(OPERATORS.items())

_ORDERED = ("eq", "ne", "in", "not_in", "gt", "gte", "lt", "lte", "between", "is_empty")
TYPE_OPERATORS: dict[str, tuple[str, ...]] = {
    CHOICE: ("eq", "ne", "in", "not_in", "is_empty"),
    TEXT: ("eq", "ne", "in", "not_in", "startswith", "is_empty"),
    BOOL: ("eq", "ne", "is_empty"),
    MONEY: _ORDERED,
    INT: _ORDERED,
    DATE: _ORDERED,
}


def vehicle_age(first_registration: date | None, today: date) -> int | None:
    """Whole years from the first registration to ``today`` (0 if registered in the future)."""
    if first_registration is None:
        return None
    years = today.year - first_registration.year
    if (today.month, today.day) < (first_registration.month, first_registration.day):
        years -= 1
    return max(years, 0)


@dataclass(frozen=True)
class Attribute:
    name: str
    type: str
    label: Any  # lazy translation
    read: Callable[[PolicyFacts, date], Any]
    choices: tuple[tuple[str, Any], ...] = ()
    operators: tuple[str, ...] = ()  # () = every operator of the type

    def allowed_operators(self) -> tuple[str, ...]:
        return self.operators or TYPE_OPERATORS[self.type]


def _field(name: str) -> Callable[[PolicyFacts, date], Any]:
    return lambda facts, today: getattr(facts, name)


# Choice labels use the same msgids as policies.models.
PRODUCT_CHOICES = (
    ("ctpl", gettext_lazy("CTPL (compulsory)")),
    ("commercial", gettext_lazy("commercial")),
)
STATUS_CHOICES = (
    ("in_force", gettext_lazy("in force")),
    ("cancelled", gettext_lazy("cancelled")),
    ("expired", gettext_lazy("expired")),
)

ATTRIBUTES: dict[str, Attribute] = {
    a.name: a
    for a in (
        Attribute("product", CHOICE, gettext_lazy("product"), _field("product"), PRODUCT_CHOICES),
        Attribute("premium", MONEY, gettext_lazy("premium"), _field("premium")),
        Attribute("vehicle_type", TEXT, gettext_lazy("vehicle type"), _field("vehicle_type")),
        Attribute("usage", TEXT, gettext_lazy("usage"), _field("usage")),
        Attribute("seats", INT, gettext_lazy("seats"), _field("seats")),
        Attribute("is_new_car", BOOL, gettext_lazy("new car"), _field("is_new_car")),
        Attribute("is_renewal", BOOL, gettext_lazy("renewal"), _field("is_renewal")),
        Attribute("channel", TEXT, gettext_lazy("channel"), _field("channel")),
        Attribute("agent_code", TEXT, gettext_lazy("agent code"), _field("agent_code")),
        Attribute("branch", TEXT, gettext_lazy("branch"), _field("branch_code")),
        # The plate is compared by prefix only: in / not_in mean "starts with one of".
        Attribute(
            "plate_prefix",
            TEXT,
            gettext_lazy("plate"),
            _field("plate"),
            operators=("startswith", "in", "not_in", "is_empty"),
        ),
        Attribute(
            "first_registration_date",
            DATE,
            gettext_lazy("first registration"),
            _field("first_registration_date"),
        ),
        Attribute(
            "vehicle_age",
            INT,
            gettext_lazy("vehicle age"),
            lambda facts, today: vehicle_age(facts.first_registration_date, today),
        ),
        Attribute("issue_date", DATE, gettext_lazy("issue date"), _field("issue_date")),
        Attribute("status", CHOICE, gettext_lazy("status"), _field("status"), STATUS_CHOICES),
    )
}
ATTRIBUTE_CHOICES = [(a.name, a.label) for a in ATTRIBUTES.values()]


# ---------------------------------------------------------------- cleaning

_SEPARATORS = re.compile(r"\s*[,，、;；]\s*")
_TRUE = {"true", "1", "yes", "y", "是", "真"}
_FALSE = {"false", "0", "no", "n", "否", "假"}


def _invalid(attribute: Attribute, message: str, **params: Any) -> ValidationError:
    return ValidationError(
        _("%(label)s: %(problem)s") % {"label": attribute.label, "problem": message % params},
        code="invalid",
    )


def _clean_scalar(attribute: Attribute, value: Any) -> Any:
    """One value of the attribute's type, in its JSON form."""
    kind = attribute.type
    if isinstance(value, str):
        value = value.strip()
    if value is None or value == "":
        raise _invalid(attribute, _("a value is required"))
    if kind == BOOL:
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise _invalid(attribute, _("%(value)s is not yes or no"), value=value)
    if kind in (MONEY, INT):
        problem = (
            _("%(value)s is not an amount")
            if kind == MONEY
            else _("%(value)s is not a whole number")
        )
        text = str(value)
        for noise in ("¥", "￥", "元", ",") if kind == MONEY else ():
            text = text.replace(noise, "")
        try:
            number = None if isinstance(value, bool) else Decimal(text.strip())
        except InvalidOperation:
            number = None
        if number is None or not number.is_finite():
            raise _invalid(attribute, problem, value=value)
        if number < 0:
            raise _invalid(attribute, _("%(value)s is negative"), value=value)
        if kind == INT:
            if number != number.to_integral_value():
                raise _invalid(attribute, problem, value=value)
            return int(number)
        if number != number.quantize(CENT):
            raise _invalid(attribute, _("%(value)s has more than 2 decimal places"), value=value)
        return str(number.quantize(CENT))
    if kind == DATE:
        if isinstance(value, datetime):
            value = value.date()
        if isinstance(value, date):
            return value.isoformat()
        text = str(value).replace("/", "-").replace(".", "-")
        try:
            return date.fromisoformat(text).isoformat()
        except ValueError:
            try:
                return datetime.strptime(text, "%Y-%m-%d").date().isoformat()
            except ValueError:
                raise _invalid(
                    attribute, _("%(value)s is not a date (YYYY-MM-DD)"), value=value
                ) from None
    if kind == CHOICE:
        text = str(value).strip()
        for code, label in attribute.choices:
            if text.lower() == code or text == str(label):
                return code
        raise _invalid(
            attribute,
            _("%(value)s is not one of %(allowed)s"),
            value=value,
            allowed=", ".join(code for code, _label in attribute.choices),
        )
    # TEXT
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise _invalid(attribute, _("%(value)s is not text"), value=value)
    text = str(value).strip()
    if len(text) > 100:
        raise _invalid(attribute, _("the text is longer than 100 characters"))
    return text


def _as_list(value: Any) -> list[Any]:
    if isinstance(value, str):
        return [part for part in _SEPARATORS.split(value.strip()) if part != ""]
    if isinstance(value, list | tuple):
        return list(value)
    return [value]


def clean_condition(attribute: str, operator: str, value: Any) -> Any:
    """Check a condition as saved and return its value in JSON form.

    Raises ``ValidationError`` naming the attribute when the attribute is not on
    the whitelist, the operator does not apply to its type, or the value does
    not fit.
    """
    attr = ATTRIBUTES.get(attribute)
    if attr is None:
        raise ValidationError(
            _("%(attribute)s is not a policy attribute rules may use") % {"attribute": attribute},
            code="invalid",
        )
    if operator not in attr.allowed_operators():
        raise _invalid(
            attr,
            _("operator %(operator)s does not apply; use one of %(allowed)s"),
            operator=operator,
            allowed=", ".join(attr.allowed_operators()),
        )
    if operator == "is_empty":
        return _clean_scalar(Attribute(attr.name, BOOL, attr.label, attr.read), value)
    if operator in ("in", "not_in"):
        items = [_clean_scalar(attr, item) for item in _as_list(value)]
        if not items:
            raise _invalid(attr, _("give at least one value"))
        return list(dict.fromkeys(items))
    if operator == "between":
        items = _as_list(value)
        if len(items) != 2:
            raise _invalid(attr, _("between needs two values, low and high"))
        low, high = (_clean_scalar(attr, item) for item in items)
        if _native(attr, low) > _native(attr, high):
            raise _invalid(
                attr,
                _("the low value %(low)s is above the high value %(high)s"),
                low=low,
                high=high,
            )
        return [low, high]
    return _clean_scalar(attr, value)


def _native(attr: Attribute, value: Any) -> Any:
    """A cleaned JSON value as the Python value it is compared as."""
    if attr.type == MONEY:
        return Decimal(value)
    if attr.type == DATE:
        return date.fromisoformat(value)
    if attr.type == TEXT:
        return value.casefold()
    return value


@lru_cache(maxsize=4096)
def _expected(attribute: str, operator: str, frozen: Any) -> tuple[Any, Any]:
    """The stored value cleaned (to show) and native (to compare with).

    Cached: the same few rules are evaluated against many policies."""
    value = list(frozen) if isinstance(frozen, tuple) else frozen
    cleaned = clean_condition(attribute, operator, value)
    attr = ATTRIBUTES[attribute]
    if operator == "is_empty":
        return cleaned, cleaned
    if isinstance(cleaned, list):
        return tuple(cleaned), tuple(_native(attr, v) for v in cleaned)
    return cleaned, _native(attr, cleaned)


def _freeze(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return tuple(_freeze(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted(value.items()))
    return value


# ---------------------------------------------------------------- verdicts


def _show(attr: Attribute, value: Any) -> str:
    """A value as a reason shows it."""
    if value is None or value == "":
        return _("(empty)")
    if attr.type == MONEY:
        return format_money(Decimal(value))
    if attr.type == BOOL:
        return _("yes") if value else _("no")
    if attr.type == DATE:
        return value.isoformat() if isinstance(value, date) else str(value)
    if attr.type == CHOICE:
        return str(dict(attr.choices).get(value, value))
    return str(value)


def _show_expected(attr: Attribute, operator: str, expected: Any) -> str:
    if operator == "between":
        return "[%s, %s]" % (_show(attr, expected[0]), _show(attr, expected[1]))  # noqa: UP031
    if isinstance(expected, tuple):
        return "、".join(_show(attr, v) for v in expected)
    return _show(attr, expected)


_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "eq": eq,
    "ne": ne,
    "in": lambda actual, expected: actual in expected,
    "not_in": lambda actual, expected: actual not in expected,
    "gt": gt,
    "gte": ge,
    "lt": lt,
    "lte": le,
    "between": lambda actual, expected: expected[0] <= actual <= expected[1],
    "startswith": lambda actual, expected: actual.startswith(expected),
}


def _compare(attr: Attribute, op: str, actual: Any, expected: Any) -> bool:
    if attr.type == TEXT:
        actual = str(actual).strip().casefold()
    if attr.name == "plate_prefix" and op in ("in", "not_in"):
        hit = any(actual.startswith(prefix) for prefix in expected)
        return hit if op == "in" else not hit
    return _COMPARE[op](actual, expected)


def condition_holds(facts: PolicyFacts, cond: ConditionSpec, today: date) -> tuple[bool, str]:
    """Whether one condition holds for the policy, and why, in the active language.

    ``today`` is the evaluation date (vehicle age is counted to it). A condition
    whose stored value no longer passes ``clean_condition`` does not hold.
    """
    attr = ATTRIBUTES.get(cond.attribute)
    try:
        if attr is None:
            raise ValidationError("unknown attribute")
        shown, expected = _expected(cond.attribute, cond.operator, _freeze(cond.value))
    except (ValidationError, TypeError):
        return False, _("condition on %(attribute)s with %(operator)s %(value)s is invalid") % {
            "attribute": attr.label if attr else cond.attribute,
            "operator": cond.operator,
            "value": cond.value,
        }
    actual = attr.read(facts, today)
    missing = actual is None or (isinstance(actual, str) and actual.strip() == "")
    params = {"label": attr.label, "actual": _show(attr, actual), "op": OPERATORS[cond.operator]}
    if cond.operator == "is_empty":
        holds = missing == expected
        message = _("%(label)s is empty") if missing else _("%(label)s is %(actual)s, not empty")
        return holds, message % params
    params["expected"] = _show_expected(attr, cond.operator, shown)
    if missing:
        if cond.operator == "ne":
            return True, _("%(label)s is empty, so it satisfies %(op)s %(expected)s") % params
        return False, _("%(label)s is empty, so it does not satisfy %(op)s %(expected)s") % params
    if _compare(attr, cond.operator, actual, expected):
        return True, _("%(label)s %(actual)s satisfies %(op)s %(expected)s") % params
    return False, _("%(label)s %(actual)s does not satisfy %(op)s %(expected)s") % params


def conditions_hold(
    facts: PolicyFacts, conditions: Sequence[ConditionSpec], all_policies: bool, today: date
) -> tuple[bool, tuple[str, ...]]:
    """Groups ANDed inside, ORed across (groups in ascending number).

    Matched: the reasons of the first group that holds. Not matched: the first
    failing condition of each group. No conditions: matched only for a rule
    flagged for all policies.
    """
    if not conditions:
        if all_policies:
            return True, (_("the rule applies to all policies"),)
        return False, (_("the rule has no conditions and is not marked for all policies"),)
    failures: list[str] = []
    ordered = sorted(conditions, key=lambda c: c.group)
    for _group, members in groupby(ordered, key=lambda c: c.group):
        passed = _group_holds(facts, members, today)
        if passed[0]:
            return True, passed[1]
        failures.extend(passed[1])
    return False, tuple(failures)


def _group_holds(
    facts: PolicyFacts, members: Iterable[ConditionSpec], today: date
) -> tuple[bool, tuple[str, ...]]:
    reasons = []
    for cond in members:
        holds, reason = condition_holds(facts, cond, today)
        if not holds:
            return False, (reason,)
        reasons.append(reason)
    return True, tuple(reasons)
