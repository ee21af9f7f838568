"""What a creditor's sign-up must contain, checked the same way for the form and the command.

Pure: no ORM, no clock. Returns ``(CreditorInput, {})`` or ``(None, {field: [reason]})``.
The one rule that needs the database (organisationsnummer already a customer) is in the service.
"""

from dataclasses import dataclass
from datetime import date
from typing import Any, Mapping

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from ekrav.identifiers import (
    COMPANY_FORMS,
    IdentifierError,
    normalize_bankgiro,
    normalize_company_identity,
    normalize_personnummer,
    normalize_phone,
    normalize_postal_code,
)

REQUIRED = ("organisation_number", "form", "name", "street", "postal_code", "city",
            "bankgiro", "report_email")


@dataclass(frozen=True)
class CreditorInput:
    organisation_number: str
    form: str
    name: str
    street: str
    postal_code: str
    city: str
    bankgiro: str
    report_email: str
    f_tax_confirmed: bool
    default_invoice_text: str = ""
    contact_name: str = ""
    contact_personnummer: str = ""
    contact_phone: str = ""


def parse_onboarding(data: Mapping[str, Any], *, today: date):
    errors: dict[str, list[str]] = {}
    out: dict[str, Any] = {}

    def text(field):
        value = data.get(field)
        return "" if value is None else str(value).strip()

    def fail(field, message):
        errors.setdefault(field, []).append(str(message))

    def convert(field, fn):
        if text(field):
            try:
                out[field] = fn(text(field))
            except (IdentifierError, ValueError) as exc:
                fail(field, exc)

    for field in REQUIRED:
        if not text(field):
            fail(field, _("This field is required."))
    form = text("form").upper()
    if form and form not in COMPANY_FORMS:
        fail("form", _("ekrav works for AB, HB, KB and sole traders (enskild firma)."))
    if form in COMPANY_FORMS:
        convert("organisation_number",
                lambda v: normalize_company_identity(v, form, today=today))
    convert("postal_code", normalize_postal_code)
    convert("bankgiro", normalize_bankgiro)
    convert("contact_personnummer", lambda v: normalize_personnummer(v, today=today))
    convert("contact_phone", normalize_phone)
    for field in ("report_email",):
        if text(field):
            try:
                validate_email(text(field))
            except ValidationError:
                fail(field, _("Enter a valid e-mail address."))
    f_tax = data.get("f_tax_confirmed")
    if f_tax not in (True, "on", "true", "1", 1):
        fail("f_tax_confirmed", _("ekrav only works for companies approved for F-tax "
                                  "(F-skatt)."))
    for field, limit in (("name", 200), ("street", 200), ("city", 100),
                         ("default_invoice_text", 200), ("contact_name", 200)):
        if len(text(field)) > limit:
            fail(field, _("At most %(n)d characters.") % {"n": limit})
    if errors:
        return None, errors
    return CreditorInput(
        organisation_number=out["organisation_number"], form=form, name=text("name"),
        street=text("street"), postal_code=out["postal_code"], city=text("city"),
        bankgiro=out["bankgiro"], report_email=text("report_email").lower(),
        f_tax_confirmed=True, default_invoice_text=text("default_invoice_text"),
        contact_name=text("contact_name"),
        contact_personnummer=out.get("contact_personnummer", ""),
        contact_phone=out.get("contact_phone", ""),
    ), {}
