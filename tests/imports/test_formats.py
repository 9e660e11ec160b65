"""File formats: what is read, and what is refused before any parser touches it."""

import resource
import time
import zipfile

import pytest
import xlsxwriter

from gifts.models import Gift, ImportStatus
from tests.imports.conftest import messages, table_counts
from tests.imports.sheets import (
    GIFT_HEADERS,
    billion_laughs,
    declare_size,
    gift_rows,
    replace_member,
    table,
    write_csv,
    write_xlsx,
    write_zip_bomb,
)

pytestmark = pytest.mark.usefixtures("catalog")


def _body(xml: str) -> str:
    """The XML after its declaration, if it has one."""
    return xml.split("?>", 1)[1] if xml.startswith("<?xml") else xml


def assert_refused(job, *fragments):
    """REJECTED with one file-level message containing every fragment; nothing written."""
    assert job.status == ImportStatus.REJECTED
    assert job.created_count == job.updated_count == job.unchanged_count == 0
    assert len(job.errors) == 1, job.errors
    assert job.errors[0]["row"] == 0
    for fragment in fragments:
        assert fragment in job.errors[0]["message"]


# --- accepted formats ----------------------------------------------------------------------


def test_xlsx_is_imported(run, tmp_path):
    path = write_xlsx(tmp_path / "礼品.xlsx", table(GIFT_HEADERS, gift_rows(3)))

    job = run("gifts", path)

    assert job.status == ImportStatus.COMMITTED, job.errors
    assert (job.created_count, job.total_rows) == (3, 3)
    assert set(Gift.objects.filter(code__startswith="G000").values_list("code", flat=True)) == {
        "G0001",
        "G0002",
        "G0003",
    }


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_csv_in_each_encoding_chinese_excel_writes(run, tmp_path, encoding):
    rows = gift_rows(2, 礼品名称="车载吸尘器标准版·黑")
    path = write_csv(tmp_path / "gifts.csv", table(GIFT_HEADERS, rows), encoding)
    if encoding == "utf-8-sig":
        assert path.read_bytes().startswith(b"\xef\xbb\xbf")

    job = run("gifts", path)

    assert job.status == ImportStatus.COMMITTED, job.errors
    assert job.created_count == 2
    assert Gift.objects.get(code="G0001").name == "车载吸尘器标准版·黑"
    assert Gift.objects.get(code="G0002").category.code == "C01"


def test_csv_with_semicolons_is_read(run, tmp_path):
    text = ";".join(GIFT_HEADERS) + "\r\n" + ";".join(gift_rows(1)[0].values()) + "\r\n"
    path = tmp_path / "gifts.csv"
    path.write_text(text, encoding="utf-8")

    job = run("gifts", path)

    assert job.status == ImportStatus.COMMITTED, job.errors
    assert job.created_count == 1


# --- refused before parsing -----------------------------------------------------------------


def test_csv_that_is_really_an_xlsx_is_refused(run, tmp_path):
    path = write_xlsx(tmp_path / "x.xlsx", table(GIFT_HEADERS, gift_rows(1)))
    renamed = path.rename(tmp_path / "gifts.csv")
    before = table_counts()

    job = run("gifts", renamed)

    assert_refused(job, "not a text CSV")
    assert table_counts() == before


def test_xlsx_that_is_really_text_is_refused(run, tmp_path):
    path = write_csv(tmp_path / "gifts.xlsx", table(GIFT_HEADERS, gift_rows(1)))
    before = table_counts()

    job = run("gifts", path)

    assert_refused(job, "not an Excel .xlsx workbook")
    assert table_counts() == before


def test_xlsx_that_is_really_an_old_xls_is_refused(run, tmp_path):
    path = tmp_path / "gifts.xlsx"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 4096)

    job = run("gifts", path)

    assert_refused(job, "Excel 97-2003", ".xlsx")


def test_xls_extension_is_refused(run, tmp_path):
    path = tmp_path / "gifts.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 4096)

    assert_refused(run("gifts", path), "97-2003")


@pytest.mark.parametrize("name", ["gifts.txt", "gifts.json", "gifts", "gifts.xlsx.exe"])
def test_unknown_extension_is_refused(run, tmp_path, name):
    path = tmp_path / name
    path.write_text("礼品编码,礼品名称\r\nG1,x\r\n", encoding="utf-8")

    assert_refused(run("gifts", path), "Only .xlsx and .csv")


