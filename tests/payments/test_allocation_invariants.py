"""Invariants of the money on a claim, over random sequences of what can happen to it
(issue 4): every payment's allocations add up to the payment, no component of what is
still owed ever goes negative, and what came in is either allocated or held for refund."""

from datetime import date, timedelta

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings, strategies as st

from claims.collection import collect_until
from claims.models import LedgerEntry
from claims.selectors import claim_balance
from claims.services import ClaimError, claim_payment_receive, claim_report_direct_payment
from tests.conftest import register

pytestmark = pytest.mark.django_db

START = date(2026, 4, 2)

actions = st.lists(st.tuples(
    st.sampled_from(["tick", "payment", "direct"]),
    st.integers(min_value=1, max_value=40),  # days later
    st.integers(min_value=1, max_value=200_000),  # öre
), min_size=1, max_size=8)


class Rollback(Exception):
    pass


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=actions)
def test_money_on_a_claim_always_adds_up(alice_co, steps):
    try:
        with transaction.atomic():
            _play(alice_co, steps)
            raise Rollback
    except Rollback:
        pass


def _play(creditor, steps):
    claim = register(creditor, invoice_date="2026-02-01", due_date="2026-03-01")
    day, n = START, 0
    for kind, later, amount in steps:
        day += timedelta(days=later)
        n += 1
        try:
            if kind == "tick":
                collect_until(until=day)
            elif kind == "payment":
                claim_payment_receive(claim=claim, amount_ore=amount, paid_on=day, today=day,
                                      source="bgmax", external_id=f"p{n}")
            else:
                claim_report_direct_payment(claim=claim, amount_ore=amount, paid_on=day,
                                            today=day)
        except ClaimError:
            pass  # refused (closed claim, more than owed): must have written nothing
        _check(claim)


def _check(claim):
    ledger = list(claim.ledger.all())
    for payment in (e for e in ledger if e.kind in LedgerEntry.PAYMENTS):
        parts = [e.amount_ore for e in ledger if e.key.startswith(payment.key + ">")]
        assert sum(parts) == payment.amount_ore, payment.key
    balance = claim_balance(claim)
    assert balance.remaining_capital >= 0
    assert balance.remaining_interest >= 0
    assert balance.remaining_fees >= 0
    assert balance.surplus >= 0
    allocated = (balance.paid_capital + balance.paid_interest + balance.paid_costs
                 + balance.surplus)
    assert allocated == balance.paid  # every krona in is allocated or held for refund
    assert (balance.remaining_capital + balance.remaining_interest + balance.remaining_fees
            == balance.outstanding)
