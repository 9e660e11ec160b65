"""Each import is an ImportJob (who, file, SHA-256, kind, counts, errors); the policy
writer is COPY + upsert on PostgreSQL and bulk ORM elsewhere, with the same results."""

import contextlib
import hashlib
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext

from gifts.imports import import_commit, import_preview, run_import
from gifts.imports.command import CommandLineActor
from gifts.imports.pipeline import MAX_STORED_ERRORS
from gifts.models import ImportJob, ImportKind, ImportStatus
from policies.imports import PolicyImporter
from policies.models import Policy
from policies.writers import STAGING, BulkPolicyWriter, CopyPolicyWriter
from tests.factories import PolicyFactory, UserFactory
from tests.imports.conftest import table_counts
from tests.imports.sheets import (
    GIFT_HEADERS,
    POLICY_HEADERS,
    gift_rows,
    policy_no,
    policy_row,
    policy_rows,
    table,
    write_csv,
    write_xlsx,
)

pytestmark = pytest.mark.usefixtures("catalog")
on_postgres = pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY is PostgreSQL's")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_committed_job_records_who_what_and_how_many(run, tmp_path, manager_shenzhen):
    path = write_xlsx(tmp_path / "upload.xlsx", table(GIFT_HEADERS, gift_rows(3)))

    job = run("gifts", path, actor=manager_shenzhen, file_name="C:\\桌面\\礼品 11月.xlsx")

    job = ImportJob.objects.get(pk=job.pk)  # what was saved, not the object in memory
    assert job.status == ImportStatus.COMMITTED
    assert job.kind == ImportKind.GIFTS
    assert job.actor == manager_shenzhen
    assert job.file_name.endswith("礼品 11月.xlsx")
    assert job.sha256 == sha256(path)
    assert job.size == path.stat().st_size
    assert job.sheet == "Sheet1"
    assert job.dry_run is False
    assert (job.total_rows, job.created_count, job.updated_count) == (3, 3, 0)
    assert (job.unchanged_count, job.rejected_count) == (0, 0)
    assert job.errors == []
    assert job.created_at is not None and job.committed_at is not None
    assert job.committed_at >= job.created_at
    assert job.duration_ms >= 0


def test_rejected_job_keeps_its_errors(run, tmp_path, superuser):
    rows = gift_rows(3)
    rows[1]["面值"] = "abc"
    rows[2]["供应商编码"] = "S404"
    path = write_csv(tmp_path / "g.csv", table(GIFT_HEADERS, rows), "gbk")

    job = ImportJob.objects.get(pk=run("gifts", path).pk)

    assert job.status == ImportStatus.REJECTED
    assert job.actor == superuser
    assert job.sha256 == sha256(path)
    assert job.errors == [
        {"row": 3, "column": "面值", "message": "Not an amount: abc"},
        {"row": 4, "column": "供应商编码", "message": "Unknown provider code."},
    ]
    assert (job.total_rows, job.rejected_count, job.created_count) == (3, 2, 0)
    assert job.committed_at is None


def test_refused_file_is_a_job_too(run, tmp_path):
    path = tmp_path / "g.xlsx"
    path.write_text("not a workbook", encoding="utf-8")

    job = ImportJob.objects.get(pk=run("gifts", path).pk)

    assert job.status == ImportStatus.REJECTED
    assert job.kind == ImportKind.GIFTS and job.file_name == "g.xlsx"
    assert job.errors == [
        {"row": 0, "column": "", "message": "The file is not an Excel .xlsx workbook."}
    ]
    assert job.rejected_count == 0


@pytest.mark.parametrize("name", ["g.xlsx", "g.txt"])
def test_refused_file_job_records_its_hash_and_size(run, tmp_path, name):
    path = tmp_path / name
    path.write_text("not a workbook", encoding="utf-8")

    job = ImportJob.objects.get(pk=run("gifts", path).pk)

    assert (job.sha256, job.size) == (sha256(path), path.stat().st_size)


def test_job_of_an_oversized_file_is_rejected(run, tmp_path, settings):
    settings.IMPORT_MAX_UPLOAD_BYTES = 10
    path = write_csv(tmp_path / "g.csv", table(GIFT_HEADERS, gift_rows(1)))

    job = run("gifts", path)

    assert job.status == ImportStatus.REJECTED
    assert "limit" in job.errors[0]["message"]


