"""python manage.py import_bgmax FILE: import a Bankgirot BgMax file of incoming payments."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from payments.services import BgmaxRejected, bgmax_import


class Command(BaseCommand):
    help = ("Import a BgMax file: payments are matched by OCR or reference and booked, the rest "
            "queued for case handlers. Prints a JSON summary. The same file twice changes "
            "nothing; a file whose totals do not add up is rejected whole.")

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)

    def handle(self, *args, file: Path, **options):
        try:
            data = file.read_bytes()
        except OSError as exc:
            raise CommandError(f"cannot read {file}: {exc.strerror}") from None
        try:
            summary = bgmax_import(data=data, filename=file.name, today=timezone.localdate())
        except BgmaxRejected as exc:
            self.stdout.write(json.dumps({"file": file.name, "rejected": True,
                                          "errors": [exc.message]}))
            raise CommandError(f"{file.name} rejected: {exc.message}") from None
        self.stdout.write(json.dumps(summary))
