"""A local Swish: the Commerce API's payment requests (create, read, cancel) and their callback,
served by ekrav itself under /sim/swish/ when SIMULATORS_ENABLED (ARCHITECTURE.md, decision 8).
``payments.swish`` talks to it over real HTTP exactly as it talks to cpc.getswish.net.

It checks what Swish checks of a create (``PUT v2/paymentrequests/<instructionUUID>``): the id
(32 uppercase hex digits), a JSON body, the payee alias (SWISH_PAYEE_ALIAS; another number is
403, as with a certificate of another merchant), and the fields, answering 422 with Swish's
error list ``[{"errorCode", "errorMessage", "additionalInformation"}]``: PA02/AM06/AM02 amount,
AM03 currency, RP02 message (50 characters, Swish's character set), RP03 callback URL, BE18
payer alias, FF08 payee reference, RP01 payee alias missing, RP06 a request already waits for
this payer, ACMT03 payer not enrolled. The same id with another body is 409 (RP09); with the
same body it is the same request again. There is no TLS here, so no client certificate either.

The callback URL must be HTTPS, as at Swish; being a stand-in, it also takes plain HTTP, and it
only calls back ekrav itself (SITE_URL's host) or the loopback interface (a test's receiver).

What the payer does:

- by the payer alias's last digit: 1 declines, 2 fails (ERROR), 3 never answers (timeout: no
  callback, the request stays CREATED), 4 is not enrolled (422 ACMT03 at once), else pays;
- as in Swish's own simulator (MSS), a ``message`` that is exactly a result error code (RF07,
  BANKIDCL, FF10, TM01, DS24) ends the request in ERROR with it, and one that is exactly a
  create error code (BE18, RP03, ...) fails the create with it;
- ``POST _control/next`` with ``{"outcome": "paid" | "declined" | "error" | "timeout",
  "errorCode": "RF07", "delay": 0.5}`` decides the next request created, overriding both.

The outcome comes CALLBACK_DELAY seconds after the create (or ``delay``), in a background
thread that POSTs the payment request object to the callback URL (retried on failure).
``POST _control/pay/<id>`` brings it on at once and delivers the callback before answering
(``{"outcome": ...}`` overrides the plan, e.g. a late payment after a timeout);
``POST _control/redeliver/<id>`` sends the callback again, as Swish may;
``GET _control/paymentrequests/<id>`` shows the plan and every callback delivery.

State lives in the default cache: it is a stand-in, not a record. Where Swish's documents name
no code (a cancel of a request that has ended), the code is the simulator's own (RP07).
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import secrets
import string
import threading
import time
from datetime import datetime, timezone as dt_timezone
from decimal import Decimal, InvalidOperation
from ipaddress import ip_address
from urllib.parse import urlsplit

import httpx
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import RequestDataTooBig
from django.http import HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

logger = logging.getLogger(__name__)

CALLBACK_DELAY = 2.0  # seconds from create to outcome (Swish's MSS takes about five)
CALLBACK_ATTEMPTS = 3
CALLBACK_TIMEOUT = 10.0
CALLBACK_RETRY_PAUSE = 0.5
PAYER_WAIT = 180  # Swish gives a payer three minutes; RP06 blocks a second request that long
STATE_TIMEOUT = 24 * 3600
MAX_DELAY = 60.0

OUTCOMES = ("paid", "declined", "error", "timeout")
ALIAS_OUTCOMES = {"1": "declined", "2": "error", "3": "timeout"}
ALIAS_NOT_ENROLLED = "4"
DEFAULT_ERROR_CODE = "FF10"
RESULT_ERRORS = {
    "RF07": "Transaction declined",
    "BANKIDCL": "Payer cancelled BankId signing",
    "FF10": "Bank system processing error",
    "TM01": "Swish timed out before the payment was started",
    "DS24": "Swish timed out waiting for an answer from the banks after payment was started",
}
CREATE_ERRORS = {
    "FF08": "Payment Reference is invalid",
    "RP03": "Callback URL is missing or does not use HTTPS",
    "BE18": "Payer alias is invalid",
    "RP01": "Missing Merchant Swish Number",
    "PA02": "Amount value is missing or not a valid number",
    "AM02": "Amount value is too large",
    "AM03": "Invalid or missing Currency",
    "AM06": "Specified transaction amount is less than agreed minimum",
    "RP02": "Wrong formatted message",
    "RP06": "A payment request already exists for that payer",
    "ACMT03": "Payer not Enrolled",
    "ACMT01": "Counterpart is not activated",
    "ACMT07": "Payee not Enrolled",
}

_INSTRUCTION_ID = re.compile(r"[0-9A-F]{32}", re.ASCII)
_AMOUNT = re.compile(r"\d+(\.\d{1,2})?", re.ASCII)
_MAX_KRONOR = Decimal("999999999999.99")
_MESSAGE = re.compile(r"[0-9A-Za-zÅÄÖåäöÉéÜü :;.,?!()\"”'\-]{0,50}")
_REFERENCE = re.compile(r"[0-9A-Za-zÅÄÖåäö]{1,35}")
_PAYER_ALIAS = re.compile(r"[1-9]\d{7,14}", re.ASCII)
_TOKEN_ALPHABET = string.ascii_letters + string.digits


def _key(*parts: str) -> str:
    return "swish-sim:" + ":".join(parts)


def _errors(status: int, *errors: tuple[str, str, str | None]) -> JsonResponse:
    return JsonResponse([{"errorCode": code, "errorMessage": message,
                          "additionalInformation": extra} for code, message, extra in errors],
                        status=status, safe=False)


def _create_error(code: str, extra: str | None = None) -> tuple[str, str, str | None]:
    return code, CREATE_ERRORS[code], extra


# --- Views -----------------------------------------------------------------------------------

@csrf_exempt
def payment_request_v2(request, instruction_id):
    """``PUT`` creates; ``GET`` reads (as on v1, where Swish's Location points)."""
    if request.method == "PUT":
        return _create(request, instruction_id)
    if request.method == "GET":
        return _retrieve(instruction_id)
    return HttpResponseNotAllowed(["PUT", "GET"])


@csrf_exempt
def payment_request_v1(request, instruction_id):
    """``GET`` reads; ``PATCH`` with the JSON Patch to status "cancelled" cancels."""
    if request.method == "GET":
        return _retrieve(instruction_id)
    if request.method == "PATCH":
        return _cancel(request, instruction_id)
    return HttpResponseNotAllowed(["GET", "PATCH"])


@csrf_exempt
@require_POST
def control_next(request):
    try:
        plan = _checked_plan(_json_object(request), with_delay=True)
    except ValueError as invalid:
        return JsonResponse({"error": str(invalid)}, status=400)
    cache.set(_key("next"), plan, timeout=STATE_TIMEOUT)
    return JsonResponse({"next": plan})


@csrf_exempt
@require_POST
def control_pay(request, instruction_id):
    """The planned outcome (or the one in the body) now, callback delivered before answering."""
    try:
        body = _json_object(request) if request.body else {}
        override = _checked_plan(body, with_delay=False) if body else None
    except ValueError as invalid:
        return JsonResponse({"error": str(invalid)}, status=400)
    state = cache.get(_key("pr", instruction_id))
    if state is None:
        return JsonResponse({"error": "no such payment request"}, status=404)
    ended = _settle(instruction_id, override)
    delivery = _deliver(instruction_id) if ended else None
    state = cache.get(_key("pr", instruction_id))
    return JsonResponse({"paymentRequest": _wire(state["object"]), "callback": delivery})


@csrf_exempt
@require_POST
def control_redeliver(request, instruction_id):
    state = cache.get(_key("pr", instruction_id))
    if state is None:
        return JsonResponse({"error": "no such payment request"}, status=404)
    return JsonResponse({"callback": _deliver(instruction_id)})


@require_GET
def control_state(request, instruction_id):
    state = cache.get(_key("pr", instruction_id))
    if state is None:
        return JsonResponse({"error": "no such payment request"}, status=404)
    return JsonResponse({"paymentRequest": _wire(state["object"]), "plan": state["plan"],
                         "token": state["token"], "deliveries": state["deliveries"]})


# --- Create ----------------------------------------------------------------------------------

def _create(request, instruction_id):
    if not _INSTRUCTION_ID.fullmatch(instruction_id):
        return _errors(400, ("PA01", "Parameter is not correct",
                             "instructionUUID must be 32 uppercase hexadecimal characters"))
    if request.content_type != "application/json":
        return HttpResponse(status=415)
    try:
        body = json.loads(request.body, parse_float=Decimal)
    except RequestDataTooBig:
        return HttpResponse(status=413)
    except (ValueError, UnicodeDecodeError):
        return _errors(400, ("PA01", "Parameter is not correct", "the body is not JSON"))
    if not isinstance(body, dict):
        return _errors(400, ("PA01", "Parameter is not correct",
                             "the body must be a payment request object"))
    payee = body.get("payeeAlias")
    if payee not in (None, "") and payee != settings.SWISH_PAYEE_ALIAS:
        # Swish: the payee alias must be the Swish number of the client certificate.
        return HttpResponse(status=403)
    if errors := _validation_errors(body, request):
        return _errors(422, *errors)

    fingerprint = hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()
                                 ).hexdigest()
    earlier = cache.get(_key("pr", instruction_id))
    if earlier is not None:
        if earlier["fingerprint"] != fingerprint:
            return _errors(409, ("RP09", "The given instructionUUID is not available",
                                 "the instructionUUID is taken by another payment request"))
        return _created(request, instruction_id, earlier["token"])

    payer = body.get("payerAlias")
    if refused := _refused_payer(payer):
        return refused
    if body.get("message") in CREATE_ERRORS:  # MSS: the message names the error to simulate
        return _errors(422, _create_error(body["message"]))

    plan = _plan_for(body)
    token = None if payer else "".join(secrets.choice(_TOKEN_ALPHABET) for _ in range(32))
    state = {"object": _new_object(instruction_id, body), "plan": plan,
             "fingerprint": fingerprint, "token": token, "deliveries": []}
    if not cache.add(_key("pr", instruction_id), state, timeout=STATE_TIMEOUT):
        # Created by a concurrent identical PUT a moment ago: the same request, answered alike.
        return _created(request, instruction_id, cache.get(_key("pr", instruction_id))["token"])
    if payer:
        cache.set(_key("payer", payer), instruction_id, timeout=PAYER_WAIT)
    if plan["outcome"] != "timeout":
        threading.Thread(target=_end_later, args=(instruction_id, plan["delay"]),
                         name=f"swish-sim-{instruction_id}", daemon=True).start()
    return _created(request, instruction_id, token)