def test_same_file_same_hash_each_time(run, tmp_path):
    path = write_xlsx(tmp_path / "g.xlsx", table(GIFT_HEADERS, gift_rows(2)))
    first, second = run("gifts", path), run("gifts", path)

    assert first.pk != second.pk
    assert first.sha256 == second.sha256 == sha256(path)
    assert ImportJob.objects.filter(sha256=sha256(path)).count() == 2


def test_command_line_actor_is_recorded_as_no_user(tmp_path):
    path = write_xlsx(tmp_path / "g.xlsx", table(GIFT_HEADERS, gift_rows(1)))

    job = run_import(actor=CommandLineActor(), kind="gifts", path=path, file_name=path.name)

    assert job.status == ImportStatus.COMMITTED
    assert ImportJob.objects.get(pk=job.pk).actor is None


def test_user_without_import_permission_is_refused_before_any_job(tmp_path, futian):
    clerk = UserFactory(username="clerk", branch=futian)
    path = write_xlsx(tmp_path / "g.xlsx", table(GIFT_HEADERS, gift_rows(1)))

    with pytest.raises(PermissionDenied):
        run_import(actor=clerk, kind="gifts", path=path, file_name=path.name)

    assert not ImportJob.objects.exists()


def test_preview_then_commit_from_the_stored_file(tmp_path, superuser):
    path = write_xlsx(tmp_path / "g.xlsx", table(GIFT_HEADERS, gift_rows(4)))
    before = table_counts()

    preview = import_preview(actor=superuser, kind="gifts", path=path, file_name="礼品.xlsx")

    assert preview.status == ImportStatus.PREVIEWED
    assert preview.created_count == 4
    assert preview.stored_file
    assert table_counts() == before
    path.unlink()  # the commit reads the copy kept with the job, not the upload

    job = import_commit(actor=superuser, job=preview)

    assert job.pk == preview.pk
    assert job.status == ImportStatus.COMMITTED
    assert (job.created_count, job.total_rows) == (4, 4)
    assert table_counts()["Gift"] == before["Gift"] + 4


def test_commit_checks_everything_again(tmp_path, manager_futian, nanshan):
    path = write_xlsx(tmp_path / "p.xlsx", table(POLICY_HEADERS, policy_rows(2)))
    preview = import_preview(actor=manager_futian, kind="policies", path=path, file_name="p.xlsx")
    assert preview.status == ImportStatus.PREVIEWED, preview.errors
    # Between preview and confirm, Nanshan files policy no. 2.
    PolicyFactory(policy_no=policy_no(2), branch=nanshan)

    job = import_commit(actor=manager_futian, job=preview)

    assert job.status == ImportStatus.REJECTED
    assert job.errors == [
        {"row": 3, "column": "保单号", "message": "This policy no. is already used."}
    ]
    assert not Policy.objects.filter(policy_no=policy_no(1)).exists()
    assert Policy.objects.get(policy_no=policy_no(2)).branch == nanshan


def test_a_rejected_or_committed_job_cannot_be_committed(tmp_path, superuser):
    path = write_xlsx(tmp_path / "g.xlsx", table(GIFT_HEADERS, gift_rows(1)))
    job = run_import(actor=superuser, kind="gifts", path=path, file_name="g.xlsx")

    with pytest.raises(ValueError):
        import_commit(actor=superuser, job=job)


# --- the policy writers -----------------------------------------------------------------


def test_policy_writer_follows_the_database(superuser):
    writer = PolicyImporter(actor=superuser).writer

    if connection.vendor == "postgresql":
        assert isinstance(writer, CopyPolicyWriter)
    else:
        assert isinstance(writer, BulkPolicyWriter)


