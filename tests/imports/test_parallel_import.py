"""Large sheets are read and parsed by a child process: the same verdicts as the serial path.

The parallel path is forced on small sheets here (IMPORT_PARALLEL_MIN_BYTES = 0) and its
job compared with the serial path's job for the same file: counts, every error (row,
column, message, in the user's language), and what ends up in the database.
"""

import multiprocessing

import pytest
from django.utils import translation

from giftplatform.sheets import parallel, stream
from gifts.models import ImportStatus
from policies.models import Policy
from tests.imports.conftest import table_counts
from tests.imports.sheets import (
    GIFT_HEADERS,
    POLICY_HEADERS,
    gift_rows,
    policy_no,
    policy_rows,
    replace_member,
    table,
    write_csv,
    write_xlsx,
)


def summary(job) -> dict:
    return {
        "status": job.status,
        "sheet": job.sheet,
        "total": job.total_rows,
        "created": job.created_count,
        "updated": job.updated_count,
        "unchanged": job.unchanged_count,
        "rejected": job.rejected_count,
        "errors": job.errors,
    }


@pytest.fixture
def both_ways(run, settings):
    """``both_ways(kind, path, **options)``: (serial job, parallel job), both dry runs."""

    def _both(kind, path, **options):
        settings.IMPORT_PARALLEL = False
        serial = run(kind, path, dry_run=True, **options)
        settings.IMPORT_PARALLEL = True
        settings.IMPORT_PARALLEL_MIN_BYTES = 0
        in_child = run(kind, path, dry_run=True, **options)
        assert not multiprocessing.active_children()
        return serial, in_child

    return _both


def bad_policy_sheet(tmp_path, *, rows=300, cls=write_xlsx, name="policies.xlsx"):
    data = policy_rows(rows)
    data[10]["车架号"] = "LFV2A21K797044156"  # wrong check digit
    data[20]["保费"] = "abc"
    data[30]["机构代码"] = "999999"  # unknown branch (found by check, in this process)
    data[40]["保单号"] = policy_no(1)  # duplicate of the first row
    data[50]["终保日期"] = "2025-01-01"  # before the start date
    data[60]["被保险人"] = ""  # required
    data.insert(100, {})  # a blank row: skipped, not counted
    return cls(tmp_path / name, [["2026年保单清单"], [], *table(POLICY_HEADERS, data)])


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_a_sheet_with_errors_gets_the_same_verdict_in_a_child(
    both_ways, tmp_path, futian, language
):
    path = bad_policy_sheet(tmp_path)
    with translation.override(language):
        serial, in_child = both_ways("policies", path)

    assert serial.status == ImportStatus.REJECTED
    assert {e["row"] for e in serial.errors} == {14, 24, 34, 44, 54, 64}
    assert summary(in_child) == summary(serial)


def test_a_clean_sheet_gets_the_same_counts_in_a_child(both_ways, tmp_path, futian):
    path = write_xlsx(tmp_path / "p.xlsx", table(POLICY_HEADERS, policy_rows(500)))

    serial, in_child = both_ways("policies", path)

    assert serial.status == ImportStatus.PREVIEWED
    assert serial.created_count == 500
    assert summary(in_child) == summary(serial)


def test_a_commit_through_a_child_writes_every_row(run, settings, tmp_path, futian):
    settings.IMPORT_PARALLEL_MIN_BYTES = 0
    settings.IMPORT_BATCH_SIZE = 64  # many batches, so that the child runs ahead
    path = write_xlsx(tmp_path / "p.xlsx", table(POLICY_HEADERS, policy_rows(700)))

    job = run("policies", path)

    assert job.status == ImportStatus.COMMITTED, job.errors
    assert job.created_count == Policy.objects.count() == 700


def test_csv_gets_the_same_verdict_in_a_child(both_ways, tmp_path, futian):
    path = bad_policy_sheet(tmp_path, cls=write_csv, name="policies.csv")

    serial, in_child = both_ways("policies", path)

    assert serial.status == ImportStatus.REJECTED
    assert summary(in_child) == summary(serial)


def test_gifts_get_the_same_verdict_in_a_child(both_ways, tmp_path, catalog):
    rows = gift_rows(120)
    rows[5]["面值"] = "-5"
    rows[7]["供应商编码"] = "S404"
    path = write_xlsx(tmp_path / "g.xlsx", table(GIFT_HEADERS, rows))

    serial, in_child = both_ways("gifts", path)

    assert serial.status == ImportStatus.REJECTED
    assert summary(in_child) == summary(serial)


def broken_sheet_xml(path):
    write_xlsx(path, table(POLICY_HEADERS, policy_rows(3)))
    return replace_member(path, "xl/worksheets/sheet1.xml", b"<worksheet><sheetData><row r=")


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (broken_sheet_xml, "damaged"),
        (lambda p: write_xlsx(p, [["甲", "乙"], ["1", "2"]]), "No header row found"),
    ],
    ids=["damaged", "no-header"],
)
def test_a_bad_file_is_refused_by_the_child_with_the_same_message(
    both_ways, tmp_path, futian, make, message
):
    path = make(tmp_path / "p.xlsx")

    serial, in_child = both_ways("policies", path)

    assert serial.status == ImportStatus.REJECTED
    assert message in serial.errors[0]["message"]
    assert summary(in_child) == summary(serial)