@pytest.mark.parametrize("name", ["GIFTS.XLSX", "礼品.Csv"])
def test_extension_case_does_not_matter(run, tmp_path, name):
    rows = table(GIFT_HEADERS, gift_rows(1))
    path = (write_xlsx if name.lower().endswith("xlsx") else write_csv)(tmp_path / name, rows)

    assert run("gifts", path).status == ImportStatus.COMMITTED


def test_the_declared_file_name_decides_not_the_path(run, tmp_path):
    """Uploads land in temp files with random names; the user's file name is what counts."""
    path = write_csv(tmp_path / "upload.tmp", table(GIFT_HEADERS, gift_rows(1)))

    job = run("gifts", path, file_name="礼品清单.csv")

    assert job.status == ImportStatus.COMMITTED, job.errors
    assert job.file_name == "礼品清单.csv"


@pytest.mark.parametrize("name", ["empty.csv", "empty.xlsx"])
def test_empty_file_is_refused(run, tmp_path, name):
    path = tmp_path / name
    path.write_bytes(b"")

    assert_refused(run("gifts", path), "empty")


def test_csv_with_only_blank_lines_is_refused(run, tmp_path):
    path = tmp_path / "blank.csv"
    path.write_text("\r\n\r\n,,,\r\n", encoding="utf-8")

    assert_refused(run("gifts", path), "No header row")


def test_file_over_the_upload_limit_is_refused(run, tmp_path, settings):
    path = write_csv(tmp_path / "gifts.csv", table(GIFT_HEADERS, gift_rows(50)))
    settings.IMPORT_MAX_UPLOAD_BYTES = path.stat().st_size - 1
    before = table_counts()

    job = run("gifts", path)

    assert_refused(job, "the limit is")
    assert table_counts() == before


def test_file_at_the_upload_limit_is_accepted(run, tmp_path, settings):
    path = write_csv(tmp_path / "gifts.csv", table(GIFT_HEADERS, gift_rows(2)))
    settings.IMPORT_MAX_UPLOAD_BYTES = path.stat().st_size

    assert run("gifts", path).status == ImportStatus.COMMITTED


def test_binary_garbage_named_csv_is_refused(run, tmp_path):
    path = tmp_path / "gifts.csv"
    path.write_bytes(bytes(range(256)) * 4)

    assert_refused(run("gifts", path), "not a text CSV")


def test_csv_in_neither_utf8_nor_gbk_is_refused_not_crashed(run, tmp_path):
    # Bytes 0x80 and 0xFF are invalid in UTF-8 and cannot start a GB18030 character.
    path = tmp_path / "gifts.csv"
    path.write_bytes(",".join(GIFT_HEADERS).encode("gbk") + b"\r\nG1,\x80\xff\r\n")

    job = run("gifts", path)

    assert job.status == ImportStatus.REJECTED
    assert any("UTF-8" in m or "GBK" in m for m in messages(job)), job.errors


# --- hostile workbooks -------------------------------------------------------------------


def test_zip_bomb_is_refused_before_parsing(run, tmp_path):
    path = write_zip_bomb(tmp_path / "bomb.xlsx", member_bytes=50 * 1024 * 1024)
    with zipfile.ZipFile(path) as archive:
        member = archive.getinfo("xl/worksheets/sheet1.xml")
    assert member.file_size == 50 * 1024 * 1024
    assert path.stat().st_size < 1024 * 1024  # a few hundred kB on disk
    before = table_counts()

    job = run("gifts", path)

    assert_refused(job, "zip bomb")
    assert table_counts() == before


@pytest.mark.parametrize(
    "calamine",
    [
        pytest.param(True, id="calamine"),
        pytest.param(False, id="openpyxl"),
    ],
)
def test_zip_bomb_lying_about_its_size_is_refused(run, tmp_path, settings, calamine):
    """Headers that declare 1 kB for 20 MB of sheet XML pass the ratio check; the readers
    must still stop at the declared size."""
    if not calamine:
        settings.IMPORT_CALAMINE_MAX_XML_BYTES = 0
    path = write_xlsx(tmp_path / "gifts.xlsx", table(GIFT_HEADERS, gift_rows(3)))
    with zipfile.ZipFile(path) as archive:
        xml = archive.read("xl/worksheets/sheet1.xml").decode()
    padded = xml.replace("<sheetData>", "<sheetData>" + " " * (20 * 1024 * 1024), 1)
    replace_member(path, "xl/worksheets/sheet1.xml", padded.encode())
    declare_size(path, "xl/worksheets/sheet1.xml", 1000)
    before = table_counts()

    assert_refused(run("gifts", path), "damaged")
    assert table_counts() == before


