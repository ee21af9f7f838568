"""Kivra (digital mailbox, digital brevlåda): the client of Kivra's tenant API.

The wire shapes follow Kivra's published OpenAPI document ("Kivra Sweden API", tenant API):

- ``POST /v1/auth``: OAuth2 client credentials, ``grant_type=client_credentials`` in a form body
  and the client id and secret as HTTP Basic; the answer carries ``access_token`` and
  ``expires_in`` (8 hours in Kivra's guide).
- ``POST /v2/tenant/{tenantKey}/usermatch/ssn``: ``{"list": [ssn, ...]}`` in, the subset that
  may receive content from this tenant out, in the same shape.
- ``POST /v2/tenant/{tenantKey}/content``: ``Content_user_v2`` (``ssn``, ``subject``,
  ``generated_at``, ``type``, ``parts`` of ``name``/``data``/``content_type`` and a ``payment``
  of ``payable``, ``currency``, ``due_date``, ``total_owed``, ``type`` = ``SE_OCR``, ``method``,
  ``account``, ``reference``); 201 with the content's key in the ``kivra-objkey`` header.
  The v2 resource calls the files ``parts``; ``files`` is the v1 resource's name for them.

Errors come back as ``{"code", "short_message", "long_message"}``. No Django ORM here: the
delivery service decides what a failure means for a letter.
"""

from __future__ import annotations

import base64
import os
import re
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

import httpx

from ekrav.money import ore_to_str

# Kivra's content types that ekrav sends (the ``type`` field). A påminnelse and an inkassokrav
# are told apart in the recipient's app and notified on different schedules, so the caller
# names which one a letter is.
TYPE_LETTER = "letter"
TYPE_INVOICE = "invoice"
TYPE_REMINDER = "invoice.reminder"  # påminnelse
TYPE_DEBT_COLLECTION = "invoice.debtcollection"  # inkassokrav

# Kivra's guide: a token is valid for 8 hours. Used only when the answer omits expires_in.
DEFAULT_TOKEN_LIFETIME = 8 * 3600

_SSN = re.compile(r"\d{12}", re.ASCII)

# The token's clock. A name of its own so tests can move it without moving time for the
# HTTP stack or the live server.
_clock = time.monotonic


@dataclass(frozen=True)
class KivraPayment:
    """The payment option shown with the letter in the Kivra app (Kivra's ``payment`` object)."""

    amount_ore: int
    due_date: date
    ocr: str
    bankgiro: str

    def __post_init__(self):
        # Kivra refuses a payable content whose total_owed is not above zero.
        if self.amount_ore <= 0:
            raise ValueError(f"a payable amount must be above zero, got {self.amount_ore} öre")


class KivraError(Exception):
    pass


class KivraRejected(KivraError):
    """The content will never be accepted as sent (4xx other than auth): no retry."""


class KivraUnavailable(KivraError):
    """5xx, timeout, connection error, bad response: try again later."""


class KivraAuthFailed(KivraUnavailable):
    """Kivra refused our credentials or their scope (401/403): a configuration error.

    Not the letter's fault, so not a rejection; a later attempt succeeds once the credentials
    are fixed. The client never loops on it: one token request per call, one refresh per 401.
    """


