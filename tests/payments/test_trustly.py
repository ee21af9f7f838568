"""The Trustly client against ekrav's Trustly simulator, over real HTTP (pytest-django's live
server, and a small HTTP server of the test's own that receives the notifications and answers
them as ekrav will): the signature primitives against openssl and a known vector, Deposit, the
payer approving, declining or walking away, and the notification check that never trusts a
foreign key, message or amount. Keys are made at test time, never stored in git.
"""

import base64
import json
import queue
import shutil
import subprocess
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace

import httpx
import pytest

from payments import trustly
from payments.trustly import (TrustlyClient, TrustlyNotificationRejected, TrustlyRejected,
                              TrustlyUnavailable, notification_response, serialize_data,
                              verify_notification)

AMOUNT = 123450
MERCHANT = "merchant"


@pytest.fixture(scope="session")
def key_dir(tmp_path_factory):
    directory = tmp_path_factory.mktemp("trustly-keys")
    trustly.ensure_key_pair(directory, "merchant")
    trustly.ensure_key_pair(directory, "trustly")
    return directory


@pytest.fixture
def keys(key_dir, settings):
    settings.TRUSTLY_SIM_KEY_DIR = key_dir
    settings.TRUSTLY_PRIVATE_KEY_FILE = str(key_dir / "merchant-private.pem")
    settings.TRUSTLY_PUBLIC_KEY_FILE = str(key_dir / "trustly-public.pem")
    settings.TRUSTLY_USERNAME, settings.TRUSTLY_PASSWORD = "ekrav", "secret"
    return SimpleNamespace(
        merchant=trustly.private_key_from_file(key_dir / "merchant-private.pem"),
        trustly=trustly.private_key_from_file(key_dir / "trustly-private.pem"))


class Receiver:
    """ekrav's NotificationURL, played by the test: verifies nothing itself, records every
    POST and answers with the signed OK (or the status queued in ``answers``)."""

    def __init__(self, merchant_key):
        self.calls = queue.Queue()
        self.answers = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.calls.put(body)
                message = json.loads(body)
                status = receiver.answers.pop(0) if receiver.answers else 200
                data = {"status": "OK"}
                answer = json.dumps({"version": "1.1", "result": {
                    "uuid": message["params"]["uuid"], "method": message["method"], "data": data,
                    "signature": trustly.sign(message["method"], message["params"]["uuid"],
                                              data, merchant_key)}}).encode()
                self.send_response(status)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/trustly/notification"

    def next(self, timeout=5.0):
        return self.calls.get(timeout=timeout)

    def assert_none(self, within=0.3):
        with pytest.raises(queue.Empty):
            self.calls.get(timeout=within)


@pytest.fixture
def receiver(keys):
    server = Receiver(keys.merchant)
    yield server
    server.server.shutdown()
    server.server.server_close()


@pytest.fixture
def base(live_server, keys, settings):
    settings.TRUSTLY_BASE_URL = live_server.url + "/sim/trustly"
    return settings.TRUSTLY_BASE_URL


@pytest.fixture
def client(base):
    trustly_client = TrustlyClient.from_settings()
    yield trustly_client
    trustly_client.close()


def deposit(client, receiver, *, message_id=None, amount_ore=AMOUNT):
    message_id = message_id or uuid.uuid4().hex
    result = client.deposit(message_id=message_id, amount_ore=amount_ore, end_user_id="D-1001",
                            notification_url=receiver.url, success_url="http://127.0.0.1/ok",
                            fail_url="http://127.0.0.1/fail", firstname="Anna",
                            lastname="Andersson")
    return message_id, result


def choose(url, action):
    return httpx.post(url, data={"action": action}, follow_redirects=False)


# --- Pure: serialisation and signatures ------------------------------------------------------

def test_serialize_data_sorts_keys_recursively_and_writes_null_as_nothing():
    data = {"b": "2", "a": {"z": None, "y": ["p", {"q": 1}]}, "Amount": "10.00"}
    assert serialize_data(data) == "Amount10.00ayp" + "q1" + "z" + "b2"
    assert trustly.signing_plaintext("Deposit", "u-1", {"x": "å"}) == "Deposit" \
        "u-1xå".encode()


