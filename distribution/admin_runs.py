"""Batch runs admin: list and detail of runs and their reports.

The add page is the batch runner's start form (distribution/batch_admin.py), which
runs inline and lands on the run's page with its stop and resume buttons.
"""

import json

from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext_lazy

from distribution.admin_common import ConfirmPagesMixin, NoDeleteMixin
from distribution.batch_admin import BatchRunnerAdminMixin
from distribution.models import BatchRun
from giftplatform.admin_scoping import ScopedAdminMixin, ScopedRelatedFieldListFilter


@admin.register(BatchRun)
class BatchRunAdmin(
    BatchRunnerAdminMixin, NoDeleteMixin, ConfirmPagesMixin, ScopedAdminMixin, admin.ModelAdmin
):
    list_display = ["id", "rule", "dry_run", "status", "progress", "total", "processed"]
    list_display += ["distributed", "refused", "created_by", "created_at", "finished_at"]
    list_select_related = ["rule", "created_by"]
    list_filter = ["status", "dry_run", ("rule", ScopedRelatedFieldListFilter)]
    fields = ["rule", "branch", "issued_from", "issued_to", "dry_run", "status", "progress"]
    fields += ["stop_requested", "total", "processed", "distributed", "refused"]
    fields += ["last_policy_id", "pretty_report", "error", "created_by", "created_at"]
    fields += ["started_at", "finished_at"]
    readonly_fields = fields

    @admin.display(description=gettext_lazy("progress"))
    def progress(self, run):
        return f"{run.progress_percent}%"

    @admin.display(description=gettext_lazy("report"))
    def pretty_report(self, run):
        if not run.report:
            return "—"
        text = json.dumps(run.report, ensure_ascii=False, indent=2, sort_keys=True)
        return format_html('<pre style="white-space: pre-wrap">{}</pre>', text)

    def has_change_permission(self, request, obj=None):
        return False
