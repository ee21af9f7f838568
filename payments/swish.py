"""Swish: the client of Swish's merchant Commerce API (payment requests), and the check of a
callback. No Django ORM here: booking a payment is the payment services' work.

The wire shapes follow Swish's Commerce API documentation:

- ``PUT {base}/v2/paymentrequests/{instructionUUID}`` creates a payment request. The id is
  ours: 32 uppercase hexadecimal characters (a UUID without dashes). The body is a JSON object
  of ``payeePaymentReference`` (our reference, the OCR), ``callbackUrl`` (HTTPS),
  ``payeeAlias`` (our Swish number), ``amount`` (kronor, ``"123.45"``), ``currency``
  (``SEK``, the only one) and ``message`` (at most 50 characters), plus ``payerAlias`` (the
  payer's number, 46701234567) for e-commerce, where Swish asks that phone to pay. Without a
  payer alias it is m-commerce: the answer's ``PaymentRequestToken`` header opens the Swish app
  on the payer's own phone (``swish://paymentrequest?token=...``). 201 Created, no body, a
  ``Location`` header naming the request.
- ``GET {base}/v1/paymentrequests/{id}`` reads the payment request object: the fields above
  and ``id``, ``status`` (CREATED, PAID, DECLINED, ERROR, CANCELLED), ``paymentReference``
  (the bank's, when PAID), ``dateCreated``, ``datePaid``, ``errorCode``, ``errorMessage``.
- ``PATCH {base}/v1/paymentrequests/{id}`` with the JSON Patch
  ``[{"op": "replace", "path": "/status", "value": "cancelled"}]`` cancels a request that is
  still CREATED; 422 when it is not.
- When the request ends, Swish POSTs the same payment request object to ``callbackUrl``.

Errors: 4xx with a JSON list of ``{"errorCode", "errorMessage", "additionalInformation"}``
(e.g. RP01 payee alias missing, BE18 payer alias invalid, ACMT03 payer not enrolled, FF08
payment reference invalid, RP06 a request already waits for this payer, RP09 the
instructionUUID is taken, PA02/AM06/AM02 amount, AM03 currency, RP02 message, RP03 callback
URL); 401 for a certificate Swish refuses, 403 when the payee alias is not the certificate's.

Every call goes over mutual TLS with the merchant certificate (SWISH_CERT_FILE and
SWISH_KEY_FILE, PEM; convert Swish's .p12 with ``openssl pkcs12``) against Swish's CA
(SWISH_CA_FILE). That is what makes a status read trustworthy, and the callback not: Swish does
not sign its callbacks, so anyone who can reach the callback URL can post one. Hence the rule
for callers:

    the callback is a trigger, not the truth. ``verify_callback`` refuses one that does not
    describe the payment request as ekrav created it (id, amount, currency, reference); then
    the caller re-reads the request with ``get_payment_request`` and books only what that
    read says, checked again with ``check_same_payment``. The booking's natural key is the
    payment request id, so a callback that arrives twice (Swish retries) books once.
"""

from __future__ import annotations

import json
import os
import re
import ssl
import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Protocol

import httpx

from ekrav.money import ore_to_str

CREATED, PAID, DECLINED, ERROR, CANCELLED = "CREATED", "PAID", "DECLINED", "ERROR", "CANCELLED"
STATUSES = (CREATED, PAID, DECLINED, ERROR, CANCELLED)
FINAL_STATUSES = frozenset({PAID, DECLINED, ERROR, CANCELLED})
CURRENCY = "SEK"
MESSAGE_MAX = 50
# Swish's limits for one payment request, in öre (0.01 to 999 999 999 999.99 kronor).
MIN_AMOUNT_ORE, MAX_AMOUNT_ORE = 1, 99_999_999_999_999
# DS24: Swish timed out waiting for the banks after the payment had started. Swish does not
# know whether money moved; the payer is told to ask their bank. Never treat it as unpaid.
OUTCOME_UNKNOWN_CODES = frozenset({"DS24"})

