"""The Swish client against ekrav's Swish simulator, over real HTTP (pytest-django's live
server, and a small HTTP server of the test's own that receives the callbacks): payment
requests created, read and cancelled, each way a payment ends, the simulator validating like
Swish, the client mapping Swish's errors, and the callback check that never trusts an amount.
"""

import json
import queue
import shutil
import socket
import ssl
import subprocess
import threading
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace

import httpx
import pytest

from payments import swish
from payments.swish import (SwishAuthFailed, SwishCallbackRejected, SwishClient,
                            SwishPaymentRequest, SwishRejected, SwishUnavailable,
                            check_same_payment, new_instruction_id, swish_amount,
                            swish_payer_alias, verify_callback)

PAYEE = "1231181189"
AMOUNT = 123450  # 1 234,50 kr
OCR = "123456790"
MESSAGE = "Inkasso ärende 1001"
# Payer aliases by the simulator's last-digit rule.
PAYS, DECLINES, FAILS, NEVER_ANSWERS, NOT_ENROLLED = (
    "46701234568", "46701234561", "46701234562", "46701234563", "46701234564")


class CallbackReceiver:
    """ekrav's callback endpoint, played by the test: records every POST and answers with the
    status codes queued in ``answers`` (then 200)."""

    def __init__(self):
        self.calls = queue.Queue()
        self.answers = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.calls.put(SimpleNamespace(path=self.path, headers=dict(self.headers),
                                                   body=body))
                self.send_response(receiver.answers.pop(0) if receiver.answers else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server.server_address[1]}/swish/callback"

    def next_call(self, timeout=5.0):
        return self.calls.get(timeout=timeout)

    def assert_no_call(self, within=0.5):
        with pytest.raises(queue.Empty):
            self.calls.get(timeout=within)

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    server = CallbackReceiver()
    yield server
    server.close()


@pytest.fixture
def base(live_server, settings):
    settings.SWISH_PAYEE_ALIAS = PAYEE
    return live_server.url + "/sim/swish"


@pytest.fixture
def client(base):
    swish_client = SwishClient(base_url=base, payee_alias=PAYEE, timeout=5)
    yield swish_client
    swish_client.close()


def create(client, receiver, *, payer_alias=None, amount_ore=AMOUNT, message=MESSAGE,
           instruction_id=None):
    return client.create_payment_request(
        instruction_id=instruction_id or new_instruction_id(), payee_payment_reference=OCR,
        callback_url=receiver.url, amount_ore=amount_ore, message=message,
        payer_alias=payer_alias)


def control(base, path, body=None, status=200):
    response = httpx.post(f"{base}/_control/{path}", json=body)
    assert response.status_code == status, response.text
    return response.json()


def pay_now(base, instruction_id, outcome=None):
    return control(base, f"pay/{instruction_id}", {"outcome": outcome} if outcome else None)


def request_body(receiver_url, **overrides):
    body = {"payeePaymentReference": OCR, "callbackUrl": receiver_url, "payeeAlias": PAYEE,
            "amount": "1234.50", "currency": "SEK", "message": MESSAGE}
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


def put(base, instruction_id, body, content_type="application/json"):
    return httpx.put(f"{base}/v2/paymentrequests/{instruction_id}",
                     content=json.dumps(body).encode(), headers={"Content-Type": content_type})


# --- Pure helpers ----------------------------------------------------------------------------

def test_instruction_ids_are_32_uppercase_hex_and_fresh():
    ids = {new_instruction_id() for _ in range(100)}
    assert len(ids) == 100
    assert all(len(i) == 32 and i == i.upper() and int(i, 16) >= 0 for i in ids)


@pytest.mark.parametrize("ore, text", [(1, "0.01"), (100, "1.00"), (123450, "1234.50"),
                                        (99_999_999_999_999, "999999999999.99")])
def test_swish_amount_is_kronor_with_a_point(ore, text):
    assert swish_amount(ore) == text


@pytest.mark.parametrize("ore", [0, -100, 100_000_000_000_000])
def test_swish_amount_refuses_what_swish_refuses(ore):
    with pytest.raises(ValueError):
        swish_amount(ore)


