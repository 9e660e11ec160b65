"""Identifiers of the trade, checked by the libraries that own them.

Each ``normalize_*`` returns the canonical form or raises ``ValidationError`` with a
reason in the user's language; each ``validate_*`` is the Django field validator.
"""

import datetime
import re
from functools import lru_cache
from operator import mul

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from stdnum import numdb
from stdnum.cn import ric, uscc
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength

# Full-width ASCII (what a Chinese IME types) folded to half-width.
_FULLWIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
_FULLWIDTH[0x3000] = 0x20


def fold_width(value: str) -> str:
    return value.translate(_FULLWIDTH)


_SEPARATORS = re.compile(r"[\s\-]")


def _compact(value: object) -> str:
    text = value if isinstance(value, str) else str(value)
    if text.isascii() and text.isalnum():  # the usual case, on the import hot path
        return text.upper()
    return _SEPARATORS.sub("", fold_width(text)).upper()


# --- VIN (ISO 3779 / GB 16735) ---------------------------------------------------------

_VIN_RE = re.compile(r"^[A-HJ-NPR-Z0-9]{17}$")
_VIN_FORBIDDEN = re.compile(r"[IOQ]")
# ISO 3779 transliteration (letters count 1-9 in runs; I, O, Q never occur) and weights.
_VIN_VALUES = {
    **{str(digit): digit for digit in range(10)},
    **dict(
        zip(
            "ABCDEFGHJKLMNPRSTUVWXYZ",
            (1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 7, 9, 2, 3, 4, 5, 6, 7, 8, 9),
            strict=True,
        )
    ),
}
_VIN_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)


# Byte -> transliterated value, so that one C-level translate maps a whole VIN.
_VIN_TABLE = bytes(_VIN_VALUES.get(chr(code), 0) for code in range(256))


def _vin_check_digit(vin: str) -> str:
    """ISO 3779 check digit of 17 VIN characters (already matched by ``_VIN_RE``)."""
    # Computed here rather than by vininfo: vininfo skips the check for makers it
    # believes use none (WMI 6FP), so a VIN's validity would depend on its maker.
    values = vin.encode("ascii").translate(_VIN_TABLE)
    remainder = sum(map(mul, values, _VIN_WEIGHTS)) % 11
    return "X" if remainder == 10 else str(remainder)


def normalize_vin(value: object) -> str:
    # Fast path: a VIN already in canonical form (the usual cell) needs no cleaning.
    if value.__class__ is str and _VIN_RE.fullmatch(value):
        if value[8] != _vin_check_digit(value):
            raise ValidationError(_("VIN check digit (9th character) is wrong."))
        return value
    vin = _compact(value)
    if len(vin) != 17:
        raise ValidationError(_("VIN must have 17 characters, not %(n)d."), params={"n": len(vin)})
    if _VIN_FORBIDDEN.search(vin):
        raise ValidationError(_("VIN may not contain the letters I, O or Q."))
    if not _VIN_RE.match(vin):
        raise ValidationError(_("VIN may contain only letters and digits."))
    # Model-year letters are not checked: Chinese makers use all of them.
    if vin[8] != _vin_check_digit(vin):
        raise ValidationError(_("VIN check digit (9th character) is wrong."))
    return vin


def validate_vin(value: str) -> None:
    normalize_vin(value)


def vin_with_check_digit(vin: str) -> str:
    """``vin`` with its 9th character replaced by its ISO 3779 check digit."""
    if not _VIN_RE.match(vin):
        raise ValueError(f"not 17 VIN characters: {vin!r}")
    return f"{vin[:8]}{_vin_check_digit(vin)}{vin[9:]}"


# --- Resident ID number (GB 11643) -----------------------------------------------------


_YEAR_AT_START = datetime.date.today().year - 1  # only recent birth dates need today's date
_RESIDENT_ID_RE = re.compile(r"^[0-9]{17}[0-9X]$")


@lru_cache(maxsize=4096)
def _region_known(code: str) -> bool:
    # stdnum's ric.validate also requires the region code to have existed in the birth
    # year, which rejects real IDs (440303 dates from 1983, yet Luohu residents born in
    # 1970 carry it) and raises KeyError for unknown codes of a known province.
    return any("county" in props for _part, props in numdb.get("cn/loc").info(code))


