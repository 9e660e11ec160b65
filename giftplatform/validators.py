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


def _vin_check_digit(vin: str) -> str:
    # Computed here rather than by vininfo: vininfo skips the check for makers it
    # believes use none (WMI 6FP), so a VIN's validity would depend on its maker.
    remainder = sum(map(mul, map(_VIN_VALUES.__getitem__, vin), _VIN_WEIGHTS)) % 11
    return "X" if remainder == 10 else str(remainder)


def normalize_vin(value: object) -> str:
    vin = _compact(value)
    if len(vin) != 17:
        raise ValidationError(_("VIN must have 17 characters, not %(n)d."), params={"n": len(vin)})
    if re.search(r"[IOQ]", vin):
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


def normalize_resident_id(value: object) -> str:
    number = _compact(value)
    if len(number) != 18:
        raise ValidationError(
            _("ID number must have 18 characters, not %(n)d."), params={"n": len(number)}
        )
    if not _RESIDENT_ID_RE.match(number):
        raise ValidationError(_("ID number has characters that are not allowed."))
    if number[-1] != ric.calc_check_digit(number):
        raise ValidationError(_("ID number check digit is wrong."))
    try:
        # The birth date is digits 7-14 (what ric.get_birth_date reads, without re-cleaning).
        birth_date = datetime.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError as exc:
        raise ValidationError(_("ID number has an invalid birth date.")) from exc
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
    plate = _compact(value).replace("·", "").replace("•", "")
    if _ORDINARY_PLATE.match(plate) or _NEW_ENERGY_PLATE.match(plate):
        return plate
    raise ValidationError(_("Not a valid plate number: %(plate)s"), params={"plate": plate})


def validate_plate(value: str) -> None:
    normalize_plate(value)
