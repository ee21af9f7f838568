"""Mitt Ärende's Swish payment over real HTTP: the portal asks ekrav's Swish simulator (served by
the live server), which calls back into ekrav. The callback is a trigger, never the truth: it
must describe the request as created, the status is read again from Swish, and the payment
request id is the booking key, so nothing is ever booked twice."""

import json
import re
import time

import httpx
import pytest
import time_machine
from django.core import mail

from claims.models import Claim, LedgerEntry
from claims.services import claim_payment_receive
from payments.models import IncomingPayment, PaymentRequest
from payments.notices import payment_notices_send
from tests.conftest import another_debtor
from tests.payments.conftest import kronor, outstanding
from tests.debtors.conftest import REGISTERED, TODAY, amount, register_on

PHONE_PAYS = "070-123 45 67"      # last digit 7: the simulated payer pays
PHONE_DECLINES = "070-123 45 61"  # 1: declines
PHONE_FAILS = "070-123 45 62"     # 2: ERROR
PHONE_SILENT = "070-123 45 63"    # 3: never answers (no callback)
PHONE_UNKNOWN = "070-123 45 64"   # 4: not enrolled (ACMT03 at once)


@pytest.fixture
def sim(live_server, settings):
    settings.SWISH_BASE_URL = live_server.url + "/sim/swish"
    settings.SITE_URL = live_server.url  # the simulator calls back into ekrav
    return live_server.url + "/sim/swish"


def control(sim, path, body=None):
    answer = httpx.post(f"{sim}/_control/{path}", json=body, timeout=30)
    assert answer.status_code == 200, answer.text
    return answer.json()


def hold_outcome(sim, outcome="paid"):
    """The next request ends only when the test says (``_control/pay``): no background callback
    races the test's own steps."""
    control(sim, "next", {"outcome": outcome, "delay": 60})


def start(visitor, claim, *, amount_text=None, phone=PHONE_PAYS, mode="number"):
    data = {"mode": mode, "phone": phone}
    if amount_text is not None:
        data["amount"] = amount_text
    return visitor.post(f"/mitt-arende/arenden/{claim.pk}/swish/", data)


def started(response, claim) -> PaymentRequest:
    assert response.status_code == 302, response.content.decode()[:2000]
    instruction_id = re.fullmatch(rf"/mitt-arende/arenden/{claim.pk}/swish/([0-9A-F]{{32}})/",
                                  response["Location"]).group(1)
    return PaymentRequest.objects.get(instruction_id=instruction_id)


def status_of(visitor, claim, request: PaymentRequest):
    response = visitor.get(f"/mitt-arende/arenden/{claim.pk}/swish/{request.instruction_id}"
                           "/status/")
    assert response.status_code == 200
    return re.search(r'data-status="(\w+)"', response.content.decode()).group(1)


def bookings(claim) -> int:
    return LedgerEntry.objects.filter(claim=claim, kind=LedgerEntry.Kind.PAYMENT).count()


def test_the_form_offers_what_is_left_to_pay(visitor, claim):
    owed = outstanding(visitor, claim)
    page = visitor.get(f"/mitt-arende/arenden/{claim.pk}/")
    assert f'href="/mitt-arende/arenden/{claim.pk}/swish/"' in page.content.decode()
    form = visitor.get(f"/mitt-arende/arenden/{claim.pk}/swish/")
    assert form.status_code == 200
    assert amount(form, "outstanding") == owed
    assert f'value="{owed // 100},{owed % 100:02d}"' in form.content.decode()


