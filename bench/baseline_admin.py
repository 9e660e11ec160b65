"""django-import-export's default admin import of gifts, on its own admin site, as a baseline."""

from django.contrib import admin
from django.urls import include, path
from import_export.admin import ImportExportModelAdmin

from gifts.models import Gift
from gifts.resources import GiftResource

baseline_site = admin.AdminSite(name="baseline")


class BaselineGiftAdmin(ImportExportModelAdmin):
    resource_classes = [GiftResource]


baseline_site.register(Gift, BaselineGiftAdmin)

urlpatterns = [
    path("baseline/", baseline_site.urls),
    path("", include("giftplatform.urls")),
]
