"""Provider sign-up requests in the admin: read, approve (the provider is created under a
code the reviewer gives) or reject. Like adding a provider, deciding is for holders of
``suppliers.add_provider`` at a top-level branch; anyone else gets 403."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from giftplatform.access import at_top_level, get_or_404
from giftplatform.admin_scoping import ScopedAdminMixin
from suppliers.models import Provider, ProviderSignupRequest, SignupStatus
from suppliers.services import signup_request_approve, signup_request_reject

CONFIRM_TEMPLATE = "admin/distribution/confirm.html"


class ApproveForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("provider code"),
        max_length=Provider._meta.get_field("code").max_length,
    )


@admin.register(ProviderSignupRequest)
class ProviderSignupRequestAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["name", "kind", "credit_code", "contact_name", "phone", "status", "created_at"]
    list_filter = ["status", "kind"]
    search_fields = ["name", "credit_code", "contact_name", "phone"]
    readonly_fields = [
        *("name", "kind", "credit_code", "contact_name", "phone", "email", "address", "note"),
        *("status", "created_at", "decided_by", "decided_at", "provider"),
    ]
    list_select_related = ["provider"]

    def has_add_permission(self, request):
        return False  # requests come from the public sign-up page

    def has_delete_permission(self, request, obj=None):
        return False  # decided or not, a request stays on record

    def may_decide(self, request) -> bool:
        return request.user.has_perm("suppliers.add_provider") and at_top_level(request.user)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id)
        decide = obj is not None and obj.status == SignupStatus.PENDING and self.may_decide(request)
        extra = {"show_save": False, "show_save_and_continue": False}
        extra["show_save_and_add_another"] = False
        if decide:
            extra["decide_urls"] = [
                (reverse(f"admin:suppliers_providersignuprequest_{name}", args=[obj.pk]), label)
                for name, label in (("approve", _("Approve")), ("reject", _("Reject")))
            ]
        return super().change_view(request, object_id, form_url, {**(extra_context or {}), **extra})

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "<path:object_id>/approve/",
                view(self.approve_view),
                name="suppliers_providersignuprequest_approve",
            ),
            path(
                "<path:object_id>/reject/",
                view(self.reject_view),
                name="suppliers_providersignuprequest_reject",
            ),
            *super().get_urls(),
        ]

    def _decision(self, request, object_id, *, title, question, form_class, perform):
        if not self.may_decide(request):
            raise PermissionDenied
        row = get_or_404(ProviderSignupRequest.objects.all(), request.user, "view", pk=object_id)
        back = reverse("admin:suppliers_providersignuprequest_change", args=[row.pk])
        form = form_class(request.POST or None) if form_class else None
        if request.method == "POST" and (form is None or form.is_valid()):
            try:
                message = perform(row, form.cleaned_data if form else {})
            except ValidationError as error:
                for text in error.messages:
                    self.message_user(request, text, messages.ERROR)
            else:
                self.message_user(request, message, messages.SUCCESS)
            return HttpResponseRedirect(back)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": title,
            "question": question,
            "objects": [row],
            "form": form,
            "back_url": back,
            "submit_label": title,
        }
        return TemplateResponse(request, CONFIRM_TEMPLATE, context)

    def approve_view(self, request, object_id):
        def perform(row, data):
            provider = signup_request_approve(
                actor=request.user, request_row=row, code=data["code"]
            )
            return _("Provider %(provider)s created.") % {"provider": provider}

        return self._decision(
            request,
            object_id,
            title=_("Approve"),
            question=_("The provider is created, active, under the code you give:"),
            form_class=ApproveForm,
            perform=perform,
        )

    def reject_view(self, request, object_id):
        def perform(row, data):
            signup_request_reject(actor=request.user, request_row=row)
            return _("The request is rejected.")

        return self._decision(
            request,
            object_id,
            title=_("Reject"),
            question=_("The request is rejected; the company may send a new one."),
            form_class=None,
            perform=perform,
        )
