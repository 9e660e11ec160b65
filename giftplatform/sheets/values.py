"""Cell values as office workers write them, normalized to proper types.

Every parser takes a raw cell (str, int, float, bool, date, datetime or None, as
python-calamine or the csv module return it) and returns a clean value or raises
``ValidationError`` with a reason in the user's language. Empty cells are handled
by the caller (``is_blank``), so parsers never see them.
"""

import datetime
import re
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from giftplatform.validators import fold_width

CENT = Decimal("0.01")
EXCEL_EPOCH = datetime.date(1899, 12, 30)
# Serial numbers Excel uses for 1950-01-01 .. 2100-12-31; outside that a number is not a date.
_SERIAL_RANGE = (18264, 73415)

_SPACES = re.compile(r"\s+")
_INT_NOISE = re.compile(r"[,，\s]")
MAX_AMOUNT = Decimal("1000000000000")
_MONEY_NOISE = re.compile(r"[¥￥,，\s]|元|人民币|RMB|CNY", re.IGNORECASE)
_DATE_PATTERNS = (
    re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)
TRUE_WORDS = frozenset({"是", "y", "yes", "true", "1", "√", "✓", "有", "对"})
FALSE_WORDS = frozenset({"否", "n", "no", "false", "0", "×", "✗", "无", "不"})


def is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def to_text(value: object) -> str:
    """Free text as typed (names keep their Chinese punctuation, e.g. 玻璃水（4瓶装）);
    numbers Excel stored for codes lose their '.0'."""
    if type(value) is str:
        return value.strip()
    if isinstance(value, bool):
        text = "TRUE" if value else "FALSE"
    elif isinstance(value, float):
        text = str(int(value)) if value.is_integer() else repr(value)
    elif isinstance(value, datetime.datetime):
        text = value.date().isoformat() if value.time() == datetime.time() else value.isoformat()
    elif isinstance(value, datetime.date):
        text = value.isoformat()
    else:
        text = str(value)
    return text.strip()


def to_plain(value: object) -> str:
    """Text with full-width letters, digits and signs folded (what an IME types): for
    codes, numbers, dates and words from a fixed list, never for free text."""
    text = to_text(value)
    return text if text.isascii() else fold_width(text).strip()


def to_code(value: object) -> str:
    """An identifier: text without inner spaces, upper case."""
    if value.__class__ is str and value.isascii() and value.isalnum():  # the usual cell
        return value.upper()
    return _SPACES.sub("", to_plain(value)).upper()


def to_money(value: object) -> Decimal:
    if isinstance(value, bool):
        raise ValidationError(_("Not an amount."))
    if isinstance(value, int):
        amount = Decimal(value)
    elif isinstance(value, float):
        # Excel keeps 15 significant digits: =3280*1.1 is stored as 3608.0000000000005
        # and shown as 3608.00, which is what the user means.
        amount = Decimal(f"{value:.15g}")
    else:
        text = _MONEY_NOISE.sub("", to_plain(value))
        try:
            amount = Decimal(text)
        except InvalidOperation:
            raise ValidationError(_("Not an amount: %(value)s"), params={"value": value}) from None
    if not amount.is_finite():
        raise ValidationError(_("Not an amount: %(value)s"), params={"value": value})
    try:
        cents = amount.quantize(CENT)
    except InvalidOperation:  # more digits than a Decimal holds: far beyond any amount
        raise ValidationError(_("Amount is too large.")) from None
    if amount != cents:
        raise ValidationError(_("An amount has at most 2 decimal places."))
    if amount < 0:
        raise ValidationError(_("An amount cannot be negative."))
    if amount >= MAX_AMOUNT:
        raise ValidationError(_("Amount is too large."))
    return cents


def to_int(value: object) -> int:
    if isinstance(value, bool):
        raise ValidationError(_("Not a whole number."))
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if value.is_integer():
            return int(value)
        raise ValidationError(_("Not a whole number: %(value)s"), params={"value": value})
    text = _INT_NOISE.sub("", to_plain(value)).removesuffix("个").removesuffix("件")
    text = text.removesuffix("次").removesuffix("张").removesuffix(".0")
    try:
        return int(text)
    except ValueError:
        raise ValidationError(_("Not a whole number: %(value)s"), params={"value": value}) from None


def to_non_negative_int(value: object) -> int:
    number = to_int(value)
    if number < 0:
        raise ValidationError(_("Must not be negative."))
    return number


def to_positive_int(value: object) -> int:
    number = to_int(value)
    if number <= 0:
        raise ValidationError(_("Must be greater than zero."))
    return number


def to_date(value: object) -> datetime.date:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        if _SERIAL_RANGE[0] <= value <= _SERIAL_RANGE[1]:
            return EXCEL_EPOCH + datetime.timedelta(days=int(value))
        if isinstance(value, int) or value.is_integer():
            value = str(int(value))  # 20261103 typed as a number
        else:
            raise ValidationError(_("Not a date: %(value)s"), params={"value": value})
    text = to_plain(value).replace(" ", " ")
    if text.isdigit() and len(text) == 5 and _SERIAL_RANGE[0] <= int(text) <= _SERIAL_RANGE[1]:
        return EXCEL_EPOCH + datetime.timedelta(days=int(text))  # a serial stored as text
    for pattern in _DATE_PATTERNS:
        match = pattern.match(text)
        if match:
            year, month, day = (int(part) for part in match.groups())
            try:
                return datetime.date(year, month, day)
            except ValueError:
                break
    raise ValidationError(_("Not a date: %(value)s"), params={"value": value})


def to_bool(value: object) -> bool:
    if isinstance(value, bool):
        return value
    word = to_plain(value).lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValidationError(_("Write 是 or 否, not %(value)s."), params={"value": value})


def choice_parser(labels: dict[str, str]):
    """A parser mapping any of ``labels`` (lower-cased words) to a stored value."""
    lookup = {fold_width(key).strip().lower(): value for key, value in labels.items()}
    options = "、".join(dict.fromkeys(k for k in labels if not k.isascii())) or ", ".join(labels)

    def parse(value: object) -> str:
        word = to_plain(value).lower()
        try:
            return lookup[word]
        except KeyError:
            raise ValidationError(
                _("%(value)s is not one of: %(options)s"),
                params={"value": value, "options": options},
            ) from None

    return parse
