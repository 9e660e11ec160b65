"""The provider portal (/portal/): included by giftplatform.urls.

Supplier pages and service-provider pages (redemption: ``suppliers/portal/redeem.py``)
add their lines below the shared ones.
"""

from django.urls import path

from suppliers.portal import views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.PortalLoginView.as_view(), name="login"),
    path("logout/", views.PortalLogoutView.as_view(), name="logout"),
]
