"""Charlie, who must see nothing of alice's: every endpoint with alice's claim id is a 404,
the very same 404 as for a claim that does not exist, and alice's claim is left untouched."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from claims.models import Claim, Event, LedgerEntry, Status

YESTERDAY = (timezone.localdate() - timedelta(days=1)).isoformat()
ENDPOINTS = [
    ("get", "/api/v1/claims/{id}", None),
    ("post", "/api/v1/claims/{id}/withdraw", {"reason": "Not yours"}),
    ("post", "/api/v1/claims/{id}/payments", {"amount": "1234.50", "paid_on": YESTERDAY}),
]


def call(client, key, method, url, body, claim_id):
    kwargs = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    if body is not None:
        kwargs.update(data=json.dumps(body), content_type="application/json")
    return getattr(client, method)(url.format(id=claim_id), **kwargs)


@pytest.mark.parametrize("method, url, body", ENDPOINTS)
def test_another_creditors_claim_is_a_404_like_a_missing_one(client, alice_claim, charlie_key,
                                                            method, url, body):
    theirs = call(client, charlie_key, method, url, body, alice_claim.pk)
    missing = call(client, charlie_key, method, url, body, alice_claim.pk + 1000)

    assert theirs.status_code == missing.status_code == 404
    assert theirs.json() == missing.json() == {
        "error": "not_found", "message": "No such claim.", "fields": {}}
    claim = Claim.objects.get(pk=alice_claim.pk)
    assert claim.status == Status.REGISTERED
    assert list(Event.objects.filter(claim=claim).values_list("kind", flat=True)) == [
        "registered"]
    assert list(LedgerEntry.objects.filter(claim=claim).values_list("kind", flat=True)) == [
        "capital"]


def test_the_list_shows_nothing_of_alices(client, alice_claim, charlie_key):
    response = client.get("/api/v1/claims", HTTP_AUTHORIZATION=f"Bearer {charlie_key}")

    assert response.json() == {"items": [], "page": 1, "pages": 1, "count": 0}
    for status in ("registered", ""):
        filtered = client.get("/api/v1/claims", {"status": status},
                              HTTP_AUTHORIZATION=f"Bearer {charlie_key}")
        assert filtered.json()["count"] == 0


def test_alice_still_sees_her_claim(client, alice_claim, alice_key, charlie_key):
    response = client.get(f"/api/v1/claims/{alice_claim.pk}",
                          HTTP_AUTHORIZATION=f"Bearer {alice_key}")

    assert response.status_code == 200
