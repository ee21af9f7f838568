"""Claim services against the database: registration (one, and many at once as the CSV import
does), reuse of debtors, withdrawal, payments. Charlie must see nothing of alice's.

Invoices of one debtor join one case until its collection demand (tests/claims/
test_one_case_per_debtor.py); tests here about separate claims use ``another_debtor``."""

import re
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone, translation

from claims import services
from claims.interest import CapitalChange, interest_ore
from claims.models import Claim, Event, Invoice, LedgerEntry, Status
from claims.registration import parse_registration
from claims.selectors import balances_for, claim_balance, claim_statement, reference_rates
from claims.services import (
    ClaimError,
    Registered,
    claim_register_many,
    claim_report_direct_payment,
    claim_withdraw,
    invoice_register,
)
from debtors.models import Debtor
from ekrav.identifiers import ocr_valid
from tests.conftest import another_debtor, register, registration_data

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
    claims = [register(alice_co, invoice_number=f"F-{i}", **another_debtor(i + 1))
              for i in range(30)]
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


def interest_to(day, capital=123450):
    """Dröjsmålsränta on the default invoice (due ten days ago) up to ``day``, by the pure
    interest module: what a payment on ``day`` books."""
    due = today() - timedelta(days=10)
    return interest_ore(start=due + timedelta(days=1), end=day,
                        capital=[CapitalChange(due + timedelta(days=1), capital)],
                        rates=reference_rates())


def test_partial_direct_payment_leaves_the_rest_and_books_interest_to_its_day(alice_claim):
    yesterday = today() - timedelta(days=1)
    claim_report_direct_payment(claim=alice_claim, amount_ore=23450, paid_on=yesterday,
                                today=today())
    alice_claim.refresh_from_db()
    assert alice_claim.status == Status.REGISTERED
    interest = alice_claim.ledger.get(kind=LedgerEntry.Kind.INTEREST)
    assert interest_to(yesterday) > 0  # nine days at 10 % on 1 234,50 kr
    assert (interest.amount_ore, interest.booked_on, interest.key) == (
        interest_to(yesterday), yesterday, f"interest:{yesterday.isoformat()}")
    assert "räntelagen (1975:635)" in interest.legal_basis
    assert interest.event == alice_claim.events.get(kind=Event.Kind.DIRECT_PAYMENT)
    balance = claim_balance(alice_claim)
    assert (balance.paid, balance.interest) == (23450, interest_to(yesterday))
    assert balance.outstanding == 100000 + interest_to(yesterday)


def test_full_direct_payment_closes_the_claim(alice_claim):
    claim_report_direct_payment(claim=alice_claim, amount_ore=100000, paid_on=today(),
                                today=today())
    claim_report_direct_payment(claim=alice_claim, amount_ore=23450 + interest_to(today()),
                                paid_on=today(), today=today())
    alice_claim.refresh_from_db()
    assert alice_claim.status == Status.PAID
    assert claim_balance(alice_claim).outstanding == 0
    # Both payments on one day: one interest row for the day, booked with the first.
    [interest] = alice_claim.ledger.filter(kind=LedgerEntry.Kind.INTEREST)
    assert interest.amount_ore == interest_to(today())
    assert alice_claim.events.filter(kind=Event.Kind.PAID).count() == 1
    with pytest.raises(ClaimError):
        claim_report_direct_payment(claim=alice_claim, amount_ore=1, paid_on=today(),
                                    today=today())


def test_paying_the_capital_alone_leaves_the_interest_owed(alice_claim):
    claim_report_direct_payment(claim=alice_claim, amount_ore=123450, paid_on=today(),
                                today=today())
    alice_claim.refresh_from_db()
    assert alice_claim.status == Status.REGISTERED
    owed, _problem = claim_statement(alice_claim, as_of=today())
    # Interest first (after costs): the capital payment left part of the capital unpaid.
    assert owed.total_owed_ore == interest_to(today()) > 0
    assert claim_balance(alice_claim).outstanding == interest_to(today())


def test_a_payment_dated_before_a_later_one_counts_both(alice_claim):
    """Reported out of order: what is owed counts every payment booked, whatever its date."""
    yesterday = today() - timedelta(days=1)
    claim_report_direct_payment(claim=alice_claim, amount_ore=100000, paid_on=today(),
                                today=today())
    # As of yesterday alone 1 234,50 kr and interest were owed; with today's 1 000 kr, not.
    with pytest.raises(ClaimError) as exc:
        claim_report_direct_payment(claim=alice_claim, amount_ore=100000, paid_on=yesterday,
                                    today=today())
    assert "amount" in exc.value.errors
    claim_report_direct_payment(claim=alice_claim, amount_ore=20000, paid_on=yesterday,
                                today=today())
    alice_claim.refresh_from_db()
    assert alice_claim.status == Status.REGISTERED
    # Yesterday's interest is less than the interest to today, booked first: nothing more.
    assert alice_claim.ledger.filter(kind=LedgerEntry.Kind.INTEREST).count() == 1


