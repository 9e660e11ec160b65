"""Batch runs admin: list and detail of runs and their reports.

The add page is the batch runner's start form (distribution/batch_admin.py): a dry run
runs inline; a real run waits for a second person (distribution/batch_approval_admin.py),
listed first among the runs, then is started from its page (start, stop, resume).
"""

import json

from django.contrib import admin
from django.db.models import Case, IntegerField, Value, When
from django.utils.html import format_html
from django.utils.translation import gettext_lazy

from distribution.admin_common import ConfirmPagesMixin, NoDeleteMixin
from distribution.batch_admin import BatchRunnerAdminMixin
from distribution.batch_approval_admin import BatchApprovalAdminMixin
from distribution.models import BatchRun, BatchStatus
from giftplatform.admin_scoping import ScopedAdminMixin, ScopedRelatedFieldListFilter

AWAITING_FIRST = Case(
    When(status=BatchStatus.AWAITING_APPROVAL, then=Value(0)),
    default=Value(1),
    output_field=IntegerField(),
)


@admin.register(BatchRun)
class BatchRunAdmin(
    BatchRunnerAdminMixin,
    BatchApprovalAdminMixin,
    NoDeleteMixin,
    ConfirmPagesMixin,
    ScopedAdminMixin,
    admin.ModelAdmin,
):
    list_display = ["id", "rule", "dry_run", "status", "progress", "total", "processed"]
    list_display += ["distributed", "refused", "created_by", "created_at", "checker"]
    list_display += ["decided_at", "finished_at"]
    list_select_related = ["rule", "created_by", "checker"]
    list_filter = ["status", "dry_run", ("rule", ScopedRelatedFieldListFilter)]
    fields = ["rule", "branch", "issued_from", "issued_to", "dry_run", "status", "progress"]
    fields += ["created_by", "created_at", "checker", "decided_at", "decision_note"]
    fields += ["stop_requested", "total", "processed", "distributed", "refused"]
    fields += ["last_policy_id", "pretty_report", "error", "started_at", "finished_at"]
    readonly_fields = fields

    def get_ordering(self, request):
        # Runs awaiting approval first: what an approver has to decide on.
        return [AWAITING_FIRST.asc(), "-created_at", "-id"]

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
