"""Provider admin: suppliers and service providers as their own sections over Provider.

Import pages are added in gifts/admin_providers.py (the import pipeline lives in gifts).
"""

from django.contrib import admin, messages
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from giftplatform.access import at_top_level
from giftplatform.admin_exports import ExportAdminMixin
from giftplatform.admin_scoping import ScopedAdminMixin
from giftplatform.sheets.export import Column
from suppliers import admin_accounts, admin_signup  # noqa: F401 - admin_signup registers
from suppliers.admin_documents import (
    ProviderDocumentInline,
    document_download_view,
    save_documents,
)
from suppliers.forms import ProviderAdminForm
from suppliers.models import ContractState, Provider, ProviderKind, ServiceProvider, Supplier
from suppliers.selectors import (
    contract_expired_condition,
    contract_expiring_condition,
    contract_warning_days,
    today,
)


class ContractListFilter(admin.SimpleListFilter):
    title = _("contract")
    parameter_name = "contract"

    def lookups(self, request, model_admin):
        return [
            (
                ContractState.EXPIRING,
                _("expiring within %(days)d days") % {"days": contract_warning_days()},
            ),
            (ContractState.EXPIRED, ContractState.EXPIRED.label),
        ]

    def queryset(self, request, queryset):
        if self.value() == ContractState.EXPIRING:
            return queryset.filter(contract_expiring_condition())
        if self.value() == ContractState.EXPIRED:
            return queryset.filter(contract_expired_condition())
        return queryset


# Red for expired, amber for expiring: the admin's own error and warning colours.
_FLAG_STYLE = {
    ContractState.EXPIRED: "color:#ba2121;font-weight:bold",
    ContractState.EXPIRING: "color:#b36b00",
}


