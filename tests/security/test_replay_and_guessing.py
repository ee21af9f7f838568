"""Replayed payment callbacks book once, changed ones are refused; guessing the door of Mitt
Ärende or an API key is refused and tells nothing.

Already covered elsewhere, over the providers' simulators on a live server (not repeated here):
Swish's callback told twice / forged (tests/payments/test_swish_flow.py), Trustly's
notification told twice / forged (tests/payments/test_trustly_flow.py), the card webhook
redelivered by the provider and replayed after the tolerance (tests/payments/test_card_flow.py),
the door's failure counters per address, per case number and per IPv6 /64
(tests/debtors/test_open_case.py), every wrong-key shape at every endpoint
(tests/api/test_auth.py). What follows is the attacker's view, fast and without a server.
"""

import json
import re
import time

import pytest

from claims.models import Claim, LedgerEntry
from creditors.services import api_key_revoke
from debtors import portal
from payments.card import SIGNATURE_HEADER, sign_webhook
from payments.models import IncomingPayment, PaymentRequest

pytestmark = pytest.mark.django_db

SECRET = "whsec-security"


@pytest.fixture
def card_on(settings):
    settings.CARD_BASE_URL = "http://card.invalid"  # never called: a webhook needs no answer
    settings.CARD_WEBHOOK_SECRET = SECRET


def webhook(client, request, *, amount_ore=None, session_id=None, event_id="evt_1",
            status="paid", secret=SECRET, timestamp=None):
    body = json.dumps({"id": event_id, "type": f"payment.{status}", "created": int(time.time()),
                       "data": {"session_id": session_id or request.provider_id,
                                "amount": request.amount_ore if amount_ore is None
                                else amount_ore, "currency": "SEK",
                                "reference": request.payee_reference, "status": status}})
    header = sign_webhook(body=body.encode(), secret=secret,
                          timestamp=timestamp or int(time.time()))
    return client.post(f"/betalning/kort/webhook/{request.instruction_id}/", body,
                        content_type="application/json", **{
                            "HTTP_" + SIGNATURE_HEADER.upper().replace("-", "_"): header})


def bookings(claim) -> int:
    return LedgerEntry.objects.filter(claim=claim, kind=LedgerEntry.Kind.PAYMENT).count()


def test_the_same_card_webhook_twice_books_once(client, world, card_on):
    request, claim = world["payment_request"], world["claim"]
    assert webhook(client, request).status_code == 200
    assert webhook(client, request).status_code == 200  # told again: answered, not booked
    assert webhook(client, request, event_id="evt_2").status_code == 200  # another event id
    request.refresh_from_db()
    assert request.status == PaymentRequest.Status.PAID
    assert IncomingPayment.objects.count() == 1 and bookings(claim) == 1
    assert IncomingPayment.objects.get().amount_ore == 10_000


def test_a_card_webhook_with_a_changed_amount_is_refused(client, world, card_on):
    request, claim = world["payment_request"], world["claim"]
    for amount in (1_000_000, 9_999, 0, -10_000):
        assert webhook(client, request, amount_ore=amount).status_code == 400, amount
    assert webhook(client, request, session_id="cs_charlie").status_code == 400
    assert webhook(client, request, secret="guessed").status_code == 400
    assert webhook(client, request, timestamp=int(time.time()) - 3600).status_code == 400
    request.refresh_from_db()
    assert request.status == PaymentRequest.Status.CREATED
    assert not IncomingPayment.objects.exists() and bookings(claim) == 0
    # ...and after the real one, a changed copy adds nothing.
    assert webhook(client, request).status_code == 200
    assert webhook(client, request, amount_ore=1_000_000, event_id="evt_9").status_code == 400
    assert IncomingPayment.objects.count() == 1 and bookings(claim) == 1


def test_a_webhook_for_another_claim_s_request_cannot_be_steered(client, world, card_on):
    """The instruction id in the address picks the row; a body about another session (of
    another claim) is refused, so one payment cannot be booked on the wrong claim."""
    other = PaymentRequest.objects.create(
        claim=world["other"], channel="card", instruction_id="B" * 32, amount_ore=10_000,
        payee_reference=world["other"].ocr, provider_id="cs_other")
    assert webhook(client, other, session_id=world["payment_request"].provider_id) \
        .status_code == 400
    assert not IncomingPayment.objects.exists()
    assert Claim.objects.get(pk=world["other"].pk).status == world["other"].status


@pytest.fixture
def swish_request(world, settings):
    # Nobody listens there: a callback can only be booked on what Swish itself says.
    settings.SWISH_BASE_URL = "http://127.0.0.1:9/swish"
    settings.SWISH_TIMEOUT = 0.5
    claim = world["claim"]
    return PaymentRequest.objects.create(
        claim=claim, channel="swish", instruction_id="C" * 32, amount_ore=12_345,
        payee_reference=claim.ocr)


def swish_callback(client, request, **overrides):
    body = {"id": request.instruction_id, "payeePaymentReference": request.payee_reference,
            "paymentReference": "1E2FC19E5E5E4E18916609B7F8911C12", "amount": 123.45,
            "currency": "SEK", "status": "PAID", "datePaid": "2026-02-20T14:29:55.093Z",
            **overrides}
    return client.post(f"/betalning/swish/callback/{request.instruction_id}/",
                       json.dumps(body), content_type="application/json")


