"""Portal sign-in, sign-out and the home page of each provider kind."""

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import LoginView, LogoutView
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from suppliers.portal.access import is_supplier, portal_provider, portal_view
from suppliers.portal.supplier_pages import home_context


class PortalAuthenticationForm(AuthenticationForm):
    """Django's sign-in form (axes still counts failures) that admits portal users only."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "not_portal": _(
            "This sign-in is for supplier and service-provider accounts. "
            "Staff sign in to the administration."
        ),
    }

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        if portal_provider(user) is None:
            raise forms.ValidationError(self.error_messages["not_portal"], code="not_portal")


class PortalLoginView(LoginView):
    template_name = "portal/login.html"
    authentication_form = PortalAuthenticationForm

    def get_default_redirect_url(self):
        return reverse("portal:home")


class PortalLogoutView(LogoutView):
    next_page = "portal:login"


@portal_view
def home(request):
    provider = request.provider
    if is_supplier(provider):
        return render(request, "portal/home_supplier.html", home_context(provider, request.user))
    return render(request, "portal/home_service.html", {"provider": provider})
