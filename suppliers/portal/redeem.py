"""Service-provider pages: look a voucher up, redeem it (with a confirmation step), and the
provider's redemption history with its Excel export.

Thin views over ``distribution.services.redemption`` (writes) and
``distribution.redemptions`` (reads); both take the acting user and find only the codes
of the user's own provider, so another provider's code reads as a missing one.
"""

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache

from distribution.redemptions import (
    mask_name,
    redeemable_gifts,
    redemption_history,
    voucher_lookup,
)
from distribution.services.redemption import (
    LOCAL,
    VoucherRefused,
    voucher_redeem,
    voucher_redeem_check,
)
from giftplatform.services import export_record
from giftplatform.sheets.writer import write_workbook, written_to_temp_file
from policies.masking import mask_phone
from suppliers.models import ProviderKind
from suppliers.portal.access import portal_view

PAGE_SIZE = 50
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class LookupForm(forms.Form):
    code = forms.CharField(label=gettext_lazy("Voucher code"), max_length=64)


class RedeemForm(forms.Form):
    code = forms.CharField(label=gettext_lazy("Voucher code"), max_length=64)
    plate = forms.CharField(
        label=gettext_lazy("Plate of the vehicle presented"),
        max_length=20,
        help_text=gettext_lazy(
            "As on the number plate, e.g. 粤B12345 (a car without a plate: its VIN)."
        ),
    )
    place = forms.CharField(
        label=gettext_lazy("Place of service"),
        max_length=100,
        help_text=gettext_lazy("The outlet or address where the service is given."),
    )


class HistoryFilterForm(forms.Form):
    date_from = forms.DateField(label=gettext_lazy("Redeemed from"), required=False)
    date_to = forms.DateField(label=gettext_lazy("to"), required=False)
    gift = forms.ModelChoiceField(
        label=gettext_lazy("Gift"), queryset=None, required=False, empty_label=gettext_lazy("all")
    )
    code = forms.CharField(
        label=gettext_lazy("Voucher code contains"), max_length=64, required=False
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["gift"].queryset = redeemable_gifts(actor=user)

    def filters(self) -> dict:
        data = self.cleaned_data if self.is_valid() else {}
        return {
            "date_from": data.get("date_from"),
            "date_to": data.get("date_to"),
            "gift": data.get("gift"),
            "code": data.get("code") or "",
        }


service_page = portal_view(kind=ProviderKind.SERVICE)


@service_page
def voucher_lookup_page(request):
    """A code typed in: what it is, whether it can be redeemed, and the redeem form."""
    form = LookupForm(request.GET or None)
    info = refusal = None
    if form.is_valid():
        try:
            info = voucher_lookup(actor=request.user, code=form.cleaned_data["code"])
        except VoucherRefused as refused:
            refusal = refused.reason
    redeem_form = None
    if info is not None and not info.problem:
        redeem_form = RedeemForm(initial={"code": info.code, "place": _last_place(request)})
    context = {"form": form, "info": info, "refusal": refusal, "redeem_form": redeem_form}
    return render(request, "portal/redeem_lookup.html", context)


@service_page
def voucher_redeem_page(request):
    """GET: the redeem form; POST: the confirmation step, then (``confirm``) the redemption."""
    if request.method != "POST":
        initial = {"code": request.GET.get("code", ""), "place": _last_place(request)}
        return _redeem_form_page(request, RedeemForm(initial=initial))
    form = RedeemForm(request.POST)
    if not form.is_valid():
        return _redeem_form_page(request, form)
    code, plate, place = (form.cleaned_data[k] for k in ("code", "plate", "place"))
    try:
        if "confirm" not in request.POST:
            voucher_redeem_check(actor=request.user, code=code, plate=plate)
            info = voucher_lookup(actor=request.user, code=code)
            return render(request, "portal/redeem_confirm.html", {"form": form, "info": info})
        voucher = voucher_redeem(actor=request.user, code=code, plate=plate, place=place)
    except VoucherRefused as refused:
        return _redeem_form_page(request, form, refusal=refused.reason)
    request.session["portal_redeem_place"] = place
    messages.success(
        request,
        _("Voucher %(code)s redeemed at %(time)s.")
        % {
            "code": voucher.code,
            "time": f"{timezone.localtime(voucher.redeemed_at, LOCAL):%Y-%m-%d %H:%M}",
        },
    )
    return redirect(f"{reverse('portal:voucher_lookup')}?{urlencode({'code': voucher.code})}")


def _redeem_form_page(request, form, refusal=None):
    return render(request, "portal/redeem_form.html", {"form": form, "refusal": refusal})


def _last_place(request) -> str:
    """The place of this user's last redemption: an outlet usually redeems at one place."""
    return request.session.get("portal_redeem_place", "")


@service_page
def redemption_history_page(request):
    """The provider's redemptions, newest first, filtered, 50 a page."""
    form = HistoryFilterForm(request.GET or None, user=request.user)
    rows = redemption_history(actor=request.user, **form.filters())
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "rows": [_shown(voucher) for voucher in page.object_list],
        "query": query.urlencode(),
    }
    return render(request, "portal/redeem_history.html", context)


