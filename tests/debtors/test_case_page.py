"""The case page: every amount is the claim's own statement (claims.statement) as of today,
itemised as the letters itemise it; what happens next and what it would then cost; how to pay."""

from datetime import date

import pytest

from claims.engine import planned_steps
from claims.models import LedgerEntry, ReferenceRate
from claims.selectors import (
    claim_balance,
    claim_policy,
    claim_snapshots,
    claim_statement,
    fee_caps_on,
)
from claims.services import claim_report_direct_payment
from letters.swish import swish_qr_text
from tests.debtors.conftest import DECISION_DAY, TODAY, amount, amounts, open_case, register_on

pytestmark = pytest.mark.django_db

# The case page's queries, whatever the number of invoices, fees, payments and letters.
# The savepoints included (the session is read from the cache, and written only when the
# visitor was last seen over half a minute ago: debtors.portal.TOUCH_SECONDS); the plan (if
# any) and the open objection, if any; the balance is summed from the prefetched ledger, the
# three fee caps are one query, the reference rates are read once (ekrav.memo) and the plan's
# books come from the prefetched ledger (was 22).
QUERIES = 13


def page(client, claim):
    response = client.get(f"/mitt-arende/arenden/{claim.pk}/")
    assert response.status_code == 200
    return response


def listed(response, testid):
    return [ore for name, ore in amounts(response) if name == testid]


def test_every_amount_is_the_statements(dan_client, dan_claim):
    claim_report_direct_payment(claim=dan_claim, amount_ore=20000, paid_on=date(2026, 4, 24),
                                today=TODAY)
    response = page(dan_client, dan_claim)
    now, problem = claim_statement(dan_claim, as_of=TODAY)
    assert problem == "" and now.paid_ore == 20000
    (allocation,) = now.allocations
    assert amount(response, "total") == amount(response, "left") == now.total_owed_ore
    assert amount(response, "capital") == sum(i.amount_ore for i in now.invoices) == 123450
    assert amount(response, "interest") == now.interest_accrued_ore > 0
    assert amount(response, "fees") == now.costs_owed_ore + allocation.costs_ore == 24000
    assert amount(response, "paid") == now.paid_ore
    assert listed(response, "surplus") == []
    # The sum on the page adds up to the total.
    assert (amount(response, "capital") + amount(response, "interest")
            + amount(response, "fees") - amount(response, "paid")) == amount(response, "total")
    # Each interest line (the payment day cuts them), each fee, the payment's allocation.
    assert listed(response, "interest-line") == [
        line.amount_ore for line in now.interest_lines] and len(now.interest_lines) == 2
    fees = dan_claim.ledger.filter(kind=LedgerEntry.Kind.FEE).order_by("booked_on")
    assert listed(response, "fee-line") == [fee.amount_ore for fee in fees] == [6000, 18000]
    body = response.content.decode()
    assert all(fee.legal_basis in body for fee in fees)
    assert listed(response, "payment-amount") == [20000]
    assert (listed(response, "paid-costs"), listed(response, "paid-interest"),
            listed(response, "paid-capital")) == (
        [allocation.costs_ore], [allocation.interest_ore] if allocation.interest_ore else [],
        [allocation.capital_ore] if allocation.capital_ore else [])
    assert amount(response, "pay-amount") == now.total_owed_ore
    # The payment went to the fees first: the invoice's capital is all still owed.
    assert allocation.costs_ore == 20000 and now.invoices[0].capital_ore == 123450
    assert listed(response, "invoice-owed") == []


def test_the_invoice_the_creditor_and_the_deadline(dan_client, dan_claim):
    response = page(dan_client, dan_claim)
    body = response.content.decode()
    invoice = dan_claim.invoices.get()
    for text in (invoice.invoice_number, invoice.description, "2026-02-01", "2026-03-01",
                 "Alice Bygg AB", "556036-0793"):
        assert text in body, text
    assert listed(response, "invoice-amount") == [123450]
    # The deadline is the latest letter's: the collection demand's.
    assert response.context["deadline"] == date(2026, 5, 4)
    assert "2026-05-04" in body


def test_what_happens_next_and_what_it_would_cost(dan_client, dan_claim):
    response = page(dan_client, dan_claim)
    (step,) = [row.step for row in response.context["planned"]]
    assert (step.kind, step.on) == ("decision", DECISION_DAY)
    then, _problem = claim_statement(dan_claim, as_of=DECISION_DAY)
    assert listed(response, "planned-total") == [then.total_owed_ore]
    assert then.total_owed_ore > amount(response, "total")  # the interest keeps running