def test_signature_is_pkcs1_sha1_over_method_uuid_and_data_as_openssl_makes_it(keys, key_dir,
                                                                              tmp_path):
    if not shutil.which("openssl"):
        pytest.skip("openssl not installed")
    data = {"MessageID": "m1", "Attributes": {"Amount": "1234.50", "Currency": "SEK"}}
    plaintext = b"Depositu-1AttributesAmount1234.50CurrencySEKMessageIDm1"
    assert trustly.signing_plaintext("Deposit", "u-1", data) == plaintext
    (tmp_path / "m").write_bytes(plaintext)
    signed = subprocess.run(["openssl", "dgst", "-sha1", "-sign",
                             str(key_dir / "merchant-private.pem"), str(tmp_path / "m")],
                            check=True, capture_output=True).stdout
    ours = trustly.sign("Deposit", "u-1", data, keys.merchant)
    assert base64.b64decode(ours) == signed  # PKCS#1 v1.5 is deterministic
    assert trustly.verify("Deposit", "u-1", data, ours, keys.merchant.public_key)
    assert not trustly.verify("Deposit", "u-2", data, ours, keys.merchant.public_key)
    assert not trustly.verify("Deposit", "u-1", data, ours, keys.trustly.public_key)
    assert not trustly.verify("Deposit", "u-1", data, "not base64!", keys.merchant.public_key)
    (tmp_path / "s").write_bytes(signed)
    subprocess.run(["openssl", "dgst", "-sha1", "-verify", str(key_dir / "merchant-public.pem"),
                    "-signature", str(tmp_path / "s"), str(tmp_path / "m")], check=True,
                   capture_output=True)


def test_keys_round_trip_through_pem():
    key = trustly.generate_private_key(1024)
    assert trustly.load_private_key(key.pem()) == key
    assert trustly.load_public_key(key.public_key.pem()) == key.public_key
    with pytest.raises(ValueError):
        trustly.load_private_key(key.public_key.pem())


# --- Over HTTP -------------------------------------------------------------------------------

def test_approve_sends_signed_pending_and_credit_that_verify(client, receiver, keys):
    message_id, result = deposit(client, receiver)
    assert result.order_id.isdigit() and "/sim/trustly/pay/" in result.url
    page = httpx.get(result.url)
    assert page.status_code == 200 and 'value="approve"' in page.text
    assert "<script" not in page.text
    answer = choose(result.url, "approve")
    assert answer.status_code == 302 and answer.headers["Location"] == "http://127.0.0.1/ok"
    pending = verify_notification(body=receiver.next(), expected_message_id=message_id,
                                  expected_amount_ore=AMOUNT)
    credit = verify_notification(body=receiver.next(), expected_message_id=message_id,
                                 expected_amount_ore=AMOUNT)
    assert (pending.method, credit.method) == ("pending", "credit")
    assert credit.is_credit and credit.order_id == result.order_id
    assert credit.amount_ore == AMOUNT and credit.currency == "SEK"
    order = httpx.get(f"{client._url[:-6]}/_control/orders/{result.order_id}").json()
    assert [d["answeredOK"] for d in order["deliveries"]] == [True, True]
    # The same order cannot end twice; a redelivery repeats the same notification ids.
    assert choose(result.url, "decline").status_code == 409
    httpx.post(f"{client._url[:-6]}/_control/redeliver/{result.order_id}")
    again = [verify_notification(body=receiver.next(), expected_message_id=message_id,
                                 expected_amount_ore=AMOUNT) for _ in range(2)]
    assert again[1].notification_id == credit.notification_id


def test_decline_sends_cancel_and_abandon_sends_nothing(client, receiver):
    message_id, result = deposit(client, receiver)
    answer = choose(result.url, "decline")
    assert answer.status_code == 302 and answer.headers["Location"] == "http://127.0.0.1/fail"
    cancel = verify_notification(body=receiver.next(), expected_message_id=message_id,
                                 expected_amount_ore=AMOUNT)
    assert cancel.method == "cancel" and cancel.amount_ore is None
    receiver.assert_none()

    _, abandoned = deposit(client, receiver)
    assert choose(abandoned.url, "abandon").status_code == 200
    receiver.assert_none(within=0.5)


def test_notification_answer_is_signed_ok(client, receiver, keys):
    message_id, result = deposit(client, receiver)
    choose(result.url, "decline")
    cancel = verify_notification(body=receiver.next(), expected_message_id=message_id,
                                 expected_amount_ore=AMOUNT)
    answer = json.loads(notification_response(notification=cancel))["result"]
    assert answer["data"] == {"status": "OK"} and answer["uuid"] == cancel.uuid
    assert trustly.verify("cancel", cancel.uuid, answer["data"], answer["signature"],
                          keys.merchant.public_key)