def _created(request, instruction_id: str, token: str | None) -> HttpResponse:
    response = HttpResponse(status=201)
    response["Location"] = request.build_absolute_uri(
        reverse("swish_sim:payment_request_v1", args=[instruction_id]))
    if token:
        response["PaymentRequestToken"] = token
    return response


def _validation_errors(body: dict, request) -> list[tuple[str, str, str | None]]:
    errors = []
    reference = body.get("payeePaymentReference")
    if reference not in (None, "") and not (isinstance(reference, str)
                                            and _REFERENCE.fullmatch(reference)):
        errors.append(_create_error("FF08", "1 to 35 characters: letters a-ö, A-Ö, digits"))
    if problem := _callback_url_problem(body.get("callbackUrl"), request):
        errors.append(_create_error("RP03", problem))
    payer = body.get("payerAlias")
    if payer is not None and not (isinstance(payer, str) and _PAYER_ALIAS.fullmatch(payer)):
        errors.append(_create_error("BE18", "8 to 15 digits: country code and number, "
                                            "no leading zero (46701234567)"))
    if body.get("payeeAlias") in (None, ""):
        errors.append(_create_error("RP01"))
    errors += _amount_errors(body.get("amount"))
    if body.get("currency") != "SEK":
        errors.append(_create_error("AM03", "SEK is the only currency"))
    message = body.get("message", "")
    if message is not None and not (isinstance(message, str) and _MESSAGE.fullmatch(message)):
        errors.append(_create_error("RP02", "at most 50 characters: a-ö, A-Ö, 0-9, "
                                            "space and :;.,?!()\"-"))
    return errors


