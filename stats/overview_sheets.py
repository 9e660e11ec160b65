"""The overview's own tables (supplier delivery times, overdue shipments, quota pools,
low stock) as sheets for the Excel export: the same reads as the page, every row (the
page shows the oldest overdue items and the worst low-stock gifts only), with the page's
column headings. Cells hold raw values; ``write_export`` makes text formula-safe."""

from datetime import date

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from stats import dashboard, delivery
from stats.exports import ALL_ROWS, Sheet, SheetSpec


def delivery_sheet(*, user, date_from: date, date_to: date, branch) -> Sheet:
    times = delivery.delivery_times(user=user, date_from=date_from, date_to=date_to, branch=branch)
    shipped, delivered = _("Shipped (working days)"), _("Delivered (working days)")
    overdue = _("Overdue items")
    headers = [
        _("Supplier"),
        _("Code"),
        _("Items due to ship"),
        _("Parcels"),
        f"{shipped}: {_('items')}",
        f"{shipped}: {_('median')}",
        f"{shipped}: {_('90th percentile')}",
        f"{delivered}: {_('items')}",
        f"{delivered}: {_('median')}",
        f"{delivered}: {_('90th percentile')}",
        f"{overdue}: {_('shipped late')}",
        f"{overdue}: {_('still to ship, past the SLA')}",
        f"{overdue}: {_('overdue')}",
        f"{overdue}: {_('overdue (%)')}",
    ]
    rows = [_supplier_row(row.name, row.code, row) for row in times.rows]
    rows.append(_supplier_row(_("Total"), "", times.total))
    return Sheet(headers, rows)


def _supplier_row(name: str, code: str, row) -> list:
    return [
        name,
        code,
        row.items,
        row.parcels,
        row.shipped,
        row.ship_median,
        row.ship_p90,
        row.delivered,
        row.delivery_median,
        row.delivery_p90,
        row.shipped_late,
        row.waiting_late,
        row.overdue,
        row.overdue_percent,
    ]


def overdue_sheet(*, user, branch, **_period) -> Sheet:
    """Every overdue item, oldest first (not bound to the period, as on the page)."""
    found = delivery.overdue_shipments(user=user, branch=branch, limit=ALL_ROWS)
    headers = [
        _("Distribution no."),
        _("Policy no."),
        _("Gift"),
        _("Supplier"),
        _("Branch"),
        _("Due since"),
        _("Working days waiting"),
    ]
    rows = [
        [
            row.item.distribution.number,
            row.item.distribution.policy.policy_no,
            row.item.gift.name,
            row.item.provider.name,
            row.item.distribution.branch.name,
            timezone.localtime(row.item.due_at).date(),
            row.days,
        ]
        for row in found.items
    ]
    return Sheet(headers, rows)


def pools_sheet(*, user, branch, **_period) -> Sheet:
    """The pools in force today (not bound to the period, as on the page)."""
    pools = dashboard.quota_pools(
        user=user, today=timezone.localdate(), moment=timezone.now(), branch=branch
    )
    headers = [
        _("Quota"),
        _("Code"),
        _("Pool period"),
        _("period start"),
        _("period end"),
        _("Used"),
        _("Limit"),
        _("Used (%)"),
        _("Level"),
        _("At this pace, runs out on"),
    ]
    rows = [
        [
            pool.quota.name,
            pool.quota.code,
            pool.quota.get_period_display(),
            pool.period_start if pool.period_end else None,
            pool.period_end,
            pool.used,
            pool.quota.limit,
            pool.percent,
            str(LEVELS[pool.level]),
            pool.runs_out_on,
        ]
        for pool in pools
    ]
    return Sheet(headers, rows)


LEVELS = {
    "ok": gettext_lazy("normal"),
    "warn": gettext_lazy("warning"),
    "full": gettext_lazy("used up"),
}


def low_stock_sheet(*, user, branch, **_period) -> Sheet:
    low, _tracked = dashboard.low_stock(user=user, branch=branch, limit=ALL_ROWS)
    headers = [_("Gift"), _("Code"), _("Provider"), _("Stock"), _("Low-stock threshold")]
    rows = [
        [gift.name, gift.code, gift.provider.name, gift.stock, gift.low_stock_threshold]
        for gift in low
    ]
    return Sheet(headers, rows)


OVERVIEW_SHEETS = (
    SheetSpec(
        "delivery", delivery_sheet, gettext_lazy("Supplier delivery times"), "stats.delivery"
    ),
    SheetSpec("overdue", overdue_sheet, gettext_lazy("Overdue shipments"), "stats.overdue"),
    SheetSpec("pools", pools_sheet, gettext_lazy("Quota pools this period"), "stats.pools"),
    SheetSpec("low_stock", low_stock_sheet, gettext_lazy("Low stock"), "stats.low_stock"),
)
