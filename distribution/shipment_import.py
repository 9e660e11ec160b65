"""Shipment sheets (保单号, 礼品编码 or 礼品名称, 数量, 快递公司, 快递单号).

The same reading and parsing as the gift sheets (``giftplatform.sheets``: file checks,
header found among the first rows, Chinese or English headers, one error per bad
cell), then each row is matched to the supplier's outstanding items of that policy and
gift and checked by ``distribution.services.shipments.plan_shipments``. A row that names
an item of another supplier reads exactly like one that names nothing: "no item of
yours is waiting here".
"""

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from django.db.models import F
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from distribution.models import Courier, DistributionItem, ItemStatus
from distribution.models.shipments import TRACKING_EXAMPLES, normalize_tracking_no
from distribution.shipment_plan import WantedLine, plan_shipments
from giftplatform.sheets.files import SheetFileError, inspect_file
from giftplatform.sheets.reader import open_sheet
from giftplatform.sheets.schema import Column, ParsedRow, RowError, RowParser, locate_header
from giftplatform.sheets.values import choice_parser, to_code, to_positive_int, to_text
from giftplatform.sheets.writer import write_workbook

MAX_ROWS = 20_000
COURIER_WORDS = {
    Courier.SF: ("顺丰", "顺丰速运", "顺丰快递", "SF", "SF Express"),
    Courier.ZTO: ("中通", "中通快递", "ZTO"),
    Courier.YTO: ("圆通", "圆通速递", "圆通快递", "YTO"),
    Courier.STO: ("申通", "申通快递", "STO"),
    Courier.YUNDA: ("韵达", "韵达快递", "韵达速递", "Yunda"),
    Courier.JD: ("京东", "京东物流", "京东快递", "JD"),
    Courier.EMS: ("EMS", "邮政", "中国邮政", "邮政EMS", "邮政快递"),
    Courier.DEPPON: ("德邦", "德邦快递", "德邦物流", "Deppon"),
    Courier.JTEXPRESS: ("极兔", "极兔速递", "J&T", "JT"),
    Courier.OTHER: ("其他", "其它", "other"),
}
COURIER = choice_parser({word: code for code, words in COURIER_WORDS.items() for word in words})


def _tracking(value: object) -> str:
    return normalize_tracking_no(to_text(value))


def _text_or_blank(value: object) -> str:
    return to_text(value)


COLUMNS = (
    Column("policy_no", ("保单号", "policy no", "policy_no"), to_code, required=True,
           example="PDAA202644030000000001"),
    Column("gift_code", ("礼品编码", "gift code", "gift_code", "SKU"), to_code, example="G0001"),
    Column("gift_name", ("礼品名称", "gift name", "gift_name"), _text_or_blank, example="车载香薰"),
    Column("quantity", ("数量", "quantity", "qty"), to_positive_int, required=True, example=1),
    Column("courier", ("快递公司", "courier", "物流公司"), COURIER, required=True, example="顺丰"),
    Column("tracking_no", ("快递单号", "tracking no", "tracking_no", "运单号"), _tracking,
           required=True, example=TRACKING_EXAMPLES[Courier.SF]),
)  # fmt: skip
TITLES = {column.key: column.title for column in COLUMNS}


