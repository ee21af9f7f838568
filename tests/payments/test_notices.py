"""The creditor's e-mail when debtors pay: one e-mail per creditor per run listing every payment
not yet told (bounded per e-mail), each told once; a failed sending leaves them all due."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from claims.selectors import claim_balance
from claims.services import claim_payment_receive
from ekrav.money import format_sek
from payments import notices, tasks
from payments.models import IncomingPayment
from tests.conftest import another_debtor, register

pytestmark = pytest.mark.django_db


def book(claim, amount_ore: int) -> IncomingPayment:
    """A bankgiro payment booked on ``claim``, as the BgMax import books it."""
    today = timezone.localdate()
    external_id = f"test-{IncomingPayment.objects.count() + 1}"
    received = claim_payment_receive(claim=claim, amount_ore=amount_ore, paid_on=today,
                                     today=today, source="bgmax", external_id=external_id)
    return IncomingPayment.objects.create(
        source="bgmax", external_id=external_id, amount_ore=amount_ore, paid_on=today,
        reference=claim.ocr, state="booked", claim=claim, matched_by="ocr",
        surplus_ore=received.surplus_ore)


def flat(text: str) -> str:
    return text.replace("\xa0", " ")


@pytest.fixture
def claims(alice_co):
    return [register(alice_co, **another_debtor(n), invoice_number=f"F-{n}") for n in (1, 2)]


def test_one_email_per_creditor_lists_every_payment_once(alice_co, charlie_co, claims,
                                                         mailoutbox):
    first, second = claims
    book(first, 10_000)
    book(first, 5_000)
    book(second, 2_500)
    charlies = register(charlie_co, invoice_number="C-1")
    book(charlies, 7_000)

    tasks.payment_notices_task()
    assert sorted(m.to[0] for m in mailoutbox) == sorted([alice_co.report_email,
                                                          charlie_co.report_email])
    mail = next(m for m in mailoutbox if m.to == [alice_co.report_email])
    body = flat(mail.body)
    assert flat(mail.subject) == "3 betalningar mottagna: 175,00 kr"
    assert body.count(f"Ärende {first.case_number}, Gäldenär nummer 1:") == 2
    assert f"Ärende {second.case_number}, Gäldenär nummer 2: 25,00 kr" in body
    assert "100,00 kr" in body and "50,00 kr" in body and "Summa: 175,00 kr." in body
    assert f"Kvar att betala: {flat(format_sek(claim_balance(second).outstanding))}." in body
    # Charlie's e-mail tells of Charlie's case only, and alice's of hers only.
    charlie_mail = next(m for m in mailoutbox if m.to == [charlie_co.report_email])
    assert charlies.case_number in charlie_mail.subject
    assert first.case_number not in charlie_mail.body and charlies.case_number not in body

    assert not IncomingPayment.objects.filter(creditor_notified_at__isnull=True).exists()
    assert notices.payment_notices_send() == 0 and len(mailoutbox) == 2  # never twice


def test_a_single_payment_reads_as_one(alice_co, claims, mailoutbox):
    book(claims[0], 10_000)
    assert notices.payment_notices_send() == 1
    [mail] = mailoutbox
    assert flat(mail.subject) == (f"Betalning mottagen i ärende {claims[0].case_number}: "
                                  "100,00 kr")
    assert "Gäldenär nummer 1 har betalat 100,00 kr" in flat(mail.body)
    assert "Kvar att betala" in mail.body and f"/arenden/{claims[0].pk}/" in mail.body


def test_a_case_paid_in_full_says_so(alice_co, claims, mailoutbox):
    overpaid = book(claims[0], claim_balance(claims[0]).outstanding + 1_000)
    book(claims[1], 1_000)
    notices.payment_notices_send()
    body = flat(mailoutbox[0].body)
    assert overpaid.surplus_ore > 0  # beyond the interest accrued up to the payment's day
    assert f"Ärende {claims[0].case_number}" in body and "Helt betalt och avslutat." in body
    assert f"Betalade {flat(format_sek(overpaid.surplus_ore))} för mycket" in body


def test_an_email_is_bounded_and_the_rest_follows(alice_co, claims, mailoutbox):
    for amount in (1_000, 2_000, 3_000):
        book(claims[0], amount)
    assert notices.payment_notices_send(limit=2) == 2
    assert notices.payment_notices_send(limit=2) == 1
    assert notices.payment_notices_send(limit=2) == 0
    assert [flat(m.subject) for m in mailoutbox] == [
        "2 betalningar mottagna: 30,00 kr",
        f"Betalning mottagen i ärende {claims[0].case_number}: 30,00 kr"]


def test_a_failed_email_leaves_every_payment_due(alice_co, claims, mailoutbox, monkeypatch):
    book(claims[0], 1_000)
    book(claims[1], 2_000)

    def down(*args, **kwargs):
        raise ConnectionRefusedError("SMTP down")

    monkeypatch.setattr(notices, "send_mail", down)
    tasks.payment_notices_task()  # the round ends: nothing was told
    assert IncomingPayment.objects.filter(creditor_notified_at__isnull=True).count() == 2
    monkeypatch.undo()
    assert notices.payment_notices_send() == 2
    assert len(mailoutbox) == 1 and "2 betalningar mottagna" in mailoutbox[0].subject


def test_queries_do_not_grow_with_the_payments(alice_co, claims, mailoutbox):
    def queries_for(count: int) -> int:
        for n in range(count):
            book(claims[n % 2], 1_000)
        with CaptureQueriesContext(connection) as captured:
            assert notices.payment_notices_send() == count
        return len(captured)

    assert queries_for(2) == queries_for(8)


@pytest.mark.skipif(connection.vendor != "postgresql",
                    reason="row locks with SKIP LOCKED need PostgreSQL (CI)")
@pytest.mark.django_db(transaction=True)
def test_a_payment_another_worker_holds_is_left_to_it(alice_co, claims, mailoutbox):
    import threading

    from django.db import transaction

    held = book(claims[0], 1_000)
    book(claims[1], 2_000)
    locked, release = threading.Event(), threading.Event()

    def other_worker():
        try:
            with transaction.atomic():
                IncomingPayment.objects.select_for_update().get(pk=held.pk)
                locked.set()
                release.wait(timeout=30)
        finally:
            connection.close()

    thread = threading.Thread(target=other_worker)
    thread.start()
    try:
        assert locked.wait(timeout=30)
        assert notices.payment_notices_send() == 1  # the other one, not waiting for the lock
        assert claims[1].case_number in mailoutbox[0].subject
    finally:
        release.set()
        thread.join(timeout=30)
    assert notices.payment_notices_send() == 1 and claims[0].case_number in mailoutbox[1].subject