def _amount_errors(amount) -> list[tuple[str, str, str | None]]:
    if isinstance(amount, bool) or not isinstance(amount, (str, int, Decimal)) or \
            (isinstance(amount, str) and not _AMOUNT.fullmatch(amount)):
        return [_create_error("PA02", 'kronor with at most two decimals, e.g. "100.00"')]
    try:
        kronor = Decimal(amount)
    except InvalidOperation:
        return [_create_error("PA02")]
    if not kronor.is_finite() or kronor != kronor.quantize(Decimal("0.01")):
        return [_create_error("PA02", "at most two decimals")]
    if kronor < Decimal("0.01"):
        return [_create_error("AM06", "the least amount is 0.01 SEK")]
    if kronor > _MAX_KRONOR:
        return [_create_error("AM02", "the largest amount is 999999999999.99 SEK")]
    return []


def _callback_url_problem(url, request) -> str | None:
    if not isinstance(url, str) or not url:
        return "callbackUrl is required"
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        return "callbackUrl must be an HTTPS URL"
    if not _may_call_back(parts.hostname):
        return ("this simulator only calls back ekrav itself (SITE_URL's host) "
                "or the loopback interface")
    return None


def _may_call_back(host: str) -> bool:
    if host == "localhost" or host == urlsplit(settings.SITE_URL).hostname:
        return True
    try:
        return ip_address(host).is_loopback
    except ValueError:
        return False


