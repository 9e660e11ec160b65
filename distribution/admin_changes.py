"""Changes awaiting approval (four eyes): listed pending first, decided by a second person.

The maker sees their change and may withdraw it; only someone else with the approver
permission approves or rejects it. The services enforce both; the page only hides the
buttons that would be refused.
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Case, IntegerField, Value, When
from django.http import HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from distribution.admin_common import ConfirmPagesMixin, NoDeleteMixin, change_url
from distribution.forms import CashCategoryRequestForm, ReasonForm
from distribution.models import ChangeRequest, ChangeStatus
from distribution.services import (
    category_request_cash_enable,
    change_approve,
    change_reject,
    change_withdraw,
)
from distribution.services.changes import APPROVE_PERMISSION
from giftplatform.admin_scoping import ScopedAdminMixin, ScopedRelatedFieldListFilter

PENDING_FIRST = Case(
    When(status=ChangeStatus.PENDING, then=Value(0)), default=Value(1), output_field=IntegerField()
)


@admin.register(ChangeRequest)
class ChangeRequestAdmin(NoDeleteMixin, ConfirmPagesMixin, ScopedAdminMixin, admin.ModelAdmin):
    change_form_template = "admin/distribution/changerequest/change_form.html"
    change_list_template = "admin/distribution/changerequest/change_list.html"
    list_display = ["kind", "target", "status", "limits", "maker", "created_at", "checker"]
    list_display += ["branch"]
    list_select_related = ["rule", "quota", "category", "maker", "checker", "branch"]
    list_filter = ["status", "kind", ("branch", ScopedRelatedFieldListFilter)]
    search_fields = ["rule__code", "quota__code", "category__code"]
    fields = ["kind", "status", "target", "limits", "note", "branch", "maker", "created_at"]
    fields += ["checker", "decided_at", "decision_note"]
    readonly_fields = fields

    def get_ordering(self, request):
        return [PENDING_FIRST.asc(), "-created_at", "-id"]

    @admin.display(description=gettext_lazy("what"))
    def target(self, change):
        target = change.rule or change.quota or change.category
        if target is None:
            return "—"
        if change.category_id:
            return str(target)
        return format_html('<a href="{}">{}</a>', change_url(target), target)

    @admin.display(description=gettext_lazy("limit (old → new)"))
    def limits(self, change):
        if change.new_limit is None:
            return "—"
        old = "—" if change.old_limit is None else change.old_limit
        return f"{old} → {change.new_limit}"

    # Decided through the buttons only: the record itself is never edited.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def may_approve(self, request, change) -> bool:
        return request.user.has_perm(APPROVE_PERMISSION)

    def buttons(self, request, change):
        if change.status != ChangeStatus.PENDING:
            return []
        buttons = []
        if self.may_approve(request, change) and change.maker_id != request.user.pk:
            buttons += [("approve", _("Approve")), ("reject", _("Reject"))]
        if change.maker_id == request.user.pk:
            buttons.append(("withdraw", _("Withdraw")))
        return [
            (reverse(f"admin:distribution_changerequest_{name}", args=[change.pk]), label)
            for name, label in buttons
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = dict(extra_context or {})
        change = self.get_object(request, object_id)
        if change is not None:
            extra_context["change_buttons"] = self.buttons(request, change)
            extra_context["own_pending"] = (
                change.maker_id == request.user.pk and change.status == ChangeStatus.PENDING
            )
        return super().change_view(request, object_id, form_url, extra_context)

    def changelist_view(self, request, extra_context=None):
        extra_context = dict(extra_context or {})
        extra_context["can_request_cash"] = self.may_request(request)
        return super().changelist_view(request, extra_context)

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "request-cash-category/",
                view(self.request_cash_view),
                name="distribution_changerequest_request_cash",
            ),
            path(
                "<path:object_id>/approve/",
                view(self.approve_view),
                name="distribution_changerequest_approve",
            ),
            path(
                "<path:object_id>/reject/",
                view(self.reject_view),
                name="distribution_changerequest_reject",
            ),
            path(
                "<path:object_id>/withdraw/",
                view(self.withdraw_view),
                name="distribution_changerequest_withdraw",
            ),
            *super().get_urls(),
        ]

    def approve_view(self, request, object_id):
        def perform(change, data):
            change_approve(actor=request.user, change=change, note=data["reason"])
            return _("Approved: the change is in effect.")

        return self.object_operation(
            request,
            object_id,
            title=_("Approve"),
            question=_("The change takes effect at once."),
            perform=perform,
            form_class=lambda data: ReasonForm(data, required=False, label=_("note")),
            allowed=lambda change: self.may_approve(request, change),
        )

    def reject_view(self, request, object_id):
        def perform(change, data):
            change_reject(actor=request.user, change=change, note=data["reason"])
            return _("Rejected: nothing changes.")

        return self.object_operation(
            request,
            object_id,
            title=_("Reject"),
            perform=perform,
            form_class=ReasonForm,
            allowed=lambda change: self.may_approve(request, change),
        )

    def withdraw_view(self, request, object_id):
        def perform(change, data):
            change_withdraw(actor=request.user, change=change)
            return _("Withdrawn.")

        return self.object_operation(
            request,
            object_id,
            title=_("Withdraw"),
            question=_("The request is dropped; a draft rule can then be edited again."),
            perform=perform,
            allowed=lambda change: change.maker_id == request.user.pk,
        )

    # ------------------------------------------------------------------ cash categories

    def may_request(self, request) -> bool:
        return request.user.has_perm("distribution.add_changerequest")

    def request_cash_view(self, request):
        """Ask for a cash-equivalent gift category to be allowed (four eyes)."""
        if not self.may_request(request):
            raise PermissionDenied
        posted = request.method == "POST"
        initial = {"category": request.GET.get("category")} if not posted else None
        form = CashCategoryRequestForm(request.POST if posted else None, initial=initial)
        if posted and form.is_valid():
            try:
                change = category_request_cash_enable(
                    actor=request.user,
                    category=form.cleaned_data["category"],
                    note=form.cleaned_data["note"],
                )
            except ValidationError as exc:
                for message in exc.messages:
                    form.add_error(None, message)
            else:
                self.log_addition(request, change, _("Requested"))
                self.message_user(
                    request, _("Requested: an approver must confirm it."), messages.SUCCESS
                )
                return HttpResponseRedirect(change_url(change))
        return self.confirm_response(
            request,
            title=_("Request approval of a cash-equivalent category"),
            objects=[],
            form=form,
            question=_(
                "Fuel cards, shopping cards, red packets and premium offsets are blocked. "
                "A second person with the approver role must allow the category."
            ),
        )
