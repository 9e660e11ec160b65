"""Approving and rejecting real batch runs in the admin (four eyes).

Put ``BatchApprovalAdminMixin`` before ``ConfirmPagesMixin`` in ``BatchRunAdmin``'s bases:
it adds the approve and reject confirmation pages and their buttons on the run's page.
Only a user with ``distribution.approve_batchrun`` may open them (403 otherwise); a run
outside their branch subtree answers 404. The service refuses the maker's own run.
"""

from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from distribution.forms import ReasonForm
from distribution.models import BatchRun, BatchStatus
from distribution.services import batch_run_approve, batch_run_reject
from distribution.services.batch_approval import APPROVE_RUN_PERMISSION


def run_summary(run: BatchRun) -> str:
    """What an approver decides on, in one sentence."""
    selection = run.report.get("selection", {})
    parts = [
        _("Rule %(rule)s over %(total)s policies") % {"rule": run.rule.code, "total": run.total}
    ]
    if run.branch_id:
        parts.append(_("branch %(branch)s and below") % {"branch": run.branch})
    start, end = selection.get("issued_from"), selection.get("issued_to")
    if start or end:
        parts.append(_("issued %(start)s – %(end)s") % {"start": start or "…", "end": end or "…"})
    parts.append(
        _("requested by %(maker)s at %(time)s")
        % {
            "maker": run.created_by or "—",
            "time": f"{timezone.localtime(run.created_at):%Y-%m-%d %H:%M}",
        }
    )
    return _("; ").join(parts) + "."


class BatchApprovalAdminMixin:
    """Approve / reject pages for real batch runs (see the module docstring)."""

    def may_approve_runs(self, request) -> bool:
        return request.user.has_perm(APPROVE_RUN_PERMISSION)

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "<path:object_id>/approve/",
                view(self.approve_run_view),
                name="distribution_batchrun_approve",
            ),
            path(
                "<path:object_id>/reject/",
                view(self.reject_run_view),
                name="distribution_batchrun_reject",
            ),
            *super().get_urls(),
        ]

    def approval_buttons(self, request, run: BatchRun) -> list[tuple[str, str]]:
        if run.status != BatchStatus.AWAITING_APPROVAL or not self.may_approve_runs(request):
            return []
        if run.created_by_id == request.user.pk:
            return []
        return [
            (reverse("admin:distribution_batchrun_approve", args=[run.pk]), _("Approve")),
            (reverse("admin:distribution_batchrun_reject", args=[run.pk]), _("Reject")),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = dict(extra_context or {})
        run = self.get_object(request, object_id)
        if run is not None:
            extra_context["approval_buttons"] = self.approval_buttons(request, run)
            extra_context["own_awaiting"] = (
                run.status == BatchStatus.AWAITING_APPROVAL and run.created_by_id == request.user.pk
            )
        return super().change_view(request, object_id, form_url, extra_context)

    def approve_run_view(self, request, object_id):
        def perform(run, data):
            batch_run_approve(actor=request.user, run=run, note=data["reason"])
            return _("Approved: the run is ready to start from its page.")

        return self.object_operation(
            request,
            object_id,
            title=_("Approve the batch run"),
            question=self._question(
                request,
                object_id,
                _(
                    "Once approved, it can be started from its page or with "
                    "manage.py distribute_batch --run %(id)s."
                ),
            ),
            perform=perform,
            form_class=lambda data: ReasonForm(data, required=False, label=_("note")),
            allowed=lambda run: self.may_approve_runs(request),
        )

    def reject_run_view(self, request, object_id):
        def perform(run, data):
            batch_run_reject(actor=request.user, run=run, note=data["reason"])
            return _("Rejected: the run never starts. Nothing was reserved for it.")

        return self.object_operation(
            request,
            object_id,
            title=_("Reject the batch run"),
            question=self._question(request, object_id, _("A rejected run never starts.")),
            perform=perform,
            form_class=ReasonForm,
            allowed=lambda run: self.may_approve_runs(request),
        )

    def _question(self, request, object_id, then: str) -> str:
        run = self.object_or_404(request, object_id)
        return f"{run_summary(run)} {then % {'id': run.pk}}"
