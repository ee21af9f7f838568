"""Claim services against the database: registration, reuse of debtors, withdrawal, payments."""

from datetime import timedelta

import pytest
from django.utils import timezone, translation

from claims.models import Claim, Event, LedgerEntry, Status
from claims.selectors import balances_for, claim_balance
from claims.services import ClaimError, claim_report_direct_payment, claim_withdraw
from debtors.models import Debtor
from ekrav.identifiers import ocr_valid
from tests.conftest import register

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def today():
    return timezone.localdate()


def test_registration_books_capital_and_an_event(alice_co, alice):
    claim = register(alice_co, alice)
    assert claim.status == Status.REGISTERED
    assert claim.case_number == str(100000 + claim.pk)
    assert ocr_valid(claim.ocr, require_length_digit=True)
    [entry] = claim.ledger.all()
    assert (entry.kind, entry.amount_ore) == (LedgerEntry.Kind.CAPITAL, 123450)
    # Evidence is kept in Swedish whatever language the user works in (English here).
    assert entry.legal_basis.startswith("Faktura F-1001")
    [event] = claim.events.all()
    assert event.kind == Event.Kind.REGISTERED
    assert "F-1001" in event.text and "SEK\xa01,234.50" in event.text  # English here


def test_ocr_references_are_unique_and_valid(alice_co):
    claims = [register(alice_co, invoice_number=f"F-{i}") for i in range(30)]
    ocrs = {c.ocr for c in claims}
    assert len(ocrs) == 30
    assert all(ocr_valid(o, require_length_digit=True) for o in ocrs)


def test_the_same_debtor_is_reused_and_refreshed(alice_co):
    first = register(alice_co, invoice_number="F-1", debtor_street="Gamla vägen 1")
    second = register(alice_co, invoice_number="F-2", debtor_street="Nya vägen 2",
                      debtor_email="")
    assert first.debtor_id == second.debtor_id
    debtor = Debtor.objects.get(pk=first.debtor_id)
    assert debtor.street == "Nya vägen 2"
    assert debtor.email == "dan@example.se"  # an omitted e-mail does not erase the known one


def test_debtors_are_kept_per_creditor(alice_co, charlie_co):
    a = register(alice_co)
    c = register(charlie_co)
    assert a.debtor_id != c.debtor_id
    assert Debtor.objects.for_creditor(charlie_co).count() == 1


def test_a_duplicate_invoice_number_names_the_existing_case(alice_co):
    first = register(alice_co)
    with pytest.raises(ClaimError) as exc:
        register(alice_co)
    assert exc.value.code == "duplicate_invoice"
    assert first.case_number in exc.value.errors["invoice_number"][0]
    assert Claim.objects.count() == 1 and Debtor.objects.count() == 1


def test_another_creditor_may_use_the_same_invoice_number(alice_co, charlie_co):
    register(alice_co)
    register(charlie_co)
    assert Claim.objects.count() == 2


def test_withdraw_records_the_reason_and_closes(alice_claim, alice):
    claim_withdraw(claim=alice_claim, reason="Kunden har reklamerat", today=today(), user=alice)
    alice_claim.refresh_from_db()
    assert alice_claim.status == Status.WITHDRAWN
    event = alice_claim.events.get(kind=Event.Kind.WITHDRAWN)
    assert event.actor == alice and "reklamerat" in event.text


def test_withdraw_needs_a_reason_and_an_open_claim(alice_claim):
    with pytest.raises(ClaimError) as exc:
        claim_withdraw(claim=alice_claim, reason="  ", today=today())
    assert "reason" in exc.value.errors
    claim_withdraw(claim=alice_claim, reason="Fel", today=today())
    with pytest.raises(ClaimError) as exc:
        claim_withdraw(claim=alice_claim, reason="Igen", today=today())
    assert exc.value.code == "claim_closed"
    assert alice_claim.events.filter(kind=Event.Kind.WITHDRAWN).count() == 1


def test_partial_direct_payment_leaves_the_rest(alice_claim):
    claim_report_direct_payment(claim=alice_claim, amount_ore=23450,
                                paid_on=today() - timedelta(days=1), today=today())
    alice_claim.refresh_from_db()
    assert alice_claim.status == Status.REGISTERED
    balance = claim_balance(alice_claim)
    assert (balance.paid, balance.outstanding) == (23450, 100000)


def test_full_direct_payment_closes_the_claim(alice_claim):
    claim_report_direct_payment(claim=alice_claim, amount_ore=100000, paid_on=today(),
                                today=today())
    claim_report_direct_payment(claim=alice_claim, amount_ore=23450, paid_on=today(),
                                today=today())
    alice_claim.refresh_from_db()
    assert alice_claim.status == Status.PAID
    assert claim_balance(alice_claim).outstanding == 0
    assert alice_claim.events.filter(kind=Event.Kind.PAID).count() == 1
    with pytest.raises(ClaimError):
        claim_report_direct_payment(claim=alice_claim, amount_ore=1, paid_on=today(),
                                    today=today())


@pytest.mark.parametrize("amount,days_ago,field", [
    (123451, 1, "amount"),      # more than is owed
    (0, 1, "amount"),
    (100, -1, "paid_on"),       # in the future
    (100, 400, "paid_on"),      # before the invoice was even issued
])
def test_bad_direct_payments_are_refused_and_book_nothing(alice_claim, amount, days_ago, field):
    with pytest.raises(ClaimError) as exc:
        claim_report_direct_payment(claim=alice_claim, amount_ore=amount,
                                    paid_on=today() - timedelta(days=days_ago), today=today())
    assert field in exc.value.errors
    assert alice_claim.ledger.count() == 1 and alice_claim.events.count() == 1


def test_ledger_rows_cannot_be_edited_or_deleted(alice_claim):
    entry = alice_claim.ledger.get()
    entry.amount_ore = 1
    with pytest.raises(ValueError):
        entry.save()
    with pytest.raises(ValueError):
        entry.delete()


def test_balances_for_a_page_take_one_query(alice_co, django_assert_num_queries):
    claims = [register(alice_co, invoice_number=f"F-{i}") for i in range(5)]
    claim_report_direct_payment(claim=claims[0], amount_ore=100, paid_on=today(),
                                today=today())
    with django_assert_num_queries(1):
        balances = balances_for(claims)
    assert balances[claims[0].pk].outstanding == 123350
    assert balances[claims[4].pk].outstanding == 123450
