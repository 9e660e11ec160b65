"""django-import-export resources: exports with Chinese headers, and the default import path
that the benchmarks compare the platform's own import pipeline against."""

from import_export import fields, resources, widgets

from giftplatform.models import Branch
from gifts.imports.gift_sheets import CONTRACT_SERVICE_WORDS, GIFT_KIND_WORDS
from gifts.models import Gift, GiftCategory
from suppliers.models import Provider


class LabelWidget(widgets.CharWidget):
    """Chinese labels in a sheet (实物, 是) to stored values, and back."""

    def __init__(self, labels: dict, **kwargs):
        super().__init__(**kwargs)
        self.labels = labels
        self.reverse = {value: label for label, value in reversed(labels.items())}

    def clean(self, value, row=None, **kwargs):
        if value in (None, ""):
            return ""
        return self.labels.get(str(value).strip(), str(value).strip())

    def render(self, value, obj=None, **kwargs):
        return self.reverse.get(value, value)


YES_NO = {"是": True, "否": False}


class YesNoWidget(widgets.BooleanWidget):
    def clean(self, value, row=None, **kwargs):
        if value in YES_NO:
            return YES_NO[value]
        return super().clean(value, row, **kwargs)

    def render(self, value, obj=None, **kwargs):
        return "是" if value else "否"


class GiftResource(resources.ModelResource):
    code = fields.Field(attribute="code", column_name="礼品编码")
    name = fields.Field(attribute="name", column_name="礼品名称")
    kind = fields.Field(attribute="kind", column_name="类型", widget=LabelWidget(GIFT_KIND_WORDS))
    contract_service = fields.Field(
        attribute="contract_service",
        column_name="增值服务项目",
        widget=LabelWidget(CONTRACT_SERVICE_WORDS),
    )
    category = fields.Field(
        attribute="category",
        column_name="类别编码",
        widget=widgets.ForeignKeyWidget(GiftCategory, "code"),
    )
    provider = fields.Field(
        attribute="provider",
        column_name="供应商编码",
        widget=widgets.ForeignKeyWidget(Provider, "code"),
    )
    face_value = fields.Field(
        attribute="face_value", column_name="面值", widget=widgets.DecimalWidget()
    )
    unit_cost = fields.Field(
        attribute="unit_cost", column_name="单位成本", widget=widgets.DecimalWidget()
    )
    low_stock_threshold = fields.Field(
        attribute="low_stock_threshold", column_name="低库存预警", widget=widgets.IntegerWidget()
    )
    valid_from = fields.Field(
        attribute="valid_from", column_name="有效期起", widget=widgets.DateWidget()
    )
    valid_to = fields.Field(
        attribute="valid_to", column_name="有效期止", widget=widgets.DateWidget()
    )
    branch = fields.Field(
        attribute="branch", column_name="所属机构", widget=widgets.ForeignKeyWidget(Branch, "code")
    )
    is_active = fields.Field(attribute="is_active", column_name="启用", widget=YesNoWidget())

    class Meta:
        model = Gift
        import_id_fields = ["code"]
        fields = [
            "code", "name", "kind", "contract_service", "category", "provider", "face_value",
            "unit_cost", "low_stock_threshold", "valid_from", "valid_to", "branch", "is_active",
        ]  # fmt: skip
        skip_unchanged = True
        report_skipped = True
