"""A local BankID: the relying-party API v6.0 (auth, sign, collect, cancel), served by ekrav
itself under /sim/bankid/rp/v6.0/ when SIMULATORS_ENABLED (ARCHITECTURE.md, decision 8).
``ekrav.bankid`` talks to it over real HTTP exactly as it talks to appapi2.bankid.com.

It checks what BankID checks, answering 400 ``{"errorCode": "invalidParameters", "details"}``:
``endUserIp`` present and an IPv4 or IPv6 address; ``userVisibleData`` base64 of UTF-8 text,
1 to 40 000 characters (required for sign), ``userNonVisibleData`` base64, 1 to 200 000;
``userVisibleDataFormat`` only ``simpleMarkdownV1`` and only with visible data;
``returnUrl`` 1 to 512 characters; ``returnRisk`` a boolean; ``web`` an object of
``referringDomain`` (3 to 253 characters), ``userAgent`` (1 to 256) and ``deviceIdentifier``
(1 to 64);
``requirement`` an object whose ``personalNumber``, when given, is 12 digits; ``orderRef``
of collect and cancel an order it has. Only POST (405 methodNotAllowed), only
``Content-Type: application/json`` without parameters (415 unsupportedMediaType). An auth or
sign for a personal number with an order still pending cancels that order (its collect says
failed/cancelled) and creates none: 400 alreadyInProgress. A cancelled order is gone
(collect and cancel of it are invalidParameters); a final state (complete, failed) is given to
one collect, then the order is gone too. There is no TLS here, so no client certificate.

What the user does, decided by the test or the person trying ekrav out:

- ``POST _control/orders/<orderRef>/start`` with ``{"hintCode": "started"}`` (or userSign,
  noClient, userMrtd, userCallConfirm): the app has the order;
- ``POST _control/orders/<orderRef>/complete`` with ``{"personalNumber", "name",
  "givenName", "surname"}``: identified or signed; completionData carries the endUserIp as
  the device's ipAddress, a bankIdIssueDate, a signature (base64 of an XML document holding
  the userVisibleData and userNonVisibleData as sent and a SHA-256 digest of them; its
  signature value is an HMAC, not RSA) and an ocspResponse (base64 bytes, not DER);
- ``POST _control/orders/<orderRef>/fail`` with ``{"hintCode": "userCancel"}`` (or
  expiredTransaction, startFailed, certificateErr);
- ``POST _control/next`` with ``{"outcome": "complete", "personalNumber": ...}`` or
  ``{"outcome": "failed", "hintCode": ...}``: the next order made ends so on its first collect;
- ``GET _control/orders/<orderRef>`` shows the order;
- ``GET app/`` is the BankID app for a person trying ekrav out (there is no phone to scan the
  QR code with): the orders waiting, each to identify or sign as a personnummer of one's
  choice, or to cancel.

An order nobody completes expires as at BankID: BANKID_SIM_ORDER_SECONDS (180) after it was
made its collect says failed/expiredTransaction. State lives in the default cache: it is a
stand-in, not a record.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import html
import json
import re
import secrets
import time
import uuid
from datetime import date, timedelta
from ipaddress import ip_address
from xml.sax.saxutils import escape

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse, HttpResponseRedirect, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

STATE_TIMEOUT = 3600
APP_ORDERS = 20  # the latest orders the stand-in app (``app``) lists
USER_VISIBLE_DATA_MAX = 40_000
USER_NON_VISIBLE_DATA_MAX = 200_000
# The web object's fields and their lengths, as BankID's sample code (AdditionalWebData) has them.
WEB_FIELDS = {"referringDomain": (3, 253), "userAgent": (1, 256), "deviceIdentifier": (1, 64)}
START_HINTS = ("started", "userSign", "noClient", "userMrtd", "userCallConfirm")
FAIL_HINTS = ("userCancel", "expiredTransaction", "startFailed", "certificateErr")
# A stand-in person for a complete without one (a valid-checksum test personnummer).
DEFAULT_USER = {"personalNumber": "198112289874", "givenName": "Testa", "surname": "Testsson"}

_PERSONAL_NUMBER = re.compile(r"\d{12}", re.ASCII)
_SIGNATURE_KEY = b"ekrav-bankid-simulator"


def _key(*parts: str) -> str:
    return "bankid-sim:" + ":".join(parts)


def _error(code: str, details: str, status: int = 400) -> JsonResponse:
    return JsonResponse({"errorCode": code, "details": details}, status=status)


class _Refused(Exception):
    def __init__(self, details: str):
        super().__init__(details)
        self.details = details


def _rp_call(view):
    """BankID's rules for every RP call: POST, plain JSON, a JSON object in."""
    @csrf_exempt
    def wrapped(request):
        if request.method != "POST":
            return _error("methodNotAllowed", "Only POST is allowed", status=405)
        if request.META.get("CONTENT_TYPE", "").strip().lower() != "application/json":
            return _error("unsupportedMediaType",
                          "Content-Type must be application/json, without parameters",
                          status=415)
        try:
            body = json.loads(request.body)
        except (ValueError, UnicodeDecodeError):
            return _error("invalidParameters", "The body is not JSON")
        if not isinstance(body, dict):
            return _error("invalidParameters", "The body must be a JSON object")
        try:
            return view(request, body)
        except _Refused as refused:
            return _error("invalidParameters", refused.details)
    wrapped.__name__ = view.__name__
    return wrapped


