"""The public sign-up page for companies that want to become providers.

Anyone may send a request; it creates nothing but a pending request row, reviewed by a
gift manager of a top-level branch in the admin. Junk is kept down by the checks of the
trade (a credit code with a valid check digit, a mainland mobile number), one pending
request per company, and a field hidden from people that bots fill in.
"""

from django import forms
from django.core.exceptions import ValidationError
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from giftplatform.validators import normalize_mobile, normalize_uscc
from suppliers.models import ProviderSignupRequest
from suppliers.services import signup_request_submit

HONEYPOT = "website"


class SignupForm(forms.ModelForm):
    website = forms.CharField(required=False, widget=forms.HiddenInput)

    class Meta:
        model = ProviderSignupRequest
        fields = [
            "name",
            "kind",
            "credit_code",
            "contact_name",
            "phone",
            "email",
            "address",
            "note",
        ]
        widgets = {"note": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["credit_code"].max_length = 40  # typed with spaces or full-width
        self.fields["credit_code"].widget.attrs["maxlength"] = 40
        for validator in list(self.fields["credit_code"].validators):
            if getattr(validator, "limit_value", None) == 18:
                self.fields["credit_code"].validators.remove(validator)

    def clean_credit_code(self):
        return normalize_uscc(self.cleaned_data["credit_code"])

    def clean_phone(self):
        return normalize_mobile(self.cleaned_data["phone"])

    def clean_website(self):
        if self.cleaned_data.get(HONEYPOT):
            raise ValidationError(_("Please leave this field empty."))
        return ""


@never_cache
@require_http_methods(["GET", "POST"])
def signup_view(request):
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != HONEYPOT}
        try:
            signup_request_submit(**data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            return TemplateResponse(request, "suppliers/signup_sent.html", {})
    return TemplateResponse(request, "suppliers/signup.html", {"form": form})
