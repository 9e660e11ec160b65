"""Header rows as office workers make them, and which sheet of a workbook is read."""

import zipfile

import pytest

from gifts.models import Gift, ImportStatus
from policies.models import Policy
from tests.imports.conftest import errors_by_row, messages, table_counts
from tests.imports.sheets import (
    GIFT_HEADERS,
    GIFT_HEADERS_EN,
    POLICY_HEADERS,
    SheetSpec,
    gift_row,
    gift_rows,
    policy_no,
    policy_row,
    replace_member,
    table,
    write_csv,
    write_xlsx,
)

pytestmark = pytest.mark.usefixtures("catalog")


def codes() -> set[str]:
    return set(Gift.objects.filter(code__startswith="G0").values_list("code", flat=True))


def test_english_headers(run, tmp_path):
    rows = [list(GIFT_HEADERS_EN)] + [list(r.values()) for r in gift_rows(2)]

    job = run("gifts", write_xlsx(tmp_path / "gifts.xlsx", rows))

    assert job.status == ImportStatus.COMMITTED, job.errors
    assert codes() == {"G0001", "G0002"}


def test_english_headers_in_any_case_and_order(run, tmp_path):
    headers = [h.upper() for h in GIFT_HEADERS_EN]
    order = list(reversed(range(len(headers))))
    values = list(gift_row("G0001").values())
    rows = [[headers[i] for i in order], [values[i] for i in order]]

    job = run("gifts", write_xlsx(tmp_path / "gifts.xlsx", rows))

    assert job.status == ImportStatus.COMMITTED, job.errors
    assert Gift.objects.get(code="G0001").face_value == 199


def test_headers_with_stars_spaces_line_breaks_and_full_width_marks(run, tmp_path):
    headers = list(GIFT_HEADERS)
    headers[0] = "礼品编码*"
    headers[1] = " 礼 品\n名称 "
    headers[2] = "类型："
    headers[6] = "面值（元）"
    headers[7] = "单位\r\n成本 *"
    rows = [headers] + [list(r.values()) for r in gift_rows(2)]

    job = run("gifts", write_xlsx(tmp_path / "gifts.xlsx", rows))

    assert job.status == ImportStatus.COMMITTED, job.errors
    assert Gift.objects.get(code="G0002").name == "车载吸尘器G0002"


def test_unknown_extra_columns_are_ignored(run, tmp_path):
    headers = ["序号", *GIFT_HEADERS, "采购员"]
    rows = [headers] + [[n, *r.values(), "小王"] for n, r in enumerate(gift_rows(2), 1)]

    job = run("gifts", write_xlsx(tmp_path / "gifts.xlsx", rows))

    assert job.status == ImportStatus.COMMITTED, job.errors
    assert codes() == {"G0001", "G0002"}


def test_header_below_a_title_and_blank_rows_keeps_excel_row_numbers(run, tmp_path):
    rows = [
        [],
        ["2026年第四季度礼品入库清单"],
        ["制表：福田支公司", "", "日期：2026-11-03"],
        [],
        *table(GIFT_HEADERS, gift_rows(4)),
    ]
    # Header on row 5; data on rows 6-9; row 8 names an unknown provider.
    rows[7][GIFT_HEADERS.index("供应商编码")] = "S404"
    before = table_counts()

    job = run("gifts", write_xlsx(tmp_path / "gifts.xlsx", rows))

    assert job.status == ImportStatus.REJECTED
    assert errors_by_row(job) == {8: [("供应商编码", "Unknown provider code.")]}
    assert table_counts() == before


def test_blank_leading_rows_in_xlsx_keep_excel_row_numbers(run, tmp_path):
    """calamine starts a sheet at its first used row; the numbers must still be Excel's."""
    rows = [[], [], [], *table(GIFT_HEADERS, gift_rows(2))]
    rows[-1][GIFT_HEADERS.index("类别编码")] = "NOPE"

    job = run("gifts", write_xlsx(tmp_path / "gifts.xlsx", rows))

    assert errors_by_row(job) == {6: [("类别编码", "Unknown gift category.")]}


def test_title_on_row_one_then_blank_rows_keeps_excel_row_numbers(run, tmp_path):
    rows = [["2026年礼品清单"], [], [], *table(GIFT_HEADERS, gift_rows(3))]
    rows[6][GIFT_HEADERS.index("供应商编码")] = "S404"

    job = run("gifts", write_xlsx(tmp_path / "gifts.xlsx", rows))

    assert errors_by_row(job) == {7: [("供应商编码", "Unknown provider code.")]}


def test_blank_leading_rows_streamed_by_openpyxl_keep_excel_row_numbers(run, tmp_path, settings):
    settings.IMPORT_CALAMINE_MAX_XML_BYTES = 0
    rows = [[], [], [], *table(GIFT_HEADERS, gift_rows(2))]
    rows[-1][GIFT_HEADERS.index("类别编码")] = "NOPE"

    job = run("gifts", write_xlsx(tmp_path / "gifts.xlsx", rows))

    assert errors_by_row(job) == {6: [("类别编码", "Unknown gift category.")]}


