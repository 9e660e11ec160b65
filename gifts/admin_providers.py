"""Provider sheets are imported through the gifts import pipeline (suppliers sits below
gifts), so the provider admins get their import pages here, by re-registration: the
combined provider list and both sections (suppliers, service providers) alike."""

from django.contrib import admin
from django.core.exceptions import PermissionDenied

from giftplatform.access import at_top_level
from giftplatform.admin_sharing import ObjectPermissionsAdminMixin
from gifts.admin_imports import ImportAdminMixin
from gifts.models import ImportKind
from suppliers import admin as supplier_admin
from suppliers.models import Provider, ServiceProvider, Supplier


class ProviderImportMixin(ImportAdminMixin):
    """A provider sheet adds and changes providers: only at a top-level branch, like the
    add and change pages (``giftplatform.access.CHANGED_AT_TOP``)."""

    import_kind = ImportKind.PROVIDERS

    def _check_import_permission(self, request) -> None:
        super()._check_import_permission(request)
        if not at_top_level(request.user):
            raise PermissionDenied


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
            (ProviderImportMixin, ObjectPermissionsAdminMixin, admin_class),
            {"__module__": admin_class.__module__},
        ),
    )
