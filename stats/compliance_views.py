"""The compliance pages of the statistics (/stats/compliance/): the checks (premium ratio,
cash equivalents, contract services) on one page, the casual-income tax report on
another with its Excel export.

Reads come from ``stats.compliance`` (scoped by ``giftplatform.access.restrict``);
``stats_page`` gives 403 without ``stats.view_statistics``, a branch outside the user's
scope is a 404. ID numbers and mobiles are masked on the page for everyone, as on every
staff screen (a reveal goes through the policy, with a reason); the export carries them
in full only to holders of ``policies.view_pii``, like every export, and says so in its
log entry.
"""

from django import forms
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from giftplatform.sheets.export import Column, shows_in_full
from policies.masking import mask_id_number, mask_phone
from policies.models import Product
from policies.services import REVEAL_PERMISSION
from stats import compliance
from stats.compliance import ComplianceQuery
from stats.exports import sheet_response
from stats.forms import PeriodForm, with_defaults
from stats.pages import drill_branch, page_context, query_string, stats_page

# The export's personal columns, decided as every other export decides them.
ID_COLUMN = Column("id_number", mask=mask_id_number, full_with=REVEAL_PERMISSION)
PHONE_COLUMN = Column("phone", mask=mask_phone, full_with=REVEAL_PERMISSION)
ZONE_SERIES = (
    gettext_lazy("below every warning level"),
    gettext_lazy("at or above a warning level"),
    gettext_lazy("above a hard level"),
)


class ComplianceForm(PeriodForm):
    product = forms.ChoiceField(
        label=gettext_lazy("product"), choices=[("", "—"), *Product.choices], required=False
    )

    def compliance_query(self, branch) -> ComplianceQuery:
        data = self.cleaned_data
        return ComplianceQuery(
            date_from=data["date_from"],
            date_to=data["date_to"],
            branch=branch,
            product=data.get("product") or "",
        )

    def sheet_arguments(self, branch) -> dict:
        return {"query": self.compliance_query(branch)}

    def described(self, branch) -> list[str]:
        """The filters in words, for the sheet's header rows."""
        data = self.cleaned_data
        parts = super().described(branch)
        if data.get("product"):
            parts.append(f"{_('product')}: {dict(Product.choices)[data['product']]}")
        return parts


# The page's own level colours (stats.css badges): below every warning, at a warning
# level, above a hard level.
ZONE_COLORS = ("#5470c6", "#e0a100", "#c0392b")


def _bucket_label(bucket: int, top: int) -> str:
    if bucket == -1:
        return _("zero premium")
    if bucket >= top:
        return f"≥{top}%"
    return f"{bucket}–{bucket + 1}%"


def histogram_chart(ratios: compliance.ProductRatios) -> dict:
    """Policies per 1-point bucket of gift value / premium, stacked by level reached."""
    rows = ratios.histogram()
    return {
        "kind": "bar",
        "title": _("Policies by gift value / premium (%%): %(product)s")
        % {"product": ratios.label},
        "measure": _("policies"),
        "capped": None,
        "labels": [_bucket_label(row[0], ratios.top) for row in rows],
        "series": [
            {"name": str(name), "data": [row[1 + zone] for row in rows], "color": color}
            for zone, (name, color) in enumerate(zip(ZONE_SERIES, ZONE_COLORS, strict=True))
        ],
    }


@stats_page
def compliance_checks(request):
    """Gift value against premium per product, cash equivalents, contract services."""
    form = ComplianceForm(with_defaults(request.GET), user=request.user)
    branch, context = page_context(request, form)
    if form.is_valid():
        query = form.compliance_query(branch)
        ratios = compliance.premium_ratios(user=request.user, query=query)
        context.update(
            ratios=[
                {"result": r, "chart": histogram_chart(r), "chart_id": f"chart-ratio-{r.product}"}
                for r in ratios
            ],
            cash=compliance.cash_equivalents(user=request.user, query=query),
            contract=compliance.contract_uses(user=request.user, query=query),
            list_limit=compliance.LIST_LIMIT,
            query_string=query_string(request, drop=("branch",)),
            tax_query=query_string(request),
            export_query=query_string(request),
        )
    return render(request, "stats/compliance.html", context)


def _tax_rows(rows, *, masked: bool) -> list[dict]:
    return [
        {
            "row": row,
            "id_number": mask_id_number(row.id_number) if masked else row.id_number,
            "phone": mask_phone(row.phone) if masked else row.phone,
        }
        for row in rows
    ]


@stats_page
def compliance_tax(request):
    """Hand-outs taxed as casual income, per recipient and month, with the tax withheld."""
    form = ComplianceForm(with_defaults(request.GET), user=request.user)
    branch, context = page_context(request, form)
    if form.is_valid():
        rows, totals = compliance.casual_income(
            user=request.user, query=form.compliance_query(branch)
        )
        context.update(
            rows=_tax_rows(rows, masked=True),
            totals=totals,
            query_string=query_string(request, drop=("branch",)),
            export_query=query_string(request),
        )
    return render(request, "stats/compliance_tax.html", context)


def tax_headers() -> list[str]:
    return [
        _("month"),
        _("recipient"),
        _("ID number (the insured's, where the recipient is the insured)"),
        _("recipient mobile"),
        _("hand-outs"),
        _("face value (CNY)"),
        _("tax withheld (CNY)"),
        _("tax due at the casual-income rate (CNY)"),
        _("difference (CNY)"),
    ]


@stats_page
def compliance_tax_export(request):
    """The casual-income table as .xlsx, filters in the header rows; logged."""
    form = ComplianceForm(with_defaults(request.GET), user=request.user)
    branch = drill_branch(request, form)
    if not form.is_valid():
        return compliance_tax(request)
    rows, totals = compliance.casual_income(user=request.user, query=form.compliance_query(branch))
    in_full = shows_in_full(ID_COLUMN, request.user) and shows_in_full(PHONE_COLUMN, request.user)
    lines = [
        [
            f"{line['row'].month:%Y-%m}",
            line["row"].recipient_name,
            line["id_number"],
            line["phone"],
            line["row"].count,
            line["row"].value,
            line["row"].withheld,
            line["row"].due,
            line["row"].difference,
        ]
        for line in _tax_rows(rows, masked=not in_full)
    ]
    total = [_("Total"), "", "", "", totals["count"], totals["value"], totals["withheld"]]
    total += [totals["due"], totals["difference"]]
    return sheet_response(
        request,
        heading=_("Casual income (20%% withheld) exported by %(user)s at %(time)s"),
        described=form.described(branch),
        headers=tax_headers(),
        rows=[*lines, total],
        sheet_name=_("Casual income"),
        model_label="stats.casual_income",
        file_stem="casual-income",
        full_personal_data=in_full,
    )
