"""Onboard a creditor company from the command line and give it its first API key."""

import json
import sys

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone, translation

from creditors.onboarding import parse_onboarding
from creditors.services import CreditorError, api_key_create, creditor_onboard

# parse_onboarding's field -> this command's option (errors are reported by option name).
OPTIONS = {
    "organisation_number": "orgnr", "form": "form", "name": "name", "street": "street",
    "postal_code": "postal-code", "city": "city", "bankgiro": "bankgiro",
    "report_email": "email", "default_invoice_text": "invoice-text",
    "contact_name": "contact-name", "contact_personnummer": "contact-pnr",
    "contact_phone": "contact-phone", "f_tax_confirmed": "f-tax",
}


class Command(BaseCommand):
    help = (
        "Onboard a creditor (uppdragsgivare) with the same validation as the sign-up form and "
        "create its first API key. On success prints one JSON object, "
        '{"creditor_id": ..., "api_key": "ek_..."}, on stdout (the key is shown only this '
        "once). On invalid input prints {\"errors\": {option: [reason, ...]}} on stderr, "
        "writes nothing and exits with status 1. Running this command confirms that the "
        "company is approved for F-tax (F-skatt): ekrav works only for such companies. "
        "The postal address (--street, --postal-code, --city) is required: payment reports "
        "and letters need it. --contact-name and --contact-pnr go together."
    )

    def add_arguments(self, parser):
        # Nothing is required at the argparse level: every missing or bad value is reported
        # the same way, as JSON naming the option, by the sign-up form's validation.
        parser.add_argument("--orgnr", default="",
                            help="Organisationsnummer (required); for EF the owner's "
                                 "personnummer.")
        parser.add_argument("--name", default="", help="The company's name (required).")
        parser.add_argument("--form", default="", metavar="AB|HB|KB|EF",
                            help="Company form (required); EF = enskild firma (sole trader).")
        parser.add_argument("--bankgiro", default="", help="Bankgiro for payouts (required).")
        parser.add_argument("--email", default="",
                            help="E-mail for payment reports (required).")
        parser.add_argument("--street", default="", help="Street address (required).")
        parser.add_argument("--postal-code", default="", help="Postal code (required).")
        parser.add_argument("--city", default="", help="City (required).")
        parser.add_argument("--contact-name", default="", help="Contact person's name.")
        parser.add_argument("--contact-pnr", default="",
                            help="Contact person's personnummer.")
        parser.add_argument("--contact-phone", default="", help="Contact person's phone.")
        parser.add_argument("--invoice-text", default="",
                            help='Default "the invoice concerns" text for letters.')
        parser.add_argument("--key-name", default="API key",
                            help="Name of the API key, e.g. the invoicing system using it.")

    def handle(self, *args, **options):
        with translation.override("en"):
            errors, result = self._onboard(options)
        if errors:
            named = {OPTIONS.get(field, field): [str(m) for m in messages]
                     for field, messages in errors.items()}
            self.stderr.write(json.dumps({"errors": named}, ensure_ascii=False))
            sys.exit(1)
        self.stdout.write(json.dumps(result))

    def _onboard(self, options):
        data = {
            "organisation_number": options["orgnr"], "form": options["form"],
            "name": options["name"], "street": options["street"],
            "postal_code": options["postal_code"], "city": options["city"],
            "bankgiro": options["bankgiro"], "report_email": options["email"],
            "default_invoice_text": options["invoice_text"],
            "contact_name": options["contact_name"],
            "contact_personnummer": options["contact_pnr"],
            "contact_phone": options["contact_phone"],
            "f_tax_confirmed": True,  # the operator vouches for it by running the command
        }
        parsed, errors = parse_onboarding(data, today=timezone.localdate())
        if bool(data["contact_name"].strip()) != bool(data["contact_personnummer"].strip()):
            missing = "contact_personnummer" if data["contact_name"].strip() else "contact_name"
            errors.setdefault(missing, []).append(
                "Give both the contact person's name and personnummer, or neither.")
        if errors:
            return errors, None
        try:
            with transaction.atomic():
                creditor = creditor_onboard(data=parsed)
                _key, secret = api_key_create(creditor=creditor, name=options["key_name"])
        except CreditorError as exc:
            return exc.errors, None
        return None, {"creditor_id": creditor.pk, "api_key": secret}
