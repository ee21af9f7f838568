"""The outbox: each event type written once at its source, in the source's transaction, only
for creditors with an endpoint that wants it. Charlie must see nothing of alice's."""

from datetime import date

import pytest
from django.db import transaction
from django.utils import timezone

from claims.collection import collect_until
from claims.models import Claim, Status
from claims.registration import parse_registration
from claims.services import (
    claim_payment_receive,
    claim_register,
    claim_register_many,
    claim_withdraw,
)
from letters.services import letters_deliver, letters_prepare, print_batch_close
from payments.settlements import settlements_run
from tests.conftest import another_debtor, registration_data
from webhooks.models import EventType, WebhookDelivery, WebhookEvent
from webhooks.services import endpoint_create, event_emit, status_changes_emit

pytestmark = pytest.mark.django_db

REGISTERED = date(2026, 4, 2)  # the tick's first step is on 7 April (tests/claims)
URL = "https://hooks.example.se/ekrav"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def public_dns(monkeypatch):
    """hooks.example.se resolves to a public address (no network in the tests)."""
    monkeypatch.setattr("socket.getaddrinfo",
                        lambda *a, **k: [(2, 1, 6, "", ("93.184.215.14", 443))])


def register_on(creditor, day=REGISTERED, **overrides):
    data = registration_data(invoice_date="2026-02-01", due_date="2026-03-01", **overrides)
    registration, errors = parse_registration(data, today=day)
    assert not errors, errors
    return claim_register(creditor=creditor, registration=registration, today=day)


def events(creditor, type_=None):
    found = WebhookEvent.objects.filter(creditor=creditor).order_by("id")
    return list(found.filter(type=type_) if type_ else found)


@pytest.fixture
def hooked(alice_co, alice):
    return endpoint_create(creditor=alice_co, url=URL, created_by=alice)


def test_nothing_is_written_without_an_endpoint(alice_co, charlie_co):
    endpoint_create(creditor=charlie_co, url=URL)  # charlie's, not alice's
    claim = register_on(alice_co)
    collect_until(until=date(2026, 4, 7))
    claim_payment_receive(claim=claim, amount_ore=1000, paid_on=date(2026, 4, 7),
                          today=date(2026, 4, 7), source="bgmax", external_id="X1")
    assert WebhookEvent.objects.count() == 0 and WebhookDelivery.objects.count() == 0


def test_claim_registered_once_per_invoice_with_the_api_fields(hooked, alice_co):
    claim = register_on(alice_co)
    [event] = events(alice_co)
    assert event.type == "claim.registered"
    payload = event.payload
    assert payload["id"] == event.public_id and payload["id"].startswith("evt_")
    assert payload["type"] == "claim.registered"
    assert payload["creditor"] == {"organisation_number": alice_co.organisation_number}
    assert payload["data"]["claim"] == {"id": claim.pk, "case_number": claim.case_number,
                                        "ocr": claim.ocr, "status": "registered"}
    assert payload["data"]["invoice"]["amount"] == "1234.50"
    assert payload["data"]["joined_existing_case"] is False
    assert WebhookDelivery.objects.get().endpoint == hooked


def test_the_bulk_registration_emits_one_event_per_invoice(hooked, alice_co, charlie_co):
    endpoint_create(creditor=charlie_co, url=URL)
    registrations = []
    for n in range(1, 4):
        data = registration_data(invoice_number=f"F-{n}", **another_debtor(n))
        registration, errors = parse_registration(data, today=timezone.localdate())
        assert not errors
        registrations.append(registration)
    claim_register_many(creditor=alice_co, registrations=registrations,
                        today=timezone.localdate())
    registered = events(alice_co, "claim.registered")
    assert sorted(e.payload["data"]["invoice"]["invoice_number"] for e in registered) == [
        "F-1", "F-2", "F-3"]
    assert events(charlie_co) == []  # charlie sees nothing of alice's


def test_the_tick_emits_each_status_change_and_the_decision_once(hooked, alice_co):
    claim = register_on(alice_co)
    collect_until(until=date(2026, 5, 31))
    collect_until(until=date(2026, 5, 31))  # again: nothing new
    changes = [(e.payload["data"]["previous_status"], e.payload["data"]["status"])
               for e in events(alice_co, "claim.status_changed")]
    assert changes == [("registered", "reminder_sent"), ("reminder_sent", "demand_sent"),
                       ("demand_sent", "awaiting_decision")]
    [needed] = events(alice_co, "claim.decision_needed")
    assert needed.payload["data"]["claim"]["id"] == claim.pk
    assert needed.payload["data"]["claim"]["status"] == "awaiting_decision"


def test_a_withdrawal_is_a_status_change(hooked, alice_co):
    claim = register_on(alice_co)
    claim_withdraw(claim=claim, reason="Betalt direkt", today=REGISTERED)
    [change] = events(alice_co, "claim.status_changed")
    assert change.payload["data"]["previous_status"] == "registered"
    assert change.payload["data"]["status"] == "withdrawn"


