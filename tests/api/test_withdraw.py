"""POST /api/v1/claims/{id}/withdraw: the creditor takes a claim back (återkalla)."""

import json

import pytest
from django.utils import timezone

from claims.models import Claim, Event, Status
from claims.services import claim_withdraw


def withdraw(client, key, claim_id, body):
    data = body if isinstance(body, str) else json.dumps(body)
    return client.post(f"/api/v1/claims/{claim_id}/withdraw", data,
                       content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {key}")


def test_withdraws_and_returns_the_claim(client, alice_claim, alice_key):
    response = withdraw(client, alice_key, alice_claim.pk, {"reason": "Settled out of court"})

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["id"] == alice_claim.pk
    assert body["status"] == "withdrawn"
    assert body["events"][-1] == {
        "date": timezone.localdate().isoformat(), "kind": "withdrawn",
        "text": "Claim withdrawn by the creditor. Reason: Settled out of court"}
    assert Claim.objects.get(pk=alice_claim.pk).status == Status.WITHDRAWN


@pytest.mark.parametrize("body", [{}, {"reason": ""}, {"reason": "   "}, {"reason": None},
                                  {"reason": 42}, {"reason": "x" * 501},
                                  {"reason": "nul\x00"}])
def test_a_reason_is_required(client, alice_claim, alice_key, body):
    response = withdraw(client, alice_key, alice_claim.pk, body)

    assert response.status_code == 422
    assert response.json()["error"] == "validation_error"
    assert list(response.json()["fields"]) == ["reason"]
    assert Claim.objects.get(pk=alice_claim.pk).status == Status.REGISTERED


def test_a_closed_claim_is_a_409_with_a_code(client, alice_claim, alice_key):
    claim_withdraw(claim=alice_claim, reason="first", today=timezone.localdate())

    response = withdraw(client, alice_key, alice_claim.pk, {"reason": "again"})

    assert response.status_code == 409
    body = response.json()
    assert body["error"] == "claim_closed"
    assert body["message"] == "The claim is closed and can no longer be changed."
    assert body["fields"] == {}
    assert Event.objects.filter(claim=alice_claim, kind=Event.Kind.WITHDRAWN).count() == 1


def test_malformed_json_is_a_400(client, alice_claim, alice_key):
    response = withdraw(client, alice_key, alice_claim.pk, '{"reason": "x"')

    assert response.status_code == 400
    assert response.json()["error"] == "bad_request"


def test_a_missing_claim_is_a_404(client, alice_claim, alice_key):
    response = withdraw(client, alice_key, alice_claim.pk + 1, {"reason": "gone"})

    assert response.status_code == 404
    assert response.json()["error"] == "not_found"
