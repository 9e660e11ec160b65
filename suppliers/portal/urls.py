"""The provider portal (/portal/): included by giftplatform.urls.

Supplier pages and service-provider pages (redemption: ``suppliers/portal/redeem.py``)
add their lines below the shared ones.
"""

from django.urls import path

from suppliers.portal import import_views, redeem, statements, supplier_views, views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.PortalLoginView.as_view(), name="login"),
    path("logout/", views.PortalLogoutView.as_view(), name="logout"),
    # Suppliers
    path("items/", supplier_views.outstanding, name="outstanding"),
    path("items/export/", supplier_views.outstanding_export, name="outstanding_export"),
    path("items/<int:pk>/", supplier_views.item_detail, name="item"),
    path("shipments/", supplier_views.shipments, name="shipments"),
    path("shipments/new/", supplier_views.shipment_add, name="shipment_add"),
    path("shipments/deliver/", supplier_views.shipments_deliver, name="shipments_deliver"),
    path("shipments/<int:pk>/", supplier_views.shipment_detail, name="shipment"),
    path("shipments/<int:pk>/deliver/", supplier_views.shipment_deliver, name="shipment_deliver"),
    path("shipments/import/", import_views.import_upload, name="shipment_import"),
    path("shipments/import/commit/", import_views.import_commit, name="shipment_import_commit"),
    path(
        "shipments/import/template/", import_views.import_template, name="shipment_import_template"
    ),
    # Service providers: vouchers (suppliers/portal/redeem.py).
    path("vouchers/", redeem.voucher_lookup_page, name="voucher_lookup"),
    path("vouchers/redeem/", redeem.voucher_redeem_page, name="voucher_redeem"),
    path("redemptions/", redeem.redemption_history_page, name="redemptions"),
    path("redemptions/export/", redeem.redemption_export, name="redemptions_export"),
    # Both kinds: their settlement statements (suppliers/portal/statements.py).
    path("settlements/", statements.settlements, name="settlements"),
    path(
        "settlements/<int:pk>/statement.xlsx",
        statements.settlement_download,
        name="settlement_download",
    ),
]
