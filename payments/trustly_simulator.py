"""A local Trustly: the merchant API's ``Deposit`` (JSON-RPC 1.1 at ``api/1``), the payer's
bank page and the signed notifications, served by ekrav under /sim/trustly/ when
SIMULATORS_ENABLED (ARCHITECTURE.md, decision 8). ``payments.trustly`` talks to it over real
HTTP exactly as it talks to trustly.com.

The API checks what Trustly checks: JSON-RPC 1.1, the method (only ``Deposit`` here), the
merchant's signature (with the merchant's public key, TRUSTLY_SIM_KEY_DIR/merchant-public.pem),
the credentials (TRUSTLY_USERNAME / TRUSTLY_PASSWORD), the fields (amount with two decimals,
SEK, SE, HTTP(S) URLs), and a MessageID not used before. Errors are Trustly's signed error
object: 636 ERROR_UNABLE_TO_VERIFY_RSA_SIGNATURE, 616 ERROR_INVALID_CREDENTIALS, 615
ERROR_INVALID_PARAMETERS (the simulator's choice of code for any bad field), 637
ERROR_DUPLICATE_MESSAGE_ID (likewise), 620 ERROR_UNKNOWN for another method.

The answer's ``url`` is ``pay/<orderid>``: a plain HTML form with Approve / Decline / Abandon.
Approve sends ``pending`` then ``credit`` to NotificationURL and redirects to SuccessURL;
Decline sends ``cancel`` and redirects to FailURL; Abandon sends nothing (the payer walked
away: a timeout) and shows a page. Notifications are signed with the simulated Trustly's key
(TRUSTLY_SIM_KEY_DIR/trustly-private.pem), delivered before the redirect, retried up to three
times until the merchant answers with a result whose status is OK; the merchant's signature on
that answer is checked and recorded.

Control (for tests and demos): ``POST _control/redeliver/<orderid>`` sends every notification
of the order again (same notificationid, as Trustly does when unsure);
``GET _control/orders/<orderid>`` shows the order and every delivery.

Like the Swish simulator it only notifies ekrav itself (SITE_URL's host) or the loopback
interface. State lives in the default cache: a stand-in, not a record.
"""

from __future__ import annotations

import html
import json
import logging
import secrets
import time
import uuid as uuid_module
from datetime import datetime, timezone as dt_timezone
from decimal import Decimal
from ipaddress import ip_address
from urllib.parse import urlsplit

import httpx
from django.conf import settings
from django.core.cache import cache
from django.http import (HttpResponse, HttpResponseNotAllowed, HttpResponseNotFound,
                         HttpResponseRedirect, JsonResponse)
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt

from payments import trustly

logger = logging.getLogger(__name__)

NOTIFY_ATTEMPTS = 3
NOTIFY_TIMEOUT = 10.0
NOTIFY_RETRY_PAUSE = 0.3
STATE_TIMEOUT = 24 * 3600
ERRORS = {
    615: "ERROR_INVALID_PARAMETERS",
    616: "ERROR_INVALID_CREDENTIALS",
    620: "ERROR_UNKNOWN",
    636: "ERROR_UNABLE_TO_VERIFY_RSA_SIGNATURE",
    637: "ERROR_DUPLICATE_MESSAGE_ID",
}


def _key(*parts: str) -> str:
    return "trustly-sim:" + ":".join(parts)


def sim_keys() -> tuple[trustly.RSAPrivateKey, trustly.RSAPublicKey]:
    """The simulated Trustly's private key and the merchant's public key, made on first use."""
    directory = settings.TRUSTLY_SIM_KEY_DIR
    trustly_private, _ = trustly.ensure_key_pair(directory, "trustly")
    _, merchant_public = trustly.ensure_key_pair(directory, "merchant")
    return (trustly.private_key_from_file(trustly_private),
            trustly.public_key_from_file(merchant_public))


# --- The API ---------------------------------------------------------------------------------

