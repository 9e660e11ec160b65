"""Formatting for the counter workbench: money, units and masked personal data."""

from django import template

from distribution.quota_math import format_money, format_units
from policies.masking import mask_id_number, mask_phone

register = template.Library()


@register.filter
def money(value):
    """``Decimal("1234.5")`` -> ``¥1,234.50``; blank for None."""
    return "" if value is None or value == "" else format_money(value)


@register.filter
def units(value):
    return "" if value is None else format_units(value)


@register.filter
def masked_id(value):
    """110105********1234 (PIPL: staff see the region and the last four only)."""
    return mask_id_number(value or "")


@register.filter
def masked_phone(value):
    """138****5678."""
    return mask_phone(value or "")
