"""Supplier pages: what to ship, logging parcels one by one, delivery.

Every row comes through ``giftplatform.access`` (``restrict`` / ``get_or_404``): another
supplier's item or parcel in a URL or a form is a 404 or a form error, exactly like
one that does not exist. Writes go through ``distribution.services.shipments``.
"""

import io
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from distribution.models import DistributionItem, Shipment
from distribution.services.shipments import (
    ShipmentRefused,
    shipment_log,
    shipment_mark_delivered,
)
from distribution.shipment_selectors import outstanding_items, shipments_of_items
from giftplatform.access import get_or_404, restrict
from giftplatform.services import export_record
from giftplatform.sheets.writer import write_workbook
from suppliers.models import ProviderKind
from suppliers.portal import supplier_pages as pages
from suppliers.portal.access import portal_view
from suppliers.portal.forms import DeliveredForm, OutstandingFilter, ParcelForm, ShipmentFilter

supplier_view = portal_view(kind=ProviderKind.GOODS)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _page(request, queryset):
    return Paginator(queryset, pages.PAGE_SIZE).get_page(request.GET.get("page"))


def _query_without_page(request) -> str:
    return urlencode([(k, v) for k, v in request.GET.items() if k != "page" and v])


@supplier_view
@require_http_methods(["GET"])
def outstanding(request):
    gifts = pages.supplier_gifts(request.user, request.provider)
    form = OutstandingFilter(request.GET or None, gifts=gifts)
    data = form.cleaned_data if form.is_valid() else {}
    page = _page(request, pages.filtered_outstanding(request.user, request.provider, data))
    context = {
        "form": form,
        "page": page,
        "rows": pages.outstanding_rows(page.object_list),
        "query": _query_without_page(request),
        "sla_days": pages.sla_working_days(),
    }
    return render(request, "portal/outstanding.html", context)


