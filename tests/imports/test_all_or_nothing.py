"""A sheet with any bad row writes nothing, even after earlier batches were written."""

import pytest

from gifts.models import Gift, ImportStatus, StockMovement, VoucherCode
from policies.models import Policy
from suppliers.models import Provider
from tests.imports.conftest import errors_by_row, table_counts
from tests.imports.sheets import (
    GIFT_HEADERS,
    POLICY_HEADERS,
    PROVIDER_HEADERS,
    STOCK_HEADERS,
    VOUCHER_HEADERS,
    gift_row,
    gift_rows,
    policy_row,
    policy_rows,
    provider_row,
    stock_row,
    table,
    voucher_row,
    write_csv,
    write_xlsx,
)

pytestmark = pytest.mark.usefixtures("catalog")


@pytest.fixture(autouse=True)
def small_batches(settings):
    # Rows 2-4 are the first batch, 5-7 the second, ...: bad rows in later batches come
    # after earlier batches were written inside the transaction.
    settings.IMPORT_BATCH_SIZE = 3


def assert_nothing_written(job, before, bad_rows):
    assert job.status == ImportStatus.REJECTED
    assert sorted(errors_by_row(job)) == bad_rows
    assert job.rejected_count == len(bad_rows)
    assert (job.created_count, job.updated_count, job.unchanged_count) == (0, 0, 0)
    assert table_counts() == before


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_one_bad_row_among_many_good_gifts_writes_nothing(run, tmp_path, fmt):
    rows = gift_rows(40)
    rows[25]["面值"] = "免费"  # row 27
    path = (write_xlsx if fmt == "xlsx" else write_csv)(
        tmp_path / f"g.{fmt}", table(GIFT_HEADERS, rows)
    )
    before = table_counts()

    job = run("gifts", path)

    assert_nothing_written(job, before, [27])
    assert job.total_rows == 40


def test_bad_rows_in_later_batches_roll_back_earlier_batches(run, tmp_path):
    rows = gift_rows(10)
    rows[7]["供应商编码"] = "S404"  # row 9, third batch
    rows[9]["类别编码"] = "C99"  # row 11, fourth batch
    before = table_counts()

    job = run("gifts", write_xlsx(tmp_path / "g.xlsx", table(GIFT_HEADERS, rows)))

    assert_nothing_written(job, before, [9, 11])
    assert not Gift.objects.filter(code__startswith="G00").exists()


def test_updates_of_earlier_batches_are_rolled_back(run, tmp_path, catalog):
    rows = [gift_row("G9001", 礼品名称="改过的名字"), *gift_rows(6)]
    rows[-1]["面值"] = "-5"  # row 8, third batch
    before = table_counts()

    job = run("gifts", write_xlsx(tmp_path / "g.xlsx", table(GIFT_HEADERS, rows)))

    assert_nothing_written(job, before, [8])
    assert Gift.objects.get(code="G9001").name == catalog["physical"].name


def test_an_error_in_the_first_batch_still_checks_every_later_batch(run, tmp_path):
    rows = gift_rows(12)
    rows[0]["所属机构"] = "999999"  # row 2
    rows[6]["单位成本"] = "x"  # row 8
    rows[10] = gift_row("G0002")  # row 12: duplicate of row 3
    rows[11]["类型"] = "增值服务"  # row 13: needs a clause service and a service provider
    before = table_counts()

    job = run("gifts", write_xlsx(tmp_path / "g.xlsx", table(GIFT_HEADERS, rows)))

    assert_nothing_written(job, before, [2, 8, 12, 13])
    assert errors_by_row(job)[12] == [("礼品编码", "Duplicate of row 3 in this sheet.")]
    assert {column for column, _ in errors_by_row(job)[13]} == {"增值服务项目", "供应商编码"}


