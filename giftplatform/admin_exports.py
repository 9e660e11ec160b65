"""“Export to Excel” for admin changelists: exactly the rows the list shows the user.

The export reads the ModelAdmin's own ChangeList for the request's query string, so
its filters, search, date drill-down and ordering, and the scoping of ``get_queryset``
(``giftplatform.access.restrict``), are the list's own; only the paging is dropped
(every page is exported). Personal data and voucher codes are masked per column unless
the user holds the permission that shows them (``giftplatform.sheets.export.Column``).
Every export is logged (``giftplatform.services.export_record``) and shows on /audit/.

The sheet is written to a temporary file in constant memory and streamed back from
it; past ``settings.EXPORT_MAX_ROWS`` rows the export is refused with a message
asking for narrower filters (one ``LIMIT 1 OFFSET max`` look, never a COUNT): the sheet
is written during the request, so its size must fit a web worker's timeout.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.conf import settings
from django.contrib import messages
from django.contrib.admin.options import IS_POPUP_VAR, TO_FIELD_VAR, IncorrectLookupParameters
from django.contrib.admin.utils import get_fields_from_path
from django.contrib.admin.views.main import ERROR_FLAG, IGNORED_PARAMS, PAGE_VAR
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, HttpResponseRedirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from giftplatform.services import export_record
from giftplatform.sheets.export import (
    Column,
    column_header,
    export_rows,
    local_zone,
    shows_in_full,
    write_export,
)
from giftplatform.sheets.writer import written_to_temp_file

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Set on the request while an export builds its ChangeList: no counting, no page.
EXPORTING = "_exporting_changelist"
NOT_FILTERS = {*IGNORED_PARAMS, PAGE_VAR, ERROR_FLAG}
# The permissions that show masked columns in full, as recorded in the export log.
PII_PERMISSION = "policies.view_pii"
VOUCHER_PERMISSION = "gifts.change_vouchercode"


def _in_full(columns: Sequence[Column], user, permission: str) -> bool:
    """Whether the sheet has columns guarded by ``permission`` and shows them in full."""
    guarded = [c for c in columns if c.mask is not None and c.full_with == permission]
    return bool(guarded) and all(shows_in_full(c, user) for c in guarded)


class _RowsOnly:
    """A ChangeList that only builds its queryset: no COUNT(*), no page of results."""

    def get_results(self, request):
        self.result_count = self.full_result_count = 0
        self.result_list = []
        self.can_show_all = self.multi_page = self.show_full_result_count = False
        self.show_admin_actions = False


def export_query_string(request) -> str:
    """The changelist's query string without what only concerns its screen (the page)."""
    query = request.GET.copy()
    for name in (PAGE_VAR, ERROR_FLAG, IS_POPUP_VAR, TO_FIELD_VAR):
        query.pop(name, None)
    return query.urlencode()


def describe_filters(changelist) -> list[str]:
    """What narrows the list, as people read it: "状态: 已完成", "搜索: …"."""
    described = []
    if changelist.query:
        described.append(_("search: %(text)s") % {"text": changelist.query})
    consumed = set()
    for spec in changelist.filter_specs:
        consumed.update(spec.expected_parameters())
        if not getattr(spec, "used_parameters", None):
            continue
        chosen = [str(c["display"]) for c in spec.choices(changelist) if c.get("selected")]
        described.append(f"{spec.title}: {', '.join(chosen)}")
    params = {k: v for k, v in changelist.filter_params.items() if k not in NOT_FILTERS}
    if changelist.date_hierarchy:
        prefix = f"{changelist.date_hierarchy}__"
        parts = [params.pop(f"{prefix}{unit}", [None])[-1] for unit in ("year", "month", "day")]
        if parts[0]:
            field = get_fields_from_path(changelist.model, changelist.date_hierarchy)[-1]
            date = "-".join(part for part in parts if part)
            described.append(f"{field.verbose_name}: {date}")
    for name, values in sorted(params.items()):
        if name not in consumed:
            described.append(f"{name} = {', '.join(values)}")
    return described


