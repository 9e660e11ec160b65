"""Values as office workers write them, normalized to proper types in the database."""

import datetime
from decimal import Decimal

import pytest

from giftplatform.demo.generators import policy_rows
from gifts.models import ContractService, Gift, GiftKind, ImportStatus
from policies.models import Policy, PolicySource, PolicyStatus, Product
from tests.imports.conftest import table_counts
from tests.imports.sheets import (
    GIFT_HEADERS,
    POLICY_HEADERS,
    Formula,
    gift_row,
    policy_no,
    policy_row,
    table,
    write_csv,
    write_xlsx,
    write_xlsx_as_excel,
)

pytestmark = pytest.mark.usefixtures("catalog")

NOV_3 = datetime.date(2026, 11, 3)


def import_gifts(run, tmp_path, rows, fmt="xlsx"):
    writer = write_xlsx if fmt == "xlsx" else write_csv
    job = run("gifts", writer(tmp_path / f"gifts.{fmt}", table(GIFT_HEADERS, rows)))
    assert job.status == ImportStatus.COMMITTED, job.errors
    return job


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("¥1,280.00", "1280.00"),
        ("￥1,280.00", "1280.00"),
        ("88元", "88.00"),
        ("1280", "1280.00"),
        ("１２８", "128.00"),
        ("１,２８０．５０", "1280.50"),
        (" 99.9 ", "99.90"),
        ("RMB 12.5", "12.50"),
        ("0", "0.00"),
        (1280, "1280.00"),
        (99.5, "99.50"),
        (Decimal("0.1"), "0.10"),
    ],
)
@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_money_as_written(run, tmp_path, written, expected, fmt):
    import_gifts(run, tmp_path, [gift_row("G0001", 面值=written)], fmt)

    assert Gift.objects.get(code="G0001").face_value == Decimal(expected)


@pytest.mark.parametrize(
    "written",
    [
        46329,  # Excel's serial of 2026-11-03
        46329.0,
        "2026/11/3",
        "2026-11-03",
        "2026.11.03",
        "2026年11月3日",
        "２０２６年１１月３日",
        "20261103",
        datetime.date(2026, 11, 3),
        datetime.datetime(2026, 11, 3, 0, 0),
    ],
)
def test_dates_as_written(run, tmp_path, written):
    import_gifts(run, tmp_path, [gift_row("G0001", 有效期起=written, 有效期止=written)])

    gift = Gift.objects.get(code="G0001")
    assert (gift.valid_from, gift.valid_to) == (NOV_3, NOV_3)


@pytest.mark.parametrize(
    "written",
    [
        "46329",
        "2026/11/3",
        "2026年11月3日",
    ],
)
def test_dates_as_text_in_gbk_csv(run, tmp_path, written):
    rows = table(GIFT_HEADERS, [gift_row("G0001", 有效期起=written)])
    job = run("gifts", write_csv(tmp_path / "gifts.csv", rows, "gbk"))

    assert job.status == ImportStatus.COMMITTED, job.errors
    assert Gift.objects.get(code="G0001").valid_from == NOV_3


@pytest.mark.parametrize(
    ("written", "expected"),
    [("是", True), ("否", False), ("Y", True), ("no", False), (True, True), (False, False)],
)
def test_yes_no_flags(run, tmp_path, written, expected):
    import_gifts(run, tmp_path, [gift_row("G0001", 启用=written)])

    assert Gift.objects.get(code="G0001").is_active is expected


def test_gift_kinds_in_chinese(run, tmp_path):
    rows = [
        gift_row("G0001", 类型="实物"),
        gift_row("G0002", 类型="服务", 类别编码="C02", 供应商编码="P001"),
        gift_row("G0003", 类型="增值服务", 增值服务项目="道路救援", 供应商编码="P001"),
        gift_row("G0004", 类型="增值服务", 增值服务项目="代为送检", 供应商编码="P001"),
        gift_row("G0005", 类型="服务券", 供应商编码="P001"),
        gift_row("G0006", 类型="Physical"),
    ]
    import_gifts(run, tmp_path, rows)

    kinds = dict(Gift.objects.filter(code__startswith="G000").values_list("code", "kind"))
    assert kinds == {
        "G0001": GiftKind.PHYSICAL,
        "G0002": GiftKind.SERVICE,
        "G0003": GiftKind.CONTRACT_SERVICE,
        "G0004": GiftKind.CONTRACT_SERVICE,
        "G0005": GiftKind.SERVICE,
        "G0006": GiftKind.PHYSICAL,
    }
    assert Gift.objects.get(code="G0003").contract_service == ContractService.ROAD_RESCUE
    assert Gift.objects.get(code="G0004").contract_service == ContractService.INSPECTION_ON_BEHALF
    assert Gift.objects.get(code="G0001").contract_service == ""


