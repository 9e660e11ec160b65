"""Spreadsheet import pages for any ModelAdmin: upload, preview, confirm, error sheet, template."""

import tempfile
from io import BytesIO
from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from giftplatform.sheets.files import SheetFileError
from gifts.imports import import_commit, import_preview
from gifts.imports.registry import get_importer
from gifts.imports.sheets_out import sample_rows, write_error_sheet, write_template
from gifts.models import ImportJob, ImportKind, ImportStatus
from gifts.selectors import import_jobs_for

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SHOWN_ERRORS = 500


class UploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Sheet file"), help_text=gettext_lazy(".xlsx or .csv (UTF-8 or GBK)")
    )
    sheet = forms.CharField(
        label=gettext_lazy("Sheet name"),
        required=False,
        max_length=100,
        help_text=gettext_lazy("Leave empty to read the visible active sheet."),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if Path(upload.name).suffix.lower() not in (".xlsx", ".csv"):
            raise forms.ValidationError(_("Only .xlsx and .csv files can be imported."))
        if upload.size > settings.IMPORT_MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(limit)s MB.")
                % {"limit": settings.IMPORT_MAX_UPLOAD_BYTES // (1024 * 1024)}
            )
        return upload


def _xlsx_response(write, file_name: str) -> HttpResponse:
    buffer = BytesIO()
    write(buffer)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{file_name}"
    return response


class ImportAdminMixin:
    """Adds import pages under the changelist; set ``import_kind``.

    The upload is checked and counted in full (a preview is a real run rolled back);
    confirming runs it again from the stored file, all or nothing.
    """

    import_kind: str
    change_list_template = "admin/imports/change_list.html"

    def get_urls(self):
        view = self.admin_site.admin_view
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        pages = [
            ("import/", self.import_upload_view, "import"),
            ("import/template.xlsx", self.import_template_view, "import_template"),
            ("import/<int:job_id>/", self.import_job_view, "import_job"),
            ("import/<int:job_id>/commit/", require_POST(self.import_commit_view), "import_commit"),
            ("import/<int:job_id>/errors.xlsx", self.import_errors_view, "import_errors"),
        ]
        return [
            *(path(route, view(page), name=f"{prefix}_{name}") for route, page, name in pages),
            *super().get_urls(),
        ]

    # --- helpers ---------------------------------------------------------------------------

    def _check_import_permission(self, request) -> None:
        importer = get_importer(self.import_kind)
        if not all(request.user.has_perm(p) for p in importer.permissions):
            raise PermissionDenied

    def has_import_permission(self, request) -> bool:
        try:
            self._check_import_permission(request)
        except PermissionDenied:
            return False
        return True

    def _job(self, request, job_id) -> ImportJob:
        # Someone else's job answers like a missing one.
        return get_object_or_404(import_jobs_for(request.user), pk=job_id, kind=self.import_kind)

    def _url(self, name, *args):
        return reverse(
            f"{self.admin_site.name}:{self.opts.app_label}_{self.opts.model_name}_{name}", args=args
        )

    def _context(self, request, **extra):
        return {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "kind_label": ImportKind(self.import_kind).label,
            "template_url": self._url("import_template"),
            "upload_url": self._url("import"),
            **extra,
        }

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "import_url": self._url("import") if self.has_import_permission(request) else None,
        }
        return super().changelist_view(request, extra_context)

    # --- views -----------------------------------------------------------------------------

    def import_upload_view(self, request):
        self._check_import_permission(request)
        form = UploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            suffix = Path(upload.name).suffix.lower()
            with tempfile.NamedTemporaryFile(suffix=suffix) as temporary:
                for chunk in upload.chunks():
                    temporary.write(chunk)
                temporary.flush()
                job = import_preview(
                    actor=request.user,
                    kind=self.import_kind,
                    path=Path(temporary.name),
                    file_name=upload.name,
                    sheet=form.cleaned_data["sheet"] or None,
                )
            return HttpResponseRedirect(self._url("import_job", job.pk))
        recent = import_jobs_for(request.user).filter(kind=self.import_kind)[:10]
        context = self._context(request, form=form, recent_jobs=recent, title=_("Import"))
        return TemplateResponse(request, "admin/imports/upload.html", context)

    def import_job_view(self, request, job_id):
        self._check_import_permission(request)
        job = self._job(request, job_id)
        headers, samples = ([], [])
        if job.status == ImportStatus.PREVIEWED:
            headers, samples = sample_rows(job)
        row_errors = [e for e in job.errors if e["row"]]
        context = self._context(
            request,
            job=job,
            title=_("Import preview") if job.status == ImportStatus.PREVIEWED else _("Import"),
            file_errors=[e for e in job.errors if not e["row"]],
            row_errors=row_errors[:SHOWN_ERRORS],
            more_errors=max(0, len(row_errors) - SHOWN_ERRORS),
            sample_headers=headers,
            sample_rows=samples,
            can_commit=job.status == ImportStatus.PREVIEWED and bool(job.stored_file),
            commit_url=self._url("import_commit", job.pk),
            errors_url=self._url("import_errors", job.pk)
            if row_errors and job.stored_file
            else None,
            changelist_url=self._url("changelist"),
        )
        return TemplateResponse(request, "admin/imports/job.html", context)

    def import_commit_view(self, request, job_id):
        self._check_import_permission(request)
        job = self._job(request, job_id)
        if job.status != ImportStatus.PREVIEWED:
            messages.warning(request, _("This import was already handled."))
            return HttpResponseRedirect(self._url("import_job", job.pk))
        job = import_commit(actor=request.user, job=job)
        if job.status == ImportStatus.COMMITTED:
            messages.success(
                request,
                _("Imported: %(created)d created, %(updated)d updated, %(unchanged)d unchanged.")
                % {
                    "created": job.created_count,
                    "updated": job.updated_count,
                    "unchanged": job.unchanged_count,
                },
            )
        else:
            messages.error(
                request, _("The sheet no longer passes the checks; nothing was written.")
            )
        return HttpResponseRedirect(self._url("import_job", job.pk))

    def import_errors_view(self, request, job_id):
        self._check_import_permission(request)
        job = self._job(request, job_id)
        if not job.stored_file:
            raise Http404
        try:
            return _xlsx_response(
                lambda target: write_error_sheet(job, target), f"errors-{job.pk}.xlsx"
            )
        except (SheetFileError, FileNotFoundError):
            raise Http404 from None

    def import_template_view(self, request):
        self._check_import_permission(request)
        return _xlsx_response(
            lambda target: write_template(self.import_kind, target),
            f"{self.import_kind}-template.xlsx",
        )