# --- The RP API ------------------------------------------------------------------------------

@_rp_call
def auth(request, body):
    return _new_order("auth", body)


@_rp_call
def sign(request, body):
    if body.get("userVisibleData") is None:
        raise _Refused("userVisibleData is required for sign")
    return _new_order("sign", body)


@_rp_call
def collect(request, body):
    order = _existing(body)
    order = _settle_plan(_expire(order))
    answer = {"orderRef": order["orderRef"], "status": order["status"]}
    if order["status"] == "complete":
        answer["completionData"] = order["completionData"]
    else:
        answer["hintCode"] = order["hintCode"]
    if order["status"] != "pending":
        cache.delete(_key("order", order["orderRef"]))  # a final state is collected once
    return JsonResponse(answer)


@_rp_call
def cancel(request, body):
    order = _existing(body)
    _release(order)
    cache.delete(_key("order", order["orderRef"]))
    return JsonResponse({})


def _new_order(kind: str, body: dict) -> JsonResponse:
    end_user_ip = body.get("endUserIp")
    if not isinstance(end_user_ip, str) or not _is_ip(end_user_ip):
        raise _Refused("Invalid endUserIp")
    visible = _base64_field(body, "userVisibleData", USER_VISIBLE_DATA_MAX, text=True)
    non_visible = _base64_field(body, "userNonVisibleData", USER_NON_VISIBLE_DATA_MAX)
    data_format = body.get("userVisibleDataFormat")
    if data_format is not None and (data_format != "simpleMarkdownV1" or visible is None):
        raise _Refused("Invalid userVisibleDataFormat")
    requirement = body.get("requirement", {})
    if not isinstance(requirement, dict):
        raise _Refused("Invalid requirement")
    personal_number = requirement.get("personalNumber")
    if personal_number is not None and not (isinstance(personal_number, str)
                                            and _PERSONAL_NUMBER.fullmatch(personal_number)):
        raise _Refused("Invalid personalNumber")
    return_url = body.get("returnUrl")
    if return_url is not None and not (isinstance(return_url, str)
                                       and 1 <= len(return_url) <= 512):
        raise _Refused("Invalid returnUrl")
    if not isinstance(body.get("returnRisk", False), bool):
        raise _Refused("Invalid returnRisk")
    _check_web(body.get("web"))

    if personal_number and (waiting := _pending_for(personal_number)):
        # BankID: the order in progress is aborted and no new one is created.
        _update(waiting, status="failed", hintCode="cancelled")
        cache.delete(_key("pnr", personal_number))
        return _error("alreadyInProgress", "Order already in progress for pno")

    order = {"orderRef": str(uuid.uuid4()), "kind": kind, "endUserIp": end_user_ip,
             "web": body.get("web"),
             "userVisibleData": visible, "userNonVisibleData": non_visible,
             "personalNumber": personal_number, "created": time.time(),
             "status": "pending", "hintCode": "outstandingTransaction", "completionData": None,
             "plan": cache.get(_key("next"))}
    cache.delete(_key("next"))
    answer = {"orderRef": order["orderRef"], "autoStartToken": str(uuid.uuid4()),
              "qrStartToken": str(uuid.uuid4()), "qrStartSecret": str(uuid.uuid4())}
    order["tokens"] = answer
    cache.set(_key("order", order["orderRef"]), order, timeout=STATE_TIMEOUT)
    if personal_number:
        cache.set(_key("pnr", personal_number), order["orderRef"], timeout=STATE_TIMEOUT)
    cache.set(_key("recent"), [order["orderRef"], *cache.get(_key("recent"), [])][:APP_ORDERS],
              timeout=STATE_TIMEOUT)
    return JsonResponse(answer)


