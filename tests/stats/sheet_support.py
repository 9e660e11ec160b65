"""Reading a statistics export back: the response's workbook, its data rows under the
header row, and values as the sheet holds them."""

import io
from datetime import date, datetime, time
from decimal import Decimal

import openpyxl
from django.urls import reverse

from giftplatform.sheets.writer import neutralize


def sheet_rows(response) -> list[tuple]:
    """Every row of the sheet a download ``response`` holds."""
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    return list(book.active.iter_rows(values_only=True))


def download(client, user, url_name: str, params: dict) -> list[tuple]:
    """Every row of the sheet ``url_name`` answers ``user`` with ``params``."""
    client.force_login(user)
    return sheet_rows(client.get(reverse(url_name), params))


def header_row(rows: list[tuple], first_header: str) -> int:
    """Where the header row is (the notes come first)."""
    return next(n for n, row in enumerate(rows) if row[0] == first_header)


def data_rows(rows: list[tuple], first_header: str) -> list[list]:
    return [list(row) for row in rows[header_row(rows, first_header) + 1 :]]


def as_cell(value):
    """A value as the sheet holds it: numbers as floats, blanks as None, dates as
    datetimes, text formula-safe."""
    if value is None or value == "":
        return None
    if isinstance(value, int | Decimal):
        return float(value)
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, date):
        return datetime.combine(value, time())
    return neutralize(value)
