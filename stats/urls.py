"""Statistics pages (/stats/): included by giftplatform.urls."""

from django.urls import path

from stats import compliance_views, views
from stats.compliance_sheets import COMPLIANCE_SHEETS
from stats.exports import export_view
from stats.forms import PeriodForm
from stats.overview_sheets import OVERVIEW_SHEETS

app_name = "stats"

urlpatterns = [
    path("", views.overview, name="overview"),
    *(
        path(
            f"export/{spec.name}/",
            export_view(spec, form_class=PeriodForm, page=views.overview),
            name=spec.url_name,
        )
        for spec in OVERVIEW_SHEETS
    ),
    *(
        path(
            f"compliance/export/{spec.name.removeprefix('compliance_')}/",
            export_view(
                spec,
                form_class=compliance_views.ComplianceForm,
                page=compliance_views.compliance_checks,
            ),
            name=spec.url_name,
        )
        for spec in COMPLIANCE_SHEETS
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
