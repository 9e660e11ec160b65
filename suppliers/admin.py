from django.contrib import admin

from giftplatform.admin_scoping import ScopedAdminMixin
from suppliers.models import Provider, ProviderKind, ServiceProvider, Supplier


@admin.register(Provider)
class ProviderAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = [
        "code",
        "name",
        "kind",
        "credit_code",
        "contact_name",
        "phone",
        "contract_end",
        "status",
    ]
    list_filter = ["kind", "status", "settlement_cycle"]
    search_fields = ["code", "name", "credit_code"]
    ordering = ["code"]
    readonly_fields = ["created_at", "updated_at"]


class ProviderKindAdmin(ProviderAdmin):
    """One kind of provider: only its rows, and the kind is set, never chosen."""

    provider_kind: str

    list_filter = ["status", "settlement_cycle"]
    exclude = ["kind"]

    def get_list_display(self, request):
        return [name for name in super().get_list_display(request) if name != "kind"]

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