def test_interest_switched_off_books_none_and_is_not_owed(alice_claim):
    Claim.objects.filter(pk=alice_claim.pk).update(interest_enabled=False)
    claim_report_direct_payment(claim=alice_claim, amount_ore=123450, paid_on=today(),
                                today=today())
    alice_claim.refresh_from_db()
    assert alice_claim.status == Status.PAID
    assert not alice_claim.ledger.filter(kind=LedgerEntry.Kind.INTEREST).exists()


@pytest.mark.parametrize("amount,days_ago,field", [
    (123450 + 1, 1, "amount"),  # more than is owed (plus the interest, below)
    (0, 1, "amount"),
    (100, -1, "paid_on"),       # in the future
    (100, 400, "paid_on"),      # before the invoice was even issued
])
def test_bad_direct_payments_are_refused_and_book_nothing(alice_claim, amount, days_ago, field):
    paid_on = today() - timedelta(days=days_ago)
    if field == "amount" and amount:
        amount += interest_to(paid_on)
    with pytest.raises(ClaimError) as exc:
        claim_report_direct_payment(claim=alice_claim, amount_ore=amount, paid_on=paid_on,
                                    today=today())
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
    claims = [register(alice_co, invoice_number=f"F-{i}", **another_debtor(i + 1))
              for i in range(5)]
    claim_report_direct_payment(claim=claims[0], amount_ore=100, paid_on=today(),
                                today=today())
    with django_assert_num_queries(1):
        balances = balances_for(claims)
    assert balances[claims[0].pk].outstanding == 123350 + interest_to(today())
    assert balances[claims[4].pk].outstanding == 123450


# --- many at once (claim_register_many, the CSV import's path) --------------------------------


def registration(**overrides):
    parsed, errors = parse_registration(registration_data(**overrides), today=today())
    assert not errors, errors
    return parsed


def batch():
    """Reuse, refresh, refusal and joining in one list; F-0 and debtor Dan exist before it, so
    Dan's invoices join F-0's case, and Per's second invoice joins the case his first opens."""
    p2 = {"debtor_identity_number": "19900101-0017", "debtor_name": "Per Två"}
    return [
        registration(invoice_number="F-1", debtor_street="Nya vägen 2", debtor_email=""),
        registration(invoice_number="F-2", debtor_email="per@example.se",
                     debtor_phone="070-765 43 21", **p2),
        registration(invoice_number="F-0", debtor_street="Fel väg 9"),  # registered before
        registration(invoice_number="F-3", debtor_kind="company", debtor_name="Bygg AB",
                     debtor_identity_number="556677-8899", debtor_email=""),
        registration(invoice_number="F-4", debtor_street="Tredje 3", debtor_email="",
                     debtor_phone="", **p2),
        registration(invoice_number="F-2", debtor_name="Dubbel"),  # twice in one list
        registration(invoice_number="F-5", debtor_street="Sista gatan 5", debtor_email=""),
    ]


def first_invoice(claim):
    return claim.invoices.order_by("id").first().invoice_number


def outcome(results):
    """Each result's invoice number and whether it opened or joined a case, or its errors with
    a case number named by the case's first invoice (PostgreSQL's sequences do not roll back,
    so the numbers differ per run)."""
    cases = {r.claim.case_number: f"<case of {first_invoice(r.claim)}>"
             for r in results if isinstance(r, Registered)}

    def named(message):
        return re.sub(r"\d+", lambda digits: cases.get(digits.group(), digits.group()), message)

    return [{field: [named(m) for m in messages] for field, messages in r.errors.items()}
            if isinstance(r, ClaimError) else
            (r.invoice.invoice_number, "joined" if r.joined else "opened", first_invoice(r.claim))
            for r in results]


