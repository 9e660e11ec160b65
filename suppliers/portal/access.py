"""Who may use the portal, and the decorator every portal view wears.

``portal_view`` admits active portal users (``giftplatform.access.is_portal_user``) and,
with ``kind``, only those of that provider kind (a service provider on a supplier page is
refused: 403, before any row is looked up). Staff get 403 and a page that points them to
the administration: the portal is not their tool, and a redirect would hide that they
signed in with the wrong account. Anonymous visitors go to the portal sign-in page.

A row outside the provider (``get_or_404`` raising Http404) is answered with the portal's
own not-found page, the same as a row that does not exist.
"""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse

from giftplatform.access import is_portal_user
from suppliers.models import ProviderKind, ProviderStatus


def portal_provider(user):
    """The provider ``user`` works for in the portal, or None when they may not use it."""
    if not (user.is_authenticated and user.is_active and is_portal_user(user)):
        return None
    provider = user.provider
    # A terminated provider's accounts are closed; a suspended one still ships what is due.
    return None if provider.status == ProviderStatus.TERMINATED else provider


def is_supplier(provider) -> bool:
    return provider is not None and provider.kind == ProviderKind.GOODS


def portal_view(view=None, *, kind: str | None = None):
    """Wrap a portal view: sign-in, portal users only, optionally one provider kind."""

    def decorate(func):
        @wraps(func)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path(), reverse("portal:login"))
            provider = portal_provider(request.user)
            if provider is None or (kind is not None and provider.kind != kind):
                return render(request, "portal/refused.html", {"provider": provider}, status=403)
            request.provider = provider
            try:
                return func(request, *args, **kwargs)
            except Http404:
                return render(request, "portal/not_found.html", status=404)

        return wrapper

    return decorate(view) if view is not None else decorate
