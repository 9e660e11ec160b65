"""Money fields: Decimal CNY with 2 places, never negative."""

from decimal import Decimal

from django.db import models

CENT = Decimal("0.01")


def MoneyField(verbose_name, **kwargs) -> models.DecimalField:
    kwargs.setdefault("max_digits", 14)
    kwargs.setdefault("decimal_places", 2)
    return models.DecimalField(verbose_name, **kwargs)