@csrf_exempt
def api(request):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    own_key, merchant_key = sim_keys()
    try:
        call = json.loads(request.body, parse_float=Decimal)
    except (ValueError, UnicodeDecodeError):
        call = None
    if not isinstance(call, dict) or call.get("version") != trustly.VERSION or \
            not isinstance(call.get("params"), dict):
        return _error(own_key, "", "", 620, "not a JSON-RPC 1.1 call")
    method, params = call.get("method"), call["params"]
    call_uuid, data = params.get("UUID"), params.get("Data")
    if not isinstance(call_uuid, str) or not isinstance(data, dict):
        return _error(own_key, method, call_uuid, 615, "UUID and Data are required")
    if method != "Deposit":
        return _error(own_key, method, call_uuid, 620, f"method {method!r} is not simulated")
    if not trustly.verify(method, call_uuid, data, params.get("Signature"), merchant_key):
        return _error(own_key, method, call_uuid, 636)
    if data.get("Username") != settings.TRUSTLY_USERNAME or \
            data.get("Password") != settings.TRUSTLY_PASSWORD:
        return _error(own_key, method, call_uuid, 616)
    problem = _deposit_problem(data)
    if problem:
        return _error(own_key, method, call_uuid, 615, problem)
    message_id = str(data["MessageID"])
    order_id = str(secrets.randbelow(9 * 10 ** 9) + 10 ** 9)
    if not cache.add(_key("message", message_id), order_id, timeout=STATE_TIMEOUT):
        return _error(own_key, method, call_uuid, 637)
    attributes = data["Attributes"]
    cache.set(_key("order", order_id), {
        "orderid": order_id, "messageid": message_id, "enduserid": str(data["EndUserID"]),
        "amount": attributes["Amount"], "currency": attributes["Currency"],
        "notification_url": data["NotificationURL"], "success_url": attributes["SuccessURL"],
        "fail_url": attributes["FailURL"], "status": "created", "notifications": [],
        "deliveries": []}, timeout=STATE_TIMEOUT)
    url = request.build_absolute_uri(reverse("provider_sim:trustly_pay", args=[order_id]))
    result = {"orderid": order_id, "url": url}
    return JsonResponse({"result": {"signature": trustly.sign(method, call_uuid, result, own_key),
                                    "uuid": call_uuid, "method": method, "data": result},
                         "version": trustly.VERSION})


def _deposit_problem(data: dict) -> str | None:
    attributes = data.get("Attributes")
    if not isinstance(attributes, dict):
        return "Attributes is required"
    for field in ("EndUserID", "MessageID"):
        if not isinstance(data.get(field), str) or not data[field]:
            return f"{field} is required"
    amount = attributes.get("Amount")
    if not isinstance(amount, str) or not trustly._AMOUNT.fullmatch(amount) or \
            Decimal(amount) <= 0:
        return "Attributes.Amount must be an amount with two decimals"
    if attributes.get("Currency") != "SEK":
        return "Attributes.Currency must be SEK"
    if attributes.get("Country") != "SE":
        return "Attributes.Country must be SE"
    for url in (data.get("NotificationURL"), attributes.get("SuccessURL"),
                attributes.get("FailURL")):
        if not isinstance(url, str) or urlsplit(url).scheme not in ("http", "https") or \
                not urlsplit(url).hostname:
            return f"{url!r} is not an URL"
    if not _may_notify(urlsplit(data["NotificationURL"]).hostname):
        return ("this simulator only notifies ekrav itself (SITE_URL's host) or the loopback "
                "interface")
    return None


def _may_notify(host: str) -> bool:
    if host == "localhost" or host == urlsplit(settings.SITE_URL).hostname:
        return True
    try:
        return ip_address(host).is_loopback
    except ValueError:
        return False


def _error(own_key, method, call_uuid, code: int, detail: str | None = None) -> JsonResponse:
    data = {"code": code, "message": ERRORS[code] + (f": {detail}" if detail else "")}
    method, call_uuid = method if isinstance(method, str) else "", call_uuid or ""
    inner = {"signature": trustly.sign(method, call_uuid, data, own_key), "uuid": call_uuid,
             "method": method, "data": data}
    # Trustly answers a JSON-RPC error with HTTP 200.
    return JsonResponse({"error": {"name": "JSONRPCError", "code": code,
                                   "message": data["message"], "error": inner},
                         "version": trustly.VERSION})


# --- The payer's page ------------------------------------------------------------------------

_PAGE = """<!doctype html>
<html lang="sv"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>Trustly (simulator)</title></head>
<body><h1>Trustly (simulator)</h1>{body}</body></html>"""


