"""Mitt Ärende's Trustly payment over real HTTP: the portal starts a Deposit at ekrav's Trustly
simulator (served by the live server), the payer's choice on the simulated bank page sends
signed notifications back into ekrav. A notification must be signed by Trustly's key and be
about the message, order and amount created; a credit books once (keyed by the order id), a
pending one only waits, a cancel declines. Keys are made at test time, never stored in git."""

import json
import re
import uuid

import httpx
import pytest

from claims.models import Claim, LedgerEntry
from payments import trustly
from payments.models import IncomingPayment, PaymentRequest
from tests.conftest import another_debtor
from tests.payments.conftest import kronor, outstanding
from tests.debtors.conftest import REGISTERED, TODAY, amount, register_on


@pytest.fixture(scope="session")
def key_dir(tmp_path_factory):
    directory = tmp_path_factory.mktemp("trustly-flow-keys")
    trustly.ensure_key_pair(directory, "merchant")
    trustly.ensure_key_pair(directory, "trustly")
    trustly.ensure_key_pair(directory, "forger")
    return directory


@pytest.fixture
def sim(live_server, settings, key_dir):
    settings.TRUSTLY_SIM_KEY_DIR = key_dir
    settings.TRUSTLY_PRIVATE_KEY_FILE = str(key_dir / "merchant-private.pem")
    settings.TRUSTLY_PUBLIC_KEY_FILE = str(key_dir / "trustly-public.pem")
    settings.TRUSTLY_USERNAME, settings.TRUSTLY_PASSWORD = "ekrav", "secret"
    settings.TRUSTLY_BASE_URL = live_server.url + "/sim/trustly"
    settings.SITE_URL = live_server.url  # the notifications come back into ekrav
    return settings.TRUSTLY_BASE_URL


def start(visitor, claim, amount_text):
    response = visitor.post(f"/mitt-arende/arenden/{claim.pk}/trustly/",
                            {"amount": amount_text})
    assert response.status_code == 302, response.content.decode()[:2000]
    request = PaymentRequest.objects.get(channel="trustly", status="created")
    assert response["Location"].endswith(f"/sim/trustly/pay/{request.provider_id}")
    return request, response["Location"]


def choose(url, action):
    return httpx.post(url, data={"action": action}, follow_redirects=False, timeout=30)


def order(sim, request):
    return httpx.get(f"{sim}/_control/orders/{request.provider_id}", timeout=30).json()


def status_of(visitor, claim, request):
    response = visitor.get(f"/mitt-arende/arenden/{claim.pk}/trustly/{request.instruction_id}"
                           "/status/")
    assert response.status_code == 200
    return re.search(r'data-status="(\w+)"', response.content.decode()).group(1)


def bookings(claim) -> int:
    return LedgerEntry.objects.filter(claim=claim, kind=LedgerEntry.Kind.PAYMENT).count()


def notification(key_dir, request, method="credit", *, key="trustly", **data):
    """A notification as Trustly would send it, signed with ``key``'s private key."""
    body = {"notificationid": "900000001", "messageid": request.instruction_id,
            "orderid": request.provider_id, "enduserid": f"claim-{request.claim_id}",
            "timestamp": "2026-04-27 10:00:00.000000+00", "attributes": None,
            "amount": trustly.ore_to_str(request.amount_ore), "currency": "SEK", **data}
    call_uuid = str(uuid.uuid4())
    signer = trustly.private_key_from_file(key_dir / f"{key}-private.pem")
    return json.dumps({"method": method, "version": "1.1", "params": {
        "signature": trustly.sign(method, call_uuid, body, signer), "uuid": call_uuid,
        "data": body}}).encode()


def test_the_form_offers_what_is_left_to_pay(visitor, claim):
    owed = outstanding(visitor, claim)
    page = visitor.get(f"/mitt-arende/arenden/{claim.pk}/").content.decode()
    assert f'href="/mitt-arende/arenden/{claim.pk}/trustly/"' in page
    form = visitor.get(f"/mitt-arende/arenden/{claim.pk}/trustly/")
    assert form.status_code == 200 and amount(form, "outstanding") == owed
    assert f'value="{kronor(owed)}"' in form.content.decode()


