"""Statistics pages (/stats/): an overview and a grouped report with its Excel export.

Every figure comes from ``stats.selectors`` / ``stats.dashboard``, which start from
``giftplatform.access.restrict``. A staff member without ``stats.view_statistics`` gets
403 before anything is read; a branch outside the user's scope in a drill-down URL is a
404, exactly as a branch that does not exist.
"""

from dataclasses import replace
from urllib.parse import urlencode

from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from giftplatform.access import branch_scope, get_or_404
from giftplatform.models import Branch
from giftplatform.services import export_record
from giftplatform.sheets.export import write_export
from giftplatform.sheets.writer import written_to_temp_file
from stats import charts, dashboard, delivery
from stats.dimensions import DEFAULT_MEASURES
from stats.forms import GroupedForm, PeriodForm, with_defaults
from stats.selectors import StatsQuery, grouped
from stats.tables import flat_table, pivot_table

PERMISSION = "stats.view_statistics"


def stats_page(view):
    """Staff only (others to the admin sign-in), GET only, 403 without the permission."""

    @staff_member_required
    @require_GET
    @never_cache
    def wrapped(request, *args, **kwargs):
        if not request.user.has_perm(PERMISSION):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


def _branch(request, form) -> Branch | None:
    """The drill-down branch of the URL, in scope or 404."""
    branch_id = form.cleaned_data.get("branch") if form.is_valid() else None
    if not branch_id:
        return None
    return get_or_404(Branch.objects.all(), request.user, "view", pk=branch_id)


def _trail(request, branch: Branch | None) -> list[Branch]:
    """The branches from the user's scope root down to ``branch`` (drill-up links)."""
    if branch is None:
        return []
    root = branch_scope(request.user)
    codes = [code for code in branch.path.split("/") if code]
    found = {b.code: b for b in Branch.objects.filter(code__in=codes)}
    trail = [found[code] for code in codes if code in found]
    if root is not None and not request.user.is_superuser:
        trail = [b for b in trail if b.path.startswith(root.path)]
    return trail


@stats_page
def overview(request):
    """This period against the one before, trend, branches, categories, pools, stock,
    vouchers, suppliers' delivery times and the overdue shipments; a drill-down branch
    narrows every one of them (see each read's docstring for how)."""
    form = PeriodForm(with_defaults(request.GET), user=request.user)
    branch = _branch(request, form)
    context = {"form": form, "branch": branch, "trail": _trail(request, branch)}
    if form.is_valid():
        data = form.cleaned_data
        date_from, date_to = data["date_from"], data["date_to"]
        period = StatsQuery(date_from=date_from, date_to=date_to, branch=branch)
        trend_by = "day" if (date_to - date_from).days <= 62 else "month"
        sections = []
        for dimension, measure, title in (
            (trend_by, "value", _("Face value per period")),
            ("branch", "count", _("Distributions by branch")),
            ("category", "value", _("Face value by gift category")),
        ):
            query = replace(period, dimensions=(dimension,))
            result = grouped(user=request.user, query=query)
            sections.append(
                {
                    "id": f"chart-{dimension}",
                    "chart": charts.chart_for(result, measure, title=title),
                    "table": flat_table(result),
                    "dimension": dimension,
                }
            )
        now = timezone.now()
        pools = dashboard.quota_pools(
            user=request.user, today=timezone.localdate(), moment=now, branch=branch
        )
        low, tracked = dashboard.low_stock(user=request.user, branch=branch)
        previous = dashboard.previous_range(date_from, date_to)
        times = delivery.delivery_times(
            user=request.user, date_from=date_from, date_to=date_to, branch=branch
        )
        context.update(
            comparisons=dashboard.overview(
                user=request.user, date_from=date_from, date_to=date_to, branch=branch
            ),
            previous_from=previous[0],
            previous_to=previous[1],
            sections=sections,
            pools=pools,
            gauges=charts.gauges(pools),
            low_stock=low,
            tracked_gifts=tracked,
            vouchers=dashboard.voucher_rates(user=request.user, branch=branch),
            delivery=times,
            delivery_chart=charts.overdue_by_supplier(times),
            overdue=delivery.overdue_shipments(user=request.user, branch=branch),
            query_string=_query_string(request, drop=("branch",)),
        )
    return render(request, "stats/overview.html", context)


def _query_string(request, drop=()) -> str:
    pairs = [(k, v) for k, values in request.GET.lists() for v in values if k not in drop]
    return urlencode(pairs)


def grouped_defaults(query_dict):
    return with_defaults(query_dict, dimension="branch", measures=DEFAULT_MEASURES)


@stats_page
def grouped_report(request):
    """Measures by one or two dimensions with filters; a chart, the table, drill-down."""
    form = GroupedForm(grouped_defaults(request.GET), user=request.user)
    branch = _branch(request, form)
    context = {"form": form, "branch": branch, "trail": _trail(request, branch)}
    if form.is_valid():
        result = grouped(user=request.user, query=form.stats_query(branch))
        first = result.query.measures[0]
        context.update(
            result=result,
            table=flat_table(result),
            pivot=pivot_table(result, first) if len(result.query.dimensions) == 2 else None,
            chart=charts.chart_for(result, first),
            query_string=_query_string(request, drop=("branch",)),
            export_query=_query_string(request),
        )
        if form.cleaned_data.get("cancelled"):
            cancelled = grouped(user=request.user, query=form.stats_query(branch, cancelled=True))
            context["cancelled_table"] = flat_table(cancelled)
    return render(request, "stats/grouped.html", context)


@stats_page
def grouped_export(request):
    """The grouped table as .xlsx, filters in the header rows; logged like every export."""
    form = GroupedForm(grouped_defaults(request.GET), user=request.user)
    branch = _branch(request, form)
    if not form.is_valid():
        return grouped_report(request)
    result = grouped(user=request.user, query=form.stats_query(branch))
    table = flat_table(result)
    now = timezone.localtime()
    described = form.described(branch)
    notes = [
        _("Statistics exported by %(user)s at %(time)s")
        % {"user": request.user.get_username(), "time": f"{now:%Y-%m-%d %H:%M}"},
        _("Filters: %(filters)s") % {"filters": "; ".join(described)},
    ]
    rows = [*table.rows, table.total]
    handle, count = written_to_temp_file(
        lambda path: write_export(
            path, headers=table.headers, rows=rows, notes=notes, sheet_name=_("Statistics")
        )
    )
    export_record(
        actor=request.user,
        model_label="stats.statistics",
        filters="; ".join(described),
        query_string=request.GET.urlencode(),
        row_count=count,
        full_personal_data=False,
        full_voucher_codes=False,
    )
    name = f"statistics-{now:%Y%m%d-%H%M}.xlsx"
    return FileResponse(handle, as_attachment=True, filename=name)
