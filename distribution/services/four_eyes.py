"""Maker-checker: what every decision by a second person shares.

Changes to rules and quotas (``changes``) and real batch runs (``batch_approval``) wait
for someone other than their maker who holds the approver permission and whose branch
subtree holds the record. The database repeats the maker != checker rule as a check
constraint on each model; these helpers are the service side of it.
"""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Model, QuerySet
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from giftplatform.access import restrict


@dataclass(frozen=True)
class FourEyes:
    """How one kind of record is decided: who may, which field names the maker, and
    what to say when the decision is refused (lazy strings, in the caller's language)."""

    permission: str
    maker_field: str
    pending_status: str
    not_approver: Promise
    outside: Promise
    own: Promise
    decided: Promise


def lock_for_decision(rules: FourEyes, *, actor, queryset: QuerySet, pk) -> Model:
    """The record, locked, if ``actor`` may decide on it now; else PermissionDenied
    (no permission, outside their branch, their own) or ValidationError (decided)."""
    if not actor.has_perm(rules.permission):
        raise PermissionDenied(str(rules.not_approver))
    record = (
        restrict(queryset.select_for_update(of=("self",)), actor, "change").filter(pk=pk).first()
    )
    if record is None:
        raise PermissionDenied(str(rules.outside))
    if getattr(record, f"{rules.maker_field}_id") == actor.pk:
        raise PermissionDenied(str(rules.own))
    if record.status != rules.pending_status:
        raise ValidationError(str(rules.decided))
    return record


def rejection_reason(note: str) -> str:
    """A rejection always says why."""
    if not note or not note.strip():
        raise ValidationError(_("Rejecting needs a reason."))
    return note.strip()


def record_decision(record: Model, *, actor, status: str, note: str) -> Model:
    """Write the decision (who, when, why) onto the locked ``record``."""
    record.status = status
    record.checker = actor
    record.decided_at = timezone.now()
    record.decision_note = note
    record.save(update_fields=["status", "checker", "decided_at", "decision_note"])
    return record
