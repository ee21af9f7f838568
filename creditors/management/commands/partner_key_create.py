"""Create an integration partner's API key (issue 7); the secret is printed once."""

import json

from django.core.management.base import BaseCommand, CommandError

from creditors.models import Partner
from creditors.partners import partner_key_create


class Command(BaseCommand):
    help = (
        "Create an API key for an integration partner (created by staff in the admin under "
        "Integration partners) and print {\"partner_id\": ..., \"key_id\": ..., "
        "\"api_key\": \"ekp_...\"} on stdout: the secret is shown only this once, only its "
        "digest is stored. Revoke a key in the admin (the partner's page, \"revoked at\")."
    )

    def add_arguments(self, parser):
        parser.add_argument("--partner", required=True,
                            help="The partner's id, or its exact name.")
        parser.add_argument("--name", default="API key",
                            help="The key's name, e.g. the system that will use it.")

    def handle(self, *args, **options):
        wanted = options["partner"].strip()
        partners = Partner.objects.filter(is_active=True)
        partner = (partners.filter(pk=int(wanted)).first() if wanted.isdigit()
                   else partners.filter(name=wanted).first())
        if partner is None:
            raise CommandError(f"No active partner {wanted!r}: create it in the admin first.")
        key, secret = partner_key_create(partner=partner, name=options["name"])
        self.stdout.write(json.dumps({"partner_id": partner.pk, "key_id": key.pk,
                                      "api_key": secret}))
