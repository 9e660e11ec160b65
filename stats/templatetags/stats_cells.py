"""Formatting of statistics cells: the same raw values the export writes, shown plainly."""

from decimal import Decimal

from django import template

register = template.Library()


@register.filter
def cell(value):
    """Money and ratios with two decimals and thousands separators, counts with separators,
    missing figures as a dash; labels as they are."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return value
    if isinstance(value, Decimal):
        return f"{value:,.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return value


@register.filter
def is_number(value) -> bool:
    return isinstance(value, int | Decimal) and not isinstance(value, bool)
