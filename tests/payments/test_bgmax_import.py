"""BgMax import against the database, with Bankgirot's own example file as it is: payments
matched by OCR then by other references, the rest queued; booked once, allocated costs ->
interest -> capital; a file that does not add up is refused whole."""

import json
from datetime import date
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from claims.models import Claim, LedgerEntry, Status
from claims.selectors import claim_balance
from payments.models import BgmaxImport, IncomingPayment
from payments.services import BgmaxRejected, bgmax_import, payment_assign
from tests.conftest import another_debtor, register
from tests.fixtures import BGMAX_EXAMPLE

pytestmark = pytest.mark.django_db

FIXTURE = BGMAX_EXAMPLE  # Bankgirot's own example file, as received (tests/fixtures)
TODAY = date(2026, 11, 23)


@pytest.fixture
def data():
    return FIXTURE.read_bytes()


def claim_with_ocr(creditor, ocr, n, **overrides):
    claim = register(creditor, **another_debtor(n), invoice_number=f"F-{ocr}", **overrides)
    Claim.objects.filter(pk=claim.pk).update(ocr=ocr)
    claim.refresh_from_db()
    return claim


def payments(**filters):
    return IncomingPayment.objects.filter(**filters)


def test_the_example_file_is_read_as_it_is(alice_co, data):
    summary = bgmax_import(data=data, filename=FIXTURE.name, today=TODAY)
    assert summary["file_sha256"] == BgmaxImport.objects.get().sha256
    assert (summary["deposits"], summary["payments"]) == (3, 9)
    # Nothing of alice's carries these references: every payment waits for a handler,
    # except the euro deposit's, which are never booked as SEK.
    assert summary["matched"] == 0 and summary["unmatched"] == 9
    assert payments(state="foreign").count() == 2
    assert set(payments(state="foreign").values_list("currency", flat=True)) == {"EUR"}
    assert payments(amount_ore__lt=0).get().note.startswith("Avdrag")


def test_payments_are_matched_by_ocr_then_by_other_references(alice_co, data):
    by_ocr = claim_with_ocr(alice_co, "655969", 1)  # TK20 with reference code 2
    by_extra = claim_with_ocr(alice_co, "658369", 2)  # only in a TK22 and a TK25 text
    summary = bgmax_import(data=data, filename="bg.txt", today=TODAY)
    assert summary["matched"] == 2
    first = payments(claim=by_ocr).get()
    assert (first.matched_by, first.amount_ore, first.state) == ("ocr", 100000, "booked")
    second = payments(claim=by_extra).get()
    assert (second.matched_by, second.amount_ore) == ("reference", 500000)
    assert claim_balance(by_ocr).paid == 100000


def test_one_payment_naming_two_claims_is_left_for_a_handler(alice_co, data):
    claim_with_ocr(alice_co, "657866", 1)
    claim_with_ocr(alice_co, "658765", 2)
    bgmax_import(data=data, filename="bg.txt", today=TODAY)
    payment = payments(amount_ore=140000).get()
    assert payment.state == "unmatched" and "flera ärenden" in payment.note


def test_the_same_file_twice_changes_nothing(alice_co, data):
    claim_with_ocr(alice_co, "655969", 1)
    first = bgmax_import(data=data, filename="bg.txt", today=TODAY)
    rows = LedgerEntry.objects.count(), IncomingPayment.objects.count()
    again = bgmax_import(data=data, filename="bg-copy.txt", today=TODAY)
    assert again == {**first, "already_imported": True}
    assert (LedgerEntry.objects.count(), IncomingPayment.objects.count()) == rows


def test_a_file_whose_totals_do_not_add_up_is_refused_whole(alice_co, data):
    claim_with_ocr(alice_co, "655969", 1)
    broken = data.replace(b"7000000008000000010000000900000003",
                          b"7000000009000000010000000900000003")
    with pytest.raises(BgmaxRejected) as refused:
        bgmax_import(data=broken, filename="bg.txt", today=TODAY)
    assert refused.value.reason
    assert not BgmaxImport.objects.exists() and not IncomingPayment.objects.exists()
    assert not LedgerEntry.objects.filter(kind="payment").exists()


