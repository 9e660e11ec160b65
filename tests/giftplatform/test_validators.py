"""Identifiers of the trade: check digits proved against independent oracles.

The oracles below are written from the standards, not from the code under test:
ISO 3779 (VIN), GB 11643 (resident ID), GB 32100 (unified social credit code).
"""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from stdnum.cn import ric
from vininfo import Vin

from giftplatform.validators import (
    fold_width,
    normalize_mobile,
    normalize_plate,
    normalize_resident_id,
    normalize_uscc,
    normalize_vin,
    validate_mobile,
    validate_plate,
    validate_resident_id,
    validate_uscc,
    validate_vin,
    vin_with_check_digit,
)


@pytest.fixture(autouse=True)
def english():
    """Messages are asserted in their English source text, whatever locale/ adds."""
    with translation.override("en"):
        yield


def messages_of(normalize, value) -> list[str]:
    with pytest.raises(ValidationError) as info:
        normalize(value)
    return info.value.messages


# --- Oracles ---------------------------------------------------------------------------

VIN_ALPHABET = "0123456789ABCDEFGHJKLMNPRSTUVWXYZ"
VIN_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)


def iso3779_value(char: str) -> int:
    """ISO 3779 transliteration: A-H 1-8, J-N 1-5, P 7, R 9, S-Z 2-9."""
    if char.isdigit():
        return int(char)
    for run, first in (("ABCDEFGH", 1), ("JKLMN", 1), ("P", 7), ("R", 9), ("STUVWXYZ", 2)):
        if char in run:
            return first + run.index(char)
    raise AssertionError(f"{char!r} is not a VIN character")


def iso3779_check_digit(vin: str) -> str:
    remainder = sum(iso3779_value(c) * w for c, w in zip(vin, VIN_WEIGHTS, strict=True)) % 11
    return "X" if remainder == 10 else str(remainder)


def gb11643_check_char(first17: str) -> str:
    total = sum(int(d) * (2 ** (17 - i) % 11) for i, d in enumerate(first17))
    return "10X98765432"[total % 11]


USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # no I, O, S, V, Z


def gb32100_check_char(first17: str) -> str:
    total = sum(USCC_ALPHABET.index(c) * (3**i % 31) for i, c in enumerate(first17))
    return USCC_ALPHABET[(31 - total % 31) % 31]


@pytest.mark.parametrize(
    ("oracle", "number"),
    [
        (iso3779_check_digit, "1M8GDM9AXKP042788"),  # NHTSA's worked example
        (iso3779_check_digit, "11111111111111111"),
        (lambda n: gb11643_check_char(n[:17]), "11010519491231002X"),  # GB 11643's example
        (lambda n: gb11643_check_char(n[:17]), "440524188001010014"),
        (lambda n: gb32100_check_char(n[:17]), "91110000600037341L"),
        (lambda n: gb32100_check_char(n[:17]), "91350100M000100Y43"),
    ],
)
def test_oracles_agree_with_published_examples(oracle, number):
    check_position = 8 if len(number) == 17 else 17
    assert oracle(number) == number[check_position]


# --- VIN -------------------------------------------------------------------------------

vin_bodies = st.text(alphabet=VIN_ALPHABET, min_size=17, max_size=17)
other_positions = st.integers(min_value=0, max_value=16).filter(lambda p: p != 8)


@given(body=vin_bodies)
def test_vin_with_check_digit_gives_a_valid_vin(body):
    vin = vin_with_check_digit(body)
    assert vin[:8] + vin[9:] == body[:8] + body[9:]
    assert vin[8] == iso3779_check_digit(vin)
    assert normalize_vin(vin) == vin
    validate_vin(vin)
    if not vin.startswith("6FP"):  # vininfo skips makers it thinks use no check digit
        assert Vin(vin).verify_checksum(check_year=False)


