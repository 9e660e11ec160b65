"""Portal accounts of a provider, managed by staff from the provider's admin page.

Who: holders of ``giftplatform.add_user`` (create) or ``change_user`` (deactivate, new
password) whose reach includes provider users (``access.manages_provider_users``:
user managers of a top-level branch); anyone else gets 403. The provider and the
portal user are read through ``restrict``: out of reach is 404, like missing.
"""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _

from giftplatform.access import get_or_404, manages_provider_users
from giftplatform.roles import role_label
from suppliers.forms import PortalAccountForm, PortalPasswordForm
from suppliers.models import Provider
from suppliers.selectors import provider_portal_users
from suppliers.services import (
    PORTAL_ROLE,
    portal_account_create,
    portal_account_deactivate,
    portal_account_set_password,
)

CONFIRM_TEMPLATE = "admin/distribution/confirm.html"


def _require(request, permission: str) -> None:
    user = request.user
    if not (user.has_perm(permission) and manages_provider_users(user)):
        raise PermissionDenied


def may_manage_portal_users(user) -> bool:
    return user.has_perm("giftplatform.add_user") and manages_provider_users(user)


def _portal_user(request, user_id):
    users = get_user_model().objects.filter(provider__isnull=False, branch__isnull=True)
    return get_or_404(users.select_related("provider"), request.user, "change", pk=user_id)


def _users_url(provider) -> str:
    return reverse("admin:suppliers_provider_portal_users", args=[provider.pk])


def portal_users_view(model_admin, request, object_id):
    """The provider's portal users, and the form that creates one (password shown once)."""
    _require(request, "giftplatform.add_user")
    provider = get_or_404(Provider.objects.all(), request.user, "view", pk=object_id)
    form = PortalAccountForm(request.POST or None)
    shown_password = None
    created = None
    if request.method == "POST" and form.is_valid():
        try:
            created, shown_password = portal_account_create(
                actor=request.user, provider=provider, **form.cleaned_data
            )
        except ValidationError as error:
            form.add_error(None if hasattr(error, "error_dict") else "password", error)
        else:
            form = PortalAccountForm()
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": Provider._meta,
        "title": _("Portal accounts of %(provider)s") % {"provider": provider},
        "provider": provider,
        "role": role_label(PORTAL_ROLE[provider.kind]),
        "users": provider_portal_users(user=request.user, provider=provider),
        "form": form,
        "created": created,
        "shown_password": shown_password,
        "may_change": request.user.has_perm("giftplatform.change_user"),
    }
    response = TemplateResponse(request, "admin/suppliers/portal_users.html", context)
    response["Cache-Control"] = "private, no-store"  # a password may be on this page
    return response


def portal_user_deactivate_view(model_admin, request, user_id):
    _require(request, "giftplatform.change_user")
    portal_user = _portal_user(request, user_id)
    back = _users_url(portal_user.provider)
    if request.method == "POST":
        portal_account_deactivate(actor=request.user, user=portal_user)
        model_admin.message_user(
            request, _("%(user)s can no longer sign in.") % {"user": portal_user.username}
        )
        return HttpResponseRedirect(back)
    return TemplateResponse(
        request,
        CONFIRM_TEMPLATE,
        {
            **model_admin.admin_site.each_context(request),
            "opts": Provider._meta,
            "title": _("Deactivate portal account"),
            "question": _("This portal user will no longer be able to sign in:"),
            "objects": [portal_user],
            "back_url": back,
            "submit_label": _("Deactivate"),
        },
    )


def portal_user_password_view(model_admin, request, user_id):
    _require(request, "giftplatform.change_user")
    portal_user = _portal_user(request, user_id)
    back = _users_url(portal_user.provider)
    form = PortalPasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            password = portal_account_set_password(
                actor=request.user, user=portal_user, password=form.cleaned_data["password"]
            )
        except ValidationError as error:
            form.add_error("password", error)
        else:
            response = TemplateResponse(
                request,
                "admin/suppliers/portal_password_shown.html",
                {
                    **model_admin.admin_site.each_context(request),
                    "opts": Provider._meta,
                    "title": _("New password"),
                    "portal_user": portal_user,
                    "shown_password": password,
                    "back_url": back,
                },
            )
            response["Cache-Control"] = "private, no-store"
            return response
    if request.method == "POST" and form.errors:
        messages.error(request, _("Please correct the errors below."))
    return TemplateResponse(
        request,
        CONFIRM_TEMPLATE,
        {
            **model_admin.admin_site.each_context(request),
            "opts": Provider._meta,
            "title": _("Reset password"),
            "question": _("Set a new password for this portal user:"),
            "objects": [portal_user],
            "form": form,
            "back_url": back,
            "submit_label": _("Set password"),
        },
    )
