"""Provider sheets are imported through the gifts import pipeline (suppliers sits below
gifts), so the provider admins get their import pages here, by re-registration."""

from django.contrib import admin

from giftplatform.admin_sharing import ObjectPermissionsAdminMixin
from gifts.admin_imports import ImportAdminMixin
from gifts.models import ImportKind
from suppliers import admin as supplier_admin
from suppliers.models import Provider, ServiceProvider, Supplier

for model, admin_class in (
    (Provider, supplier_admin.ProviderAdmin),
    (Supplier, supplier_admin.SupplierAdmin),
    (ServiceProvider, supplier_admin.ServiceProviderAdmin),
):
    admin.site.unregister(model)
    admin.site.register(
        model,
        type(
            admin_class.__name__,
            (ImportAdminMixin, ObjectPermissionsAdminMixin, admin_class),
            {"import_kind": ImportKind.PROVIDERS, "__module__": admin_class.__module__},
        ),
    )