def test_a_new_case_shows_both_letters_to_come_with_their_fees(client, alice_co, today):
    claim = register_on(alice_co, day=TODAY)
    assert open_case(client, claim).status_code == 302
    response = page(client, claim)
    steps = planned_steps(claim_snapshots([claim], as_of=TODAY)[claim.pk], TODAY,
                          claim_policy(claim), fee_caps_on(TODAY))
    assert [row.step for row in response.context["planned"]] == steps
    assert [s.kind for s in steps] == ["reminder", "demand", "decision"]
    # Fees carry no interest: the total on a step's day is the statement then plus the fees
    # of the steps up to it.
    fees, expected = 0, []
    for step in steps:
        fees += sum(fee.amount_ore for fee in step.fees)
        expected.append(claim_statement(claim, as_of=step.on)[0].total_owed_ore + fees)
    assert listed(response, "planned-total") == expected
    assert fees == 24000
    body = response.content.decode()
    assert "Påminnelseavgift" in body and "Inkassoavgift" in body
    assert response.context["deadline"] is None and response.context["letters"] == []


def test_how_to_pay(dan_client, dan_claim, settings):
    response = page(dan_client, dan_claim)
    body = response.content.decode()
    total = amount(response, "total")
    assert "5050-1055" in body and dan_claim.ocr in body and "123 118 11 89" in body
    pay = response.context["pay"]
    assert pay.swish_qr.startswith("data:image/svg+xml")
    assert pay.amount_ore == total
    assert swish_qr_text(payee=settings.AGENCY["swish_number"], amount_ore=total,
                         ocr=dan_claim.ocr).endswith(f";{dan_claim.ocr};0")
    assert 'data-testid="pay-buttons"' in body
    assert 'data-testid="pay-card"' in body and 'data-testid="pay-trustly"' in body


def test_an_overpayment_is_shown_as_held_for_refund(dan_client, dan_claim):
    LedgerEntry.objects.create(claim=dan_claim, kind=LedgerEntry.Kind.PAYMENT,
                               amount_ore=200000, booked_on=date(2026, 4, 24),
                               key="payment:test:1", legal_basis="test")
    response = page(dan_client, dan_claim)
    now, _problem = claim_statement(dan_claim, as_of=TODAY)
    assert now.surplus_ore > 0 and now.total_owed_ore == 0
    assert amount(response, "surplus") == now.surplus_ore
    assert listed(response, "paid-surplus") == [now.surplus_ore]
    assert amount(response, "total") == 0
    assert response.context["pay"] is None  # nothing to pay


def test_a_closed_case_says_so_and_offers_no_payment(dan_client, dan_claim):
    claim_report_direct_payment(claim=dan_claim, amount_ore=claim_statement(
        dan_claim, as_of=TODAY)[0].total_owed_ore, paid_on=TODAY, today=TODAY)
    response = page(dan_client, dan_claim)
    body = response.content.decode()
    assert "Kravet är helt betalt" in body
    assert response.context["pay"] is None and 'id="already-paid"' not in body
    assert response.context["planned"] == []


def test_the_page_reads_a_fixed_number_of_queries(dan_client, dan_claim,
                                                  django_assert_num_queries):
    for day in (date(2026, 4, 24), TODAY):
        claim_report_direct_payment(claim=dan_claim, amount_ore=20000, paid_on=day,
                                    today=TODAY)
        with django_assert_num_queries(QUERIES):
            page(dan_client, dan_claim)


def test_the_page_is_never_cached(dan_client, dan_claim):
    response = page(dan_client, dan_claim)
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]


def test_the_page_loads_nothing_from_elsewhere(dan_client, dan_claim):
    import re

    body = page(dan_client, dan_claim).content.decode()
    assets = re.findall(r'<(?:script|link|img)\b[^>]*\b(?:src|href)="([^"]+)"', body)
    assert assets and [a for a in assets if a.startswith(("http:", "https:", "//"))] == []
    assert "<script" not in body and " style=" not in body
    assert "/static/css/mitt-arende" in body


def test_without_a_statement_the_ledger_is_shown_and_says_why(dan_client, dan_claim):
    ReferenceRate.objects.all().delete()  # staff have not entered the rates yet
    claim_report_direct_payment(claim=dan_claim, amount_ore=20000, paid_on=TODAY, today=TODAY)
    response = page(dan_client, dan_claim)
    balance = claim_balance(dan_claim)
    assert response.context["statement"] is None and response.context["statement_problem"]
    assert amount(response, "total") == balance.outstanding
    assert amount(response, "interest") == balance.interest
    assert listed(response, "payment-amount") == [20000]
    assert "kan inte beräknas just nu" in response.content.decode()
