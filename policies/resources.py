"""django-import-export resources for policies: exports with the sheet's Chinese headers,
and the library's default (row by row) import path that the benchmarks compare against.

The platform's own import (``policies.imports``) is what users run; this resource reads
the same sheet with the same words (险种, 保单状态, 是/否, 增值服务) so that the two can be
timed on the same file.
"""

from django.core.exceptions import ValidationError
from import_export import fields, resources, widgets

from giftplatform.models import Branch
from gifts.imports.gift_sheets import CONTRACT_SERVICE_WORDS
from gifts.resources import LabelWidget, YesNoWidget
from policies.imports import PRODUCT_WORDS, STATUS_WORDS, parse_contract_services
from policies.models import Policy


class ContractServicesWidget(widgets.Widget):
    """'道路救援7次，代为送检1次' <-> {'road_rescue': 7, 'inspection_on_behalf': 1}."""

    labels = {value: word for word, value in reversed(CONTRACT_SERVICE_WORDS.items())}

    def clean(self, value, row=None, **kwargs):
        if value in (None, ""):
            return {}
        try:
            return parse_contract_services(value)
        except ValidationError as exc:
            raise ValueError(" ".join(exc.messages)) from None

    def render(self, value, obj=None, **kwargs):
        return "，".join(f"{self.labels.get(k, k)}{n}次" for k, n in (value or {}).items())


def _text(attribute: str, header: str) -> fields.Field:
    return fields.Field(attribute=attribute, column_name=header, widget=widgets.CharWidget())


def _date(attribute: str, header: str) -> fields.Field:
    return fields.Field(attribute=attribute, column_name=header, widget=widgets.DateWidget())


class PolicyResource(resources.ModelResource):
    policy_no = _text("policy_no", "保单号")
    product = fields.Field(
        attribute="product", column_name="险种", widget=LabelWidget(PRODUCT_WORDS)
    )
    insured_name = _text("insured_name", "被保险人")
    id_number = _text("id_number", "证件号码")
    phone = _text("phone", "手机号")
    plate = _text("plate", "车牌号")
    vin = _text("vin", "车架号")
    vehicle_type = _text("vehicle_type", "车辆类型")
    usage = _text("usage", "使用性质")
    seats = fields.Field(attribute="seats", column_name="座位数", widget=widgets.IntegerWidget())
    first_registration_date = _date("first_registration_date", "初次登记日期")
    is_new_car = fields.Field(attribute="is_new_car", column_name="新车", widget=YesNoWidget())
    premium = fields.Field(attribute="premium", column_name="保费", widget=widgets.DecimalWidget())
    channel = _text("channel", "渠道")
    agent_code = _text("agent_code", "代理人代码")
    branch = fields.Field(
        attribute="branch", column_name="机构代码", widget=widgets.ForeignKeyWidget(Branch, "code")
    )
    issue_date = _date("issue_date", "签单日期")
    start_date = _date("start_date", "起保日期")
    end_date = _date("end_date", "终保日期")
    status = fields.Field(
        attribute="status", column_name="保单状态", widget=LabelWidget(STATUS_WORDS)
    )
    is_renewal = fields.Field(attribute="is_renewal", column_name="续保", widget=YesNoWidget())
    contract_services = fields.Field(
        attribute="contract_services", column_name="增值服务", widget=ContractServicesWidget()
    )

    class Meta:
        model = Policy
        import_id_fields = ["policy_no"]
        fields = [
            "policy_no", "product", "insured_name", "id_number", "phone", "plate", "vin",
            "vehicle_type", "usage", "seats", "first_registration_date", "is_new_car", "premium",
            "channel", "agent_code", "branch", "issue_date", "start_date", "end_date", "status",
            "is_renewal", "contract_services",
        ]  # fmt: skip
