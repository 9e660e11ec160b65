"""Provider settlements in the admin (under the suppliers section): open a statement for
a provider and period, read its lines, download it as a sheet, mark it settled.

Registered here, not in suppliers/admin.py: a statement reads distributed items and
shipments, and suppliers sits below distribution. Who: staff of a top-level branch
(``giftplatform.access.SEEN_AT_TOP``) with the role's settlement permissions.
"""

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from distribution.admin_common import ConfirmPagesMixin
from distribution.settlements import (
    amount_in_capitals,
    previous_period,
    settlement_create,
    settlement_mark_settled,
    settlement_period,
    statement_lines,
    statement_totals,
    write_statement,
)
from giftplatform.access import at_top_level
from giftplatform.admin_scoping import ScopedAdminMixin, ScopedRelatedFieldListFilter
from giftplatform.sheets.writer import written_to_temp_file
from suppliers.models import Provider, Settlement, SettlementStatus

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Lines shown on the page; the sheet holds them all.
PAGE_LINES = 200


class SettlementAddForm(forms.ModelForm):
    period_end = forms.DateField(
        label=gettext_lazy("period end"),
        required=False,
        help_text=gettext_lazy("Leave empty: the end of the provider's settlement period."),
    )

    class Meta:
        model = Settlement
        fields = ["provider", "period_start", "period_end"]

    def clean(self):
        cleaned = super().clean()
        provider, start = cleaned.get("provider"), cleaned.get("period_start")
        if provider and start and not cleaned.get("period_end"):
            cleaned["period_end"] = settlement_period(provider, start)[1]
        return cleaned


@admin.register(Settlement)
class SettlementAdmin(ConfirmPagesMixin, ScopedAdminMixin, admin.ModelAdmin):
    ledger = True  # settlements are records: never deleted
    list_display = [
        "provider",
        "period_start",
        "period_end",
        "physical_units",
        "physical_amount",
        "voucher_units",
        "voucher_amount",
        "total_amount",
        "status",
        "settled_by",
        "settled_at",
    ]
    list_select_related = ["provider", "settled_by"]
    list_filter = ["status", "provider__kind", ("provider", ScopedRelatedFieldListFilter)]
    search_fields = ["provider__code", "provider__name"]
    date_hierarchy = "period_start"
    readonly_fields = [
        "provider",
        "period_start",
        "period_end",
        "physical_units",
        "physical_amount",
        "voucher_units",
        "voucher_amount",
        "total_amount",
        "total_in_capitals",
        "status",
        "created_by",
        "created_at",
        "settled_by",
        "settled_at",
        "statement",
    ]

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = SettlementAddForm
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["provider", "period_start", "period_end"]
        return self.readonly_fields

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.readonly_fields

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        # The last whole month (the default cycle); the end follows the chosen provider's.
        start, _end = previous_period(Provider(), timezone.localdate())
        initial.setdefault("period_start", start)
        return initial

    def save_model(self, request, obj, form, change):
        if change:
            return
        try:
            saved = settlement_create(
                actor=request.user,
                provider=form.cleaned_data["provider"],
                period_start=form.cleaned_data["period_start"],
                period_end=form.cleaned_data["period_end"],
            )
        except ValidationError as exc:
            raise PermissionDenied(exc.messages[0]) from exc
        obj.pk = saved.pk
        obj.refresh_from_db()

    @admin.display(description=gettext_lazy("total in capitals"))
    def total_in_capitals(self, settlement):
        return amount_in_capitals(settlement.total_amount)

    @admin.display(description=gettext_lazy("statement"))
    def statement(self, settlement):
        lines = statement_lines(
            provider=settlement.provider,
            period_start=settlement.period_start,
            period_end=settlement.period_end,
        )
        return render_to_string(
            "admin/suppliers/settlement_statement.html",
            {
                "lines": lines[:PAGE_LINES],
                "more": max(len(lines) - PAGE_LINES, 0),
                "totals": statement_totals(lines),
                "settlement": settlement,
                "download_url": reverse(
                    "admin:suppliers_settlement_download", args=[settlement.pk]
                ),
                "settle_url": reverse("admin:suppliers_settlement_settle", args=[settlement.pk])
                if settlement.status == SettlementStatus.OPEN
                else None,
            },
        )

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "<path:object_id>/settle/",
                view(self.settle_view),
                name="suppliers_settlement_settle",
            ),
            path(
                "<path:object_id>/download/",
                view(self.download_view),
                name="suppliers_settlement_download",
            ),
            *super().get_urls(),
        ]

    def settle_view(self, request, object_id):
        def perform(settlement, data):
            settled = settlement_mark_settled(actor=request.user, settlement=settlement)
            return _("Settled: %(total)s CNY (%(capitals)s).") % {
                "total": f"{settled.total_amount:.2f}",
                "capitals": amount_in_capitals(settled.total_amount),
            }

        obj = self.object_or_404(request, object_id)
        totals = statement_totals(
            statement_lines(
                provider=obj.provider, period_start=obj.period_start, period_end=obj.period_end
            )
        )
        return self.object_operation(
            request,
            object_id,
            title=_("Mark settled"),
            question=_(
                "The totals are frozen as they stand now: %(total)s CNY (%(capitals)s). "
                "A settled period cannot be reopened."
            )
            % {
                "total": f"{totals.total_amount:.2f}",
                "capitals": amount_in_capitals(totals.total_amount),
            },
            perform=perform,
            allowed=lambda settlement: self.has_change_permission(request, settlement),
        )

    def download_view(self, request, object_id):
        settlement = self.object_or_404(request, object_id)
        if not self.has_view_permission(request, settlement):
            raise PermissionDenied
        handle, _none = written_to_temp_file(lambda path: write_statement(settlement, path))
        start, end = settlement.period_start, settlement.period_end
        name = f"settlement-{settlement.provider.code}-{start:%Y%m%d}-{end:%Y%m%d}.xlsx"
        response = FileResponse(handle, as_attachment=True, filename=name, content_type=XLSX)
        response["Cache-Control"] = "private, no-store"
        return response

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # Nothing on a settlement's page is edited: its actions are the buttons above.
        no_save = {"show_save": False, "show_save_and_continue": False}
        no_save["show_save_and_add_another"] = False
        extra_context = {**(extra_context or {}), **no_save}
        return super().change_view(request, object_id, form_url, extra_context)

    def has_add_permission(self, request):
        # Only where settlements are seen at all (a top-level branch): no blind adding.
        return super().has_add_permission(request) and at_top_level(request.user)

    def has_change_permission(self, request, obj=None):
        # Nothing on the page is edited; "change" is the right to mark a period settled.
        if obj is not None and obj.status == SettlementStatus.SETTLED:
            return False
        return super().has_change_permission(request, obj)
