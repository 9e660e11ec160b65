"""Gift sheets, stock receipts and voucher-code lists."""

from django.db.models import Sum
from django.utils.translation import gettext as _

from giftplatform import access
from giftplatform.sheets.schema import Column
from giftplatform.sheets.values import (
    choice_parser,
    to_bool,
    to_code,
    to_date,
    to_money,
    to_non_negative_int,
    to_plain,
    to_positive_int,
    to_text,
)
from gifts.imports.base import SheetImporter, upsert_by_code
from gifts.imports.registry import register
from gifts.models import (
    ContractService,
    Gift,
    GiftCategory,
    GiftKind,
    ImportKind,
    MovementReason,
    StockMovement,
    VoucherCode,
    VoucherStatus,
)
from gifts.services import gift_receive_stock
from suppliers.models import Provider, ProviderKind, ProviderStatus

GIFT_KIND_WORDS = {
    "实物": GiftKind.PHYSICAL,
    "实物礼品": GiftKind.PHYSICAL,
    "physical": GiftKind.PHYSICAL,
    "服务": GiftKind.SERVICE,
    "服务券": GiftKind.SERVICE,
    "service": GiftKind.SERVICE,
    "增值服务": GiftKind.CONTRACT_SERVICE,
    "条款增值服务": GiftKind.CONTRACT_SERVICE,
    "contract_service": GiftKind.CONTRACT_SERVICE,
    "contract service": GiftKind.CONTRACT_SERVICE,
}
GIFT_KIND = choice_parser(GIFT_KIND_WORDS)
CONTRACT_SERVICE_WORDS = {
    "道路救援": ContractService.ROAD_RESCUE,
    "救援": ContractService.ROAD_RESCUE,
    "车辆安全检测": ContractService.SAFETY_INSPECTION,
    "安全检测": ContractService.SAFETY_INSPECTION,
    "代为驾驶": ContractService.DESIGNATED_DRIVING,
    "代驾": ContractService.DESIGNATED_DRIVING,
    "代为送检": ContractService.INSPECTION_ON_BEHALF,
    "送检": ContractService.INSPECTION_ON_BEHALF,
    **{choice.value: choice.value for choice in ContractService},
}
CONTRACT_SERVICE = choice_parser(CONTRACT_SERVICE_WORDS)
PROVIDER_KIND_FOR = {
    GiftKind.PHYSICAL: ProviderKind.GOODS,
    GiftKind.SERVICE: ProviderKind.SERVICE,
    GiftKind.CONTRACT_SERVICE: ProviderKind.SERVICE,
}
GIFT_FIELDS = [
    "name", "kind", "contract_service", "category", "provider", "face_value", "unit_cost",
    "low_stock_threshold", "valid_from", "valid_to", "branch", "is_active", "description",
]  # fmt: skip


def _gifts_by_code(actor, codes, *, lock: bool = False) -> dict[str, Gift]:
    """Gifts the actor may see, by code (a foreign gift reads as unknown).

    ``lock`` holds the gift rows until the import's transaction ends, so two imports
    of the same receipts run one after the other and the second sees the first's rows.
    """
    queryset = access.restrict(Gift.objects.all(), actor, "change").filter(code__in=codes)
    if lock:
        queryset = queryset.order_by("pk").select_for_update(of=("self",))
    return {gift.code: gift for gift in queryset}