def test_codes_are_normalized(run, tmp_path):
    rows = [
        gift_row(" g0001 ", 供应商编码="s001", 类别编码="c01"),
        gift_row("Ｇ０００２", 类别编码="车品"),  # full-width code, category by its name
        gift_row(1003, 供应商编码="S001"),  # a code Excel stored as a number
    ]
    import_gifts(run, tmp_path, rows)

    assert set(Gift.objects.filter(name__startswith="车载").values_list("code", flat=True)) == {
        "G0001",
        "G0002",
        "1003",
    }
    assert Gift.objects.get(code="G0002").category.code == "C01"


def test_numbers_stored_as_text_and_as_numbers(run, tmp_path):
    rows = [
        gift_row("G0001", 低库存预警="20"),
        gift_row("G0002", 低库存预警=20),
        gift_row("G0003", 低库存预警=20.0),
        gift_row("G0004", 低库存预警="２０"),
        gift_row("G0005", 低库存预警="20件"),
        gift_row("G0006", 低库存预警="1,000"),
    ]
    import_gifts(run, tmp_path, rows)

    thresholds = dict(
        Gift.objects.filter(code__startswith="G000").values_list("code", "low_stock_threshold")
    )
    assert thresholds == {
        "G0001": 20,
        "G0002": 20,
        "G0003": 20,
        "G0004": 20,
        "G0005": 20,
        "G0006": 1000,
    }


def test_empty_optional_cells_take_defaults(run, tmp_path):
    import_gifts(
        run, tmp_path, [gift_row("G0001", 低库存预警="", 有效期起="", 有效期止=None, 启用="")]
    )

    gift = Gift.objects.get(code="G0001")
    assert (gift.low_stock_threshold, gift.valid_from, gift.valid_to) == (0, None, None)
    assert gift.is_active is True
    assert gift.branch is None


def test_blank_rows_and_total_rows_are_skipped(run, tmp_path):
    width = len(GIFT_HEADERS)
    rows = table(GIFT_HEADERS, [gift_row("G0001"), gift_row("G0002")])
    rows[2:2] = [[], [""] * width, ["  ", None, "\t"]]
    rows += [
        [gift_row("G0003")[h] for h in GIFT_HEADERS],
        ["合计", "", "", "", "", "", "597.00", "384.00"],
        ["", "总计：", "", "", "", "", "597.00"],
        ["小计", 3],
        ["Total", "", "", "", "", "", 597],
    ]

    job = run("gifts", write_xlsx(tmp_path / "gifts.xlsx", rows))

    assert job.status == ImportStatus.COMMITTED, job.errors
    assert (job.total_rows, job.created_count) == (3, 3)


@pytest.mark.parametrize("name", ["TotalEnergies道达尔机油4L", "合计礼盒"])
def test_a_gift_named_like_a_total_is_not_skipped(run, tmp_path, name):
    """Only a row that names a total instead of carrying a key is a totals row."""
    job = import_gifts(run, tmp_path, [gift_row("G0001", 礼品名称=name), gift_row("G0002")])

    assert job.total_rows == 2
    assert Gift.objects.get(code="G0001").name == name


def test_text_cells_are_stored_trimmed(run, tmp_path):
    import_gifts(run, tmp_path, [gift_row("G0001", 礼品名称="  车载吸尘器  ")])

    assert Gift.objects.get(code="G0001").name == "车载吸尘器"


def test_chinese_punctuation_in_names_is_kept(run, tmp_path, catalog):
    gift = catalog["physical"]
    gift.name = "玻璃水（4瓶装）"
    gift.save()
    row = gift_row(
        "G9001",
        礼品名称="玻璃水（4瓶装）",
        面值=str(gift.face_value),
        单位成本=str(gift.unit_cost),
        低库存预警="0",
        有效期起="",
        有效期止="",
    )

    job = import_gifts(run, tmp_path, [row])

    assert Gift.objects.get(code="G9001").name == "玻璃水（4瓶装）"
    assert (job.updated_count, job.unchanged_count) == (0, 1)


# --- policies ---------------------------------------------------------------------------


