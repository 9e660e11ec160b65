"""Distributions admin: the hand-out ledger, read-only; approve, reject, cancel and record
recoveries through the services, each confirmed with a reason. Never added or deleted here.
"""

from django.contrib import admin
from django.db.models import Q
from django.forms.models import BaseInlineFormSet
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from distribution.admin_common import ConfirmPagesMixin
from distribution.forms import ReasonForm, RecoveryForm
from distribution.models import (
    LIVE_STATUSES,
    Distribution,
    DistributionItem,
    DistributionStatus,
    QuotaCharge,
)
from distribution.services import (
    distribution_approve,
    distribution_cancel,
    distribution_mark_recovery,
    distribution_reject,
)
from distribution.shipment_admin import ShippingFilter, parcels_of
from giftplatform.admin_exports import ExportAdminMixin
from giftplatform.admin_scoping import (
    EstimatedCountPaginator,
    ReadOnlyInlineMixin,
    ScopedAdminMixin,
    ScopedRelatedFieldListFilter,
)
from giftplatform.sheets.export import Column
from gifts.masking import mask_voucher_code
from policies.masking import mask_phone
from policies.services import REVEAL_PERMISSION

APPROVE_PERMISSION = "distribution.approve_distribution"
CANCEL_PERMISSION = "distribution.change_distribution"
VOUCHER_PERMISSION = "gifts.change_vouchercode"
# One row per item, the distribution's columns repeated: a sheet people can filter and sum.
EXPORT_COLUMNS = [
    Column("number"),
    Column("policy__policy_no", gettext_lazy("policy no.")),
    Column("rule_code"),
    Column("rule__name", gettext_lazy("rule")),
    Column("branch__name"),
    *map(Column, ["status", "tax_treatment", "total_value", "total_cost", "withholding"]),
    Column("recipient_name"),
    Column("recipient_phone", mask=mask_phone, full_with=REVEAL_PERMISSION),
    *map(Column, ["delivery_address", "created_at", "created_by__username", "recovery"]),
    Column("items__gift__code", gettext_lazy("gift code")),
    Column("items__gift__name", gettext_lazy("gift")),
    Column("items__quantity"),
    Column("items__unit_value", gettext_lazy("unit face value")),
    Column("items__unit_cost"),
    Column("items__provider__name"),
    Column("items__status", gettext_lazy("item status")),
    Column(
        "items__voucher__code",
        gettext_lazy("voucher code"),
        mask=mask_voucher_code,
        full_with=VOUCHER_PERMISSION,
    ),
]