_INSTRUCTION_ID = re.compile(r"[0-9A-F]{32}", re.ASCII)
_AMOUNT = re.compile(r"\d{1,12}(\.\d{1,2})?", re.ASCII)
_ONE_ORE = Decimal("0.01")
_CANCEL = [{"op": "replace", "path": "/status", "value": "cancelled"}]


@dataclass(frozen=True)
class SwishPaymentRequest:
    """One payment request as Swish describes it (amounts in öre)."""

    id: str
    payee_payment_reference: str | None
    payment_reference: str | None  # the bank's reference of the payment, once PAID
    amount_ore: int
    currency: str
    status: str
    date_paid: datetime | None
    error_code: str | None
    error_message: str | None
    token: str | None = None  # m-commerce: opens the Swish app; only in the create answer

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES

    @property
    def is_paid(self) -> bool:
        return self.status == PAID

    @property
    def outcome_unknown(self) -> bool:
        """ERROR, but money may have moved (DS24): read again later, tell the payer to check."""
        return self.status == ERROR and self.error_code in OUTCOME_UNKNOWN_CODES


class ExpectedPayment(Protocol):
    """What ekrav created: a stored record or the SwishPaymentRequest create returned."""

    id: str
    amount_ore: int


@dataclass(frozen=True)
class SwishErrorDetail:
    code: str
    message: str
    additional_information: str | None = None


class SwishError(Exception):
    def __init__(self, message: str, *, status_code: int | None = None,
                 errors: tuple[SwishErrorDetail, ...] = ()):
        super().__init__(message)
        self.status_code = status_code
        self.errors = errors

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(error.code for error in self.errors)


class SwishRejected(SwishError):
    """Swish will never accept the request as sent (4xx): an invalid or unenrolled payer alias,
    an amount or message it refuses, an id already taken, a request no longer cancellable.
    ``codes`` are Swish's error codes. No retry."""


class SwishUnavailable(SwishError):
    """5xx, 408, 429, timeout, connection or TLS error, an answer that is not Swish's: try
    again later. A create that timed out may have been created; retry with the same id."""


class SwishAuthFailed(SwishUnavailable):
    """Swish refused the merchant certificate (401) or the payee alias is not the
    certificate's (403): a configuration error, not the payment's fault."""


class SwishCallbackRejected(ValueError):
    """A callback (or a status read) that ekrav must not act on: not a payment request object,
    or one that describes another payment than the one ekrav created."""


def new_instruction_id() -> str:
    """A fresh instructionUUID: Swish wants 32 uppercase hex digits, no dashes."""
    return uuid.uuid4().hex.upper()


def swish_amount(ore: int) -> str:
    """The ``amount`` field: kronor with a decimal point and two decimals, "123.45"."""
    if isinstance(ore, bool) or not isinstance(ore, int):
        raise TypeError(f"an amount is integer öre, not {ore!r}")
    if not MIN_AMOUNT_ORE <= ore <= MAX_AMOUNT_ORE:
        raise ValueError(f"Swish takes 0.01 to 999999999999.99 kronor, not {ore} öre")
    return ore_to_str(ore)


def swish_payer_alias(phone: str) -> str:
    """A Swedish mobile number as people write it ("070-123 45 67", "+46 70 123 45 67") to the
    ``payerAlias`` Swish wants: country code and number without its leading zero, digits only,
    8 to 15 of them (46701234567)."""
    digits = re.sub(r"[\s\-().]", "", phone or "")
    if digits.startswith("+"):
        digits = digits[1:]
    elif digits.startswith("00"):
        digits = digits[2:]
    elif digits.startswith("0"):
        digits = "46" + digits[1:]
    if not re.fullmatch(r"[1-9]\d{7,14}", digits, re.ASCII):
        raise ValueError(f"{phone!r} is not a mobile number Swish can ask to pay")
    return digits


# --- The callback ----------------------------------------------------------------------------

