"""A provider's settlement statements in the portal: the list, and each as a sheet.

The same statements staff keep in the admin (``distribution.settlements``), read through
``giftplatform.access``: a portal user sees only their own provider's; another
provider's statement is the portal's not-found page, like a missing one.
"""

from django.core.paginator import Paginator
from django.http import FileResponse
from django.shortcuts import render

from distribution.settlements import amount_in_capitals, write_statement
from giftplatform.access import get_or_404, restrict
from giftplatform.sheets.writer import written_to_temp_file
from suppliers.models import Settlement
from suppliers.portal.access import portal_view

PAGE_SIZE = 24


@portal_view
def settlements(request):
    scoped = restrict(Settlement.objects.all(), request.user, "view")
    page = Paginator(scoped.order_by("-period_start", "-pk"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    rows = [(s, amount_in_capitals(s.total_amount)) for s in page.object_list]
    return render(request, "portal/settlements.html", {"page": page, "rows": rows})


@portal_view
def settlement_download(request, pk: int):
    settlement = get_or_404(
        Settlement.objects.select_related("provider"), request.user, "view", pk=pk
    )
    handle, _none = written_to_temp_file(lambda path: write_statement(settlement, path))
    name = f"statement-{settlement.provider.code}-{settlement.period_start:%Y%m%d}.xlsx"
    response = FileResponse(handle, as_attachment=True, filename=name)
    response["Cache-Control"] = "no-store"
    return response
