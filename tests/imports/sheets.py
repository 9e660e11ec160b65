"""Small builders of real sheet files for the import tests: .xlsx, .csv and hostile ones."""

import csv
import io
import struct
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import openpyxl
import xlsxwriter

# Re-exported for the tests: the sheet layout seed_demo and the benchmarks use.
from giftplatform.demo.generators import GIFT_HEADERS, POLICY_HEADERS  # noqa: F401

GIFT_HEADERS_EN = (
    "gift code",
    "gift name",
    "kind",
    "contract service",
    "category",
    "provider code",
    "face value",
    "unit cost",
    "low stock threshold",
    "valid from",
    "valid to",
    "branch",
    "active",
)
STOCK_HEADERS = ("礼品编码", "数量", "单据号", "单位成本", "备注")
VOUCHER_HEADERS = ("礼品编码", "券码", "有效期至")
PROVIDER_HEADERS = (
    "供应商编码",
    "名称",
    "类型",
    "统一社会信用代码",
    "联系人",
    "合同开始",
    "合同结束",
)


def gift_row(code="G1001", **overrides) -> dict:
    """One gift-sheet row keyed by the Chinese headers; valid for the ``catalog`` fixture."""
    row = {
        "礼品编码": code,
        "礼品名称": f"车载吸尘器{code}",
        "类型": "实物",
        "增值服务项目": "",
        "类别编码": "C01",
        "供应商编码": "S001",
        "面值": "199.00",
        "单位成本": "128.00",
        "低库存预警": "20",
        "有效期起": "2026-01-01",
        "有效期止": "2027-12-31",
        "所属机构": "",
        "启用": "是",
    }
    row.update(overrides)
    return row


def gift_rows(count: int, start: int = 1, **overrides) -> list[dict]:
    return [gift_row(f"G{start + i:04d}", **overrides) for i in range(count)]


def table(headers: Sequence[str], rows: Iterable[dict]) -> list[list]:
    """Header row then one list per dict, in header order (missing keys are empty)."""
    return [list(headers), *([row.get(h, "") for h in headers] for row in rows)]


def _cell(value):
    # openpyxl stores Decimal as a number; keep floats plain for calamine to read back.
    return float(value) if isinstance(value, Decimal) else value


@dataclass
class SheetSpec:
    name: str
    rows: list[list]
    state: str = "visible"  # visible | hidden | veryHidden
    data: dict = field(default_factory=dict)


def write_xlsx(path: Path, rows: list[list] | None = None, *, sheets=None, active=0) -> Path:
    """An .xlsx with one sheet of ``rows``, or several ``SheetSpec``; ``active`` is the tab."""
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    specs = sheets if sheets is not None else [SheetSpec("Sheet1", rows or [])]
    for spec in specs:
        worksheet = workbook.create_sheet(spec.name)
        for values in spec.rows:
            worksheet.append([_cell(v) for v in values])
        worksheet.sheet_state = spec.state
    workbook.active = active
    workbook.save(path)
    return Path(path)


def write_csv(path: Path, rows: list[list], encoding: str = "utf-8") -> Path:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(
        ["" if v is None else v for v in row] for row in rows
    )
    Path(path).write_bytes(buffer.getvalue().encode(encoding))
    return Path(path)


