from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.forms.models import BaseInlineFormSet
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from giftplatform.access import sees_everything
from giftplatform.admin_exports import ExportAdminMixin
from giftplatform.admin_scoping import (
    EstimatedCountPaginator,
    ReadOnlyInlineMixin,
    ScopedAdminMixin,
    ScopedRelatedFieldListFilter,
)
from giftplatform.admin_sharing import ObjectPermissionsAdminMixin
from giftplatform.sheets.export import Column
from gifts.admin_imports import ImportAdminMixin
from gifts.forms import AdjustStockForm, GiftAdminForm, ReceiveStockForm
from gifts.masking import mask_voucher_code
from gifts.models import (
    Gift,
    GiftCategory,
    GiftKind,
    ImportJob,
    ImportKind,
    StockMovement,
    VoucherCode,
)
from gifts.models import VoucherStatus as VS
from gifts.selectors import stock_movements
from gifts.services import gift_adjust_stock, gift_receive_stock

RECENT_MOVEMENTS = 20
# Voucher codes are bearer secrets: an exported sheet leaves the platform's access control,
# so only those who manage the codes (import, void) take them out in full.
VOUCHER_PERMISSION = "gifts.change_vouchercode"


def _receive(actor, gift, data):
    return gift_receive_stock(
        actor=actor,
        gift=gift,
        quantity=data["quantity"],
        reference=data["reference"],
        unit_cost=data["unit_cost"],
        note=data["note"],
    )


def _adjust(actor, gift, data):
    return gift_adjust_stock(actor=actor, gift=gift, quantity=data["quantity"], note=data["note"])


# operation -> (form, page title, service call)
STOCK_OPERATIONS = {
    "receive": (ReceiveStockForm, _("Receive stock"), _receive),
    "adjust": (AdjustStockForm, _("Adjust stock"), _adjust),
}


@admin.register(GiftCategory)
class GiftCategoryAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["code", "name", "is_cash_equivalent", "cash_equivalent_enabled"]
    list_display += ["approval_link"]
    list_filter = ["is_cash_equivalent", "cash_equivalent_enabled"]
    search_fields = ["code", "name"]
    # Enabling a cash equivalent takes four-eyes approval, never a checkbox.
    readonly_fields = ["cash_equivalent_enabled", "approval_link"]

    @admin.display(description=_("allow as a reward"))
    def approval_link(self, category: GiftCategory) -> str:
        if not category.pk or not category.is_cash_equivalent or category.cash_equivalent_enabled:
            return "—"
        # The four-eyes request lives with the other approvals (distribution app).
        url = reverse("admin:distribution_changerequest_request_cash")
        return format_html(
            '<a href="{}?category={}">{}</a>', url, category.pk, _("request approval")
        )


class LatestMovementsFormSet(BaseInlineFormSet):
    def get_queryset(self):
        if not hasattr(self, "_queryset"):
            self._queryset = super().get_queryset()[:RECENT_MOVEMENTS]
        return self._queryset


class LatestMovementsInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = StockMovement
    formset = LatestMovementsFormSet
    fields = ["created_at", "quantity", "reason", "reference", "unit_cost", "stock_after"]
    fields += ["actor", "note"]
    readonly_fields = fields
    verbose_name_plural = _("latest stock movements")

    def get_queryset(self, request):
        return stock_movements(user=request.user)


