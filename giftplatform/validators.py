"""Identifiers of the trade, checked by the libraries that own them.

Each ``normalize_*`` returns the canonical form or raises ``ValidationError`` with a
reason in the user's language; each ``validate_*`` is the Django field validator.
"""

import re

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from stdnum.cn import ric, uscc
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength
from vininfo import Vin

# Full-width ASCII (what a Chinese IME types) folded to half-width.
_FULLWIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
_FULLWIDTH[0x3000] = 0x20


def fold_width(value: str) -> str:
    return value.translate(_FULLWIDTH)


def _compact(value: object) -> str:
    return re.sub(r"[\s\-]", "", fold_width(str(value))).upper()


# --- VIN (ISO 3779 / GB 16735) ---------------------------------------------------------

_VIN_RE = re.compile(r"^[A-HJ-NPR-Z0-9]{17}$")


def normalize_vin(value: object) -> str:
    vin = _compact(value)
    if len(vin) != 17:
        raise ValidationError(_("VIN must have 17 characters, not %(n)d."), params={"n": len(vin)})
    if re.search(r"[IOQ]", vin):
        raise ValidationError(_("VIN may not contain the letters I, O or Q."))
    if not _VIN_RE.match(vin):
        raise ValidationError(_("VIN may contain only letters and digits."))
    # Model-year letters are not checked: Chinese makers use all of them.
    if not Vin(vin).verify_checksum(check_year=False):
        raise ValidationError(_("VIN check digit (9th character) is wrong."))
    return vin


def validate_vin(value: str) -> None:
    normalize_vin(value)


def vin_with_check_digit(vin: str) -> str:
    """``vin`` with its 9th character replaced by the check digit that vininfo accepts."""
    for digit in "0123456789X":
        candidate = f"{vin[:8]}{digit}{vin[9:]}"
        if Vin(candidate).verify_checksum(check_year=False):
            return candidate
    raise ValueError(f"no check digit makes {vin!r} valid")


# --- Resident ID number (GB 11643) -----------------------------------------------------


def normalize_resident_id(value: object) -> str:
    number = _compact(value)
    try:
        return ric.validate(number)
    except InvalidLength as exc:
        raise ValidationError(_("ID number must have 18 characters.")) from exc
    except InvalidFormat as exc:
        raise ValidationError(_("ID number has characters that are not allowed.")) from exc
    except InvalidComponent as exc:
        raise ValidationError(_("ID number has an invalid birth date or region.")) from exc
    except InvalidChecksum as exc:
        raise ValidationError(_("ID number check digit is wrong.")) from exc


def validate_resident_id(value: str) -> None:
    normalize_resident_id(value)


# --- Unified social credit code (GB 32100) ---------------------------------------------


def normalize_uscc(value: object) -> str:
    code = _compact(value)
    try:
        return uscc.validate(code)
    except InvalidLength as exc:
        raise ValidationError(_("Unified social credit code must have 18 characters.")) from exc
    except InvalidChecksum as exc:
        raise ValidationError(_("Unified social credit code check digit is wrong.")) from exc
    except (InvalidFormat, InvalidComponent) as exc:
        raise ValidationError(
            _("Unified social credit code has characters that are not allowed.")
        ) from exc


def validate_uscc(value: str) -> None:
    normalize_uscc(value)


# --- Mainland mobile number ------------------------------------------------------------


def normalize_mobile(value: object) -> str:
    raw = _compact(value).removeprefix("+86").removeprefix("0086")
    if not raw.isdigit() or len(raw) != 11 or not raw.startswith("1"):
        raise ValidationError(_("Mobile number must be 11 digits starting with 1."))
    parsed = phonenumbers.parse(raw, "CN")
    if not phonenumbers.is_valid_number(parsed) or phonenumbers.number_type(parsed) not in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    ):
        raise ValidationError(_("Not a valid mainland mobile number."))
    return raw


def validate_mobile(value: str) -> None:
    normalize_mobile(value)


# --- Plate numbers (GA 36: ordinary 7 characters, new-energy 8) ------------------------

PROVINCE_ABBREVIATIONS = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
_ORDINARY_PLATE = re.compile(
    rf"^[{PROVINCE_ABBREVIATIONS}][A-HJ-NP-Z][A-HJ-NP-Z0-9]{{4}}[A-HJ-NP-Z0-9挂学警港澳]$"
)
# New energy: small cars D/F + 5 (letter D/F then digits...), large vehicles digits + D/F.
_NEW_ENERGY_PLATE = re.compile(
    rf"^[{PROVINCE_ABBREVIATIONS}][A-HJ-NP-Z]"
    r"(?:[DF][A-HJ-NP-Z0-9][0-9]{4}|[0-9]{5}[DF])$"
)


def normalize_plate(value: object) -> str:
    plate = _compact(value).replace("·", "").replace("•", "")
    if _ORDINARY_PLATE.match(plate) or _NEW_ENERGY_PLATE.match(plate):
        return plate
    raise ValidationError(_("Not a valid plate number: %(plate)s"), params={"plate": plate})


def validate_plate(value: str) -> None:
    normalize_plate(value)