@pytest.mark.parametrize("ore", [True, 1.5, Decimal("1.00"), "100"])
def test_swish_amount_is_integer_ore_only(ore):
    with pytest.raises(TypeError):
        swish_amount(ore)


@pytest.mark.parametrize("phone", ["070-123 45 67", "0701234567", "+46 70 123 45 67",
                                   "0046701234567", "46701234567", "(070) 123-45-67"])
def test_a_mobile_number_becomes_a_payer_alias(phone):
    assert swish_payer_alias(phone) == "46701234567"


@pytest.mark.parametrize("phone", ["", "070", "+0701234567", "abc", "46 70 123 45 67 89 01 2"])
def test_what_is_no_mobile_number_is_refused(phone):
    with pytest.raises(ValueError):
        swish_payer_alias(phone)


# --- The callback check (pure) ---------------------------------------------------------------

ID = "11A86BE70EA346E4B1C39C874173F088"
EXPECTED = SwishPaymentRequest(id=ID, payee_payment_reference=OCR, payment_reference=None,
                               amount_ore=AMOUNT, currency="SEK", status="CREATED",
                               date_paid=None, error_code=None, error_message=None)


def callback(**overrides) -> bytes:
    body = {"id": ID, "payeePaymentReference": OCR,
            "paymentReference": "1E2FC19E5E5E4E18916609B7F8911C12",
            "callbackUrl": "https://ekrav.se/swish/callback", "payerAlias": "46701234568",
            "payeeAlias": PAYEE, "amount": 1234.50, "currency": "SEK", "message": MESSAGE,
            "status": "PAID", "dateCreated": "2026-02-20T14:29:51.092Z",
            "datePaid": "2026-02-20T14:29:55.093Z", "errorCode": None, "errorMessage": None}
    body.update(overrides)
    return json.dumps(body).encode()


def test_a_callback_for_the_payment_as_created_is_accepted():
    found = verify_callback(body=callback(), expected=EXPECTED)
    assert (found.id, found.status, found.amount_ore, found.currency) == \
        (ID, "PAID", AMOUNT, "SEK")
    assert found.payment_reference == "1E2FC19E5E5E4E18916609B7F8911C12"
    assert found.date_paid.isoformat() == "2026-02-20T14:29:55.093000+00:00"
    assert found.is_paid and found.is_final


@pytest.mark.parametrize("amount", [1234.5, "1234.50", "1234.5"])
def test_the_amount_may_be_a_number_or_text(amount):
    assert verify_callback(body=callback(amount=amount), expected=EXPECTED).amount_ore == AMOUNT


def test_a_minimal_record_of_what_was_created_will_do():
    record = SimpleNamespace(id=ID, amount_ore=AMOUNT)  # e.g. a model row: id and amount
    assert verify_callback(body=callback(payeePaymentReference="999"), expected=record)


@pytest.mark.parametrize("overrides, reason", [
    ({"amount": 1234.51}, "1234.51 SEK, it was created for 1234.50"),
    ({"amount": 1.00}, "created for 1234.50"),
    ({"amount": "1234.505"}, "not an amount"),
    ({"amount": 1234.505}, "not whole öre"),
    ({"amount": None}, "not an amount"),
    ({"amount": True}, "not an amount"),
    ({"amount": -1234.50}, "not whole öre"),
    ({"id": "5D59DA1B1632424E874DDB219AD54597"}, "is not " + ID),
    ({"id": ID.lower()}, "not an instructionUUID"),
    ({"currency": "EUR"}, "in 'EUR'"),
    ({"currency": None}, "currency is missing"),
    ({"payeePaymentReference": "987654321"}, "reference '987654321'"),
    ({"status": "COMPLETED"}, "status 'COMPLETED'"),
    ({"datePaid": "yesterday"}, "not an ISO 8601 time"),
    ({"datePaid": "2026-02-20T14:29:55"}, "no time zone"),
])
def test_a_callback_for_another_payment_is_refused(overrides, reason):
    with pytest.raises(SwishCallbackRejected, match=reason):
        verify_callback(body=callback(**overrides), expected=EXPECTED)