def test_workbook_too_large_once_uncompressed_is_refused(run, tmp_path, settings):
    path = write_xlsx(tmp_path / "gifts.xlsx", table(GIFT_HEADERS, gift_rows(5)))
    with zipfile.ZipFile(path) as archive:
        total = sum(info.file_size for info in archive.infolist())
    settings.IMPORT_MAX_UNCOMPRESSED_BYTES = total - 1

    assert_refused(run("gifts", path), "too large once uncompressed")


def test_zip_that_is_not_a_workbook_is_refused(run, tmp_path):
    path = tmp_path / "gifts.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "hello")

    assert_refused(run("gifts", path), "not an Excel workbook")


def test_truncated_workbook_is_refused(run, tmp_path):
    path = write_xlsx(tmp_path / "gifts.xlsx", table(GIFT_HEADERS, gift_rows(5)))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])

    assert_refused(run("gifts", path), "damaged")


def test_encrypted_zip_member_is_refused(run, tmp_path):
    path = write_xlsx(tmp_path / "gifts.xlsx", table(GIFT_HEADERS, gift_rows(1)))
    data = bytearray(path.read_bytes())
    # Set the "encrypted" general-purpose flag on every local and central header.
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        start = 0
        while (found := data.find(signature, start)) != -1:
            data[found + offset] |= 0x1
            start = found + 4
    path.write_bytes(bytes(data))

    assert_refused(run("gifts", path), "Encrypted")


def test_entity_expansion_in_workbook_xml_is_refused(run, tmp_path):
    path = write_xlsx(tmp_path / "gifts.xlsx", table(GIFT_HEADERS, gift_rows(1)))
    with zipfile.ZipFile(path) as archive:
        original = archive.read("xl/workbook.xml").decode()
    body = _body(original).replace("<sheets>", "<sheets>&lol9;", 1)
    replace_member(path, "xl/workbook.xml", billion_laughs("workbook", body))
    before = table_counts()

    job = run("gifts", path)

    assert_refused(job, "unsafe XML")
    assert table_counts() == before


def _laughing_sheet(tmp_path, name="gifts.xlsx"):
    path = write_xlsx(tmp_path / name, table(GIFT_HEADERS, gift_rows(1)))
    with zipfile.ZipFile(path) as archive:
        original = archive.read("xl/worksheets/sheet1.xml").decode()
    # The gift name cell becomes a reference to a billion 'lol's.
    body = _body(original).replace("车载吸尘器G0001", "&lol9;", 1)
    assert "&lol9;" in body
    return replace_member(path, "xl/worksheets/sheet1.xml", billion_laughs("worksheet", body))


def assert_refused_unexpanded(run, path):
    """Refused quickly, without memory growth, nothing written (10^9 'lol's would be 3 GB)."""
    before = table_counts()
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.monotonic()

    job = run("gifts", path)

    assert time.monotonic() - started < 10
    grown_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak_before
    assert grown_kb < 200 * 1024
    assert job.status == ImportStatus.REJECTED
    assert len(job.errors) == 1 and job.errors[0]["row"] == 0, job.errors
    # defusedxml names it; calamine's XML reader refuses the DTD as a broken workbook.
    assert "unsafe XML" in job.errors[0]["message"] or "damaged" in job.errors[0]["message"]
    assert table_counts() == before
    assert not Gift.objects.filter(name__contains="lol").exists()


def test_entity_expansion_in_sheet_xml_is_refused(run, tmp_path):
    assert_refused_unexpanded(run, _laughing_sheet(tmp_path))


def test_entity_expansion_in_sheet_xml_streamed_by_openpyxl_is_refused(run, tmp_path, settings):
    """Large sheets go through openpyxl's streaming reader: the same refusal, no traceback."""
    settings.IMPORT_CALAMINE_MAX_XML_BYTES = 0
    assert_refused_unexpanded(run, _laughing_sheet(tmp_path))


def test_large_sheet_streamed_by_openpyxl_imports_like_calamine(run, tmp_path, settings):
    settings.IMPORT_CALAMINE_MAX_XML_BYTES = 0
    rows = table(GIFT_HEADERS, gift_rows(3, 面值="¥1,280.00", 有效期起=46329))
    rows.insert(0, ["2026年礼品清单"])

    job = run("gifts", write_xlsx(tmp_path / "gifts.xlsx", rows))

    assert job.status == ImportStatus.COMMITTED, job.errors
    gift = Gift.objects.get(code="G0003")
    assert str(gift.face_value) == "1280.00"
    assert gift.valid_from.isoformat() == "2026-11-03"


