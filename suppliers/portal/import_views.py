"""Supplier shipment sheets: template, upload and preview, then an all-or-nothing commit.

The uploaded file is kept under MEDIA_ROOT/portal_shipments/ with a random name between
the preview and the commit; the commit form carries a signed token naming the file and
the user, so nobody can commit another's upload, and the sheet is checked again (under
row locks) when it is written. A preview never committed is deleted by the next upload
once its token has expired.
"""

import io
import time
import uuid
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.core import signing
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from distribution.models import Courier
from distribution.services.shipments import shipment_import
from distribution.shipment_import import check_sheet, write_template
from suppliers.portal.forms import SheetUploadForm
from suppliers.portal.supplier_views import XLSX, supplier_view

SALT = "portal.shipment-import"
TOKEN_MAX_AGE = 2 * 3600
PREVIEW_ROWS = 200


def _folder() -> Path:
    folder = Path(settings.MEDIA_ROOT) / "portal_shipments"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _store(upload) -> Path:
    _sweep_expired(_folder())
    suffix = Path(upload.name).suffix.lower()
    target = _folder() / f"{uuid.uuid4().hex}{suffix if suffix in ('.xlsx', '.csv') else ''}"
    with open(target, "wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    return target


def _sweep_expired(folder: Path) -> None:
    """Delete the previews whose token can no longer commit them (older than its age)."""
    expired = time.time() - TOKEN_MAX_AGE
    for path in folder.iterdir():
        try:
            if path.is_file() and path.stat().st_mtime < expired:
                path.unlink(missing_ok=True)
        except FileNotFoundError:  # another upload swept it first
            continue


def _stored(request, token: str) -> tuple[Path, str] | None:
    try:
        data = signing.loads(token, salt=SALT, max_age=TOKEN_MAX_AGE)
    except signing.BadSignature:
        return None
    if data.get("user") != request.user.pk:
        return None
    path = _folder() / Path(data["file"]).name
    return (path, data["name"]) if path.exists() else None


@supplier_view
@require_http_methods(["GET"])
def import_template(request):
    buffer = io.BytesIO()
    write_template(buffer)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="shipments-template.xlsx"'
    return response


@supplier_view
@require_http_methods(["GET", "POST"])
def import_upload(request):
    form = SheetUploadForm(request.POST or None, request.FILES or None)
    context = {"form": form}
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["sheet"]
        path = _store(upload)
        check = check_sheet(provider=request.provider, path=path, file_name=upload.name)
        if check.errors:
            path.unlink(missing_ok=True)
        token = signing.dumps(
            {"user": request.user.pk, "file": path.name, "name": upload.name}, salt=SALT
        )
        context.update(_result(check, upload.name, token if check.ok else ""))
    return render(request, "portal/shipment_import.html", context)


def _result(check, file_name: str, token: str) -> dict:
    """The check's context: the first rows, each with its problems, and the errors."""
    problems: dict[int, list[str]] = {}
    for error in check.errors:
        text = f"{error.column}: {error.message}" if error.column else error.message
        problems.setdefault(error.row, []).append(text)
    couriers = dict(Courier.choices)
    preview = [
        (row, problems.get(row.number, []), couriers.get(row.values.get("courier"), ""))
        for row in check.rows[:PREVIEW_ROWS]
    ]
    return {
        "check": check,
        "file_name": file_name,
        "token": token,
        "preview": preview,
        "more_rows": max(0, len(check.rows) - PREVIEW_ROWS),
    }


@supplier_view
@require_POST
def import_commit(request):
    stored = _stored(request, request.POST.get("token", ""))
    if stored is None:
        messages.error(request, _("The uploaded sheet has expired; upload it again."))
        return redirect("portal:shipment_import")
    path, name = stored
    try:
        check = shipment_import(
            actor=request.user, provider=request.provider, path=path, file_name=name
        )
    finally:
        path.unlink(missing_ok=True)
    if check.errors:
        context = {"form": SheetUploadForm(), **_result(check, name, "")}
        return render(request, "portal/shipment_import.html", context)
    messages.success(
        request,
        _("%(rows)d rows imported: %(parcels)d parcel(s) logged.")
        % {"rows": len(check.rows), "parcels": check.parcels},
    )
    return redirect("portal:shipments")