@pytest.mark.parametrize("body", [b"", b"not json", b"[]", b'"PAID"', "åäö".encode("latin-1")])
def test_a_callback_that_is_no_payment_request_is_refused(body):
    with pytest.raises(SwishCallbackRejected):
        verify_callback(body=body, expected=EXPECTED)


def test_swish_time_formats_are_read():
    found = verify_callback(body=callback(datePaid="2020-10-29T13:40:27.950+0100"),
                            expected=EXPECTED)
    assert found.date_paid.utcoffset().total_seconds() == 3600


def test_ds24_is_an_unknown_outcome_not_a_failure():
    found = verify_callback(body=callback(status="ERROR", errorCode="DS24", datePaid=None,
                                          paymentReference=None), expected=EXPECTED)
    assert found.outcome_unknown and not found.is_paid
    assert not verify_callback(body=callback(status="ERROR", errorCode="RF07"),
                               expected=EXPECTED).outcome_unknown


def test_a_status_read_is_checked_the_same_way():
    found = verify_callback(body=callback(), expected=EXPECTED)
    assert check_same_payment(found, expected=EXPECTED) is found
    with pytest.raises(SwishCallbackRejected):
        check_same_payment(found, expected=SimpleNamespace(id=ID, amount_ore=AMOUNT + 1))


# --- The client's error mapping (a scripted Swish) --------------------------------------------

def scripted(answer):
    calls = []

    def handler(request):
        calls.append(request)
        return answer(request) if callable(answer) else answer

    return SwishClient(base_url="https://swish.invalid/swish-cpcapi/api", payee_alias=PAYEE,
                       transport=httpx.MockTransport(handler)), calls


def create_via(swish_client, **kwargs):
    return swish_client.create_payment_request(
        instruction_id=kwargs.get("instruction_id", ID), payee_payment_reference=OCR,
        callback_url="https://ekrav.se/swish/callback", amount_ore=AMOUNT, message=MESSAGE,
        payer_alias=kwargs.get("payer_alias"))


def test_the_create_request_is_swish_s_wire_shape():
    location = f"https://swish.invalid/swish-cpcapi/api/v1/paymentrequests/{ID}"
    token = "c28a4061470f4af48973bd2a4642b4fa"
    swish_client, calls = scripted(httpx.Response(
        201, headers={"Location": location, "PaymentRequestToken": token}))
    created = create_via(swish_client)
    request = calls[0]
    assert (request.method, request.url.path) == \
        ("PUT", f"/swish-cpcapi/api/v2/paymentrequests/{ID}")
    assert request.headers["Content-Type"] == "application/json"
    assert json.loads(request.content) == {
        "payeePaymentReference": OCR, "callbackUrl": "https://ekrav.se/swish/callback",
        "payeeAlias": PAYEE, "amount": "1234.50", "currency": "SEK", "message": MESSAGE}
    assert (created.id, created.status, created.amount_ore, created.token) == \
        (ID, "CREATED", AMOUNT, token)


def test_an_e_commerce_request_names_the_payer():
    swish_client, calls = scripted(httpx.Response(201, headers={
        "Location": f"https://swish.invalid/api/v1/paymentrequests/{ID}"}))
    assert create_via(swish_client, payer_alias=PAYS).token is None
    assert json.loads(calls[0].content)["payerAlias"] == PAYS


