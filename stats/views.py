"""Statistics pages (/stats/): an overview and a grouped report with its Excel export.

Every figure comes from ``stats.selectors`` / ``stats.dashboard``, which start from
``giftplatform.access.restrict``. A staff member without ``stats.view_statistics`` gets
403 before anything is read; a branch outside the user's scope in a drill-down URL is a
404, exactly as a branch that does not exist.
"""

from dataclasses import replace

from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from stats import charts, dashboard, delivery
from stats.dimensions import DEFAULT_MEASURES
from stats.exports import sheet_response
from stats.forms import GroupedForm, PeriodForm, with_defaults
from stats.pages import drill_branch, page_context, query_string, stats_page
from stats.selectors import StatsQuery, grouped
from stats.tables import flat_table, pivot_table


@stats_page
def overview(request):
    """This period against the one before, trend, branches, categories, pools, stock,
    vouchers, suppliers' delivery times and the overdue shipments; a drill-down branch
    narrows every one of them (see each read's docstring for how)."""
    form = PeriodForm(with_defaults(request.GET), user=request.user)
    branch, context = page_context(request, form)
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
            query_string=query_string(request, drop=("branch",)),
            export_query=query_string(request),
        )
    return render(request, "stats/overview.html", context)


def grouped_defaults(query_dict):
    return with_defaults(query_dict, dimension="branch", measures=DEFAULT_MEASURES)


@stats_page
def grouped_report(request):
    """Measures by one or two dimensions with filters; a chart, the table, drill-down."""
    form = GroupedForm(grouped_defaults(request.GET), user=request.user)
    branch, context = page_context(request, form)
    if form.is_valid():
        result = grouped(user=request.user, query=form.stats_query(branch))
        first = result.query.measures[0]
        context.update(
            result=result,
            table=flat_table(result),
            pivot=pivot_table(result, first) if len(result.query.dimensions) == 2 else None,
            chart=charts.chart_for(result, first),
            query_string=query_string(request, drop=("branch",)),
            export_query=query_string(request),
        )
        if form.cleaned_data.get("cancelled"):
            cancelled = grouped(user=request.user, query=form.stats_query(branch, cancelled=True))
            context["cancelled_table"] = flat_table(cancelled)
    return render(request, "stats/grouped.html", context)


@stats_page
def grouped_export(request):
    """The grouped table as .xlsx, filters in the header rows; logged like every export."""
    form = GroupedForm(grouped_defaults(request.GET), user=request.user)
    branch = drill_branch(request, form)
    if not form.is_valid():
        return grouped_report(request)
    result = grouped(user=request.user, query=form.stats_query(branch))
    table = flat_table(result)
    return sheet_response(
        request,
        heading=_("Statistics exported by %(user)s at %(time)s"),
        described=form.described(branch),
        headers=table.headers,
        rows=[*table.rows, table.total],
        sheet_name=_("Statistics"),
        model_label="stats.statistics",
        file_stem="statistics",
    )
