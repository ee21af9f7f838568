"""What a claim registration must contain, checked the same way for the form, CSV and API.

Pure: no ORM, no clock. Input is a flat mapping of strings (or already typed values); output is
either a ``Registration`` or a dict ``{field: [reason, ...]}`` naming every bad field at once.
Rules that need the database (an invoice number already registered) live in the service.
"""

from dataclasses import dataclass
from datetime import date
from typing import Any, Mapping

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from ekrav.identifiers import (
    IdentifierError,
    normalize_debtor_identity,
    normalize_phone,
    normalize_postal_code,
)
from ekrav.money import MoneyError, parse_sek

FIELDS = (
    "debtor_kind", "debtor_identity_number", "debtor_name", "debtor_street",
    "debtor_postal_code", "debtor_city", "debtor_country", "debtor_email", "debtor_phone",
    "invoice_number", "invoice_date", "due_date", "amount", "description",
    "reminder_fee_agreed",
)
REQUIRED = (
    "debtor_kind", "debtor_identity_number", "debtor_name", "debtor_street",
    "debtor_postal_code", "debtor_city", "invoice_number", "invoice_date", "due_date",
    "amount", "description",
)
SWEDEN = {"", "se", "swe", "sverige", "sweden"}
TRUE = {"1", "true", "ja", "j", "yes", "y", "x", "on"}
FALSE = {"", "0", "false", "nej", "n", "no", "off"}
MAX_LENGTHS = {"debtor_name": 200, "debtor_street": 200, "debtor_city": 100,
               "invoice_number": 50, "description": 200}


@dataclass(frozen=True)
class DebtorInput:
    kind: str
    identity_number: str
    name: str
    street: str
    postal_code: str
    city: str
    email: str = ""
    phone: str = ""


@dataclass(frozen=True)
class InvoiceInput:
    invoice_number: str
    invoice_date: date
    due_date: date
    amount_ore: int
    description: str
    reminder_fee_agreed: bool
    # From an e-invoice (claims.peppol): the OCR and bankgiro the creditor's invoice carried.
    payment_reference: str = ""
    payee_bankgiro: str = ""


@dataclass(frozen=True)
class Registration:
    debtor: DebtorInput
    invoice: InvoiceInput


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def parse_date(value: Any) -> date:
    if isinstance(value, date):
        return value
    text = _text(value)
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(_("Enter a date as YYYY-MM-DD.")) from None


def parse_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = _text(value).lower()
    if text in TRUE:
        return True
    if text in FALSE:
        return False
    raise ValueError(_("Answer yes or no."))


def parse_registration(data: Mapping[str, Any], *, today: date):
    """Return ``(Registration, {})`` or ``(None, errors)``."""
    errors: dict[str, list[str]] = {}
    out: dict[str, Any] = {}

    def fail(field, message):
        errors.setdefault(field, []).append(str(message))

    for field in REQUIRED:
        value = data.get(field)
        if value is None or (not isinstance(value, (bool, date)) and _text(value) == ""):
            fail(field, _("This field is required."))
    for field, limit in MAX_LENGTHS.items():
        if len(_text(data.get(field))) > limit:
            fail(field, _("At most %(n)d characters.") % {"n": limit})

    kind = _text(data.get("debtor_kind")).lower()
    if kind and kind not in ("person", "company"):
        fail("debtor_kind", _("Choose person or company."))
    if _text(data.get("debtor_country")).lower() not in SWEDEN:
        fail("debtor_country", _("Debtors abroad are not handled (no foreign cases): the "
                                 "address must be in Sweden."))

    _convert(data, "debtor_identity_number", errors, out,
             lambda v: normalize_debtor_identity(v, kind, today=today) if kind in (
                 "person", "company") else v)
    _convert(data, "debtor_postal_code", errors, out, normalize_postal_code)
    _convert(data, "debtor_phone", errors, out, normalize_phone, optional=True)
    _convert(data, "debtor_email", errors, out, _email, optional=True)
    _convert(data, "invoice_date", errors, out, parse_date)
    _convert(data, "due_date", errors, out, parse_date)
    _convert(data, "amount", errors, out, parse_sek)
    _convert(data, "reminder_fee_agreed", errors, out, parse_bool, optional=True)

    invoice_date, due_date = out.get("invoice_date"), out.get("due_date")
    if invoice_date and invoice_date > today:
        fail("invoice_date", _("The invoice date cannot be in the future."))
    if due_date and due_date >= today:
        fail("due_date", _("The due date must be before today: only overdue invoices can be "
                           "registered."))
    if invoice_date and due_date and due_date < invoice_date:
        fail("due_date", _("The due date cannot be before the invoice date."))
    if errors:
        return None, errors

    debtor = DebtorInput(
        kind=kind, identity_number=out["debtor_identity_number"],
        name=_text(data["debtor_name"]), street=_text(data["debtor_street"]),
        postal_code=out["debtor_postal_code"], city=_text(data["debtor_city"]),
        email=out.get("debtor_email") or "", phone=out.get("debtor_phone") or "",
    )
    invoice = InvoiceInput(
        invoice_number=_text(data["invoice_number"]), invoice_date=invoice_date,
        due_date=due_date, amount_ore=out["amount"], description=_text(data["description"]),
        reminder_fee_agreed=bool(out.get("reminder_fee_agreed", False)),
    )
    return Registration(debtor=debtor, invoice=invoice), {}


def _email(value: str) -> str:
    if len(value) > 254:  # RFC 5321's limit, and the column's
        raise ValueError(_("At most %(n)d characters.") % {"n": 254})
    try:
        validate_email(value)
    except ValidationError:
        raise ValueError(_("Enter a valid e-mail address.")) from None
    return value.lower()


def _convert(data, field, errors, out, convert, optional=False):
    """Run one converter, collecting its message instead of stopping at the first error."""
    value = data.get(field)
    if value is None or (isinstance(value, str) and value.strip() == ""):
        return
    try:
        out[field] = convert(value.strip() if isinstance(value, str) else value)
    except (IdentifierError, MoneyError, ValueError) as exc:
        if field not in errors:
            errors[field] = [str(exc)]
