"""Interest booked in the ledger (issue 3: every interest accrual is a ledger row with its legal
basis): with each step of the tick and each direct payment, the statement's interest accrued
up to that day less the interest booked before, as one row keyed by the day, exactly once."""

from datetime import date

import pytest

from claims.collection import collect_until, collection_tick
from claims.interest import CapitalChange, interest_ore
from claims.models import Claim, LedgerEntry, ReferenceRate, Status, Step
from claims.registration import parse_registration
from claims.selectors import claim_balance, claim_statement, reference_rates
from claims.services import claim_register, claim_report_direct_payment
from tests.conftest import another_debtor, registration_data

pytestmark = pytest.mark.django_db

REGISTERED = date(2026, 4, 2)  # Skärtorsdag: the reminder goes on Tuesday 7 April
REMINDER, DEMAND, DECISION = date(2026, 4, 7), date(2026, 4, 23), date(2026, 5, 11)


def register_on(creditor, day=REGISTERED, **overrides):
    data = registration_data(**{"invoice_date": "2026-02-01", "due_date": "2026-03-01",
                                **overrides})
    registration, errors = parse_registration(data, today=day)
    assert not errors, errors
    return claim_register(creditor=creditor, registration=registration, today=day)


def interest_rows(claim):
    return [(e.booked_on, e.key, e.amount_ore)
            for e in claim.ledger.filter(kind=LedgerEntry.Kind.INTEREST).order_by("booked_on")]


def accrued(claim, day):
    owed, problem = claim_statement(claim, as_of=day)
    assert owed is not None, problem
    return owed.interest_accrued_ore


def test_each_step_books_the_interest_accrued_since_the_last_booking(alice_co):
    claim = register_on(alice_co)
    collect_until(until=date(2026, 5, 31))
    assert [s.taken_on for s in Step.objects.filter(claim=claim)] == [REMINDER, DEMAND, DECISION]
    expected, booked = [], 0
    for day in (REMINDER, DEMAND, DECISION):
        expected.append((day, f"interest:{day.isoformat()}", accrued(claim, day) - booked))
        booked = accrued(claim, day)
    assert interest_rows(claim) == expected
    # The whole is the pure interest module's: 10.00 % on 1 234,50 kr from 2 March.
    assert claim_balance(claim).interest == interest_ore(
        start=date(2026, 3, 2), end=DECISION, capital=[CapitalChange(date(2026, 3, 2), 123450)],
        rates=reference_rates()) > 0
    entry = claim.ledger.get(key=f"interest:{DEMAND.isoformat()}")
    assert entry.legal_basis == "Dröjsmålsränta t.o.m. 2026-04-23, 3 och 6 §§ räntelagen (1975:635)"
    assert entry.event.kind == "step_demand"


def test_running_the_day_twice_books_nothing_more(alice_co):
    claim = register_on(alice_co)
    collect_until(until=REMINDER)
    before = interest_rows(claim)
    assert len(before) == 1
    collection_tick(day=REMINDER)
    collect_until(until=REMINDER)
    assert interest_rows(claim) == before


@pytest.mark.parametrize("switch", ["policy", "claim"])
def test_interest_switched_off_books_nothing(alice_co, switch):
    claim = register_on(alice_co)
    if switch == "policy":
        alice_co.policy.interest_enabled = False
        alice_co.policy.save()
    else:
        Claim.objects.filter(pk=claim.pk).update(interest_enabled=False)
    collect_until(until=date(2026, 5, 31))
    assert len(Step.objects.filter(claim=claim)) == 3
    assert interest_rows(claim) == []
    assert claim_balance(claim).interest == 0


def test_a_payment_of_the_ledgers_balance_without_interest_is_no_full_payment(alice_co):
    """Capital and fee paid, interest not: the tick still sends the demand for the rest."""
    claim = register_on(alice_co)
    collect_until(until=REMINDER)
    capital_and_fee = 123450 + 6000
    claim_report_direct_payment(claim=claim, amount_ore=capital_and_fee, paid_on=date(2026, 4, 10),
                                today=date(2026, 4, 10))
    claim.refresh_from_db()
    assert claim.status == Status.REMINDER_SENT
    collect_until(until=date(2026, 4, 30))
    claim.refresh_from_db()
    assert claim.status == Status.DEMAND_SENT
    # The interest to the payment day was booked with the payment; the demand books the rest.
    assert [row[0] for row in interest_rows(claim)] == [REMINDER, date(2026, 4, 10), DEMAND]
    assert claim_balance(claim).interest == accrued(claim, DEMAND)


def test_a_payment_and_a_step_on_one_day_book_one_row(alice_co):
    claim = register_on(alice_co)
    # Reported before the tick runs that day (the tick was down): the payment books the day.
    claim_report_direct_payment(claim=claim, amount_ore=10000, paid_on=REMINDER, today=REMINDER)
    collect_until(until=REMINDER)
    assert [s.kind for s in Step.objects.filter(claim=claim)] == ["reminder"]
    assert interest_rows(claim) == [(REMINDER, f"interest:{REMINDER.isoformat()}",
                                     accrued(claim, REMINDER))]


def test_paid_in_full_with_the_statements_total_leaves_the_ledger_at_zero(alice_co):
    claim = register_on(alice_co)
    collect_until(until=date(2026, 4, 30))
    owed, _problem = claim_statement(claim, as_of=date(2026, 5, 4))
    claim_report_direct_payment(claim=claim, amount_ore=owed.total_owed_ore,
                                paid_on=date(2026, 5, 4), today=date(2026, 5, 4))
    claim.refresh_from_db()
    assert claim.status == Status.PAID
    balance = claim_balance(claim)
    assert balance.interest == accrued(claim, date(2026, 5, 4)) and balance.outstanding == 0
    collect_until(until=date(2026, 5, 31))
    assert [s.kind for s in Step.objects.filter(claim=claim)] == ["reminder", "demand"]


def test_without_rates_for_the_interest_days_the_claim_still_moves_on(alice_co):
    """The claim page says the rate table does not reach back; the tick books no interest and
    takes the step on the capital (staff add the missing rates)."""
    claim = register_on(alice_co)
    ReferenceRate.objects.all().delete()
    collect_until(until=REMINDER)
    assert [s.kind for s in Step.objects.filter(claim=claim)] == ["reminder"]
    assert interest_rows(claim) == []
    assert claim_statement(claim, as_of=REMINDER)[0] is None


def test_claims_of_a_batch_are_booked_each_their_own(alice_co, charlie_co):
    """One batch, several claims, different capital and due dates: each row is its claim's."""
    claims = [register_on(alice_co, invoice_number=f"B-{i}", amount=f"{1000 * (i + 1)}",
                          due_date=f"2026-03-{i + 1:02d}", **another_debtor(i + 1))
              for i in range(5)]
    claims.append(register_on(charlie_co, invoice_number="C-1"))
    collect_until(until=REMINDER)
    for claim in claims:
        assert interest_rows(claim) == [(REMINDER, f"interest:{REMINDER.isoformat()}",
                                         accrued(claim, REMINDER))]
    assert len({interest_rows(c)[0][2] for c in claims}) == len(claims)