def test_a_payment_is_received_once_and_closes_the_claim(hooked, alice_co):
    claim = register_on(alice_co)
    for _ in range(2):  # the same BgMax payment read twice
        claim_payment_receive(claim=claim, amount_ore=500_000, paid_on=REGISTERED,
                              today=REGISTERED, source="bgmax", external_id="B1")
    [payment] = events(alice_co, "payment.received")
    data = payment.payload["data"]
    assert data["payment"]["source"] == "bgmax" and data["claim_paid_in_full"] is True
    assert data["payment"]["amount"] == "5000.00" and data["claim"]["status"] == "paid"
    [change] = events(alice_co, "claim.status_changed")
    assert change.payload["data"]["status"] == "paid"


def test_letters_sent_in_the_print_batch(hooked, alice_co):
    claim = register_on(alice_co)
    collect_until(until=date(2026, 4, 7))
    letters_prepare(today=date(2026, 4, 7))
    letters_deliver(today=date(2026, 4, 7))  # no digital mailbox configured: to print
    assert events(alice_co, "letter.sent") == []
    print_batch_close(day=date(2026, 4, 7))
    [sent] = events(alice_co, "letter.sent")
    letter = sent.payload["data"]["letter"]
    assert sent.payload["data"]["claim"]["id"] == claim.pk
    assert letter["kind"] == "reminder" and letter["channel"] == "print"
    assert letter["sent_on"] == "2026-04-07"


def test_settlement_paid_once(hooked, alice_co, charlie_co):
    claim = register_on(alice_co)
    day = timezone.localdate()
    claim_payment_receive(claim=claim, amount_ore=50_000, paid_on=day, today=day,
                          source="bgmax", external_id="S1")
    settlements_run(day=day)
    settlements_run(day=day)
    [paid] = events(alice_co, "settlement.paid")
    assert paid.payload["data"]["settlement"]["payout"].endswith(".00") or \
        paid.payload["data"]["settlement"]["payout"]
    assert events(charlie_co) == []


def test_the_same_fact_twice_is_one_event(hooked, alice_co):
    for _ in range(2):
        event_emit(creditor=alice_co, type=EventType.SETTLEMENT_PAID, key="42",
                   data={"settlement": {"id": 42}})
    assert len(events(alice_co)) == 1 and WebhookDelivery.objects.count() == 1


def test_a_rolled_back_fact_sends_nothing(hooked, alice_co, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        with pytest.raises(RuntimeError):
            with transaction.atomic():
                register_on(alice_co)
                raise RuntimeError("the caller fails after the emit")
    assert WebhookEvent.objects.count() == 0 and callbacks == []


def test_the_delivery_is_queued_on_commit(hooked, alice_co, django_capture_on_commit_callbacks,
                                          monkeypatch):
    queued = []
    monkeypatch.setattr("webhooks.tasks.deliveries_send_task.delay", queued.append)
    with django_capture_on_commit_callbacks(execute=True):
        register_on(alice_co)
    assert queued == [[WebhookDelivery.objects.get().pk]]


def test_an_endpoint_gets_only_the_types_it_chose(alice_co):
    endpoint_create(creditor=alice_co, url=URL, event_types=["payment.received"])
    register_on(alice_co)
    assert events(alice_co) == []


def test_an_inactive_endpoint_gets_nothing(hooked, alice_co):
    hooked.is_active = False
    hooked.save()
    register_on(alice_co)
    assert events(alice_co) == []


def test_the_bulk_status_path_costs_one_query_without_endpoints(alice_co,
                                                                django_assert_num_queries):
    claim = register_on(alice_co)
    with django_assert_num_queries(1):
        status_changes_emit(claims=Claim.objects.filter(pk__in=[claim.pk]),
                            previous=Status.REGISTERED, on=REGISTERED)


def test_every_payload_matches_its_openapi_schema(hooked, alice_co, client):
    """One of every type, built at its source, validated against webhooks.schemas; and the
    API's OpenAPI document lists each type under ``webhooks``."""
    from webhooks.schemas import EVENTS
    from webhooks.services import endpoint_ping

    claim = register_on(alice_co)
    collect_until(until=date(2026, 4, 7))
    letters_prepare(today=date(2026, 4, 7))
    letters_deliver(today=date(2026, 4, 7))
    print_batch_close(day=date(2026, 4, 7))
    collect_until(until=date(2026, 5, 31))
    day = timezone.localdate()
    claim_payment_receive(claim=claim, amount_ore=1_000_000, paid_on=day, today=day,
                          source="bgmax", external_id="V1")
    settlements_run(day=day)
    endpoint_ping(endpoint=hooked, now=timezone.now())
    seen = set()
    for event in events(alice_co):
        EVENTS[event.type].model_validate(event.payload)
        seen.add(event.type)
    assert seen == {str(t) for t in EVENTS}
    document = client.get("/api/openapi.json").json()
    assert document["openapi"].startswith("3.1")
    assert set(document["webhooks"]) == seen
    ref = document["webhooks"]["payment.received"]["post"]["requestBody"]["content"][
        "application/json"]["schema"]["$ref"]
    assert ref.rsplit("/", 1)[1] in document["components"]["schemas"]
    assert "Ekrav-Signature" in document["info"]["description"]
