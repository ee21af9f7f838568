"""BankID: the client of BankID's relying-party API v6.0 (auth, sign, collect, cancel), the
animated QR code and BankID's recommended user messages. No Django ORM here: what a login or a
signature means to ekrav is the callers' work.

The wire shapes follow BankID's RP API v6.0 (every call a ``POST`` of a JSON object to
``{base}/{method}``, ``Content-Type: application/json`` with no charset parameter, mutual TLS
with the relying party's certificate):

- ``auth`` and ``sign`` take ``endUserIp`` (the user's IP address as ekrav sees it, required),
  ``requirement`` (an object; ``personalNumber``, 12 digits, lives here in v6.0),
  ``userVisibleData`` (base64 of UTF-8 text; required for sign, at most 40 000 characters
  after encoding), ``userNonVisibleData`` (base64, at most 200 000), ``userVisibleDataFormat``
  (``simpleMarkdownV1``, or ``plaintext``, the default) and ``returnUrl``. The answer: ``orderRef``, ``autoStartToken``,
  ``qrStartToken``, ``qrStartSecret``.
- ``collect`` takes ``orderRef``; the answer is ``orderRef``, ``status`` (pending, failed,
  complete), ``hintCode`` (pending and failed) and ``completionData`` (complete): ``user``
  (``personalNumber``, ``name``, ``givenName``, ``surname``), ``device`` (``ipAddress``),
  ``bankIdIssueDate``, ``signature`` (base64 XML) and ``ocspResponse`` (base64). Call it every
  two seconds while pending. An order's final state is given once: collecting it again is
  400 invalidParameters.
- ``cancel`` takes ``orderRef``, answers ``{}``; the order is then gone (collect and cancel of
  it are 400 invalidParameters).

Errors are ``{"errorCode", "details"}``: 400 alreadyInProgress (an order for that personal
number was pending: it is cancelled and no new one made), 400 invalidParameters, 401/403
unauthorized, 404 notFound, 405 methodNotAllowed, 408 requestTimeout, 415
unsupportedMediaType, 500 internalError, 503 maintenance. Here a 4xx with BankID's error object
is ``BankIdError``; 5xx, a timeout, a connection or TLS error or an answer that is not
BankID's is ``BankIdUnavailable`` (try again later). Parsing is strict: a malformed answer is
BankIdUnavailable, never a KeyError. Only maintenance may be retried without telling the user
(``BankIdException.may_retry``); requestTimeout and internalError are not retried by the
relying party, the user is told (RFA5) and may start again.

The signature and the OCSP response are kept as the base64 text received: they are the
evidence of what the user saw and signed, to be stored as they came.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import ssl
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from urllib.parse import quote

import httpx

PENDING, FAILED, COMPLETE = "pending", "failed", "complete"
STATUSES = (PENDING, FAILED, COMPLETE)
SIMPLE_MARKDOWN = "simpleMarkdownV1"
USER_VISIBLE_DATA_MAX = 40_000  # characters after base64 encoding
USER_NON_VISIBLE_DATA_MAX = 200_000


# --- The animated QR code ---------------------------------------------------------------------

def qr_data(qr_start_token: str, qr_start_secret: str, seconds: int) -> str:
    """What the QR code shows ``seconds`` whole seconds after the order was made:
    ``bankid.{qrStartToken}.{time}.{qrAuthCode}``, the auth code being the hex HMAC-SHA256 of
    the time (as decimal text) keyed with the secret. It changes every second; the secret
    never leaves the server."""
    if isinstance(seconds, bool) or not isinstance(seconds, int) or seconds < 0:
        raise ValueError(f"seconds since the order is a whole number >= 0, not {seconds!r}")
    code = hmac.new(qr_start_secret.encode(), str(seconds).encode(), hashlib.sha256).hexdigest()
    return f"bankid.{qr_start_token}.{seconds}.{code}"


# --- Starting the app on this device (autostart) ---------------------------------------------

def launch_url(auto_start_token: str, *, mobile: bool, return_url: str = "") -> str:
    """The link that starts BankID on the user's own device with the order's autoStartToken,
    as BankID's sample code builds it: on a phone or tablet the universal link
    ``https://app.bankid.com/`` with ``redirect`` the (URL-encoded) page to come back to; on a
    computer the ``bankid:///`` scheme with ``redirect=null`` (the security program leaves the
    browser where it was)."""
    if not auto_start_token:
        return ""
    if mobile:
        redirect = quote(return_url, safe="") if return_url else "null"
        return f"https://app.bankid.com/?autostarttoken={auto_start_token}&redirect={redirect}"
    return f"bankid:///?autostarttoken={auto_start_token}&redirect=null"


def web_data(*, domain: str, user_agent: str, device: str) -> dict | None:
    """The ``web`` object of auth and sign (v6.0), by which BankID weighs an order's risk: the
    domain the page is on (3-253 characters), the browser's User-Agent (cut to 256) and an
    identifier of the browser (cut to 64; BankID's sample code: a cookie or a hash of it).
    None when one is missing (BankID's sample code sends all three or no object)."""
    domain, user_agent, device = domain.strip(), user_agent.strip()[:256], device[:64]
    if not 3 <= len(domain) <= 253 or not user_agent or not device:
        return None
    return {"referringDomain": domain, "userAgent": user_agent, "deviceIdentifier": device}


# --- Recommended user messages ------------------------------------------------------------

# BankID's recommended user messages (RFA = "rekommenderat felmeddelande/användarmeddelande"),
# Swedish and English, as developers.bankid.com/ui-resources/user-messages words them (read
# through copies of that page, see the README). Two slips of BankID's own are mended:
# "gitligt" (RFA15B) and "you ID document" (RFA23). RFA5 and RFA22 are the same words.
MESSAGES: dict[str, tuple[str, str]] = {
    "RFA1": ("Starta BankID-appen.", "Start your BankID app."),
    "RFA2": ("Du verkar inte ha BankID-appen. Installera den och skaffa ett BankID.",
             "You don't seem to have the BankID app. Install the app and get a BankID."),
    "RFA3": ("Åtgärden avbröts. Försök igen.", "The action was cancelled. Please try again."),
    "RFA4": ("En identifiering eller underskrift pågår redan för ditt personnummer. "
             "Försök igen.",
             "An identification or signature is already in progress for your personal "
             "identity number. Please try again."),
    "RFA5": ("Något gick fel. Försök igen.", "Something went wrong. Please try again."),
    "RFA6": ("Åtgärden avbröts.", "The action was cancelled."),
    "RFA8": ("BankID-appen svarar inte. Kontrollera att den är startad och att du har "
             "internetanslutning. Försök sedan igen.",
             "The BankID app is not responding. Please check that it's started and that you "
             "have internet access. Try again."),
    "RFA9": ("Skriv in din säkerhetskod i BankID-appen och välj Identifiera eller Skriv under.",
             "Enter your security code in the BankID app and select Identify or Sign."),
    "RFA13": ("Försöker starta BankID-appen.", "Trying to start your BankID app."),
    "RFA15A": ("Söker efter BankID. Säkerställ att du har ett giltigt BankID på den här "
               "datorn. Om du har ett BankID på kort, sätt in kortet i kortläsaren.",
               "Searching for BankID. Make sure you have a valid BankID on this computer. If "
               "you have a BankID on card, please insert the card into your card reader."),
    "RFA15B": ("Söker efter BankID. Säkerställ att du har ett giltigt BankID på den här enheten.",
               "Searching for BankID. Make sure you have a valid BankID on this device."),
    "RFA16": ("Ditt BankID är för gammalt eller spärrat. Använd ett annat BankID eller skaffa "
              "ett nytt hos din bank.",
              "Your BankID is blocked or too old. Please use another BankID or get a new one "
              "from your bank."),
    "RFA17A": ("Du verkar inte ha BankID-appen/programmet. Installera den och skaffa ett BankID "
               "hos din bank.",
               "You don't seem to have the BankID app/program. Please install it and get a "
               "BankID from your bank."),
    "RFA17B": ("Misslyckades att läsa av QR-koden. Starta BankID-appen och läs av QR-koden.",
               "Failed to scan the QR code. Start the BankID app and scan the QR code."),
    "RFA19": ("Vill du använda BankID på den här datorn eller ett Mobilt BankID?",
              "Would you like to use BankID on this computer, or a Mobile BankID?"),
    "RFA20": ("Vill du använda BankID på den här enheten eller på en annan enhet?",
              "Do you want to use BankID on this device or another device?"),
    "RFA21": ("En identifiering eller underskrift pågår.",
              "An identification or signing is in progress."),
    "RFA22": ("Något gick fel. Försök igen.", "Something went wrong. Please try again."),
    "RFA23": ("Fotografera och läs av din ID-handling med BankID-appen.",
              "Take a photo of, and scan, your ID document with the BankID app."),
}

PENDING_HINTS = ("outstandingTransaction", "noClient", "started", "userMrtd", "userCallConfirm",
                 "userSign")
FAILED_HINTS = ("expiredTransaction", "certificateErr", "userCancel", "cancelled", "startFailed",
                "userDeclinedCall")
# BankID adds hint codes and error codes without notice: an unknown one gets the default.
DEFAULT_PENDING, DEFAULT_FAILED, DEFAULT_ERROR = "RFA21", "RFA22", "RFA22"
_ERROR_MESSAGES = {"alreadyInProgress": "RFA4", "requestTimeout": "RFA5", "maintenance": "RFA5",
                   "internalError": "RFA5"}
# "An internal error within RP's system that must not be communicated to the user as a
# BankID error": ekrav's own technical fault, said as such.
_OUR_FAULT = frozenset({"invalidParameters", "unauthorized", "notFound", "methodNotAllowed",
                        "unsupportedMediaType"})


def message_code(status: str, hint_code: str | None, *, qr: bool, mobile: bool = False) -> str:
    """The RFA code BankID recommends for a collect answer. ``qr``: the user was shown the QR
    code (not an app started on this device); ``mobile``: ekrav's page is on a phone or tablet
    (not a computer). A complete order has no message ("")."""
    if status == PENDING:
        if hint_code == "outstandingTransaction":
            return "RFA1" if qr else "RFA13"
        if hint_code == "noClient":
            return "RFA1"
        if hint_code == "started":
            return "RFA15B" if mobile else "RFA15A"
        if hint_code == "userMrtd":
            return "RFA23"
        if hint_code == "userSign":
            return "RFA9"
        return DEFAULT_PENDING  # userCallConfirm and anything new: "in progress"
    if status == FAILED:
        return {"expiredTransaction": "RFA8", "certificateErr": "RFA16", "userCancel": "RFA6",
                "cancelled": "RFA3", "userDeclinedCall": "RFA6",
                "startFailed": "RFA17B" if qr else "RFA17A"}.get(hint_code, DEFAULT_FAILED)
    if status == COMPLETE:
        return ""
    raise ValueError(f"status {status!r} is not one of {', '.join(STATUSES)}")


def error_message_code(error_code: str | None) -> str:
    """The RFA code for an error answer (or BankID being unreachable: None)."""
    if error_code is None or error_code in _OUR_FAULT:
        return "RFA5"
    return _ERROR_MESSAGES.get(error_code, DEFAULT_ERROR)


def user_message(status: str, hint_code: str | None, *, qr: bool, mobile: bool = False) -> str:
    """BankID's recommended Swedish text for a collect answer ("" when complete)."""
    code = message_code(status, hint_code, qr=qr, mobile=mobile)
    return MESSAGES[code][0] if code else ""


def user_message_en(status: str, hint_code: str | None, *, qr: bool,
                    mobile: bool = False) -> str:
    code = message_code(status, hint_code, qr=qr, mobile=mobile)
    return MESSAGES[code][1] if code else ""


def error_message(error_code: str | None) -> str:
    return MESSAGES[error_message_code(error_code)][0]


def error_message_en(error_code: str | None) -> str:
    return MESSAGES[error_message_code(error_code)][1]


# --- Results and errors ----------------------------------------------------------------------

@dataclass(frozen=True)
class Order:
    """A started auth or sign order. ``qr_start_secret`` stays on the server (see qr_data)."""

    order_ref: str
    auto_start_token: str
    qr_start_token: str
    qr_start_secret: str


@dataclass(frozen=True)
class Completion:
    """Who identified themselves or signed, and the evidence (base64 as BankID sent it)."""

    personal_number: str
    name: str
    given_name: str
    surname: str
    ip_address: str
    bankid_issue_date: date
    signature: str
    ocsp_response: str

    @property
    def signature_xml(self) -> bytes:
        return base64.b64decode(self.signature)


@dataclass(frozen=True)
class Collect:
    order_ref: str
    status: str
    hint_code: str | None
    completion: Completion | None

    @property
    def is_pending(self) -> bool:
        return self.status == PENDING

    @property
    def is_complete(self) -> bool:
        return self.status == COMPLETE

    @property
    def is_failed(self) -> bool:
        return self.status == FAILED


class BankIdException(Exception):
    def __init__(self, message: str, *, error_code: str | None = None, details: str = "",
                 status_code: int | None = None):
        super().__init__(message)
        self.error_code = error_code
        self.details = details
        self.status_code = status_code

    @property
    def user_message(self) -> str:
        return error_message(self.error_code)

    @property
    def may_retry(self) -> bool:
        """BankID is down for maintenance: the same call may be made again, unseen by the
        user, before the user is told (RFA5)."""
        return self.error_code == "maintenance"


class BankIdError(BankIdException):
    """BankID refused the call (4xx with ``errorCode``): alreadyInProgress (tell the user,
    RFA4), invalidParameters (ekrav's bug, or an order that is gone), unauthorized (the
    certificate), requestTimeout. Not retried automatically."""

    def __init__(self, error_code: str, details: str = "", *, status_code: int | None = None):
        super().__init__(f"BankID: HTTP {status_code} {error_code}: {details}",
                         error_code=error_code, details=details, status_code=status_code)


class BankIdUnavailable(BankIdException):
    """BankID cannot answer now (5xx: internalError, maintenance), no answer in time, no
    connection, TLS failure, or an answer that is not BankID's. Try again later (RFA5)."""


# --- Parsing ---------------------------------------------------------------------------------

def parse_order(data) -> Order:
    """The answer to auth or sign, or ValueError."""
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    return Order(order_ref=_text(data, "orderRef"),
                 auto_start_token=_text(data, "autoStartToken"),
                 qr_start_token=_text(data, "qrStartToken"),
                 qr_start_secret=_text(data, "qrStartSecret"))


def parse_collect(data) -> Collect:
    """The answer to collect, or ValueError."""
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    order_ref, status = _text(data, "orderRef"), data.get("status")
    if status not in STATUSES:
        raise ValueError(f"status {status!r} is not one of {', '.join(STATUSES)}")
    hint_code = data.get("hintCode")
    if hint_code is not None and not isinstance(hint_code, str):
        raise ValueError("hintCode is not text")
    completion = None
    if status == COMPLETE:
        completion = _completion(data.get("completionData"))
        hint_code = None
    return Collect(order_ref=order_ref, status=status, hint_code=hint_code or None,
                   completion=completion)


def _completion(data) -> Completion:
    if not isinstance(data, dict):
        raise ValueError("a complete order without completionData")
    user, device = data.get("user"), data.get("device")
    if not isinstance(user, dict) or not isinstance(device, dict):
        raise ValueError("completionData lacks user or device")
    personal_number = _text(user, "personalNumber")
    if len(personal_number) != 12 or not personal_number.isascii() \
            or not personal_number.isdigit():
        raise ValueError("user.personalNumber is not 12 digits")
    issued = _text(data, "bankIdIssueDate")
    try:
        issue_date = date.fromisoformat(issued)
    except ValueError:
        raise ValueError(f"bankIdIssueDate {issued!r} is not a date") from None
    return Completion(
        personal_number=personal_number, name=_text(user, "name"),
        given_name=_text(user, "givenName"), surname=_text(user, "surname"),
        ip_address=_text(device, "ipAddress"), bankid_issue_date=issue_date,
        signature=_base64(data, "signature"), ocsp_response=_base64(data, "ocspResponse"))


def _text(data: dict, field: str) -> str:
    value = data.get(field)
    if not isinstance(value, str) or not value:
        raise ValueError(f"{field} is missing or not text")
    return value


def _base64(data: dict, field: str) -> str:
    value = _text(data, field)
    try:
        base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(f"{field} is not base64") from None
    return value


def encode_text(text: str) -> str:
    """userVisibleData and userNonVisibleData: base64 of the UTF-8 text."""
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


# --- The client ------------------------------------------------------------------------------

class BankIdClient:
    def __init__(self, base_url: str, cert_file: str = "", key_file: str = "",
                 ca_file: str = "", timeout: float = 10.0,
                 transport: httpx.BaseTransport | None = None):
        self._base_url = base_url.rstrip("/")
        self._timeout = timeout
        self._http = httpx.Client(timeout=timeout, transport=transport,
                                  verify=_tls_context(cert_file, key_file, ca_file))

    def __repr__(self):
        return f"<BankIdClient {self._base_url}>"

    def close(self) -> None:
        self._http.close()

    def auth(self, end_user_ip: str, *, user_visible_data: str | None = None,
             user_non_visible_data: str | None = None, personal_number: str | None = None,
             return_url: str | None = None, user_visible_data_format: str | None = None,
             web: dict | None = None) -> Order:
        """Start an identification (legitimering). ``personal_number`` (12 digits) limits who
        may answer; BankID wants it inside ``requirement`` in v6.0. ``web``: what BankID may
        weigh the order's risk by (``web_data``)."""
        body = _order_body(end_user_ip, user_visible_data, user_non_visible_data,
                           personal_number, user_visible_data_format, web)
        if return_url is not None:
            body["returnUrl"] = return_url
        return self._order("auth", body)

    def sign(self, end_user_ip: str, user_visible_data: str, *,
             user_non_visible_data: str | None = None, personal_number: str | None = None,
             user_visible_data_format: str | None = None, web: dict | None = None) -> Order:
        """Start a signature (underskrift) of ``user_visible_data``, the text the user reads
        in the app and that ends up in the signature."""
        if not user_visible_data:
            raise ValueError("a signature needs the text the user signs")
        return self._order("sign", _order_body(end_user_ip, user_visible_data,
                                               user_non_visible_data, personal_number,
                                               user_visible_data_format, web))

    def collect(self, order_ref: str) -> Collect:
        """Where the order stands. Call every two seconds while pending; a final answer
        (complete or failed) is given once."""
        response = self._call("collect", {"orderRef": _order_ref(order_ref)})
        try:
            found = parse_collect(_json(response))
        except ValueError as invalid:
            raise BankIdUnavailable(f"BankID collect: the answer is not a collect answer: "
                                    f"{invalid}", status_code=response.status_code) from None
        if found.order_ref != order_ref:
            raise BankIdUnavailable(f"BankID collect: asked for {order_ref}, got "
                                    f"{found.order_ref}", status_code=response.status_code)
        return found

    def cancel(self, order_ref: str) -> None:
        """Withdraw an order (the user left, or chose another way)."""
        response = self._call("cancel", {"orderRef": _order_ref(order_ref)})
        try:
            if not isinstance(_json(response), dict):
                raise ValueError
        except ValueError:
            raise BankIdUnavailable("BankID cancel: the answer is not a JSON object",
                                    status_code=response.status_code) from None

    # --- HTTP ------------------------------------------------------------------------------

    def _order(self, what: str, body: dict) -> Order:
        response = self._call(what, body)
        try:
            return parse_order(_json(response))
        except ValueError as invalid:
            raise BankIdUnavailable(f"BankID {what}: the answer is not an order: {invalid}",
                                    status_code=response.status_code) from None

    def _call(self, what: str, body: dict) -> httpx.Response:
        # BankID refuses a charset parameter on the content type (415): plain JSON bytes.
        try:
            response = self._http.post(f"{self._base_url}/{what}",
                                       content=json.dumps(body).encode(),
                                       headers={"Content-Type": "application/json"})
        except httpx.TimeoutException as exc:
            raise BankIdUnavailable(f"BankID {what}: no answer within {self._timeout:g} s"
                                    ) from exc
        except httpx.HTTPError as exc:
            raise BankIdUnavailable(f"BankID {what}: {type(exc).__name__}: {exc}") from exc
        except ssl.SSLError as exc:
            raise BankIdUnavailable(f"BankID {what}: TLS: {exc}") from exc
        status = response.status_code
        if status == 200:
            return response
        code, details = _error_object(response)
        if 400 <= status < 500 and code is not None:
            raise BankIdError(code, details, status_code=status)
        said = f"{code}: {details}" if code else (response.text or response.reason_phrase
                                                  or "no reason given")[:300]
        raise BankIdUnavailable(f"BankID {what}: HTTP {status}: {said}", error_code=code,
                                details=details, status_code=status)


def _order_body(end_user_ip, user_visible_data, user_non_visible_data, personal_number,
                user_visible_data_format, web=None) -> dict:
    body: dict = {"endUserIp": end_user_ip}
    if web:
        body["web"] = web
    if personal_number is not None:
        body["requirement"] = {"personalNumber": personal_number}
    if user_visible_data is not None:
        body["userVisibleData"] = encode_text(user_visible_data)
        if user_visible_data_format is not None:
            body["userVisibleDataFormat"] = user_visible_data_format
    if user_non_visible_data is not None:
        body["userNonVisibleData"] = encode_text(user_non_visible_data)
    return body


def _order_ref(order_ref) -> str:
    if not isinstance(order_ref, str) or not order_ref:
        raise ValueError(f"{order_ref!r} is not an orderRef")
    return order_ref


def _json(response: httpx.Response):
    try:
        return json.loads(response.content)
    except (ValueError, UnicodeDecodeError):
        raise ValueError("the answer is not JSON") from None


def _error_object(response: httpx.Response) -> tuple[str | None, str]:
    """BankID's ``{"errorCode", "details"}``, or (None, "") when the answer has none."""
    try:
        data = json.loads(response.content)
    except (ValueError, UnicodeDecodeError):
        return None, ""
    if not isinstance(data, dict) or not isinstance(data.get("errorCode"), str):
        return None, ""
    details = data.get("details")
    return data["errorCode"], details if isinstance(details, str) else ""


def _tls_context(cert_file: str, key_file: str, ca_file: str) -> ssl.SSLContext:
    """Mutual TLS: BankID's CA (or the system's, for the simulator) for the server, the
    relying party's certificate (PEM; convert BankID's .p12 with ``openssl pkcs12``) for us."""
    context = ssl.create_default_context(cafile=ca_file or None)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    if cert_file:
        context.load_cert_chain(cert_file, key_file or None)
    elif key_file:
        raise ValueError("BANKID_KEY_FILE is set without BANKID_CERT_FILE")
    return context


def bankid_client() -> BankIdClient | None:
    """The configured client, or None when BankID is off (no BANKID_BASE_URL). One per
    configuration and process: the TLS context and its connections are reused."""
    from django.conf import settings

    if not settings.BANKID_BASE_URL:
        return None
    return _shared_client(settings.BANKID_BASE_URL, settings.BANKID_CERT_FILE,
                          settings.BANKID_KEY_FILE, settings.BANKID_CA_FILE,
                          float(settings.BANKID_TIMEOUT), os.getpid())


@lru_cache(maxsize=8)
def _shared_client(base_url, cert_file, key_file, ca_file, timeout, pid):
    # pid in the key: a client made before a worker forked must not share its sockets.
    return BankIdClient(base_url, cert_file, key_file, ca_file, timeout)