def verify_callback(*, body: bytes, expected: ExpectedPayment) -> SwishPaymentRequest:
    """The payment request a Swish callback describes, if it is the one ekrav created.

    Pure. Refuses (SwishCallbackRejected) a body that is not a payment request object, and one
    whose id, amount, currency or payee reference differs from ``expected``: a callback is
    never trusted for an amount other than the one the payment was created for. Accepting it
    proves nothing either (Swish's callbacks are not signed): the caller then re-reads the
    request with ``SwishClient.get_payment_request`` and books what that read says.
    """
    try:
        data = json.loads(body, parse_float=Decimal)
    except (ValueError, UnicodeDecodeError):
        raise SwishCallbackRejected("the callback body is not JSON") from None
    try:
        found = parse_payment_request(data)
    except ValueError as invalid:
        raise SwishCallbackRejected(f"the callback is not a payment request: {invalid}") from None
    return check_same_payment(found, expected=expected)


def check_same_payment(found: SwishPaymentRequest, *,
                       expected: ExpectedPayment) -> SwishPaymentRequest:
    """``found`` if it is the payment request ekrav created, else SwishCallbackRejected."""
    if found.id != expected.id:
        raise SwishCallbackRejected(f"payment request {found.id} is not {expected.id}")
    if found.amount_ore != expected.amount_ore:
        raise SwishCallbackRejected(
            f"payment request {found.id} says {ore_to_str(found.amount_ore)} SEK, "
            f"it was created for {ore_to_str(expected.amount_ore)} SEK")
    currency = getattr(expected, "currency", None) or CURRENCY
    if found.currency != currency:
        raise SwishCallbackRejected(
            f"payment request {found.id} is in {found.currency!r}, it was created in {currency}")
    reference = getattr(expected, "payee_payment_reference", None)
    if reference and found.payee_payment_reference != reference:
        raise SwishCallbackRejected(
            f"payment request {found.id} carries reference {found.payee_payment_reference!r}, "
            f"it was created with {reference!r}")
    return found


def parse_payment_request(data) -> SwishPaymentRequest:
    """Swish's payment request object (JSON decoded with ``parse_float=Decimal``), or
    ValueError."""
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    instruction_id, status = data.get("id"), data.get("status")
    if not isinstance(instruction_id, str) or not _INSTRUCTION_ID.fullmatch(instruction_id):
        raise ValueError("id is not an instructionUUID (32 uppercase hex digits)")
    if status not in STATUSES:
        raise ValueError(f"status {status!r} is not one of {', '.join(STATUSES)}")
    currency = data.get("currency")
    if not isinstance(currency, str):
        raise ValueError("currency is missing")
    return SwishPaymentRequest(
        id=instruction_id,
        payee_payment_reference=_optional_text(data, "payeePaymentReference"),
        payment_reference=_optional_text(data, "paymentReference"),
        amount_ore=_amount_ore(data.get("amount")),
        currency=currency,
        status=status,
        date_paid=_optional_datetime(data, "datePaid"),
        error_code=_optional_text(data, "errorCode"),
        error_message=_optional_text(data, "errorMessage"),
    )


def _amount_ore(value) -> int:
    # Swish writes the amount as a JSON number (100.00) in what it sends and takes a string
    # ("100.00") in what it receives; both are exact here (no float ever parsed).
    if isinstance(value, bool) or not isinstance(value, (int, Decimal, str)):
        raise ValueError(f"amount {value!r} is not an amount")
    if isinstance(value, str) and not _AMOUNT.fullmatch(value):
        raise ValueError(f"amount {value!r} is not an amount in kronor")
    try:
        kronor = Decimal(value)
    except InvalidOperation:
        raise ValueError(f"amount {value!r} is not an amount") from None
    if not kronor.is_finite() or kronor < 0 or kronor != kronor.quantize(_ONE_ORE):
        raise ValueError(f"amount {value!r} is not whole öre")
    return int(kronor * 100)


def _optional_text(data: dict, field: str) -> str | None:
    value = data.get(field)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValueError(f"{field} is not text")
    return value


def _optional_datetime(data: dict, field: str) -> datetime | None:
    value = _optional_text(data, field)
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{field} {value!r} is not an ISO 8601 time") from None
    if moment.tzinfo is None:
        raise ValueError(f"{field} {value!r} has no time zone")
    return moment