class ExportAdminMixin:
    """Put this first in a ModelAdmin's bases and set ``export_columns``.

    ``export_ordering_tail`` orders rows within one changelist row when the columns
    follow a to-many relation (a distribution's items: ``["items__id"]``).
    """

    export_columns: Sequence[Column] = ()
    export_ordering_tail: Sequence[str] = ()

    def _export_url_name(self) -> str:
        return f"{self.opts.app_label}_{self.opts.model_name}_export"

    def get_urls(self):
        view = self.admin_site.admin_view(never_cache(require_GET(self.export_view)))
        return [path("export/", view, name=self._export_url_name()), *super().get_urls()]

    def get_changelist(self, request, **kwargs):
        changelist = super().get_changelist(request, **kwargs)
        if getattr(request, EXPORTING, False):
            return type(f"Export{changelist.__name__}", (_RowsOnly, changelist), {})
        return changelist

    def changelist_view(self, request, extra_context=None):
        export_url = None
        if IS_POPUP_VAR not in request.GET and self.has_view_permission(request):
            export_url = reverse(f"{self.admin_site.name}:{self._export_url_name()}")
            query = export_query_string(request)
            export_url = f"{export_url}?{query}" if query else export_url
        extra_context = {**(extra_context or {}), "export_url": export_url}
        return super().changelist_view(request, extra_context)

    def export_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        changelist_url = reverse(
            f"{self.admin_site.name}:{self.opts.app_label}_{self.opts.model_name}_changelist"
        )
        query = export_query_string(request)
        back = f"{changelist_url}?{query}" if query else changelist_url
        setattr(request, EXPORTING, True)
        try:
            changelist = self.get_changelist_instance(request)
        except IncorrectLookupParameters:
            return HttpResponseRedirect(f"{changelist_url}?{ERROR_FLAG}=1")
        finally:
            setattr(request, EXPORTING, False)
        queryset = changelist.queryset
        if self.export_ordering_tail:
            queryset = queryset.order_by(*queryset.query.order_by, *self.export_ordering_tail)
        columns = list(self.export_columns)
        limit = settings.EXPORT_MAX_ROWS
        # One bounded look past the limit instead of a COUNT over everything; sheet rows
        # are the tail's rows (a distribution's items) where there is one.
        rows = queryset.values_list(*(self.export_ordering_tail or ["pk"]))
        if rows[limit : limit + 1].exists():
            self.message_user(
                request,
                _("More than %(limit)d rows: narrow the filters and export again.")
                % {"limit": limit},
                messages.ERROR,
            )
            return HttpResponseRedirect(back)
        return self._export_response(request, changelist, queryset, columns, query)

    def _export_notes(self, request, filters, columns, now) -> list[str]:
        user = request.user
        who = f"{user.username} ({user.full_name})" if user.full_name else user.username
        notes = [
            _("%(list)s, exported by %(user)s")
            % {"list": self.opts.verbose_name_plural, "user": who},
            _("Exported at %(time)s (%(zone)s)")
            % {"time": now.strftime("%Y-%m-%d %H:%M:%S"), "zone": now.tzinfo},
            _("Filters: %(filters)s") % {"filters": "; ".join(filters) or _("none")},
        ]
        masked = [column_header(self.model, c) for c in columns if not shows_in_full(c, user)]
        if masked:
            notes.append(_("Masked: %(columns)s") % {"columns": ", ".join(masked)})
        return notes

    def _export_response(self, request, changelist, queryset, columns, query):
        user = request.user
        now = timezone.localtime(timezone.now(), local_zone())
        filters = describe_filters(changelist)
        notes = self._export_notes(request, filters, columns, now)
        headers = [column_header(self.model, column) for column in columns]
        handle, row_count = written_to_temp_file(
            lambda path: write_export(
                path,
                headers=headers,
                rows=export_rows(queryset, columns, user=user),
                notes=notes,
                sheet_name=str(self.opts.verbose_name_plural),
            )
        )
        export_record(
            actor=user,
            model_label=self.opts.label_lower,
            filters="; ".join(filters),
            query_string=query,
            row_count=row_count,
            full_personal_data=_in_full(columns, user, PII_PERMISSION),
            full_voucher_codes=_in_full(columns, user, VOUCHER_PERMISSION),
        )
        file_name = f"{self.opts.verbose_name_plural}-{now:%Y%m%d-%H%M%S}.xlsx"
        return FileResponse(handle, as_attachment=True, filename=file_name, content_type=XLSX)
