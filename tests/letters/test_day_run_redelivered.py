"""The daily run delivered again after its worker died between the tick and the letters
(tests/faults kills one there): the day's tick is done, its letters and print batch are not,
and the second run must make them rather than find "nothing to run"."""

import pytest

from claims.collection import collect_until
from letters.models import Letter, PrintBatch
from letters.services import collection_day_run
from tests.letters.test_services import REMINDER_DAY, register_on

pytestmark = pytest.mark.django_db


def test_a_run_whose_tick_was_done_still_makes_the_days_letters(alice_co, charlie_co):
    claim = register_on(alice_co)
    collect_until(until=REMINDER_DAY)  # the first delivery got this far
    assert not Letter.objects.exists()

    days = collection_day_run(until=REMINDER_DAY)

    letter = Letter.objects.get()
    assert (letter.claim, letter.state, letter.sent_on) == (claim, "sent", REMINDER_DAY)
    assert PrintBatch.objects.get().day == REMINDER_DAY
    assert days == [{"day": "2026-04-07", "steps": 0, "prepared": 1, "sent": 0, "printed": 1}]
    # A third time: the day is finished, nothing changes and nothing is reported.
    assert collection_day_run(until=REMINDER_DAY) == []
    assert Letter.objects.count() == 1 and PrintBatch.objects.count() == 1
    assert not Letter.objects.filter(claim__creditor=charlie_co).exists()