@supplier_view
@require_http_methods(["GET"])
def outstanding_export(request):
    gifts = pages.supplier_gifts(request.user, request.provider)
    form = OutstandingFilter(request.GET or None, gifts=gifts)
    data = form.cleaned_data if form.is_valid() else {}
    items = pages.filtered_outstanding(request.user, request.provider, data)
    described = ", ".join(f"{key}={value}" for key, value in data.items() if value)
    now = timezone.localtime()
    notes = [
        _("Items to ship of %(provider)s, exported by %(user)s at %(time)s")
        % {
            "provider": request.provider.name,
            "user": request.user.get_username(),
            "time": f"{now:%Y-%m-%d %H:%M}",
        }
    ]
    counted = []

    def counting(rows):
        for row in rows:
            counted.append(1)
            yield row

    buffer = io.BytesIO()
    write_workbook(
        buffer,
        list(pages.EXPORT_HEADERS),
        counting(pages.export_rows(items)),
        sheet_name="待发货",
        notes=notes,
    )
    # Logged like every export (it holds recipients' names and addresses): on /audit/.
    export_record(
        actor=request.user,
        model_label="distribution.distributionitem",
        filters=described,
        query_string=request.GET.urlencode(),
        row_count=len(counted),
        full_personal_data=False,
        full_voucher_codes=False,
    )
    response = HttpResponse(buffer.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="outstanding.xlsx"'
    response["Cache-Control"] = "no-store"
    return response


@supplier_view
@require_http_methods(["GET"])
def item_detail(request, pk):
    item = get_or_404(
        DistributionItem.objects.select_related("gift", "distribution__policy"),
        request.user,
        "view",
        pk=pk,
    )
    due = outstanding_items(request.user, request.provider).filter(pk=pk).first()
    row = pages.outstanding_rows([due])[0] if due else None
    context = {
        "item": item,
        "row": row,
        "lines": shipments_of_items([item.pk]).get(item.pk, []),
        "recipient": pages.recipient_of(item),
    }
    return render(request, "portal/item.html", context)


def _parcel_items(request, first: DistributionItem):
    """The outstanding items of ``first``'s policy: what one parcel may carry."""
    items = outstanding_items(request.user, request.provider).filter(
        distribution__policy_id=first.distribution.policy_id
    )
    return list(items.order_by("due_at", "pk"))


def _wanted_lines(request, items) -> list[tuple[int, int]]:
    """(item id, quantity) from ``qty_<id>`` fields; ids not on the page count too, so a
    forged one is refused by the service like any item that is not the supplier's."""
    lines = []
    for key, value in request.POST.items():
        if not key.startswith("qty_"):
            continue
        try:
            item_id, quantity = int(key[4:]), int(value or 0)
        except ValueError:
            continue
        if quantity > 0:
            lines.append((item_id, quantity))
    return lines


@supplier_view
@require_http_methods(["GET", "POST"])
def shipment_add(request):
    try:
        first_id = int(request.GET.get("item", ""))
    except ValueError:
        return redirect("portal:outstanding")
    first = get_or_404(
        DistributionItem.objects.select_related("distribution__policy"),
        request.user,
        "view",
        pk=first_id,
    )
    items = _parcel_items(request, first)
    form = ParcelForm(request.POST or None)
    refused = []
    if request.method == "POST" and form.is_valid():
        try:
            parcel = shipment_log(
                actor=request.user,
                provider=request.provider,
                courier=form.cleaned_data["courier"],
                tracking_no=form.cleaned_data["tracking_no"],
                lines=_wanted_lines(request, items),
                shipped_at=form.cleaned_data.get("shipped_at"),
            )
        except ShipmentRefused as exc:
            refused = [error.message for error in exc.errors]
        else:
            messages.success(
                request,
                _("Parcel %(courier)s %(number)s logged.")
                % {"courier": parcel.get_courier_display(), "number": parcel.tracking_no},
            )
            return redirect("portal:shipments")
    rows = pages.outstanding_rows(items)
    for row in rows:  # what the quantity boxes show: as typed, or the first item in full
        default = row.outstanding if row.item.pk == first.pk else 0
        row.entered = request.POST.get(f"qty_{row.item.pk}", "") if request.POST else default
    context = {
        "form": form,
        "first": first,
        "rows": rows,
        "refused": refused,
        "examples": ParcelForm.examples(),
        "recipient": pages.recipient_of(first),
    }
    return render(request, "portal/shipment_form.html", context)


@supplier_view
@require_http_methods(["GET"])
def shipments(request):
    form = ShipmentFilter(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    page = _page(request, pages.filtered_shipments(request.user, request.provider, data))
    context = {
        "form": form,
        "page": page,
        "delivered_form": DeliveredForm(),
        "query": _query_without_page(request),
    }
    return render(request, "portal/shipments.html", context)


@supplier_view
@require_http_methods(["GET"])
def shipment_detail(request, pk):
    parcel = get_or_404(
        pages.filtered_shipments(request.user, request.provider, {}), request.user, "view", pk=pk
    )
    context = {"parcel": parcel, "delivered_form": DeliveredForm()}
    return render(request, "portal/shipment.html", context)


def _deliver(request, ids) -> None:
    form = DeliveredForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Enter a valid delivery time."))
        return
    try:
        count = shipment_mark_delivered(
            actor=request.user,
            provider=request.provider,
            shipment_ids=ids,
            delivered_at=form.cleaned_data.get("delivered_at"),
        )
    except ShipmentRefused as exc:
        for error in exc.errors:
            messages.error(request, error.message)
        return
    messages.success(request, _("%(count)d parcel(s) marked delivered.") % {"count": count})


@supplier_view
@require_POST
def shipment_deliver(request, pk):
    parcel = get_or_404(Shipment.objects.all(), request.user, "change", pk=pk)
    _deliver(request, [parcel.pk])
    return redirect("portal:shipment", pk=parcel.pk)


@supplier_view
@require_POST
def shipments_deliver(request):
    wanted = [value for value in request.POST.getlist("parcel") if value.isdigit()]
    if not wanted:
        messages.error(request, _("Tick the parcels that were delivered."))
        return redirect("portal:shipments")
    # Only the supplier's own parcels; an id of another one is dropped like a missing one.
    ids = list(
        restrict(Shipment.objects.filter(pk__in=wanted), request.user, "change").values_list(
            "pk", flat=True
        )
    )
    _deliver(request, ids)
    return redirect("portal:shipments")
