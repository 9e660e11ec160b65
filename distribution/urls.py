"""The counter workbench (/workbench/): included by giftplatform.urls."""

from django.urls import path

from distribution.workbench import views

app_name = "workbench"

urlpatterns = [
    path("", views.search, name="search"),
    path("policy/<int:pk>/", views.policy_detail, name="policy"),
    path("distribution/<str:number>/", views.receipt, name="receipt"),
]
