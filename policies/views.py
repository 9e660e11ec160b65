"""Revealing a policy's ID number or mobile in full: a reason, a log row, then the value once.

The same flow serves the counter workbench (this module's view) and the policy admin
(``PolicyAdmin.reveal_view``); both call ``policies.services.policy_reveal_pii``. The
value is rendered into one response marked no-store and is kept nowhere else (no session).
"""

from django import forms
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from giftplatform.access import get_or_404
from policies.masking import mask_id_number, mask_phone
from policies.models import PiiField, PiiReveal, Policy
from policies.services import may_reveal_pii, policy_reveal_pii

MASKS = {PiiField.ID_NUMBER: mask_id_number, PiiField.PHONE: mask_phone}


class RevealForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=PiiReveal._meta.get_field("reason").max_length,
        help_text=_("Why you need the full value. It is logged with your name and the time."),
    )


def reveal(request, policy_id: int, field: str, *, template: str, extra: dict | None = None):
    """GET: the reason form. POST: log and show the value, or the form with its errors.

    403 for users who may not reveal (before any look-up, so ids cannot be probed);
    404 for an unknown field or a policy outside the user's scope.
    """
    if not may_reveal_pii(request.user):
        raise PermissionDenied
    if field not in PiiField.values:
        raise Http404
    policy = get_or_404(Policy.objects.select_related("branch"), request.user, "view", pk=policy_id)
    form = RevealForm(request.POST if request.method == "POST" else None)
    value = None
    if form.is_valid():
        try:
            value = policy_reveal_pii(
                actor=request.user, policy=policy, field=field, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            form.add_error("reason", error)
    context = {
        "policy": policy,
        "field": field,
        "field_label": PiiField(field).label,
        "masked": MASKS[field](getattr(policy, field) or ""),
        "form": form,
        "value": value,
        **(extra or {}),
    }
    return render(request, template, context)


@staff_member_required
@never_cache
@require_http_methods(["GET", "POST"])
def workbench_reveal(request, pk: int, field: str):
    return reveal(request, pk, field, template="policies/workbench_reveal.html")
