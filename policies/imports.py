"""Policy sheets: one set of rules, two writers (bulk ORM anywhere, COPY + upsert on PostgreSQL)."""

import re

from django.core.exceptions import ValidationError
from django.db import connection
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

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
    to_text,
)
from giftplatform.validators import (
    normalize_mobile,
    normalize_plate,
    normalize_resident_id,
    normalize_vin,
)
from gifts.imports.base import SheetImporter
from gifts.imports.gift_sheets import CONTRACT_SERVICE_WORDS
from gifts.imports.registry import register
from gifts.models import ImportKind
from policies.models import Policy, PolicySource, PolicyStatus, Product
from policies.writers import BulkPolicyWriter, CopyPolicyWriter

# Words a sheet may use for each stored value; the first word of a value is its label.
PRODUCT_WORDS = {
    "交强险": Product.CTPL,
    "机动车交通事故责任强制保险": Product.CTPL,
    "ctpl": Product.CTPL,
    "商业险": Product.COMMERCIAL,
    "机动车商业保险": Product.COMMERCIAL,
    "commercial": Product.COMMERCIAL,
}
STATUS_WORDS = {
    "有效": PolicyStatus.IN_FORCE,
    "在保": PolicyStatus.IN_FORCE,
    "in force": PolicyStatus.IN_FORCE,
    "退保": PolicyStatus.CANCELLED,
    "已退保": PolicyStatus.CANCELLED,
    "cancelled": PolicyStatus.CANCELLED,
    "过期": PolicyStatus.EXPIRED,
    "已过期": PolicyStatus.EXPIRED,
    "满期": PolicyStatus.EXPIRED,
    "expired": PolicyStatus.EXPIRED,
}
PRODUCT = choice_parser(PRODUCT_WORDS)
STATUS = choice_parser(STATUS_WORDS)
_SERVICE_ITEM = re.compile(r"([^\d,，;；、\s]+?)\s*[:：x×*]?\s*(\d+)\s*次?")
NO_PLATE = {"新车未上牌", "未上牌", "*-*", "暂无"}


def parse_contract_services(value: object) -> dict[str, int]:
    """'道路救援7次，代为送检1次' -> {'road_rescue': 7, 'inspection_on_behalf': 1}."""
    text = to_plain(value)
    uses: dict[str, int] = {}
    rest = _SERVICE_ITEM.sub("", text)
    if re.sub(r"[,，;；、\s]", "", rest):
        raise ValidationError(
            gettext_lazy("Write services like 道路救援7次，代为送检1次, not %(value)s."),
            params={"value": text},
        )
    for word, count in _SERVICE_ITEM.findall(text):
        service = CONTRACT_SERVICE_WORDS.get(word.strip())
        if service is None:
            raise ValidationError(
                gettext_lazy("Unknown contract service %(word)s."), params={"word": word}
            )
        uses[service] = uses.get(service, 0) + int(count)
    return uses


def parse_plate(value: object) -> str:
    text = to_plain(value)
    return "" if text in NO_PLATE else normalize_plate(text)


def parse_mobile(value: object) -> str:
    return normalize_mobile(to_plain(value))  # a number cell 13800138000.0 reads as typed


def parse_vin(value: object) -> str:
    return normalize_vin(to_plain(value))


def parse_id_number(value: object) -> str:
    if isinstance(value, float) and value >= 1e15:
        # Excel keeps 15 significant digits of a number: the last three digits are gone.
        raise ValidationError(
            gettext_lazy(
                "Excel stored this ID number as a number and lost its last digits; "
                "format the column as text and type it again."
            )
        )
    return normalize_resident_id(to_plain(value))


def parse_seats(value: object) -> int:
    seats = to_non_negative_int(value)
    if not 1 <= seats <= 99:
        raise ValidationError(gettext_lazy("Seats must be between 1 and 99."))
    return seats


POLICY_FIELDS = [
    "product", "insured_name", "id_number", "phone", "plate", "vin", "vehicle_type", "usage",
    "seats", "first_registration_date", "is_new_car", "premium", "channel", "agent_code",
    "branch", "issue_date", "start_date", "end_date", "status", "is_renewal", "contract_services",
]  # fmt: skip


def _owners(policy_nos: list[str]) -> dict[str, int]:
    """Branch ids of the existing policies among ``policy_nos``."""
    if connection.vendor == "postgresql":
        # One array parameter rather than thousands of placeholders.
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT policy_no, branch_id FROM {Policy._meta.db_table} "  # noqa: S608
                "WHERE policy_no = ANY(%s)",
                [policy_nos],
            )
            return dict(cursor.fetchall())
    return dict(
        Policy.objects.filter(policy_no__in=policy_nos).values_list("policy_no", "branch_id")
    )


