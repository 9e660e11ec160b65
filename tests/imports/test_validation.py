"""Every bad row is reported as (Excel row number, column as written, reason); nothing written."""

import pytest

from gifts.models import Gift, GiftKind, ImportStatus, StockMovement, VoucherCode, VoucherStatus
from gifts.services import gift_receive_stock
from policies.models import Policy
from suppliers.models import Provider, ProviderKind
from tests.factories import PolicyFactory
from tests.imports.conftest import errors_by_row, table_counts
from tests.imports.sheets import (
    GIFT_HEADERS,
    POLICY_HEADERS,
    PROVIDER_HEADERS,
    STOCK_HEADERS,
    VOUCHER_HEADERS,
    gift_row,
    policy_no,
    policy_row,
    provider_row,
    stock_row,
    table,
    voucher_row,
    write_xlsx,
)

pytestmark = pytest.mark.usefixtures("catalog")

USCC_A, USCC_B = "91440300MA5FAAAA00", "91440300MA5FBBBB0M"


def rejected(run, tmp_path, kind, headers, rows, **options):
    """Import ``rows``; assert the sheet was rejected and nothing written; the job."""
    before = table_counts()
    job = run(kind, write_xlsx(tmp_path / f"{kind}.xlsx", table(headers, rows)), **options)
    assert job.status == ImportStatus.REJECTED
    assert (job.created_count, job.updated_count, job.unchanged_count) == (0, 0, 0)
    assert table_counts() == before
    return job


# --- policies ---------------------------------------------------------------------------


def test_policy_sheet_reports_every_bad_row(run, tmp_path):
    rows = [
        policy_row(1),  # row 2: good
        policy_row(2, 车架号="LSVAB1231AB123456"),
        policy_row(3, 证件号码="110105194912310021"),
        policy_row(4, 手机号="12345678901"),
        policy_row(5, 手机号="1380013800"),
        policy_row(6, 车牌号="粤I12345"),
        policy_row(7, 保费="-100"),
        policy_row(8, 保费="100.125"),
        policy_row(9, 机构代码="999999"),
        policy_row(10, 起保日期="2027-11-04", 终保日期="2026-11-03", 签单日期="2026-01-01"),
        policy_row(1),  # row 12: the policy of row 2 again
        policy_row(12, 座位数="0"),
        policy_row(13, 险种="意外险"),
        policy_row(14, 增值服务="洗车3次"),
        policy_row(15, 签单日期="2028-01-01"),
        policy_row(16, 被保险人=""),
        policy_row(17, 车架号="LSVAB1230AB12345"),
        policy_row(18, 证件号码="110105194913310021"),
        policy_row(19, 签单日期="2026-02-30"),
        policy_row(20, 新车="也许"),
    ]

    job = rejected(run, tmp_path, "policies", POLICY_HEADERS, rows)

    assert errors_by_row(job) == {
        3: [("车架号", "VIN check digit (9th character) is wrong.")],
        4: [("证件号码", "ID number check digit is wrong.")],
        5: [("手机号", "Not a valid mainland mobile number.")],
        6: [("手机号", "Mobile number must be 11 digits starting with 1.")],
        7: [("车牌号", "Not a valid plate number: 粤I12345")],
        8: [("保费", "An amount cannot be negative.")],
        9: [("保费", "An amount has at most 2 decimal places.")],
        10: [("机构代码", "Branch 999999 does not exist or is outside your branches.")],
        11: [("终保日期", "The end date is before the start date.")],
        12: [("保单号", "Duplicate of row 2 in this sheet.")],
        13: [("座位数", "Seats must be between 1 and 99.")],
        14: [
            (
                "险种",
                "意外险 is not one of: 交强险、机动车交通事故责任强制保险、商业险、机动车商业保险",
            )
        ],
        15: [("增值服务", "Unknown contract service 洗车.")],
        16: [("签单日期", "The issue date is after the end date.")],
        17: [("被保险人", "This column is required.")],
        18: [("车架号", "VIN must have 17 characters, not 16.")],
        19: [("证件号码", "ID number has an invalid birth date.")],
        20: [("签单日期", "Not a date: 2026-02-30")],
        21: [("新车", "Write 是 or 否, not 也许.")],
    }
    assert job.rejected_count == 19
    assert job.total_rows == 20


def test_several_bad_cells_in_one_row_are_all_reported(run, tmp_path):
    rows = [policy_row(1, 车架号="X", 手机号="123", 保费="abc", 起保日期="?")]

    job = rejected(run, tmp_path, "policies", POLICY_HEADERS, rows)

    assert [column for column, _ in errors_by_row(job)[2]] == [
        "手机号",
        "车架号",
        "保费",
        "起保日期",
    ]
    assert job.rejected_count == 1


