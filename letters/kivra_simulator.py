"""A local Kivra: the tenant API's token, usermatch and content endpoints, served by ekrav itself
under /sim/kivra/ when SIMULATORS_ENABLED (ARCHITECTURE.md, decision 8). ``letters.kivra``
talks to it over real HTTP exactly as it talks to sender.api.kivra.com.

It checks what Kivra checks: the client credentials configured in KIVRA_CLIENT_ID and
KIVRA_CLIENT_SECRET, a bearer token on every API call, the tenant key (KIVRA_TENANT_KEY), and the
body (Kivra's ``Content_user_v2`` and ``Payment`` schemas). Errors carry Kivra's error shape,
``{"code", "short_message", "long_message"}``; the five-digit codes are the simulator's own
where Kivra's documents name none.

Who has a mailbox: a personnummer whose last digit is even, so a demo has both kinds; a test or
a demo overrides it per recipient with ``POST _control/recipients/<ssn>`` and
``{"behaviour": "accept" | "reject" | "fail" | "no_mailbox"}``. ``GET _inbox/<ssn>`` shows what
arrived. State lives in the default cache: it is a stand-in, not a record.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import secrets
import time
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import RequestDataTooBig
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from ekrav.identifiers import luhn_valid, ocr_valid

TOKEN_LIFETIME = 8 * 3600  # Kivra's guide: an access token is valid for 8 hours
BEHAVIOURS = ("accept", "reject", "fail", "no_mailbox")
CONTENT_TYPES = {
    "letter", "letter.salary", "letter.creditnotice", "letter.form", "booking", "invoice",
    "invoice.reminder", "invoice.debtcampaign", "invoice.renewal", "invoice.debtcollection",
}
PAYMENT_FIELDS = ("payable", "currency", "due_date", "total_owed", "type", "method", "account",
                  "reference")
_SSN = re.compile(r"\d{12}", re.ASCII)
_AMOUNT = re.compile(r"\d{1,12}(\.\d{1,2})?", re.ASCII)


class _Invalid(Exception):
    def __init__(self, reason: str, short: str = "Invalid request", status: int = 400):
        super().__init__(reason)
        self.response = _error(status, status * 100, short, reason)


def _error(status: int, code: int, short: str, long: str) -> JsonResponse:
    return JsonResponse({"code": code, "short_message": short, "long_message": long},
                        status=status)


def _key(*parts: str) -> str:
    return "kivra-sim:" + ":".join(parts)


# --- Views -----------------------------------------------------------------------------------

@csrf_exempt
@require_POST
def auth(request):
    """OAuth2 client credentials (RFC 6749 4.4). Kivra's guide sends the credentials as HTTP
    Basic; the RFC's form fields (client_id, client_secret) are accepted too."""
    if request.POST.get("grant_type") != "client_credentials":
        return _oauth_error(400, "unsupported_grant_type", "grant_type must be client_credentials")
    client_id, secret = _client_credentials(request)
    if not (_same(client_id, settings.KIVRA_CLIENT_ID)
            and _same(secret, settings.KIVRA_CLIENT_SECRET)):
        response = _oauth_error(401, "invalid_client", "Unknown client or wrong client secret")
        response["WWW-Authenticate"] = 'Basic realm="kivra"'
        return response
    token = secrets.token_urlsafe(32)
    cache.set(_token_key(token), _token_generation(), timeout=TOKEN_LIFETIME)
    tenant = settings.KIVRA_TENANT_KEY
    return JsonResponse({
        "access_token": token, "token_type": "bearer", "expires_in": TOKEN_LIFETIME,
        "scope": f"get:kivra.v2.tenant.{tenant}.usermatch.ssn "
                 f"post:kivra.v1.tenant.{tenant}.content",
    })


@csrf_exempt
@require_POST
def usermatch_ssn(request, tenant_key):
    if denied := _unauthorised(request, tenant_key):
        return denied
    try:
        ssns = _ssn_list(_json_body(request))
    except _Invalid as invalid:
        return invalid.response
    return JsonResponse({"list": [ssn for ssn in ssns if _has_mailbox(ssn)]})


@csrf_exempt
@require_POST
def content(request, tenant_key):
    if denied := _unauthorised(request, tenant_key):
        return denied
    try:
        body = _json_body(request)
        received = _received_content(body)
    except _Invalid as invalid:
        return invalid.response
    if refused := _refusal(_behaviour(body["ssn"])):
        return refused
    key = _deliver(body, received)
    response = JsonResponse({k: received[k] for k in ("subject", "generated_at", "type")},
                            status=201)
    response["kivra-objkey"] = key
    return response