def replace_member(path: Path, member: str, content: bytes) -> Path:
    """Rewrite one member of an existing zip (e.g. a sheet's XML) in place."""
    with zipfile.ZipFile(path) as source:
        items = [(info, source.read(info.filename)) for info in source.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for info, data in items:
            target.writestr(info.filename, content if info.filename == member else data)
    return Path(path)


def billion_laughs(root: str, body: str) -> bytes:
    """An XML document whose DTD expands ``&lol9;`` to 10^9 'lol's, with ``body`` as content."""
    entities = ['<!ENTITY lol "lol">']
    for level in range(1, 10):
        refs = f"&lol{level - 1};" if level > 1 else "&lol;"
        entities.append(f'<!ENTITY lol{level} "{refs * 10}">')
    dtd = f"<!DOCTYPE {root} [\n  " + "\n  ".join(entities) + "\n]>"
    return f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n{dtd}\n{body}'.encode()


def write_zip_bomb(path: Path, member_bytes: int = 50 * 1024 * 1024) -> Path:
    """A zip that looks like a workbook whose sheet XML inflates to ``member_bytes`` of padding."""
    content_types = (
        b'<?xml version="1.0" encoding="UTF-8"?>'
        b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>'
    )
    workbook = (
        b'<?xml version="1.0" encoding="UTF-8"?>'
        b'<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        b'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        b'<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
    )
    chunk = b" " * (1024 * 1024)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("[Content_Types].xml", content_types)
        archive.writestr("xl/workbook.xml", workbook)
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member:
            for _ in range(member_bytes // len(chunk)):
                member.write(chunk)
    return Path(path)


VALID_VIN = "LFV2A21K797044155"
VALID_ID = "11010519491231002X"


def policy_no(n: int, branch: str = "440304") -> str:
    return f"PDAA2026{branch}{n:08d}"


def policy_row(n=1, **overrides) -> dict:
    """One policy-sheet row keyed by the Chinese headers; valid for the Futian branch."""
    row = {
        "保单号": policy_no(n),
        "险种": "商业险",
        "被保险人": "张三",
        "证件号码": VALID_ID,
        "手机号": "13800138000",
        "车牌号": "粤B12345",
        "车架号": VALID_VIN,
        "车辆类型": "小型轿车",
        "使用性质": "家庭自用",
        "座位数": "5",
        "初次登记日期": "2020-05-01",
        "新车": "否",
        "保费": "¥3,280.00",
        "渠道": "个人代理",
        "代理人代码": "A0001",
        "机构代码": "440304",
        "签单日期": "2026-11-03",
        "起保日期": "2026-11-04",
        "终保日期": "2027-11-03",
        "保单状态": "有效",
        "续保": "是",
        "增值服务": "道路救援7次，代为送检1次",
    }
    row.update(overrides)
    return row


def policy_rows(count: int, start: int = 1, **overrides) -> list[dict]:
    return [policy_row(start + i, **overrides) for i in range(count)]


def stock_row(gift="G9001", quantity="100", reference="PO-2026-0001", **overrides) -> dict:
    row = {"礼品编码": gift, "数量": quantity, "单据号": reference, "单位成本": "", "备注": ""}
    row.update(overrides)
    return row


def voucher_row(code, gift="G9002", expires="2027-06-30") -> dict:
    return {"礼品编码": gift, "券码": code, "有效期至": expires}


def provider_row(code="S101", **overrides) -> dict:
    row = {
        "供应商编码": code,
        "名称": f"供应商{code}",
        "类型": "供货商",
        "统一社会信用代码": "",
        "联系人": "王经理",
        "合同开始": "2026-01-01",
        "合同结束": "2027-12-31",
    }
    row.update(overrides)
    return row


@dataclass(frozen=True)
class Formula:
    """A formula cell with the value Excel cached for it (what readers see)."""

    text: str
    value: float


def write_xlsx_as_excel(path: Path, rows: list[list]) -> Path:
    """An .xlsx written the way Excel writes it: text cells as text (a leading '=' too),
    numbers at full precision, formulas with their cached full-precision values."""
    workbook = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False})
    sheet = workbook.add_worksheet()
    for r, values in enumerate(rows):
        for c, value in enumerate(values):
            if isinstance(value, Formula):
                sheet.write_formula(r, c, value.text, None, value.value)
            elif isinstance(value, bool):
                sheet.write_boolean(r, c, value)
            elif isinstance(value, int | float | Decimal):
                sheet.write_number(r, c, float(value))
            elif value is not None and value != "":
                sheet.write_string(r, c, str(value))
    workbook.close()
    return Path(path)


def declare_size(path: Path, member: str, declared: int) -> Path:
    """Make the zip headers lie about ``member``'s uncompressed size (a bomb in disguise)."""
    data = bytearray(Path(path).read_bytes())
    with zipfile.ZipFile(path) as archive:
        offset = archive.getinfo(member).header_offset
    struct.pack_into("<I", data, offset + 22, declared)  # local file header
    name, start = member.encode(), 0
    while (found := data.find(b"PK\x01\x02", start)) != -1:  # central directory entries
        length = struct.unpack_from("<H", data, found + 28)[0]
        if bytes(data[found + 46 : found + 46 + length]) == name:
            struct.pack_into("<I", data, found + 24, declared)
        start = found + 4
    Path(path).write_bytes(bytes(data))
    return Path(path)
