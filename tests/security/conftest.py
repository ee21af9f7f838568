"""What the security suite shares: alice's company with one of everything a route can name
(claims, an invoice, a letter, an objection with its attachment, a plan, an import, a payment
request, an API key, bob's membership, a settlement), charlie who must see none of it, and a
Mitt Ärende visitor who opened one of alice's cases with the numbers from its letter.

The objects are made directly where a service would need a provider or a calendar: the suite
is about who may reach them, not how they came about."""

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from claims.models import (Claim, ClaimImport, Dispute, DisputeAttachment, Invoice,
                           LedgerEntry, PaymentPlan, Step)
from claims.views_peppol import _batch_save
from creditors.models import ApiKey, Membership
from creditors.services import api_key_create
from debtors.models import Debtor
from letters.models import Letter
from payments.models import IncomingPayment, PaymentRequest, Settlement
from tests.conftest import another_debtor, register
from webhooks.models import WebhookDelivery, WebhookEndpoint
from webhooks.services import endpoint_ping

SECRET_NAME = "Ebba Hemligsson"

# The tables whose row counts say "nothing was written".
WATCHED = (Claim, Invoice, Debtor, LedgerEntry, Dispute, DisputeAttachment, PaymentPlan,
           ClaimImport, Letter, ApiKey, Membership, PaymentRequest, IncomingPayment,
           WebhookEndpoint, WebhookDelivery)


def row_counts() -> dict:
    return {model.__name__: model.objects.count() for model in WATCHED}


@pytest.fixture
def world(alice_co, alice, bob, charlie_co):
    """alice's objects by the names routes give their parameters (``ids``), and the objects."""
    # A name of her own: "Dan Gäldenär" is also the import page's example.
    claim = register(alice_co, alice, debtor_name=SECRET_NAME)
    other = register(alice_co, alice, invoice_number="F-2", **another_debtor(1))
    imported = ClaimImport.objects.create(creditor=alice_co, filename="a.csv", sha256="0" * 64,
                                          encoding="utf-8", delimiter=";")
    key, _secret = api_key_create(creditor=alice_co, name="k")
    step = Step.objects.create(claim=claim, kind="reminder", taken_on=claim.registered_on,
                               deadline=claim.registered_on)
    letter = Letter.objects.create(claim=claim, step=step, kind="reminder", state="sent",
                                   channel="print", letter_date=claim.registered_on,
                                   sent_on=claim.registered_on,
                                   pdf=ContentFile(b"%PDF-1.4 alice", name="r.pdf"))
    dispute = Dispute.objects.create(claim=other, received_on=other.registered_on,
                                     channel="post", reason="other", text="x",
                                     previous_status=other.status)
    attachment = DisputeAttachment.objects.create(
        dispute=dispute, name="kvitto.pdf", content_type="application/pdf", size=14,
        sha256="0" * 64, file=ContentFile(b"%PDF-1.4 alice", name="k.pdf"))
    plan = PaymentPlan.objects.create(claim=other, status="requested", months=12,
                                      first_due=other.registered_on, instalments=[],
                                      total_ore=100, requested_on=other.registered_on)
    settlement = Settlement.objects.create(
        creditor=alice_co, day=claim.registered_on, capital_ore=0, interest_ore=0, fees_ore=0,
        payout_ore=0, bankgiro="50501055", pdf=ContentFile(b"%PDF-1.4 alice", name="a.pdf"))
    payment_request = PaymentRequest.objects.create(
        claim=claim, channel="card", instruction_id="A" * 32, amount_ore=10_000,
        payee_reference=claim.ocr, provider_id="cs_alice")
    endpoint = WebhookEndpoint.objects.create(creditor=alice_co, url="https://erp.alicebygg.se/h")
    delivery = endpoint_ping(endpoint=endpoint, now=timezone.now())
    ids = {
        "endpoint_id": endpoint.pk, "delivery_id": delivery.pk,
        "claim_id": claim.pk, "id": claim.pk, "invoice_id": claim.invoices.get().pk,
        "import_id": imported.pk, "key_id": key.pk, "letter_id": letter.pk,
        "membership_id": Membership.objects.get(user=bob).pk, "settlement_id": settlement.pk,
        "dispute_id": dispute.pk, "attachment_id": attachment.pk, "plan_id": plan.pk,
        "instruction_id": payment_request.instruction_id,
        # An e-invoice upload of alice's waiting for her confirmation (claims.views_peppol).
        "batch": _batch_save(alice_co, [ContentFile(b"<Invoice/>", name="alice.xml")]),
        # Public by design, filled only so the route can be requested at all.
        "token": "no-such-invitation", "rest": f"v1/claims/{claim.pk}/anything",
    }
    return {"ids": ids, "claim": claim, "other": other, "key": key, "dispute": dispute,
            "plan": plan, "letter": letter, "payment_request": payment_request}


def open_case(client, claim):
    return client.post("/mitt-arende/", {"case_number": claim.case_number, "ocr": claim.ocr})


@pytest.fixture
def visitor(client, world):
    """A Mitt Ärende visitor who opened alice's first case (and only that one)."""
    assert open_case(client, world["claim"]).status_code == 302
    return client
