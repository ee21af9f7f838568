"""GET /api/v1/claims/{id}: one claim with its balance and timeline."""

import re
from decimal import Decimal
from datetime import timedelta

import pytest
from django.utils import timezone

from claims.models import LedgerEntry
from claims.services import claim_report_direct_payment
from tests.conftest import register

MONEY = re.compile(r"^-?\d+\.\d{2}$")


def get(client, key, claim_id, **extra):
    return client.get(f"/api/v1/claims/{claim_id}", HTTP_AUTHORIZATION=f"Bearer {key}", **extra)


def test_returns_the_claim(client, alice_claim, alice_key):
    response = get(client, alice_key, alice_claim.pk)

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"id", "case_number", "ocr", "status", "debtor", "invoice_number",
                         "due_date", "registered_on", "invoices", "balance", "events",
                         "letters"}
    assert body["id"] == alice_claim.pk
    assert body["case_number"] == alice_claim.case_number
    assert body["ocr"] == alice_claim.ocr
    assert body["status"] == "registered"
    assert body["debtor"] == {
        "kind": "person", "identity_number": "19811228-9874", "name": "Dan Gäldenär",
        "address": {"street": "Lillgatan 2", "postal_code": "12345", "city": "Uppsala"},
        "email": "dan@example.se", "phone": None,
    }
    assert body["invoice_number"] == "F-1001"
    assert body["registered_on"] == timezone.localdate().isoformat()
    today = timezone.localdate()
    assert body["invoices"] == [{
        "invoice_number": "F-1001", "invoice_date": (today - timedelta(days=40)).isoformat(),
        "due_date": (today - timedelta(days=10)).isoformat(), "amount": "1234.50",
        "description": "Målning av staket", "payment_reference": None,
        "payee_bankgiro": None}]
    assert body["letters"] == []
    assert body["events"] == [{
        "date": timezone.localdate().isoformat(), "kind": "registered",
        "text": "Claim registered: invoice F-1001, SEK\u00a01,234.50.",
    }]


def test_money_is_decimal_strings_with_two_decimals(client, alice_co, alice_key):
    claim = register(alice_co, amount="1000")

    balance = get(client, alice_key, claim.pk).json()["balance"]

    assert balance["capital"] == "1000.00"
    remaining = balance.pop("remaining")
    assert all(MONEY.match(value) for value in [*balance.values(), *remaining.values()])


def test_outstanding_is_capital_plus_interest_plus_fees_minus_paid(client, alice_claim,
                                                                    alice_key):
    today = timezone.localdate()
    for kind, amount in ((LedgerEntry.Kind.INTEREST, 1205), (LedgerEntry.Kind.FEE, 6000)):
        LedgerEntry.objects.create(claim=alice_claim, kind=kind, amount_ore=amount,
                                   booked_on=today, key=f"test:{kind}")
    # 12.05 kr of interest is booked already: more than the interest to yesterday, so the
    # payment books none.
    claim_report_direct_payment(claim=alice_claim, amount_ore=23450,
                                paid_on=today - timedelta(days=1), today=today)

    body = get(client, alice_key, alice_claim.pk).json()

    # The payment (yesterday) paid interest to its day, then capital; the fee booked today
    # came after it and is still owed.
    assert body["balance"] == {"capital": "1234.50", "interest": "12.05", "fees": "60.00",
                               "paid": "234.50", "surplus": "0.00", "outstanding": "1072.05",
                               "remaining": {"capital": "1003.04", "interest": "9.01",
                                             "fees": "60.00"}}
    assert [e["kind"] for e in body["events"]] == ["registered", "direct_payment"]
    assert body["events"][1]["text"].startswith("The creditor reported a direct payment")


def test_is_english_for_a_swedish_client(client, alice_claim, alice_key):
    response = get(client, alice_key, alice_claim.pk, HTTP_ACCEPT_LANGUAGE="sv-SE,sv")

    assert response.json()["events"][0]["text"].startswith("Claim registered")


def test_a_missing_claim_is_a_404(client, alice_claim, alice_key):
    response = get(client, alice_key, alice_claim.pk + 1000)

    assert response.status_code == 404
    assert response.json() == {"error": "not_found", "message": "No such claim.", "fields": {}}


@pytest.mark.parametrize("claim_id", ["abc", "0", "-1", "1.5", str(2**63), "9" * 40])
def test_an_id_that_is_not_a_claim_id_is_a_422(client, alice_key, claim_id):
    response = get(client, alice_key, claim_id)

    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "validation_error"
    assert list(body["fields"]) == ["id"]