@pytest.mark.parametrize("answer, error, status", [
    (httpx.Response(422, json=[{"errorCode": "RP02", "errorMessage": "Wrong formatted message",
                                "additionalInformation": None}]), SwishRejected, 422),
    (httpx.Response(400, json=[{"errorCode": "PA01", "errorMessage": "Parameter is not correct"}]),
     SwishRejected, 400),
    (httpx.Response(409, json=[{"errorCode": "RP09", "errorMessage": "taken"}]), SwishRejected,
     409),
    (httpx.Response(401), SwishAuthFailed, 401),
    (httpx.Response(403), SwishAuthFailed, 403),
    (httpx.Response(429), SwishUnavailable, 429),
    (httpx.Response(500, text="Internal Server Error"), SwishUnavailable, 500),
    (httpx.Response(503), SwishUnavailable, 503),
])
def test_swish_answers_are_mapped_to_errors(answer, error, status):
    swish_client, _ = scripted(answer)
    with pytest.raises(error) as raised:
        create_via(swish_client)
    assert raised.value.status_code == status
    assert type(raised.value) is error
    if status in (422, 400, 409):
        assert raised.value.codes == (answer.json()[0]["errorCode"],)
        assert answer.json()[0]["errorCode"] in str(raised.value)


def test_a_refused_certificate_is_a_configuration_error_to_retry_after_fixing():
    swish_client, _ = scripted(httpx.Response(401))
    with pytest.raises(SwishUnavailable, match="merchant certificate"):
        create_via(swish_client)


def test_no_answer_in_time_is_unavailable():
    def too_slow(request):
        raise httpx.ReadTimeout("no answer", request=request)

    swish_client, _ = scripted(too_slow)
    with pytest.raises(SwishUnavailable, match="no answer within 10 s"):
        swish_client.get_payment_request(ID)


@pytest.mark.parametrize("answer", [
    httpx.Response(201),  # no Location
    httpx.Response(201, headers={"Location": "https://swish.invalid/api/v1/paymentrequests/X"}),
    httpx.Response(200),  # not 201
])
def test_a_create_answer_that_is_not_swish_s_is_unavailable(answer):
    swish_client, _ = scripted(answer)
    with pytest.raises(SwishUnavailable):
        create_via(swish_client)


@pytest.mark.parametrize("answer", [
    httpx.Response(200, text="<html>maintenance</html>"),
    httpx.Response(200, json={"id": "5D59DA1B1632424E874DDB219AD54597", "status": "PAID",
                              "amount": 1234.50, "currency": "SEK"}),
])
def test_a_status_answer_that_is_not_the_request_asked_for_is_unavailable(answer):
    swish_client, _ = scripted(answer)
    with pytest.raises(SwishUnavailable):
        swish_client.get_payment_request(ID)


@pytest.mark.parametrize("bad_id", ["", "11a86be70ea346e4b1c39c874173f088", "../../admin",
                                    "11A86BE7-0EA3-46E4-B1C3-9C874173F088"])
def test_an_id_that_is_no_instruction_uuid_never_goes_on_the_wire(bad_id):
    swish_client, calls = scripted(httpx.Response(500))
    with pytest.raises(ValueError):
        swish_client.get_payment_request(bad_id)
    with pytest.raises(ValueError):
        create_via(swish_client, instruction_id=bad_id)
    assert calls == []


def test_from_settings(settings):
    settings.SWISH_BASE_URL = ""
    assert SwishClient.from_settings() is None
    settings.SWISH_BASE_URL = "https://mss.cpc.getswish.net/swish-cpcapi/api"
    first = SwishClient.from_settings()
    assert isinstance(first, SwishClient) and SwishClient.from_settings() is first
    assert "mss.cpc.getswish.net" in repr(first) and settings.SWISH_PAYEE_ALIAS in repr(first)


def test_a_closed_port_is_unavailable():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    swish_client = SwishClient(base_url=f"http://127.0.0.1:{port}/api", payee_alias=PAYEE)
    with pytest.raises(SwishUnavailable, match="ConnectError"):
        swish_client.get_payment_request(ID)


# --- Over HTTP: each way a payment ends -------------------------------------------------------

def test_m_commerce_gives_a_token_and_reads_created(client, receiver):
    created = create(client, receiver)
    assert created.status == "CREATED" and created.payment_reference is None
    assert created.token and len(created.token) == 32 and created.token.isalnum()
    read = client.get_payment_request(created.id)
    assert (read.id, read.status, read.amount_ore, read.currency,
            read.payee_payment_reference) == (created.id, "CREATED", AMOUNT, "SEK", OCR)
    assert read.date_paid is None and read.token is None


