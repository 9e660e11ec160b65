"""manage.py import_*: exit 0 printing the counts, exit 1 printing one line per problem,
never a traceback for a bad file."""

import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from gifts.imports.pipeline import MAX_STORED_ERRORS
from gifts.models import Gift, ImportJob, ImportStatus, StockMovement, VoucherCode
from policies.models import Policy
from suppliers.models import Provider
from tests.factories import UserFactory
from tests.imports.conftest import table_counts
from tests.imports.sheets import (
    GIFT_HEADERS,
    POLICY_HEADERS,
    PROVIDER_HEADERS,
    STOCK_HEADERS,
    VOUCHER_HEADERS,
    SheetSpec,
    gift_rows,
    policy_row,
    policy_rows,
    provider_row,
    stock_row,
    table,
    voucher_row,
    write_csv,
    write_xlsx,
    write_zip_bomb,
)

pytestmark = pytest.mark.usefixtures("catalog")

ERROR_LINE = re.compile(r"^row \d+, column [^\n]+: [^\n]+$")
COUNTS_LINE = re.compile(
    r"^imported: (\d+) rows from (\S+) \[(.*)\]: created (\d+), updated (\d+), "
    r"unchanged (\d+), rejected (\d+) \(\d+ ms\)$"
)


def command(name, *args):
    """Run a command; (exit code, stdout lines, stderr lines). CommandError propagates."""
    out, err = StringIO(), StringIO()
    try:
        call_command(name, *map(str, args), stdout=out, stderr=err)
        code = 0
    except SystemExit as exc:
        code = exc.code
    return code, out.getvalue().splitlines(), err.getvalue().splitlines()


SHEETS = {
    "import_gifts": (GIFT_HEADERS, lambda: gift_rows(3)),
    "import_policies": (POLICY_HEADERS, lambda: policy_rows(3)),
    "import_stock": (STOCK_HEADERS, lambda: [stock_row("G9001", 5, f"PO-{n}") for n in range(3)]),
    "import_vouchers": (VOUCHER_HEADERS, lambda: [voucher_row(f"CLI{n:05d}") for n in range(3)]),
    "import_providers": (PROVIDER_HEADERS, lambda: [provider_row(f"S3{n:02d}") for n in range(3)]),
}


@pytest.mark.parametrize("name", list(SHEETS))
def test_each_command_imports_and_prints_the_counts(tmp_path, name):
    headers, rows = SHEETS[name]
    path = write_xlsx(tmp_path / "sheet.xlsx", table(headers, rows()))

    code, out, err = command(name, path)

    assert (code, err) == (0, [])
    assert len(out) == 1
    match = COUNTS_LINE.match(out[0])
    assert match, out
    assert match.groups() == ("3", "sheet.xlsx", "Sheet1", "3", "0", "0", "0")

    code, out, _ = command(name, path)
    assert COUNTS_LINE.match(out[0]).groups()[3:] == ("0", "0", "3", "0")


def test_dry_run_prints_the_counts_and_writes_nothing(tmp_path):
    path = write_csv(tmp_path / "gifts.csv", table(GIFT_HEADERS, gift_rows(4)), "gbk")
    before = table_counts()

    code, out, err = command("import_gifts", path, "--dry-run")

    assert (code, err) == (0, [])
    assert out[0].startswith("checked (dry run, nothing written): 4 rows from gifts.csv")
    assert "created 4, updated 0, unchanged 0, rejected 0" in out[0]
    assert table_counts() == before
    assert ImportJob.objects.get().dry_run is True


def test_bad_sheet_exits_1_with_one_line_per_problem(tmp_path):
    rows = policy_rows(4)
    rows[1]["车架号"] = "LSVAB1231AB123456"
    rows[3].update({"手机号": "123", "机构代码": "999999"})
    before = table_counts()

    code, out, err = command(
        "import_policies", write_xlsx(tmp_path / "p.xlsx", table(POLICY_HEADERS, rows))
    )

    assert code == 1
    assert out == []
    assert err == [
        "row 3, column 车架号: VIN check digit (9th character) is wrong.",
        "row 5, column 手机号: Mobile number must be 11 digits starting with 1.",
    ]
    assert table_counts() == before


