"""Idempotency-Key on every POST of /api/v1: a retry gets the first response and writes nothing;
another request with the key is a 422, a concurrent one a 409; keys are per creditor, and
charlie, using the same key string, gets his own result and sees nothing of alice's."""

import json
import threading
from datetime import timedelta
from unittest import mock

import pytest
from django.db import connection, connections
from django.test import Client
from django.utils import timezone

from claims import api as claims_api
from claims.models import Claim, Event, Invoice, LedgerEntry, Status, Step
from debtors.models import Debtor
from ekrav import tasks
from ekrav.models import AuditEntry, IdempotencyKey
from letters.models import Letter
from tests.api.test_create_claim import claim_body
from tests.api.test_payments import yesterday

KEY = "3f1c2a9e-7b7d-4c1e-9a55-2d6f0c1b8e41"
WRITTEN = (Claim, Invoice, Debtor, Event, LedgerEntry, Step, Letter, AuditEntry)


def post(client, api_key, path, body, key=KEY, **extra):
    data = body if isinstance(body, str) else json.dumps(body)
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    return client.post(f"/api/v1{path}", data, content_type="application/json",
                       HTTP_AUTHORIZATION=f"Bearer {api_key}", **headers, **extra)


def counts() -> dict:
    return {model.__name__: model.objects.count() for model in WRITTEN}


def assert_replay_of(retry, first):
    assert retry.status_code == first.status_code
    assert retry.content == first.content
    assert retry["Content-Type"] == first["Content-Type"] == "application/json; charset=utf-8"
    assert retry["Idempotent-Replayed"] == "true"
    assert retry["Content-Language"] == "en"
    assert not first.has_header("Idempotent-Replayed")


def test_a_retried_claim_create_returns_the_same_claim_and_creates_nothing(
        client, alice_key, charlie_co):
    first = post(client, alice_key, "/claims", claim_body())
    assert first.status_code == 201, first.content
    written = counts()

    retry = post(client, alice_key, "/claims", claim_body())

    assert_replay_of(retry, first)
    assert retry.json()["id"] == first.json()["id"]
    assert counts() == written  # the audit trail too: a replay is no new change
    claim = Claim.objects.get()
    assert claim.invoices.count() == 1
    assert LedgerEntry.objects.filter(claim=claim, kind=LedgerEntry.Kind.CAPITAL).count() == 1
    assert IdempotencyKey.objects.get().scope == f"creditor:{claim.creditor_id}"


def test_without_a_key_a_retry_is_a_new_request(client, alice_key, charlie_co):
    first = post(client, alice_key, "/claims", claim_body(), key=None)
    retry = post(client, alice_key, "/claims", claim_body(), key=None)

    assert first.status_code == 201
    assert retry.status_code == 422 and retry.json()["error"] == "duplicate_invoice"
    assert not IdempotencyKey.objects.exists()


def test_a_retried_withdrawal_replays_the_first_answer(client, alice_claim, alice_key):
    first = post(client, alice_key, f"/claims/{alice_claim.pk}/withdraw", {"reason": "Paid"})
    assert first.status_code == 200, first.content
    written = counts()

    retry = post(client, alice_key, f"/claims/{alice_claim.pk}/withdraw", {"reason": "Paid"})

    assert_replay_of(retry, first)  # 200 with the claim, not the 409 of a closed claim
    assert counts() == written
    assert Claim.objects.get(pk=alice_claim.pk).status == Status.WITHDRAWN


def test_a_retried_payment_is_booked_once(client, alice_claim, alice_key):
    body = {"amount": "100.00", "paid_on": yesterday()}
    first = post(client, alice_key, f"/claims/{alice_claim.pk}/payments", body)
    assert first.status_code == 201, first.content
    written = counts()

    retry = post(client, alice_key, f"/claims/{alice_claim.pk}/payments", body)

    assert_replay_of(retry, first)
    assert counts() == written
    assert LedgerEntry.objects.filter(claim=alice_claim,
                                      kind=LedgerEntry.Kind.DIRECT_PAYMENT).count() == 1
    # A new key is a new payment.
    again = post(client, alice_key, f"/claims/{alice_claim.pk}/payments", body, key="second")
    assert again.status_code == 201 and not again.has_header("Idempotent-Replayed")
    assert LedgerEntry.objects.filter(claim=alice_claim,
                                      kind=LedgerEntry.Kind.DIRECT_PAYMENT).count() == 2


