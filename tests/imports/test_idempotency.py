"""Importing the same sheet again changes nothing; a changed row is an update; a dry run
counts exactly what a commit does and writes nothing."""

import datetime

import pytest
from django.db.models import Sum

from gifts.models import Gift, ImportStatus, StockMovement, VoucherCode, VoucherStatus
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
    policy_no,
    policy_row,
    provider_row,
    stock_row,
    table,
    voucher_row,
    write_csv,
    write_xlsx,
)

pytestmark = pytest.mark.usefixtures("catalog")


def counts(job):
    return (job.created_count, job.updated_count, job.unchanged_count, job.rejected_count)


def gift_sheet():
    return [
        *gift_rows(3),
        gift_row("G0004", 类型="服务", 类别编码="C02", 供应商编码="P001", 有效期止=""),
        gift_row("G0005", 类型="增值服务", 增值服务项目="道路救援", 供应商编码="P001"),
        gift_row("G0006", 所属机构="440305", 低库存预警="", 启用="否"),
    ]


def policy_sheet():
    return [
        policy_row(1),
        policy_row(2, 车牌号="未上牌", 证件号码="", 座位数="", 增值服务=""),
        policy_row(3, 机构代码="440305", 险种="交强险", 保单状态="退保"),
        policy_row(4, 初次登记日期="", 新车="是", 续保=""),
    ]


def provider_sheet():
    return [
        provider_row("S101", 统一社会信用代码="91440300MA5FAAAA00"),
        provider_row("P101", 类型="服务商", 合同结束=""),
        provider_row("S102", 联系人=""),
    ]


SHEETS = {
    "gifts": (GIFT_HEADERS, gift_sheet, "礼品名称"),
    "policies": (POLICY_HEADERS, policy_sheet, "被保险人"),
    "providers": (PROVIDER_HEADERS, provider_sheet, "名称"),
}


@pytest.mark.parametrize("kind", list(SHEETS))
@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_same_sheet_twice_then_one_changed_row(run, tmp_path, kind, fmt):
    headers, make_rows, text_column = SHEETS[kind]
    write = write_xlsx if fmt == "xlsx" else write_csv
    rows = make_rows()
    n = len(rows)

    first = run(kind, write(tmp_path / f"1.{fmt}", table(headers, rows)))
    assert first.status == ImportStatus.COMMITTED, first.errors
    assert counts(first) == (n, 0, 0, 0)
    after_first = table_counts()

    second = run(kind, write(tmp_path / f"2.{fmt}", table(headers, rows)))
    assert second.status == ImportStatus.COMMITTED, second.errors
    assert counts(second) == (0, 0, n, 0)
    assert table_counts() == after_first

    rows[1][text_column] = "改了名字"
    third = run(kind, write(tmp_path / f"3.{fmt}", table(headers, rows)))
    assert counts(third) == (0, 1, n - 1, 0)
    assert table_counts() == after_first


def test_changed_policy_fields_are_updated(run, tmp_path):
    rows = policy_sheet()
    run("policies", write_xlsx(tmp_path / "1.xlsx", table(POLICY_HEADERS, rows)))
    rows[0].update({"保费": "4,000.10", "增值服务": "道路救援3次"})
    rows[1].update({"座位数": 7})
    rows[2].update({"保单状态": "有效"})
    rows[3].update({"新车": "否", "终保日期": "2027年11月4日"})
    new = policy_row(5)

    job = run("policies", write_xlsx(tmp_path / "2.xlsx", table(POLICY_HEADERS, [*rows, new])))

    assert counts(job) == (1, 4, 0, 0)
    first = Policy.objects.get(policy_no=policy_no(1))
    assert str(first.premium) == "4000.10"
    assert first.contract_services == {"road_rescue": 3}
    assert Policy.objects.get(policy_no=policy_no(2)).seats == 7
    assert Policy.objects.get(policy_no=policy_no(4)).end_date == datetime.date(2027, 11, 4)


def test_policies_written_the_other_way_are_unchanged(run, tmp_path):
    """Money as ¥ text or as a number, dates as text or serials: the same stored values."""
    rows = [policy_row(1, 保费="¥3,280.00", 签单日期="2026-11-03")]
    run("policies", write_xlsx(tmp_path / "1.xlsx", table(POLICY_HEADERS, rows)))
    rows = [policy_row(1, 保费=3280, 签单日期=46329, 机构代码=440304)]

    job = run("policies", write_xlsx(tmp_path / "2.xlsx", table(POLICY_HEADERS, rows)))

    assert counts(job) == (0, 0, 1, 0)