def _refused_payer(payer: str | None) -> JsonResponse | None:
    if not payer:
        return None
    if payer.endswith(ALIAS_NOT_ENROLLED):
        return _errors(422, _create_error("ACMT03", "no Swish account has this number"))
    waiting = cache.get(_key("payer", payer))
    if waiting:
        state = cache.get(_key("pr", waiting))
        if state is not None and state["object"]["status"] == "CREATED":
            return _errors(422, _create_error("RP06", f"payment request {waiting} "
                                                      "is waiting for this payer"))
    return None


def _plan_for(body: dict) -> dict:
    chosen = cache.get(_key("next"))
    if chosen is not None:
        cache.delete(_key("next"))
        return chosen
    plan = {"outcome": "paid", "errorCode": None, "delay": CALLBACK_DELAY}
    if body.get("message") in RESULT_ERRORS:
        return {**plan, "outcome": "error", "errorCode": body["message"]}
    outcome = ALIAS_OUTCOMES.get((body.get("payerAlias") or "")[-1:], "paid")
    return {**plan, "outcome": outcome,
            "errorCode": DEFAULT_ERROR_CODE if outcome == "error" else None}


def _checked_plan(body: dict, *, with_delay: bool) -> dict:
    outcome = body.get("outcome")
    if outcome not in OUTCOMES:
        raise ValueError(f"outcome must be one of {', '.join(OUTCOMES)}")
    code = body.get("errorCode")
    if code is not None and (outcome != "error" or code not in RESULT_ERRORS):
        raise ValueError(f"errorCode goes with outcome error and is one of "
                         f"{', '.join(RESULT_ERRORS)}")
    if outcome == "error" and code is None:
        code = DEFAULT_ERROR_CODE
    plan = {"outcome": outcome, "errorCode": code}
    if with_delay:
        delay = body.get("delay", CALLBACK_DELAY)
        if isinstance(delay, bool) or not isinstance(delay, (int, float, Decimal)) or \
                not 0 <= delay <= MAX_DELAY:
            raise ValueError(f"delay is seconds, 0 to {MAX_DELAY:g}")
        plan["delay"] = float(delay)
    return plan


def _new_object(instruction_id: str, body: dict) -> dict:
    return {
        "id": instruction_id,
        "payeePaymentReference": body.get("payeePaymentReference") or None,
        "paymentReference": None,
        "callbackUrl": body["callbackUrl"],
        "payerAlias": body.get("payerAlias") or None,
        "payeeAlias": body["payeeAlias"],
        "amount": f"{Decimal(body['amount']):.2f}",
        "currency": "SEK",
        "message": body.get("message") or "",
        "status": "CREATED",
        "dateCreated": _now(),
        "datePaid": None,
        "errorCode": None,
        "errorMessage": None,
    }


# --- Read and cancel -------------------------------------------------------------------------

def _retrieve(instruction_id: str):
    state = cache.get(_key("pr", instruction_id))
    if state is None:
        return HttpResponse(status=404)
    return JsonResponse(_wire(state["object"]))


def _cancel(request, instruction_id: str):
    if request.content_type != "application/json-patch+json":
        return HttpResponse(status=415)
    try:
        patch = json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        patch = None
    if not _is_cancel_patch(patch):
        return _errors(400, ("PA01", "Parameter is not correct",
                             'the body must be [{"op": "replace", "path": "/status", '
                             '"value": "cancelled"}]'))
    if cache.get(_key("pr", instruction_id)) is None:
        return HttpResponse(status=404)
    if cache.add(_key("final", instruction_id), "cancelled", timeout=STATE_TIMEOUT):
        state = _update(instruction_id, status="CANCELLED")
        _release_payer(state)
        return JsonResponse(_wire(state["object"]))
    status = cache.get(_key("pr", instruction_id))["object"]["status"]
    if status == "CANCELLED":
        return _errors(422, ("RP08", "The payment request has been cancelled", None))
    return _errors(422, ("RP07", "The payment request cannot be cancelled",
                         f"its status is {status}, not CREATED"))