@register
class GiftImporter(SheetImporter):
    kind = ImportKind.GIFTS
    model = Gift
    key = "code"
    permissions = ("gifts.add_gift", "gifts.change_gift")
    columns = (
        Column("code", ("礼品编码", "编码", "SKU", "gift code", "code"), to_code, True, "G1001"),
        Column("name", ("礼品名称", "名称", "gift name", "name"), to_text, True, "车载吸尘器"),
        Column("kind", ("类型", "礼品类型", "kind", "type"), GIFT_KIND, True, "实物"),
        Column(
            "contract_service",
            ("增值服务项目", "服务项目", "contract service"),
            CONTRACT_SERVICE,
            False,
            "",
            "",
        ),
        Column("category", ("类别", "类别编码", "礼品类别", "category"), to_plain, True, "C01"),
        Column(
            "provider", ("供应商编码", "供应商", "provider code", "provider"), to_code, True, "S001"
        ),
        Column("face_value", ("面值", "面值(元)", "face value"), to_money, True, "¥128.00"),
        Column("unit_cost", ("单位成本", "成本", "成本(元)", "unit cost"), to_money, True, "88元"),
        Column(
            "low_stock_threshold",
            ("低库存预警", "预警库存", "low-stock threshold", "low stock threshold"),
            to_non_negative_int,
            False,
            "20",
            0,
        ),
        Column("valid_from", ("有效期起", "生效日期", "valid from"), to_date, False, "2026/1/1"),
        Column("valid_to", ("有效期止", "失效日期", "valid to"), to_date, False, "2026年12月31日"),
        Column("branch", ("所属机构", "机构代码", "branch"), to_code, False, "4403"),
        Column("is_active", ("启用", "是否启用", "active"), to_bool, False, "是", True),
        Column("description", ("说明", "备注", "description"), to_text, False, "", ""),
    )

    def check(self, rows):
        self.check_lengths(rows)
        codes = [r.values["code"] for r in rows]
        visible = _gifts_by_code(self.actor, codes)
        taken = set(Gift.objects.filter(code__in=codes).values_list("code", flat=True))
        self.existing = visible
        categories = getattr(self, "_categories", None)
        if categories is None:
            categories = {}
            for category in GiftCategory.objects.all():
                categories[category.code.upper()] = categories[category.name] = category
            self._categories = categories
            self._providers = {p.code: p for p in Provider.objects.all()}
        scope_root = access.branch_scope(self.actor)
        may_share = access.sees_everything(self.actor) or (
            scope_root is not None and scope_root.parent_id is None
        )
        for row in rows:
            values = row.values
            if values["code"] in taken and values["code"] not in visible:
                row.error(self.column_title("code"), _("This code is already used."))
            self._check_kind(row)
            name = values["category"]
            category = name and (categories.get(name) or categories.get(name.upper()))
            if name is None:
                pass  # blank: already reported as required
            elif category is None:
                row.error(self.column_title("category"), _("Unknown gift category."))
            elif category.is_cash_equivalent and not category.cash_equivalent_enabled:
                row.error(
                    self.column_title("category"),
                    _("Cash-equivalent category %(name)s is blocked until approved.")
                    % {"name": category.name},
                )
            values["category"] = category
            self._check_provider(row)
            if values["branch"] is None:
                if not may_share:
                    row.error(
                        self.column_title("branch"),
                        _("Give the owning branch; only head-office staff add gifts for all."),
                    )
            else:
                self.resolve_branch(row)
            start, end = values["valid_from"], values["valid_to"]
            if start and end and start > end:
                row.error(self.column_title("valid_to"), _("Valid-to is before valid-from."))

    def _check_kind(self, row):
        values = row.values
        if values["kind"] is None:
            return
        if values["kind"] == GiftKind.CONTRACT_SERVICE and not values["contract_service"]:
            row.error(
                self.column_title("contract_service"),
                _("Name the clause service: 道路救援, 车辆安全检测, 代为驾驶 or 代为送检."),
            )
        if values["kind"] != GiftKind.CONTRACT_SERVICE and values["contract_service"]:
            row.error(
                self.column_title("contract_service"),
                _("Only a contract service gift names a clause service."),
            )
        existing = self.existing.get(values["code"])
        if existing and existing.kind != values["kind"] and existing.stock:
            row.error(self.column_title("kind"), _("This gift has stock; its kind cannot change."))

    def _check_provider(self, row):
        values = row.values
        if values["provider"] is None:
            return
        provider = self._providers.get(values["provider"])
        if provider is None:
            row.error(self.column_title("provider"), _("Unknown provider code."))
        elif values["kind"] and provider.kind != PROVIDER_KIND_FOR[values["kind"]]:
            row.error(
                self.column_title("provider"),
                _("Provider %(code)s is a %(kind)s and cannot provide this kind of gift.")
                % {"code": provider.code, "kind": provider.get_kind_display()},
            )
        elif provider.status == ProviderStatus.TERMINATED:
            row.error(self.column_title("provider"), _("The provider's contract is terminated."))
        values["provider"] = provider

    def write(self, rows, counts):
        upsert_by_code(Gift, rows, self.existing, GIFT_FIELDS, counts)


