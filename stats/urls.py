"""Statistics pages (/stats/): included by giftplatform.urls."""

from django.urls import path

from stats import compliance_views, views
from stats.overview_sheets import OVERVIEW_SHEETS

app_name = "stats"

urlpatterns = [
    path("", views.overview, name="overview"),
    *(
        path(f"export/{section}/", views.overview_export(section), name=f"{section}_export")
        for section in OVERVIEW_SHEETS
    ),
    path("grouped/", views.grouped_report, name="grouped"),
    path("grouped/export/", views.grouped_export, name="grouped_export"),
    path("compliance/", compliance_views.compliance_checks, name="compliance"),
    path("compliance/tax/", compliance_views.compliance_tax, name="compliance_tax"),
    path(
        "compliance/tax/export/",
        compliance_views.compliance_tax_export,
        name="compliance_tax_export",
    ),
]
