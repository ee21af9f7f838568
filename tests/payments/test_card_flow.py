"""Mitt Ärende's card payment over real HTTP: the portal opens a session at ekrav's hosted card
page simulator (served by the live server), the payer's choice there sends a signed webhook
back into ekrav. The webhook must be signed, about the session and amount created, and the
session id is the booking key, so nothing is ever booked twice."""

import json
import re
import time

import httpx
import pytest

from claims.models import Claim, LedgerEntry
from payments.card import SIGNATURE_HEADER, sign_webhook
from payments.models import IncomingPayment, PaymentRequest
from tests.conftest import another_debtor
from tests.payments.conftest import kronor, outstanding
from tests.debtors.conftest import REGISTERED, TODAY, amount, register_on

SECRET = "whsec-flow"


@pytest.fixture
def sim(live_server, settings):
    settings.CARD_BASE_URL = live_server.url + "/sim/card"
    settings.CARD_API_KEY, settings.CARD_WEBHOOK_SECRET = "key-flow", SECRET
    settings.SITE_URL = live_server.url  # the simulator's webhook comes back into ekrav
    return settings.CARD_BASE_URL


def start(visitor, claim, amount_text):
    """The debtor's form: a 302 to the provider's hosted page, and the row it made."""
    response = visitor.post(f"/mitt-arende/arenden/{claim.pk}/kort/", {"amount": amount_text})
    assert response.status_code == 302, response.content.decode()[:2000]
    request = PaymentRequest.objects.get(channel="card", status="created")
    assert response["Location"].endswith(f"/sim/card/pay/{request.provider_id}")
    return request, response["Location"]


def choose(url, action):
    return httpx.post(url, data={"action": action}, follow_redirects=False, timeout=30)


def status_of(visitor, claim, request):
    response = visitor.get(f"/mitt-arende/arenden/{claim.pk}/kort/{request.instruction_id}"
                           "/status/")
    assert response.status_code == 200
    return re.search(r'data-status="(\w+)"', response.content.decode()).group(1)


def bookings(claim) -> int:
    return LedgerEntry.objects.filter(claim=claim, kind=LedgerEntry.Kind.PAYMENT).count()


def test_the_form_offers_what_is_left_to_pay(visitor, claim):
    owed = outstanding(visitor, claim)
    page = visitor.get(f"/mitt-arende/arenden/{claim.pk}/").content.decode()
    assert f'href="/mitt-arende/arenden/{claim.pk}/kort/"' in page
    form = visitor.get(f"/mitt-arende/arenden/{claim.pk}/kort/")
    assert form.status_code == 200 and amount(form, "outstanding") == owed
    assert f'value="{kronor(owed)}"' in form.content.decode()


def test_paid_is_booked_once_however_often_it_is_told(visitor, claim, sim):
    owed = outstanding(visitor, claim)
    request, pay_url = start(visitor, claim, kronor(owed))
    assert (request.amount_ore, request.payee_reference) == (owed, claim.ocr)
    assert status_of(visitor, claim, request) == "created"
    answer = choose(pay_url, "pay")
    wait = f"/mitt-arende/arenden/{claim.pk}/kort/{request.instruction_id}/"
    assert answer.status_code == 302 and answer.headers["Location"].endswith(wait)
    state = httpx.get(f"{sim}/_control/sessions/{request.provider_id}", timeout=30).json()
    assert [d["statusCode"] for d in state["deliveries"]] == [200]
    request.refresh_from_db()
    assert request.status == "paid" and request.finished_at
    payment = IncomingPayment.objects.get()
    assert request.incoming_payment == payment
    assert (payment.source, payment.external_id, payment.state, payment.amount_ore,
            payment.paid_on, payment.claim_id) == ("card", request.provider_id, "booked", owed,
                                                   TODAY, claim.pk)
    assert Claim.objects.get(pk=claim.pk).status == "paid"

    # Delivered again (the same signature, within the tolerance), the page polls: nothing more.
    again = httpx.post(f"{sim}/_control/redeliver/{request.provider_id}", timeout=30).json()
    assert [d["statusCode"] for d in again["deliveries"]] == [200]
    assert status_of(visitor, claim, request) == "paid"
    assert IncomingPayment.objects.count() == 1 and bookings(claim) == 1
    assert 'data-testid="card-paid"' in visitor.get(wait).content.decode()