@lru_cache(maxsize=65536)
def _birth_date(digits: str) -> datetime.date | None:
    """The date of YYYYMMDD, or None when there is no such day."""
    try:
        return datetime.date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError:
        return None


def normalize_resident_id(value: object) -> str:
    # Fast path: an ID already in canonical form skips the cleaning, not the checks.
    if value.__class__ is str and _RESIDENT_ID_RE.fullmatch(value):
        number = value
    else:
        number = _compact(value)
        if len(number) != 18:
            raise ValidationError(
                _("ID number must have 18 characters, not %(n)d."), params={"n": len(number)}
            )
        if not _RESIDENT_ID_RE.match(number):
            raise ValidationError(_("ID number has characters that are not allowed."))
    if number[-1] != ric.calc_check_digit(number):
        raise ValidationError(_("ID number check digit is wrong."))
    # The birth date is digits 7-14 (what ric.get_birth_date reads, without re-cleaning).
    birth_date = _birth_date(number[6:14])
    if birth_date is None:
        raise ValidationError(_("ID number has an invalid birth date."))
    if birth_date.year >= _YEAR_AT_START and birth_date > datetime.date.today():
        raise ValidationError(_("ID number has a birth date in the future."))
    if not _region_known(number[:6]):
        raise ValidationError(_("ID number has an unknown region code."))
    return number


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
    # Fast path: 11 plain digits that phonenumbers' pattern accepts are already canonical.
    if value.__class__ is str and _MOBILE_RE.fullmatch(value) and _CN_MOBILE.fullmatch(value):
        return value
    raw = _compact(value).removeprefix("+86").removeprefix("0086")
    if not _MOBILE_RE.match(raw):
        raise ValidationError(_("Mobile number must be 11 digits starting with 1."))
    if not _CN_MOBILE.fullmatch(raw):
        raise ValidationError(_("Not a valid mainland mobile number."))
    return raw


_MOBILE_RE = re.compile(r"^1[0-9]{10}$")
# phonenumbers' own pattern of mainland mobile numbers (its metadata for CN), compiled
# once: the same verdict as parse + is_valid_number + number_type, at a fraction of the cost.
_CN_MOBILE = re.compile(
    phonenumbers.PhoneMetadata.metadata_for_region("CN").mobile.national_number_pattern
)


def validate_mobile(value: str) -> None:
    normalize_mobile(value)


# --- Plate numbers (GA 36: ordinary 7 characters, new-energy 8) ------------------------

PROVINCE_ABBREVIATIONS = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
_ORDINARY_PLATE = re.compile(
    rf"^[{PROVINCE_ABBREVIATIONS}][A-HJ-NP-Z][A-HJ-NP-Z0-9]{{4}}[A-HJ-NP-Z0-9挂学警港澳]$"
)
# New energy, small vehicles: a type letter, a letter or digit, 4 digits. The letter was
# D (electric) or F (other); where those ran out, A/B/C/E and G/H/J/K follow.
# Large vehicles: 5 digits, then D or F.
_NEW_ENERGY_PLATE = re.compile(
    rf"^[{PROVINCE_ABBREVIATIONS}][A-HJ-NP-Z]"
    r"(?:[A-HJK][A-HJ-NP-Z0-9][0-9]{4}|[0-9]{5}[DF])$"
)


def normalize_plate(value: object) -> str:
    # Fast path: a plate already written in canonical form.
    if value.__class__ is str and (
        _ORDINARY_PLATE.fullmatch(value) or _NEW_ENERGY_PLATE.fullmatch(value)
    ):
        return value
    plate = _compact(value).replace("·", "").replace("•", "")
    if _ORDINARY_PLATE.match(plate) or _NEW_ENERGY_PLATE.match(plate):
        return plate
    raise ValidationError(_("Not a valid plate number: %(plate)s"), params={"plate": plate})


def validate_plate(value: str) -> None:
    normalize_plate(value)