def _check_web(web) -> None:
    if web is None:
        return
    if not isinstance(web, dict):
        raise _Refused("Invalid web")
    for field, (shortest, longest) in WEB_FIELDS.items():
        value = web.get(field)
        if value is not None and not (isinstance(value, str)
                                      and shortest <= len(value) <= longest):
            raise _Refused(f"Invalid web.{field}")


def _is_ip(text: str) -> bool:
    try:
        ip_address(text)
    except ValueError:
        return False
    return True


def _base64_field(body: dict, field: str, limit: int, *, text: bool = False) -> str | None:
    value = body.get(field)
    if value is None:
        return None
    if not isinstance(value, str) or not 1 <= len(value) <= limit:
        raise _Refused(f"Invalid {field}")
    try:
        raw = base64.b64decode(value, validate=True)
        if text:
            raw.decode("utf-8")
    except (binascii.Error, ValueError):
        raise _Refused(f"Invalid {field}") from None
    return value


def _existing(body: dict) -> dict:
    order_ref = body.get("orderRef")
    order = cache.get(_key("order", order_ref)) if isinstance(order_ref, str) else None
    if order is None:
        raise _Refused("No such order")
    return order


def _pending_for(personal_number: str) -> dict | None:
    order_ref = cache.get(_key("pnr", personal_number))
    order = cache.get(_key("order", order_ref)) if order_ref else None
    if order is None:
        return None
    order = _expire(order)
    return order if order["status"] == "pending" else None


def _expire(order: dict) -> dict:
    lifetime = float(getattr(settings, "BANKID_SIM_ORDER_SECONDS", 180))
    if order["status"] == "pending" and time.time() - order["created"] > lifetime:
        order = _update(order, status="failed", hintCode="expiredTransaction")
    return order


def _settle_plan(order: dict) -> dict:
    plan = order.get("plan")
    if order["status"] != "pending" or not plan:
        return order
    if plan["outcome"] == "complete":
        return _complete(order, plan)
    return _update(order, status="failed", hintCode=plan["hintCode"])


def _update(order: dict, **fields) -> dict:
    order = {**order, **fields}
    if order["status"] != "pending":
        _release(order)
    cache.set(_key("order", order["orderRef"]), order, timeout=STATE_TIMEOUT)
    return order


def _release(order: dict) -> None:
    number = order.get("personalNumber")
    if number and cache.get(_key("pnr", number)) == order["orderRef"]:
        cache.delete(_key("pnr", number))


def _complete(order: dict, person: dict, *, store: bool = True) -> dict:
    number = person.get("personalNumber") or order["personalNumber"] or \
        DEFAULT_USER["personalNumber"]
    given = person.get("givenName") or DEFAULT_USER["givenName"]
    surname = person.get("surname") or DEFAULT_USER["surname"]
    name = person.get("name") or f"{given} {surname}"
    issued = date.today() - timedelta(days=400 + int(number[-4:]) % 300)
    completion = {
        "user": {"personalNumber": number, "name": name, "givenName": given,
                 "surname": surname},
        "device": {"ipAddress": order["endUserIp"], "uhi": hashlib.sha256(
            number.encode()).hexdigest()[:28]},
        "bankIdIssueDate": issued.isoformat(),
        "signature": base64.b64encode(_signature_xml(order, number)).decode("ascii"),
        "ocspResponse": base64.b64encode(
            b"ekrav-sim-ocsp:" + hashlib.sha256(order["orderRef"].encode()).digest()
        ).decode("ascii"),
    }
    if not store:
        return {**order, "status": "complete", "completionData": completion}
    return _update(order, status="complete", hintCode=None, completionData=completion)


