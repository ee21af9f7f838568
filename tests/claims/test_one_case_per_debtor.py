"""One case per debtor (issue 3): a creditor's invoices against one debtor registered before the
case's collection demand (IK) join the case, so the debtor gets one letter and one fee per step;
later invoices open a new case. Charlie's case for the same person is never alice's."""

import threading
from datetime import date

import pytest
from django.db import connection, transaction

from claims.collection import collect_until
from claims.interest import CapitalChange, interest_ore
from claims.models import Claim, Event, Invoice, LedgerEntry, Status, Step
from claims.registration import parse_registration
from claims.selectors import claim_balance, claim_statement, reference_rates
from claims.services import JOINABLE, claim_register, invoice_register
from tests.conftest import registration_data

pytestmark = pytest.mark.django_db

REGISTERED = date(2026, 4, 2)  # Skärtorsdag: the reminder goes on Tuesday 7 April
REMINDER, DEMAND, DECISION = date(2026, 4, 7), date(2026, 4, 23), date(2026, 5, 11)


def registration(day=REGISTERED, **overrides):
    data = registration_data(**{"invoice_date": "2026-02-01", "due_date": "2026-03-01",
                                **overrides})
    parsed, errors = parse_registration(data, today=day)
    assert not errors, errors
    return parsed


def register_on(creditor, day=REGISTERED, **overrides):
    return invoice_register(creditor=creditor, registration=registration(day, **overrides),
                            today=day)


def fees(claim):
    return sorted((e.key, e.amount_ore) for e in claim.ledger.filter(kind=LedgerEntry.Kind.FEE))


def steps(claim):
    return [(s.kind, s.taken_on) for s in Step.objects.filter(claim=claim)]


@pytest.mark.parametrize("status", JOINABLE)
def test_an_invoice_before_the_demand_joins_the_open_case(alice_co, status):
    first = register_on(alice_co, invoice_number="F-1")
    Claim.objects.filter(pk=first.claim.pk).update(status=status)

    second = register_on(alice_co, invoice_number="F-2", amount="100", debtor_street="Ny väg 2")

    assert (second.claim.pk, second.joined, first.joined) == (first.claim.pk, True, False)
    claim = Claim.objects.get()
    assert claim.status == status and claim.debtor.street == "Ny väg 2"
    assert sorted(claim.invoices.values_list("invoice_number", flat=True)) == ["F-1", "F-2"]
    capital = claim.ledger.get(key=f"capital:invoice:{second.invoice.pk}")
    assert (capital.amount_ore, capital.event.kind) == (10000, Event.Kind.INVOICE_ADDED)
    assert claim_balance(claim).capital == 123450 + 10000
    added = claim.events.get(kind=Event.Kind.INVOICE_ADDED)
    assert "F-2" in added.text and added.data["invoice_number"] == "F-2"


@pytest.mark.parametrize("status", [s for s in Status.values if s not in JOINABLE])
def test_a_case_past_its_demand_or_closed_is_never_joined(alice_co, status):
    first = register_on(alice_co, invoice_number="F-1")
    Claim.objects.filter(pk=first.claim.pk).update(status=status)

    second = register_on(alice_co, invoice_number="F-2")

    assert not second.joined and second.claim.pk != first.claim.pk
    assert second.claim.status == Status.REGISTERED
    assert [e.kind for e in second.claim.events.all()] == [Event.Kind.REGISTERED]


def test_after_the_tick_sent_the_demand_a_new_invoice_opens_a_new_case(alice_co):
    first = register_on(alice_co, invoice_number="F-1")
    collect_until(until=DEMAND)
    second = register_on(alice_co, day=date(2026, 4, 24), invoice_number="F-2")
    assert not second.joined
    assert Claim.objects.get(pk=first.claim.pk).status == Status.DEMAND_SENT


def test_charlies_case_for_the_same_person_is_never_joined(alice_co, charlie_co):
    charlies = register_on(charlie_co, invoice_number="F-1")
    alices = register_on(alice_co, invoice_number="F-1")
    assert not alices.joined and alices.claim.pk != charlies.claim.pk
    assert alices.claim.debtor_id != charlies.claim.debtor_id
    assert Invoice.objects.filter(claim=charlies.claim).count() == 1


def test_claim_register_returns_the_case_the_invoice_is_in(alice_co):
    first = claim_register(creditor=alice_co, registration=registration(invoice_number="F-1"),
                           today=REGISTERED)
    second = claim_register(creditor=alice_co, registration=registration(invoice_number="F-2"),
                            today=REGISTERED)
    assert first == second