# --- The client ------------------------------------------------------------------------------

class SwishClient:
    def __init__(self, *, base_url: str, payee_alias: str, cert_file: str = "",
                 key_file: str = "", ca_file: str = "", timeout: float = 10.0,
                 transport: httpx.BaseTransport | None = None):
        self._base_url = base_url.rstrip("/")
        self._payee_alias = payee_alias
        self._timeout = timeout
        self._http = httpx.Client(timeout=timeout, transport=transport,
                                  verify=_tls_context(cert_file, key_file, ca_file))

    def __repr__(self):
        return f"<SwishClient {self._base_url} payee={self._payee_alias}>"

    @classmethod
    def from_settings(cls) -> SwishClient | None:
        """The configured client, or None when Swish is off (no SWISH_BASE_URL). One per
        configuration and process: the TLS context and its connections are reused."""
        from django.conf import settings

        if not settings.SWISH_BASE_URL:
            return None
        return _shared_client(settings.SWISH_BASE_URL, settings.SWISH_PAYEE_ALIAS,
                              settings.SWISH_CERT_FILE, settings.SWISH_KEY_FILE,
                              settings.SWISH_CA_FILE, float(settings.SWISH_TIMEOUT), os.getpid())

    def close(self) -> None:
        self._http.close()

    def create_payment_request(self, *, instruction_id: str, payee_payment_reference: str,
                               callback_url: str, amount_ore: int, message: str,
                               payer_alias: str | None = None) -> SwishPaymentRequest:
        """Ask Swish for a payment of ``amount_ore`` to ekrav's Swish number.

        With ``payer_alias`` (e-commerce) Swish asks that phone to pay; without (m-commerce)
        the answer's ``token`` opens the Swish app on the payer's own phone. Returns the
        request as created (CREATED). The same id and body sent again is the same request, so
        a create that timed out is retried with the same ``instruction_id``.
        """
        _check_instruction_id(instruction_id)
        body = {
            "payeePaymentReference": payee_payment_reference,
            "callbackUrl": callback_url,
            "payeeAlias": self._payee_alias,
            "amount": swish_amount(amount_ore),
            "currency": CURRENCY,
            "message": message,
        }
        if payer_alias is not None:
            body["payerAlias"] = payer_alias
        response = self._call("create", "PUT", f"v2/paymentrequests/{instruction_id}", json=body)
        if response.status_code != 201:
            raise SwishUnavailable(f"Swish create: HTTP {response.status_code}, expected 201",
                                   status_code=response.status_code)
        location = response.headers.get("Location", "").rstrip("/")
        if location.rsplit("/", 1)[-1] != instruction_id:
            raise SwishUnavailable(f"Swish create: Location {location!r} does not name "
                                   f"{instruction_id}", status_code=201)
        return SwishPaymentRequest(
            id=instruction_id, payee_payment_reference=payee_payment_reference or None,
            payment_reference=None, amount_ore=amount_ore, currency=CURRENCY, status=CREATED,
            date_paid=None, error_code=None, error_message=None,
            token=response.headers.get("PaymentRequestToken") or None)

    def get_payment_request(self, instruction_id: str) -> SwishPaymentRequest:
        """The payment request as Swish has it now: the truth a booking rests on."""
        _check_instruction_id(instruction_id)
        response = self._call("status", "GET", f"v1/paymentrequests/{instruction_id}")
        return self._payment_request(response, "status", instruction_id)

    def cancel_payment_request(self, instruction_id: str) -> SwishPaymentRequest:
        """Withdraw a request the payer has not answered (still CREATED). SwishRejected when it
        has already ended (paid, declined, failed or cancelled)."""
        _check_instruction_id(instruction_id)
        response = self._call("cancel", "PATCH", f"v1/paymentrequests/{instruction_id}",
                              content=json.dumps(_CANCEL).encode(),
                              headers={"Content-Type": "application/json-patch+json"})
        return self._payment_request(response, "cancel", instruction_id)

    # --- HTTP ------------------------------------------------------------------------------

    def _call(self, what: str, method: str, path: str, **kwargs) -> httpx.Response:
        try:
            response = self._http.request(method, f"{self._base_url}/{path}", **kwargs)
        except httpx.TimeoutException as exc:
            raise SwishUnavailable(f"Swish {what}: no answer within {self._timeout:g} s") from exc
        except httpx.HTTPError as exc:
            raise SwishUnavailable(f"Swish {what}: {type(exc).__name__}: {exc}") from exc
        except ssl.SSLError as exc:
            raise SwishUnavailable(f"Swish {what}: TLS: {exc}") from exc
        self._raise_for_status(what, response)
        return response

    def _raise_for_status(self, what: str, response: httpx.Response) -> None:
        status = response.status_code
        if 200 <= status < 300:
            return
        errors = _error_details(response)
        said = "; ".join(f"{e.code}: {e.message}" for e in errors) or \
            (response.text or response.reason_phrase or "no reason given")[:300]
        message = f"Swish {what}: HTTP {status}: {said}"
        if status == 401:
            raise SwishAuthFailed(f"{message} (the merchant certificate was refused)",
                                  status_code=status, errors=errors)
        if status == 403:
            raise SwishAuthFailed(f"{message} (payee alias {self._payee_alias} is not the "
                                  "certificate's Swish number)", status_code=status,
                                  errors=errors)
        # 408 and 429 say "not now", not "never".
        if 400 <= status < 500 and status not in (408, 429):
            raise SwishRejected(message, status_code=status, errors=errors)
        raise SwishUnavailable(message, status_code=status, errors=errors)

    def _payment_request(self, response: httpx.Response, what: str,
                         instruction_id: str) -> SwishPaymentRequest:
        try:
            found = parse_payment_request(json.loads(response.content, parse_float=Decimal))
        except (ValueError, UnicodeDecodeError) as invalid:
            raise SwishUnavailable(f"Swish {what}: the answer is not a payment request: "
                                   f"{invalid}", status_code=response.status_code) from None
        if found.id != instruction_id:
            raise SwishUnavailable(f"Swish {what}: asked for {instruction_id}, got {found.id}",
                                   status_code=response.status_code)
        return found


