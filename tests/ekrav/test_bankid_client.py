"""The BankID client against ekrav's BankID simulator, over real HTTP (pytest-django's live
server): an identification from start to completion data, a signature that carries the text
signed, cancel, an order already in progress, expiry, the simulator validating like BankID,
and the client mapping BankID's errors."""

import base64
import json
import socket
import time
from datetime import date
from xml.etree import ElementTree

import httpx
import pytest

from ekrav.bankid import (BankIdClient, BankIdError, BankIdUnavailable, bankid_client,
                          encode_text)

IP = "192.0.2.10"
DAN = {"personalNumber": "198112289874", "name": "Dan Gäldenär", "givenName": "Dan",
       "surname": "Gäldenär"}
DSIG = "{http://www.w3.org/2000/09/xmldsig#}"
BID = "{http://www.bankid.com/signature/v1.0.0/types}"


@pytest.fixture
def base(live_server):
    return live_server.url + "/sim/bankid"


@pytest.fixture
def client(base):
    bankid = BankIdClient(base + "/rp/v6.0", timeout=5)
    yield bankid
    bankid.close()


def control(base, path, body=None, status=200):
    response = httpx.post(f"{base}/_control/{path}", json=body)
    assert response.status_code == status, response.text
    return response.json()


def rp(base, method, body, content_type="application/json"):
    return httpx.post(f"{base}/rp/v6.0/{method}", content=json.dumps(body).encode(),
                      headers={"Content-Type": content_type})


def test_an_identification_from_start_to_completion(base, client):
    order = client.auth(IP, user_visible_data="Logga in på Mitt Ärende")
    assert order.order_ref and order.auto_start_token and order.qr_start_token
    assert order.qr_start_secret

    first = client.collect(order.order_ref)
    assert (first.status, first.hint_code, first.completion) == \
        ("pending", "outstandingTransaction", None)
    control(base, f"orders/{order.order_ref}/start", {"hintCode": "started"})
    assert client.collect(order.order_ref).hint_code == "started"
    control(base, f"orders/{order.order_ref}/start", {"hintCode": "userSign"})
    assert client.collect(order.order_ref).hint_code == "userSign"

    control(base, f"orders/{order.order_ref}/complete", DAN)
    done = client.collect(order.order_ref)
    assert done.is_complete and done.hint_code is None
    c = done.completion
    assert (c.personal_number, c.name, c.given_name, c.surname) == \
        ("198112289874", "Dan Gäldenär", "Dan", "Gäldenär")
    assert c.ip_address == IP
    assert isinstance(c.bankid_issue_date, date) and c.bankid_issue_date < date.today()
    assert base64.b64decode(c.ocsp_response)
    assert ElementTree.fromstring(c.signature_xml).tag == f"{DSIG}Signature"


def test_a_signature_carries_the_text_signed(base, client):
    text = "Jag godkänner avbetalningsplanen: 3 × 1 234,50 kr."
    order = client.sign(IP, text, user_non_visible_data="plan:42",
                        user_visible_data_format="simpleMarkdownV1")
    control(base, f"orders/{order.order_ref}/complete", DAN)
    signature = ElementTree.fromstring(client.collect(order.order_ref).completion.signature_xml)
    visible = signature.find(f"{DSIG}Object/{BID}bankIdSignedData/{BID}usrVisibleData")
    assert base64.b64decode(visible.text).decode() == text
    hidden = signature.find(f"{DSIG}Object/{BID}bankIdSignedData/{BID}usrNonVisibleData")
    assert base64.b64decode(hidden.text).decode() == "plan:42"
    assert signature.find(f"{DSIG}SignedInfo/{DSIG}Reference/{DSIG}DigestValue").text


def test_a_final_state_is_collected_once(base, client):
    order = client.auth(IP)
    control(base, f"orders/{order.order_ref}/fail", {"hintCode": "userCancel"})
    failed = client.collect(order.order_ref)
    assert (failed.status, failed.hint_code) == ("failed", "userCancel")
    with pytest.raises(BankIdError) as error:
        client.collect(order.order_ref)
    assert error.value.error_code == "invalidParameters"


def test_a_cancelled_order_is_gone(client):
    order = client.auth(IP)
    assert client.collect(order.order_ref).is_pending
    assert client.cancel(order.order_ref) is None
    for call in (client.collect, client.cancel):
        with pytest.raises(BankIdError) as error:
            call(order.order_ref)
        assert (error.value.error_code, error.value.status_code) == ("invalidParameters", 400)


