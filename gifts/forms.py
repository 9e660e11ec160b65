"""Forms for gifts and stock. Stock itself is never a form field: it moves only
through gifts.services, one ledger row per change."""

from django import forms
from django.utils.translation import gettext_lazy as _

from gifts.models import Gift, GiftKind
from suppliers.models import ProviderKind

# What kind of provider stands behind each kind of gift.
PROVIDER_KIND_FOR = {
    GiftKind.PHYSICAL: ProviderKind.GOODS,
    GiftKind.SERVICE: ProviderKind.SERVICE,
    GiftKind.CONTRACT_SERVICE: ProviderKind.SERVICE,
}


class GiftAdminForm(forms.ModelForm):
    class Meta:
        model = Gift
        fields = [
            "code",
            "name",
            "kind",
            "contract_service",
            "category",
            "provider",
            "face_value",
            "unit_cost",
            "low_stock_threshold",
            "branch",
            "valid_from",
            "valid_to",
            "is_active",
            "description",
        ]

    def clean(self):
        cleaned = super().clean()
        kind = cleaned.get("kind")
        provider = cleaned.get("provider")
        if kind == GiftKind.CONTRACT_SERVICE and not cleaned.get("contract_service"):
            self.add_error("contract_service", _("Choose the clause service."))
        elif kind and kind != GiftKind.CONTRACT_SERVICE and cleaned.get("contract_service"):
            self.add_error("contract_service", _("Only contract services name a clause service."))
        if kind and provider and provider.kind != PROVIDER_KIND_FOR[kind]:
            self.add_error("provider", _("This provider does not supply this kind of gift."))
        if kind and kind != GiftKind.PHYSICAL and self.instance.pk and self.instance.stock:
            # The database refuses stock on a non-physical gift: say so before it does.
            self.add_error("kind", _("Bring the stock to zero before changing the kind."))
        return cleaned


class ReceiveStockForm(forms.Form):
    required_css_class = "required"

    quantity = forms.IntegerField(label=_("Quantity"), min_value=1)
    reference = forms.CharField(
        label=_("Purchase order or invoice no."),
        max_length=100,
        help_text=_("The unit cost traces to this document."),
    )
    unit_cost = forms.DecimalField(
        label=_("Unit cost"),
        required=False,
        min_value=0,
        max_digits=14,
        decimal_places=2,
        help_text=_("Empty: the gift's current unit cost."),
    )
    note = forms.CharField(label=_("Note"), max_length=200, required=False)


class AdjustStockForm(forms.Form):
    required_css_class = "required"

    quantity = forms.IntegerField(
        label=_("Quantity"), help_text=_("Positive adds to stock, negative takes from it.")
    )
    note = forms.CharField(label=_("Reason"), max_length=200)

    def clean_quantity(self):
        quantity = self.cleaned_data["quantity"]
        if quantity == 0:
            raise forms.ValidationError(_("Quantity must not be zero."))
        return quantity
