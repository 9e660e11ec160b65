"""A statistics table as an .xlsx download: the filters in the header rows, cells made
formula-safe, constant memory, and the export logged (``export_record``) like every
other export of the platform."""

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