def test_branch_outside_the_importers_subtree_reads_as_unknown(run, tmp_path, manager_futian):
    rows = [policy_row(1), policy_row(2, 机构代码="440305"), policy_row(3, 机构代码="440399")]

    job = rejected(run, tmp_path, "policies", POLICY_HEADERS, rows, actor=manager_futian)

    errors = errors_by_row(job)
    assert errors == {
        3: [("机构代码", "Branch 440305 does not exist or is outside your branches.")],
        4: [("机构代码", "Branch 440399 does not exist or is outside your branches.")],
    }
    # Same words either way: a branch's existence cannot be probed.
    assert errors[3][0][1].replace("440305", "") == errors[4][0][1].replace("440399", "")


def test_parent_branch_is_outside_a_sub_branch_managers_scope(run, tmp_path, manager_futian):
    rows = [policy_row(1, 机构代码="4403")]

    job = rejected(run, tmp_path, "policies", POLICY_HEADERS, rows, actor=manager_futian)

    assert "4403 does not exist" in errors_by_row(job)[2][0][1]


def test_manager_imports_into_own_subtree(run, tmp_path, manager_shenzhen, manager_futian):
    job = run(
        "policies",
        write_xlsx(tmp_path / "p.xlsx", table(POLICY_HEADERS, [policy_row(1)])),
        actor=manager_futian,
    )
    assert job.status == ImportStatus.COMMITTED, job.errors

    rows = [policy_row(2, 机构代码="440305"), policy_row(3, 机构代码="4403")]
    job = run(
        "policies",
        write_xlsx(tmp_path / "p2.xlsx", table(POLICY_HEADERS, rows)),
        actor=manager_shenzhen,
    )
    assert job.status == ImportStatus.COMMITTED, job.errors
    assert Policy.objects.get(policy_no=policy_no(2)).branch.code == "440305"


def test_policy_no_of_another_branch_is_not_taken_over(run, tmp_path, nanshan, manager_futian):
    theirs = PolicyFactory(policy_no=policy_no(1), branch=nanshan, insured_name="李四")

    job = rejected(run, tmp_path, "policies", POLICY_HEADERS, [policy_row(1)], actor=manager_futian)

    assert errors_by_row(job) == {2: [("保单号", "This policy no. is already used.")]}
    theirs.refresh_from_db()
    assert (theirs.branch, theirs.insured_name) == (nanshan, "李四")


def test_own_policy_cannot_be_moved_out_of_scope(run, tmp_path, futian, manager_futian):
    PolicyFactory(policy_no=policy_no(1), branch=futian)

    job = rejected(
        run,
        tmp_path,
        "policies",
        POLICY_HEADERS,
        [policy_row(1, 机构代码="440305")],
        actor=manager_futian,
    )

    assert errors_by_row(job)[2] == [
        ("机构代码", "Branch 440305 does not exist or is outside your branches.")
    ]
    assert Policy.objects.get(policy_no=policy_no(1)).branch == futian


# --- gifts ------------------------------------------------------------------------------


def test_gift_sheet_reports_every_bad_row(run, tmp_path):
    rows = [
        gift_row("G0001"),  # row 2: good
        gift_row("G0002", 供应商编码="S404"),
        gift_row("G0003", 类别编码="C99"),
        gift_row("G0004", 供应商编码="P001"),  # a service provider for a physical gift
        gift_row("G0005", 类型="服务", 供应商编码="S001"),
        gift_row("G0006", 供应商编码="S009"),
        gift_row("G0007", 类型="增值服务", 供应商编码="P001"),
        gift_row("G0008", 增值服务项目="道路救援"),
        gift_row("G0009", 类型="增值服务", 增值服务项目="洗车", 供应商编码="P001"),
        gift_row("G0010", 有效期起="2027-01-01", 有效期止="2026-12-31"),
        gift_row("G0011", 类别编码="CASH"),
        gift_row("G0012", 面值="-1"),
        gift_row("G0013", 单位成本="1.005"),
        gift_row("G0001"),  # row 15: duplicate of row 2
        gift_row("G0015", 类型="虚拟"),
        gift_row("G0016", 礼品名称=""),
        gift_row("G0017", 所属机构="999999"),
        gift_row("G0018", 低库存预警="-5"),
        gift_row("G0019", 类别编码="CASHOK"),  # an approved cash equivalent: fine
    ]

    job = rejected(run, tmp_path, "gifts", GIFT_HEADERS, rows)

    assert errors_by_row(job) == {
        3: [("供应商编码", "Unknown provider code.")],
        4: [("类别编码", "Unknown gift category.")],
        5: [
            (
                "供应商编码",
                "Provider P001 is a service provider and cannot provide this kind of gift.",
            )
        ],
        6: [
            (
                "供应商编码",
                "Provider S001 is a supplier (goods) and cannot provide this kind of gift.",
            )
        ],
        7: [("供应商编码", "The provider's contract is terminated.")],
        8: [
            (
                "增值服务项目",
                "Name the clause service: 道路救援, 车辆安全检测, 代为驾驶 or 代为送检.",
            )
        ],
        9: [("增值服务项目", "Only a contract service gift names a clause service.")],
        10: [
            (
                "增值服务项目",
                "洗车 is not one of: "
                "道路救援、救援、车辆安全检测、安全检测、代为驾驶、代驾、代为送检、送检",
            )
        ],
        11: [("有效期止", "Valid-to is before valid-from.")],
        12: [("类别编码", "Cash-equivalent category 加油卡 is blocked until approved.")],
        13: [("面值", "An amount cannot be negative.")],
        14: [("单位成本", "An amount has at most 2 decimal places.")],
        15: [("礼品编码", "Duplicate of row 2 in this sheet.")],
        16: [("类型", "虚拟 is not one of: 实物、实物礼品、服务、服务券、增值服务、条款增值服务")],
        17: [("礼品名称", "This column is required.")],
        18: [("所属机构", "Branch 999999 does not exist or is outside your branches.")],
        19: [("低库存预警", "Must not be negative.")],
    }


