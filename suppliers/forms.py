"""Forms of the provider admin pages: the provider itself, its documents, portal accounts."""

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from giftplatform.validators import normalize_uscc
from suppliers.models import Provider, ProviderDocument
from suppliers.validators import normalize_bank_account_no, sniff_document


class ProviderAdminForm(forms.ModelForm):
    """Identifiers are stored in their canonical form (a full-width or spaced entry is fine,
    so the typed text may be longer than what is stored)."""

    credit_code = forms.CharField(
        label=Provider._meta.get_field("credit_code").verbose_name, max_length=40, required=False
    )
    bank_account_no = forms.CharField(
        label=Provider._meta.get_field("bank_account_no").verbose_name,
        max_length=60,
        required=False,
    )

    class Meta:
        model = Provider
        fields = [
            "code", "name", "kind", "credit_code", "status",
            "contact_name", "phone", "email", "address",
            "contract_start", "contract_end", "settlement_cycle",
            "bank_name", "bank_account_name", "bank_account_no",
        ]  # fmt: skip

    def clean_credit_code(self):
        value = self.cleaned_data.get("credit_code")
        return normalize_uscc(value) if value else None

    def clean_bank_account_no(self):
        value = self.cleaned_data.get("bank_account_no")
        return normalize_bank_account_no(value) if value else ""


class ProviderDocumentForm(forms.ModelForm):
    """A new document: its type and file; the file is checked by content and size here, and
    stored by ``provider_document_add`` when the provider is saved."""

    upload = forms.FileField(
        label=_("file"),
        required=False,
        help_text=_("PDF, JPEG or PNG."),
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}),
    )

    class Meta:
        model = ProviderDocument
        fields = ["doc_type"]

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk is None and self.has_changed():
            upload = cleaned.get("upload")
            if upload is None:
                self.add_error("upload", _("Choose a file to upload."))
            else:
                try:
                    sniff_document(upload)
                except forms.ValidationError as error:
                    self.add_error("upload", error)
        return cleaned


class PortalAccountForm(forms.Form):
    username = forms.CharField(label=_("username"), max_length=150)
    full_name = forms.CharField(label=_("full name"), max_length=50, required=False)
    email = forms.EmailField(label=_("email"), required=False)
    password = forms.CharField(
        label=_("initial password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_("Leave empty to generate one; it is shown once."),
    )

    def clean_username(self):
        username = self.cleaned_data["username"]
        field = get_user_model()._meta.get_field("username")
        for validator in field.validators:
            validator(username)
        if get_user_model().objects.filter(username__iexact=username).exists():
            raise forms.ValidationError(_("A user with that username already exists."))
        return username


class PortalPasswordForm(forms.Form):
    password = forms.CharField(
        label=_("new password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_("Leave empty to generate one; it is shown once."),
    )
