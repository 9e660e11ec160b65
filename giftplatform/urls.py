from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from giftplatform import audit
from suppliers import signup

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("workbench/", include("distribution.urls")),
    path("policies/", include("policies.urls")),
    path("portal/", include("suppliers.portal.urls")),
    path("stats/", include("stats.urls")),
    path("audit/", audit.audit_log, name="audit"),
    path("provider-signup/", signup.signup_view, name="provider_signup"),
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False)),
]