def _shown(voucher) -> dict:
    """One history row as a provider may see it: the holder masked."""
    by = voucher.redeemed_by
    return {
        "redeemed_at": voucher.redeemed_at,
        "code": voucher.code,
        "gift": voucher.gift,
        "holder_name": mask_name(voucher.holder_name or ""),
        "holder_phone": mask_phone(voucher.holder_phone or ""),
        "plate": voucher.redeemed_plate,
        "place": voucher.redeemed_place,
        "by": (by.full_name or by.username) if by else "",
    }


def _headers() -> list[str]:
    return [
        _("Redeemed at"),
        _("Voucher code"),
        _("Gift code"),
        _("Gift"),
        _("Holder"),
        _("Mobile"),
        _("Plate presented"),
        _("Place of service"),
        _("Redeemed by"),
    ]


def _sheet_rows(queryset):
    for voucher in queryset.iterator(chunk_size=2000):
        row = _shown(voucher)
        yield [
            timezone.localtime(row["redeemed_at"], LOCAL).replace(tzinfo=None),
            row["code"],
            voucher.gift.code,
            voucher.gift.name,
            row["holder_name"],
            row["holder_phone"],
            row["plate"],
            row["place"],
            row["by"],
        ]


@service_page
@never_cache
def redemption_export(request):
    """The history as filtered, as an .xlsx (holders masked); logged like every export."""
    form = HistoryFilterForm(request.GET or None, user=request.user)
    filters = form.filters()
    rows = redemption_history(actor=request.user, **filters)
    now = timezone.localtime(timezone.now(), LOCAL)
    described = _describe(filters)
    notes = [
        _("Redemptions of %(provider)s, exported by %(user)s at %(time)s")
        % {
            "provider": request.provider.name,
            "user": request.user.get_username(),
            "time": f"{now:%Y-%m-%d %H:%M}",
        },
        _("Filters: %(filters)s") % {"filters": described or _("none")},
    ]
    counted = []

    def counting(source):
        for row in source:
            counted.append(1)
            yield row

    handle, _none = written_to_temp_file(
        lambda path: write_workbook(
            path,
            _headers(),
            counting(_sheet_rows(rows)),
            sheet_name=_("Redemptions"),
            notes=notes,
            datetime_format="yyyy-mm-dd hh:mm",
        )
    )
    export_record(
        actor=request.user,
        model_label="gifts.vouchercode",
        filters=described,
        query_string=request.GET.urlencode(),
        row_count=len(counted),
        full_personal_data=False,
        full_voucher_codes=True,  # the provider's own redeemed codes, spent already
    )
    return FileResponse(
        handle,
        as_attachment=True,
        filename=f"redemptions-{now:%Y%m%d-%H%M%S}.xlsx",
        content_type=XLSX,
    )


def _describe(filters: dict) -> str:
    parts = []
    if filters["date_from"]:
        parts.append(_("from %(date)s") % {"date": filters["date_from"].isoformat()})
    if filters["date_to"]:
        parts.append(_("to %(date)s") % {"date": filters["date_to"].isoformat()})
    if filters["gift"] is not None:
        parts.append(str(filters["gift"]))
    if filters["code"]:
        parts.append(_("code contains %(text)s") % {"text": filters["code"]})
    return "; ".join(parts)
