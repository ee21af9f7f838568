"""POST /api/v1/claims/{id}/payments: a payment the debtor made directly to the creditor."""

import json
from datetime import date, timedelta

import pytest
from django.utils import timezone

from claims.models import Claim, LedgerEntry, Status
from claims.selectors import claim_statement
from claims.services import claim_withdraw
from ekrav.money import ore_to_str


def pay(client, key, claim_id, body):
    data = body if isinstance(body, str) else json.dumps(body)
    return client.post(f"/api/v1/claims/{claim_id}/payments", data,
                       content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {key}")


def yesterday():
    return (timezone.localdate() - timedelta(days=1)).isoformat()


def assert_invalid(response, field):
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["error"] == "validation_error"
    assert list(body["fields"]) == [field]
    return body["fields"][field][0]


def interest_to(claim, paid_on):
    """The interest accrued up to the payment day (the statement's), booked with the payment."""
    owed, _problem = claim_statement(claim, as_of=date.fromisoformat(paid_on))
    return owed.interest_accrued_ore


def test_a_partial_payment_is_booked(client, alice_claim, alice_key):
    response = pay(client, alice_key, alice_claim.pk, {"amount": "234.50", "paid_on": yesterday()})

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "registered"
    assert body["balance"]["paid"] == "234.50"
    interest = interest_to(alice_claim, yesterday())
    assert interest > 0 and body["balance"]["interest"] == ore_to_str(interest)
    assert body["balance"]["outstanding"] == ore_to_str(100000 + interest)
    assert body["events"][-1]["kind"] == "direct_payment"
    assert body["events"][-1]["text"] == (
        f"The creditor reported a direct payment of SEK\u00a0234.50 paid on {yesterday()}.")
    entry = LedgerEntry.objects.get(claim=alice_claim, kind=LedgerEntry.Kind.DIRECT_PAYMENT)
    assert entry.amount_ore == 234_50
    assert entry.booked_on.isoformat() == yesterday()


def test_paying_in_full_makes_the_claim_paid(client, alice_claim, alice_key):
    pay(client, alice_key, alice_claim.pk, {"amount": 234.5, "paid_on": yesterday()})
    # The capital alone is not all that is owed: the interest to the payment day is too.
    rest = 100000 + interest_to(alice_claim, yesterday())
    assert pay(client, alice_key, alice_claim.pk,
               {"amount": "1000.00", "paid_on": yesterday()}).json()["status"] == "registered"

    response = pay(client, alice_key, alice_claim.pk,
                   {"amount": ore_to_str(rest - 100000), "paid_on": yesterday()})

    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "paid"
    assert body["balance"]["outstanding"] == "0.00"
    assert body["balance"]["interest"] == ore_to_str(interest_to(alice_claim, yesterday()))
    assert [e["kind"] for e in body["events"]][-2:] == ["direct_payment", "paid"]
    assert Claim.objects.get(pk=alice_claim.pk).status == Status.PAID


def test_more_than_outstanding_is_refused(client, alice_claim, alice_key):
    owed = 123450 + interest_to(alice_claim, yesterday())
    response = pay(client, alice_key, alice_claim.pk,
                   {"amount": ore_to_str(owed + 1), "paid_on": yesterday()})

    assert "outstanding" in assert_invalid(response, "amount")
    assert not LedgerEntry.objects.filter(kind=LedgerEntry.Kind.DIRECT_PAYMENT).exists()


@pytest.mark.parametrize("amount", ["0", "0.00", "-1", "1.001", "1e3", "abc", True, None,
                                    "100000000.01"])
def test_bad_amounts_are_refused(client, alice_claim, alice_key, amount):
    response = pay(client, alice_key, alice_claim.pk, {"amount": amount, "paid_on": yesterday()})

    assert_invalid(response, "amount")


def test_a_payment_in_the_future_is_refused(client, alice_claim, alice_key):
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()

    message = assert_invalid(pay(client, alice_key, alice_claim.pk,
                                 {"amount": "1.00", "paid_on": tomorrow}), "paid_on")
    assert "future" in message


def test_a_payment_before_the_invoice_is_refused(client, alice_claim, alice_key):
    long_ago = (timezone.localdate() - timedelta(days=400)).isoformat()

    assert_invalid(pay(client, alice_key, alice_claim.pk, {"amount": "1.00", "paid_on": long_ago}),
                   "paid_on")


@pytest.mark.parametrize("paid_on", ["yesterday", "2024-13-01", "", None, 20240101])
def test_a_bad_date_is_refused(client, alice_claim, alice_key, paid_on):
    assert_invalid(pay(client, alice_key, alice_claim.pk, {"amount": "1.00", "paid_on": paid_on}),
                   "paid_on")


def test_missing_fields_are_named(client, alice_claim, alice_key):
    response = pay(client, alice_key, alice_claim.pk, {})

    assert response.status_code == 422
    assert set(response.json()["fields"]) == {"amount", "paid_on"}


def test_a_closed_claim_is_a_409(client, alice_claim, alice_key):
    claim_withdraw(claim=alice_claim, reason="Settled", today=timezone.localdate())

    response = pay(client, alice_key, alice_claim.pk, {"amount": "1.00", "paid_on": yesterday()})

    assert response.status_code == 409
    assert response.json()["error"] == "claim_closed"


def test_malformed_json_is_a_400(client, alice_claim, alice_key):
    response = pay(client, alice_key, alice_claim.pk, "amount=1")

    assert response.status_code == 400
    assert response.json()["error"] == "bad_request"


def test_a_missing_claim_is_a_404(client, alice_claim, alice_key):
    body = {"amount": "1.00", "paid_on": yesterday()}

    response = pay(client, alice_key, alice_claim.pk + 1, body)

    assert response.status_code == 404
