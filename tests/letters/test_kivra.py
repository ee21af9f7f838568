"""The Kivra client against ekrav's Kivra simulator, over real HTTP (pytest-django's live
server): token flow, recipient matching, content delivery and every way it can go wrong."""

import base64
import hashlib
import re
import socket
import time
from datetime import date

import httpx
import pytest

from letters import kivra
from letters.kivra import (TYPE_DEBT_COLLECTION, KivraAuthFailed, KivraClient, KivraPayment,
                           KivraRejected, KivraUnavailable, content_body)

CLIENT_ID, SECRET, TENANT = "ekrav-test", "s3cret-never-in-messages", "tenant-42"
# Real-shaped personnummer (valid check digits); the simulator's default rule gives a mailbox
# to those ending in an even digit.
EVEN, EVEN_2 = "198112289874", "197203152462"
ODD, ODD_2 = "199001011239", "196407071015"
PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PAYMENT = KivraPayment(amount_ore=123450, due_date=date(2026, 3, 2), ocr="123456790",
                       bankgiro="5050-1055")


class Wire(httpx.BaseTransport):
    """Real HTTP, with a note of every path asked for."""

    def __init__(self):
        self.inner = httpx.HTTPTransport()
        self.paths = []

    def handle_request(self, request):
        self.paths.append(request.url.path.split("/sim/kivra", 1)[-1])
        return self.inner.handle_request(request)

    def close(self):
        self.inner.close()


@pytest.fixture
def base(live_server, settings):
    settings.KIVRA_CLIENT_ID, settings.KIVRA_CLIENT_SECRET = CLIENT_ID, SECRET
    settings.KIVRA_TENANT_KEY = TENANT
    return live_server.url + "/sim/kivra"


@pytest.fixture
def wire():
    transport = Wire()
    yield transport
    transport.close()


def make_client(base, transport=None, secret=SECRET):
    return KivraClient(base_url=base, client_id=CLIENT_ID, client_secret=secret,
                       tenant_key=TENANT, timeout=5, transport=transport)


@pytest.fixture
def kivra_client(base, wire):
    client = make_client(base, wire)
    yield client
    client.close()


def behave(base, ssn, behaviour):
    response = httpx.post(f"{base}/_control/recipients/{ssn}", json={"behaviour": behaviour})
    assert response.status_code == 200, response.text


def inbox(base, ssn):
    return httpx.get(f"{base}/_inbox/{ssn}").json()["content"]


def send(client, ssn=EVEN, pdf=PDF, generated_at=date(2026, 2, 20), payment=PAYMENT):
    return client.send_content(ssn=ssn, subject="Inkassokrav – ärende 1001", pdf=pdf,
                               filename="inkassokrav-1001.pdf", payment=payment,
                               generated_at=generated_at, kivra_type=TYPE_DEBT_COLLECTION)


def bearer(base):
    response = httpx.post(f"{base}/v1/auth", data={"grant_type": "client_credentials"},
                          auth=(CLIENT_ID, SECRET))
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


# --- Token -----------------------------------------------------------------------------------

def test_token_is_fetched_lazily_and_reused(kivra_client, wire):
    assert wire.paths == []
    kivra_client.usermatch([EVEN])
    kivra_client.usermatch([ODD])
    assert wire.paths == ["/v1/auth", *[f"/v2/tenant/{TENANT}/usermatch/ssn"] * 2]


def test_token_is_renewed_before_it_expires(kivra_client, wire, monkeypatch):
    kivra_client.usermatch([EVEN])
    later = time.monotonic() + 8 * 3600
    monkeypatch.setattr(kivra, "_clock", lambda: later)
    kivra_client.usermatch([EVEN])
    assert wire.paths.count("/v1/auth") == 2


def test_a_401_renews_the_token_once_and_retries(base, kivra_client, wire):
    kivra_client.usermatch([EVEN])
    httpx.post(f"{base}/_control/tokens/expire").raise_for_status()
    assert kivra_client.usermatch([EVEN]) == {EVEN}
    match = f"/v2/tenant/{TENANT}/usermatch/ssn"
    assert wire.paths == ["/v1/auth", match, match, "/v1/auth", match]


def test_wrong_credentials_fail_at_once_without_the_secret(base, wire):
    wrong = "wrong-secret-1234"
    client = make_client(base, wire, secret=wrong)
    with pytest.raises(KivraAuthFailed) as failed:
        client.send_content(ssn=EVEN, subject="x", pdf=PDF, filename="a.pdf", payment=None,
                            generated_at=date(2026, 2, 20))
    assert wire.paths == ["/v1/auth"]
    assert wrong not in str(failed.value) and wrong not in repr(client)
    assert "invalid_client" in str(failed.value)
    # A retryable failure for the letter: ops fix the credentials, the next attempt works.
    assert isinstance(failed.value, KivraUnavailable)


