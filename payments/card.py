"""Card payments through a redirect-style hosted payment page: the client that creates a
payment session, and the check of a webhook. No Django ORM here.

The protocol is the common shape of hosted card checkouts (the provider is chosen later;
CARD_BASE_URL, CARD_API_KEY and CARD_WEBHOOK_SECRET are all that change):

- ``POST {base}/v1/sessions`` with ``Authorization: Bearer <api key>``, an ``Idempotency-Key``
  header and JSON ``{"amount": 12345 (öre), "currency": "SEK", "reference", "success_url",
  "cancel_url", "webhook_url"}`` answers 201 ``{"id", "redirect_url", "status": "open",
  "amount", "currency", "reference"}``; the payer's browser goes to ``redirect_url``.
  ``GET {base}/v1/sessions/{id}`` reads it (status open, paid, declined, expired).
  Errors: ``{"error": {"code", "message"}}`` with 400/422 (refused), 401 (bad key).
- The outcome is POSTed to ``webhook_url`` as ``{"id": event id, "type": "payment.paid" |
  "payment.declined", "created", "data": {"session_id", "amount", "currency", "reference",
  "status"}}`` with the header ``Card-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of
  "<t>.<body>" with the webhook secret>``.

Rule for callers: ``verify_webhook`` refuses a webhook whose signature is wrong, whose time is
outside the tolerance (a replay), or that describes another session or amount. Booking is keyed
by the session id, so a webhook delivered twice books once.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
from dataclasses import dataclass

import httpx

CURRENCY = "SEK"
SIGNATURE_HEADER = "Card-Signature"
PAID, DECLINED, OPEN, EXPIRED = "paid", "declined", "open", "expired"


class CardError(Exception):
    def __init__(self, message: str, *, code: str | None = None, status_code: int | None = None):
        super().__init__(message)
        self.code = code
        self.status_code = status_code


class CardRejected(CardError):
    """The provider will not accept the request as sent (4xx). No retry."""


class CardUnavailable(CardError):
    """Timeout, connection error, 5xx, 408/429, 401 (configuration), or an answer that is not
    the provider's: try again later with the same idempotency key."""


class CardWebhookRejected(ValueError):
    """A webhook ekrav must not act on."""


@dataclass(frozen=True)
class CardSession:
    id: str
    redirect_url: str
    status: str
    amount_ore: int
    reference: str


@dataclass(frozen=True)
class CardWebhookEvent:
    id: str
    type: str
    session_id: str
    status: str
    amount_ore: int
    currency: str
    reference: str
    created: int

    @property
    def is_paid(self) -> bool:
        return self.status == PAID


def sign_webhook(*, body: bytes, secret: str, timestamp: int) -> str:
    """The ``Card-Signature`` header value for ``body`` sent at ``timestamp``."""
    mac = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify_webhook(*, body: bytes, header: str | None, secret: str, expected_id: str,
                   expected_amount_ore: int, tolerance_seconds: int = 300,
                   now: float | None = None) -> CardWebhookEvent:
    """The event a webhook carries, if the provider signed it within ``tolerance_seconds``
    of ``now`` and it is about session ``expected_id`` for ``expected_amount_ore`` SEK.
    Pure. Refuses (CardWebhookRejected) anything else."""
    parts = dict(p.split("=", 1) for p in (header or "").split(",") if "=" in p)
    timestamp, given = parts.get("t", ""), parts.get("v1", "")
    if not re.fullmatch(r"\d{1,12}", timestamp) or not re.fullmatch(r"[0-9a-f]{64}", given):
        raise CardWebhookRejected(f"no valid {SIGNATURE_HEADER} header")
    expected_header = sign_webhook(body=body, secret=secret, timestamp=int(timestamp))
    if not hmac.compare_digest(expected_header.encode(), f"t={timestamp},v1={given}".encode()):
        raise CardWebhookRejected("the webhook's signature does not match")
    now = time.time() if now is None else now
    if abs(now - int(timestamp)) > tolerance_seconds:
        raise CardWebhookRejected(f"the webhook was signed at {timestamp}, outside "
                                  f"{tolerance_seconds} s of now (a replay?)")
    try:
        event = json.loads(body)
        data = event["data"]
        found = CardWebhookEvent(
            id=str(event["id"]), type=str(event["type"]), session_id=str(data["session_id"]),
            status=str(data["status"]), amount_ore=_ore(data["amount"]),
            currency=str(data["currency"]), reference=str(data.get("reference") or ""),
            created=int(event.get("created") or timestamp))
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        raise CardWebhookRejected("the webhook is not a payment event") from None
    if found.session_id != expected_id:
        raise CardWebhookRejected(f"the webhook is about {found.session_id}, not {expected_id}")
    if found.amount_ore != expected_amount_ore or found.currency != CURRENCY:
        raise CardWebhookRejected(
            f"the webhook says {found.amount_ore} öre {found.currency}, the session was "
            f"created for {expected_amount_ore} öre {CURRENCY}")
    return found