def test_sheet_starting_in_a_later_column_is_read(run, tmp_path):
    rows = [["", "", *r] for r in table(GIFT_HEADERS, gift_rows(2))]
    rows[2][2 + GIFT_HEADERS.index("面值")] = "abc"

    job = run("gifts", write_xlsx(tmp_path / "gifts.xlsx", rows))

    assert errors_by_row(job) == {3: [("面值", "Not an amount: abc")]}


def test_csv_header_below_title_keeps_row_numbers(run, tmp_path):
    rows = [["礼品清单"], [], *table(GIFT_HEADERS, gift_rows(3))]
    rows[5][GIFT_HEADERS.index("启用")] = "也许"

    job = run("gifts", write_csv(tmp_path / "gifts.csv", rows, "gbk"))

    assert job.status == ImportStatus.REJECTED
    assert list(errors_by_row(job)) == [6]
    assert errors_by_row(job)[6][0][0] == "启用"


def test_csv_cell_with_line_break_counts_as_one_excel_row(run, tmp_path):
    rows = table(GIFT_HEADERS, gift_rows(3))
    rows[1][GIFT_HEADERS.index("礼品名称")] = "两行\n的名称"
    rows[3][GIFT_HEADERS.index("面值")] = "-1"

    job = run("gifts", write_csv(tmp_path / "gifts.csv", rows))

    assert errors_by_row(job) == {4: [("面值", "An amount cannot be negative.")]}


def test_error_column_is_the_header_as_written(run, tmp_path):
    headers = list(GIFT_HEADERS)
    headers[GIFT_HEADERS.index("供应商编码")] = "供应商*"
    headers[GIFT_HEADERS.index("面值")] = "面值(元)"
    rows = [headers, list(gift_row("G0001", 供应商编码="S404", 面值="x").values())]

    job = run("gifts", write_xlsx(tmp_path / "gifts.xlsx", rows))

    assert {column for column, _message in errors_by_row(job)[2]} == {"面值(元)"}
    # The provider is checked once the cells parse; fix the amount and it is reported.
    rows[1][GIFT_HEADERS.index("面值")] = "1"
    job = run("gifts", write_xlsx(tmp_path / "gifts2.xlsx", rows))
    assert errors_by_row(job) == {2: [("供应商*", "Unknown provider code.")]}


def test_missing_required_column_names_it(run, tmp_path):
    headers = [h for h in GIFT_HEADERS if h not in ("供应商编码", "单位成本")]
    rows = [headers, [gift_row()[h] for h in headers]]

    job = run("gifts", write_xlsx(tmp_path / "gifts.xlsx", rows))

    assert job.status == ImportStatus.REJECTED
    assert len(job.errors) == 1 and job.errors[0]["row"] == 0
    message = job.errors[0]["message"]
    assert "Required columns missing" in message
    assert "供应商编码" in message and "单位成本" in message
    assert "面值" not in message


def test_duplicate_header_column_is_refused(run, tmp_path):
    headers = [*GIFT_HEADERS, "面值"]
    rows = [headers, [*gift_row().values(), "300"]]

    job = run("gifts", write_xlsx(tmp_path / "gifts.xlsx", rows))

    assert job.status == ImportStatus.REJECTED
    assert messages(job) == ["Column 面值 appears twice in the header row."]


def test_two_aliases_of_one_column_are_a_duplicate(run, tmp_path):
    headers = [*GIFT_HEADERS, "face value"]
    rows = [headers, [*gift_row().values(), "300"]]

    job = run("gifts", write_xlsx(tmp_path / "gifts.xlsx", rows))

    assert messages(job) == ["Column face value appears twice in the header row."]


def test_no_header_row_at_all(run, tmp_path):
    rows = [["a", "b", "c"], [1, 2, 3]]

    job = run("gifts", write_xlsx(tmp_path / "gifts.xlsx", rows))

    assert job.status == ImportStatus.REJECTED
    assert "No header row found" in messages(job)[0]


def test_header_row_beyond_the_search_window_is_not_found(run, tmp_path):
    rows = [[f"说明第{n}行"] for n in range(40)] + table(GIFT_HEADERS, gift_rows(1))

    job = run("gifts", write_xlsx(tmp_path / "gifts.xlsx", rows))

    assert job.status == ImportStatus.REJECTED
    assert "No header row found" in messages(job)[0]


# --- which sheet ---------------------------------------------------------------------------


def sheet(name, count=1, start=1, state="visible"):
    return SheetSpec(name, table(GIFT_HEADERS, gift_rows(count, start=start)), state)


def test_the_active_sheet_is_read(run, tmp_path):
    path = write_xlsx(
        tmp_path / "gifts.xlsx",
        sheets=[sheet("说明", 1, start=100), sheet("礼品", 2), sheet("备份", 1, start=200)],
        active=1,
    )

    job = run("gifts", path)

    assert job.status == ImportStatus.COMMITTED, job.errors
    assert job.sheet == "礼品"
    assert codes() == {"G0001", "G0002"}


