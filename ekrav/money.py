"""Money as integer öre. Pure: parsing user input and formatting for the API and for people.

Floats never appear: they cannot hold 0.10 exactly. Decimal is only a transit format.
"""

import re
from decimal import ROUND_DOWN, Decimal

from django.utils.translation import gettext_lazy as _

MAX_ORE = 100_000_000_00  # 100 million SEK; above this an amount is a typo, not a claim

NBSP = "\u00a0"

# Thousands separators people paste: space, no-break space, narrow no-break space. They are
# only accepted between groups of three, so "1 2 3,4 5" is refused rather than guessed at.
_GROUPING = " \u00a0\u202f"
_WHOLE = rf"(\d{{1,3}}(?:[{_GROUPING}]\d{{3}})+|\d+)"
_SEK_RE = re.compile(rf"{_WHOLE}(?:[.,](\d{{1,2}}))?", re.ASCII)
_TOO_PRECISE_RE = re.compile(rf"{_WHOLE}[.,]\d{{3,}}", re.ASCII)
_CURRENCY_SUFFIXES = ("kr", "sek", ":-")
_ONE_CENT = Decimal("0.01")
_MAX_KRONOR = Decimal(MAX_ORE).scaleb(-2)


class MoneyError(ValueError):
    """An amount that cannot be accepted; ``message`` is shown to the user."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message

    def __str__(self):
        return str(self.message)


def parse_sek(value: str | Decimal | int, *, allow_zero: bool = False) -> int:
    """Kronor (text like "1 234,50", a Decimal or whole kronor as int) to öre."""
    if isinstance(value, bool) or not isinstance(value, (str, Decimal, int)):
        # bool is an int subclass and float is inexact; both are programming errors here.
        raise MoneyError(_("Enter the amount as a number, e.g. 1234,50."))
    amount = _parse_text(value) if isinstance(value, str) else Decimal(value)
    return _decimal_to_ore(amount, allow_zero)


def _parse_text(value: str) -> Decimal:
    text = _strip_currency(value.strip().lower())
    if text.startswith("-"):
        raise MoneyError(_("The amount must not be negative."))
    if _TOO_PRECISE_RE.fullmatch(text):
        # "1.500" may be a Swedish thousands separator; refusing beats guessing.
        raise MoneyError(_("Enter at most two decimals (öre)."))
    match = _SEK_RE.fullmatch(text)
    if not match:
        raise MoneyError(_("Enter the amount as a number, e.g. 1234,50."))
    whole, fraction = match.groups()
    whole = "".join(ch for ch in whole if ch.isdigit())
    return Decimal(f"{whole}.{fraction or '0'}")


def _strip_currency(text: str) -> str:
    for suffix in _CURRENCY_SUFFIXES:
        if text.endswith(suffix):
            return text.removesuffix(suffix).rstrip()
    return text


def _decimal_to_ore(amount: Decimal, allow_zero: bool) -> int:
    if not amount.is_finite():
        raise MoneyError(_("Enter the amount as a number, e.g. 1234,50."))
    if amount < 0:
        raise MoneyError(_("The amount must not be negative."))
    if amount > _MAX_KRONOR:
        raise MoneyError(_("The amount is too large; the maximum is 100 000 000 kr."))
    # Bounded above, so quantize cannot overflow the context precision; comparison is exact.
    whole_ore = amount.quantize(_ONE_CENT, rounding=ROUND_DOWN)
    if whole_ore != amount:
        raise MoneyError(_("Enter at most two decimals (öre)."))
    ore = int(whole_ore.scaleb(2))
    if ore == 0 and not allow_zero:
        raise MoneyError(_("The amount must be greater than zero."))
    return ore


def ore_to_decimal(ore: int) -> Decimal:
    return Decimal(ore).scaleb(-2)


def ore_to_str(ore: int) -> str:
    """API form: "1234.50", always two decimals, "-5.00" for negatives."""
    sign = "-" if ore < 0 else ""
    kronor, rest = divmod(abs(ore), 100)
    return f"{sign}{kronor}.{rest:02d}"


def format_sek(ore: int) -> str:
    """Swedish display form: "1 234,50 kr" with no-break spaces (never split across lines)."""
    sign = "-" if ore < 0 else ""
    kronor, rest = divmod(abs(ore), 100)
    grouped = f"{kronor:,}".replace(",", NBSP)
    return f"{sign}{grouped},{rest:02d}{NBSP}kr"



def format_amount(ore: int, *, language: str = "sv") -> str:
    """Display form in the reader's language: "1 234,50 kr" (sv) or "SEK 1,234.50" (en)."""
    if not language.startswith("en"):
        return format_sek(ore)
    sign = "-" if ore < 0 else ""
    kronor, rest = divmod(abs(ore), 100)
    return f"{sign}SEK{NBSP}{kronor:,}.{rest:02d}"