def snapshot(creditor):
    """Everything a registration writes, without the keys the database draws: per case, its
    invoices in the order registered, each with its event and capital ledger row."""
    debtors = sorted(Debtor.objects.for_creditor(creditor).values_list(
        "identity_number", "kind", "name", "street", "postal_code", "city", "email", "phone"))
    claims = []
    for claim in (Claim.objects.for_creditor(creditor).select_related("debtor").order_by("id")
                  .prefetch_related("invoices", "events", "ledger__event")):
        assert claim.case_number == str(100000 + claim.pk)
        assert ocr_valid(claim.ocr, require_length_digit=True)
        entries = {entry.key: entry for entry in claim.ledger.all()}
        invoices = sorted(claim.invoices.all(), key=lambda invoice: invoice.pk)
        assert len(entries) == len(invoices) == claim.events.count()
        rows = []
        for invoice in invoices:
            entry = entries[f"capital:invoice:{invoice.pk}"]
            event = entry.event
            rows.append((
                invoice.invoice_number, invoice.invoice_date, invoice.due_date,
                invoice.amount_ore, invoice.description, invoice.reminder_fee_agreed,
                event.kind, event.occurred_on, event.actor_id, event.data, entry.kind,
                entry.amount_ore, entry.booked_on, entry.legal_basis))
        claims.append((claim.debtor.identity_number, claim.status, claim.source,
                       claim.registered_on, claim.created_by_id, rows))
    return debtors, claims


def register_one_by_one(creditor, user, registrations):
    results = []
    for one in registrations:
        try:
            results.append(invoice_register(creditor=creditor, registration=one, today=today(),
                                            user=user, source=Claim.Source.CSV))
        except ClaimError as exc:
            results.append(exc)
    return results


def register_many(creditor, user, registrations):
    return claim_register_many(creditor=creditor, registrations=registrations, today=today(),
                               user=user, source=Claim.Source.CSV)


@pytest.mark.parametrize("chunk", [500, 2])  # 2: a debtor and a number come back a chunk later
def test_many_writes_what_one_at_a_time_writes(alice_co, alice, charlie_co, monkeypatch, chunk):
    register(alice_co, invoice_number="F-0", debtor_street="Gamla vägen 1")
    with transaction.atomic():
        expected_results = outcome(register_one_by_one(alice_co, alice, batch()))
        expected = snapshot(alice_co)
        transaction.set_rollback(True)
    monkeypatch.setattr(services, "BULK_CHUNK", chunk)

    results = register_many(alice_co, alice, batch())

    assert outcome(results) == expected_results
    assert [type(r) for r in results] == [Registered, Registered, ClaimError, Registered,
                                          Registered, ClaimError, Registered]
    assert [r[1:] for r in outcome(results) if isinstance(r, tuple)] == [
        ("joined", "F-0"), ("opened", "F-2"), ("opened", "F-3"), ("joined", "F-2"),
        ("joined", "F-0")]
    assert snapshot(alice_co) == expected
    debtors, claims = expected
    assert len(debtors) == 3
    assert [[row[0] for row in rows] for *_claim, rows in claims] == [
        ["F-0", "F-1", "F-5"], ["F-2", "F-4"], ["F-3"]]
    assert [[row[6] for row in rows] for *_claim, rows in claims] == [
        ["registered", "invoice_added", "invoice_added"], ["registered", "invoice_added"],
        ["registered"]]
    assert results[5].errors["invoice_number"] == [
        f"Invoice F-2 is already registered in case {results[1].claim.case_number}."]
    assert snapshot(charlie_co) == ([], [])  # charlie sees nothing of alice's


def test_the_debtor_is_reused_and_refreshed_not_by_a_refused_row(alice_co):
    first = register(alice_co, invoice_number="F-0", debtor_street="Gamla vägen 1")
    results = register_many(alice_co, None, batch())
    dan = Debtor.objects.get(pk=first.debtor_id)
    assert {r.claim.debtor_id for r in (results[0], results[6])} == {dan.pk}
    # The latest created row wins; F-0's refused row ("Fel väg 9") changes nothing, and the
    # e-mail no row of the list gives is kept.
    assert (dan.street, dan.email) == ("Sista gatan 5", "dan@example.se")
    per = Debtor.objects.get(identity_number="199001010017")
    assert (per.name, per.street, per.email, per.phone) == (
        "Per Två", "Tredje 3", "per@example.se", "+46707654321")  # omitted, so kept


def test_a_number_registered_before_is_refused_alone(alice_co, bob):
    before = register(alice_co, bob, invoice_number="F-2")
    results = register_many(alice_co, None, [registration(invoice_number=n)
                                             for n in ("F-1", "F-2", "F-3")])
    refused = results[1]
    assert refused.code == "duplicate_invoice"
    assert refused.errors == {"invoice_number": [
        f"Invoice F-2 is already registered in case {before.case_number}."]}
    assert [r.invoice.invoice_number for r in (results[0], results[2])] == ["F-1", "F-3"]
    # Dan's open case takes them both.
    assert {r.claim for r in (results[0], results[2])} == {before}
    assert Claim.objects.for_creditor(alice_co).get() == before
    assert Invoice.objects.filter(claim=before).count() == 3


