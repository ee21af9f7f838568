"""Template filters: every amount and identifier is shown through the one helper that owns it."""

from django import template
from django.utils import translation

from ekrav import identifiers, money

register = template.Library()


@register.filter
def sek(ore):
    if ore is None:
        return ""
    return money.format_amount(int(ore), language=translation.get_language() or "sv")


@register.filter
def identity(value):
    return identifiers.format_identity(value) if value else ""


@register.filter
def postal_code(value):
    return identifiers.format_postal_code(value) if value else ""


@register.filter
def bankgiro(value):
    return identifiers.format_bankgiro(value) if value else ""


@register.filter
def get_item(mapping, key):
    return mapping.get(key)