class ToRecoverFilter(admin.SimpleListFilter):
    """Gifts still out on policies that were cancelled (退保) and not yet dealt with."""

    title = gettext_lazy("recovery")
    parameter_name = "to_recover"

    def lookups(self, request, model_admin):
        return [("yes", _("to recover"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(
                policy__status="cancelled", recovery="", status__in=LIVE_STATUSES
            )
        return queryset


class ItemsFormSet(BaseInlineFormSet):
    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .select_related("gift", "voucher")
            .prefetch_related("shipment_lines__shipment")
        )


class DistributionItemInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = DistributionItem
    formset = ItemsFormSet
    fields = ["gift", "quantity", "unit_value", "status", "voucher_code", "parcels"]
    readonly_fields = fields

    @admin.display(description=gettext_lazy("voucher code"))
    def voucher_code(self, item):
        return item.voucher.code if item.voucher_id else "—"

    @admin.display(description=gettext_lazy("parcels"))
    def parcels(self, item):
        return parcels_of(item)


class QuotaChargeInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = QuotaCharge
    fields = readonly_fields = ["quota", "period_start", "amount", "returned"]


@admin.register(Distribution)
class DistributionAdmin(ExportAdminMixin, ConfirmPagesMixin, ScopedAdminMixin, admin.ModelAdmin):
    ledger = True  # never deleted, by anyone
    export_columns = EXPORT_COLUMNS
    export_ordering_tail = ["items__id"]
    change_form_template = "admin/distribution/distribution/change_form.html"
    list_display = ["number", "policy_no", "rule", "branch", "status", "total_value"]
    list_display += ["recovery", "created_at", "created_by"]
    list_select_related = ["policy", "rule", "branch", "created_by"]
    list_filter = [
        "status",
        ToRecoverFilter,
        ShippingFilter,
        ("branch", ScopedRelatedFieldListFilter),
        ("rule", ScopedRelatedFieldListFilter),
        "tax_treatment",
        "recovery",
    ]
    search_fields = ["number"]
    search_help_text = gettext_lazy("Distribution no. or policy no., exactly as written.")
    date_hierarchy = "created_at"
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    paginator = EstimatedCountPaginator
    inlines = [DistributionItemInline, QuotaChargeInline]
    fields = ["number", "policy", "rule", "rule_code", "slot", "branch", "status"]
    fields += ["tax_treatment", "total_value", "total_cost", "withholding", "recipient_name"]
    fields += ["masked_recipient_phone", "delivery_address", "batch_run", "created_by"]
    fields += ["created_at", "decided_by", "decided_at", "cancelled_by", "cancelled_at"]
    fields += ["cancel_reason", "recovery"]
    readonly_fields = fields
    actions = ["approve", "reject", "cancel", "mark_recovery"]

    @admin.display(description=gettext_lazy("policy no."), ordering="policy__policy_no")
    def policy_no(self, distribution):
        return distribution.policy.policy_no

    @admin.display(description=gettext_lazy("recipient mobile"))
    def masked_recipient_phone(self, distribution):
        return mask_phone(distribution.recipient_phone)

    def get_search_results(self, request, queryset, search_term):
        """Exact matches on indexed columns only: never a scan of the ledger."""
        term = search_term.strip().upper()
        if not term:
            return queryset, False
        return queryset.filter(Q(number=term) | Q(policy__policy_no=term)), False

    # Records of the services: nobody adds or edits them here.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_approve_permission(self, request, obj=None):
        return request.user.has_perm(APPROVE_PERMISSION)

    def has_cancel_permission(self, request, obj=None):
        return request.user.has_perm(CANCEL_PERMISSION)

    # ------------------------------------------------------------------ operations

    def _operations(self, request):
        """name -> (title, form factory, service call, permission check)."""
        user = request.user

        def approve(d, data):
            distribution_approve(actor=user, distribution=d)
            return _("Approved.")

        def reject(d, data):
            distribution_reject(actor=user, distribution=d, reason=data["reason"])
            return _("Rejected: stock, codes and quota returned.")

        def cancel(d, data):
            distribution_cancel(actor=user, distribution=d, reason=data["reason"])
            return _("Cancelled: stock, codes and quota returned.")

        def recover(d, data):
            distribution_mark_recovery(actor=user, distribution=d, outcome=data["outcome"])
            return _("Recovery recorded.")

        return {
            "approve": (
                _("Approve"),
                lambda data: ReasonForm(data, required=False, label=_("note")),
                approve,
                self.has_approve_permission,
            ),
            "reject": (_("Reject"), ReasonForm, reject, self.has_approve_permission),
            "cancel": (
                _("Cancel the distribution"),
                ReasonForm,
                cancel,
                self.has_cancel_permission,
            ),
            "mark_recovery": (
                _("Record recovery"),
                RecoveryForm,
                recover,
                self.has_cancel_permission,
            ),
        }

    def _bulk(self, request, queryset, name):
        title, form_class, perform, _check = self._operations(request)[name]
        return self.bulk_operation(
            request,
            queryset.order_by("pk"),
            action=name,
            title=title,
            form_class=form_class,
            perform=perform,
        )

    @admin.action(description=gettext_lazy("Approve"), permissions=["approve"])
    def approve(self, request, queryset):
        return self._bulk(request, queryset, "approve")

    @admin.action(description=gettext_lazy("Reject"), permissions=["approve"])
    def reject(self, request, queryset):
        return self._bulk(request, queryset, "reject")

    @admin.action(description=gettext_lazy("Cancel the distribution"), permissions=["cancel"])
    def cancel(self, request, queryset):
        return self._bulk(request, queryset, "cancel")

    @admin.action(description=gettext_lazy("Record recovery"), permissions=["cancel"])
    def mark_recovery(self, request, queryset):
        return self._bulk(request, queryset, "mark_recovery")

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            *(
                path(
                    f"<path:object_id>/{name}/",
                    view(self._single_view(name)),
                    name=f"distribution_distribution_{name}",
                )
                for name in ("approve", "reject", "cancel", "mark_recovery")
            ),
            *super().get_urls(),
        ]

    def _single_view(self, name):
        def single(request, object_id):
            title, form_class, perform, check = self._operations(request)[name]
            return self.object_operation(
                request,
                object_id,
                title=title,
                form_class=form_class,
                perform=perform,
                allowed=lambda d: check(request, d),
            )

        return single

    def buttons(self, request, distribution):
        pending = distribution.status == DistributionStatus.PENDING_APPROVAL
        live = distribution.status in LIVE_STATUSES
        names = []
        own = distribution.created_by_id == request.user.pk
        if pending and not own and self.has_approve_permission(request):
            names += ["approve", "reject"]
        if live and self.has_cancel_permission(request):
            names.append("cancel")
            if distribution.policy.status == "cancelled" and not distribution.recovery:
                names.append("mark_recovery")
        operations = self._operations(request)
        return [
            (
                reverse(f"admin:distribution_distribution_{name}", args=[distribution.pk]),
                operations[name][0],
            )
            for name in names
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = dict(extra_context or {})
        distribution = self.get_object(request, object_id)
        if distribution is not None:
            extra_context["distribution_buttons"] = self.buttons(request, distribution)
        return super().change_view(request, object_id, form_url, extra_context)
