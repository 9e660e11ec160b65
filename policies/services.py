"""Writes for policies that faces call: revealing personal data in full is one of them."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from policies.models import PiiField, PiiReveal, Policy

REVEAL_PERMISSION = "policies.view_pii"


def may_reveal_pii(user) -> bool:
    return bool(user.is_active and user.has_perm(REVEAL_PERMISSION))


@transaction.atomic
def policy_reveal_pii(*, actor, policy: Policy, field: str, reason: str) -> str:
    """The full value of ``field`` of ``policy``, after logging who asked and why (PIPL).

    The caller has read ``policy`` through ``giftplatform.access`` (out of scope: 404).
    Nothing is returned unless the ``PiiReveal`` row is written in the same transaction.
    """
    if not may_reveal_pii(actor):
        raise PermissionDenied(_("You may not reveal personal data."))
    if field not in PiiField.values:
        raise ValidationError(_("Unknown personal data field."), code="field")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("Give the reason for revealing it."), code="reason")
    PiiReveal.objects.create(policy=policy, field=field, reason=reason, user=actor)
    return getattr(policy, field)