def test_a_paid_request_calls_back_with_the_payment_request_object(base, client, receiver):
    created = create(client, receiver)
    answer = pay_now(base, created.id)
    assert answer["callback"]["statusCode"] == 200 and answer["callback"]["attempts"] == 1

    call = receiver.next_call()
    assert call.path == "/swish/callback"
    assert call.headers["Content-Type"] == "application/json"
    body = json.loads(call.body)
    assert body["id"] == created.id and body["status"] == "PAID"
    assert body["amount"] == 1234.5 and body["currency"] == "SEK"
    assert body["payeePaymentReference"] == OCR and body["payeeAlias"] == PAYEE
    assert body["callbackUrl"] == receiver.url and body["message"] == MESSAGE
    assert len(body["paymentReference"]) == 32 and body["datePaid"].endswith("Z")
    assert body["errorCode"] is None and body["payerAlias"].startswith("46")

    # The callback is a trigger: check it, then book what the status read says.
    assert verify_callback(body=call.body, expected=created).is_paid
    read = check_same_payment(client.get_payment_request(created.id), expected=created)
    assert read.status == "PAID" and read.payment_reference == body["paymentReference"]
    assert read.date_paid is not None
    receiver.assert_no_call(within=0.3)


def test_the_callback_comes_by_itself_shortly_after_creation(base, client, receiver):
    control(base, "next", {"outcome": "paid", "delay": 0.2})
    created = create(client, receiver)
    assert client.get_payment_request(created.id).status == "CREATED"
    body = json.loads(receiver.next_call(timeout=5).body)
    assert (body["id"], body["status"]) == (created.id, "PAID")
    assert client.get_payment_request(created.id).status == "PAID"
    deliveries = httpx.get(f"{base}/_control/paymentrequests/{created.id}").json()["deliveries"]
    assert [(d["status"], d["statusCode"]) for d in deliveries] == [("PAID", 200)]


@pytest.mark.parametrize("payer, status, code", [
    (PAYS, "PAID", None),
    (DECLINES, "DECLINED", None),
    (FAILS, "ERROR", "FF10"),
])
def test_the_payer_s_last_digit_decides(base, client, receiver, payer, status, code):
    created = create(client, receiver, payer_alias=payer)
    assert created.token is None  # e-commerce: Swish asks the payer's phone
    pay_now(base, created.id)
    ended = verify_callback(body=receiver.next_call().body, expected=created)
    assert (ended.status, ended.error_code) == (status, code)
    read = client.get_payment_request(created.id)
    assert (read.status, read.error_code, read.is_final) == (status, code, True)
    assert (read.payment_reference is not None) == (status == "PAID")
    if code:
        assert read.error_message == "Bank system processing error"


def test_a_payer_who_never_answers_leaves_it_created_without_a_callback(base, client, receiver):
    created = create(client, receiver, payer_alias=NEVER_ANSWERS)
    assert pay_now(base, created.id)["callback"] is None
    receiver.assert_no_call()
    assert client.get_payment_request(created.id).status == "CREATED"
    # ... until the test says otherwise: a late payment.
    pay_now(base, created.id, outcome="paid")
    assert json.loads(receiver.next_call().body)["status"] == "PAID"


def test_a_timeout_by_control_sends_nothing(base, client, receiver):
    control(base, "next", {"outcome": "timeout", "delay": 0})
    created = create(client, receiver)
    receiver.assert_no_call(within=0.5)
    assert client.get_payment_request(created.id).status == "CREATED"


@pytest.mark.parametrize("outcome, code", [("declined", None), ("error", "BANKIDCL"),
                                           ("error", "DS24")])
def test_control_decides_the_next_outcome(base, client, receiver, outcome, code):
    control(base, "next", {"outcome": outcome, "errorCode": code, "delay": 30})
    created = create(client, receiver, payer_alias=PAYS)
    pay_now(base, created.id)
    ended = verify_callback(body=receiver.next_call().body, expected=created)
    assert (ended.status, ended.error_code) == (outcome.upper(), code)
    assert ended.outcome_unknown == (code == "DS24")
    # The plan is used once: the next request follows the payer's digit again.
    second = create(client, receiver, payer_alias=PAYS)
    pay_now(base, second.id)
    assert json.loads(receiver.next_call().body)["status"] == "PAID"