def test_a_paid_request_is_booked_once_however_often_it_is_told(visitor, claim, sim,
                                                                live_server):
    owed = outstanding(visitor, claim)
    hold_outcome(sim)
    request = started(start(visitor, claim, amount_text=kronor(owed)), claim)
    assert (request.status, request.amount_ore, request.payer_alias, request.payee_reference) \
        == ("created", owed, "46701234567", claim.ocr)
    assert status_of(visitor, claim, request) == "created"

    paid = control(sim, f"pay/{request.instruction_id}")
    assert paid["callback"]["statusCode"] == 200
    request.refresh_from_db()
    assert request.status == "paid" and request.finished_at and request.payment_reference
    payment = IncomingPayment.objects.get()
    assert request.incoming_payment == payment
    assert (payment.source, payment.external_id, payment.state, payment.matched_by,
            payment.amount_ore, payment.paid_on, payment.claim_id) == (
        "swish", request.instruction_id, "booked", "ocr", owed, TODAY, claim.pk)
    assert Claim.objects.get(pk=claim.pk).status == "paid"

    # Swish delivers again, someone replays the callback, the page polls: nothing more.
    assert control(sim, f"redeliver/{request.instruction_id}")["callback"]["statusCode"] == 200
    body = json.dumps(paid["paymentRequest"]).encode()
    url = f"{live_server.url}/betalning/swish/callback/{request.instruction_id}/"
    assert httpx.post(url, content=body, timeout=30).status_code == 200
    assert status_of(visitor, claim, request) == "paid"
    assert IncomingPayment.objects.count() == 1 and bookings(claim) == 1
    # The creditor is told once (queued on commit; sent here if no worker has yet).
    payment_notices_send()
    assert payment_notices_send() == 0 and len(mail.outbox) == 1
    assert str(owed // 100) in mail.outbox[0].body.replace("\xa0", "").replace(" ", "")
    page = visitor.get(f"/mitt-arende/arenden/{claim.pk}/swish/{request.instruction_id}/")
    assert 'data-testid="swish-paid"' in page.content.decode()


@pytest.mark.parametrize("phone, status, code", [(PHONE_DECLINES, "declined", ""),
                                                 (PHONE_FAILS, "error", "FF10")])
def test_declined_or_failed_books_nothing(visitor, claim, sim, phone, status, code):
    owed = outstanding(visitor, claim)
    control(sim, "next", {"outcome": status, "delay": 60,
                          **({"errorCode": code} if code else {})})
    request = started(start(visitor, claim, amount_text=kronor(owed), phone=phone), claim)
    assert control(sim, f"pay/{request.instruction_id}")["callback"]["statusCode"] == 200
    request.refresh_from_db()
    assert (request.status, request.error_code) == (status, code)
    assert status_of(visitor, claim, request) == status
    assert not IncomingPayment.objects.exists() and bookings(claim) == 0
    assert outstanding(visitor, claim) == owed


def test_the_payer_s_last_digit_decides_without_the_test_s_help(visitor, claim, sim):
    """The simulator's own plan (declines on 1), its own background callback."""
    owed = outstanding(visitor, claim)
    request = started(start(visitor, claim, amount_text=kronor(owed), phone=PHONE_DECLINES),
                      claim)
    deliveries = []
    for _ in range(100):
        deliveries = httpx.get(f"{sim}/_control/paymentrequests/{request.instruction_id}",
                               timeout=30).json()["deliveries"]
        if deliveries:
            break
        time.sleep(0.1)  # real time: the simulator's thread sleeps ~2 s, then calls back
    assert deliveries and deliveries[0]["statusCode"] == 200
    request.refresh_from_db()
    assert request.status == "declined"
    assert not IncomingPayment.objects.exists()


def test_a_forged_callback_is_refused_and_books_nothing(visitor, claim, sim, live_server):
    owed = outstanding(visitor, claim)
    hold_outcome(sim)
    request = started(start(visitor, claim, amount_text=kronor(owed)), claim)
    state = httpx.get(f"{sim}/_control/paymentrequests/{request.instruction_id}",
                      timeout=30).json()["paymentRequest"]
    url = f"{live_server.url}/betalning/swish/callback/{request.instruction_id}/"
    forged = {**state, "status": "PAID", "datePaid": "2026-04-27T10:00:00.000Z",
              "paymentReference": "F" * 32}

    for wrong in ({"amount": 1.00}, {"id": "A" * 32}, {"payeePaymentReference": "999"},
                  {"currency": "EUR"}):
        answer = httpx.post(url, content=json.dumps({**forged, **wrong}).encode(), timeout=30)
        assert answer.status_code == 400, wrong
    assert httpx.post(url, content=b"not json", timeout=30).status_code == 400
    assert httpx.get(url, timeout=30).status_code == 405
    unknown = f"{live_server.url}/betalning/swish/callback/{'B' * 32}/"
    assert httpx.post(unknown, content=json.dumps(forged).encode(),
                      timeout=30).status_code == 404

    # The right amount but a status Swish does not say: read from Swish, still waiting.
    assert httpx.post(url, content=json.dumps(forged).encode(), timeout=30).status_code == 200
    request.refresh_from_db()
    assert request.status == "created"
    assert not IncomingPayment.objects.exists() and bookings(claim) == 0


def test_a_lost_callback_is_completed_by_the_poll(visitor, claim, sim, settings):
    owed = outstanding(visitor, claim)
    settings.SITE_URL = "http://127.0.0.1:9"  # the callback URL leads nowhere: it is lost
    request = started(start(visitor, claim, amount_text=kronor(owed), phone=PHONE_SILENT),
                      claim)
    assert request.payer_alias == "46701234563"
    assert status_of(visitor, claim, request) == "created"
    delivery = control(sim, f"pay/{request.instruction_id}", {"outcome": "paid"})["callback"]
    assert delivery["statusCode"] is None  # never arrived
    assert not IncomingPayment.objects.exists()

    assert status_of(visitor, claim, request) == "paid"
    assert status_of(visitor, claim, request) == "paid"
    assert IncomingPayment.objects.get().state == "booked" and bookings(claim) == 1


def test_a_part_payment_leaves_the_rest(visitor, claim, sim):
    owed = outstanding(visitor, claim)
    part = owed - 10_000
    hold_outcome(sim)
    request = started(start(visitor, claim, amount_text=kronor(part)), claim)
    control(sim, f"pay/{request.instruction_id}")
    request.refresh_from_db()
    assert request.status == "paid"
    assert Claim.objects.get(pk=claim.pk).status != "paid"
    assert outstanding(visitor, claim) == 10_000


def test_m_commerce_opens_swish_on_this_phone(visitor, claim, sim, live_server):
    owed = outstanding(visitor, claim)
    hold_outcome(sim)
    request = started(start(visitor, claim, amount_text=kronor(owed), phone="",
                            mode="this-device"), claim)
    assert request.payer_alias == "" and len(request.token) == 32
    page = visitor.get(f"/mitt-arende/arenden/{claim.pk}/swish/{request.instruction_id}/")
    html = page.content.decode()
    assert f'href="swish://paymentrequest?token={request.token}&amp;callbackurl=' in html
    assert "hx-trigger=\"every 2s\"" in html


@pytest.mark.parametrize("amount_text, phone", [
    ("0,50", PHONE_PAYS),        # under 1 kr
    ("999999,00", PHONE_PAYS),   # more than is owed
    (None, ""),                  # no number for e-commerce (amount is prefilled)
    (None, "12"),                # no mobile number
])
def test_what_cannot_be_asked_is_refused_on_the_form(visitor, claim, sim, amount_text, phone):
    owed = outstanding(visitor, claim)
    response = start(visitor, claim, amount_text=amount_text or kronor(owed), phone=phone)
    assert response.status_code == 400
    assert not PaymentRequest.objects.exists()


def test_swish_s_refusal_is_told_and_nothing_is_booked(visitor, claim, sim):
    owed = outstanding(visitor, claim)
    response = start(visitor, claim, amount_text=kronor(owed), phone=PHONE_UNKNOWN)
    assert response.status_code == 400
    assert 'data-testid="swish-error"' in response.content.decode()
    request = PaymentRequest.objects.get()
    assert (request.status, request.error_code) == ("error", "ACMT03")
    assert not IncomingPayment.objects.exists()


def test_swish_unreachable_is_told_and_nothing_is_booked(visitor, claim, settings):
    settings.SWISH_BASE_URL = "http://127.0.0.1:9/sim/swish"
    owed = outstanding(visitor, claim)
    response = start(visitor, claim, amount_text=kronor(owed))
    assert response.status_code == 400
    assert 'data-testid="swish-error"' in response.content.decode()
    assert PaymentRequest.objects.get().status == "error"
    assert not IncomingPayment.objects.exists()


def test_a_claim_closed_before_the_callback_leaves_the_payment_to_a_handler(visitor, claim,
                                                                            sim):
    owed = outstanding(visitor, claim)
    hold_outcome(sim)
    request = started(start(visitor, claim, amount_text=kronor(owed)), claim)
    with time_machine.travel(TODAY, tick=False):
        claim_payment_receive(claim=claim, amount_ore=owed, paid_on=TODAY, today=TODAY,
                              source="bgmax", external_id="paid-by-bank")
    assert Claim.objects.get(pk=claim.pk).status == "paid"
    control(sim, f"pay/{request.instruction_id}")
    request.refresh_from_db()
    payment = IncomingPayment.objects.get(source="swish")
    assert request.status == "paid" and request.incoming_payment == payment
    assert payment.state == "unmatched" and payment.note
    assert bookings(claim) == 1  # the bank payment only


def test_another_case_s_payment_pages_are_not_there(visitor, claim, sim, alice_co):
    other = register_on(alice_co, day=REGISTERED, invoice_number="F-2002", **another_debtor(1))
    hold_outcome(sim)
    mine = started(start(visitor, claim, amount_text="100,00"), claim)
    assert visitor.get(f"/mitt-arende/arenden/{other.pk}/swish/").status_code == 404
    assert start(visitor, other, amount_text="100,00").status_code == 404
    for path in (f"{other.pk}/swish/{mine.instruction_id}/",
                 f"{other.pk}/swish/{mine.instruction_id}/status/"):
        assert visitor.get(f"/mitt-arende/arenden/{path}").status_code == 404
    assert PaymentRequest.objects.count() == 1


def test_a_request_nobody_answered_is_read_and_ended_by_the_beat(visitor, claim, sim):
    from datetime import timedelta

    from payments import swish
    from payments.services import payment_requests_expire

    owed = outstanding(visitor, claim)
    request = started(start(visitor, claim, amount_text=kronor(owed), phone=PHONE_SILENT),
                      claim)
    client = swish.SwishClient.from_settings()

    def expire(after):
        return payment_requests_expire(now=request.created_at + after, today=TODAY,
                                       swish_client=client, card_client=None)

    assert expire(timedelta(minutes=2)) == 0  # the payer still has time
    assert status_of(visitor, claim, request) == "created"
    assert expire(timedelta(minutes=10)) == 1  # Swish still says CREATED: given up
    request.refresh_from_db()
    assert request.status == "timeout" and not IncomingPayment.objects.exists()

    # The payer pays late after all (the callback is the trigger, Swish's status the truth).
    control(sim, f"pay/{request.instruction_id}", {"outcome": "paid"})
    assert status_of(visitor, claim, request) == "paid" and bookings(claim) == 1