def import_policies(run, tmp_path, rows, fmt="xlsx", **options):
    writer = write_xlsx if fmt == "xlsx" else write_csv
    job = run("policies", writer(tmp_path / f"policies.{fmt}", table(POLICY_HEADERS, rows)))
    assert job.status == ImportStatus.COMMITTED, job.errors
    return job


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_policy_row_is_stored_normalized(run, tmp_path, fmt):
    row = policy_row(
        1,
        险种="交强险",
        证件号码="11010519491231002x",
        车牌号="粤b·12345",
        车架号="lfv2a21k797044155",
        座位数="5",
        初次登记日期=43952,  # 2020-05-01
        新车="否",
        保费="¥3,280.50",
        代理人代码="a0001",
        机构代码=440304,
        签单日期="2026/11/3",
        起保日期="2026年11月4日",
        终保日期="2027-11-03",
        保单状态="退保",
        续保="是",
        增值服务="道路救援7次，代为送检1次",
    )
    if fmt == "csv":
        row["初次登记日期"] = "2020-05-01"

    import_policies(run, tmp_path, [row], fmt)

    policy = Policy.objects.get(policy_no=policy_no(1))
    assert policy.product == Product.CTPL
    assert policy.id_number == "11010519491231002X"
    assert policy.phone == "13800138000"
    assert policy.plate == "粤B12345"
    assert policy.vin == "LFV2A21K797044155"
    assert policy.seats == 5
    assert policy.first_registration_date == datetime.date(2020, 5, 1)
    assert policy.is_new_car is False
    assert policy.premium == Decimal("3280.50")
    assert policy.agent_code == "A0001"
    assert policy.branch.code == "440304"
    assert policy.issue_date == NOV_3
    assert policy.start_date == datetime.date(2026, 11, 4)
    assert policy.end_date == datetime.date(2027, 11, 3)
    assert policy.status == PolicyStatus.CANCELLED
    assert policy.is_renewal is True
    assert policy.contract_services == {"road_rescue": 7, "inspection_on_behalf": 1}
    assert policy.source == PolicySource.IMPORT


def test_phone_stored_as_a_number_cell(run, tmp_path):
    import_policies(run, tmp_path, [policy_row(1, 手机号=13800138000)])

    assert Policy.objects.get(policy_no=policy_no(1)).phone == "13800138000"


def test_money_computed_by_an_excel_formula(run, tmp_path):
    premium = Formula("=3280*1.1", 3280 * 1.1)  # Excel caches 3608.0000000000005
    rows = table(POLICY_HEADERS, [policy_row(1, 保费=premium)])

    job = run("policies", write_xlsx_as_excel(tmp_path / "p.xlsx", rows))

    assert job.status == ImportStatus.COMMITTED, job.errors
    assert Policy.objects.get(policy_no=policy_no(1)).premium == Decimal("3608.00")


def test_formula_cells_are_read_as_their_values(run, tmp_path):
    rows = table(GIFT_HEADERS, [gift_row("G0001", 面值=Formula("=100+28", 128), 低库存预警=20)])

    job = run("gifts", write_xlsx_as_excel(tmp_path / "g.xlsx", rows))

    assert job.status == ImportStatus.COMMITTED, job.errors
    assert Gift.objects.get(code="G0001").face_value == Decimal("128.00")


def test_policy_optional_cells(run, tmp_path):
    rows = [
        policy_row(
            1,
            证件号码="",
            手机号="",
            车牌号="新车未上牌",
            车架号="",
            座位数="",
            初次登记日期="",
            新车="是",
            保单状态="",
            续保="",
            增值服务="",
        ),
        policy_row(2, 车牌号="粤BD12345", 手机号="+86 138 0013 8000", 增值服务="代驾2次、救援3次"),
    ]

    import_policies(run, tmp_path, rows)

    first = Policy.objects.get(policy_no=policy_no(1))
    assert (first.id_number, first.phone, first.plate, first.vin) == ("", "", "", "")
    assert first.seats is None and first.first_registration_date is None
    assert first.is_new_car is True and first.is_renewal is False
    assert first.status == PolicyStatus.IN_FORCE
    assert first.contract_services == {}
    second = Policy.objects.get(policy_no=policy_no(2))
    assert second.plate == "粤BD12345"
    assert second.phone == "13800138000"
    assert second.contract_services == {"designated_driving": 2, "road_rescue": 3}


def test_policies_from_the_demo_generator_import_cleanly(run, tmp_path):
    """The seeded sheet rows (what the benchmarks import) pass every check."""
    rows = list(policy_rows(200, branch_codes=("440304", "440305")))
    before = table_counts()["Policy"]

    job = run("policies", write_xlsx(tmp_path / "p.xlsx", table(POLICY_HEADERS, rows)))

    assert job.status == ImportStatus.COMMITTED, job.errors[:5]
    assert job.created_count == 200
    assert Policy.objects.count() == before + 200
    stored = Policy.objects.get(policy_no=rows[0]["保单号"])
    assert stored.premium == rows[0]["保费"]
    assert stored.vin == rows[0]["车架号"]
    assert stored.start_date == rows[0]["起保日期"]


def test_an_id_number_excel_stored_as_a_number_gets_a_useful_message(run, tmp_path):
    row = policy_row(1)
    row["证件号码"] = 110105194912310000.0  # Excel kept 15 significant digits
    job = run("policies", write_xlsx(tmp_path / "p.xlsx", table(POLICY_HEADERS, [row])))
    assert job.status == ImportStatus.REJECTED
    assert any("text" in e["message"] or "文本" in e["message"] for e in job.errors), job.errors