@given(body=vin_bodies, position=other_positions, data=st.data())
def test_vin_single_substitution_is_caught_unless_the_check_digit_coincides(body, position, data):
    vin = vin_with_check_digit(body)
    replacement = data.draw(st.sampled_from(VIN_ALPHABET).filter(lambda c: c != vin[position]))
    mutated = vin[:position] + replacement + vin[position + 1 :]
    coincides = iso3779_check_digit(mutated) == vin[8]
    # Weights are non-zero below 11, a prime: only an equal transliteration coincides.
    assert coincides == (iso3779_value(replacement) == iso3779_value(vin[position]))
    if coincides:
        assert normalize_vin(mutated) == mutated
    else:
        assert messages_of(normalize_vin, mutated) == ["VIN check digit (9th character) is wrong."]


@given(body=vin_bodies, wrong=st.sampled_from("0123456789X"))
def test_vin_with_another_check_digit_is_rejected(body, wrong):
    vin = vin_with_check_digit(body)
    assume(wrong != vin[8])
    with pytest.raises(ValidationError):
        validate_vin(vin[:8] + wrong + vin[9:])


@given(body=vin_bodies)
def test_vin_is_normalized_from_lower_case_spaces_and_full_width(body):
    vin = vin_with_check_digit(body)
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in vin.lower())
    assert normalize_vin(full_width) == vin
    assert normalize_vin(f" {vin[:8].lower()} {vin[8:]}-") == vin


def test_vin_of_a_maker_vininfo_exempts_is_still_checked():
    vin = vin_with_check_digit("6FPAAAJGCM0000000")
    assert normalize_vin(vin) == vin
    wrong = vin[:8] + ("1" if vin[8] != "1" else "2") + vin[9:]
    assert messages_of(normalize_vin, wrong) == ["VIN check digit (9th character) is wrong."]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("LSVAU2180N218329", "VIN must have 17 characters, not 16."),
        ("LSVAU2180N21832945", "VIN must have 17 characters, not 18."),
        ("", "VIN must have 17 characters, not 0."),
        ("LSVAU2180N2I83294", "VIN may not contain the letters I, O or Q."),
        ("LSVAU2180N2O83294", "VIN may not contain the letters I, O or Q."),
        ("LSVAU2180Q2183294", "VIN may not contain the letters I, O or Q."),
        ("LSVAU2180N2183_94", "VIN may contain only letters and digits."),
        ("LSVAU2180N218329中", "VIN may contain only letters and digits."),
    ],
)
def test_vin_errors_say_what_is_wrong(value, message):
    assert messages_of(normalize_vin, value) == [message]


@pytest.mark.parametrize("value", ["SHORT", "LSVAU2180N2I83294"])
def test_vin_with_check_digit_refuses_what_is_no_vin(value):
    with pytest.raises(ValueError):
        vin_with_check_digit(value)


# --- Resident ID -----------------------------------------------------------------------

# Region codes stdnum knows; 440303 and 440106 are younger than some of their residents.
REGIONS = ["440303", "440304", "440305", "440306", "440106", "110101", "360426", "510104"]
birth_dates = st.dates(min_value=datetime.date(1930, 1, 1), max_value=datetime.date(2008, 12, 31))


def resident_id(region: str, birth: datetime.date, sequence: int) -> str:
    first17 = f"{region}{birth:%Y%m%d}{sequence:03d}"
    return first17 + gb11643_check_char(first17)


resident_ids = st.builds(
    resident_id, st.sampled_from(REGIONS), birth_dates, st.integers(min_value=0, max_value=999)
)


@settings(deadline=None)  # the first call loads stdnum's region table
@given(number=resident_ids)
def test_resident_id_with_oracle_check_char_is_valid(number):
    assert ric.calc_check_digit(number) == number[-1]
    assert normalize_resident_id(number) == number
    assert normalize_resident_id(number.lower()) == number
    validate_resident_id(number)


@given(number=resident_ids, position=st.integers(min_value=0, max_value=16), data=st.data())
def test_resident_id_single_substitution_is_always_caught(number, position, data):
    replacement = data.draw(st.sampled_from("0123456789").filter(lambda c: c != number[position]))
    mutated = number[:position] + replacement + number[position + 1 :]
    # Weights 2^(17-i) mod 11 are never 0 and digits differ by less than 11.
    assert gb11643_check_char(mutated[:17]) != number[-1]
    assert messages_of(normalize_resident_id, mutated) == ["ID number check digit is wrong."]