def signed_completion(*, text: str, personal_number: str, given_name: str, surname: str,
                      ip_address: str = "127.0.0.1"):
    """What this simulator's collect answers when ``personal_number`` signs ``text`` (as
    ``ekrav.bankid`` reads it): the evidence of a signature made without a round trip, for
    the demo data and the tests' companies, whose agreements were signed before they start."""
    from ekrav.bankid import Completion, encode_text

    order = {"orderRef": str(uuid.uuid4()), "kind": "sign", "endUserIp": ip_address,
             "userVisibleData": encode_text(text), "userNonVisibleData": None}
    data = _complete(order, {"personalNumber": personal_number, "givenName": given_name,
                             "surname": surname}, store=False)["completionData"]
    return Completion(personal_number=personal_number, name=data["user"]["name"],
                      given_name=given_name, surname=surname, ip_address=ip_address,
                      bankid_issue_date=date.fromisoformat(data["bankIdIssueDate"]),
                      signature=data["signature"], ocsp_response=data["ocspResponse"])


def _signature_xml(order: dict, personal_number: str) -> bytes:
    """BankID's signature shape (an XML-DSig Signature whose Object holds bankIdSignedData
    with usrVisibleData and usrNonVisibleData as sent), digest SHA-256, signed by HMAC."""
    signed = ('<bankIdSignedData xmlns="http://www.bankid.com/signature/v1.0.0/types" '
              'Id="bidSignedData">')
    if order["userVisibleData"]:
        signed += ('<usrVisibleData charset="UTF-8" visible="wysiwys">'
                   f'{escape(order["userVisibleData"])}</usrVisibleData>')
    if order["userNonVisibleData"]:
        signed += f'<usrNonVisibleData>{escape(order["userNonVisibleData"])}</usrNonVisibleData>'
    signed += (f'<srvInfo><nonce>{secrets.token_urlsafe(16)}</nonce>'
               f'<orderRef>{order["orderRef"]}</orderRef><kind>{order["kind"]}</kind></srvInfo>'
               f'<clientInfo><personalNumber>{personal_number}</personalNumber>'
               f'<endUserIp>{escape(order["endUserIp"])}</endUserIp></clientInfo>'
               '</bankIdSignedData>')
    digest = base64.b64encode(hashlib.sha256(signed.encode()).digest()).decode()
    value = base64.b64encode(hmac.new(_SIGNATURE_KEY, digest.encode(), hashlib.sha256)
                             .digest()).decode()
    return ('<?xml version="1.0" encoding="UTF-8" standalone="no"?>'
            '<Signature xmlns="http://www.w3.org/2000/09/xmldsig#"><SignedInfo>'
            '<CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>'
            '<SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#hmac-sha256"/>'
            '<Reference Type="http://www.bankid.com/signature/v1.0.0/types" '
            'URI="#bidSignedData"><Transforms><Transform '
            'Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/></Transforms>'
            '<DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/>'
            f'<DigestValue>{digest}</DigestValue></Reference></SignedInfo>'
            f'<SignatureValue>{value}</SignatureValue>'
            f'<Object>{signed}</Object></Signature>').encode("utf-8")


# --- Control (the user's side, for tests and demos) -------------------------------------------

@csrf_exempt
@require_POST
def control_next(request):
    try:
        body = _control_body(request)
        outcome = body.get("outcome")
        if outcome == "complete":
            plan = {"outcome": "complete", **_person(body)}
        elif outcome == "failed" and body.get("hintCode") in FAIL_HINTS:
            plan = {"outcome": "failed", "hintCode": body["hintCode"]}
        else:
            raise ValueError('outcome is "complete" or "failed" with a hintCode of '
                             + ", ".join(FAIL_HINTS))
    except ValueError as invalid:
        return JsonResponse({"error": str(invalid)}, status=400)
    cache.set(_key("next"), plan, timeout=STATE_TIMEOUT)
    return JsonResponse({"next": plan})


@require_GET
def control_order(request, order_ref):
    order = cache.get(_key("order", order_ref))
    if order is None:
        return JsonResponse({"error": "no such order"}, status=404)
    return JsonResponse({"order": _expire(order)})


@csrf_exempt
@require_POST
def control_start(request, order_ref):
    def start(order, body):
        hint = body.get("hintCode", "started")
        if hint not in START_HINTS:
            raise ValueError(f"hintCode is one of {', '.join(START_HINTS)}")
        return _update(order, hintCode=hint)
    return _control(request, order_ref, start)