def _ore(value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError("amount is not whole öre")
    return value


class CardClient:
    def __init__(self, *, base_url: str, api_key: str, timeout: float = 10.0,
                 transport: httpx.BaseTransport | None = None):
        self._base_url = base_url.rstrip("/")
        self._timeout = timeout
        self._http = httpx.Client(timeout=timeout, transport=transport,
                                  headers={"Authorization": f"Bearer {api_key}"})

    def __repr__(self):
        return f"<CardClient {self._base_url}>"

    @classmethod
    def from_settings(cls) -> CardClient | None:
        from django.conf import settings

        if not settings.CARD_BASE_URL:
            return None
        return cls(base_url=settings.CARD_BASE_URL, api_key=settings.CARD_API_KEY,
                   timeout=float(settings.CARD_TIMEOUT))

    def close(self) -> None:
        self._http.close()

    def create_session(self, *, reference: str, amount_ore: int, success_url: str,
                       cancel_url: str, webhook_url: str,
                       idempotency_key: str | None = None) -> CardSession:
        if isinstance(amount_ore, bool) or not isinstance(amount_ore, int) or amount_ore < 1:
            raise ValueError(f"{amount_ore!r} is not an amount in öre")
        body = {"amount": amount_ore, "currency": CURRENCY, "reference": reference,
                "success_url": success_url, "cancel_url": cancel_url,
                "webhook_url": webhook_url}
        headers = {"Idempotency-Key": idempotency_key or reference}
        response = self._call("create", "POST", "v1/sessions", json=body, headers=headers)
        session = self._session(response, "create")
        if session.amount_ore != amount_ore:
            raise CardUnavailable(f"card create: the session is for {session.amount_ore} öre, "
                                  f"not {amount_ore}", status_code=response.status_code)
        return session

    def get_session(self, session_id: str) -> CardSession:
        if not re.fullmatch(r"[A-Za-z0-9_\-]{1,100}", session_id or ""):
            raise ValueError(f"{session_id!r} is not a session id")
        return self._session(self._call("status", "GET", f"v1/sessions/{session_id}"), "status")

    def _call(self, what: str, method: str, path: str, **kwargs) -> httpx.Response:
        try:
            response = self._http.request(method, f"{self._base_url}/{path}", **kwargs)
        except httpx.TimeoutException as exc:
            raise CardUnavailable(f"card {what}: no answer within {self._timeout:g} s") from exc
        except httpx.HTTPError as exc:
            raise CardUnavailable(f"card {what}: {type(exc).__name__}: {exc}") from exc
        status = response.status_code
        if 200 <= status < 300:
            return response
        try:
            error = response.json().get("error") or {}
        except (ValueError, AttributeError):
            error = {}
        code = error.get("code") if isinstance(error, dict) else None
        message = f"card {what}: HTTP {status}: " + str(
            (error.get("message") if isinstance(error, dict) else None) or response.text[:300])
        if 400 <= status < 500 and status not in (401, 403, 408, 429):
            raise CardRejected(message, code=code, status_code=status)
        raise CardUnavailable(message, code=code, status_code=status)

    def _session(self, response: httpx.Response, what: str) -> CardSession:
        try:
            data = response.json()
            return CardSession(id=str(data["id"]), redirect_url=str(data["redirect_url"]),
                               status=str(data["status"]), amount_ore=_ore(data["amount"]),
                               reference=str(data.get("reference") or ""))
        except (ValueError, KeyError, TypeError, AttributeError):
            raise CardUnavailable(f"card {what}: the answer is not a session",
                                  status_code=response.status_code) from None
