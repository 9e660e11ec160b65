from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GiftsConfig(AppConfig):
    name = "gifts"
    verbose_name = _("Gifts and stock")

    def ready(self) -> None:
        from gifts.imports import gift_sheets, providers  # noqa: F401 - registers importers