def test_hidden_first_sheet_is_skipped_for_the_visible_one(run, tmp_path):
    path = write_xlsx(
        tmp_path / "gifts.xlsx",
        sheets=[sheet("隐藏", 3, start=100, state="hidden"), sheet("礼品", 2)],
        active=0,
    )

    job = run("gifts", path)

    assert job.status == ImportStatus.COMMITTED, job.errors
    assert job.sheet == "礼品"
    assert codes() == {"G0001", "G0002"}


def test_very_hidden_sheets_are_skipped_too(run, tmp_path):
    path = write_xlsx(
        tmp_path / "gifts.xlsx",
        sheets=[
            sheet("甲", 1, start=100, state="veryHidden"),
            sheet("乙", 1, start=200, state="hidden"),
            sheet("礼品", 1),
        ],
        active=1,
    )

    job = run("gifts", path)

    assert job.sheet == "礼品"
    assert codes() == {"G0001"}


def test_a_workbook_with_only_hidden_sheets_is_refused(run, tmp_path):
    path = write_xlsx(
        tmp_path / "gifts.xlsx",
        sheets=[sheet("甲", state="hidden"), sheet("乙", state="veryHidden"), sheet("丙")],
    )
    # openpyxl refuses to save a book without a visible sheet; hide the last one afterwards.
    with zipfile.ZipFile(path) as archive:
        xml = archive.read("xl/workbook.xml").decode()
    replace_member(
        path, "xl/workbook.xml", xml.replace('state="visible" r:id', 'state="hidden" r:id').encode()
    )

    job = run("gifts", path)

    assert job.status == ImportStatus.REJECTED
    assert "no visible sheet" in messages(job)[0]
    assert codes() == set()


def test_sheet_option_chooses_a_sheet(run, tmp_path):
    path = write_xlsx(
        tmp_path / "gifts.xlsx",
        sheets=[sheet("一月", 1, start=1), sheet("二月", 2, start=10)],
        active=0,
    )

    job = run("gifts", path, sheet="二月")

    assert job.status == ImportStatus.COMMITTED, job.errors
    assert job.sheet == "二月"
    assert codes() == {"G0010", "G0011"}


def test_a_hidden_sheet_is_read_when_named(run, tmp_path):
    path = write_xlsx(
        tmp_path / "gifts.xlsx",
        sheets=[sheet("礼品", 1), sheet("旧表", 1, start=50, state="hidden")],
    )

    job = run("gifts", path, sheet="旧表")

    assert job.sheet == "旧表"
    assert codes() == {"G0050"}


def test_unknown_sheet_name_lists_the_visible_sheets(run, tmp_path):
    path = write_xlsx(
        tmp_path / "gifts.xlsx",
        sheets=[sheet("一月"), sheet("机密", state="hidden"), sheet("二月")],
    )
    before = table_counts()

    job = run("gifts", path, sheet="三月")

    assert job.status == ImportStatus.REJECTED
    (message,) = messages(job)
    assert "三月" in message
    assert "一月" in message and "二月" in message
    assert "机密" not in message
    assert table_counts() == before


def test_sheet_option_on_a_csv_is_ignored(run, tmp_path):
    path = write_csv(tmp_path / "gifts.csv", table(GIFT_HEADERS, gift_rows(1)))

    assert run("gifts", path, sheet="whatever").status == ImportStatus.COMMITTED


POLICY_HEADERS_EN = (
    "Policy No",
    "Product",
    "Insured",
    "ID Number",
    "Mobile",
    "Plate",
    "VIN",
    "Vehicle Type",
    "Usage",
    "Seats",
    "First Registration",
    "New Car",
    "Premium",
    "Channel",
    "Agent Code",
    "Branch",
    "Issue Date",
    "Start Date",
    "End Date",
    "Status",
    "Renewal",
    "Contract Services",
)


def test_english_policy_headers(run, tmp_path):
    rows = [list(POLICY_HEADERS_EN), list(policy_row(1).values())]

    job = run("policies", write_xlsx(tmp_path / "p.xlsx", rows))

    assert job.status == ImportStatus.COMMITTED, job.errors
    policy = Policy.objects.get(policy_no=policy_no(1))
    assert policy.contract_services == {"road_rescue": 7, "inspection_on_behalf": 1}
    assert policy.branch.code == "440304"


@pytest.mark.parametrize(
    "written", ["保单号*", "保 单\n号", " 保单号 ", "＊保单号", "保单号：", "POLICY NO"]
)
def test_policy_no_header_as_people_type_it(run, tmp_path, written):
    headers = [written, *POLICY_HEADERS[1:]]
    rows = [headers, list(policy_row(1).values()), list(policy_row(1).values())]

    job = run("policies", write_xlsx(tmp_path / "p.xlsx", rows))

    # Found, and reported under the header exactly as the sheet has it.
    assert job.errors == [
        {"row": 3, "column": written.strip(), "message": "Duplicate of row 2 in this sheet."}
    ]
