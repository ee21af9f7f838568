"""python manage.py collect [--date YYYY-MM-DD]: run the collection up to a date.

Here, in letters, because it runs the whole daily run: the tick (claims), then each day's
letters and print batch (letters). A higher room may call a lower one, never the reverse.
"""

import json
from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from letters.services import collection_day_run


class Command(BaseCommand):
    help = ("Run the daily collection for every day from the last day run up to --date "
            "(default: today): the tick, then that day's letters (rendered, sent to the digital "
            "mailbox or to the day's print batch). Running it twice for a day changes nothing.")

    def add_arguments(self, parser):
        parser.add_argument("--date", help="Run up to and including this day (YYYY-MM-DD).")

    def handle(self, *args, **options):
        until = timezone.localdate()
        if options["date"]:
            try:
                until = date.fromisoformat(options["date"])
            except ValueError:
                raise CommandError("--date must be YYYY-MM-DD") from None
        days = collection_day_run(until=until)
        self.stdout.write(json.dumps({
            "until": until.isoformat(), "days_run": len(days),
            "steps_taken": sum(d["steps"] for d in days),
            "letters_prepared": sum(d["prepared"] for d in days),
            "letters_sent_digitally": sum(d["sent"] for d in days),
            "letters_printed": sum(d["printed"] for d in days),
        }))