def test_gift_changed_in_a_reference_is_updated(run, tmp_path):
    rows = gift_rows(2)
    run("gifts", write_xlsx(tmp_path / "1.xlsx", table(GIFT_HEADERS, rows)))
    rows[0]["类别编码"] = "CASHOK"
    rows[1]["所属机构"] = "4403"

    job = run("gifts", write_xlsx(tmp_path / "2.xlsx", table(GIFT_HEADERS, rows)))

    assert counts(job) == (0, 2, 0, 0)
    assert Gift.objects.get(code="G0001").category.code == "CASHOK"
    assert Gift.objects.get(code="G0002").branch.code == "4403"


# --- stock receipts ---------------------------------------------------------------------


def test_same_stock_sheet_twice_does_not_double_the_stock(run, tmp_path):
    rows = [stock_row("G9001", 100, "PO-1"), stock_row("G9001", 50, "PO-2", 单位成本="61.50")]
    path = write_xlsx(tmp_path / "s.xlsx", table(STOCK_HEADERS, rows))

    first = run("stock", path)
    second = run("stock", path)

    assert counts(first) == (2, 0, 0, 0)
    assert counts(second) == (0, 0, 2, 0)
    gift = Gift.objects.get(code="G9001")
    assert gift.stock == 150
    assert StockMovement.objects.filter(gift=gift).count() == 2
    assert StockMovement.objects.aggregate(total=Sum("quantity"))["total"] == gift.stock
    receipt = StockMovement.objects.get(reference="PO-2")
    assert str(receipt.unit_cost) == "61.50"
    assert receipt.import_job == first
    # Without a unit cost the receipt carries the gift's.
    assert StockMovement.objects.get(reference="PO-1").unit_cost == gift.unit_cost


def test_a_new_receipt_next_to_booked_ones_is_added(run, tmp_path):
    run("stock", write_xlsx(tmp_path / "1.xlsx", table(STOCK_HEADERS, [stock_row("G9001", 10)])))
    rows = [stock_row("G9001", 10), stock_row("G9001", 5, "PO-2026-0002")]

    job = run("stock", write_xlsx(tmp_path / "2.xlsx", table(STOCK_HEADERS, rows)))

    assert counts(job) == (1, 0, 1, 0)
    assert Gift.objects.get(code="G9001").stock == 15


def test_same_reference_with_another_quantity_is_a_row_error(run, tmp_path):
    run("stock", write_xlsx(tmp_path / "1.xlsx", table(STOCK_HEADERS, [stock_row("G9001", 10)])))
    rows = [stock_row("G9001", 12), stock_row("G9001", 5, "PO-NEW")]

    job = run("stock", write_xlsx(tmp_path / "2.xlsx", table(STOCK_HEADERS, rows)))

    assert errors_by_row(job) == {
        2: [("数量", "Receipt PO-2026-0001 was booked with 10; correct it by a stock adjustment.")]
    }
    assert Gift.objects.get(code="G9001").stock == 10


def test_one_reference_for_two_gifts_is_two_receipts(run, tmp_path, catalog):
    rows = [stock_row("G9001", 10, "INV-77"), stock_row("G9004", 3, "INV-77")]

    job = run("stock", write_xlsx(tmp_path / "s.xlsx", table(STOCK_HEADERS, rows)))

    assert counts(job) == (2, 0, 0, 0)
    assert Gift.objects.get(code="G9004").stock == 3


# --- vouchers ---------------------------------------------------------------------------


def test_voucher_codes_twice_then_a_changed_expiry(run, tmp_path):
    rows = [voucher_row(f"WX{n:06d}") for n in range(5)]
    path = write_xlsx(tmp_path / "v.xlsx", table(VOUCHER_HEADERS, rows))

    assert counts(run("vouchers", path)) == (5, 0, 0, 0)
    assert counts(run("vouchers", path)) == (0, 0, 5, 0)

    rows[2]["有效期至"] = "2027-12-31"
    job = run("vouchers", write_xlsx(tmp_path / "v2.xlsx", table(VOUCHER_HEADERS, rows)))
    assert counts(job) == (0, 1, 4, 0)
    assert VoucherCode.objects.get(code="WX000002").expires_on == datetime.date(2027, 12, 31)
    assert VoucherCode.objects.filter(status=VoucherStatus.AVAILABLE).count() == 5


def test_same_voucher_code_for_two_gifts_in_one_sheet(run, tmp_path):
    rows = [voucher_row("SAME0001", gift="G9002"), voucher_row("SAME0001", gift="G9003")]

    job = run("vouchers", write_xlsx(tmp_path / "v.xlsx", table(VOUCHER_HEADERS, rows)))

    assert errors_by_row(job) == {3: [("券码", "Duplicate of row 2 in this sheet.")]}
    assert not VoucherCode.objects.exists()


