"""Form fields for Swedish identifiers and SEK amounts.

Each field cleans to the canonical stored form (see ``ekrav.identifiers`` and ``ekrav.money``)
and shows stored values in the human form when a form is rendered with initial data.
"""

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ekrav import identifiers
from ekrav.money import MAX_ORE, MoneyError, format_sek, ore_to_str, parse_sek


class _IdentifierField(forms.CharField):
    """CharField that normalizes through ``normalize`` and displays through ``display``."""

    def normalize(self, value: str) -> str:
        raise NotImplementedError

    def display(self, value: str) -> str:
        return value

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return value
        try:
            return self.normalize(value)
        except identifiers.IdentifierError as exc:
            raise ValidationError(exc.message, code="invalid") from exc

    def prepare_value(self, value):
        # Only already-normalized values are reformatted; raw user input is echoed as typed.
        try:
            return self.display(value)
        except (TypeError, ValueError):
            return value


class PersonnummerField(_IdentifierField):
    """Cleans to 12 digits YYYYMMDDNNNC; samordningsnummer accepted."""

    def normalize(self, value):
        return identifiers.normalize_personnummer(value, today=timezone.localdate())

    def display(self, value):
        return identifiers.format_personnummer(value)


class OrganisationsnummerField(_IdentifierField):
    """Cleans to 10 digits."""

    def normalize(self, value):
        return identifiers.normalize_organisationsnummer(value)

    def display(self, value):
        return identifiers.format_organisationsnummer(value)


class BankgiroField(_IdentifierField):
    """Cleans to 7 or 8 digits."""

    def normalize(self, value):
        return identifiers.normalize_bankgiro(value)

    def display(self, value):
        return identifiers.format_bankgiro(value)


class PostalCodeField(_IdentifierField):
    """Cleans to 5 digits."""

    def normalize(self, value):
        return identifiers.normalize_postal_code(value)

    def display(self, value):
        return identifiers.format_postal_code(value)


class PhoneField(_IdentifierField):
    """Cleans to E.164 (+46...); pass required=False where the phone is optional."""

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}))
        super().__init__(**kwargs)

    def normalize(self, value):
        return identifiers.normalize_phone(value)


class SekAmountField(forms.CharField):
    """Text input in kronor ("1 234,50"); cleans to int öre, or None when empty."""

    def __init__(self, *, min_ore: int = 1, max_ore: int = MAX_ORE, **kwargs):
        self.min_ore = min_ore
        self.max_ore = max_ore
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "decimal"}))
        super().__init__(**kwargs)

    def to_python(self, value):
        if isinstance(value, int) and not isinstance(value, bool):
            return value  # already öre (initial data); re-parsing would read it as kronor
        value = super().to_python(value)
        if value in self.empty_values:
            return None
        try:
            ore = parse_sek(value, allow_zero=True)
        except MoneyError as exc:
            raise ValidationError(exc.message, code="invalid") from exc
        return self._check_bounds(ore)

    def _check_bounds(self, ore: int) -> int:
        if ore < self.min_ore:
            message = (_("The amount must be greater than zero.") if self.min_ore == 1
                       else _("The amount must be at least %(minimum)s."))
            raise ValidationError(message, code="min_value",
                                  params={"minimum": format_sek(self.min_ore)})
        if ore > self.max_ore:
            raise ValidationError(_("The amount must be at most %(maximum)s."),
                                  code="max_value", params={"maximum": format_sek(self.max_ore)})
        return ore

    def prepare_value(self, value):
        if isinstance(value, int) and not isinstance(value, bool):
            return ore_to_str(value).replace(".", ",")
        return value