@pytest.mark.parametrize("body", [{"outcome": "maybe"}, {"outcome": "paid", "errorCode": "RF07"},
                                  {"outcome": "error", "errorCode": "XX99"},
                                  {"outcome": "paid", "delay": -1}, {"outcome": "paid",
                                                                     "delay": 3600}])
def test_control_refuses_what_it_cannot_do(base, body):
    control(base, "next", body, status=400)


def test_mss_message_codes_simulate_errors(base, client, receiver):
    created = create(client, receiver, message="RF07")
    pay_now(base, created.id)
    ended = verify_callback(body=receiver.next_call().body, expected=created)
    assert (ended.status, ended.error_code, ended.error_message) == \
        ("ERROR", "RF07", "Transaction declined")
    with pytest.raises(SwishRejected) as refused:
        create(client, receiver, message="ACMT07")
    assert refused.value.codes == ("ACMT07",)


def test_a_callback_sent_again_describes_the_same_payment(base, client, receiver):
    created = create(client, receiver)
    pay_now(base, created.id)
    first = receiver.next_call().body
    assert control(base, f"redeliver/{created.id}")["callback"]["statusCode"] == 200
    again = receiver.next_call().body
    assert json.loads(again) == json.loads(first)
    # Idempotent by id: both verify to the same request; the booking's key makes it once.
    assert verify_callback(body=first, expected=created) == \
        verify_callback(body=again, expected=created)


def test_a_failed_callback_is_retried(base, client, receiver):
    receiver.answers = [500, 503]
    created = create(client, receiver)
    delivery = pay_now(base, created.id)["callback"]
    assert (delivery["attempts"], delivery["statusCode"]) == (3, 200)
    assert [json.loads(receiver.next_call().body)["status"] for _ in range(3)] == ["PAID"] * 3


# --- Over HTTP: refusals ---------------------------------------------------------------------

def test_a_payer_not_enrolled_is_refused_at_once(client, receiver):
    with pytest.raises(SwishRejected) as refused:
        create(client, receiver, payer_alias=NOT_ENROLLED)
    assert (refused.value.status_code, refused.value.codes) == (422, ("ACMT03",))
    assert refused.value.errors[0].message == "Payer not Enrolled"


def test_one_waiting_request_per_payer(base, client, receiver):
    first = create(client, receiver, payer_alias=PAYS)
    with pytest.raises(SwishRejected) as refused:
        create(client, receiver, payer_alias=PAYS)
    assert refused.value.codes == ("RP06",)
    pay_now(base, first.id)
    assert create(client, receiver, payer_alias=PAYS).status == "CREATED"


@pytest.mark.parametrize("overrides, code", [
    ({"amount": "12,50"}, "PA02"),
    ({"amount": "12.505"}, "PA02"),
    ({"amount": None}, "PA02"),
    ({"amount": "0.00"}, "AM06"),
    ({"amount": "1000000000000.00"}, "AM02"),
    ({"currency": "EUR"}, "AM03"),
    ({"currency": None}, "AM03"),
    ({"message": "x" * 51}, "RP02"),
    ({"message": "Betala <script>"}, "RP02"),
    ({"callbackUrl": None}, "RP03"),
    ({"callbackUrl": "ftp://127.0.0.1/cb"}, "RP03"),
    ({"callbackUrl": "https://attacker.example/cb"}, "RP03"),
    ({"payerAlias": "0701234567"}, "BE18"),
    ({"payerAlias": "4670"}, "BE18"),
    ({"payeePaymentReference": "OCR 123-456"}, "FF08"),
    ({"payeePaymentReference": "1" * 36}, "FF08"),
    ({"payeeAlias": None}, "RP01"),
])
def test_the_simulator_validates_like_swish(base, receiver, overrides, code):
    response = put(base, new_instruction_id(), request_body(receiver.url, **overrides))
    assert response.status_code == 422, response.text
    errors = response.json()
    assert [e["errorCode"] for e in errors] == [code]
    assert set(errors[0]) == {"errorCode", "errorMessage", "additionalInformation"}


