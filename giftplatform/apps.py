from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GiftPlatformConfig(AppConfig):
    name = "giftplatform"
    verbose_name = _("Organisation and users")