def test_entity_expansion_in_shared_strings_is_refused(run, tmp_path):
    path = tmp_path / "gifts.xlsx"
    workbook = xlsxwriter.Workbook(str(path))  # writes a shared-strings table
    sheet = workbook.add_worksheet()
    for r, values in enumerate(table(GIFT_HEADERS, gift_rows(1))):
        for c, value in enumerate(values):
            sheet.write_string(r, c, str(value))
    workbook.close()
    with zipfile.ZipFile(path) as archive:
        original = archive.read("xl/sharedStrings.xml").decode()
    body = _body(original).replace("车载吸尘器G0001", "&lol9;", 1)
    replace_member(path, "xl/sharedStrings.xml", billion_laughs("sst", body))

    assert_refused_unexpanded(run, path)


def test_external_entity_is_not_resolved(run, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    path = write_xlsx(tmp_path / "gifts.xlsx", table(GIFT_HEADERS, gift_rows(1)))
    with zipfile.ZipFile(path) as archive:
        original = archive.read("xl/worksheets/sheet1.xml").decode()
    body = _body(original).replace("车载吸尘器G0001", "&xxe;", 1)
    xml = f'<!DOCTYPE worksheet [<!ENTITY xxe SYSTEM "file://{secret}">]>{body}'
    replace_member(path, "xl/worksheets/sheet1.xml", xml.encode())

    job = run("gifts", path)

    assert job.status == ImportStatus.REJECTED
    assert not Gift.objects.filter(name__contains="TOP-SECRET").exists()


# --- the row cap -------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_row_cap_refuses_the_sheet_and_writes_nothing(run, tmp_path, settings, fmt):
    settings.IMPORT_MAX_ROWS = 10
    settings.IMPORT_BATCH_SIZE = 4  # earlier batches are written, then rolled back
    rows = table(GIFT_HEADERS, gift_rows(11))
    path = (write_xlsx if fmt == "xlsx" else write_csv)(tmp_path / f"gifts.{fmt}", rows)
    before = table_counts()

    job = run("gifts", path)

    assert_refused(job, "more than 10 rows")
    assert table_counts() == before


def test_row_cap_counts_data_rows_not_blank_or_total_rows(run, tmp_path, settings):
    settings.IMPORT_MAX_ROWS = 3
    rows = table(GIFT_HEADERS, gift_rows(3))
    rows[2:2] = [[], [""] * len(GIFT_HEADERS)]
    rows.append(["合计", "", "", "", "", "", "597.00"])

    job = run("gifts", write_xlsx(tmp_path / "gifts.xlsx", rows))

    assert job.status == ImportStatus.COMMITTED, job.errors
    assert (job.total_rows, job.created_count) == (3, 3)


def test_csv_with_a_title_line_and_no_padding_commas(run, tmp_path):
    path = tmp_path / "gifts.csv"
    lines = ["2026年11月礼品清单", "", ",".join(GIFT_HEADERS)]
    lines += [",".join(row.values()) for row in gift_rows(3)]
    path.write_text("\r\n".join(lines) + "\r\n", encoding="gbk")

    job = run("gifts", path)

    assert job.status == ImportStatus.COMMITTED, job.errors
    assert job.created_count == 3


def test_csv_with_semicolons_and_tabs_inside_cells(run, tmp_path):
    rows = gift_rows(5, 礼品名称="套装;含2件\t赠品")
    path = write_csv(tmp_path / "gifts.csv", table(GIFT_HEADERS, rows))

    job = run("gifts", path)

    assert job.status == ImportStatus.COMMITTED, job.errors
    assert Gift.objects.get(code="G0005").name == "套装;含2件\t赠品"


def test_tab_separated_csv_is_read(run, tmp_path):
    rows = table(GIFT_HEADERS, gift_rows(2))
    path = tmp_path / "gifts.csv"
    path.write_text("\r\n".join("\t".join(map(str, r)) for r in rows) + "\r\n", encoding="utf-8")

    job = run("gifts", path)

    assert job.status == ImportStatus.COMMITTED, job.errors
    assert job.created_count == 2


def test_utf16_text_from_excel_unicode_export_is_refused(run, tmp_path):
    rows = table(GIFT_HEADERS, gift_rows(1))
    path = tmp_path / "gifts.csv"
    path.write_bytes("\r\n".join("\t".join(r) for r in rows).encode("utf-16"))

    job = run("gifts", path)

    assert_refused(job, "not a text CSV")