class KivraClient:
    def __init__(self, *, base_url: str, client_id: str, client_secret: str, tenant_key: str,
                 timeout: float = 10.0, transport: httpx.BaseTransport | None = None):
        self._base_url = base_url.rstrip("/")
        self._client_id = client_id
        self._client_secret = client_secret
        self._tenant_key = tenant_key
        self._timeout = timeout
        self._http = httpx.Client(timeout=timeout, transport=transport)
        self._token: str | None = None
        self._token_renew_at = 0.0
        self._token_lock = threading.Lock()

    def __repr__(self):
        return f"<KivraClient {self._base_url} tenant={self._tenant_key}>"

    @classmethod
    def from_settings(cls) -> KivraClient | None:
        """The configured client, or None when the digital mailbox is off (no KIVRA_BASE_URL).

        One client per configuration and process, so a worker reuses its token for 8 hours
        instead of asking for one per letter.
        """
        from django.conf import settings

        if not settings.KIVRA_BASE_URL:
            return None
        return _shared_client(settings.KIVRA_BASE_URL, settings.KIVRA_CLIENT_ID,
                              settings.KIVRA_CLIENT_SECRET, settings.KIVRA_TENANT_KEY,
                              float(settings.KIVRA_TIMEOUT), os.getpid())

    def close(self) -> None:
        self._http.close()

    def usermatch(self, ssns: Iterable[str]) -> set[str]:
        """Which of these 12-digit personnummer can receive content from us (have Kivra and
        have not opted out of this sender)."""
        wanted = sorted({_checked_ssn(ssn) for ssn in ssns})
        if not wanted:
            return set()
        response = self._api_post("usermatch", "usermatch/ssn", {"list": wanted})
        matched = _json_object(response, "usermatch").get("list")
        if not isinstance(matched, list) or not all(isinstance(s, str) for s in matched):
            raise KivraUnavailable("Kivra usermatch: the answer has no list of ssn")
        return set(matched) & set(wanted)

    def send_content(self, *, ssn: str, subject: str, pdf: bytes, filename: str,
                     payment: KivraPayment | None, generated_at: date,
                     kivra_type: str | None = None) -> str:
        """Deliver one PDF to the recipient's Kivra inbox; returns Kivra's key of the content.

        ``kivra_type`` is Kivra's content type (``TYPE_REMINDER``, ``TYPE_DEBT_COLLECTION``,
        ...); without it a letter with a payment is a plain ``invoice`` and one without is a
        ``letter``. Sending the same PDF again is safe in production: Kivra drops a payload
        identical to an earlier one (``generated_at`` aside) as a duplicate, which is why a
        retry must resend the archived PDF rather than render it anew.
        """
        body = content_body(ssn=_checked_ssn(ssn), subject=subject, pdf=pdf, filename=filename,
                            payment=payment, generated_at=generated_at, kivra_type=kivra_type)
        response = self._api_post("content", "content", body)
        key = response.headers.get("kivra-objkey", "").strip()
        if not key:
            # Kivra took the content but we cannot tell which it is; the retry is deduplicated.
            raise KivraUnavailable("Kivra content: the answer has no kivra-objkey header")
        return key

    # --- HTTP ------------------------------------------------------------------------------

    def _api_post(self, what: str, path: str, body: dict) -> httpx.Response:
        url = f"{self._base_url}/v2/tenant/{self._tenant_key}/{path}"
        for renew in (False, True):
            token = self._access_token(renew=renew)
            response = self._send(what, "POST", url, json=body,
                                  headers={"Authorization": f"Bearer {token}"})
            # A 401 means the token expired or was revoked early: one new token, one retry.
            if response.status_code != 401:
                break
        self._raise_for_status(what, response)
        return response

    def _access_token(self, *, renew: bool) -> str:
        with self._token_lock:
            if renew or self._token is None or _clock() >= self._token_renew_at:
                self._token, self._token_renew_at = self._fetch_token()
            return self._token

    def _fetch_token(self) -> tuple[str, float]:
        response = self._send("token", "POST", f"{self._base_url}/v1/auth",
                              data={"grant_type": "client_credentials"},
                              auth=(self._client_id, self._client_secret))
        if response.status_code in (400, 401, 403):
            raise KivraAuthFailed(f"Kivra refused the client credentials of {self._client_id!r}"
                                  f" (HTTP {response.status_code}): {self._reason(response)}")
        self._raise_for_status("token", response)
        data = _json_object(response, "token")
        token, lifetime = data.get("access_token"), data.get("expires_in", DEFAULT_TOKEN_LIFETIME)
        if not isinstance(token, str) or not token or not isinstance(lifetime, int) \
                or lifetime <= 0:
            raise KivraUnavailable("Kivra token: the answer has no usable access_token")
        # Renew a little early so a token never expires between our check and Kivra's.
        return token, _clock() + lifetime - min(60, lifetime / 10)

    def _send(self, what: str, method: str, url: str, **kwargs) -> httpx.Response:
        try:
            return self._http.request(method, url, **kwargs)
        except httpx.TimeoutException as exc:
            raise KivraUnavailable(
                f"Kivra {what}: no answer within {self._timeout:g} s") from exc
        except httpx.HTTPError as exc:
            raise KivraUnavailable(f"Kivra {what}: {type(exc).__name__}: {exc}") from exc

    def _raise_for_status(self, what: str, response: httpx.Response) -> None:
        status = response.status_code
        if 200 <= status < 300:
            return
        message = f"Kivra {what}: HTTP {status}: {self._reason(response)}"
        if status in (401, 403):
            raise KivraAuthFailed(message)
        # 408 and 429 say "not now", not "never".
        if 400 <= status < 500 and status not in (408, 429):
            raise KivraRejected(message)
        raise KivraUnavailable(message)

    def _reason(self, response: httpx.Response) -> str:
        """Kivra's own words for a failure, with nothing secret in them."""
        try:
            data = response.json()
        except ValueError:
            data = None
        if isinstance(data, dict):
            parts = [data.get(k) for k in ("short_message", "long_message", "error",
                                           "error_description")]
            text = ": ".join(str(p) for p in parts if p)
        else:
            text = response.text
        text = (text or response.reason_phrase or "no reason given")[:300]
        for secret in (self._client_secret, self._token):
            if secret and len(secret) >= 8:  # a shorter one would blank out ordinary words
                text = text.replace(secret, "***")
        return text


def content_body(*, ssn: str, subject: str, pdf: bytes, filename: str,
                 payment: KivraPayment | None, generated_at: date,
                 kivra_type: str | None = None) -> dict:
    """The ``Content_user_v2`` JSON for one PDF letter."""
    body = {
        "ssn": ssn,
        "subject": subject,
        "generated_at": generated_at.isoformat(),
        "type": kivra_type or (TYPE_INVOICE if payment else TYPE_LETTER),
        # The schema says an array of parts; Kivra's own examples show a bare object. The
        # array is what the schema promises, so that is what we send.
        "parts": [{
            "name": filename,
            "data": base64.b64encode(pdf).decode("ascii"),
            "content_type": "application/pdf",
        }],
    }
    if payment is not None:
        body["payment"] = {
            "payable": True,
            "currency": "SEK",
            "due_date": payment.due_date.isoformat(),
            "total_owed": ore_to_str(payment.amount_ore),
            "type": "SE_OCR",
            "method": "1",  # Kivra: 1 = bankgiro, 2 = plusgiro
            "account": re.sub(r"\D", "", payment.bankgiro),
            "reference": payment.ocr,
        }
    return body


def _checked_ssn(ssn: str) -> str:
    if not isinstance(ssn, str) or not _SSN.fullmatch(ssn):
        raise ValueError("Kivra wants a personnummer as 12 digits, YYYYMMDDNNNN")
    return ssn


def _json_object(response: httpx.Response, what: str) -> dict:
    try:
        data = response.json()
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise KivraUnavailable(f"Kivra {what}: the answer is not a JSON object")
    return data


@lru_cache(maxsize=8)
def _shared_client(base_url, client_id, client_secret, tenant_key, timeout, pid):
    # pid in the key: a client made before a worker forked must not share its sockets.
    return KivraClient(base_url=base_url, client_id=client_id, client_secret=client_secret,
                       tenant_key=tenant_key, timeout=timeout)