@pytest.mark.parametrize("path, body", [
    ("/claims", claim_body(invoice_number="F-2")),  # another body
    ("/claims/{id}/withdraw", claim_body()),  # another path
])
def test_the_same_key_with_another_request_is_a_422(client, alice_key, charlie_co, path, body):
    first = post(client, alice_key, "/claims", claim_body())
    written = counts()

    other = post(client, alice_key, path.format(id=first.json()["id"]), body)

    assert first.status_code == 201
    assert other.status_code == 422
    assert other.json() == {
        "error": "idempotency_key_reused", "fields": {},
        "message": "This Idempotency-Key was used with a different request: use a new key "
                   "for a new request."}
    assert counts() == written


def test_charlie_using_alices_key_gets_his_own_result(client, alice_key, charlie_key):
    alices = post(client, alice_key, "/claims", claim_body())
    charlies = post(client, charlie_key, "/claims", claim_body(invoice_number="C-1"))

    assert alices.status_code == charlies.status_code == 201
    assert not charlies.has_header("Idempotent-Replayed")
    assert charlies.json()["id"] != alices.json()["id"]
    assert charlies.json()["invoice_number"] == "C-1"
    assert Claim.objects.count() == 2
    # And each one's retry is his own.
    assert post(client, charlie_key, "/claims", claim_body(invoice_number="C-1")).content == \
        charlies.content
    assert post(client, alice_key, "/claims", claim_body()).content == alices.content
    assert IdempotencyKey.objects.filter(key=KEY).count() == 2


def test_charlie_cannot_replay_alices_response_with_her_key_and_body(client, alice_claim,
                                                                     alice_key, charlie_key):
    post(client, alice_key, f"/claims/{alice_claim.pk}/withdraw", {"reason": "Paid"})

    charlies = post(client, charlie_key, f"/claims/{alice_claim.pk}/withdraw", {"reason": "Paid"})

    assert charlies.status_code == 404
    assert charlies.json()["error"] == "not_found"
    assert not charlies.has_header("Idempotent-Replayed")


def test_a_validation_error_is_kept_and_replayed(client, alice_key, charlie_co):
    bad = claim_body(amount="-5")
    first = post(client, alice_key, "/claims", bad)
    assert first.status_code == 422 and first.json()["error"] == "validation_error"

    assert_replay_of(post(client, alice_key, "/claims", bad), first)
    reused = post(client, alice_key, "/claims", claim_body())
    assert reused.json()["error"] == "idempotency_key_reused"
    assert not Claim.objects.exists()


def test_a_schema_error_and_bad_json_are_kept_too(client, alice_key, charlie_co):
    for body in ({"debtor": None}, '{"not json'):
        first = post(client, alice_key, "/claims", body, key=f"k-{body}")
        assert first.status_code in (400, 422)
        assert_replay_of(post(client, alice_key, "/claims", body, key=f"k-{body}"), first)


def test_an_authentication_error_is_not_kept(client, alice_key, charlie_co):
    refused = post(client, "ekrav_wrong", "/claims", claim_body())
    assert refused.status_code == 401 and refused.json()["error"] == "unauthorized"

    first = post(client, alice_key, "/claims", claim_body())

    assert first.status_code == 201 and not first.has_header("Idempotent-Replayed")


def test_a_server_error_is_not_kept_and_writes_nothing(alice_key, charlie_co):
    client = Client(raise_request_exception=False)
    real = claims_api.invoice_register

    def fails_after_writing(**kwargs):
        real(**kwargs)
        raise RuntimeError("the disk is full")

    with mock.patch.object(claims_api, "invoice_register", fails_after_writing):
        failed = post(client, alice_key, "/claims", claim_body())
    assert failed.status_code == 500
    assert not Claim.objects.exists() and not IdempotencyKey.objects.exists()

    retry = post(client, alice_key, "/claims", claim_body())

    assert retry.status_code == 201 and not retry.has_header("Idempotent-Replayed")
    assert Claim.objects.count() == 1


@pytest.mark.parametrize("key", ["", "x" * 256, "nyckel-å", "tab\tkey"])
def test_a_malformed_key_is_a_400(client, alice_key, charlie_co, key):
    response = post(client, alice_key, "/claims", claim_body(), key=key)

    assert response.status_code == 400
    assert response.json()["error"] == "idempotency_key_invalid"
    assert response.json()["fields"] == {}
    assert not Claim.objects.exists()


def test_a_key_of_255_printable_characters_is_fine(client, alice_key, charlie_co):
    key = ("~ !" * 85)
    first = post(client, alice_key, "/claims", claim_body(), key=key)

    assert first.status_code == 201
    assert_replay_of(post(client, alice_key, "/claims", claim_body(), key=key), first)


def test_reads_ignore_the_header(client, alice_claim, alice_key):
    response = client.get(f"/api/v1/claims/{alice_claim.pk}", HTTP_IDEMPOTENCY_KEY="",
                          HTTP_AUTHORIZATION=f"Bearer {alice_key}")

    assert response.status_code == 200
    assert not IdempotencyKey.objects.exists()