def test_policy_import_goes_through_the_staging_table_on_postgresql(run, tmp_path, settings):
    settings.IMPORT_BATCH_SIZE = 4
    path = write_xlsx(tmp_path / "p.xlsx", table(POLICY_HEADERS, policy_rows(10)))

    with CaptureQueriesContext(connection) as queries:
        job = run("policies", path)

    assert job.created_count == 10
    sql = [q["sql"] for q in queries.captured_queries]
    upserts = [q for q in sql if STAGING in q and "ON CONFLICT" in q]
    orm_inserts = [q for q in sql if q.startswith('INSERT INTO "policies_policy"')]
    if connection.vendor == "postgresql":
        assert 1 <= len(upserts) <= 3  # one set-based upsert per batch at most
        assert orm_inserts == []
    else:
        assert upserts == []
        assert orm_inserts  # bulk_create


@on_postgres
def test_copy_upsert_counts_created_updated_unchanged(run, tmp_path, settings):
    settings.IMPORT_BATCH_SIZE = 3
    rows = [
        policy_row(1),
        policy_row(2, 增值服务=""),
        policy_row(3, 车牌号="未上牌", 座位数=""),
        *policy_rows(5, start=4),
    ]
    first = run("policies", write_xlsx(tmp_path / "1.xlsx", table(POLICY_HEADERS, rows)))
    assert (first.created_count, first.updated_count, first.unchanged_count) == (8, 0, 0)

    rows[1]["增值服务"] = "代为驾驶2次"
    rows[2]["座位数"] = 5
    rows.append(policy_row(20))
    job = run("policies", write_xlsx(tmp_path / "2.xlsx", table(POLICY_HEADERS, rows)))

    assert (job.created_count, job.updated_count, job.unchanged_count) == (1, 2, 6)
    assert Policy.objects.get(policy_no=policy_no(2)).contract_services == {"designated_driving": 2}
    assert Policy.objects.get(policy_no=policy_no(3)).seats == 5


@on_postgres
def test_copy_path_twice_in_one_connection(run, tmp_path):
    """The staging table is per import: a second import on the same connection works."""
    path = write_xlsx(tmp_path / "p.xlsx", table(POLICY_HEADERS, policy_rows(3)))

    run("policies", path, dry_run=True)
    first = run("policies", path)
    second = run("policies", path)

    assert (first.created_count, second.unchanged_count) == (3, 3)


def test_both_writers_store_the_same_values(superuser, tmp_path, settings):
    """Bulk ORM and COPY give identical rows (compare on whichever database runs)."""
    settings.IMPORT_BATCH_SIZE = 2
    rows = [
        policy_row(1, 增值服务="道路救援7次，代为送检1次"),
        policy_row(2, 车牌号="暂无", 证件号码="", 初次登记日期="", 座位数=""),
    ]
    path = write_xlsx(tmp_path / "p.xlsx", table(POLICY_HEADERS, rows))
    job = run_import(actor=superuser, kind="policies", path=path, file_name="p.xlsx")
    assert job.status == ImportStatus.COMMITTED, job.errors

    first, second = Policy.objects.order_by("policy_no")
    assert first.contract_services == {"road_rescue": 7, "inspection_on_behalf": 1}
    assert (second.plate, second.id_number, second.seats) == ("", "", None)
    assert second.first_registration_date is None
    assert first.created_at is not None and first.updated_at is not None


def test_an_import_that_crashes_is_not_left_looking_previewed(run, tmp_path):
    path = tmp_path / "g.csv"
    path.write_bytes(",".join(GIFT_HEADERS).encode("gbk") + b"\r\nG1,\x80\xff\r\n")

    with contextlib.suppress(Exception):  # the crash itself is reported by test_formats
        run("gifts", path)

    assert ImportJob.objects.get().status in (ImportStatus.FAILED, ImportStatus.REJECTED)


def test_stored_errors_are_capped_but_every_bad_row_is_counted(run, tmp_path):
    rows = [["礼品编码", "礼品名称", "类型", "类别编码", "供应商编码", "面值", "单位成本"]]
    rows += [
        [f"G{n}", "x", "实物", "C01", "S001", "免费", "1"] for n in range(MAX_STORED_ERRORS + 7)
    ]
    path = write_csv(tmp_path / "g.csv", rows)

    job = run("gifts", path)

    assert job.status == ImportStatus.REJECTED
    assert len(job.errors) == MAX_STORED_ERRORS
    assert job.rejected_count == MAX_STORED_ERRORS + 7
    assert job.errors[0]["row"] == 2