def test_a_token_kivra_keeps_refusing_is_not_a_loop():
    calls = []

    def kivra_refusing(request):
        calls.append(request.url.path)
        if request.url.path == "/v1/auth":
            return httpx.Response(200, json={"access_token": "token-" + "x" * 40,
                                               "expires_in": 28800})
        return httpx.Response(401, json={"code": 40100, "short_message": "Unauthorized"})

    client = make_client("https://kivra.invalid", httpx.MockTransport(kivra_refusing))
    with pytest.raises(KivraAuthFailed, match="HTTP 401: Unauthorized"):
        client.usermatch([EVEN])
    assert calls == ["/v1/auth", f"/v2/tenant/{TENANT}/usermatch/ssn"] * 2


def test_token_endpoint_speaks_oauth2(base):
    url, grant = f"{base}/v1/auth", {"grant_type": "client_credentials"}
    by_form = httpx.post(url, data={**grant, "client_id": CLIENT_ID, "client_secret": SECRET})
    assert by_form.status_code == 200
    assert by_form.json()["token_type"] == "bearer" and by_form.json()["expires_in"] == 28800
    no_grant = httpx.post(url, auth=(CLIENT_ID, SECRET))
    assert (no_grant.status_code, no_grant.json()["error"]) == (400, "unsupported_grant_type")
    wrong = httpx.post(url, data=grant, auth=(CLIENT_ID, "nope"))
    assert (wrong.status_code, wrong.json()["error"]) == (401, "invalid_client")
    assert httpx.get(url).status_code == 405


def test_api_wants_a_bearer_token_and_our_tenant(base):
    url = f"{base}/v2/tenant/{TENANT}/usermatch/ssn"
    assert httpx.post(url, json={"list": [EVEN]}).status_code == 401
    stale = httpx.post(url, json={"list": [EVEN]}, headers={"Authorization": "Bearer made-up"})
    assert stale.status_code == 401
    other = httpx.post(f"{base}/v2/tenant/someone-else/usermatch/ssn", json={"list": [EVEN]},
                       headers=bearer(base))
    assert other.status_code == 403


# --- Usermatch -------------------------------------------------------------------------------

def test_usermatch_default_rule_even_last_digit_has_a_mailbox(kivra_client):
    assert kivra_client.usermatch([EVEN, ODD, EVEN_2, ODD_2, EVEN]) == {EVEN, EVEN_2}


def test_usermatch_follows_overrides(base, kivra_client):
    behave(base, ODD, "accept")
    behave(base, EVEN, "no_mailbox")
    behave(base, EVEN_2, "reject")  # has a mailbox; it is the sending that fails
    behave(base, ODD_2, "fail")
    assert kivra_client.usermatch([EVEN, ODD, EVEN_2, ODD_2]) == {ODD, EVEN_2, ODD_2}


def test_usermatch_of_nobody_asks_nothing(kivra_client, wire):
    assert kivra_client.usermatch([]) == set()
    assert wire.paths == []


def test_usermatch_wants_12_digits(kivra_client):
    with pytest.raises(ValueError):
        kivra_client.usermatch(["8112289874"])


# --- Content ---------------------------------------------------------------------------------

def test_content_arrives_with_its_pdf_and_payment_option(base, kivra_client):
    key = send(kivra_client)
    assert re.fullmatch(r"\d{10}[0-9a-f]{32}", key)
    [received] = inbox(base, EVEN)
    assert received["key"] == key
    assert (received["subject"], received["generated_at"], received["type"]) == (
        "Inkassokrav – ärende 1001", "2026-02-20", "invoice.debtcollection")
    assert received["files"] == [{"name": "inkassokrav-1001.pdf", "content_type":
                                  "application/pdf", "size": len(PDF),
                                  "sha256": hashlib.sha256(PDF).hexdigest()}]
    assert received["payment"] == {
        "payable": True, "currency": "SEK", "due_date": "2026-03-02", "total_owed": "1234.50",
        "type": "SE_OCR", "method": "1", "account": "50501055", "reference": "123456790"}
    assert inbox(base, EVEN_2) == []


def test_a_letter_without_payment_is_a_letter(base, kivra_client):
    kivra_client.send_content(ssn=EVEN, subject="Besked", pdf=PDF, filename="besked.pdf",
                              payment=None, generated_at=date(2026, 2, 20))
    [received] = inbox(base, EVEN)
    assert (received["type"], received["payment"]) == ("letter", None)


def test_resending_the_same_pdf_delivers_it_once(base, kivra_client):
    first = send(kivra_client, generated_at=date(2026, 2, 20))
    again = send(kivra_client, generated_at=date(2026, 2, 23))
    other = send(kivra_client, pdf=PDF + b"% another rendering\n")
    assert first == again != other
    assert [c["key"] for c in inbox(base, EVEN)] == [first, other]


