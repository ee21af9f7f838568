"""Delivery over real HTTP: the Kivra client against ekrav's own simulator (live_server).

A person with a digital mailbox gets the letter there, with its payment options; one without
gets it on paper; a rejection falls back to print at once; a failure is retried up to
KIVRA_MAX_ATTEMPTS times, then falls back to print. Never both channels, never twice.
"""

from datetime import date

import httpx
import pytest

from claims.collection import collect_until
from claims.registration import parse_registration
from claims.services import claim_register
from letters.kivra import KivraClient
from letters.models import Letter, PrintBatch
from letters.services import letters_deliver, letters_prepare, print_batch_close
from tests.conftest import registration_data

REGISTERED, REMINDER_DAY = date(2026, 4, 2), date(2026, 4, 7)
# Valid personnummer; the simulator's default: a mailbox when the last digit is even.
WITH_MAILBOX, WITHOUT_MAILBOX = "198112289874", "198112289833"


@pytest.fixture
def kivra(live_server, settings):
    base = live_server.url + "/sim/kivra"
    settings.KIVRA_BASE_URL = base
    settings.KIVRA_MAX_ATTEMPTS = 2
    client = KivraClient(base_url=base, client_id=settings.KIVRA_CLIENT_ID,
                         client_secret=settings.KIVRA_CLIENT_SECRET,
                         tenant_key=settings.KIVRA_TENANT_KEY, timeout=5)
    client.base = base
    return client


def control(kivra, ssn, behaviour):
    httpx.post(f"{kivra.base}/_control/recipients/{ssn}", json={"behaviour": behaviour},
               timeout=5).raise_for_status()


def inbox(kivra, ssn):
    response = httpx.get(f"{kivra.base}/_inbox/{ssn}", timeout=5)
    response.raise_for_status()
    body = response.json()
    return body if isinstance(body, list) else body.get("content", body.get("items", []))


def reminder_for(creditor, ssn, number="F-1001"):
    data = registration_data(invoice_date="2026-02-01", due_date="2026-03-01",
                             debtor_identity_number=ssn, invoice_number=number)
    registration, errors = parse_registration(data, today=REGISTERED)
    assert not errors, errors
    claim = claim_register(creditor=creditor, registration=registration, today=REGISTERED)
    collect_until(until=REMINDER_DAY)
    letters_prepare(today=REMINDER_DAY)
    return claim


def test_a_person_with_a_mailbox_gets_the_letter_there(kivra, alice_co):
    claim = reminder_for(alice_co, WITH_MAILBOX)
    assert letters_deliver(today=REMINDER_DAY, client=kivra) == 1
    letter = Letter.objects.get(claim=claim)
    assert (letter.state, letter.channel, letter.sent_on) == ("sent", "kivra", REMINDER_DAY)
    assert letter.external_id
    received = inbox(kivra, WITH_MAILBOX)
    assert len(received) == 1
    text = str(received[0])
    assert letter.sha256 in text and claim.ocr in text
    # Nothing for the printer; running again sends nothing more.
    assert print_batch_close(day=REMINDER_DAY) is None
    assert letters_deliver(today=REMINDER_DAY, client=kivra) == 0
    assert len(inbox(kivra, WITH_MAILBOX)) == 1


def test_a_person_without_a_mailbox_gets_paper(kivra, alice_co):
    claim = reminder_for(alice_co, WITHOUT_MAILBOX)
    letters_deliver(today=REMINDER_DAY, client=kivra)
    batch = print_batch_close(day=REMINDER_DAY)
    letter = Letter.objects.get(claim=claim)
    assert (letter.state, letter.channel, letter.print_batch) == ("sent", "print", batch)
    assert list(letter.attempts.values_list("channel", "outcome")) == [
        ("print", "no_mailbox")]
    assert inbox(kivra, WITHOUT_MAILBOX) == []


def test_a_rejected_letter_falls_back_to_print_at_once(kivra, alice_co):
    control(kivra, WITH_MAILBOX, "reject")
    claim = reminder_for(alice_co, WITH_MAILBOX)
    letters_deliver(today=REMINDER_DAY, client=kivra)
    letter = Letter.objects.get(claim=claim)
    assert letter.state == "to_print" and letter.digital_attempts == 1
    assert [a[1] for a in letter.attempts.values_list("channel", "outcome")] == [
        "rejected", "queued"]
    print_batch_close(day=REMINDER_DAY)
    letter.refresh_from_db()
    assert (letter.state, letter.channel) == ("sent", "print")


def test_a_failing_mailbox_is_retried_then_print(kivra, alice_co):
    control(kivra, WITH_MAILBOX, "fail")
    claim = reminder_for(alice_co, WITH_MAILBOX)
    letters_deliver(today=REMINDER_DAY, client=kivra)
    letter = Letter.objects.get(claim=claim)
    assert (letter.state, letter.digital_attempts) == ("ready", 1)  # to be retried
    letters_deliver(today=REMINDER_DAY, client=kivra)  # the second and last attempt
    letter.refresh_from_db()
    assert (letter.state, letter.digital_attempts) == ("to_print", 2)
    assert print_batch_close(day=REMINDER_DAY).letter_count == 1
    assert inbox(kivra, WITH_MAILBOX) == []


def test_a_mailbox_that_recovers_gets_the_retry(kivra, alice_co):
    control(kivra, WITH_MAILBOX, "fail")
    claim = reminder_for(alice_co, WITH_MAILBOX)
    letters_deliver(today=REMINDER_DAY, client=kivra)
    control(kivra, WITH_MAILBOX, "accept")
    letters_deliver(today=REMINDER_DAY, client=kivra)
    letter = Letter.objects.get(claim=claim)
    assert (letter.state, letter.channel) == ("sent", "kivra")
    assert not PrintBatch.objects.exists()


def test_delivery_uses_the_configured_client_by_default(kivra, alice_co):
    claim = reminder_for(alice_co, WITH_MAILBOX)
    letters_deliver(today=REMINDER_DAY)  # KivraClient.from_settings(): the live simulator
    assert Letter.objects.get(claim=claim).channel == "kivra"


def test_a_letter_left_sending_by_a_dead_worker_is_sent_once_later(kivra, alice_co):
    """A worker that died between marking a letter and recording Kivra's answer: after
    SENDING_TIMEOUT the letter is tried again; Kivra's duplicate check makes that safe."""
    from datetime import timedelta

    from django.utils import timezone

    from letters.services import SENDING_TIMEOUT

    claim = reminder_for(alice_co, WITH_MAILBOX)
    Letter.objects.filter(claim=claim).update(state="sending", sending_since=timezone.now())
    assert letters_deliver(today=REMINDER_DAY, client=kivra) == 0  # still in its worker's hands
    Letter.objects.filter(claim=claim).update(
        sending_since=timezone.now() - SENDING_TIMEOUT - timedelta(seconds=1))
    assert letters_deliver(today=REMINDER_DAY, client=kivra) == 1
    letter = Letter.objects.get(claim=claim)
    assert (letter.state, letter.channel, letter.sending_since) == ("sent", "kivra", None)
    assert len(inbox(kivra, WITH_MAILBOX)) == 1
