"""The counter workbench's hand-out form, built from the offer it confirms."""

from __future__ import annotations

from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from distribution.specs import Offer
from distribution.workbench.pages import option_groups


class SearchForm(forms.Form):
    q = forms.CharField(
        label=_("Policy no., plate, VIN, mobile or ID number"),
        max_length=60,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "off", "type": "search"}),
    )


def include_name(rule_id: int) -> str:
    return f"rule_{rule_id}"


def group_name(rule_id: int, index: int) -> str:
    return f"rule_{rule_id}_group_{index}"


class HandoutForm(forms.Form):
    """Which rules to hand out, one option per choose-one group, and to whom.

    ``key`` is generated when the page renders; each rule's distribution is created
    under ``f"{key}:{rule_code}"``, so a double click or a re-POST hands out once.
    Fields exist for every rule with rewards, matched or not: a rule that stopped
    matching between rendering and confirming is refused by the service, with its
    reasons, instead of being dropped silently.
    """

    key = forms.UUIDField(widget=forms.HiddenInput)
    recipient_name = forms.CharField(label=_("Recipient"), max_length=100, required=False)
    recipient_phone = forms.CharField(
        label=_("Recipient mobile"),
        max_length=11,
        required=False,
        validators=[RegexValidator(r"^1\d{10}$", _("Enter an 11-digit mobile number."))],
        help_text=_("Leave blank to use the policy's mobile."),
    )
    delivery_address = forms.CharField(label=_("Delivery address"), max_length=200, required=False)

    def __init__(self, *args, offer: Offer, **kwargs):
        super().__init__(*args, **kwargs)
        self.offer = offer
        self.verdicts = {v.rule_id: v for v in offer.verdicts if v.rewards}
        for verdict in self.verdicts.values():
            self.fields[include_name(verdict.rule_id)] = forms.BooleanField(
                label=verdict.rule_name, required=False
            )
            for group in option_groups(verdict):
                self.fields[group_name(verdict.rule_id, group.index)] = forms.TypedChoiceField(
                    label=group.label,
                    choices=[(line.reward_id, line.gift_name) for line in group.options],
                    coerce=int,
                    required=False,
                    widget=forms.RadioSelect,
                )

    def clean(self):
        cleaned = super().clean()
        ticked = [rid for rid in self.verdicts if cleaned.get(include_name(rid))]
        if not ticked:
            raise forms.ValidationError(_("Tick at least one rule to hand out."), code="none")
        for rule_id in ticked:
            for group in option_groups(self.verdicts[rule_id]):
                name = group_name(rule_id, group.index)
                if cleaned.get(name) in (None, "") and name not in self.errors:
                    self.add_error(name, _("Choose one option of this group."))
        return cleaned

    def handouts(self) -> list[tuple[int, dict[str, int]]]:
        """(rule id, {option group: reward id}) for each ticked rule, in the offer's order."""
        out = []
        for rule_id, verdict in self.verdicts.items():
            if not self.cleaned_data.get(include_name(rule_id)):
                continue
            choices = {
                group.label: self.cleaned_data[group_name(rule_id, group.index)]
                for group in option_groups(verdict)
            }
            out.append((rule_id, choices))
        return out

    def idempotency_key(self, rule_code: str) -> str:
        return f"{self.cleaned_data['key']}:{rule_code}"