def test_policies_all_or_nothing(run, tmp_path):
    rows = policy_rows(11)
    rows[4]["车架号"] = "LSVAB1231AB123456"  # row 6
    rows[10]["机构代码"] = "440399"  # row 12
    before = table_counts()

    job = run("policies", write_xlsx(tmp_path / "p.xlsx", table(POLICY_HEADERS, rows)))

    assert_nothing_written(job, before, [6, 12])
    assert not Policy.objects.exists()


def test_policy_updates_rolled_back(run, tmp_path):
    first = run("policies", write_xlsx(tmp_path / "p.xlsx", table(POLICY_HEADERS, policy_rows(5))))
    assert first.status == ImportStatus.COMMITTED, first.errors
    rows = policy_rows(8, 被保险人="王五")
    rows[7]["保费"] = "1.001"  # row 9
    before = table_counts()

    job = run("policies", write_xlsx(tmp_path / "p2.xlsx", table(POLICY_HEADERS, rows)))

    assert_nothing_written(job, before, [9])
    assert set(Policy.objects.values_list("insured_name", flat=True)) == {"张三"}


def test_stock_receipts_all_or_nothing(run, tmp_path, catalog):
    rows = [stock_row("G9001", 10, f"PO-{n}") for n in range(9)]
    rows.append(stock_row("G9002", 10, "PO-X"))  # row 11: not a physical gift
    before = table_counts()

    job = run("stock", write_xlsx(tmp_path / "s.xlsx", table(STOCK_HEADERS, rows)))

    assert_nothing_written(job, before, [11])
    assert Gift.objects.get(code="G9001").stock == 0
    assert not StockMovement.objects.exists()


def test_vouchers_all_or_nothing(run, tmp_path):
    rows = [voucher_row(f"CODE{n:04d}") for n in range(9)]
    rows.append(voucher_row("CODE0001", gift="G9003"))  # row 11: the code of row 3
    before = table_counts()

    job = run("vouchers", write_xlsx(tmp_path / "v.xlsx", table(VOUCHER_HEADERS, rows)))

    assert_nothing_written(job, before, [11])
    assert not VoucherCode.objects.exists()


def test_providers_all_or_nothing(run, tmp_path):
    rows = [provider_row(f"S2{n:02d}") for n in range(9)]
    rows.append(provider_row("S300", 类型="?"))  # row 11
    before = table_counts()

    job = run("providers", write_xlsx(tmp_path / "pr.xlsx", table(PROVIDER_HEADERS, rows)))

    assert_nothing_written(job, before, [11])
    assert not Provider.objects.filter(code__startswith="S2").exists()


def test_a_refused_file_after_rows_were_written_writes_nothing(run, tmp_path, settings):
    """The row cap trips mid-sheet: the batches already written are rolled back too."""
    settings.IMPORT_MAX_ROWS = 7
    before = table_counts()

    job = run("policies", write_xlsx(tmp_path / "p.xlsx", table(POLICY_HEADERS, policy_rows(9))))

    assert job.status == ImportStatus.REJECTED
    assert "more than 7 rows" in job.errors[0]["message"]
    assert table_counts() == before


def test_good_sheet_after_a_rejected_one_imports(run, tmp_path):
    bad = policy_rows(4)
    bad[3]["手机号"] = "1"
    assert run("policies", write_xlsx(tmp_path / "bad.xlsx", table(POLICY_HEADERS, bad))).errors

    job = run("policies", write_xlsx(tmp_path / "good.xlsx", table(POLICY_HEADERS, policy_rows(4))))

    assert job.status == ImportStatus.COMMITTED, job.errors
    assert Policy.objects.count() == 4


def test_every_bad_row_is_reported_even_hundreds(run, tmp_path, settings):
    settings.IMPORT_BATCH_SIZE = 50
    rows = [policy_row(n, 手机号="1" if n % 2 else "13800138000") for n in range(1, 301)]

    job = run("policies", write_csv(tmp_path / "p.csv", table(POLICY_HEADERS, rows)))

    assert job.rejected_count == 150
    assert sorted(errors_by_row(job)) == list(range(2, 302, 2))
    assert not Policy.objects.exists()