def test_voucher_code_of_another_gift_in_a_later_sheet(run, tmp_path):
    first = [voucher_row("SAME0001", gift="G9002")]
    run("vouchers", write_xlsx(tmp_path / "1.xlsx", table(VOUCHER_HEADERS, first)))

    job = run(
        "vouchers",
        write_xlsx(tmp_path / "2.xlsx", table(VOUCHER_HEADERS, [voucher_row("same0001", "G9003")])),
    )

    assert errors_by_row(job) == {2: [("券码", "This code already belongs to another gift.")]}
    assert VoucherCode.objects.get().gift.code == "G9002"


# --- dry run ----------------------------------------------------------------------------

DRY_RUN_SHEETS = {
    "gifts": (GIFT_HEADERS, gift_sheet),
    "policies": (POLICY_HEADERS, policy_sheet),
    "providers": (PROVIDER_HEADERS, provider_sheet),
    "stock": (STOCK_HEADERS, lambda: [stock_row("G9001", 3, f"PO-{n}") for n in range(4)]),
    "vouchers": (VOUCHER_HEADERS, lambda: [voucher_row(f"DRY{n:05d}") for n in range(4)]),
}


@pytest.mark.parametrize("kind", list(DRY_RUN_SHEETS))
def test_dry_run_writes_nothing_and_counts_what_a_commit_does(run, tmp_path, kind):
    headers, make_rows = DRY_RUN_SHEETS[kind]
    path = write_xlsx(tmp_path / "s.xlsx", table(headers, make_rows()))
    before = table_counts()

    dry = run(kind, path, dry_run=True)

    assert dry.status == ImportStatus.PREVIEWED and dry.dry_run
    assert table_counts() == before
    assert dry.committed_at is None

    real = run(kind, path)

    assert real.status == ImportStatus.COMMITTED
    assert counts(real) == counts(dry)
    assert real.total_rows == dry.total_rows
    assert counts(real)[0] == len(make_rows())


def test_dry_run_of_a_changed_sheet_counts_updates(run, tmp_path):
    rows = policy_sheet()
    run("policies", write_xlsx(tmp_path / "1.xlsx", table(POLICY_HEADERS, rows)))
    rows[0]["保费"] = "1.00"
    rows.append(policy_row(9))
    path = write_xlsx(tmp_path / "2.xlsx", table(POLICY_HEADERS, rows))

    dry = run("policies", path, dry_run=True)

    assert counts(dry) == (1, 1, 3, 0)
    assert Policy.objects.get(policy_no=policy_no(1)).premium == 3280
    assert not Policy.objects.filter(policy_no=policy_no(9)).exists()
    assert counts(run("policies", path)) == counts(dry)


def test_dry_run_of_a_bad_sheet_reports_the_same_errors(run, tmp_path):
    rows = policy_sheet()
    rows[2]["车架号"] = "LSVAB1231AB123456"
    path = write_xlsx(tmp_path / "p.xlsx", table(POLICY_HEADERS, rows))

    dry = run("policies", path, dry_run=True)
    real = run("policies", path)

    assert dry.status == real.status == ImportStatus.REJECTED
    assert dry.errors == real.errors
    assert not Policy.objects.exists()


def test_dry_run_stock_keeps_stock_and_ledger(run, tmp_path):
    rows = [stock_row("G9001", 7, "PO-1")]

    run("stock", write_xlsx(tmp_path / "s.xlsx", table(STOCK_HEADERS, rows)), dry_run=True)

    assert Gift.objects.get(code="G9001").stock == 0
    assert not StockMovement.objects.exists()
    assert not Provider.objects.filter(code="S101").exists()


LONG_AGO = datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)


@pytest.mark.parametrize(
    ("kind", "model", "headers", "rows", "column"),
    [
        pytest.param("gifts", Gift, GIFT_HEADERS, gift_rows(1), "礼品名称", id="gift"),
        pytest.param(
            "providers",
            Provider,
            PROVIDER_HEADERS,
            [provider_row("S101")],
            "名称",
            id="provider",
        ),
        pytest.param("policies", Policy, POLICY_HEADERS, [policy_row(1)], "被保险人", id="policy"),
    ],
)
def test_an_updated_row_gets_a_new_updated_at(run, tmp_path, kind, model, headers, rows, column):
    run(kind, write_xlsx(tmp_path / "1.xlsx", table(headers, rows)))
    instance = model.objects.latest("created_at")
    model.objects.filter(pk=instance.pk).update(updated_at=LONG_AGO)
    rows[0][column] = "新名字"

    job = run(kind, write_xlsx(tmp_path / "2.xlsx", table(headers, rows)))

    assert job.updated_count == 1
    instance.refresh_from_db()
    assert instance.updated_at > LONG_AGO
