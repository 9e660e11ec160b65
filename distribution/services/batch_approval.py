"""Four eyes for real batch runs: a second person approves before anything goes out.

``batch_run_prepare`` (distribution/batch.py) saves a real run as AWAITING_APPROVAL with
its maker; nothing is reserved then, so a rejection has nothing to release. An approved
run is PENDING (ready to start) and is started by ``batch_run_execute``, from the admin
or by ``manage.py distribute_batch --run ID``; a stopped run resumes without a second
approval, as the same approved selection. Dry runs write nothing and need no approval.
"""

from django.db import transaction
from django.utils.translation import gettext_lazy

from distribution.models import BatchRun, BatchStatus
from distribution.services.four_eyes import (
    FourEyes,
    lock_for_decision,
    record_decision,
    rejection_reason,
)

APPROVE_RUN_PERMISSION = "distribution.approve_batchrun"
RUN_DECISIONS = FourEyes(
    permission=APPROVE_RUN_PERMISSION,
    maker_field="created_by",
    pending_status=BatchStatus.AWAITING_APPROVAL,
    not_approver=gettext_lazy("Only an approver can decide on batch runs."),
    outside=gettext_lazy("This batch run is outside your branch."),
    own=gettext_lazy("You cannot approve your own batch run."),
    decided=gettext_lazy("This batch run was already decided."),
)


def _decidable(actor, run: BatchRun) -> BatchRun:
    return lock_for_decision(
        RUN_DECISIONS, actor=actor, queryset=BatchRun.objects.select_related("rule"), pk=run.pk
    )


@transaction.atomic
def batch_run_approve(*, actor, run: BatchRun, note: str = "") -> BatchRun:
    """Approve a real run made by someone else: it becomes ready to start."""
    run = _decidable(actor, run)
    return record_decision(run, actor=actor, status=BatchStatus.PENDING, note=note.strip())


@transaction.atomic
def batch_run_reject(*, actor, run: BatchRun, note: str) -> BatchRun:
    """Reject a real run with a reason; it never runs (nothing was reserved for it)."""
    note = rejection_reason(note)
    run = _decidable(actor, run)
    return record_decision(run, actor=actor, status=BatchStatus.REJECTED, note=note)
