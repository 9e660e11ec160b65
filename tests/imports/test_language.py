"""Every problem is reported in the user's language: Chinese by default."""

import pytest
from django.core.management import call_command
from django.utils import translation

from gifts.models import VoucherCode
from tests.imports.sheets import (
    GIFT_HEADERS,
    POLICY_HEADERS,
    PROVIDER_HEADERS,
    STOCK_HEADERS,
    VOUCHER_HEADERS,
    gift_row,
    policy_row,
    provider_row,
    stock_row,
    table,
    voucher_row,
    write_csv,
    write_xlsx,
)

pytestmark = pytest.mark.usefixtures("catalog")

BAD_SHEETS = {
    "policies": (
        POLICY_HEADERS,
        [
            policy_row(1),
            policy_row(2, 车架号="LSVAB1231AB123456", 证件号码="110105194912310021"),
            policy_row(3, 手机号="12345678901", 车牌号="粤I12345", 保费="-1"),
            policy_row(4, 保费="1.001", 机构代码="999999", 座位数="0"),
            policy_row(5, 起保日期="2028-01-01"),
            policy_row(6, 签单日期="2028-01-01"),
            policy_row(1),
            policy_row(8, 险种="意外险", 增值服务="洗车3次", 新车="也许", 被保险人=""),
            policy_row(9, 车架号="LSVAB1230AB12345", 证件号码="110105194913310021"),
            policy_row(10, 手机号="1380013800", 签单日期="明天", 座位数="五"),
        ],
    ),
    "gifts": (
        GIFT_HEADERS,
        [
            gift_row("G0001", 供应商编码="S404", 类别编码="C99"),
            gift_row("G0002", 供应商编码="P001"),
            gift_row("G0003", 供应商编码="S009"),
            gift_row("G0004", 类型="增值服务", 供应商编码="P001"),
            gift_row("G0005", 增值服务项目="道路救援"),
            gift_row("G0006", 有效期起="2027-01-01", 有效期止="2026-01-01"),
            gift_row("G0007", 类别编码="CASH", 所属机构="999999"),
            gift_row("G0008", 类型="虚拟", 低库存预警="-1", 启用="也许"),
            gift_row("G0009", 单位成本="x", 面值="1.001"),
        ],
    ),
    "stock": (
        STOCK_HEADERS,
        [
            stock_row("G0404"),
            stock_row("G9002"),
            stock_row("G9001", 0),
            stock_row("G9001", "x", "PO-2"),
        ],
    ),
    "vouchers": (
        VOUCHER_HEADERS,
        [voucher_row("TAKEN001"), voucher_row("N1", gift="G9001"), voucher_row("N2", "G0404")],
    ),
    "providers": (
        PROVIDER_HEADERS,
        [
            provider_row("S101", 统一社会信用代码="91440300MA5FAAAA01"),
            provider_row("S102", 合同开始="2027-01-01", 合同结束="2026-01-01"),
            provider_row("S001", 类型="服务商"),
            provider_row("S103", 类型="银行"),
        ],
    ),
}


def has_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


@pytest.mark.parametrize("kind", list(BAD_SHEETS))
def test_row_errors_are_in_chinese_by_default(run, tmp_path, kind, catalog):
    VoucherCode.objects.create(gift=catalog["other_voucher_gift"], code="TAKEN001")
    headers, rows = BAD_SHEETS[kind]
    path = write_xlsx(tmp_path / "s.xlsx", table(headers, rows))

    english = run(kind, path, dry_run=True).errors
    with translation.override("zh-hans"):
        chinese = run(kind, path, dry_run=True).errors

    assert len(english) == len(chinese) > 2
    untranslated = [
        e["message"] for e, c in zip(english, chinese, strict=True) if e["message"] == c["message"]
    ]
    assert untranslated == []


def file_problems(tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    text = tmp_path / "text.xlsx"
    text.write_text("x", encoding="utf-8")
    pdf = tmp_path / "a.pdf"
    pdf.write_bytes(b"%PDF-1.4")
    return [
        (empty, None),
        (text, None),
        (pdf, None),
        (write_xlsx(tmp_path / "h.xlsx", [["甲"], [1]]), None),
        (write_xlsx(tmp_path / "m.xlsx", [list(GIFT_HEADERS[:3]), ["G1", "x", "实物"]]), None),
        (write_xlsx(tmp_path / "d.xlsx", [[*GIFT_HEADERS, "面值"]]), None),
        (write_xlsx(tmp_path / "s.xlsx", table(GIFT_HEADERS, [gift_row()])), "三月"),
    ]


def test_file_problems_are_in_chinese_by_default(run, tmp_path):
    with translation.override("zh-hans"):
        jobs = [run("gifts", path, sheet=sheet) for path, sheet in file_problems(tmp_path)]

    messages = [job.errors[0]["message"] for job in jobs]
    assert [m for m in messages if not has_chinese(m.replace("三月", ""))] == []


def test_row_cap_message_is_in_chinese(run, tmp_path, settings):
    settings.IMPORT_MAX_ROWS = 1
    path = write_csv(tmp_path / "g.csv", table(GIFT_HEADERS, [gift_row("G1"), gift_row("G2")]))

    with translation.override("zh-hans"):
        job = run("gifts", path)

    assert has_chinese(job.errors[0]["message"])


def test_command_prints_chinese_reasons_in_the_agreed_line_format(tmp_path, capsys):
    path = write_xlsx(tmp_path / "p.xlsx", table(POLICY_HEADERS, [policy_row(1, 机构代码="999")]))

    with translation.override("zh-hans"), pytest.raises(SystemExit):
        call_command("import_policies", str(path))

    err = capsys.readouterr().err.strip()
    assert err.startswith("row 2, column 机构代码: ")
    assert has_chinese(err.split(": ", 1)[1].replace("机构代码", ""))