@admin.register(Provider)
class ProviderAdmin(ExportAdminMixin, ScopedAdminMixin, admin.ModelAdmin):
    provider_kind: str | None = None

    form = ProviderAdminForm
    inlines = [ProviderDocumentInline]
    list_display = [
        "code",
        "name",
        "kind",
        "credit_code",
        "contact_name",
        "phone",
        "contract_end",
        "contract_flag",
        "status",
    ]
    list_filter = ["kind", "status", ContractListFilter, "settlement_cycle"]
    search_fields = ["code", "name", "credit_code", "contact_name", "phone"]
    ordering = ["code"]
    readonly_fields = ["created_at", "updated_at", "portal_accounts", "settlements"]
    fieldsets = [
        (None, {"fields": ["code", "name", "kind", "credit_code", "status"]}),
        (_("contact"), {"fields": ["contact_name", "phone", "email", "address"]}),
        (_("contract"), {"fields": ["contract_start", "contract_end", "settlement_cycle"]}),
        (
            _("bank details for settlement"),
            {"fields": ["bank_name", "bank_account_name", "bank_account_no"]},
        ),
        (None, {"fields": ["portal_accounts", "settlements", "created_at", "updated_at"]}),
    ]
    export_columns = [
        *map(Column, ["code", "name", "kind", "credit_code", "contact_name", "phone", "email"]),
        *map(Column, ["address", "contract_start", "contract_end", "settlement_cycle", "status"]),
        *map(Column, ["bank_name", "bank_account_name", "bank_account_no"]),
    ]

    @admin.display(description=_("contract"))
    def contract_flag(self, provider):
        state = provider.contract_state(today(), contract_warning_days())
        if not state:
            return ""
        return format_html(
            '<span class="contract-{}" style="{}">{}</span>',
            state,
            _FLAG_STYLE[state],
            ContractState(state).label,
        )

    @admin.display(description=_("portal accounts"))
    def portal_accounts(self, provider):
        if provider.pk is None:
            return "-"
        url = reverse("admin:suppliers_provider_portal_users", args=[provider.pk])
        return format_html('<a href="{}">{}</a>', url, _("Manage portal accounts"))

    @admin.display(description=_("settlements"))
    def settlements(self, provider):
        url = reverse("admin:suppliers_settlement_changelist")
        return format_html(
            '<a href="{}?provider__id__exact={}">{}</a>', url, provider.pk, _("Settlements")
        )

    def get_fieldsets(self, request, obj=None):
        # Links for who may follow them, on an existing provider: portal accounts for user
        # managers of provider users, settlements for who sees them (a top-level branch).
        user = request.user
        hidden = set()
        if obj is None or not admin_accounts.may_manage_portal_users(user):
            hidden.add("portal_accounts")
        if obj is None or not (at_top_level(user) and user.has_perm("suppliers.view_settlement")):
            hidden.add("settlements")
        return [
            (name, {**options, "fields": [f for f in options["fields"] if f not in hidden]})
            for name, options in super().get_fieldsets(request, obj)
        ]

    def has_add_permission(self, request):
        # Providers serve every branch: added, like changed, only at a top-level branch.
        return super().has_add_permission(request) and at_top_level(request.user)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id) if request.method == "GET" else None
        if obj is not None:
            state = obj.contract_state(today(), contract_warning_days())
            if state == ContractState.EXPIRED:
                self.message_user(
                    request,
                    _("The contract ended on %(day)s.") % {"day": obj.contract_end},
                    messages.ERROR,
                )
            elif state == ContractState.EXPIRING:
                self.message_user(
                    request,
                    _("The contract ends on %(day)s.") % {"day": obj.contract_end},
                    messages.WARNING,
                )
        return super().change_view(request, object_id, form_url, extra_context)

    def save_formset(self, request, form, formset, change):
        if formset.model is self.inlines[0].model:
            save_documents(request, formset)
            return
        super().save_formset(request, form, formset, change)

    def get_urls(self):
        if self.provider_kind is not None:
            return super().get_urls()
        wrap = self.admin_site.admin_view
        return [
            path(
                "<path:object_id>/portal-users/",
                wrap(
                    lambda request, object_id: admin_accounts.portal_users_view(
                        self, request, object_id
                    )
                ),
                name="suppliers_provider_portal_users",
            ),
            path(
                "portal-users/<int:user_id>/deactivate/",
                wrap(
                    lambda request, user_id: admin_accounts.portal_user_deactivate_view(
                        self, request, user_id
                    )
                ),
                name="suppliers_provider_portal_user_deactivate",
            ),
            path(
                "portal-users/<int:user_id>/password/",
                wrap(
                    lambda request, user_id: admin_accounts.portal_user_password_view(
                        self, request, user_id
                    )
                ),
                name="suppliers_provider_portal_user_password",
            ),
            path(
                "documents/<int:document_id>/",
                wrap(document_download_view),
                name="suppliers_provider_document",
            ),
            *super().get_urls(),
        ]


class ProviderKindAdmin(ProviderAdmin):
    """One kind of provider: only its rows, and the kind is set, never chosen."""

    list_filter = ["status", ContractListFilter, "settlement_cycle"]

    def get_list_display(self, request):
        return [name for name in super().get_list_display(request) if name != "kind"]

    def get_fieldsets(self, request, obj=None):
        return [
            (name, {**options, "fields": [f for f in options["fields"] if f != "kind"]})
            for name, options in super().get_fieldsets(request, obj)
        ]

    def scoped_queryset(self, request, action):
        return super().scoped_queryset(request, action).filter(kind=self.provider_kind)

    def save_form(self, request, form, change):
        # Set before save_model so the model's constraints see the real kind.
        obj = super().save_form(request, form, change)
        obj.kind = self.provider_kind
        return obj


@admin.register(Supplier)
class SupplierAdmin(ProviderKindAdmin):
    provider_kind = ProviderKind.GOODS


@admin.register(ServiceProvider)
class ServiceProviderAdmin(ProviderKindAdmin):
    provider_kind = ProviderKind.SERVICE
