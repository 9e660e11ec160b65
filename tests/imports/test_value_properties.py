"""Property tests of the cell parsers: what an office worker writes parses back to the value."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from hypothesis import example, given, settings
from hypothesis import strategies as st

from giftplatform.sheets.values import EXCEL_EPOCH, to_code, to_date, to_int, to_money, to_text

FAST = settings(max_examples=150, deadline=None)
FULL_WIDTH = str.maketrans("0123456789,.", "０１２３４５６７８９，．")

cents = st.integers(min_value=0, max_value=999_999_999_999_99)
amounts = cents.map(lambda n: Decimal(n).scaleb(-2))
dates = st.dates(min_value=datetime.date(1950, 1, 1), max_value=datetime.date(2100, 12, 31))


@FAST
@given(amounts)
@example(Decimal("0.00"))
@example(Decimal("1280.00"))
@example(Decimal("999999999999.99"))
def test_money_round_trips_through_what_people_write(amount):
    written = [
        f"¥{amount:,.2f}",
        f"￥{amount:,.2f}",
        f"{amount:,.2f}元",
        f"{amount}",
        f" RMB {amount:.2f} ",
        f"{amount:,.2f}".translate(FULL_WIDTH),
        f"人民币{amount:.2f}元",
    ]
    for text in written:
        assert to_money(text) == amount, text
    assert to_money(float(amount)) == amount  # 14 digits: the float's repr is exact
    if amount == amount.to_integral_value():
        assert to_money(int(amount)) == amount


@FAST
@given(cents.filter(lambda n: n > 0))
def test_negative_money_is_refused(n):
    with pytest.raises(ValidationError):
        to_money(f"-{Decimal(n).scaleb(-2)}")


@FAST
@given(st.integers(min_value=0, max_value=10**11), st.integers(min_value=1, max_value=9))
def test_money_with_a_third_decimal_is_refused(cents_value, third):
    text = f"{Decimal(cents_value).scaleb(-2)}{third}"
    with pytest.raises(ValidationError):
        to_money(text)


@FAST
@given(dates)
@example(datetime.date(2026, 11, 3))
@example(datetime.date(2028, 2, 29))
def test_dates_round_trip_in_every_way_they_are_written(day):
    serial = (day - EXCEL_EPOCH).days
    written = [
        day.isoformat(),
        f"{day.year}/{day.month}/{day.day}",
        f"{day.year}-{day.month:02d}-{day.day:02d}",
        f"{day.year}年{day.month}月{day.day}日",
        f"{day.year}.{day.month:02d}.{day.day:02d}",
        f"{day:%Y%m%d}",
        f"{day.year}年{day.month}月{day.day}日".translate(FULL_WIDTH),
        f"{day.isoformat()} 00:00:00",
        serial,
        float(serial),
        int(f"{day:%Y%m%d}"),
        day,
        datetime.datetime.combine(day, datetime.time(9, 30)),
    ]
    for value in written:
        assert to_date(value) == day, value


@FAST
@given(st.integers(min_value=-(10**15), max_value=10**15))
def test_whole_numbers_round_trip(n):
    for value in (n, float(n), str(n), f"{n:,}", f" {n} ", str(n).translate(FULL_WIDTH)):
        assert to_int(value) == n, value
    if n >= 0:
        assert to_int(f"{n}件") == n
        assert to_int(f"{n}.0") == n


@FAST
@given(st.floats(allow_nan=False, allow_infinity=False).filter(lambda f: not f.is_integer()))
def test_fractions_are_not_whole_numbers(value):
    with pytest.raises(ValidationError):
        to_int(value)


@FAST
@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=30))
def test_code_and_text_normalization_is_idempotent(text):
    assert to_code(to_code(text)) == to_code(text)
    assert to_text(to_text(text)) == to_text(text)
    assert " " not in to_code(text)
