"""Template filters: every amount and identifier is shown through the one helper that owns it."""

import re

from django import template
from django.utils.html import escape
from django.utils.safestring import mark_safe
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
def identity_masked(value):
    """A personnummer without its last four digits, for lists."""
    return identifiers.mask_identity(value) if value else ""


@register.filter
def postal_code(value):
    return identifiers.format_postal_code(value) if value else ""


@register.filter
def bankgiro(value):
    return identifiers.format_bankgiro(value) if value else ""


@register.filter
def get_item(mapping, key):
    return mapping.get(key)


# The abbreviations case handlers use (DOMAIN.md), explained on hover wherever a timeline
# shows them; the words themselves stay as they are written.
ABBREVIATIONS = {
    "PÅM": "Betalningspåminnelse", "IK": "Inkassokrav", "REX": "Kreditupplysning före det "
    "rättsliga steget", "KFM": "Kronofogden", "BF": "Betalningsföreläggande",
    "TR": "Tingsrätt", "UTM": "Utmätning", "SUT": "Saknar utmätningsbara tillgångar",
    "Bev": "Efterbevakning", "Amplan": "Amorteringsplan (avbetalningsplan)",
    "UG": "Uppdragsgivare (borgenären)", "KK": "Konkurs",
}
_ABBREVIATION_RE = re.compile(r"(?<![\wÅÄÖåäö])(" + "|".join(
    sorted(map(re.escape, ABBREVIATIONS), key=len, reverse=True)) + r")(?![\wÅÄÖåäö])")


@register.filter
def abbreviations(text):
    """The text, escaped, with each handlers' abbreviation in an <abbr> with its meaning."""
    return mark_safe(_ABBREVIATION_RE.sub(
        lambda m: f'<abbr title="{escape(ABBREVIATIONS[m.group(1)])}">{m.group(1)}</abbr>',
        str(escape(text))))