def test_credit_is_booked_once_however_often_it_is_told(visitor, claim, sim):
    owed = outstanding(visitor, claim)
    request, pay_url = start(visitor, claim, kronor(owed))
    assert (request.amount_ore, request.payee_reference) == (owed, claim.ocr)
    assert status_of(visitor, claim, request) == "created"
    answer = choose(pay_url, "approve")
    wait = f"/mitt-arende/arenden/{claim.pk}/trustly/{request.instruction_id}/"
    assert answer.status_code == 302 and answer.headers["Location"].endswith(wait)
    deliveries = order(sim, request)["deliveries"]
    assert [(d["method"], d["statusCode"], d["answeredOK"]) for d in deliveries] == [
        ("pending", 200, True), ("credit", 200, True)]
    request.refresh_from_db()
    assert request.status == "paid" and request.finished_at
    payment = IncomingPayment.objects.get()
    assert request.incoming_payment == payment
    assert (payment.source, payment.external_id, payment.state, payment.amount_ore,
            payment.paid_on, payment.claim_id) == ("trustly", request.provider_id, "booked",
                                                   owed, TODAY, claim.pk)
    assert Claim.objects.get(pk=claim.pk).status == "paid"

    # Trustly sends everything again (same notification ids): answered OK, nothing more.
    again = httpx.post(f"{sim}/_control/redeliver/{request.provider_id}", timeout=30).json()
    assert [d["answeredOK"] for d in again["deliveries"]] == [True, True]
    assert status_of(visitor, claim, request) == "paid"
    assert IncomingPayment.objects.count() == 1 and bookings(claim) == 1
    assert 'data-testid="trustly-paid"' in visitor.get(wait).content.decode()


def test_a_part_payment_leaves_the_rest(visitor, claim):
    owed = outstanding(visitor, claim)
    request, pay_url = start(visitor, claim, kronor(owed - 10_000))
    choose(pay_url, "approve")
    request.refresh_from_db()
    assert request.status == "paid" and request.amount_ore == owed - 10_000
    assert outstanding(visitor, claim) == 10_000


def test_cancel_declines_and_books_nothing(visitor, claim, sim):
    owed = outstanding(visitor, claim)
    request, pay_url = start(visitor, claim, kronor(owed))
    assert choose(pay_url, "decline").status_code == 302
    assert [(d["method"], d["answeredOK"]) for d in order(sim, request)["deliveries"]] == [
        ("cancel", True)]
    request.refresh_from_db()
    assert request.status == "declined"
    assert status_of(visitor, claim, request) == "declined"
    assert not IncomingPayment.objects.exists() and bookings(claim) == 0
    assert outstanding(visitor, claim) == owed


def test_abandoned_books_nothing(visitor, claim, sim):
    owed = outstanding(visitor, claim)
    request, pay_url = start(visitor, claim, kronor(owed))
    assert choose(pay_url, "abandon").status_code == 200
    assert order(sim, request)["deliveries"] == []
    assert status_of(visitor, claim, request) == "created"
    assert not IncomingPayment.objects.exists() and bookings(claim) == 0


def test_pending_only_waits(visitor, claim, live_server, key_dir):
    owed = outstanding(visitor, claim)
    request, _pay_url = start(visitor, claim, kronor(owed))
    url = f"{live_server.url}/betalning/trustly/notification/{request.instruction_id}/"
    sent = notification(key_dir, request, "pending")
    answer = httpx.post(url, content=sent, timeout=30)
    assert answer.status_code == 200
    result = answer.json()["result"]
    merchant = trustly.public_key_from_file(key_dir / "merchant-public.pem")
    assert result["data"] == {"status": "OK"}
    assert result["uuid"] == json.loads(sent)["params"]["uuid"]
    assert trustly.verify("pending", result["uuid"], result["data"], result["signature"],
                          merchant)
    request.refresh_from_db()
    assert request.status == "created" and not IncomingPayment.objects.exists()


def test_a_forged_or_foreign_notification_books_nothing(visitor, claim, live_server, key_dir):
    owed = outstanding(visitor, claim)
    request, _pay_url = start(visitor, claim, kronor(owed))
    url = f"{live_server.url}/betalning/trustly/notification/{request.instruction_id}/"
    refused = [
        notification(key_dir, request, key="forger"),              # not Trustly's key
        notification(key_dir, request, key="merchant"),            # ekrav's own key
        notification(key_dir, request, amount="1.00"),             # another amount
        notification(key_dir, request, currency="EUR"),            # another currency
        notification(key_dir, request, messageid="A" * 32),        # another payment
        notification(key_dir, request, orderid="1234567890"),      # another order
        notification(key_dir, request, "cancel", key="forger"),
        notification(key_dir, request).replace(b'"credit"', b'"refund"', 1),
        b"not json",
    ]
    for body in refused:
        assert httpx.post(url, content=body, timeout=30).status_code == 400, body[:200]
    assert httpx.get(url, timeout=30).status_code == 405
    unknown = f"{live_server.url}/betalning/trustly/notification/{'B' * 32}/"
    assert httpx.post(unknown, content=notification(key_dir, request),
                      timeout=30).status_code == 404
    request.refresh_from_db()
    assert request.status == "created"
    assert not IncomingPayment.objects.exists() and bookings(claim) == 0


def test_what_cannot_be_asked_is_refused_on_the_form(visitor, claim):
    owed = outstanding(visitor, claim)
    for text in ("0,50", kronor(owed + 1)):
        response = visitor.post(f"/mitt-arende/arenden/{claim.pk}/trustly/", {"amount": text})
        assert response.status_code == 400, text
    assert not PaymentRequest.objects.exists()