def test_a_swish_callback_with_a_changed_amount_is_refused(client, world, swish_request):
    for amount in (1234.50, 1.00, 123.46, 0):
        assert swish_callback(client, swish_request, amount=amount).status_code == 400
    assert swish_callback(client, swish_request, currency="EUR").status_code == 400
    assert swish_callback(client, swish_request, id="D" * 32).status_code == 400
    swish_request.refresh_from_db()
    assert swish_request.status == PaymentRequest.Status.CREATED
    assert not IncomingPayment.objects.exists() and bookings(world["claim"]) == 0


def test_a_well_formed_swish_callback_alone_books_nothing(client, world, swish_request):
    """Forged or replayed with the right shape: still nothing is booked until Swish's own
    status read says paid (here Swish cannot be reached: 503, asked to try again)."""
    assert swish_callback(client, swish_request).status_code == 503
    assert swish_callback(client, swish_request).status_code == 503
    swish_request.refresh_from_db()
    assert swish_request.status == PaymentRequest.Status.CREATED
    assert not IncomingPayment.objects.exists() and bookings(world["claim"]) == 0


# --- guessing Mitt Ärende's door -------------------------------------------------------------


def door(client, case_number, ocr, address="203.0.113.7"):
    return client.post("/mitt-arende/", {"case_number": case_number, "ocr": ocr},
                       REMOTE_ADDR=address)


def test_a_wrong_case_number_and_a_wrong_ocr_get_the_same_answer(client, world):
    claim = world["claim"]
    wrong_ocr_value = claim.ocr[:-1] + str((int(claim.ocr[-1]) + 1) % 10)
    wrong_case = door(client, str(int(claim.case_number) + 1000), claim.ocr)
    wrong_ocr = door(client, claim.case_number, wrong_ocr_value, "203.0.113.8")
    assert wrong_case.status_code == wrong_ocr.status_code == 400
    # The same error, on the form as a whole: neither field is pointed at.
    assert wrong_case.context["form"].errors == wrong_ocr.context["form"].errors
    assert list(wrong_case.context["form"].errors) == ["__all__"]
    # And the page is the same but for the numbers typed back into the fields.
    def page(response, case_number, ocr):
        text = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "",
                      response.content.decode())
        return text.replace(case_number, "N").replace(ocr, "O")

    assert page(wrong_case, str(int(claim.case_number) + 1000), claim.ocr) == \
        page(wrong_ocr, claim.case_number, wrong_ocr_value)
    assert "mitt_arende" not in client.session


def test_after_the_limit_per_address_even_the_right_numbers_are_refused(client, world):
    claim = world["claim"]
    for n in range(portal.MAX_FAILURES):
        assert door(client, str(900000 + n), "1234567890").status_code == 400
    # Blocked: the right numbers get the same "wait" as any guess, so nothing is learnt.
    right, wrong = door(client, claim.case_number, claim.ocr), door(client, "1", "1")
    assert right.status_code == wrong.status_code == 429
    assert "mitt_arende" not in client.session
    # Another address is not blocked.
    assert door(client, claim.case_number, claim.ocr, "198.51.100.1").status_code == 302


def test_after_the_limit_per_case_number_no_address_gets_in(client, world):
    claim = world["claim"]
    for n in range(portal.MAX_FAILURES):
        assert door(client, claim.case_number, str(1000 + n), f"198.51.100.{n}").status_code \
            == 400
    assert door(client, claim.case_number, claim.ocr, "192.0.2.200").status_code == 429
    assert "mitt_arende" not in client.session
    # The other case, from a fresh address, still opens: the block is that case number's.
    other = world["other"]
    assert door(client, other.case_number, other.ocr, "192.0.2.201").status_code == 302


def test_guessing_case_ids_in_the_address_finds_nothing(visitor, world):
    """Once in, walking the ids in the address finds only 404s: existing or not, the same."""
    own = world["claim"].pk
    answers = {visitor.get(f"/mitt-arende/arenden/{pk}/").status_code
               for pk in range(1, own + 20) if pk != own}
    assert answers == {404}


def test_guessing_invitation_tokens_finds_nothing(client, world):
    answers = {client.get(f"/inbjudan/{token}/").status_code
               for token in ("1", "a" * 43, "../../etc/passwd", "' OR 1=1 --")}
    assert answers == {404}


# --- guessing API keys -----------------------------------------------------------------------


def test_a_wrong_and_a_revoked_key_get_the_same_401(client, world, alice_key):
    def ask(header):
        response = client.get("/api/v1/claims", HTTP_AUTHORIZATION=header)
        return response.status_code, response.json(), response.get("WWW-Authenticate")

    prefix = alice_key[:12]
    wrong = ask(f"Bearer {prefix}{'x' * (len(alice_key) - 12)}")  # right prefix, wrong rest
    unknown = ask("Bearer ek_doesnotexist0000000000000000")
    api_key_revoke(key=world["key"].__class__.objects.get(creditor=world["claim"].creditor,
                                                          name="Fortnox"))
    revoked = ask(f"Bearer {alice_key}")
    assert wrong == unknown == revoked
    assert wrong[0] == 401
    assert "revok" not in json.dumps(wrong[1]).lower()
