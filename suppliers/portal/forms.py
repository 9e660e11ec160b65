"""Forms of the supplier pages: filters, one parcel, a sheet upload, delivery."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from distribution.models import Courier, normalize_tracking_no, tracking_error
from distribution.models.shipments import TRACKING_EXAMPLES


class OutstandingFilter(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=60,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": _("policy no. or recipient")}
        ),
    )
    gift = forms.ChoiceField(label=_("Gift"), required=False)
    overdue = forms.ChoiceField(
        label=_("Waiting"),
        required=False,
        choices=[("", _("all")), ("yes", _("overdue only")), ("no", _("within the time limit"))],
    )

    def __init__(self, *args, gifts=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["gift"].choices = [("", _("all gifts"))] + [
            (str(pk), f"{code} {name}") for pk, code, name in gifts
        ]


class ShipmentFilter(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=60,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": _("tracking no. or policy no.")}
        ),
    )
    state = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("all")), ("transit", _("in transit")), ("delivered", _("delivered"))],
    )


class ParcelForm(forms.Form):
    """Courier and tracking number of one parcel; the items come as ``qty_<item id>``."""

    courier = forms.ChoiceField(label=_("Courier company"), choices=Courier.choices)
    tracking_no = forms.CharField(label=_("Tracking no."), max_length=40)
    shipped_at = forms.DateTimeField(
        label=_("Shipped at"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("Leave empty for now."),
    )

    def clean(self):
        data = super().clean()
        courier, number = data.get("courier"), normalize_tracking_no(data.get("tracking_no", ""))
        if courier and number:
            problem = tracking_error(courier, number)
            if problem:
                self.add_error("tracking_no", problem)
            data["tracking_no"] = number
        shipped_at = data.get("shipped_at")
        if shipped_at and shipped_at > timezone.now():
            self.add_error("shipped_at", _("The shipping time cannot be in the future."))
        return data

    @staticmethod
    def examples() -> dict[str, str]:
        return {str(code): example for code, example in TRACKING_EXAMPLES.items()}


class SheetUploadForm(forms.Form):
    sheet = forms.FileField(
        label=_("Shipment sheet"),
        help_text=_(".xlsx or .csv with the columns of the template."),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
    )


class DeliveredForm(forms.Form):
    delivered_at = forms.DateTimeField(
        label=_("Delivered at"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("Leave empty for now."),
    )