def test_a_second_order_for_the_same_person_cancels_the_first(client):
    first = client.auth(IP, personal_number=DAN["personalNumber"])
    with pytest.raises(BankIdError) as error:
        client.sign(IP, "Avtal", personal_number=DAN["personalNumber"])
    assert (error.value.error_code, error.value.status_code) == ("alreadyInProgress", 400)
    assert error.value.user_message.startswith("En identifiering eller underskrift")
    cancelled = client.collect(first.order_ref)
    assert (cancelled.status, cancelled.hint_code) == ("failed", "cancelled")
    assert client.auth(IP, personal_number=DAN["personalNumber"]).order_ref  # free again


def test_an_order_for_one_person_cannot_be_completed_by_another(base, client):
    order = client.auth(IP, personal_number=DAN["personalNumber"])
    control(base, f"orders/{order.order_ref}/complete",
            {**DAN, "personalNumber": "199001011239"}, status=400)


@pytest.mark.parametrize("end_user_ip", ["", "localhost", "300.1.2.3", "192.0.2"])
def test_an_invalid_end_user_ip_is_refused(client, end_user_ip):
    with pytest.raises(BankIdError) as error:
        client.auth(end_user_ip)
    assert (error.value.error_code, error.value.status_code) == ("invalidParameters", 400)


def test_an_ipv6_end_user_ip_is_taken(client):
    assert client.auth("2001:db8::1").order_ref


@pytest.mark.parametrize("personal_number", ["8112289874", "19811228-9874", "1981122898741"])
def test_a_personal_number_is_12_digits(client, personal_number):
    with pytest.raises(BankIdError, match="invalidParameters"):
        client.auth(IP, personal_number=personal_number)


def test_an_unknown_order_ref_is_invalid_parameters(client):
    for call in (client.collect, client.cancel):
        with pytest.raises(BankIdError) as error:
            call("131daac9-16c6-4618-beb0-365768f37288")
        assert error.value.error_code == "invalidParameters"


def test_an_order_nobody_completes_expires(client, settings):
    settings.BANKID_SIM_ORDER_SECONDS = 1
    order = client.auth(IP)
    assert client.collect(order.order_ref).is_pending
    time.sleep(1.2)
    expired = client.collect(order.order_ref)
    assert (expired.status, expired.hint_code) == ("failed", "expiredTransaction")


def test_the_next_order_can_be_decided_ahead(base, client):
    control(base, "next", {"outcome": "complete", **DAN})
    done = client.collect(client.auth(IP).order_ref)
    assert done.is_complete and done.completion.personal_number == DAN["personalNumber"]
    assert client.collect(client.auth(IP).order_ref).is_pending  # only the next one
    control(base, "next", {"outcome": "failed", "hintCode": "startFailed"})
    failed = client.collect(client.auth(IP).order_ref)
    assert (failed.status, failed.hint_code) == ("failed", "startFailed")


def test_the_simulator_validates_like_bankid(base):
    assert rp(base, "sign", {"endUserIp": IP}).json()["errorCode"] == "invalidParameters"
    for bad in ["not base64!", "", "A" * 40_004, base64.b64encode(b"\xff\xfe").decode()]:
        answer = rp(base, "sign", {"endUserIp": IP, "userVisibleData": bad})
        assert (answer.status_code, answer.json()["errorCode"]) == (400, "invalidParameters")
    answer = rp(base, "auth", {"endUserIp": IP, "userNonVisibleData": "A" * 200_004})
    assert answer.json()["errorCode"] == "invalidParameters"
    answer = rp(base, "auth", {"endUserIp": IP, "userVisibleDataFormat": "simpleMarkdownV1"})
    assert answer.json()["errorCode"] == "invalidParameters"
    text = encode_text("x")
    for data_format, status in (("simpleMarkdownV1", 200), ("html", 400)):
        assert rp(base, "auth", {"endUserIp": IP, "userVisibleData": text,
                                 "userVisibleDataFormat": data_format}).status_code == status
    web = {"referringDomain": "ekrav.se", "userAgent": "Firefox", "deviceIdentifier": "a" * 64}
    assert rp(base, "auth", {"endUserIp": IP, "web": web, "returnRisk": True,
                             "returnUrl": "https://ekrav.se/x"}).status_code == 200
    for bad in ({"web": "ekrav.se"}, {"web": {**web, "referringDomain": "ek"}},
                {"web": {**web, "userAgent": "x" * 257}},
                {"web": {**web, "deviceIdentifier": "a" * 65}}, {"returnRisk": "yes"},
                {"returnUrl": ""}, {"returnUrl": "https://ekrav.se/" + "x" * 500}):
        answer = rp(base, "auth", {"endUserIp": IP, **bad})
        assert (answer.status_code, answer.json()["errorCode"]) == (400, "invalidParameters")
    assert rp(base, "auth", {"endUserIp": IP, "userVisibleData": encode_text("x" * 29_000)}
              ).status_code == 200
    answer = rp(base, "auth", {"endUserIp": IP}, content_type="application/json; charset=UTF-8")
    assert (answer.status_code, answer.json()["errorCode"]) == (415, "unsupportedMediaType")
    answer = httpx.get(f"{base}/rp/v6.0/collect")
    assert (answer.status_code, answer.json()["errorCode"]) == (405, "methodNotAllowed")
    answer = rp(base, "collect", ["orderRef"])
    assert answer.json()["errorCode"] == "invalidParameters"