def test_a_merged_case_gets_one_letter_and_one_fee_per_step(alice_co):
    """Two invoices, both with the reminder fee agreed: one PÅM with 60 kr, one IK with 180
    kr, one decision, on the dates of a single-invoice case."""
    register_on(alice_co, invoice_number="F-1")
    merged = register_on(alice_co, invoice_number="F-2", amount="500",
                         due_date="2026-03-15").claim
    collect_until(until=date(2026, 5, 31))
    assert steps(merged) == [("reminder", REMINDER), ("demand", DEMAND), ("decision", DECISION)]
    assert fees(merged) == [("fee:collection_fee", 18000), ("fee:reminder_fee", 6000)]
    assert Step.objects.count() == 3


def test_a_merged_company_case_gets_one_late_payment_compensation(alice_co):
    company = {"debtor_kind": "company", "debtor_identity_number": "556036-0793"}
    register_on(alice_co, invoice_number="F-1", **company)
    merged = register_on(alice_co, invoice_number="F-2", **company).claim
    collect_until(until=date(2026, 5, 31))
    assert fees(merged) == [("fee:late_payment_compensation", 45000)]


def test_interest_runs_per_invoice_from_its_own_due_date(alice_co):
    register_on(alice_co, invoice_number="F-1")  # 1 234,50 kr due 1 March
    merged = register_on(alice_co, invoice_number="F-2", amount="500",
                         due_date="2026-03-20").claim
    collect_until(until=REMINDER)

    def interest(due_plus_one, capital):
        return interest_ore(start=due_plus_one, end=REMINDER,
                            capital=[CapitalChange(due_plus_one, capital)],
                            rates=reference_rates())

    expected = interest(date(2026, 3, 2), 123450) + interest(date(2026, 3, 21), 50000)
    assert claim_balance(merged).interest == expected > 0
    owed, _problem = claim_statement(merged, as_of=REMINDER)
    assert [(i.due_date, i.interest_accrued_ore) for i in owed.invoices] == [
        (date(2026, 3, 1), interest(date(2026, 3, 2), 123450)),
        (date(2026, 3, 20), interest(date(2026, 3, 21), 50000))]


def test_an_invoice_after_the_reminder_goes_out_with_the_cases_demand(alice_co):
    first = register_on(alice_co, invoice_number="F-1", reminder_fee_agreed=False)
    collect_until(until=date(2026, 4, 10))
    late = register_on(alice_co, day=date(2026, 4, 10), invoice_number="F-2", amount="300",
                       reminder_fee_agreed=True)
    assert late.joined and late.claim.pk == first.claim.pk
    collect_until(until=date(2026, 5, 31))
    claim = late.claim
    # No second reminder for it, and no reminder fee after the reminder went out without one.
    assert steps(claim) == [("reminder", REMINDER), ("demand", DEMAND), ("decision", DECISION)]
    assert fees(claim) == [("fee:collection_fee", 18000)]
    owed, _problem = claim_statement(claim, as_of=DEMAND)
    assert owed.capital_ore == 123450 + 30000  # the demand asks for both invoices


# --- races (PostgreSQL: row locks) --------------------------------------------------------------

postgres_only = pytest.mark.skipif(connection.vendor != "postgresql",
                                   reason="row locks need PostgreSQL (CI)")


def in_threads(*work):
    """Run each callable in its own thread and connection; returns their results or errors."""
    results, start = [None] * len(work), threading.Barrier(len(work))

    def run(i):
        try:
            start.wait()
            results[i] = work[i]()
        except Exception as exc:  # noqa: BLE001 - returned to the test
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(work))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_registrations_at_once_open_one_case(alice_co):
    def register(number):
        return lambda: register_on(alice_co, invoice_number=number)

    results = in_threads(register("F-1"), register("F-2"))
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sorted(r.joined for r in results) == [False, True]
    claim = Claim.objects.get()
    assert claim.invoices.count() == 2 and claim.debtor.__class__.objects.count() == 1


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_an_invoice_never_joins_a_case_whose_demand_has_just_gone_out(alice_co):
    """The tick holds the case's row while it sends the IK; a registration meanwhile waits for
    the lock, sees the IK went out, and opens a new case."""
    first = register_on(alice_co, invoice_number="F-1")
    Claim.objects.filter(pk=first.claim.pk).update(status=Status.REMINDER_SENT)
    locked, release = threading.Event(), threading.Event()

    def tick_sending_the_demand():
        with transaction.atomic():
            Claim.objects.select_for_update().get(pk=first.claim.pk)
            locked.set()
            release.wait(timeout=30)
            Claim.objects.filter(pk=first.claim.pk).update(status=Status.DEMAND_SENT)
        return "sent"

    def registration_meanwhile():
        locked.wait(timeout=30)
        threading.Timer(0.5, release.set).start()  # the registration is waiting by then
        return register_on(alice_co, invoice_number="F-2")

    sent, registered = in_threads(tick_sending_the_demand, registration_meanwhile)
    assert sent == "sent", sent
    assert not isinstance(registered, Exception), registered
    assert not registered.joined and registered.claim.pk != first.claim.pk
    assert Invoice.objects.filter(claim=first.claim).count() == 1