@given(number=resident_ids, wrong=st.sampled_from("0123456789X"))
def test_resident_id_with_another_check_char_is_rejected(number, wrong):
    assume(wrong != number[-1])
    assert messages_of(normalize_resident_id, number[:17] + wrong) == [
        "ID number check digit is wrong."
    ]


def test_resident_id_keeps_region_codes_younger_than_their_holder():
    # 440303 (Luohu) dates from 1983; residents born before carry it. stdnum refuses them.
    number = resident_id("440303", datetime.date(1970, 1, 1), 1)
    assert normalize_resident_id(number) == number


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("44030319900101001", "ID number must have 18 characters, not 17."),
        ("4403031990010100123", "ID number must have 18 characters, not 19."),
        ("", "ID number must have 18 characters, not 0."),
        ("4403031990O101001X", "ID number has characters that are not allowed."),
        ("44030319900101001A", "ID number has characters that are not allowed."),
    ],
)
def test_resident_id_format_errors(value, message):
    assert messages_of(normalize_resident_id, value) == [message]


def check_completed(first17: str) -> str:
    return first17 + gb11643_check_char(first17)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (check_completed("44030319900230001"), "ID number has an invalid birth date."),
        (check_completed("44030319901301001"), "ID number has an invalid birth date."),
        (check_completed("44030320990101001"), "ID number has a birth date in the future."),
        (check_completed("44999919900101001"), "ID number has an unknown region code."),
        (check_completed("99999919900101001"), "ID number has an unknown region code."),
    ],
)
def test_resident_id_component_errors(value, message):
    assert messages_of(normalize_resident_id, value) == [message]


def test_resident_id_born_today_is_valid_and_tomorrow_is_not():
    today = timezone.localdate()
    assert normalize_resident_id(resident_id("440304", today, 2))
    tomorrow = today + datetime.timedelta(days=1)
    assert messages_of(normalize_resident_id, resident_id("440304", tomorrow, 2)) == [
        "ID number has a birth date in the future."
    ]


# --- Unified social credit code ---------------------------------------------------------

uscc_bodies = st.builds(
    lambda head, region, org: head + region + org,
    st.sampled_from(["91", "92", "93", "11", "12", "51", "52", "53"]),
    st.text(alphabet="0123456789", min_size=6, max_size=6),
    st.text(alphabet=USCC_ALPHABET, min_size=9, max_size=9),
)


def uscc_code(first17: str) -> str:
    return first17 + gb32100_check_char(first17)


@given(body=uscc_bodies)
def test_uscc_with_oracle_check_char_is_valid(body):
    code = uscc_code(body)
    assert normalize_uscc(code) == code
    assert normalize_uscc(f" {code[:8]}-{code[8:].lower()} ") == code
    validate_uscc(code)


@given(body=uscc_bodies, position=st.integers(min_value=0, max_value=16), data=st.data())
def test_uscc_single_substitution_is_always_caught(body, position, data):
    code = uscc_code(body)
    allowed = "0123456789" if position < 8 else USCC_ALPHABET
    replacement = data.draw(st.sampled_from(allowed).filter(lambda c: c != code[position]))
    mutated = code[:position] + replacement + code[position + 1 :]
    # Weights 3^i mod 31 are never 0 and values differ by less than 31.
    assert gb32100_check_char(mutated[:17]) != code[-1]
    assert messages_of(normalize_uscc, mutated) == [
        "Unified social credit code check digit is wrong."
    ]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("9111000060003734", "Unified social credit code must have 18 characters."),
        ("91110000600037341L0", "Unified social credit code must have 18 characters."),
        ("9111000060003734IL", "Unified social credit code has characters that are not allowed."),
        ("A1110000600037341L", "Unified social credit code has characters that are not allowed."),
        ("91110000600037341M", "Unified social credit code check digit is wrong."),
    ],
)
def test_uscc_errors_say_what_is_wrong(value, message):
    assert messages_of(normalize_uscc, value) == [message]


