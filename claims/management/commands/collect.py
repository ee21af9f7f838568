"""python manage.py collect [--date YYYY-MM-DD]: run the collection tick up to a date."""

import json
from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from claims.collection import collect_until


class Command(BaseCommand):
    help = ("Run the daily collection tick for every day from the last day run up to --date "
            "(default: today). Running it twice for the same day changes nothing.")

    def add_arguments(self, parser):
        parser.add_argument("--date", help="Run up to and including this day (YYYY-MM-DD).")

    def handle(self, *args, **options):
        until = timezone.localdate()
        if options["date"]:
            try:
                until = date.fromisoformat(options["date"])
            except ValueError:
                raise CommandError("--date must be YYYY-MM-DD") from None
        results = collect_until(until=until)
        self.stdout.write(json.dumps({
            "until": until.isoformat(), "days_run": len(results),
            "steps_taken": sum(r.steps_taken for r in results),
            "claims_seen": sum(r.claims_seen for r in results),
        }))