def test_a_number_registered_meanwhile_falls_back_to_one_at_a_time(alice_co, bob, monkeypatch):
    meanwhile = register(alice_co, bob, invoice_number="F-2")
    real_cases, one_by_one = services.registered_cases, []

    def not_yet_committed(creditor, numbers):
        # The chunk's check ran before the other registration committed; the insert did not.
        monkeypatch.setattr(services, "registered_cases", real_cases)
        return {}

    def spy(**arguments):
        one_by_one.append(arguments["registration"].invoice.invoice_number)
        return real_register(**arguments)

    real_register = services.invoice_register
    monkeypatch.setattr(services, "registered_cases", not_yet_committed)
    monkeypatch.setattr(services, "invoice_register", spy)
    results = register_many(alice_co, None, [registration(invoice_number=n)
                                             for n in ("F-1", "F-2", "F-3")])
    assert one_by_one == ["F-1", "F-2", "F-3"]
    # F-1 and F-3 join the case of F-2, registered meanwhile (named so by outcome()).
    assert outcome(results) == [("F-1", "joined", "F-2"), {"invoice_number": [
        "Invoice F-2 is already registered in case <case of F-2>."]},
        ("F-3", "joined", "F-2")]
    assert Claim.objects.for_creditor(alice_co).get() == meanwhile
    assert Invoice.objects.filter(creditor=alice_co).count() == 3
    assert Debtor.objects.for_creditor(alice_co).count() == 1


def test_an_ocr_collision_in_a_chunk_draws_again(alice_co, alice_claim, monkeypatch):
    draws = iter([alice_claim.ocr])
    real = services._new_ocr
    monkeypatch.setattr(services, "_new_ocr", lambda: next(draws, None) or real())
    results = register_many(alice_co, None, [registration(invoice_number=n, **another_debtor(i))
                                             for i, n in enumerate(("F-1", "F-2"), 1)])
    assert outcome(results) == [("F-1", "opened", "F-1"), ("F-2", "opened", "F-2")]
    assert len({c.ocr for c in Claim.objects.all()}) == 3


def test_a_failure_in_a_chunk_creates_nothing(alice_co, alice_claim, monkeypatch):
    def bug(*args, **kwargs):
        raise RuntimeError("a bug, not a rule")

    monkeypatch.setattr(services, "_capital_entry", bug)
    with pytest.raises(RuntimeError):
        register_many(alice_co, None, [registration(invoice_number="F-1",
                                                    debtor_street="Ny väg 1")])
    assert Claim.objects.count() == 1 and Invoice.objects.count() == 1
    assert Debtor.objects.get().street == "Lillgatan 2"


def test_another_creditors_numbers_and_debtors_stay_his(alice_co, charlie_co):
    charlies = register(charlie_co, invoice_number="F-1", debtor_street="Charlies väg 1")
    [registered] = register_many(alice_co, None, [registration(invoice_number="F-1")])
    # The same identity number with another creditor is another debtor: no joining.
    assert not registered.joined and registered.claim.debtor_id != charlies.debtor_id
    assert Debtor.objects.get(pk=charlies.debtor_id).street == "Charlies väg 1"
    assert Claim.objects.for_creditor(charlie_co).get() == charlies


@pytest.mark.parametrize("rows", [3, 60])
def test_the_queries_of_a_chunk_do_not_grow_with_its_rows(alice_co, rows,
                                                         django_assert_max_num_queries):
    register(alice_co, invoice_number="F-0")  # a debtor to refresh, a number to refuse
    shapes = [{}, {"debtor_email": ""}, {"debtor_phone": "070-123 45 67"},
              {"debtor_email": "", "debtor_phone": "070-123 45 67"}]
    people = ["19811228-9874", "19900101-0017", "556677-8899"]
    registrations = [registration(
        invoice_number=f"F-{i}", debtor_identity_number=people[i % 3],
        debtor_kind="company" if i % 3 == 2 else "person", **shapes[i % 4])
        for i in range(rows)]
    # Savepoints 4, invoice numbers 1, debtors 4 (one per set of channels given), open cases
    # to join 1, claims 2 (insert, case numbers), invoices, events and ledger 1 each.
    with django_assert_max_num_queries(15):
        results = register_many(alice_co, None, registrations)
    assert sum(isinstance(r, Registered) for r in results) == rows - 1
    # Dan's invoices join F-0's case; the other two debtors' open one case each.
    assert Claim.objects.for_creditor(alice_co).count() == 3
