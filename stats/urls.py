"""Statistics pages (/stats/): included by giftplatform.urls."""

from django.urls import path

from stats import compliance_views, views

app_name = "stats"

urlpatterns = [
    path("", views.overview, name="overview"),
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