@register
class PolicyImporter(SheetImporter):
    kind = ImportKind.POLICIES
    model = Policy
    key = "policy_no"
    permissions = ("policies.add_policy", "policies.change_policy")
    columns = (
        Column("policy_no", ("保单号", "保单号码", "policy no", "policy number"), to_code, True,
               "PDAA202644030000000001"),
        Column("product", ("险种", "产品", "product"), PRODUCT, True, "商业险"),
        Column("insured_name", ("被保险人", "被保险人姓名", "insured", "insured name"), to_text,
               True, "张三"),
        Column("id_number", ("证件号码", "身份证号", "身份证号码", "id number"),
               parse_id_number, False, "11010519491231002X", ""),
        Column("phone", ("手机号", "手机号码", "联系电话", "mobile", "phone"), parse_mobile,
               False, "13800138000", ""),
        Column("plate", ("车牌号", "车牌号码", "车牌", "plate"), parse_plate, False, "粤B12345",
               ""),
        Column("vin", ("车架号", "VIN", "车辆识别代号", "车架号(VIN)"), parse_vin, False,
               "LFV2A21K797044155", ""),
        Column("vehicle_type", ("车辆类型", "车型", "vehicle type"), to_text, False, "小型轿车",
               ""),
        Column("usage", ("使用性质", "usage"), to_text, False, "家庭自用", ""),
        Column("seats", ("座位数", "核定座位", "seats"), parse_seats, False, "5"),
        Column("first_registration_date", ("初次登记日期", "初登日期", "first registration"),
               to_date, False, "2020-05-01"),
        Column("is_new_car", ("新车", "是否新车", "new car"), to_bool, False, "否", False),
        Column("premium", ("保费", "保费(元)", "签单保费", "premium"), to_money, True,
               "¥3,280.00"),
        Column("channel", ("渠道", "销售渠道", "channel"), to_text, False, "代理", ""),
        Column("agent_code", ("代理人代码", "业务员代码", "agent code"), to_code, False, "A001",
               ""),
        Column("branch", ("机构代码", "机构", "归属机构", "branch", "branch code"), to_code, True,
               "440304"),
        Column("issue_date", ("签单日期", "issue date"), to_date, True, "2026-11-03"),
        Column("start_date", ("起保日期", "保险起期", "start date"), to_date, True, "2026-11-04"),
        Column("end_date", ("终保日期", "保险止期", "end date"), to_date, True, "2027-11-03"),
        Column("status", ("保单状态", "状态", "status"), STATUS, False, "有效",
               PolicyStatus.IN_FORCE),
        Column("is_renewal", ("续保", "是否续保", "renewal"), to_bool, False, "是", False),
        Column("contract_services", ("增值服务", "contract services"), parse_contract_services,
               False, "道路救援7次，代为送检1次", {}),
    )  # fmt: skip

    def __init__(self, *, actor, job=None):
        super().__init__(actor=actor, job=job)
        use_copy = connection.vendor == "postgresql"
        self.writer = (CopyPolicyWriter if use_copy else BulkPolicyWriter)(POLICY_FIELDS)

    def check(self, rows):
        branches = self.branches_in_scope()
        if not hasattr(self, "_scope_ids"):
            self._scope_ids = {b.pk for b in branches.values()}
            keys = ("policy_no", "branch", "end_date", "issue_date")
            self._titles = {key: self.column_title(key) for key in keys}
        scope_ids, titles = self._scope_ids, self._titles
        if access.sees_everything(self.actor):
            # No policy is outside this actor's branches: nothing to look up, and the
            # last batch's upsert keeps the database busy while this batch is checked.
            owners = {}
        else:
            if isinstance(self.writer, CopyPolicyWriter):
                self.writer.wait()  # the last batch's upsert, so that its errors come first
            owners = _owners([r.values["policy_no"] for r in rows])
        for row in rows:
            values = row.values
            owner = owners.get(values["policy_no"])
            if owner is not None and owner not in scope_ids:
                row.error(titles["policy_no"], _("This policy no. is already used."))
            code = values["branch"]  # resolve_branch, inlined: this runs once per row
            if code is not None:
                branch = branches.get(code)
                if branch is None:
                    row.error(
                        titles["branch"],
                        _("Branch %(code)s does not exist or is outside your branches.")
                        % {"code": code},
                    )
                values["branch"] = branch
            if values["start_date"] > values["end_date"]:
                row.error(titles["end_date"], _("The end date is before the start date."))
            elif values["issue_date"] > values["end_date"]:
                row.error(titles["issue_date"], _("The issue date is after the end date."))
            values["source"] = PolicySource.IMPORT

    def write(self, rows, counts):
        self.writer.add(rows, counts)

    def finish(self, counts):
        self.writer.finish(counts)