def test_a_sheet_named_that_does_not_exist_is_refused_before_any_child(run, settings, tmp_path):
    settings.IMPORT_PARALLEL_MIN_BYTES = 0
    path = write_xlsx(tmp_path / "p.xlsx", table(POLICY_HEADERS, policy_rows(3)))

    job = run("policies", path, sheet="没有这个表")

    assert job.status == ImportStatus.REJECTED
    assert "no sheet named" in job.errors[0]["message"]


def test_the_row_cap_holds_in_a_child(run, settings, tmp_path, futian):
    settings.IMPORT_PARALLEL_MIN_BYTES = 0
    settings.IMPORT_MAX_ROWS = 50
    settings.IMPORT_BATCH_SIZE = 20
    before = table_counts()
    path = write_xlsx(tmp_path / "p.xlsx", table(POLICY_HEADERS, policy_rows(200)))

    job = run("policies", path)

    assert job.status == ImportStatus.REJECTED
    assert "more than 50 rows" in job.errors[0]["message"]
    assert table_counts() == before
    assert not multiprocessing.active_children()


def test_a_spawned_child_gives_the_same_verdict(both_ways, settings, tmp_path, futian):
    """With other threads running the child is spawned, not forked: Django is set up
    again there, with this process's import settings and language."""
    settings.IMPORT_PARALLEL_START_METHOD = "spawn"
    path = bad_policy_sheet(tmp_path, rows=80)
    with translation.override("zh-hans"):
        serial, in_child = both_ways("policies", path)

    assert serial.status == ImportStatus.REJECTED
    assert summary(in_child) == summary(serial)


def test_a_child_that_crashes_is_reported_not_ignored(run, settings, tmp_path, futian, monkeypatch):
    settings.IMPORT_PARALLEL_MIN_BYTES = 0

    def broken(self, rows):
        raise ZeroDivisionError("a bug in a parser")

    monkeypatch.setattr(parallel.RowParser, "parse_columns", broken)  # inherited by the fork
    path = write_xlsx(tmp_path / "p.xlsx", table(POLICY_HEADERS, policy_rows(5)))

    job = run("policies", path)

    assert job.status == ImportStatus.FAILED  # not a clean-looking preview, not a traceback
    assert Policy.objects.count() == 0
    assert not multiprocessing.active_children()


@pytest.mark.parametrize(("threads", "method"), [(1, "fork"), (2, "spawn")])
def test_threads_make_the_child_spawned(settings, monkeypatch, threads, method):
    settings.IMPORT_PARALLEL_START_METHOD = ""
    monkeypatch.setattr(parallel.threading, "active_count", lambda: threads)

    assert parallel.start_method() == method


def test_small_sheets_stay_in_this_process(settings, tmp_path):
    settings.IMPORT_PARALLEL_MIN_BYTES = 2 * 1024 * 1024
    path = write_xlsx(tmp_path / "p.xlsx", table(POLICY_HEADERS, policy_rows(50)))
    from giftplatform.sheets.files import inspect_file

    assert not parallel.worth_it(inspect_file(path, path.name), None)


@pytest.mark.parametrize("reader", ["small pieces", "openpyxl"])
def test_a_sheet_read_in_pieces_or_streamed_imports_like_one_read_whole(
    run, settings, tmp_path, catalog, monkeypatch, reader
):
    """Cutting the sheet XML into pieces changes nothing: rows, numbers, values, errors."""
    rows = gift_rows(400)
    rows[333]["面值"] = "abc"
    path = write_xlsx(tmp_path / "g.xlsx", [[], ["清单"], *table(GIFT_HEADERS, rows)])
    settings.IMPORT_PARALLEL = False
    monkeypatch.setattr(stream, "FIRST_PIECE", 1 << 30)
    monkeypatch.setattr(stream, "PIECE", 1 << 30)
    whole = summary(run("gifts", path, dry_run=True))

    if reader == "openpyxl":
        settings.IMPORT_CALAMINE_MAX_XML_BYTES = 0
    else:
        monkeypatch.setattr(stream, "FIRST_PIECE", 4096)
        monkeypatch.setattr(stream, "PIECE", 4096)
    other = summary(run("gifts", path, dry_run=True))

    assert whole["status"] == ImportStatus.REJECTED
    assert [e["row"] for e in whole["errors"]] == [337]
    assert other == whole


def test_without_a_child_the_sheet_is_read_here(run, settings, tmp_path, futian, monkeypatch):
    """A daemon process (a worker pool's) may not start children: read the sheet here."""
    settings.IMPORT_PARALLEL_MIN_BYTES = 0

    def refuse(self):
        raise AssertionError("daemonic processes are not allowed to have children")

    monkeypatch.setattr(multiprocessing.process.BaseProcess, "start", refuse)
    path = write_xlsx(tmp_path / "p.xlsx", table(POLICY_HEADERS, policy_rows(20)))

    job = run("policies", path)

    assert job.status == ImportStatus.COMMITTED, job.errors
    assert job.created_count == 20
