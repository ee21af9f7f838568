"""A local hosted card payment page, served by ekrav under /sim/card/ when SIMULATORS_ENABLED
(ARCHITECTURE.md, decision 8); ``payments.card`` talks to it over real HTTP.

``POST v1/sessions`` (Bearer CARD_API_KEY, else 401) checks the body (amount whole öre > 0,
SEK, reference, HTTP(S) URLs; 422 ``{"error": {"code", "message"}}``) and answers 201 with the
session; the same Idempotency-Key returns the same session. ``GET v1/sessions/<id>`` reads it.
``pay/<id>`` is the payer's page: a plain form with Pay / Decline / Abandon. Pay and Decline
POST a webhook signed with CARD_WEBHOOK_SECRET (``payment.paid`` / ``payment.declined``) and
redirect to success_url / cancel_url; Abandon sends nothing (a timeout).
``POST _control/redeliver/<id>`` sends the session's webhooks again with their original
signature and time, as a replaying attacker (or a slow retry) would;
``GET _control/sessions/<id>`` shows the session and its deliveries.
It only calls ekrav itself (SITE_URL's host) or the loopback interface. State: the cache.
"""

from __future__ import annotations

import html
import json
import secrets
import time
from urllib.parse import urlsplit

import httpx
from django.conf import settings
from django.core.cache import cache
from django.http import (HttpResponse, HttpResponseNotAllowed, HttpResponseNotFound,
                         HttpResponseRedirect, JsonResponse)
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt

from payments.card import SIGNATURE_HEADER, sign_webhook
from payments.trustly_simulator import _may_notify

STATE_TIMEOUT = 24 * 3600
WEBHOOK_TIMEOUT = 10.0


def _key(*parts: str) -> str:
    return "card-sim:" + ":".join(parts)


