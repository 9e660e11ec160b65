"""Provider sheets: suppliers and service providers, matched by code."""

from django.core.validators import validate_email
from django.utils.translation import gettext as _

from giftplatform.sheets.schema import Column
from giftplatform.sheets.values import choice_parser, to_code, to_date, to_text
from giftplatform.validators import normalize_uscc
from gifts.imports.base import SheetImporter, upsert_by_code
from gifts.imports.registry import register
from gifts.models import ImportKind
from suppliers.models import Provider, ProviderKind, ProviderStatus, SettlementCycle


def _email(value: object) -> str:
    text = to_text(value)
    validate_email(text)
    return text


KIND = choice_parser(
    {
        "供货商": ProviderKind.GOODS,
        "供应商": ProviderKind.GOODS,
        "实物": ProviderKind.GOODS,
        "goods": ProviderKind.GOODS,
        "supplier": ProviderKind.GOODS,
        "服务商": ProviderKind.SERVICE,
        "服务": ProviderKind.SERVICE,
        "service": ProviderKind.SERVICE,
    }
)
STATUS = choice_parser(
    {
        "正常": ProviderStatus.ACTIVE,
        "合作中": ProviderStatus.ACTIVE,
        "active": ProviderStatus.ACTIVE,
        "暂停": ProviderStatus.SUSPENDED,
        "suspended": ProviderStatus.SUSPENDED,
        "终止": ProviderStatus.TERMINATED,
        "terminated": ProviderStatus.TERMINATED,
    }
)
CYCLE = choice_parser(
    {
        "月结": SettlementCycle.MONTHLY,
        "monthly": SettlementCycle.MONTHLY,
        "季结": SettlementCycle.QUARTERLY,
        "quarterly": SettlementCycle.QUARTERLY,
        "按单": SettlementCycle.PER_ORDER,
        "per order": SettlementCycle.PER_ORDER,
    }
)

FIELDS = [
    "name", "kind", "credit_code", "contact_name", "phone", "email", "address",
    "contract_start", "contract_end", "settlement_cycle", "status",
]  # fmt: skip


def _blank_credit_code(values: dict) -> None:
    values["credit_code"] = values["credit_code"] or None  # unique, so NULL rather than ""


@register
class ProviderImporter(SheetImporter):
    kind = ImportKind.PROVIDERS
    model = Provider
    key = "code"
    permissions = ("suppliers.add_provider", "suppliers.change_provider")
    columns = (
        Column("code", ("供应商编码", "编码", "code", "provider code"), to_code, True, "S101"),
        Column("name", ("名称", "供应商名称", "name"), to_text, True, "深圳市车享汽车用品有限公司"),
        Column("kind", ("类型", "kind", "type"), KIND, True, "供货商"),
        Column(
            "credit_code",
            ("统一社会信用代码", "信用代码", "credit code", "uscc"),
            lambda v: normalize_uscc(v),
            False,
            "91440300MA5FXXXXXX",
        ),
        Column("contact_name", ("联系人", "contact"), to_text, False, "王经理", ""),
        Column("phone", ("联系电话", "电话", "phone"), to_text, False, "0755-88888888", ""),
        Column("email", ("邮箱", "电子邮箱", "email"), _email, False, "", ""),
        Column("address", ("地址", "address"), to_text, False, "深圳市福田区深南大道1号", ""),
        Column("contract_start", ("合同开始", "合同开始日期", "contract start"), to_date),
        Column("contract_end", ("合同结束", "合同到期", "合同结束日期", "contract end"), to_date),
        Column(
            "settlement_cycle",
            ("结算周期", "settlement cycle"),
            CYCLE,
            False,
            "月结",
            SettlementCycle.MONTHLY,
        ),
        Column("status", ("状态", "status"), STATUS, False, "正常", ProviderStatus.ACTIVE),
    )

    def check(self, rows):
        self.check_lengths(rows)
        codes = [r.values["code"] for r in rows]
        self.existing = {p.code: p for p in Provider.objects.filter(code__in=codes)}
        credit_codes = [r.values["credit_code"] for r in rows if r.values["credit_code"]]
        holders = dict(
            Provider.objects.filter(credit_code__in=credit_codes).values_list("credit_code", "code")
        )
        seen_credit: dict[str, int] = getattr(self, "_seen_credit", {})
        self._seen_credit = seen_credit
        for row in rows:
            values = row.values
            start, end = values["contract_start"], values["contract_end"]
            if start and end and start > end:
                row.error(self.column_title("contract_end"), _("Contract end is before its start."))
            credit = values["credit_code"]
            if credit:
                holder = holders.get(credit)
                if holder and holder != values["code"]:
                    row.error(
                        self.column_title("credit_code"),
                        _("Already used by provider %(code)s.") % {"code": holder},
                    )
                first = seen_credit.setdefault(credit, row.number)
                if first != row.number:
                    row.error(
                        self.column_title("credit_code"),
                        _("Duplicate of row %(row)d in this sheet.") % {"row": first},
                    )
            existing = self.existing.get(values["code"])
            if (
                existing
                and values["kind"]
                and existing.kind != values["kind"]
                and existing.gifts.exists()
            ):
                row.error(
                    self.column_title("kind"),
                    _("This provider already has gifts; its kind cannot change."),
                )

    def write(self, rows, counts):
        upsert_by_code(Provider, rows, self.existing, FIELDS, counts, clean=_blank_credit_code)