@csrf_exempt
def pay(request, order_id):
    """GET shows the order and three buttons; POST with ``action`` approve / decline / abandon
    ends it (once)."""
    state = cache.get(_key("order", order_id))
    if state is None:
        return HttpResponseNotFound("no such order")
    if request.method == "GET":
        if state["status"] != "created":
            return _page(f"<p>Ordern är redan avslutad ({html.escape(state['status'])}).</p>")
        return _page(
            f"<p>Betala {html.escape(state['amount'])} {html.escape(state['currency'])} "
            f"(order {html.escape(order_id)}).</p>"
            f'<form method="post">'
            f'<button name="action" value="approve">Approve</button> '
            f'<button name="action" value="decline">Decline</button> '
            f'<button name="action" value="abandon">Abandon</button></form>')
    if request.method != "POST":
        return HttpResponseNotAllowed(["GET", "POST"])
    action = request.POST.get("action")
    if action not in ("approve", "decline", "abandon"):
        return HttpResponse("action must be approve, decline or abandon", status=400)
    if not cache.add(_key("decided", order_id), action, timeout=STATE_TIMEOUT):
        return HttpResponse("the order has already ended", status=409)
    if action == "abandon":
        _update(order_id, status="abandoned")
        return _page("<p>Du avbröt betalningen. Inget meddelande skickas.</p>")
    if action == "approve":
        _update(order_id, status="credited")
        _notify(order_id, "pending")
        _notify(order_id, "credit")
        return HttpResponseRedirect(state["success_url"])
    _update(order_id, status="cancelled")
    _notify(order_id, "cancel")
    return HttpResponseRedirect(state["fail_url"])


def _page(body: str, status: int = 200) -> HttpResponse:
    return HttpResponse(_PAGE.format(body=body), status=status)


def _update(order_id: str, **fields) -> dict:
    state = cache.get(_key("order", order_id))
    state.update(fields)
    cache.set(_key("order", order_id), state, timeout=STATE_TIMEOUT)
    return state


def _notify(order_id: str, method: str) -> dict:
    state = cache.get(_key("order", order_id))
    data = {"notificationid": str(secrets.randbelow(9 * 10 ** 9) + 10 ** 9),
            "messageid": state["messageid"], "orderid": order_id,
            "enduserid": state["enduserid"], "timestamp": _now(), "attributes": None}
    if method != "cancel":
        data.update(amount=state["amount"], currency=state["currency"])
    notification = {"method": method, "uuid": str(uuid_module.uuid4()), "data": data}
    state["notifications"].append(notification)
    cache.set(_key("order", order_id), state, timeout=STATE_TIMEOUT)
    return _deliver(order_id, notification)


def _deliver(order_id: str, notification: dict) -> dict:
    own_key, merchant_key = sim_keys()
    method, call_uuid, data = notification["method"], notification["uuid"], notification["data"]
    body = json.dumps({"method": method, "version": trustly.VERSION, "params": {
        "signature": trustly.sign(method, call_uuid, data, own_key), "uuid": call_uuid,
        "data": data}}).encode()
    state = cache.get(_key("order", order_id))
    delivery = {"at": _now(), "method": method, "notificationid": data["notificationid"],
                "attempts": 0, "statusCode": None, "error": None, "answeredOK": False}
    for attempt in range(NOTIFY_ATTEMPTS):
        if attempt:
            time.sleep(NOTIFY_RETRY_PAUSE * attempt)
        delivery["attempts"] += 1
        try:
            answer = httpx.post(state["notification_url"], content=body, timeout=NOTIFY_TIMEOUT,
                                headers={"Content-Type": "application/json"})
        except httpx.HTTPError as exc:
            delivery["error"] = f"{type(exc).__name__}: {exc}"
            continue
        delivery["statusCode"], delivery["error"] = answer.status_code, None
        if _answered_ok(answer, method, call_uuid, merchant_key):
            delivery["answeredOK"] = True
            break
    state = cache.get(_key("order", order_id))
    state["deliveries"].append(delivery)
    cache.set(_key("order", order_id), state, timeout=STATE_TIMEOUT)
    return delivery


def _answered_ok(answer: httpx.Response, method: str, call_uuid: str, merchant_key) -> bool:
    try:
        result = answer.json().get("result")
    except (ValueError, AttributeError):
        return False
    return (answer.status_code == 200 and isinstance(result, dict)
            and result.get("uuid") == call_uuid and result.get("data") == {"status": "OK"}
            and trustly.verify(result.get("method") or method, call_uuid, result["data"],
                               result.get("signature"), merchant_key))


def _now() -> str:
    # Trustly's form: "2024-01-02 13:14:15.123456+00".
    return datetime.now(dt_timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f+00")


# --- Control ---------------------------------------------------------------------------------

@csrf_exempt
def control_redeliver(request, order_id):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    state = cache.get(_key("order", order_id))
    if state is None:
        return JsonResponse({"error": "no such order"}, status=404)
    return JsonResponse({"deliveries": [_deliver(order_id, n) for n in state["notifications"]]})


def control_order(request, order_id):
    state = cache.get(_key("order", order_id))
    if state is None:
        return JsonResponse({"error": "no such order"}, status=404)
    return JsonResponse(state)
