"""The staff's view of shipping in the distributions admin: each item's parcels, and a
list filter for distributions whose physical items are waiting, overdue or shipped.

Staff see the distributions of their branch subtree (the admin's scoping); the filter
only narrows that list.
"""

from django.contrib import admin
from django.db.models import Q
from django.utils.formats import date_format
from django.utils.html import format_html_join
from django.utils.timezone import localtime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from distribution.models import DistributionItem, ItemStatus
from distribution.shipment_selectors import overdue_cutoff, sla_working_days


def parcels_of(item) -> str:
    """'顺丰速运 SF123… ×1 · delivered 2026-11-26' per parcel line (lines prefetched)."""
    lines = list(item.shipment_lines.all())
    if not lines:
        return _("not shipped yet") if item.status == ItemStatus.TO_SHIP else "—"
    rows = []
    for line in lines:
        parcel = line.shipment
        state = (
            _("delivered %(date)s") % {"date": date_format(localtime(parcel.delivered_at), "Y-m-d")}
            if parcel.delivered_at
            else _("in transit")
        )
        rows.append((parcel.get_courier_display(), parcel.tracking_no, line.quantity, state))
    return format_html_join("<br>", "{} {} ×{} · {}", rows)


class ShippingFilter(admin.SimpleListFilter):
    """Distributions by the state of their physical items' shipping."""

    title = gettext_lazy("shipping")
    parameter_name = "shipping"

    def lookups(self, request, model_admin):
        days = sla_working_days()
        return [
            ("overdue", _("overdue (more than %(days)d working days)") % {"days": days}),
            ("waiting", _("waiting to be shipped")),
            ("shipped", _("shipped, not delivered")),
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "overdue":
            cutoff = overdue_cutoff()
            due_long_ago = Q(distribution__decided_at__lt=cutoff) | Q(
                distribution__decided_at__isnull=True, distribution__created_at__lt=cutoff
            )
            items = DistributionItem.objects.filter(due_long_ago, status=ItemStatus.TO_SHIP)
        elif value == "waiting":
            items = DistributionItem.objects.filter(status=ItemStatus.TO_SHIP)
        elif value == "shipped":
            items = DistributionItem.objects.filter(status=ItemStatus.SHIPPED)
        else:
            return queryset
        return queryset.filter(pk__in=items.values("distribution_id"))