def _notification(key, *, method="credit", amount="1234.50", currency="SEK", messageid="m-1"):
    data = {"notificationid": "1", "messageid": messageid, "orderid": "42",
            "enduserid": "D-1001", "amount": amount, "currency": currency,
            "timestamp": "2026-01-02 10:00:00.0+00", "attributes": None}
    u = str(uuid.uuid4())
    return json.dumps({"method": method, "version": "1.1", "params": {
        "signature": trustly.sign(method, u, data, key), "uuid": u, "data": data}}).encode()


def test_forged_or_foreign_notifications_are_refused(keys):
    ok = _notification(keys.trustly)
    assert verify_notification(body=ok, expected_message_id="m-1",
                               expected_amount_ore=AMOUNT).amount_ore == AMOUNT
    cases = [
        _notification(keys.merchant),  # signed by another key
        _notification(trustly.generate_private_key(1024)),
        _notification(keys.trustly, amount="1.00"),
        _notification(keys.trustly, amount="1234.505"),  # not whole öre
        _notification(keys.trustly, amount=None),
        _notification(keys.trustly, currency="EUR"),
        _notification(keys.trustly, messageid="m-2"),
        _notification(keys.trustly, method="refund"),
        b"not json",
    ]
    tampered = json.loads(ok)
    tampered["params"]["data"]["amount"] = "9999.00"
    cases.append(json.dumps(tampered).encode())
    for body in cases:
        with pytest.raises(TrustlyNotificationRejected):
            verify_notification(body=body, expected_message_id="m-1",
                                expected_amount_ore=AMOUNT)


# --- Errors ----------------------------------------------------------------------------------

def test_errors_map_to_rejected_and_unavailable(base, keys, receiver, settings):
    settings.TRUSTLY_PASSWORD = "other"
    with pytest.raises(TrustlyRejected) as bad_login:
        deposit(TrustlyClient(base_url=base, username="ekrav", password="wrong",
                              private_key=keys.merchant,
                              trustly_public_key=keys.trustly.public_key), receiver)
    assert bad_login.value.code == 616
    settings.TRUSTLY_PASSWORD = "secret"
    foreign = TrustlyClient(base_url=base, username="ekrav", password="secret",
                            private_key=keys.trustly, trustly_public_key=keys.trustly.public_key)
    with pytest.raises(TrustlyRejected) as bad_signature:
        deposit(foreign, receiver)
    assert bad_signature.value.code == 636
    client = TrustlyClient.from_settings()
    message_id, _ = deposit(client, receiver)
    with pytest.raises(TrustlyRejected) as duplicate:
        deposit(client, receiver, message_id=message_id)
    assert duplicate.value.code == 637
    # An answer signed by someone else than Trustly is not believed.
    distrustful = TrustlyClient(base_url=base, username="ekrav", password="secret",
                                private_key=keys.merchant,
                                trustly_public_key=keys.merchant.public_key)
    with pytest.raises(TrustlyUnavailable):
        deposit(distrustful, receiver)
    closed = TrustlyClient(base_url="http://127.0.0.1:9", username="u", password="p",
                           private_key=keys.merchant, trustly_public_key=keys.trustly.public_key,
                           timeout=2)
    with pytest.raises(TrustlyUnavailable):
        deposit(closed, receiver)
    with pytest.raises(ValueError):
        deposit(client, receiver, amount_ore=0)


def test_error_mapping_of_odd_answers(keys):
    def client_for(handler):
        return TrustlyClient(base_url="http://trustly.test", username="u", password="p",
                             private_key=keys.merchant,
                             trustly_public_key=keys.trustly.public_key,
                             transport=httpx.MockTransport(handler))

    args = dict(message_id="m", amount_ore=100, end_user_id="e", notification_url="http://x/n",
                success_url="http://x/s", fail_url="http://x/f")
    for response in (httpx.Response(503, text="down"), httpx.Response(200, text="<html>"),
                     httpx.Response(200, json={"version": "1.1", "error": {
                         "code": 620, "message": "ERROR_UNKNOWN"}})):
        with pytest.raises(TrustlyUnavailable):
            client_for(lambda request, r=response: r).deposit(**args)