def test_the_balance_shows_the_interest_booked_with_a_step(client, alice_co, alice_key):
    """Interest is a ledger row, booked with each step: the balance is the ledger's."""
    from claims.collection import collection_tick
    from claims.selectors import claim_statement
    from ekrav.money import ore_to_str

    claim = register(alice_co)
    day = claim.next_action_on  # the reminder's day
    collection_tick(day=day)
    owed, _problem = claim_statement(claim, as_of=day)

    balance = get(client, alice_key, claim.pk).json()["balance"]

    assert owed.interest_accrued_ore > 0
    assert balance["interest"] == ore_to_str(owed.interest_accrued_ore)
    assert balance["fees"] == "60.00"  # the reminder fee, agreed
    assert balance["outstanding"] == ore_to_str(owed.total_owed_ore)


def test_letters_sent_are_listed_with_their_pdf(client, alice_co, alice_key, charlie_key):
    """issue 3: letters fill in as {kind, sent_on, channel, deadline, pdf_url}."""
    import hashlib
    from datetime import date

    from claims.registration import parse_registration
    from claims.services import claim_register
    from letters.models import Letter
    from letters.services import collection_day_run
    from tests.conftest import registration_data

    data = registration_data(invoice_date="2026-02-01", due_date="2026-03-01")
    registration, errors = parse_registration(data, today=date(2026, 4, 2))
    claim = claim_register(creditor=alice_co, registration=registration, today=date(2026, 4, 2))
    collection_day_run(until=date(2026, 4, 7))
    letter = Letter.objects.get(claim=claim)

    body = client.get(f"/api/v1/claims/{claim.pk}",
                      HTTP_AUTHORIZATION=f"Bearer {alice_key}").json()
    pdf_url = f"http://testserver/api/v1/claims/{claim.pk}/letters/{letter.pk}/pdf"
    assert body["letters"] == [{"kind": "reminder", "sent_on": "2026-04-07", "channel": "print",
                                "deadline": "2026-04-17", "pdf_url": pdf_url}]
    assert body["balance"]["interest"] != "0.00"  # booked at the step

    pdf = client.get(pdf_url, HTTP_AUTHORIZATION=f"Bearer {alice_key}")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert hashlib.sha256(b"".join(pdf.streaming_content)).hexdigest() == letter.sha256
    other = client.get(pdf_url, HTTP_AUTHORIZATION=f"Bearer {charlie_key}")
    assert other.status_code == 404 and other.json()["error"] == "not_found"


def test_remaining_and_the_ledger_show_how_a_payment_was_allocated(client, alice_co, alice_key,
                                                                   charlie_key):
    """issue 4: balance.remaining per component, and GET /claims/{id}/ledger."""
    from datetime import date

    from claims.collection import collect_until
    from claims.registration import parse_registration
    from claims.services import claim_payment_receive, claim_register
    from tests.conftest import registration_data

    data = registration_data(invoice_date="2026-02-01", due_date="2026-03-01")
    registration, _errors = parse_registration(data, today=date(2026, 4, 2))
    claim = claim_register(creditor=alice_co, registration=registration, today=date(2026, 4, 2))
    collect_until(until=date(2026, 4, 7))  # the reminder: a 60 kr fee and interest to the day
    claim_payment_receive(claim=claim, amount_ore=10000, paid_on=date(2026, 4, 9),
                          today=date(2026, 4, 9), source="bgmax", external_id="x1")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {alice_key}"}
    balance = client.get(f"/api/v1/claims/{claim.pk}", **auth).json()["balance"]
    remaining = balance["remaining"]
    assert remaining["fees"] == "0.00"  # costs first
    total = sum(Decimal(v) for v in remaining.values())
    assert total == Decimal(balance["outstanding"]) and balance["surplus"] == "0.00"
    ledger = client.get(f"/api/v1/claims/{claim.pk}/ledger", **auth).json()
    # Interest is booked to the payment's day before the payment is allocated.
    assert [(row["date"], row["kind"]) for row in ledger] == [
        ("2026-04-02", "capital"), ("2026-04-07", "fee"), ("2026-04-07", "interest"),
        ("2026-04-09", "payment"), ("2026-04-09", "interest")]
    payment = next(row for row in ledger if row["kind"] == "payment")
    parts = {a["kind"]: a["amount"] for a in payment["allocations"]}
    assert parts["paid_costs"] == "60.00"
    assert sum(Decimal(v) for v in parts.values()) == Decimal("100.00")
    assert all(row["legal_basis"] for row in ledger)
    other = client.get(f"/api/v1/claims/{claim.pk}/ledger",
                       HTTP_AUTHORIZATION=f"Bearer {charlie_key}")
    assert other.status_code == 404