def test_sub_branch_manager_gift_rules(run, tmp_path, manager_futian):
    rows = [
        gift_row("G0001", 所属机构="440304"),  # fine
        gift_row("G0002"),  # no branch: only head-office staff add gifts for all
        gift_row("G0003", 所属机构="440305"),
        gift_row("G9004", 所属机构="440304"),  # Nanshan's gift code
        gift_row("G9001", 所属机构="440304"),  # a gift shared by all branches
    ]

    job = rejected(run, tmp_path, "gifts", GIFT_HEADERS, rows, actor=manager_futian)

    assert errors_by_row(job) == {
        3: [
            (
                "所属机构",
                "Give the owning branch; only head-office staff add gifts for all.",
            )
        ],
        4: [("所属机构", "Branch 440305 does not exist or is outside your branches.")],
        5: [("礼品编码", "This code is already used.")],
        6: [("礼品编码", "This code is already used.")],
    }
    assert Gift.objects.get(code="G9004").branch.code == "440305"


def test_head_office_manager_may_add_gifts_for_all(run, tmp_path, manager_shenzhen):
    rows = [gift_row("G0001"), gift_row("G0002", 所属机构="440305")]

    job = run(
        "gifts",
        write_xlsx(tmp_path / "g.xlsx", table(GIFT_HEADERS, rows)),
        actor=manager_shenzhen,
    )

    assert job.status == ImportStatus.COMMITTED, job.errors
    assert Gift.objects.get(code="G0001").branch is None
    assert Gift.objects.get(code="G0002").branch.code == "440305"


def test_gift_kind_cannot_change_while_it_has_stock(run, tmp_path, catalog, superuser):
    gift_receive_stock(actor=superuser, gift=catalog["physical"], quantity=5, reference="PO-1")
    row = gift_row("G9001", 类型="服务", 供应商编码="P001", 类别编码="C02")

    job = rejected(run, tmp_path, "gifts", GIFT_HEADERS, [row])

    assert errors_by_row(job) == {2: [("类型", "This gift has stock; its kind cannot change.")]}
    assert Gift.objects.get(code="G9001").kind == GiftKind.PHYSICAL


def test_text_longer_than_its_field_is_a_row_error(run, tmp_path):
    job = rejected(run, tmp_path, "gifts", GIFT_HEADERS, [gift_row("G0001", 礼品名称="礼" * 101)])

    assert list(errors_by_row(job)) == [2]
    assert errors_by_row(job)[2][0][0] == "礼品名称"


# --- stock receipts ---------------------------------------------------------------------


def test_stock_sheet_reports_every_bad_row(run, tmp_path, catalog, superuser):
    gift_receive_stock(actor=superuser, gift=catalog["physical"], quantity=100, reference="PO-1")
    rows = [
        stock_row("G9001", 10, "PO-2"),  # row 2: good
        stock_row("G0404", 10, "PO-3"),
        stock_row("G9002", 10, "PO-4"),  # a service gift
        stock_row("G9001", 0, "PO-5"),
        stock_row("G9001", "十", "PO-6"),
        stock_row("G9001", 10, ""),
        stock_row("G9001", 99, "PO-1"),  # booked before with 100
        stock_row("G9001", 10, "PO-2"),  # row 9: duplicate of row 2
        stock_row("G9001", 10, "PO-7", 单位成本="-3"),
    ]

    job = rejected(run, tmp_path, "stock", STOCK_HEADERS, rows)

    assert errors_by_row(job) == {
        3: [("礼品编码", "Unknown gift code.")],
        4: [("礼品编码", "Only physical gifts carry stock.")],
        5: [("数量", "Must be greater than zero.")],
        6: [("数量", "Not a whole number: 十")],
        7: [("单据号", "This column is required.")],
        8: [("数量", "Receipt PO-1 was booked with 100; correct it by a stock adjustment.")],
        9: [("单据号", "Duplicate of row 2 in this sheet.")],
        10: [("单位成本", "An amount cannot be negative.")],
    }
    assert Gift.objects.get(code="G9001").stock == 100