def _error(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse({"error": {"code": code, "message": message}}, status=status)


def _public(state: dict) -> dict:
    return {k: state[k] for k in ("id", "redirect_url", "status", "amount", "currency",
                                  "reference")}


@csrf_exempt
def sessions(request):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if request.headers.get("Authorization") != f"Bearer {settings.CARD_API_KEY}":
        return _error(401, "unauthorized", "invalid API key")
    try:
        body = json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        body = None
    if not isinstance(body, dict):
        return _error(400, "invalid_json", "the body must be a JSON object")
    amount = body.get("amount")
    if isinstance(amount, bool) or not isinstance(amount, int) or amount < 1:
        return _error(422, "invalid_amount", "amount must be a positive integer (öre)")
    if body.get("currency") != "SEK":
        return _error(422, "invalid_currency", "currency must be SEK")
    if not isinstance(body.get("reference"), str) or not body["reference"]:
        return _error(422, "invalid_reference", "reference is required")
    for field in ("success_url", "cancel_url", "webhook_url"):
        url = body.get(field)
        if not isinstance(url, str) or urlsplit(url).scheme not in ("http", "https") or \
                not urlsplit(url).hostname:
            return _error(422, "invalid_url", f"{field} must be an URL")
    if not _may_notify(urlsplit(body["webhook_url"]).hostname):
        return _error(422, "invalid_url", "this simulator only calls ekrav or loopback")
    idempotency = request.headers.get("Idempotency-Key")
    if idempotency:
        existing = cache.get(_key("idem", idempotency))
        if existing:
            state = cache.get(_key("session", existing))
            if state and (state["amount"], state["reference"]) == (amount, body["reference"]):
                return JsonResponse(_public(state), status=201)
            return _error(422, "idempotency_mismatch", "the key was used for another session")
    session_id = "cs_" + secrets.token_hex(12)
    state = {"id": session_id, "status": "open", "amount": amount, "currency": "SEK",
             "reference": body["reference"], "success_url": body["success_url"],
             "cancel_url": body["cancel_url"], "webhook_url": body["webhook_url"],
             "redirect_url": request.build_absolute_uri(
                 reverse("provider_sim:card_pay", args=[session_id])),
             "webhooks": [], "deliveries": []}
    cache.set(_key("session", session_id), state, timeout=STATE_TIMEOUT)
    if idempotency:
        cache.set(_key("idem", idempotency), session_id, timeout=STATE_TIMEOUT)
    return JsonResponse(_public(state), status=201)


def session(request, session_id):
    if request.headers.get("Authorization") != f"Bearer {settings.CARD_API_KEY}":
        return _error(401, "unauthorized", "invalid API key")
    state = cache.get(_key("session", session_id))
    if state is None:
        return _error(404, "not_found", "no such session")
    return JsonResponse(_public(state))


@csrf_exempt
def pay(request, session_id):
    state = cache.get(_key("session", session_id))
    if state is None:
        return HttpResponseNotFound("no such session")
    if request.method == "GET":
        if state["status"] != "open":
            return HttpResponse(f"<p>Sessionen är avslutad ({html.escape(state['status'])}).</p>")
        return HttpResponse(
            "<!doctype html><html lang=\"sv\"><head><meta charset=\"utf-8\"><title>Kort "
            "(simulator)</title></head><body><h1>Kortbetalning (simulator)</h1>"
            f"<p>Betala {state['amount'] // 100},{state['amount'] % 100:02d} SEK "
            f"({html.escape(state['reference'])}).</p><form method=\"post\">"
            "<button name=\"action\" value=\"pay\">Pay</button> "
            "<button name=\"action\" value=\"decline\">Decline</button> "
            "<button name=\"action\" value=\"abandon\">Abandon</button></form></body></html>")
    if request.method != "POST":
        return HttpResponseNotAllowed(["GET", "POST"])
    action = request.POST.get("action")
    if action not in ("pay", "decline", "abandon"):
        return HttpResponse("action must be pay, decline or abandon", status=400)
    if not cache.add(_key("decided", session_id), action, timeout=STATE_TIMEOUT):
        return HttpResponse("the session has already ended", status=409)
    if action == "abandon":
        _update(session_id, status="expired")
        return HttpResponse("<p>Du avbröt betalningen.</p>")
    status = "paid" if action == "pay" else "declined"
    state = _update(session_id, status=status)
    created = int(time.time())
    body = json.dumps({"id": "evt_" + secrets.token_hex(12), "type": f"payment.{status}",
                       "created": created, "data": {
                           "session_id": session_id, "amount": state["amount"],
                           "currency": state["currency"], "reference": state["reference"],
                           "status": status}}).encode()
    webhook = {"body": body.decode(), "signature": sign_webhook(
        body=body, secret=settings.CARD_WEBHOOK_SECRET, timestamp=created)}
    state["webhooks"].append(webhook)
    cache.set(_key("session", session_id), state, timeout=STATE_TIMEOUT)
    _deliver(session_id, webhook)
    return HttpResponseRedirect(state["success_url" if status == "paid" else "cancel_url"])


def _update(session_id: str, **fields) -> dict:
    state = cache.get(_key("session", session_id))
    state.update(fields)
    cache.set(_key("session", session_id), state, timeout=STATE_TIMEOUT)
    return state


def _deliver(session_id: str, webhook: dict) -> dict:
    state = cache.get(_key("session", session_id))
    delivery = {"statusCode": None, "error": None}
    try:
        answer = httpx.post(state["webhook_url"], content=webhook["body"].encode(),
                            timeout=WEBHOOK_TIMEOUT,
                            headers={"Content-Type": "application/json",
                                     SIGNATURE_HEADER: webhook["signature"]})
        delivery["statusCode"] = answer.status_code
    except httpx.HTTPError as exc:
        delivery["error"] = f"{type(exc).__name__}: {exc}"
    state = cache.get(_key("session", session_id))
    state["deliveries"].append(delivery)
    cache.set(_key("session", session_id), state, timeout=STATE_TIMEOUT)
    return delivery


@csrf_exempt
def control_redeliver(request, session_id):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    state = cache.get(_key("session", session_id))
    if state is None:
        return JsonResponse({"error": "no such session"}, status=404)
    return JsonResponse({"deliveries": [_deliver(session_id, w) for w in state["webhooks"]]})


def control_session(request, session_id):
    state = cache.get(_key("session", session_id))
    if state is None:
        return JsonResponse({"error": "no such session"}, status=404)
    return JsonResponse(state)