def test_reference_errors_are_printed_too(tmp_path):
    rows = policy_rows(2)
    rows[1]["机构代码"] = "999999"

    code, _, err = command(
        "import_policies", write_xlsx(tmp_path / "p.xlsx", table(POLICY_HEADERS, rows))
    )

    assert code == 1
    assert err == [
        "row 3, column 机构代码: Branch 999999 does not exist or is outside your branches."
    ]


def test_a_header_with_a_line_break_still_gives_one_line_per_problem(tmp_path):
    headers = list(POLICY_HEADERS)
    headers[headers.index("车架号")] = "车架号\n(VIN)"
    rows = [[*policy_row(1, 车架号="LSVAB1231AB123456").values()]]

    code, _, err = command("import_policies", write_xlsx(tmp_path / "p.xlsx", [headers, *rows]))

    assert code == 1
    assert len(err) == 1 and ERROR_LINE.match(err[0]), err


def test_sheet_option(tmp_path):
    path = write_xlsx(
        tmp_path / "g.xlsx",
        sheets=[
            SheetSpec("说明", [["请在第二张表填写"]]),
            SheetSpec("礼品", table(GIFT_HEADERS, gift_rows(2))),
        ],
    )

    code, out, err = command("import_gifts", path, "--sheet", "礼品")
    assert (code, err) == (0, [])
    assert "[礼品]" in out[0]

    code, out, err = command("import_gifts", path, "--sheet", "三月")
    assert code == 1
    assert len(err) == 1
    assert "三月" in err[0] and "说明" in err[0] and "礼品" in err[0]


def test_user_option_scopes_the_import(tmp_path, manager_futian):
    rows = [policy_row(1), policy_row(2, 机构代码="440305")]
    path = write_xlsx(tmp_path / "p.xlsx", table(POLICY_HEADERS, rows))

    code, _, err = command("import_policies", path, "--user", manager_futian.username)

    assert code == 1
    assert err == [
        "row 3, column 机构代码: Branch 440305 does not exist or is outside your branches."
    ]
    assert not Policy.objects.exists()
    assert ImportJob.objects.get().actor == manager_futian

    # Without --user the operator at the shell has full rights.
    code, _out, _ = command("import_policies", path)
    assert code == 0
    assert Policy.objects.count() == 2
    assert ImportJob.objects.latest("id").actor is None


def test_user_option_imports_in_scope(tmp_path, manager_futian):
    path = write_xlsx(tmp_path / "p.xlsx", table(POLICY_HEADERS, policy_rows(2)))

    code, out, _ = command("import_policies", path, "--user", manager_futian.username)

    assert code == 0
    assert "created 2" in out[0]
    assert ImportJob.objects.get().actor == manager_futian


def test_unknown_user_is_a_command_error(tmp_path):
    path = write_xlsx(tmp_path / "g.xlsx", table(GIFT_HEADERS, gift_rows(1)))

    with pytest.raises(CommandError, match="nobody"):
        command("import_gifts", path, "--user", "nobody")

    assert not ImportJob.objects.exists()
    assert not Gift.objects.filter(code="G0001").exists()


def test_inactive_user_is_a_command_error(tmp_path, futian):
    UserFactory(username="gone", branch=futian, is_active=False)
    path = write_xlsx(tmp_path / "g.xlsx", table(GIFT_HEADERS, gift_rows(1)))

    with pytest.raises(CommandError, match="gone"):
        command("import_gifts", path, "--user", "gone")


def test_user_without_permission_is_a_command_error(tmp_path, futian):
    UserFactory(username="clerk", branch=futian)
    path = write_xlsx(tmp_path / "g.xlsx", table(GIFT_HEADERS, gift_rows(1)))

    with pytest.raises(CommandError, match="may not import"):
        command("import_gifts", path, "--user", "clerk")