def _check_instruction_id(instruction_id: str) -> None:
    # It goes into the URL path: anything else is a programming error, not Swish's to judge.
    if not isinstance(instruction_id, str) or not _INSTRUCTION_ID.fullmatch(instruction_id):
        raise ValueError(f"{instruction_id!r} is not an instructionUUID "
                         "(32 uppercase hex digits; see new_instruction_id)")


def _error_details(response: httpx.Response) -> tuple[SwishErrorDetail, ...]:
    """Swish's error list ``[{"errorCode", "errorMessage", "additionalInformation"}]`` (a single
    object is taken too); empty when the answer has none."""
    try:
        data = response.json()
    except ValueError:
        return ()
    items = data if isinstance(data, list) else [data]
    details = []
    for item in items:
        if isinstance(item, dict) and isinstance(item.get("errorCode"), str):
            extra = item.get("additionalInformation")
            details.append(SwishErrorDetail(
                code=item["errorCode"], message=str(item.get("errorMessage") or ""),
                additional_information=None if extra is None else str(extra)))
    return tuple(details)


def _tls_context(cert_file: str, key_file: str, ca_file: str) -> ssl.SSLContext:
    """Mutual TLS: Swish's CA (or the system's) for the server, the merchant certificate for
    us. Swish asks for TLS 1.2 or later."""
    context = ssl.create_default_context(cafile=ca_file or None)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    if cert_file:
        context.load_cert_chain(cert_file, key_file or None)
    elif key_file:
        raise ValueError("SWISH_KEY_FILE is set without SWISH_CERT_FILE")
    return context


@lru_cache(maxsize=8)
def _shared_client(base_url, payee_alias, cert_file, key_file, ca_file, timeout, pid):
    # pid in the key: a client made before a worker forked must not share its sockets.
    return SwishClient(base_url=base_url, payee_alias=payee_alias, cert_file=cert_file,
                       key_file=key_file, ca_file=ca_file, timeout=timeout)