def test_trustly_unreachable_is_told_and_nothing_is_booked(visitor, claim, settings):
    settings.TRUSTLY_BASE_URL = "http://127.0.0.1:9/sim/trustly"
    owed = outstanding(visitor, claim)
    response = visitor.post(f"/mitt-arende/arenden/{claim.pk}/trustly/",
                            {"amount": kronor(owed)})
    assert response.status_code == 400
    assert 'data-testid="trustly-error"' in response.content.decode()
    request = PaymentRequest.objects.get()
    assert (request.status, request.error_code) == ("error", "UNAVAILABLE")
    assert not IncomingPayment.objects.exists()


def test_another_case_s_payment_pages_are_not_there(visitor, claim, alice_co):
    other = register_on(alice_co, day=REGISTERED, invoice_number="F-2002", **another_debtor(1))
    mine, _pay_url = start(visitor, claim, "100,00")
    assert visitor.get(f"/mitt-arende/arenden/{other.pk}/trustly/").status_code == 404
    assert visitor.post(f"/mitt-arende/arenden/{other.pk}/trustly/",
                        {"amount": "100,00"}).status_code == 404
    for path in (f"{other.pk}/trustly/{mine.instruction_id}/",
                 f"{other.pk}/trustly/{mine.instruction_id}/status/",
                 f"{claim.pk}/kort/{mine.instruction_id}/",
                 f"{claim.pk}/swish/{mine.instruction_id}/"):
        assert visitor.get(f"/mitt-arende/arenden/{path}").status_code == 404
    assert PaymentRequest.objects.count() == 1


def test_without_an_access_the_pages_are_not_there(client, claim, sim):
    assert client.get(f"/mitt-arende/arenden/{claim.pk}/trustly/").status_code == 404


def expire(request, after):
    """The beat's run ``after`` the request was made (Trustly has no status read)."""
    from payments.services import payment_requests_expire

    return payment_requests_expire(now=request.created_at + after, today=TODAY,
                                   swish_client=None, card_client=None)


def test_pending_is_told_honestly_and_waits_days_not_an_hour(visitor, claim, live_server,
                                                             key_dir):
    from datetime import timedelta

    request, _pay_url = start(visitor, claim, kronor(outstanding(visitor, claim)))
    url = f"{live_server.url}/betalning/trustly/notification/{request.instruction_id}/"
    for _ in range(2):  # Trustly tells it again: the same
        assert httpx.post(url, content=notification(key_dir, request, "pending"),
                          timeout=30).status_code == 200
    request.refresh_from_db()
    assert (request.status, request.error_code, request.finished_at) == ("created", "PENDING",
                                                                         None)
    wait = f"/mitt-arende/arenden/{claim.pk}/trustly/{request.instruction_id}/"
    page = visitor.get(wait).content.decode()
    assert 'data-testid="trustly-bank-pending"' in page and 'data-pending="bank"' in page
    assert "Din bank har inte bekräftat betalningen" in page  # Swedish first
    assert "du behöver inte betala igen" in page and 'hx-trigger="every 30s"' in page

    assert expire(request, timedelta(hours=2)) == 0  # the bank may take days
    assert status_of(visitor, claim, request) == "created"
    assert expire(request, timedelta(days=8)) == 1
    request.refresh_from_db()
    assert (request.status, request.error_code) == ("timeout", "PENDING")
    page = visitor.get(wait).content.decode()
    assert 'data-testid="trustly-bank-unconfirmed"' in page
    assert "Din bank bekräftade inte betalningen" in page and "hx-get" not in page

    # The bank pays after all: booked, whatever ekrav had given up.
    assert httpx.post(url, content=notification(key_dir, request, "credit"),
                      timeout=30).status_code == 200
    assert status_of(visitor, claim, request) == "paid" and bookings(claim) == 1


def test_an_abandoned_deposit_ends_an_hour_on_and_a_late_word_still_counts(visitor, claim, sim,
                                                                           live_server, key_dir):
    from datetime import timedelta

    request, pay_url = start(visitor, claim, kronor(outstanding(visitor, claim)))
    assert choose(pay_url, "abandon").status_code == 200  # Trustly's cancel is lost
    assert expire(request, timedelta(minutes=50)) == 0
    assert status_of(visitor, claim, request) == "created"
    assert expire(request, timedelta(minutes=61)) == 1
    assert status_of(visitor, claim, request) == "timeout"
    wait = f"/mitt-arende/arenden/{claim.pk}/trustly/{request.instruction_id}/"
    assert 'data-testid="trustly-not-paid"' in visitor.get(wait).content.decode()
    assert expire(request, timedelta(days=30)) == 0  # ended once

    # A pending that comes after ekrav gave up: Trustly's word beats the guess.
    url = f"{live_server.url}/betalning/trustly/notification/{request.instruction_id}/"
    assert httpx.post(url, content=notification(key_dir, request, "pending"),
                      timeout=30).status_code == 200
    request.refresh_from_db()
    assert (request.status, request.error_code, request.finished_at) == ("created", "PENDING",
                                                                         None)
    assert not IncomingPayment.objects.exists() and bookings(claim) == 0