# --- Mainland mobile --------------------------------------------------------------------


@given(
    prefix=st.sampled_from(["135", "138", "139", "150", "186", "188", "177", "199"]),
    rest=st.text(alphabet="0123456789", min_size=8, max_size=8),
)
def test_mobile_numbers_of_allocated_prefixes_are_valid(prefix, rest):
    number = prefix + rest
    assert normalize_mobile(number) == number
    assert normalize_mobile(f"+86 {prefix} {rest[:4]} {rest[4:]}") == number
    assert normalize_mobile(f"0086-{number}") == number
    validate_mobile(number)


def test_mobile_typed_in_full_width_is_folded():
    assert normalize_mobile("１３８００１３８０００") == "13800138000"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("1380013800", "Mobile number must be 11 digits starting with 1."),
        ("138001380001", "Mobile number must be 11 digits starting with 1."),
        ("23800138000", "Mobile number must be 11 digits starting with 1."),
        ("075586001234", "Mobile number must be 11 digits starting with 1."),
        ("1380013800a", "Mobile number must be 11 digits starting with 1."),
        ("١٣٨٠٠١٣٨٠٠٠", "Mobile number must be 11 digits starting with 1."),  # Arabic-Indic
        ("12000000000", "Not a valid mainland mobile number."),
        ("10086100861", "Not a valid mainland mobile number."),
    ],
)
def test_mobile_errors_say_what_is_wrong(value, message):
    assert messages_of(normalize_mobile, value) == [message]


# --- Plates ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("粤B12345", "粤B12345"),
        ("粤BD12345", "粤BD12345"),  # small new-energy, electric
        ("粤BF1234", "粤BF1234"),  # 7 characters: an ordinary plate that starts with F
        ("粤BDF1234", "粤BDF1234"),  # small new-energy: letter in the second place
        ("粤BA12345", "粤BA12345"),  # small new-energy, electric, after D ran out
        ("粤BG12345", "粤BG12345"),  # small new-energy, non-electric, after F ran out
        ("粤B12345D", "粤B12345D"),  # large new-energy
        ("粤B12345F", "粤B12345F"),
        ("粤B·12345", "粤B12345"),
        ("粤B·D12345", "粤BD12345"),
        ("粤B•12345", "粤B12345"),
        ("粤b 12345", "粤B12345"),
        ("粤B-A1B2C", "粤BA1B2C"),
        ("粤Ｂ１２３４５", "粤B12345"),
        ("粤B1234学", "粤B1234学"),
        ("京A12345", "京A12345"),
    ],
)
def test_plates_are_accepted_and_normalized(value, expected):
    assert normalize_plate(value) == expected
    validate_plate(value)


@pytest.mark.parametrize(
    "value",
    [
        "粤B1234",  # too short
        "粤B1234567",  # too long
        "粤BI2345",  # I is never used
        "粤BO2345",  # O is never used
        "粤112345",  # the issuing authority is a letter
        "港B12345",  # not a province abbreviation
        "B12345",
        "粤BL12345",  # L is no new-energy type letter
        "粤BD1234A",  # small new-energy ends in 4 digits
        "粤B1234AD",  # large new-energy: 5 digits before D/F
        "粤B12345A",  # large new-energy: only D or F
        "",
    ],
)
def test_invalid_plates_are_rejected_with_the_plate_in_the_message(value):
    compact = value.replace(" ", "")
    assert messages_of(normalize_plate, value) == [f"Not a valid plate number: {compact}"]


# --- Width folding ----------------------------------------------------------------------


def test_fold_width_turns_full_width_ascii_and_ideographic_space_half_width():
    assert fold_width("ＬＳＶ１２３！　ａ") == "LSV123! a"
    assert fold_width("粤B·12345") == "粤B·12345"  # everything else is left alone