def test_stock_of_another_branchs_gift_reads_as_unknown(run, tmp_path, manager_futian):
    rows = [stock_row("G9004", 10, "PO-1"), stock_row("G0404", 10, "PO-1")]

    job = rejected(run, tmp_path, "stock", STOCK_HEADERS, rows, actor=manager_futian)

    assert errors_by_row(job) == {
        2: [("礼品编码", "Unknown gift code.")],
        3: [("礼品编码", "Unknown gift code.")],
    }


# --- vouchers ---------------------------------------------------------------------------


def test_voucher_sheet_reports_every_bad_row(run, tmp_path, catalog):
    VoucherCode.objects.create(gift=catalog["other_voucher_gift"], code="TAKEN001")
    VoucherCode.objects.create(
        gift=catalog["voucher_gift"], code="ISSUED01", status=VoucherStatus.ISSUED
    )
    rows = [
        voucher_row("NEW00001"),  # row 2: good
        voucher_row("TAKEN001"),  # belongs to G9003
        voucher_row("NEW00002", gift="G9001"),  # a physical gift
        voucher_row("NEW00003", gift="G0404"),
        voucher_row("new 00001"),  # row 6: the code of row 2, as typed
        voucher_row("ISSUED01", expires="2030-01-01"),
        voucher_row("NEW00004", expires="明年"),
        voucher_row(""),
    ]

    job = rejected(run, tmp_path, "vouchers", VOUCHER_HEADERS, rows)

    assert errors_by_row(job) == {
        3: [("券码", "This code already belongs to another gift.")],
        4: [("礼品编码", "Physical gifts have no voucher codes.")],
        5: [("礼品编码", "Unknown gift code.")],
        6: [("券码", "Duplicate of row 2 in this sheet.")],
        7: [("有效期至", "The code was already issued; its expiry cannot change.")],
        8: [("有效期至", "Not a date: 明年")],
        9: [("券码", "This column is required.")],
    }
    assert VoucherCode.objects.get(code="TAKEN001").gift.code == "G9003"


# --- providers --------------------------------------------------------------------------


def test_provider_sheet_reports_every_bad_row(run, tmp_path):
    Provider.objects.create(code="S200", name="已有", kind=ProviderKind.GOODS, credit_code=USCC_A)
    rows = [
        provider_row("S101", 统一社会信用代码=USCC_B),  # row 2: good
        provider_row("S102", 统一社会信用代码="91440300MA5FAAAA01"),
        provider_row("S103", 统一社会信用代码=USCC_A),  # S200's
        provider_row("S104", 统一社会信用代码=USCC_B),  # row 2's
        provider_row("S105", 合同开始="2027-01-01", 合同结束="2026-01-01"),
        provider_row("S001", 类型="服务商"),  # S001 has gifts
        provider_row("S106", 类型="银行"),
        provider_row("S101"),  # row 9: duplicate of row 2
    ]

    job = rejected(run, tmp_path, "providers", PROVIDER_HEADERS, rows)

    assert errors_by_row(job) == {
        3: [("统一社会信用代码", "Unified social credit code check digit is wrong.")],
        4: [("统一社会信用代码", "Already used by provider S200.")],
        5: [("统一社会信用代码", "Duplicate of row 2 in this sheet.")],
        6: [("合同结束", "Contract end is before its start.")],
        7: [("类型", "This provider already has gifts; its kind cannot change.")],
        8: [("类型", "银行 is not one of: 供货商、供应商、实物、服务商、服务")],
        9: [("供应商编码", "Duplicate of row 2 in this sheet.")],
    }
    assert Provider.objects.get(code="S001").kind == ProviderKind.GOODS


def test_provider_field_too_long_is_a_row_error(run, tmp_path):
    rows = [provider_row("S101", 名称="公" * 101)]

    job = rejected(run, tmp_path, "providers", PROVIDER_HEADERS, rows)

    assert list(errors_by_row(job)) == [2]


def test_nothing_written_when_only_the_last_row_is_bad(run, tmp_path):
    rows = [*(stock_row("G9001", 1, f"PO-{n}") for n in range(20)), stock_row("G9001", -1, "X")]

    job = rejected(run, tmp_path, "stock", STOCK_HEADERS, rows)

    assert list(errors_by_row(job)) == [22]
    assert Gift.objects.get(code="G9001").stock == 0
    assert not StockMovement.objects.exists()