@pytest.mark.parametrize("behaviour, error, reason", [
    ("reject", KivraRejected, "Content rejected"),
    ("no_mailbox", KivraRejected, "Recipient not found"),
    ("fail", KivraUnavailable, "HTTP 503"),
])
def test_refused_content(base, kivra_client, behaviour, error, reason):
    behave(base, EVEN, behaviour)
    with pytest.raises(error, match=reason) as raised:
        send(kivra_client)
    assert not isinstance(raised.value, KivraAuthFailed)
    assert inbox(base, EVEN) == []


def test_content_to_someone_without_kivra_is_rejected(kivra_client):
    with pytest.raises(KivraRejected, match="Recipient not found"):
        send(kivra_client, ssn=ODD)


def test_unreachable_kivra_is_unavailable(db):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = make_client(f"http://127.0.0.1:{port}")
    with pytest.raises(KivraUnavailable, match="ConnectError"):
        send(client)


def test_a_timeout_is_unavailable():
    def slow(request):
        raise httpx.ReadTimeout("timed out", request=request)

    client = make_client("https://kivra.invalid", httpx.MockTransport(slow))
    with pytest.raises(KivraUnavailable, match="no answer within 5 s"):
        client.usermatch([EVEN])


def test_from_settings(base, settings):
    settings.KIVRA_BASE_URL = ""
    assert KivraClient.from_settings() is None
    settings.KIVRA_BASE_URL = base
    client = KivraClient.from_settings()
    assert client is KivraClient.from_settings()  # one per process: the token is reused
    assert client.usermatch([EVEN, ODD]) == {EVEN}


# --- The simulator refuses what Kivra would ---------------------------------------------------

def valid_content():
    return content_body(ssn=EVEN, subject="Påminnelse", pdf=PDF, filename="p.pdf",
                        payment=PAYMENT, generated_at=date(2026, 2, 20), kivra_type="invoice")


def changed(path, value):
    body = valid_content()
    *parents, last = path.split(".")
    target = body
    for name in parents:
        target = target[name][0] if name == "parts" else target[name]
    if value is None:
        del target[last]
    else:
        target[last] = value
    return body


MALFORMED_CONTENT = [
    (b"{not json", "Could not parse posted body as JSON"),
    ([valid_content()], "JSON object"),
    (changed("ssn", None), "ssn is required"),
    (changed("ssn", "8112289874"), "12 digits"),
    (changed("subject", None), "subject is required"),
    (changed("type", "invoice.bogus"), "not a Kivra content type"),
    (changed("generated_at", "20/02/2026"), "generated_at must be a date"),
    (changed("parts", None), "parts must be a non-empty array"),
    (changed("parts.data", "not base64!"), "data is not base64"),
    (changed("parts.data", base64.b64encode(b"<html>").decode()), "data is not a PDF"),
    (changed("parts.content_type", "text/html"), "must be application/pdf"),
    (changed("payment", None), "needs a valid payment"),
    (changed("payment.total_owed", None), "payment lacks total_owed"),
    (changed("payment.total_owed", "1234,50"), "positive amount in kronor"),
    (changed("payment.total_owed", "0.00"), "positive amount in kronor"),
    (changed("payment.currency", "EUR"), "currency must be SEK"),
    (changed("payment.reference", "123456791"), "valid OCR number"),
    (changed("payment.account", "5050-1056"), "bankgiro"),
    (changed("payment_multiple_options", {"options": []}), "cannot both be given"),
]


@pytest.mark.parametrize("body, reason", MALFORMED_CONTENT)
def test_malformed_content_is_400_with_a_reason(base, body, reason):
    kwargs = {"content": body} if isinstance(body, bytes) else {"json": body}
    response = httpx.post(f"{base}/v2/tenant/{TENANT}/content", headers=bearer(base), **kwargs)
    assert response.status_code == 400, response.text
    assert reason in response.json()["long_message"]


@pytest.mark.parametrize("body, reason", [
    ({}, "list must be an array"),
    ({"list": EVEN}, "list must be an array"),
    ({"list": ["8112289874"]}, "12 digits"),
])
def test_malformed_usermatch_is_400_with_a_reason(base, body, reason):
    response = httpx.post(f"{base}/v2/tenant/{TENANT}/usermatch/ssn", json=body,
                          headers=bearer(base))
    assert response.status_code == 400 and reason in response.json()["long_message"]


@pytest.mark.parametrize("ssn, body", [(EVEN, {"behaviour": "explode"}),
                                       ("8112289874", {"behaviour": "accept"})])
def test_control_refuses_nonsense(base, ssn, body):
    response = httpx.post(f"{base}/_control/recipients/{ssn}", json=body)
    assert response.status_code == 400 and response.json()["long_message"]
