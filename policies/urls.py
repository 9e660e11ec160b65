"""Policy pages outside the admin: included by giftplatform.urls."""

from django.urls import path

from policies import views

app_name = "policies"

urlpatterns = [
    path("<int:pk>/reveal/<str:field>/", views.workbench_reveal, name="reveal"),
]
