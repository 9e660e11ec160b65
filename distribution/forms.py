"""Forms of the distribution admin pages: rule rows, reasons, the policy test box."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from distribution.conditions import ATTRIBUTE_CHOICES, OPERATOR_CHOICES, clean_condition
from distribution.models import (
    Quota,
    QuotaBasis,
    QuotaPeriod,
    RecoveryStatus,
    Rule,
    RuleCondition,
)
from gifts.models import GiftCategory


def condition_value_text(value) -> str:
    """A stored JSON value as an admin types it: lists comma-separated, booleans yes/no."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return ", ".join(condition_value_text(v) for v in value)
    return str(value)


class RuleAdminForm(forms.ModelForm):
    class Meta:
        model = Rule
        fields = [
            "code",
            "name",
            "description",
            "branch",
            "target_branches",
            "all_policies",
            "starts_at",
            "ends_at",
            "issued_from",
            "issued_to",
            "priority",
            "exclusive",
            "max_per_policy",
            "approval_threshold",
            "tax_treatment",
        ]

    def clean_code(self):
        code = self.cleaned_data["code"].strip().upper()
        if self.instance.pk is None and Rule.objects.filter(code=code).exists():
            raise ValidationError(_("Rule code %(code)s is taken."), params={"code": code})
        return code


class RuleConditionForm(forms.ModelForm):
    """A condition row: the value is typed as text and stored as clean_condition returns it."""

    attribute = forms.ChoiceField(label=_("policy attribute"), choices=ATTRIBUTE_CHOICES)
    operator = forms.ChoiceField(label=_("operator"), choices=OPERATOR_CHOICES)
    value = forms.CharField(
        label=_("value"),
        required=False,
        help_text=_("Several values: separate with commas. between: low, high. Yes/no: yes, no."),
        widget=forms.TextInput(attrs={"size": 30}),
    )

    class Meta:
        model = RuleCondition
        fields = ["group", "attribute", "operator", "value"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.initial["value"] = condition_value_text(self.instance.value)

    def clean(self):
        data = super().clean()
        attribute, operator = data.get("attribute"), data.get("operator")
        if not attribute or not operator:
            return data
        value = data.get("value", "")
        if operator == "is_empty" and not value:
            value = True  # "is empty" needs no value of its own
        try:
            data["value"] = clean_condition(attribute, operator, value)
        except ValidationError as exc:
            self.add_error("value", exc)
        return data


class ReasonForm(forms.Form):
    """What a confirmation page asks: a reason, required or not."""

    reason = forms.CharField(
        label=_("reason given"),
        max_length=200,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 60}),
    )

    def __init__(self, *args, required: bool = True, label=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].required = required
        if label is not None:
            self.fields["reason"].label = label


class CloneForm(forms.Form):
    code = forms.CharField(label=_("code of the new rule"), max_length=40)


class RecoveryForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("outcome"),
        choices=[(k, v) for k, v in RecoveryStatus.choices if k],
        widget=forms.RadioSelect,
    )


class PolicyTestForm(forms.Form):
    policy = forms.CharField(
        label=_("policy no."),
        max_length=40,
        help_text=_("Policy no., plate, VIN or mobile of a policy in your branches."),
    )


class CashCategoryRequestForm(forms.Form):
    category = forms.ModelChoiceField(
        label=_("gift category"),
        queryset=GiftCategory.objects.filter(
            is_cash_equivalent=True, cash_equivalent_enabled=False
        ),
        help_text=_("Cash-equivalent categories not yet allowed."),
    )
    note = forms.CharField(label=_("note"), max_length=200, required=False)


class QuotaAdminForm(forms.ModelForm):
    class Meta:
        model = Quota
        fields = [
            "code",
            "name",
            "basis",
            "period",
            "limit",
            "warn_percent",
            "scope_branch",
            "scope_rule_code",
            "scope_gift",
            "scope_product",
            "branch",
        ]

    def clean_code(self):
        return self.cleaned_data["code"].strip().upper()

    def clean(self):
        data = super().clean()
        if data.get("basis") == QuotaBasis.PREMIUM_RATIO and data.get("period") not in (
            None,
            QuotaPeriod.POLICY,
        ):
            self.add_error(
                "period", _("A share of the premium is counted per policy, never as a pool.")
            )
        return data
