"""The card client against ekrav's hosted-payment-page simulator, over real HTTP (live server
and a test-owned webhook receiver): a session created, the payer paying, declining or walking
away, and the webhook check (HMAC-SHA256 over timestamp and body) that refuses forgeries,
replays and foreign amounts."""

import json
import queue
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace

import httpx
import pytest

from payments.card import (SIGNATURE_HEADER, CardClient, CardRejected, CardUnavailable,
                           CardWebhookRejected, sign_webhook, verify_webhook)

AMOUNT = 123450
SECRET = "whsec-test"


class Receiver:
    def __init__(self):
        self.calls = queue.Queue()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.calls.put(SimpleNamespace(body=body,
                                                   header=self.headers.get(SIGNATURE_HEADER)))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/card/webhook"

    def next(self, timeout=5.0):
        return self.calls.get(timeout=timeout)

    def assert_none(self, within=0.3):
        with pytest.raises(queue.Empty):
            self.calls.get(timeout=within)


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.server.shutdown()
    server.server.server_close()


@pytest.fixture
def base(live_server, settings):
    settings.CARD_API_KEY, settings.CARD_WEBHOOK_SECRET = "key-test", SECRET
    settings.CARD_BASE_URL = live_server.url + "/sim/card"
    return settings.CARD_BASE_URL


@pytest.fixture
def client(base):
    card_client = CardClient.from_settings()
    yield card_client
    card_client.close()


def create(client, receiver, reference="OCR123", amount_ore=AMOUNT):
    return client.create_session(reference=reference, amount_ore=amount_ore,
                                 success_url="http://127.0.0.1/ok",
                                 cancel_url="http://127.0.0.1/cancel",
                                 webhook_url=receiver.url)


def choose(url, action):
    return httpx.post(url, data={"action": action}, follow_redirects=False)


def check(call, session, **kwargs):
    return verify_webhook(body=call.body, header=call.header, secret=SECRET,
                          expected_id=session.id, expected_amount_ore=AMOUNT, **kwargs)


def test_pay_sends_a_signed_webhook_that_verifies(client, receiver):
    session = create(client, receiver)
    assert session.status == "open" and session.amount_ore == AMOUNT
    assert create(client, receiver).id == session.id  # same idempotency key, same session
    page = httpx.get(session.redirect_url)
    assert page.status_code == 200 and 'value="pay"' in page.text
    answer = choose(session.redirect_url, "pay")
    assert answer.status_code == 302 and answer.headers["Location"] == "http://127.0.0.1/ok"
    event = check(receiver.next(), session)
    assert event.is_paid and event.type == "payment.paid" and event.reference == "OCR123"
    assert client.get_session(session.id).status == "paid"
    assert choose(session.redirect_url, "decline").status_code == 409


def test_decline_and_abandon(client, receiver):
    session = create(client, receiver, reference="OCR1")
    answer = choose(session.redirect_url, "decline")
    assert answer.headers["Location"] == "http://127.0.0.1/cancel"
    event = check(receiver.next(), session)
    assert event.status == "declined" and not event.is_paid

    abandoned = create(client, receiver, reference="OCR2")
    assert choose(abandoned.redirect_url, "abandon").status_code == 200
    receiver.assert_none(within=0.5)
    assert client.get_session(abandoned.id).status == "expired"


def test_replayed_webhook_is_refused_after_the_tolerance(client, receiver, base):
    session = create(client, receiver, reference="OCR3")
    choose(session.redirect_url, "pay")
    first = receiver.next()
    check(first, session)
    httpx.post(f"{base}/_control/redeliver/{session.id}")
    replay = receiver.next()
    assert replay.body == first.body and replay.header == first.header
    with pytest.raises(CardWebhookRejected, match="replay"):
        check(replay, session, now=time.time() + 301, tolerance_seconds=300)


def test_forged_or_foreign_webhooks_are_refused():
    now = int(time.time())
    body = json.dumps({"id": "evt_1", "type": "payment.paid", "created": now, "data": {
        "session_id": "cs_1", "amount": AMOUNT, "currency": "SEK", "reference": "R",
        "status": "paid"}}).encode()
    good = sign_webhook(body=body, secret=SECRET, timestamp=now)
    assert verify_webhook(body=body, header=good, secret=SECRET, expected_id="cs_1",
                          expected_amount_ore=AMOUNT).is_paid
    bad = [
        (body, sign_webhook(body=body, secret="other", timestamp=now), "cs_1", AMOUNT),
        (body.replace(b"123450", b"999999"), good, "cs_1", AMOUNT),
        (body, good, "cs_2", AMOUNT),
        (body, good, "cs_1", AMOUNT + 1),
        (body, sign_webhook(body=body, secret=SECRET, timestamp=now - 3600), "cs_1", AMOUNT),
        (body, None, "cs_1", AMOUNT),
        (body, "t=abc,v1=00", "cs_1", AMOUNT),
    ]
    for payload, header, expected_id, amount in bad:
        with pytest.raises(CardWebhookRejected):
            verify_webhook(body=payload, header=header, secret=SECRET, expected_id=expected_id,
                           expected_amount_ore=amount)


def test_client_error_mapping(base, receiver):
    with pytest.raises(CardUnavailable) as unauthorised:
        create(CardClient(base_url=base, api_key="wrong"), receiver)
    assert unauthorised.value.status_code == 401
    client = CardClient(base_url=base, api_key="key-test")
    with pytest.raises(CardRejected) as refused:
        client.create_session(reference="R", amount_ore=100, success_url="ftp://x",
                              cancel_url="http://127.0.0.1/c", webhook_url=receiver.url)
    assert refused.value.code == "invalid_url"
    with pytest.raises(CardRejected):
        client.get_session("cs_missing")
    with pytest.raises(CardUnavailable):
        create(CardClient(base_url="http://127.0.0.1:9", api_key="k", timeout=2), receiver)
    mocked = CardClient(base_url="http://card.test", api_key="k",
                        transport=httpx.MockTransport(lambda r: httpx.Response(502)))
    with pytest.raises(CardUnavailable):
        create(mocked, receiver)