def test_a_part_payment_leaves_the_rest(visitor, claim):
    owed = outstanding(visitor, claim)
    request, pay_url = start(visitor, claim, kronor(owed - 10_000))
    choose(pay_url, "pay")
    request.refresh_from_db()
    assert request.status == "paid" and request.amount_ore == owed - 10_000
    assert outstanding(visitor, claim) == 10_000


def test_declined_books_nothing(visitor, claim):
    owed = outstanding(visitor, claim)
    request, pay_url = start(visitor, claim, kronor(owed))
    assert choose(pay_url, "decline").status_code == 302
    request.refresh_from_db()
    assert request.status == "declined"
    assert status_of(visitor, claim, request) == "declined"
    assert not IncomingPayment.objects.exists() and bookings(claim) == 0
    assert outstanding(visitor, claim) == owed


def test_abandoned_books_nothing_and_the_poll_ends_it(visitor, claim):
    owed = outstanding(visitor, claim)
    request, pay_url = start(visitor, claim, kronor(owed))
    assert choose(pay_url, "abandon").status_code == 200
    assert status_of(visitor, claim, request) == "timeout"  # the session read: expired
    assert not IncomingPayment.objects.exists() and bookings(claim) == 0


def test_a_lost_webhook_is_completed_by_the_poll(visitor, claim, sim, settings):
    owed = outstanding(visitor, claim)
    settings.SITE_URL = "http://127.0.0.1:9"  # the webhook URL leads nowhere: it is lost
    request, pay_url = start(visitor, claim, kronor(owed))
    choose(pay_url, "pay")
    state = httpx.get(f"{sim}/_control/sessions/{request.provider_id}", timeout=30).json()
    assert state["deliveries"][0]["statusCode"] is None  # never arrived
    request.refresh_from_db()
    assert request.status == "created" and not IncomingPayment.objects.exists()
    assert status_of(visitor, claim, request) == "paid"
    assert status_of(visitor, claim, request) == "paid"
    assert IncomingPayment.objects.get().state == "booked" and bookings(claim) == 1


def test_a_forged_or_foreign_webhook_books_nothing(visitor, claim, live_server):
    owed = outstanding(visitor, claim)
    request, _pay_url = start(visitor, claim, kronor(owed))
    url = f"{live_server.url}/betalning/kort/webhook/{request.instruction_id}/"

    def event(session_id=request.provider_id, amount_ore=owed, currency="SEK"):
        return json.dumps({"id": "evt_forged", "type": "payment.paid", "created": int(time.time()),
                           "data": {"session_id": session_id, "amount": amount_ore,
                                    "currency": currency, "reference": claim.ocr,
                                    "status": "paid"}}).encode()

    def post(body, secret=SECRET, timestamp=None, target=url):
        header = sign_webhook(body=body, secret=secret, timestamp=timestamp or int(time.time()))
        return httpx.post(target, content=body, headers={SIGNATURE_HEADER: header}, timeout=30)

    assert post(event(), secret="guessed").status_code == 400
    assert post(event(), timestamp=int(time.time()) - 3600).status_code == 400  # a replay
    assert post(event(amount_ore=100)).status_code == 400
    assert post(event(session_id="cs_other")).status_code == 400
    assert post(event(currency="EUR")).status_code == 400
    assert httpx.post(url, content=event(), timeout=30).status_code == 400  # unsigned
    assert httpx.get(url, timeout=30).status_code == 405
    unknown = f"{live_server.url}/betalning/kort/webhook/{'B' * 32}/"
    assert post(event(), target=unknown).status_code == 404
    request.refresh_from_db()
    assert request.status == "created"
    assert not IncomingPayment.objects.exists() and bookings(claim) == 0


def test_what_cannot_be_asked_is_refused_on_the_form(visitor, claim):
    owed = outstanding(visitor, claim)
    for text in ("0,50", kronor(owed + 1), "abc"):
        response = visitor.post(f"/mitt-arende/arenden/{claim.pk}/kort/", {"amount": text})
        assert response.status_code == 400, text
    assert not PaymentRequest.objects.exists()