def test_missing_file_is_a_command_error(tmp_path):
    with pytest.raises(CommandError, match="file not found"):
        command("import_gifts", tmp_path / "nothing.xlsx")


def _text_as_xlsx(path):
    path.write_text("礼品编码,礼品名称\n", encoding="utf-8")
    return path


def _xlsx_as_csv(path):
    return write_xlsx(path.with_suffix(".x"), [["a"]]).rename(path)


def _ole(path):
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 1024)
    return path


def _pdf(path):
    path.write_bytes(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    return path


def _empty(path):
    path.write_bytes(b"")
    return path


def _no_header(path):
    return write_xlsx(path, [["甲", "乙"], [1, 2]])


def _missing_column(path):
    return write_xlsx(path, [list(GIFT_HEADERS[:3]), ["G1", "x", "实物"]])


def _neither_utf8_nor_gbk(path):
    path.write_bytes(b"\xef\xbb\xbf" + ",".join(GIFT_HEADERS).encode() + b"\r\n\x80\xff,\x81\r\n")
    return path


BAD_FILES = [
    pytest.param("g.xlsx", _text_as_xlsx, "not an Excel .xlsx workbook", id="text-as-xlsx"),
    pytest.param("g.csv", _xlsx_as_csv, "not a text CSV", id="xlsx-as-csv"),
    pytest.param("g.xlsx", _ole, "Excel 97-2003", id="ole-as-xlsx"),
    pytest.param("g.pdf", _pdf, "Only .xlsx and .csv", id="pdf"),
    pytest.param("g.csv", _empty, "empty", id="empty"),
    pytest.param("g.xlsx", write_zip_bomb, "zip bomb", id="zip-bomb"),
    pytest.param("g.xlsx", _no_header, "No header row", id="no-header"),
    pytest.param("g.xlsx", _missing_column, "Required columns missing", id="missing-column"),
    pytest.param(
        "g.csv",
        _neither_utf8_nor_gbk,
        "UTF-8",
        id="bad-encoding",
    ),
]


@pytest.mark.parametrize(("name", "make", "fragment"), BAD_FILES)
def test_a_bad_file_exits_1_with_a_message_and_no_traceback(tmp_path, name, make, fragment):
    path = make(tmp_path / name)
    before = table_counts()

    code, out, err = command("import_gifts", path)  # anything but SystemExit would fail here

    assert code == 1
    assert out == []
    assert len(err) == 1
    assert fragment in err[0]
    assert "Traceback" not in err[0]
    assert table_counts() == before
    assert ImportJob.objects.get().status == ImportStatus.REJECTED


def test_stock_and_vouchers_through_the_commands(tmp_path):
    stock = write_xlsx(tmp_path / "s.xlsx", table(STOCK_HEADERS, [stock_row("G9001", 40, "PO-9")]))
    vouchers = write_csv(
        tmp_path / "v.csv", table(VOUCHER_HEADERS, [voucher_row("A1"), voucher_row("A2")]), "gbk"
    )

    assert command("import_stock", stock)[0] == 0
    assert command("import_stock", stock)[0] == 0
    assert command("import_vouchers", vouchers)[0] == 0

    assert Gift.objects.get(code="G9001").stock == 40
    assert StockMovement.objects.count() == 1
    assert set(VoucherCode.objects.values_list("code", flat=True)) == {"A1", "A2"}
    assert Provider.objects.filter(code__in=["S001", "P001"]).count() == 2


def test_more_bad_rows_than_stored_errors_are_summed_up(tmp_path):
    rows = [["礼品编码", "礼品名称", "类型", "类别编码", "供应商编码", "面值", "单位成本"]]
    rows += [
        [f"G{n}", "x", "实物", "C01", "S001", "1", "免费"] for n in range(MAX_STORED_ERRORS + 5)
    ]

    code, out, err = command("import_gifts", write_csv(tmp_path / "g.csv", rows))

    assert (code, out) == (1, [])
    assert len(err) == MAX_STORED_ERRORS + 1
    assert all(ERROR_LINE.match(line) for line in err[:-1])
    assert err[-1] == "... and 5 more rows with errors"
