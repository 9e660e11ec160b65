"""The compliance checks' tables as sheets for the Excel export: the same reads as the
page (``stats.compliance``), every row where the page lists the first ones, with the
page's column headings and raw values."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from stats import compliance
from stats.exports import ALL_ROWS, Sheet, SheetSpec

ZONES = (
    gettext_lazy("below warning"),
    gettext_lazy("at a warning level"),
    gettext_lazy("above a hard level"),
)


def ratios_sheet(*, user, query) -> Sheet:
    """Every policy reached in the period, per product, the highest ratio first."""
    headers = [
        _("product"),
        _("Policy no."),
        _("Branch"),
        _("Face value (CNY)"),
        _("Premium (CNY)"),
        _("Face value / premium (%)"),
        _("Level"),
    ]
    rows = [
        [
            result.label,
            worst.policy.policy_no,
            worst.policy.branch.name,
            worst.value,
            worst.premium,
            worst.ratio,
            str(ZONES[worst.zone]),
        ]
        for result in compliance.premium_ratios(user=user, query=query, worst_limit=ALL_ROWS)
        for worst in result.worst
    ]
    return Sheet(headers, rows)


def cash_sheet(*, user, query) -> Sheet:
    found = compliance.cash_equivalents(user=user, query=query, limit=ALL_ROWS)
    headers = [
        _("Distribution no."),
        _("Policy no."),
        _("Gift"),
        _("gift category"),
        _("Quantity"),
        _("Face value (CNY)"),
        _("Time"),
        _("Branch"),
    ]
    rows = [
        [
            line["distribution__number"],
            line["distribution__policy__policy_no"],
            line["gift__name"],
            line["gift__category__name"],
            line["quantity"],
            line["value"],
            line["distribution__created_at"],
            line["distribution__branch__name"],
        ]
        for line in found.listed
    ]
    return Sheet(headers, rows)


def services_sheet(*, user, query) -> Sheet:
    found = compliance.contract_uses(user=user, query=query, limit=0)
    headers = [
        _("Service"),
        _("Policies"),
        _("Uses held"),
        _("Uses handed out"),
        _("of which in the period"),
        _("Uses redeemed"),
        _("Policies handed out more than they hold"),
    ]
    rows = [
        [s.label, s.policies, s.entitled, s.handed_out, s.in_period, s.redeemed, s.overused]
        for s in found.services
    ]
    return Sheet(headers, rows)


def overuse_sheet(*, user, query) -> Sheet:
    found = compliance.contract_uses(user=user, query=query, limit=ALL_ROWS)
    headers = [
        _("Policy no."),
        _("Branch"),
        _("Service"),
        _("Uses held"),
        _("Uses handed out"),
        _("Uses redeemed"),
    ]
    rows = [
        [
            o["policy"].policy_no,
            o["policy"].branch.name,
            o["label"],
            o["entitled"],
            o["handed_out"],
            o["redeemed"],
        ]
        for o in found.overuse
    ]
    return Sheet(headers, rows)


COMPLIANCE_SHEETS = (
    SheetSpec(
        "compliance_ratios",
        ratios_sheet,
        gettext_lazy("Gift value against premium, per policy"),
        "stats.compliance_ratios",
    ),
    SheetSpec(
        "compliance_cash",
        cash_sheet,
        gettext_lazy("Cash-equivalent gifts handed out"),
        "stats.compliance_cash",
    ),
    SheetSpec(
        "compliance_services",
        services_sheet,
        gettext_lazy("Contract services (value-added service clause)"),
        "stats.compliance_services",
    ),
    SheetSpec(
        "compliance_overuse",
        overuse_sheet,
        gettext_lazy("Policies handed out more uses than they hold"),
        "stats.compliance_overuse",
    ),
)
