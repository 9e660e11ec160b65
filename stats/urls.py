"""Statistics pages (/stats/): included by giftplatform.urls."""

from django.urls import path

from stats import views

app_name = "stats"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("grouped/", views.grouped_report, name="grouped"),
    path("grouped/export/", views.grouped_export, name="grouped_export"),
]