@register
class StockReceiptImporter(SheetImporter):
    """Receipts are ledger rows: matched by (gift, reference), never changed once booked."""

    kind = ImportKind.STOCK
    model = StockMovement
    key = ("gift", "reference")
    permissions = ("gifts.add_stockmovement",)
    columns = (
        Column("gift", ("礼品编码", "编码", "gift code", "code"), to_code, True, "G1001"),
        Column("quantity", ("数量", "入库数量", "quantity"), to_positive_int, True, "100"),
        Column(
            "reference",
            ("单据号", "采购单号", "发票号", "入库单号", "reference", "invoice"),
            to_plain,
            True,
            "PO-2026-0001",
        ),
        Column("unit_cost", ("单位成本", "成本", "unit cost"), to_money, False, "88.00"),
        Column("note", ("备注", "note"), to_text, False, "", ""),
    )

    def check(self, rows):
        self.check_lengths(rows)
        gifts = _gifts_by_code(self.actor, {r.values["gift"] for r in rows}, lock=True)
        booked = {
            (gift_id, reference): quantity
            for gift_id, reference, quantity in StockMovement.objects.filter(
                gift__in=gifts.values(),
                reason=MovementReason.RECEIPT,
                reference__in={r.values["reference"] for r in rows},
            )
            .values("gift_id", "reference")
            .annotate(total=Sum("quantity"))
            .values_list("gift_id", "reference", "total")
        }
        for row in rows:
            if row.values["gift"] is None:
                continue
            gift = gifts.get(row.values["gift"])
            if gift is None:
                row.error(self.column_title("gift"), _("Unknown gift code."))
                continue
            if gift.kind != GiftKind.PHYSICAL:
                row.error(self.column_title("gift"), _("Only physical gifts carry stock."))
            row.values["gift"] = gift
            already = booked.get((gift.pk, row.values["reference"]))
            row.values["booked"] = already is not None
            quantity = row.values["quantity"]
            if already is not None and quantity is not None and already != quantity:
                row.error(
                    self.column_title("quantity"),
                    _("Receipt %(ref)s was booked with %(n)d; correct it by a stock adjustment.")
                    % {"ref": row.values["reference"], "n": already},
                )

    def key_of(self, row):
        gift = row.values.get("gift")
        code = gift.code if isinstance(gift, Gift) else gift
        return None if code is None else (code, row.values.get("reference"))

    def write(self, rows, counts):
        for row in rows:
            if row.values["booked"]:
                counts.unchanged += 1
                continue
            gift_receive_stock(
                actor=self.actor,
                gift=row.values["gift"],
                quantity=row.values["quantity"],
                reference=row.values["reference"],
                unit_cost=row.values["unit_cost"],
                note=row.values["note"],
                import_job=self.job,
            )
            counts.created += 1


@register
class VoucherImporter(SheetImporter):
    kind = ImportKind.VOUCHERS
    model = VoucherCode
    key = "code"
    permissions = ("gifts.add_vouchercode", "gifts.change_vouchercode")
    columns = (
        Column("gift", ("礼品编码", "gift code"), to_code, True, "G2001"),
        Column("code", ("券码", "兑换码", "voucher code", "code"), to_code, True, "WX8K2M9Q"),
        Column(
            "expires_on",
            ("有效期至", "到期日", "expires on", "expiry"),
            to_date,
            False,
            "2027-06-30",
        ),
    )

    def check(self, rows):
        self.check_lengths(rows)
        gifts = _gifts_by_code(self.actor, {r.values["gift"] for r in rows})
        self.existing = {
            v.code: v for v in VoucherCode.objects.filter(code__in=[r.values["code"] for r in rows])
        }
        for row in rows:
            if row.values["gift"] is None:
                continue
            gift = gifts.get(row.values["gift"])
            if gift is None:
                row.error(self.column_title("gift"), _("Unknown gift code."))
                continue
            if gift.kind == GiftKind.PHYSICAL:
                row.error(self.column_title("gift"), _("Physical gifts have no voucher codes."))
            row.values["gift"] = gift
            voucher = self.existing.get(row.values["code"])
            if voucher and voucher.gift_id != gift.pk:
                row.error(
                    self.column_title("code"), _("This code already belongs to another gift.")
                )
            elif (
                voucher
                and voucher.expires_on != row.values["expires_on"]
                and voucher.status != VoucherStatus.AVAILABLE
            ):
                row.error(
                    self.column_title("expires_on"),
                    _("The code was already issued; its expiry cannot change."),
                )

    def write(self, rows, counts):
        created, updated = [], []
        for row in rows:
            values = row.values
            voucher = self.existing.get(values["code"])
            if voucher is None:
                created.append(
                    VoucherCode(
                        gift=values["gift"],
                        code=values["code"],
                        expires_on=values["expires_on"],
                        import_job=self.job,
                    )
                )
            elif voucher.expires_on != values["expires_on"]:
                voucher.expires_on = values["expires_on"]
                updated.append(voucher)
            else:
                counts.unchanged += 1
        VoucherCode.objects.bulk_create(created, batch_size=2000)
        VoucherCode.objects.bulk_update(updated, ["expires_on"], batch_size=2000)
        counts.created += len(created)
        counts.updated += len(updated)
