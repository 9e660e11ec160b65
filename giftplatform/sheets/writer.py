"""Write sheets for users (templates, error sheets, exports), formula injection neutralized."""

import datetime
import os
import tempfile
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import BinaryIO, TypeVar

import xlsxwriter

# A cell starting with one of these is a formula (or DDE payload) to Excel or LibreOffice.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutralize(value: object) -> object:
    """Text that a spreadsheet would run is prefixed with an apostrophe; other values unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


Written = TypeVar("Written")


def written_to_temp_file(write: Callable[[str], Written]) -> tuple[BinaryIO, Written]:
    """``write(path)`` on a fresh temporary .xlsx path; returns the file open for reading
    and what ``write`` returned (e.g. a row count).

    xlsxwriter keeps constant memory only when it writes to a path. The name is unlinked
    at once: the open handle keeps the data readable until it is closed (a FileResponse
    closes it), so nothing is left behind.
    """
    descriptor, path = tempfile.mkstemp(suffix=".xlsx")
    os.close(descriptor)
    try:
        result = write(path)
        handle = open(path, "rb")  # noqa: SIM115 - the caller closes it
    finally:
        os.unlink(path)
    return handle, result


def write_workbook(
    target: str | BinaryIO,
    headers: list[str],
    rows: Iterable[Iterable[object]],
    *,
    sheet_name: str = "Sheet1",
    notes: list[str] | None = None,
    highlight_column: int | None = None,
    constant_memory: bool = True,
    datetime_format: str | None = None,
    decimal_format: str | None = None,
) -> None:
    """Stream rows to an .xlsx; every string is written as a string.

    ``constant_memory`` streams rows with inline strings; without it xlsxwriter keeps
    the sheet in memory and writes a shared-strings table, as Excel itself does. It
    only holds for a file path: xlsxwriter builds a file object's sheet in memory.
    Datetimes are written as they are (naive, local time): convert aware ones first.
    ``datetime_format`` keeps their time of day (else shown as dates);
    ``decimal_format`` gives Decimals (money) a number format such as ``#,##0.00``.
    """
    workbook = xlsxwriter.Workbook(
        target,
        {
            "constant_memory": constant_memory,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
            "in_memory": not isinstance(target, str),
        },
    )
    sheet = workbook.add_worksheet(sheet_name[:31])
    bold = workbook.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    date_format = workbook.add_format({"num_format": "yyyy-mm-dd"})
    error_format = workbook.add_format({"font_color": "#C00000", "text_wrap": True})
    formats = {
        "date": date_format,
        "datetime": workbook.add_format({"num_format": datetime_format})
        if datetime_format
        else date_format,
        "decimal": workbook.add_format({"num_format": decimal_format}) if decimal_format else None,
        "error": error_format,
    }
    row_index = 0
    for note in notes or []:
        sheet.write_string(row_index, 0, neutralize(note))
        row_index += 1
    sheet.write_row(row_index, 0, [neutralize(h) for h in headers], bold)
    sheet.freeze_panes(row_index + 1, 0)
    for position, _header in enumerate(headers):
        sheet.set_column(position, position, 16)
    row_index += 1
    for row in rows:
        for col, value in enumerate(row):
            _write_cell(sheet, row_index, col, value, formats, highlight_column)
        row_index += 1
    workbook.close()


def _write_cell(sheet, row, col, value, formats, highlight_column):
    if value is None or value == "":
        return
    if isinstance(value, bool):
        sheet.write_string(row, col, "是" if value else "否")
    elif isinstance(value, datetime.datetime):
        sheet.write_datetime(row, col, value.replace(tzinfo=None), formats["datetime"])
    elif isinstance(value, datetime.date):
        sheet.write_datetime(
            row, col, datetime.datetime.combine(value, datetime.time()), formats["date"]
        )
    elif isinstance(value, Decimal):
        sheet.write_number(row, col, float(value), formats["decimal"])
    elif isinstance(value, int | float):
        sheet.write_number(row, col, float(value))
    else:
        text = neutralize(str(value))
        if col == highlight_column:
            sheet.write_string(row, col, text, formats["error"])
        else:
            sheet.write_string(row, col, text)