@dataclass
class SheetCheck:
    """What a sheet would do: its rows, the row errors, how many lines and parcels."""

    rows: list[ParsedRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    wanted: list[WantedLine] = field(default_factory=list)
    parcels: int = 0

    @property
    def ok(self) -> bool:
        return bool(self.rows) and not self.errors


def read_rows(path: Path, file_name: str) -> tuple[list[ParsedRow], object]:
    """The parsed rows and the header map; SheetFileError for a file that cannot be read."""
    inspected = inspect_file(Path(path), file_name)
    sheet = open_sheet(inspected)
    header, first = locate_header(sheet.rows, COLUMNS)
    parser = RowParser(COLUMNS, header)
    raw = [*first, *sheet.rows]
    if len(raw) > MAX_ROWS:
        raise SheetFileError(
            _("The sheet has more than %(limit)d rows; split it.") % {"limit": MAX_ROWS}
        )
    return parser.parse_batch(raw), header


def _candidates(provider, policy_numbers) -> tuple[dict, dict]:
    """(policy no., gift code) and (policy no., gift name) -> item ids, oldest due first."""
    items = (
        DistributionItem.objects.filter(
            provider=provider,
            status=ItemStatus.TO_SHIP,
            distribution__policy__policy_no__in=policy_numbers,
        )
        .annotate(due_at=Coalesce("distribution__decided_at", "distribution__created_at"))
        .order_by(F("due_at").asc(), "pk")
        .values_list("pk", "distribution__policy__policy_no", "gift__code", "gift__name")
    )
    by_code, by_name = defaultdict(list), defaultdict(list)
    for pk, policy_no, code, name in items:
        by_code[(policy_no, code)].append(pk)
        by_name[(policy_no, name.strip())].append(pk)
    return by_code, by_name


def match_rows(provider, rows: list[ParsedRow], header) -> list[WantedLine]:
    """Rows without cell errors, matched to candidate items (errors added to the rows)."""
    good = [row for row in rows if not row.errors]
    by_code, by_name = _candidates(provider, {row.values["policy_no"] for row in good})
    quantity_title = header.titles.get("quantity", TITLES["quantity"])
    gift_title = header.titles.get("gift_code") or header.titles.get("gift_name", "")
    wanted = []
    for row in good:
        values = row.values
        code, name = values["gift_code"], values["gift_name"]
        if not code and not name:
            row.error(gift_title or TITLES["gift_code"], _("Give the gift code or the gift name."))
            continue
        key = values["policy_no"]
        ids = by_code.get((key, code), []) if code else by_name.get((key, name), [])
        if code and name:
            ids = [pk for pk in ids if pk in set(by_name.get((key, name), []))]
        wanted.append(
            WantedLine(
                row=row.number,
                courier=values["courier"],
                tracking_no=values["tracking_no"],
                quantity=values["quantity"],
                candidates=ids,
                column=gift_title if not ids else quantity_title,
                tracking_column=header.titles.get("tracking_no", TITLES["tracking_no"]),
            )
        )
    return wanted


def read_and_match(*, provider, path: Path, file_name: str) -> SheetCheck:
    """Read the sheet and match its rows to items; cell and file errors only."""
    check = SheetCheck()
    try:
        check.rows, header = read_rows(path, file_name)
    except SheetFileError as exc:
        check.errors = [RowError(0, "", str(exc))]
        return check
    if not check.rows:
        check.errors = [RowError(0, "", _("The sheet has no rows below the header."))]
        return check
    check.wanted = match_rows(provider, check.rows, header)
    check.errors = [e for row in check.rows for e in row.errors]
    return check


def check_sheet(*, provider, path: Path, file_name: str) -> SheetCheck:
    """Read and check a sheet without writing anything (the preview)."""
    check = read_and_match(provider=provider, path=path, file_name=file_name)
    return add_plan_errors(check, provider) if check.rows else check


def add_plan_errors(check: SheetCheck, provider) -> SheetCheck:
    """The planner's row errors added to the cell errors, all in row order."""
    plan, errors = plan_shipments(provider=provider, wanted=check.wanted)
    check.errors = sorted(check.errors + errors, key=lambda e: e.row)
    check.parcels = len({(courier, number) for courier, number, _item in plan.lines})
    return check


def write_template(target) -> None:
    notes = [
        _("One row per gift of a parcel; several gifts of one policy may share a tracking number."),
        _("Courier companies: %(names)s")
        % {"names": "、".join(w[0] for w in COURIER_WORDS.values())},
    ]
    write_workbook(
        target,
        [column.title for column in COLUMNS],
        [[column.example for column in COLUMNS]],
        sheet_name="发货登记",
        notes=notes,
        constant_memory=False,
    )
