"""A statistics table as an .xlsx download: the filters in the header rows, cells made
formula-safe, constant memory, and the export logged (``export_record``) like every
other export of the platform.

``export_view(spec, ...)`` makes the download view of one of a page's tables: the page's
own form (period, branch, filters; a branch outside the scope is a 404), then
``spec.build`` reads the rows with the same selectors as the page, in full.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.http import FileResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from giftplatform.services import export_record
from giftplatform.sheets.export import write_export
from giftplatform.sheets.writer import written_to_temp_file


def sheet_response(
    request,
    *,
    heading: str,
    described: list[str],
    headers: list[str],
    rows: list[list],
    sheet_name: str,
    model_label: str,
    file_stem: str,
    full_personal_data: bool = False,
) -> FileResponse:
    """``heading`` is a translated text with ``%(user)s`` and ``%(time)s``; ``described``
    the filters as the page states them."""
    now = timezone.localtime()
    notes = [
        heading % {"user": request.user.get_username(), "time": f"{now:%Y-%m-%d %H:%M}"},
        _("Filters: %(filters)s") % {"filters": "; ".join(described)},
    ]
    handle, count = written_to_temp_file(
        lambda path: write_export(
            path, headers=headers, rows=rows, notes=notes, sheet_name=sheet_name
        )
    )
    export_record(
        actor=request.user,
        model_label=model_label,
        filters="; ".join(described),
        query_string=request.GET.urlencode(),
        row_count=count,
        full_personal_data=full_personal_data,
        full_voucher_codes=False,
    )
    return FileResponse(handle, as_attachment=True, filename=f"{file_stem}-{now:%Y%m%d-%H%M}.xlsx")


# More than any branch holds in a period, so a sheet is the whole list (pages show the top).
ALL_ROWS = 100_000


@dataclass(frozen=True)
class Sheet:
    headers: list[str]
    rows: list[list]


@dataclass(frozen=True)
class SheetSpec:
    """One exportable table: ``build(user=..., **form.sheet_arguments(branch))``."""

    name: str  # the URL name is ``<name>_export``; the file is named after it
    build: Callable[..., Sheet]
    title: object  # lazy text: the sheet's name and first header row
    model_label: str  # what the export log records

    @property
    def url_name(self) -> str:
        return f"{self.name}_export"


def export_view(spec: SheetSpec, *, form_class, page):
    """The .xlsx download of ``spec`` with ``page``'s filters (``form_class``); an
    invalid form shows ``page`` with its errors."""
    from stats.forms import with_defaults
    from stats.pages import drill_branch, stats_page

    def export(request):
        form = form_class(with_defaults(request.GET), user=request.user)
        branch = drill_branch(request, form)
        if not form.is_valid():
            return page(request)
        sheet = spec.build(user=request.user, **form.sheet_arguments(branch))
        title = str(spec.title)
        return sheet_response(
            request,
            heading=_("Statistics exported by %(user)s at %(time)s"),
            described=[title, *form.described(branch)],
            headers=sheet.headers,
            rows=sheet.rows,
            sheet_name=title[:31],  # Excel's limit
            model_label=spec.model_label,
            file_stem=spec.name.replace("_", "-"),
        )

    export.__name__ = spec.url_name
    return stats_page(export)