def test_a_payment_is_allocated_costs_then_interest_then_capital(alice_co, data):
    claim = claim_with_ocr(alice_co, "655969", 1, amount="2000.00",
                           invoice_date="2026-09-01", due_date="2026-10-01")
    bgmax_import(data=data, filename="bg.txt", today=TODAY)  # 1 000,00 kr, paid 2004-05-25
    payment = claim.ledger.get(kind="payment")
    parts = dict(claim.ledger.filter(kind__in=LedgerEntry.ALLOCATIONS)
                 .values_list("kind", "amount_ore"))
    assert sum(parts.values()) == payment.amount_ore == 100000
    balance = claim_balance(claim)
    assert (balance.remaining_capital + balance.remaining_interest + balance.remaining_fees
            == balance.outstanding)
    assert min(balance.remaining_capital, balance.remaining_interest,
               balance.remaining_fees) >= 0


def test_full_payment_closes_the_claim_and_an_overpayment_is_held(alice_co, data):
    claim = claim_with_ocr(alice_co, "655969", 1, amount="400.00")
    bgmax_import(data=data, filename="bg.txt", today=TODAY)  # 1 000,00 kr for a 400 kr claim
    claim.refresh_from_db()
    assert claim.status == Status.PAID and claim.next_action_on is None
    payment = payments(claim=claim).get()
    balance = claim_balance(claim)
    assert balance.outstanding == 0 and balance.surplus == payment.surplus_ore > 0


def test_a_handler_books_an_unmatched_payment_on_a_case(alice_co, alice, data):
    claim = register(alice_co, **another_debtor(1))
    bgmax_import(data=data, filename="bg.txt", today=TODAY)
    waiting = payments(state="unmatched", amount_ore__gt=0).first()
    payment_assign(payment_id=waiting.pk, claim=claim, today=TODAY, user=alice)
    waiting.refresh_from_db()
    assert (waiting.state, waiting.matched_by, waiting.claim) == ("booked", "handler", claim)
    assert claim_balance(claim).paid == waiting.amount_ore


def test_the_command_prints_the_summary(alice_co):
    out = StringIO()
    call_command("import_bgmax", str(FIXTURE), stdout=out)
    summary = json.loads(out.getvalue())
    assert set(summary) >= {"file_sha256", "deposits", "payments", "matched", "unmatched",
                            "amount_total", "errors"}
    # The SEK deposits' totals (TK15): 1 900,00 + 8 000,00; the euro deposit is not SEK.
    assert summary["amount_total"] == "9900.00"


def test_the_command_refuses_a_broken_file_with_the_reason(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"01BGMAX\n20nonsense\n")
    with pytest.raises(CommandError, match="rejected"):
        call_command("import_bgmax", str(bad), stdout=StringIO())


def test_the_creditor_is_told_once_when_a_debtor_pays(alice_co, data, mailoutbox,
                                                       django_capture_on_commit_callbacks,
                                                       monkeypatch):
    from payments import tasks
    from payments.notices import payment_notices_send

    queued = []
    monkeypatch.setattr(tasks.payment_notices_task, "delay", lambda: queued.append(1))
    claim = claim_with_ocr(alice_co, "655969", 1)
    with django_capture_on_commit_callbacks(execute=True):
        bgmax_import(data=data, filename="bg.txt", today=TODAY)
    assert queued == [1] and mailoutbox == []  # the worker sends it, after the commit
    tasks.payment_notices_task()  # as the worker runs it
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == [alice_co.report_email]
    assert claim.case_number in mail.subject and "1\xa0000,00\xa0kr" in mail.subject
    assert "Kvar att betala" in mail.body and f"/arenden/{claim.pk}/" in mail.body
    assert payment_notices_send() == 0 and len(mailoutbox) == 1  # never twice


def test_a_notice_that_failed_goes_out_on_the_next_run(alice_co, data, mailoutbox,
                                                       monkeypatch):
    from payments import notices

    claim_with_ocr(alice_co, "655969", 1)
    bgmax_import(data=data, filename="bg.txt", today=TODAY)

    def down(*args, **kwargs):
        raise ConnectionRefusedError("SMTP down")

    monkeypatch.setattr(notices, "send_mail", down)
    assert notices.payment_notices_send() == 0
    monkeypatch.undo()
    assert notices.payment_notices_send() == 1 and len(mailoutbox) == 1