def test_every_problem_is_listed_at_once(base, receiver):
    response = put(base, new_instruction_id(),
                   request_body(receiver.url, amount="0", currency="NOK", message="x" * 60))
    assert [e["errorCode"] for e in response.json()] == ["AM06", "AM03", "RP02"]


def test_a_message_of_fifty_characters_and_an_amount_number_are_taken(base, receiver):
    response = put(base, new_instruction_id(),
                   request_body(receiver.url, message="Å" * 50, amount=1234.5))
    assert response.status_code == 201, response.text


@pytest.mark.parametrize("instruction_id", ["11a86be70ea346e4b1c39c874173f088", "123",
                                            "11A86BE7-0EA3-46E4-B1C3-9C874173F088"])
def test_a_bad_instruction_uuid_is_a_bad_request(base, receiver, instruction_id):
    response = put(base, instruction_id, request_body(receiver.url))
    assert response.status_code == 400
    assert response.json()[0]["errorCode"] == "PA01"


def test_the_body_must_be_json(base, receiver):
    assert put(base, new_instruction_id(), request_body(receiver.url),
               content_type="text/plain").status_code == 415
    broken = httpx.put(f"{base}/v2/paymentrequests/{new_instruction_id()}", content=b"{amount",
                       headers={"Content-Type": "application/json"})
    assert broken.status_code == 400 and broken.json()[0]["errorCode"] == "PA01"


def test_another_merchant_s_number_is_forbidden(base, receiver):
    assert put(base, new_instruction_id(),
               request_body(receiver.url, payeeAlias="1234679304")).status_code == 403
    other = SwishClient(base_url=base, payee_alias="1234679304")
    with pytest.raises(SwishAuthFailed, match="1234679304 is not the certificate's"):
        create(other, receiver)


def test_an_instruction_id_is_one_request(base, client, receiver):
    created = create(client, receiver)
    # The same PUT again (a retry after a timeout) is the same request, token and all.
    again = create(client, receiver, instruction_id=created.id)
    assert again == created
    with pytest.raises(SwishRejected) as taken:
        create(client, receiver, instruction_id=created.id, amount_ore=AMOUNT + 100)
    assert (taken.value.status_code, taken.value.codes) == (409, ("RP09",))
    assert client.get_payment_request(created.id).amount_ore == AMOUNT


def test_an_unknown_request_is_not_found(client):
    with pytest.raises(SwishRejected) as missing:
        client.get_payment_request(new_instruction_id())
    assert missing.value.status_code == 404


def test_the_location_names_the_status_read(base, receiver):
    instruction_id = new_instruction_id()
    response = put(base, instruction_id, request_body(receiver.url))
    assert response.headers["Location"].endswith(f"/sim/swish/v1/paymentrequests/{instruction_id}")
    assert httpx.get(response.headers["Location"]).json()["status"] == "CREATED"


# --- Over HTTP: cancel -----------------------------------------------------------------------

def test_a_waiting_request_can_be_cancelled_once(base, client, receiver):
    created = create(client, receiver, payer_alias=PAYS)
    cancelled = client.cancel_payment_request(created.id)
    assert (cancelled.id, cancelled.status) == (created.id, "CANCELLED")
    assert client.get_payment_request(created.id).status == "CANCELLED"
    with pytest.raises(SwishRejected) as again:
        client.cancel_payment_request(created.id)
    assert (again.value.status_code, again.value.codes) == (422, ("RP08",))
    # The payer can no longer pay it, and it no longer blocks the payer.
    assert pay_now(base, created.id)["paymentRequest"]["status"] == "CANCELLED"
    receiver.assert_no_call(within=0.3)
    assert create(client, receiver, payer_alias=PAYS).status == "CREATED"