def test_the_provider_unreachable_is_told_and_nothing_is_booked(visitor, claim, settings):
    settings.CARD_BASE_URL = "http://127.0.0.1:9/sim/card"
    owed = outstanding(visitor, claim)
    response = visitor.post(f"/mitt-arende/arenden/{claim.pk}/kort/", {"amount": kronor(owed)})
    assert response.status_code == 400
    assert 'data-testid="card-error"' in response.content.decode()
    assert PaymentRequest.objects.get().status == "error"
    assert not IncomingPayment.objects.exists()


def test_another_case_s_payment_pages_are_not_there(visitor, claim, alice_co):
    other = register_on(alice_co, day=REGISTERED, invoice_number="F-2002", **another_debtor(1))
    mine, _pay_url = start(visitor, claim, "100,00")
    assert visitor.get(f"/mitt-arende/arenden/{other.pk}/kort/").status_code == 404
    assert visitor.post(f"/mitt-arende/arenden/{other.pk}/kort/",
                        {"amount": "100,00"}).status_code == 404
    for path in (f"{other.pk}/kort/{mine.instruction_id}/",
                 f"{other.pk}/kort/{mine.instruction_id}/status/"):
        assert visitor.get(f"/mitt-arende/arenden/{path}").status_code == 404
    # A Swish or Trustly address does not show a card request, nor the reverse.
    assert visitor.get(f"/mitt-arende/arenden/{claim.pk}/trustly/{mine.instruction_id}/"
                       ).status_code == 404
    assert PaymentRequest.objects.count() == 1


def test_without_an_access_the_pages_are_not_there(client, claim, sim):
    assert client.get(f"/mitt-arende/arenden/{claim.pk}/kort/").status_code == 404


def expire(request, after, client):
    """The beat's run ``after`` the request was made, reading the sessions with ``client``."""
    from payments.services import payment_requests_expire

    return payment_requests_expire(now=request.created_at + after, today=TODAY,
                                   swish_client=None, card_client=client)


@pytest.fixture
def card_client(sim):
    from payments.card import CardClient

    client = CardClient.from_settings()
    yield client
    client.close()


def test_a_session_left_open_is_read_an_hour_on_and_given_up(visitor, claim, card_client):
    from datetime import timedelta

    request, _pay_url = start(visitor, claim, kronor(outstanding(visitor, claim)))
    assert expire(request, timedelta(minutes=50), card_client) == 0
    assert expire(request, timedelta(minutes=61), card_client) == 1  # read: still open
    request.refresh_from_db()
    assert request.status == "timeout" and request.finished_at
    assert expire(request, timedelta(days=30), card_client) == 0
    assert not IncomingPayment.objects.exists() and bookings(claim) == 0


def test_a_lost_webhook_is_completed_by_the_beat(visitor, claim, sim, settings, card_client):
    from datetime import timedelta

    owed = outstanding(visitor, claim)
    settings.SITE_URL = "http://127.0.0.1:9"  # the webhook URL leads nowhere: it is lost
    request, pay_url = start(visitor, claim, kronor(owed))
    choose(pay_url, "pay")  # and the payer never comes back to the waiting page
    assert expire(request, timedelta(hours=2), card_client) == 1
    request.refresh_from_db()
    assert request.status == "paid" and IncomingPayment.objects.get().state == "booked"
    assert bookings(claim) == 1


def test_a_provider_down_is_asked_again_and_given_up_after_a_week(visitor, claim, sim,
                                                                  settings):
    from datetime import timedelta

    from payments.card import CardClient

    request, _pay_url = start(visitor, claim, kronor(outstanding(visitor, claim)))
    down = CardClient(base_url="http://127.0.0.1:9", api_key="x", timeout=2)
    assert expire(request, timedelta(hours=2), down) == 0
    request.refresh_from_db()
    assert request.status == "created"
    assert expire(request, timedelta(days=8), down) == 1
    request.refresh_from_db()
    assert request.status == "timeout"


def test_a_late_webhook_books_what_the_beat_gave_up(visitor, claim, sim, card_client):
    from datetime import timedelta

    request, pay_url = start(visitor, claim, kronor(outstanding(visitor, claim)))
    assert expire(request, timedelta(hours=2), card_client) == 1
    assert choose(pay_url, "pay").status_code == 302  # the payer pays after all
    request.refresh_from_db()
    assert request.status == "paid" and bookings(claim) == 1
    assert expire(request, timedelta(days=30), card_client) == 0  # settled: left alone
    request.refresh_from_db()
    assert request.status == "paid"