@csrf_exempt
@require_POST
def control_complete(request, order_ref):
    def complete(order, body):
        person = _person(body)
        wanted = order["personalNumber"]
        if wanted and person.get("personalNumber") not in (None, wanted):
            raise ValueError(f"the order requires personalNumber {wanted}")
        return _complete(order, person)
    return _control(request, order_ref, complete)


@csrf_exempt
@require_POST
def control_fail(request, order_ref):
    def fail(order, body):
        hint = body.get("hintCode", "userCancel")
        if hint not in FAIL_HINTS:
            raise ValueError(f"hintCode is one of {', '.join(FAIL_HINTS)}")
        return _update(order, status="failed", hintCode=hint)
    return _control(request, order_ref, fail)


def _control(request, order_ref, change):
    try:
        body = _control_body(request)
    except ValueError as invalid:
        return JsonResponse({"error": str(invalid)}, status=400)
    order = cache.get(_key("order", order_ref))
    if order is None:
        return JsonResponse({"error": "no such order"}, status=404)
    order = _expire(order)
    if order["status"] != "pending":
        return JsonResponse({"error": f"the order is {order['status']}", "order": order},
                            status=409)
    try:
        order = change(order, body)
    except ValueError as invalid:
        return JsonResponse({"error": str(invalid)}, status=400)
    return JsonResponse({"order": order})


def _person(body: dict) -> dict:
    person = {field: body[field] for field in ("personalNumber", "name", "givenName", "surname")
              if body.get(field) is not None}
    if any(not isinstance(value, str) or not value for value in person.values()):
        raise ValueError("personalNumber, name, givenName and surname are text")
    number = person.get("personalNumber")
    if number is not None and not _PERSONAL_NUMBER.fullmatch(number):
        raise ValueError("personalNumber is 12 digits")
    return person


def _control_body(request) -> dict:
    try:
        body = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        raise ValueError("the body is not JSON") from None
    if not isinstance(body, dict):
        raise ValueError("the body must be a JSON object")
    return body


# --- The app, for a person trying ekrav out ---------------------------------------------------

@csrf_exempt
def app(request):
    """The orders waiting, newest first: identify (or sign) as a personnummer, or cancel."""
    if request.method == "POST":
        order = cache.get(_key("order", request.POST.get("order_ref", "")))
        if order is not None and _expire(order)["status"] == "pending":
            number = request.POST.get("personal_number", "").strip()
            if request.POST.get("action") == "complete" and _PERSONAL_NUMBER.fullmatch(number):
                _complete(order, {"personalNumber": number})
            elif request.POST.get("action") == "cancel":
                _update(order, status="failed", hintCode="userCancel")
        return HttpResponseRedirect(request.path)
    rows = []
    for order_ref in cache.get(_key("recent"), []):
        order = cache.get(_key("order", order_ref))
        if order is None or _expire(order)["status"] != "pending":
            continue
        text = (base64.b64decode(order["userVisibleData"]).decode("utf-8")
                if order["userVisibleData"] else "")
        verb = "Skriv under" if order["kind"] == "sign" else "Identifiera"
        rows.append(
            f'<li><p><strong>{verb}</strong> · {html.escape(text) or "(ingen text)"}</p>'
            f'<form method="post"><input type="hidden" name="order_ref" '
            f'value="{html.escape(order_ref)}"><label>Personnummer <input name='
            f'"personal_number" value="{html.escape(_app_number(order))}" '
            'inputmode="numeric" pattern="[0-9]{12}"></label> '
            f'<button name="action" value="complete">{verb}</button> '
            '<button name="action" value="cancel">Avbryt</button></form></li>')
    body = "".join(rows) or "<li>Inga beställningar väntar. Starta BankID i ekrav först.</li>"
    return HttpResponse(
        '<!doctype html><html lang="sv"><head><meta charset="utf-8"><meta name="viewport" '
        'content="width=device-width, initial-scale=1"><title>BankID (simulator)</title>'
        '</head><body><h1>BankID-appen (simulator)</h1><p>ekravs stand-in för BankID-appen: '
        'här identifierar du dig som valfritt personnummer.</p>'
        f'<ul>{body}</ul></body></html>')


def _app_number(order: dict) -> str:
    return order["personalNumber"] or DEFAULT_USER["personalNumber"]