def test_an_expired_key_is_cleaned_up_and_new_again(client, alice_key, charlie_co):
    first = post(client, alice_key, "/claims", claim_body())
    IdempotencyKey.objects.update(created_at=timezone.now() - timedelta(hours=25))

    tasks.idempotency_keys_expire_task()

    assert not IdempotencyKey.objects.exists()
    again = post(client, alice_key, "/claims", claim_body())  # a new request, not a replay
    assert first.status_code == 201
    assert again.status_code == 422 and again.json()["error"] == "duplicate_invoice"
    assert not again.has_header("Idempotent-Replayed")


def test_an_expired_key_not_yet_cleaned_up_is_new_again(client, alice_claim, alice_key):
    body = {"amount": "10.00", "paid_on": yesterday()}
    post(client, alice_key, f"/claims/{alice_claim.pk}/payments", body)
    IdempotencyKey.objects.update(created_at=timezone.now() - timedelta(hours=24, seconds=1))

    again = post(client, alice_key, f"/claims/{alice_claim.pk}/payments", body)

    assert again.status_code == 201 and not again.has_header("Idempotent-Replayed")
    assert IdempotencyKey.objects.count() == 1
    assert IdempotencyKey.objects.get().created_at > timezone.now() - timedelta(minutes=1)


def test_every_post_documents_the_header(client, db):
    schema = client.get("/api/openapi.json").json()
    posts = [(path, ops["post"]) for path, ops in schema["paths"].items() if "post" in ops]

    assert len(posts) >= 3
    for path, operation in posts:
        header = [p for p in operation["parameters"] if p["name"] == "Idempotency-Key"]
        assert header and header[0]["in"] == "header" and not header[0]["required"], path
        assert "409" in operation["responses"], path
    for ops in schema["paths"].values():
        if "get" in ops:
            assert all(p["name"] != "Idempotency-Key" for p in ops["get"].get("parameters", []))
    description = schema["info"]["description"]
    for code in ("idempotency_key_invalid", "idempotency_key_in_use", "idempotency_key_reused",
                 "Idempotent-Replayed"):
        assert code in description


# --- Two requests at once (PostgreSQL: SQLite runs one writing transaction at a time) -----------


@pytest.mark.django_db(transaction=True)
def test_a_concurrent_request_with_the_key_is_a_409(alice_co, alice_key, charlie_co,
                                                    charlie_key):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite cannot hold two writing requests at once")
    inside, release = threading.Event(), threading.Event()
    real = claims_api.invoice_register

    def slow_first(**kwargs):
        if not inside.is_set():
            inside.set()
            assert release.wait(30)
        return real(**kwargs)

    for api_key in (alice_key, charlie_key):
        # Mark the keys used first: the request that records a key's use holds that row until
        # it commits, and would hold the second request up before it reached its key.
        Client().get("/api/v1/claims", HTTP_AUTHORIZATION=f"Bearer {api_key}")
    answers = {}

    def first_request():
        try:
            answers["first"] = post(Client(), alice_key, "/claims", claim_body())
        finally:
            connections.close_all()

    with mock.patch.object(claims_api, "invoice_register", slow_first):
        thread = threading.Thread(target=first_request)
        thread.start()
        try:
            assert inside.wait(30)
            during = post(Client(), alice_key, "/claims", claim_body())
            charlies = post(Client(), charlie_key, "/claims", claim_body(invoice_number="C-1"))
        finally:
            release.set()
            thread.join(30)

    assert during.status_code == 409
    assert during.json()["error"] == "idempotency_key_in_use"
    assert charlies.status_code == 201  # his key, the same string, is his own
    first = answers["first"]
    assert first.status_code == 201, first.content
    assert_replay_of(post(Client(), alice_key, "/claims", claim_body()), first)
    assert Claim.objects.filter(creditor=alice_co).count() == 1
    assert Claim.objects.filter(creditor=charlie_co).count() == 1


def test_a_body_too_large_is_the_apis_own_400(client, alice_key, charlie_co, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100

    response = post(client, alice_key, "/claims", claim_body())

    assert response.status_code == 400
    assert response.json()["error"] == "bad_request"
    assert not IdempotencyKey.objects.exists()


def test_the_key_is_read_once_though_the_request_is_authenticated_twice(client, alice_key):
    """The Idempotency-Key's scope and the operation each authenticate the request; the key's
    row is read once (the request's memo, creditors.services.bearer_key_find)."""
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        assert post(client, alice_key, "/claims", claim_body()).status_code == 201
    key_reads = [q["sql"] for q in queries.captured_queries
                 if 'FROM "creditors_apikey"' in q["sql"] and q["sql"].startswith("SELECT")]
    assert len(key_reads) == 1, key_reads