def test_a_paid_request_cannot_be_cancelled(base, client, receiver):
    created = create(client, receiver)
    pay_now(base, created.id)
    with pytest.raises(SwishRejected) as refused:
        client.cancel_payment_request(created.id)
    assert refused.value.codes == ("RP07",)
    assert client.get_payment_request(created.id).status == "PAID"


def test_cancel_speaks_json_patch(base, client, receiver):
    created = create(client, receiver)
    url = f"{base}/v1/paymentrequests/{created.id}"
    patch = [{"op": "replace", "path": "/status", "value": "cancelled"}]
    assert httpx.patch(url, json=patch).status_code == 415  # application/json is not a patch
    wrong = httpx.patch(url, content=json.dumps([{"op": "remove", "path": "/status"}]),
                        headers={"Content-Type": "application/json-patch+json"})
    assert wrong.status_code == 400
    assert client.get_payment_request(created.id).status == "CREATED"


# --- Mutual TLS ------------------------------------------------------------------------------

def _openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture
def certificates(tmp_path):
    """A CA, Swish's server certificate (localhost) and a merchant certificate, all signed by
    the CA, as Swish's test environment hands them out (in PEM)."""
    if not shutil.which("openssl"):
        pytest.skip("the openssl command makes the test certificates")
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    _openssl("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
             "-subj", "/CN=Test Swish Root CA", cwd=tmp_path)
    (tmp_path / "server.ext").write_text("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    for name, subject in (("server", "/CN=localhost"), ("merchant", f"/CN={PAYEE}")):
        _openssl("req", *ec, "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", subject,
                 cwd=tmp_path)
        extra = ["-extfile", "server.ext"] if name == "server" else []
        _openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                 "-CAcreateserial", "-out", f"{name}.pem", "-days", "2", *extra, cwd=tmp_path)
    return tmp_path


@pytest.fixture
def mutual_tls_swish(certificates):
    """A Swish that answers a status read only to a client presenting a certificate of its CA."""
    body = callback(status="CREATED", paymentReference=None, datePaid=None)
    seen = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            seen.append(self.connection.getpeercert()["subject"])
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH,
                                         cafile=str(certificates / "ca.pem"))
    context.verify_mode = ssl.CERT_REQUIRED
    context.load_cert_chain(certificates / "server.pem", certificates / "server.key")
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"https://localhost:{server.server_address[1]}/swish-cpcapi/api", seen
    server.shutdown()
    server.server_close()


def test_the_merchant_certificate_opens_the_door(certificates, mutual_tls_swish):
    url, seen = mutual_tls_swish
    swish_client = SwishClient(base_url=url, payee_alias=PAYEE, timeout=5,
                               cert_file=str(certificates / "merchant.pem"),
                               key_file=str(certificates / "merchant.key"),
                               ca_file=str(certificates / "ca.pem"))
    assert swish_client.get_payment_request(ID).status == "CREATED"
    assert seen == [((("commonName", PAYEE),),)]


def test_without_the_merchant_certificate_swish_is_unavailable(certificates, mutual_tls_swish):
    url, seen = mutual_tls_swish
    swish_client = SwishClient(base_url=url, payee_alias=PAYEE, timeout=5,
                               ca_file=str(certificates / "ca.pem"))
    with pytest.raises(SwishUnavailable):
        swish_client.get_payment_request(ID)
    assert seen == []


def test_a_server_outside_swish_s_ca_is_not_trusted(certificates, mutual_tls_swish):
    url, seen = mutual_tls_swish
    swish_client = SwishClient(base_url=url, payee_alias=PAYEE, timeout=5,
                               cert_file=str(certificates / "merchant.pem"),
                               key_file=str(certificates / "merchant.key"))
    with pytest.raises(SwishUnavailable, match="CERTIFICATE_VERIFY_FAILED"):
        swish_client.get_payment_request(ID)
    assert seen == []


def test_the_configured_client_reaches_the_simulator_without_certificates(settings, base,
                                                                          receiver):
    settings.SWISH_BASE_URL = base
    configured = swish.SwishClient.from_settings()
    assert create(configured, receiver).status == "CREATED"