def test_the_simulator_down_is_unavailable():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    bankid = BankIdClient(f"http://127.0.0.1:{port}/rp/v6.0", timeout=2)
    with pytest.raises(BankIdUnavailable, match="ConnectError") as error:
        bankid.auth(IP)
    assert error.value.user_message == "Något gick fel. Försök igen."


@pytest.mark.parametrize("status, body, error", [
    (503, {"errorCode": "maintenance", "details": "Down for maintenance"}, BankIdUnavailable),
    (500, {"errorCode": "internalError", "details": ""}, BankIdUnavailable),
    (500, "<html>oops</html>", BankIdUnavailable),
    (404, "<html>Not Found</html>", BankIdUnavailable),
    (401, {"errorCode": "unauthorized", "details": "Unauthorized"}, BankIdError),
    (408, {"errorCode": "requestTimeout", "details": "Timeout"}, BankIdError),
    (200, {"orderRef": "a"}, BankIdUnavailable),
    (200, "not json", BankIdUnavailable),
])
def test_bankid_answers_are_mapped_to_errors(status, body, error):
    def answer(request):
        assert request.headers["Content-Type"] == "application/json"
        if isinstance(body, str):
            return httpx.Response(status, text=body)
        return httpx.Response(status, json=body)

    bankid = BankIdClient("https://appapi2.test.bankid.com/rp/v6.0",
                          transport=httpx.MockTransport(answer))
    with pytest.raises(error) as raised:
        bankid.auth(IP)
    assert raised.value.status_code == status
    if isinstance(body, dict) and "errorCode" in body:
        assert raised.value.error_code == body["errorCode"]


def test_a_collect_answer_for_another_order_is_unavailable():
    answer = {"orderRef": "other", "status": "pending", "hintCode": "noClient"}
    bankid = BankIdClient("https://appapi2.test.bankid.com/rp/v6.0",
                          transport=httpx.MockTransport(lambda r: httpx.Response(200,
                                                                                 json=answer)))
    with pytest.raises(BankIdUnavailable):
        bankid.collect("mine")


def test_the_wire_shape_is_bankid_s():
    sent = []

    def answer(request):
        sent.append((request.url.path, json.loads(request.content)))
        return httpx.Response(200, json={"orderRef": "o", "autoStartToken": "a",
                                         "qrStartToken": "q", "qrStartSecret": "s"})

    bankid = BankIdClient("https://appapi2.test.bankid.com/rp/v6.0/",
                          transport=httpx.MockTransport(answer))
    bankid.auth(IP, personal_number="198112289874", return_url="https://ekrav.se/x")
    bankid.sign(IP, "Åtta", user_non_visible_data="n")
    assert sent == [
        ("/rp/v6.0/auth", {"endUserIp": IP, "requirement": {"personalNumber": "198112289874"},
                           "returnUrl": "https://ekrav.se/x"}),
        ("/rp/v6.0/sign", {"endUserIp": IP, "userVisibleData": encode_text("Åtta"),
                           "userNonVisibleData": encode_text("n")}),
    ]


def test_from_settings(settings):
    settings.BANKID_BASE_URL = ""
    assert bankid_client() is None
    settings.BANKID_BASE_URL = "https://appapi2.test.bankid.com/rp/v6.0"
    first = bankid_client()
    assert isinstance(first, BankIdClient) and bankid_client() is first
    assert "appapi2.test.bankid.com" in repr(first)