@admin.register(Gift)
class GiftAdmin(
    ExportAdminMixin,
    ImportAdminMixin,
    ObjectPermissionsAdminMixin,
    ScopedAdminMixin,
    admin.ModelAdmin,
):
    import_kind = ImportKind.GIFTS
    export_columns = [
        *map(Column, ["code", "name", "kind", "contract_service", "category__name"]),
        *map(Column, ["provider__name", "face_value", "unit_cost", "stock"]),
        *map(Column, ["low_stock_threshold", "branch__name", "valid_from", "valid_to"]),
        *map(Column, ["is_active", "created_at"]),
    ]
    form = GiftAdminForm
    list_display = ["code", "name", "kind", "category", "provider", "face_value", "unit_cost"]
    list_display += ["stock", "low_stock", "branch", "is_active"]
    list_select_related = ["category", "provider", "branch"]
    list_filter = [
        "kind",
        ("category", ScopedRelatedFieldListFilter),
        ("provider", ScopedRelatedFieldListFilter),
        ("branch", ScopedRelatedFieldListFilter),
        "is_active",
    ]
    search_fields = ["code", "name"]
    autocomplete_fields = ["provider", "category", "branch"]
    readonly_fields = ["stock", "stock_actions", "created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["code", "name", "kind", "contract_service", "category", "provider"]}),
        (_("Value"), {"fields": ["face_value", "unit_cost"]}),
        (_("Stock"), {"fields": ["stock", "low_stock_threshold"]}),
        (_("Availability"), {"fields": ["branch", "valid_from", "valid_to", "is_active"]}),
        (None, {"fields": ["description", "created_at", "updated_at"]}),
    ]
    inlines = [LatestMovementsInline]
    actions = ["receive_stock", "adjust_stock"]

    @admin.display(description=_("low stock"), boolean=True)
    def low_stock(self, gift):
        return gift.is_low_stock

    @admin.display(description=_("stock changes"))
    def stock_actions(self, gift):
        return format_html(
            '<a class="button" href="{}">{}</a> <a class="button" href="{}">{}</a>',
            reverse("admin:gifts_gift_receive", args=[gift.pk]),
            _("Receive stock"),
            reverse("admin:gifts_gift_adjust", args=[gift.pk]),
            _("Adjust stock"),
        )

    def get_fieldsets(self, request, obj=None):
        fieldsets = [(name, dict(opts)) for name, opts in super().get_fieldsets(request, obj)]
        stock_changes = obj is not None and obj.kind == GiftKind.PHYSICAL
        if stock_changes and self.has_change_permission(request, obj):
            fieldsets[2][1]["fields"] = [*fieldsets[2][1]["fields"], "stock_actions"]
        return fieldsets

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if obj is None and "branch" in form.base_fields and not sees_everything(request.user):
            # A new gift for every branch is a platform decision, not a branch's.
            form.base_fields["branch"].required = True
        return form

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None and obj.kind == GiftKind.PHYSICAL else []

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<path:object_id>/receive/", view(self.receive_view), name="gifts_gift_receive"),
            path("<path:object_id>/adjust/", view(self.adjust_view), name="gifts_gift_adjust"),
            *super().get_urls(),
        ]

    @admin.action(description=_("Receive stock"), permissions=["change"])
    def receive_stock(self, request, queryset):
        return self._stock_page(request, queryset.order_by("pk"), "receive", "receive_stock")

    @admin.action(description=_("Adjust stock"), permissions=["change"])
    def adjust_stock(self, request, queryset):
        return self._stock_page(request, queryset.order_by("pk"), "adjust", "adjust_stock")

    def receive_view(self, request, object_id):
        return self._single_gift_page(request, object_id, "receive")

    def adjust_view(self, request, object_id):
        return self._single_gift_page(request, object_id, "adjust")

    def _single_gift_page(self, request, object_id, operation):
        if not self.has_change_permission(request):
            raise PermissionDenied
        # Out of scope and missing answer alike: 404.
        gift = self.get_object(request, unquote(object_id))
        if gift is None or not self.has_change_permission(request, gift):
            raise Http404
        return self._stock_page(request, [gift], operation, action=None)

    def _stock_page(self, request, gifts, operation, action):
        """The intermediate page of a stock operation on ``gifts``, and its submission.

        All gifts move in one transaction: one refusal writes nothing. ``action`` is the
        admin action's name when the page came from the changelist.
        """
        gifts = list(gifts)
        form_class, title, apply = STOCK_OPERATIONS[operation]
        done = (
            None
            if action
            else HttpResponseRedirect(reverse("admin:gifts_gift_change", args=[gifts[0].pk]))
        )
        if any(gift.kind != GiftKind.PHYSICAL for gift in gifts):
            self.message_user(request, _("Only physical gifts carry stock."), messages.ERROR)
            return done
        form = form_class(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            try:
                with transaction.atomic():
                    for gift in gifts:
                        movement = apply(request.user, gift, form.cleaned_data)
                        self.log_change(request, gift, f"{title} {movement.quantity:+d}")
            except ValidationError as exc:
                for message in exc.messages:
                    self.message_user(request, message, messages.ERROR)
                for gift in gifts:  # the page shows stock as it is, not as it was tried
                    gift.refresh_from_db(fields=["stock"])
            else:
                count = len(gifts)
                self.message_user(
                    request,
                    ngettext(
                        "Stock of %(count)d gift changed.",
                        "Stock of %(count)d gifts changed.",
                        count,
                    )
                    % {"count": count},
                    messages.SUCCESS,
                )
                return done
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": title,
            "form": form,
            "gifts": gifts,
            "action": action,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "media": self.media + form.media,
        }
        return TemplateResponse(request, "admin/gifts/gift/stock_form.html", context)


class ReadOnlyAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """Records written only by services: listed and viewed, never added, changed or deleted."""

    ledger = True

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(StockMovement)
class StockMovementAdmin(ExportAdminMixin, ImportAdminMixin, ReadOnlyAdmin):
    import_kind = ImportKind.STOCK
    export_columns = [
        Column("created_at"),
        Column("gift__code", _("gift code")),
        Column("gift__name", _("gift")),
        *map(Column, ["quantity", "reason", "reference", "unit_cost", "stock_after"]),
        *map(Column, ["actor__username", "note"]),
    ]
    scope_through = "gift"
    list_display = ["gift", "quantity", "reason", "reference", "unit_cost", "stock_after"]
    list_display += ["actor", "created_at"]
    list_select_related = ["gift", "actor"]
    list_filter = ["reason"]
    date_hierarchy = "created_at"
    search_fields = ["gift__code", "reference"]
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    paginator = EstimatedCountPaginator


@admin.register(VoucherCode)
class VoucherCodeAdmin(ExportAdminMixin, ImportAdminMixin, ScopedAdminMixin, admin.ModelAdmin):
    import_kind = ImportKind.VOUCHERS
    export_columns = [
        Column("code", mask=mask_voucher_code, full_with=VOUCHER_PERMISSION),
        Column("gift__code", _("gift code")),
        Column("gift__name", _("gift")),
        *map(Column, ["status", "expires_on", "issued_at", "redeemed_at"]),
        *map(Column, ["redeemed_place", "redeemed_plate", "created_at"]),
    ]
    scope_through = "gift"
    list_display = ["code", "gift", "status", "expires_on", "issued_at", "redeemed_at"]
    list_select_related = ["gift"]
    list_filter = ["status", ("gift", ScopedRelatedFieldListFilter)]
    search_fields = ["code"]
    autocomplete_fields = ["gift"]
    # The life cycle (issue, redeem, void) belongs to the services.
    readonly_fields = ["status", "issued_at", "redeemed_at", "redeemed_by", "redeemed_place"]
    readonly_fields += ["redeemed_plate", "import_job", "created_at"]
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    paginator = EstimatedCountPaginator

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.status in (VS.ISSUED, VS.REDEEMED):
            return False
        return super().has_delete_permission(request, obj)


@admin.register(ImportJob)
class ImportJobAdmin(ReadOnlyAdmin):
    list_display = ["kind", "status", "file_name", "actor", "created_count", "updated_count"]
    list_display += ["unchanged_count", "rejected_count", "created_at"]
    list_select_related = ["actor"]
    list_filter = ["kind", "status"]


from gifts import admin_providers  # noqa: E402, F401 - adds imports to the provider admins