def _is_cancel_patch(patch) -> bool:
    return (isinstance(patch, list) and len(patch) == 1 and isinstance(patch[0], dict)
            and patch[0].get("op") == "replace" and patch[0].get("path") == "/status"
            and str(patch[0].get("value")).lower() == "cancelled")


# --- Outcome and callback --------------------------------------------------------------------

def _end_later(instruction_id: str, delay: float) -> None:
    try:
        time.sleep(delay)
        if _settle(instruction_id, None):
            _deliver(instruction_id)
    except Exception:  # a background thread has nobody to tell but the log
        logger.exception("Swish simulator: ending payment request %s failed", instruction_id)


def _settle(instruction_id: str, override: dict | None) -> bool:
    """Apply the outcome once (whoever comes first: the timer, _control/pay, a cancel); True
    when this call ended the request."""
    state = cache.get(_key("pr", instruction_id))
    if state is None:
        return False  # gone (the cache was cleared): nothing to end
    plan = override or state["plan"]
    if plan["outcome"] == "timeout":
        return False
    if not cache.add(_key("final", instruction_id), plan["outcome"], timeout=STATE_TIMEOUT):
        return False
    now = _now()
    if plan["outcome"] == "paid":
        payer = state["object"]["payerAlias"] or f"4670{int(instruction_id, 16) % 10**7:07d}"
        state = _update(instruction_id, status="PAID", datePaid=now, payerAlias=payer,
                        paymentReference=secrets.token_hex(16).upper())
    elif plan["outcome"] == "declined":
        state = _update(instruction_id, status="DECLINED")
    else:
        code = plan.get("errorCode") or DEFAULT_ERROR_CODE
        state = _update(instruction_id, status="ERROR", errorCode=code,
                        errorMessage=RESULT_ERRORS[code])
    _release_payer(state)
    return True


def _update(instruction_id: str, **fields) -> dict:
    # Only the holder of the "final" key writes a status, so this read-modify-write is safe.
    state = cache.get(_key("pr", instruction_id))
    state["object"].update(fields)
    cache.set(_key("pr", instruction_id), state, timeout=STATE_TIMEOUT)
    return state


def _release_payer(state: dict) -> None:
    payer = state["object"]["payerAlias"]
    if payer and cache.get(_key("payer", payer)) == state["object"]["id"]:
        cache.delete(_key("payer", payer))


def _deliver(instruction_id: str) -> dict | None:
    """POST the payment request object to its callback URL, as Swish does; retried a few times
    on an error or a non-2xx answer. Returns (and records) what happened."""
    state = cache.get(_key("pr", instruction_id))
    if state is None:
        return None
    body = json.dumps(_wire(state["object"])).encode()
    delivery = {"at": _now(), "status": state["object"]["status"], "attempts": 0,
                "statusCode": None, "error": None}
    for attempt in range(CALLBACK_ATTEMPTS):
        if attempt:
            time.sleep(CALLBACK_RETRY_PAUSE * attempt)
        delivery["attempts"] += 1
        try:
            answer = httpx.post(state["object"]["callbackUrl"], content=body,
                                headers={"Content-Type": "application/json"},
                                timeout=CALLBACK_TIMEOUT)
        except httpx.HTTPError as exc:
            delivery["statusCode"], delivery["error"] = None, f"{type(exc).__name__}: {exc}"
            continue
        delivery["statusCode"], delivery["error"] = answer.status_code, None
        if 200 <= answer.status_code < 300:
            break
    state = cache.get(_key("pr", instruction_id))
    if state is not None:
        state["deliveries"].append(delivery)
        cache.set(_key("pr", instruction_id), state, timeout=STATE_TIMEOUT)
    return delivery


def _wire(obj: dict) -> dict:
    # Swish writes the amount as a JSON number; two decimals survive a float's shortest repr.
    return {**obj, "amount": float(obj["amount"])}


def _now() -> str:
    # Swish's form: UTC with milliseconds, "2019-01-02T14:29:51.092Z".
    now = datetime.now(dt_timezone.utc)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


def _json_object(request) -> dict:
    try:
        body = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        raise ValueError("the body is not JSON") from None
    if not isinstance(body, dict):
        raise ValueError("the body must be a JSON object")
    return body