@csrf_exempt
@require_POST
def control_recipient(request, ssn):
    try:
        _check_ssn(ssn, "the recipient")
        behaviour = _json_body(request).get("behaviour")
        if behaviour not in BEHAVIOURS:
            raise _Invalid(f"behaviour must be one of {', '.join(BEHAVIOURS)}")
    except _Invalid as invalid:
        return invalid.response
    cache.set(_key("recipient", ssn), behaviour, timeout=None)
    return JsonResponse({"ssn": ssn, "behaviour": behaviour})


@csrf_exempt
@require_POST
def control_expire_tokens(request):
    """Every token issued so far stops working, as if eight hours had passed."""
    cache.set(_key("token-generation"), _token_generation() + 1, timeout=None)
    return JsonResponse({"expired": True})


@require_GET
def inbox(request, ssn):
    return JsonResponse({"ssn": ssn, "content": cache.get(_key("inbox", ssn), [])})


# --- Authentication --------------------------------------------------------------------------

def _oauth_error(status: int, error: str, description: str) -> JsonResponse:
    # The token endpoint answers in OAuth2's error shape (RFC 6749 5.2); Kivra's documents show
    # no error body for it.
    return JsonResponse({"error": error, "error_description": description}, status=status)


def _client_credentials(request) -> tuple[str, str]:
    scheme, _, encoded = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(encoded, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return "", ""
        client_id, _, secret = decoded.partition(":")
        return client_id, secret
    return request.POST.get("client_id", ""), request.POST.get("client_secret", "")


def _same(given: str, expected: str) -> bool:
    return bool(expected) and hmac.compare_digest(given.encode(), expected.encode())


def _token_key(token: str) -> str:
    # Hashed: a token the caller made up may hold characters a cache key must not.
    return _key("token", hashlib.sha256(token.encode()).hexdigest())


def _token_generation() -> int:
    return cache.get(_key("token-generation"), 0)


def _unauthorised(request, tenant_key: str) -> JsonResponse | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or cache.get(_token_key(token)) != _token_generation():
        return _error(401, 40100, "Unauthorized",
                      "A valid bearer token from /v1/auth is required")
    if tenant_key != settings.KIVRA_TENANT_KEY:
        return _error(403, 40300, "Forbidden", "The tenant is outside the client's scope")
    return None


# --- Recipients ------------------------------------------------------------------------------

def _behaviour(ssn: str) -> str:
    chosen = cache.get(_key("recipient", ssn))
    if chosen:
        return chosen
    return "accept" if int(ssn[-1]) % 2 == 0 else "no_mailbox"


def _has_mailbox(ssn: str) -> bool:
    # A recipient whose content Kivra refuses or fails on still has a mailbox: usermatch says
    # yes, and the sending is where it goes wrong.
    return _behaviour(ssn) != "no_mailbox"


def _refusal(behaviour: str) -> JsonResponse | None:
    if behaviour == "no_mailbox":
        return _error(400, 40060, "Recipient not found",
                      "No Kivra user with this ssn can receive content from the tenant")
    if behaviour == "reject":
        return _error(400, 40070, "Content rejected",
                      "Kivra refused this content (simulated rejection)")
    if behaviour == "fail":
        return _error(503, 50300, "Service unavailable",
                      "Kivra is temporarily unavailable (simulated failure)")
    return None


def _deliver(body: dict, received: dict) -> str:
    """Kivra's duplicate control (production): a payload identical to an earlier one, apart from
    generated_at, answers OK and delivers nothing new. ekrav's safe resend depends on it."""
    same_payload = {k: v for k, v in body.items() if k != "generated_at"}
    fingerprint = hashlib.sha256(json.dumps(same_payload, sort_keys=True).encode()).hexdigest()
    if earlier := cache.get(_key("duplicate", fingerprint)):
        return earlier
    key = f"{int(time.time())}{secrets.token_hex(16)}"  # Kivra's content key: 10 digits + hex
    inbox_key = _key("inbox", body["ssn"])
    received = {"key": key, **received, "received_at": timezone.now().isoformat()}
    cache.set(inbox_key, cache.get(inbox_key, []) + [received], timeout=None)
    cache.set(_key("duplicate", fingerprint), key, timeout=None)
    return key


# --- Request validation ----------------------------------------------------------------------

def _json_body(request) -> dict:
    try:
        body = json.loads(request.body)
    except RequestDataTooBig:
        raise _Invalid("The payload is too large", "Payload too large", status=413) from None
    except (ValueError, UnicodeDecodeError):
        raise _Invalid("Could not parse posted body as JSON", "Invalid JSON") from None
    if not isinstance(body, dict):
        raise _Invalid("The body must be a JSON object")
    return body


def _check_ssn(value, what: str) -> str:
    if not isinstance(value, str) or not _SSN.fullmatch(value):
        raise _Invalid(f"{what} must be a personnummer of 12 digits, YYYYMMDDNNNN")
    return value


def _ssn_list(body: dict) -> list[str]:
    ssns = body.get("list")
    if not isinstance(ssns, list):
        raise _Invalid("list must be an array of ssn")
    return [_check_ssn(ssn, "each ssn in list") for ssn in ssns]


def _received_content(body: dict) -> dict:
    """What the recipient's inbox keeps of a valid ``Content_user_v2``, or _Invalid."""
    if "ssn" not in body:
        raise _Invalid("ssn is required (this simulator models recipients by ssn only)")
    _check_ssn(body["ssn"], "ssn")
    subject, kind = body.get("subject"), body.get("type", "letter")
    if not isinstance(subject, str) or not subject.strip():
        raise _Invalid("subject is required")
    if kind not in CONTENT_TYPES:
        raise _Invalid(f"type {kind!r} is not a Kivra content type")
    generated_at = body.get("generated_at")
    if generated_at is not None:
        _check_date(generated_at, "generated_at")
    return {"subject": subject, "generated_at": generated_at, "type": kind,
            "payment": _checked_payment(body, kind), "files": _received_parts(body.get("parts"))}


def _check_date(value, what: str) -> None:
    try:
        date.fromisoformat(value)
    except (TypeError, ValueError):
        raise _Invalid(f"{what} must be a date, YYYY-MM-DD") from None


def _received_parts(parts) -> list[dict]:
    # Kivra's schema says an array; its own examples send a single object. Take both.
    parts = [parts] if isinstance(parts, dict) else parts
    if not isinstance(parts, list) or not parts:
        raise _Invalid("parts must be a non-empty array of files")
    return [_received_part(part) for part in parts]


def _received_part(part) -> dict:
    if not isinstance(part, dict) or not all(isinstance(part.get(k), str) and part[k]
                                             for k in ("name", "data", "content_type")):
        raise _Invalid("each part needs name, data and content_type")
    if part["content_type"] != "application/pdf":
        raise _Invalid("a part's content_type must be application/pdf")
    try:
        data = base64.b64decode(part["data"], validate=True)
    except binascii.Error:
        raise _Invalid(f"part {part['name']!r}: data is not base64") from None
    if not data.startswith(b"%PDF-"):
        raise _Invalid(f"part {part['name']!r}: data is not a PDF")
    return {"name": part["name"], "content_type": part["content_type"], "size": len(data),
            "sha256": hashlib.sha256(data).hexdigest()}


def _checked_payment(body: dict, kind: str) -> dict | None:
    payment = body.get("payment")
    if "payment_multiple_options" in body:
        raise _Invalid("payment and payment_multiple_options cannot both be given"
                       if payment is not None else
                       "payment_multiple_options is not modelled by this simulator")
    if payment is None:
        if kind.startswith("invoice"):
            raise _Invalid(f"type {kind} needs a valid payment object")
        return None
    if not isinstance(payment, dict):
        raise _Invalid("payment must be an object")
    if missing := [field for field in PAYMENT_FIELDS if field not in payment]:
        raise _Invalid(f"payment lacks {', '.join(missing)}")
    _check_payment_values(payment, kind)
    return payment


def _check_payment_values(payment: dict, kind: str) -> None:
    if not isinstance(payment["payable"], bool) or (kind.startswith("invoice")
                                                    and not payment["payable"]):
        raise _Invalid(f"payment.payable must be true for type {kind}")
    if payment["currency"] != "SEK":
        raise _Invalid("payment.currency must be SEK")
    _check_date(payment["due_date"], "payment.due_date")
    owed = payment["total_owed"]
    if not isinstance(owed, str) or not _AMOUNT.fullmatch(owed) or \
            (payment["payable"] and Decimal(owed) <= 0):
        raise _Invalid('payment.total_owed must be a positive amount in kronor, e.g. "123.50"')
    if payment["type"] not in ("SE_OCR", "TENANT_REF") or payment["method"] not in ("1", "2"):
        raise _Invalid('payment.type must be SE_OCR or TENANT_REF, payment.method "1" or "2"')
    account = payment["account"].replace("-", "") if isinstance(payment["account"], str) else ""
    digits = "7,8" if payment["method"] == "1" else "2,8"  # bankgiro, plusgiro
    if not re.fullmatch(rf"\d{{{digits}}}", account, re.ASCII) or not luhn_valid(account):
        raise _Invalid("payment.account must be a bankgiro (method 1) or plusgiro (method 2)")
    reference = payment["reference"]
    if not isinstance(reference, str) or len(reference) > 25 or \
            (payment["type"] == "SE_OCR" and not ocr_valid(reference)):
        raise _Invalid("payment.reference must be a valid OCR number of at most 25 digits")
