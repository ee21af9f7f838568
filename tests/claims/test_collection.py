"""The collection tick against the database: steps on the right bank days, fees once, nothing
twice, nothing after payment or withdrawal, catch-up equal to daily runs."""

from datetime import date, timedelta

import pytest
from django.core.management import call_command

from claims.collection import collect_until, collection_tick
from claims.models import Claim, Event, LedgerEntry, Status, Step, TickRun
from claims.registration import parse_registration
from claims.selectors import claim_balance, claim_statement
from claims.services import claim_register, claim_report_direct_payment, claim_withdraw
from tests.conftest import registration_data

pytestmark = pytest.mark.django_db

# Skärtorsdag 2026: the next bank day is Tuesday after Easter (långfredag, påsk, annandag påsk).
REGISTERED = date(2026, 4, 2)


def register_on(creditor, day=REGISTERED, **overrides):
    data = registration_data(invoice_date="2026-02-01", due_date="2026-03-01", **overrides)
    registration, errors = parse_registration(data, today=day)
    assert not errors, errors
    return claim_register(creditor=creditor, registration=registration, today=day)


def steps(claim):
    return [(s.kind, s.taken_on, s.deadline) for s in Step.objects.filter(claim=claim)]


def fees(claim):
    return sorted((e.key, e.amount_ore) for e in claim.ledger.filter(kind=LedgerEntry.Kind.FEE))


def test_a_new_claim_waits_for_the_first_bank_day_after_registration(alice_co):
    claim = register_on(alice_co)
    assert claim.next_action_on == date(2026, 4, 7)
    collect_until(until=date(2026, 4, 6))
    assert steps(claim) == []


def test_reminder_demand_and_decision_for_a_person(alice_co):
    claim = register_on(alice_co)  # a person; the reminder fee was agreed
    collect_until(until=date(2026, 5, 31))
    assert steps(claim) == [
        ("reminder", date(2026, 4, 7), date(2026, 4, 17)),
        # 17 Apr + 5 days of grace = 22 Apr has passed on the 23rd
        ("demand", date(2026, 4, 23), date(2026, 5, 4)),   # 3 May is a Sunday
        ("decision", date(2026, 5, 11), None),             # 9 May has passed; 10th a Sunday
    ]
    claim.refresh_from_db()
    assert claim.status == Status.AWAITING_DECISION and claim.next_action_on is None
    assert fees(claim) == [("fee:collection_fee", 18000), ("fee:reminder_fee", 6000)]
    # Interest is booked with each step: the last booking is the interest to the decision day.
    owed, _problem = claim_statement(claim, as_of=date(2026, 5, 11))
    balance = claim_balance(claim)
    assert balance.interest == owed.interest_accrued_ore > 0
    assert balance.outstanding == 123450 + 6000 + 18000 + balance.interest == owed.total_owed_ore
    assert "1981:739" in claim.ledger.get(key="fee:reminder_fee").legal_basis


def test_no_reminder_fee_unless_agreed(alice_co):
    claim = register_on(alice_co, reminder_fee_agreed=False)
    collect_until(until=date(2026, 4, 30))
    assert fees(claim) == [("fee:collection_fee", 18000)]


def test_a_company_pays_450_instead_of_60_and_180(alice_co):
    claim = register_on(alice_co, debtor_kind="company", debtor_identity_number="556036-0793")
    collect_until(until=date(2026, 4, 30))
    assert fees(claim) == [("fee:late_payment_compensation", 45000)]


def test_running_the_same_day_twice_changes_nothing(alice_co):
    claim = register_on(alice_co)
    collect_until(until=date(2026, 4, 7))
    before = (steps(claim), fees(claim), Event.objects.count())
    assert collection_tick(day=date(2026, 4, 7)).steps_taken == 0
    collect_until(until=date(2026, 4, 7))
    call_command("collect", "--date", "2026-04-07", stdout=open("/dev/null", "w"))
    assert (steps(claim), fees(claim), Event.objects.count()) == before
    assert TickRun.objects.filter(day=date(2026, 4, 7)).count() == 1


def test_full_payment_stops_the_next_step_and_partial_does_not(alice_co):
    paid = register_on(alice_co, invoice_number="P-1")
    partial = register_on(alice_co, invoice_number="P-2", debtor_identity_number="811288-9863")
    collect_until(until=date(2026, 4, 7))
    owed, _problem = claim_statement(paid, as_of=date(2026, 4, 10))  # interest included
    claim_report_direct_payment(claim=paid, amount_ore=owed.total_owed_ore,
                                paid_on=date(2026, 4, 10), today=date(2026, 4, 10))
    claim_report_direct_payment(claim=partial, amount_ore=10000, paid_on=date(2026, 4, 10),
                                today=date(2026, 4, 10))
    collect_until(until=date(2026, 4, 30))
    assert [s[0] for s in steps(paid)] == ["reminder"]
    assert [s[0] for s in steps(partial)] == ["reminder", "demand"]


def test_a_withdrawn_claim_gets_nothing(alice_co):
    claim = register_on(alice_co)
    claim_withdraw(claim=claim, reason="Fel kund", today=REGISTERED)
    collect_until(until=date(2026, 5, 31))
    assert steps(claim) == []


def test_catching_up_after_downtime_equals_running_every_day(alice_co, charlie_co):
    daily = register_on(alice_co, invoice_number="D-1")
    for n in range(60):
        collect_until(until=REGISTERED + timedelta(days=n))
    caught_up = register_on(charlie_co, invoice_number="D-1")
    Claim.objects.filter(pk=caught_up.pk).update(next_action_on=date(2026, 4, 7))
    TickRun.objects.all().delete()
    collect_until(until=REGISTERED + timedelta(days=59))
    assert [(k, on, dl) for k, on, dl in steps(caught_up)] == steps(daily)


def test_the_collect_command_prints_what_it_did(alice_co, capsys):
    register_on(alice_co)
    call_command("collect", "--date", "2026-04-07")
    assert '"steps_taken": 1' in capsys.readouterr().out


def test_the_claim_page_shows_the_plan_and_it_comes_true(alice_client, alice, alice_co):
    import time_machine

    claim = register_on(alice_co)
    with time_machine.travel(date(2026, 4, 2), tick=False):
        planned = alice_client.get(f"/arenden/{claim.pk}/").context["planned"]
    assert [(s.kind, s.on, s.deadline, [f.amount_ore for f in s.fees]) for s in planned] == [
        ("reminder", date(2026, 4, 7), date(2026, 4, 17), [6000]),
        ("demand", date(2026, 4, 23), date(2026, 5, 4), [18000]),
        ("decision", date(2026, 5, 11), None, []),
    ]
    collect_until(until=date(2026, 5, 31))
    assert steps(claim) == [(s.kind, s.on, s.deadline) for s in planned]
    with time_machine.travel(date(2026, 5, 31), tick=False):
        alice_client.force_login(alice)  # seven weeks later the session has expired
        assert alice_client.get(f"/arenden/{claim.pk}/").context["planned"] == []


def test_a_held_claim_waits_even_when_its_next_date_says_otherwise(alice_co):
    """The hold ("I have already paid") is the engine's to honour, not only the date's."""
    claim = register_on(alice_co)
    # Due on 7 April; held until Monday 20 April ("no step before this date").
    Claim.objects.filter(pk=claim.pk).update(hold_until=date(2026, 4, 20))
    collect_until(until=date(2026, 4, 17))
    assert steps(claim) == []
    collect_until(until=date(2026, 4, 20))
    assert [(s[0], s[1]) for s in steps(claim)] == [("reminder", date(2026, 4, 20))]
