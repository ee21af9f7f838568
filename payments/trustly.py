"""Trustly: the client of Trustly's merchant API (JSON-RPC ``Deposit``) and the check of a
notification. No Django ORM here: booking a payment is the payment services' work.

The wire shapes follow Trustly's API documentation and its reference clients:

- Every call is JSON-RPC 1.1, ``POST {base}/api/1`` with ``{"method": "Deposit", "params":
  {"Signature", "UUID", "Data": {...}}, "version": "1.1"}``. ``Data`` holds ``Username`` and
  ``Password`` (the merchant's API login), ``NotificationURL``, ``EndUserID``, ``MessageID``
  (ours, unique per payment) and ``Attributes``: ``Amount`` ("123.45"), ``Currency`` (SEK),
  ``Country`` (SE), ``Locale`` (sv_SE), ``Firstname``, ``Lastname``, ``SuccessURL``,
  ``FailURL``, ``ShopperStatement``.
- The answer is ``{"result": {"signature", "uuid", "method", "data": {"orderid", "url"}},
  "version": "1.1"}``; the payer's browser is sent to ``url``. An error is ``{"error":
  {"name": "JSONRPCError", "code", "message", "error": {"signature", "uuid", "method", "data":
  {"code", "message"}}}, "version": "1.1"}`` (616 ERROR_INVALID_CREDENTIALS, 636
  ERROR_UNABLE_TO_VERIFY_RSA_SIGNATURE, 620 ERROR_UNKNOWN, ...).
- A signature is base64 of RSA PKCS#1 v1.5 with SHA-1 over ``method + uuid +
  serialize(data)``, where ``serialize`` writes a dict's keys in sorted order, each key
  followed by its value serialized, a list's items in order, a scalar as its text and null as
  nothing. ekrav signs with its private key (TRUSTLY_PRIVATE_KEY_FILE); Trustly signs its
  answers and notifications with Trustly's key, checked with TRUSTLY_PUBLIC_KEY_FILE.
- Trustly POSTs notifications to ``NotificationURL``: ``{"method": "pending" | "credit" |
  "debit" | "cancel" | "account", "params": {"signature", "uuid", "data": {"notificationid",
  "messageid", "orderid", "enduserid", "amount", "currency", "timestamp", "attributes"}},
  "version": "1.1"}`` (``cancel`` carries no amount), and wants ``{"result": {"signature",
  "uuid", "method", "data": {"status": "OK"}}, "version": "1.1"}`` signed by the merchant;
  until then it sends the notification again (same ``notificationid``).

Rule for callers: ``verify_notification`` refuses a notification that is not signed by
Trustly's key or that does not describe the payment as ekrav created it (message id, amount,
currency). Booking is keyed by the ``credit`` notification's ``notificationid`` (and the order
id), so a notification that comes twice books once; answer every verified one with
``notification_response``, a repeated one too.

Cryptography: RSA PKCS#1 v1.5 signing and verification and PEM keys come from the
``cryptography`` library; this module only says which bytes are signed.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
import tempfile
import uuid as uuid_module
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path

import httpx
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from ekrav.money import ore_to_str

VERSION = "1.1"
CURRENCY = "SEK"
COUNTRY = "SE"
LOCALE = "sv_SE"
NOTIFICATION_METHODS = ("pending", "credit", "debit", "cancel", "account")
AMOUNT_METHODS = frozenset({"pending", "credit", "debit"})
MIN_AMOUNT_ORE, MAX_AMOUNT_ORE = 1, 99_999_999_999_999

_AMOUNT = re.compile(r"\d{1,12}\.\d{2}", re.ASCII)
_ONE_ORE = Decimal("0.01")


# --- Errors and results ----------------------------------------------------------------------

class TrustlyError(Exception):
    def __init__(self, message: str, *, code: int | None = None, status_code: int | None = None):
        super().__init__(message)
        self.code = code  # Trustly's JSON-RPC error code (616, 636, ...)
        self.status_code = status_code


class TrustlyRejected(TrustlyError):
    """Trustly will not accept the call as sent (a JSON-RPC error: bad credentials, bad
    signature, invalid parameters, a message id already used). No retry."""


class TrustlyUnavailable(TrustlyError):
    """Timeout, connection error, HTTP 5xx, an answer that is not Trustly's or whose signature
    does not verify: try again later with the same MessageID."""


class TrustlyNotificationRejected(ValueError):
    """A notification ekrav must not act on: unsigned, signed by another key, or describing
    another payment than the one ekrav created."""


@dataclass(frozen=True)
class TrustlyDeposit:
    order_id: str
    url: str


@dataclass(frozen=True)
class TrustlyNotification:
    method: str  # pending, credit, debit, cancel, account
    uuid: str
    notification_id: str
    message_id: str
    order_id: str
    amount_ore: int | None  # None for cancel and account
    currency: str | None
    timestamp: str | None
    data: dict

    @property
    def is_credit(self) -> bool:
        return self.method == "credit"


# --- Serialisation and signatures (pure) -----------------------------------------------------

def serialize_data(data) -> str:
    """Trustly's serialisation of ``data`` for signing: dict keys sorted, each followed by its
    value; list items in order; null as nothing; anything else as its text."""
    if isinstance(data, dict):
        return "".join(str(key) + serialize_data(data[key]) for key in sorted(data))
    if isinstance(data, list):
        return "".join(serialize_data(item) for item in data)
    if data is None:
        return ""
    if isinstance(data, bool):
        return "1" if data else "0"
    return str(data)


def signing_plaintext(method: str, uuid: str, data) -> bytes:
    return ((method or "") + (uuid or "") + serialize_data(data)).encode("utf-8")


def sign(method: str, uuid: str, data, private_key: RSAPrivateKey) -> str:
    return base64.b64encode(private_key.sign_sha1(signing_plaintext(method, uuid, data))).decode()


def verify(method: str, uuid: str, data, signature, public_key: RSAPublicKey) -> bool:
    if not isinstance(signature, str) or not signature:
        return False
    try:
        raw = base64.b64decode(signature, validate=True)
    except (binascii.Error, ValueError):
        return False
    return public_key.verify_sha1(signing_plaintext(method, uuid, data), raw)


def trustly_amount(ore: int) -> str:
    if isinstance(ore, bool) or not isinstance(ore, int):
        raise TypeError(f"an amount is integer öre, not {ore!r}")
    if not MIN_AMOUNT_ORE <= ore <= MAX_AMOUNT_ORE:
        raise ValueError(f"{ore} öre is not an amount Trustly takes")
    return ore_to_str(ore)


def amount_ore(value) -> int:
    """Trustly's amount ("123.45", or a JSON number read as Decimal) in öre, or ValueError."""
    if isinstance(value, bool) or not isinstance(value, (str, int, Decimal)):
        raise ValueError(f"amount {value!r} is not an amount")
    try:
        kronor = Decimal(value)
    except InvalidOperation:
        raise ValueError(f"amount {value!r} is not an amount") from None
    if not kronor.is_finite() or kronor < 0 or kronor != kronor.quantize(_ONE_ORE):
        raise ValueError(f"amount {value!r} is not whole öre")
    return int(kronor * 100)


# --- RSA (PKCS#1 v1.5, SHA-1), plain Python ---------------------------------------------------

class RSAPublicKey:
    """Trustly's (or, in the simulator, the merchant's) public key: checks SHA-1 PKCS#1 v1.5
    signatures, the scheme Trustly's API uses. A thin face on the ``cryptography`` library."""

    def __init__(self, key):
        self._key = key

    def __eq__(self, other):
        return isinstance(other, RSAPublicKey) and self.pem() == other.pem()

    def __hash__(self):
        return hash(self.pem())

    @property
    def size(self) -> int:
        return (self._key.key_size + 7) // 8

    def verify_sha1(self, message: bytes, signature: bytes) -> bool:
        try:
            self._key.verify(signature, message, padding.PKCS1v15(), hashes.SHA1())
        except InvalidSignature:
            return False
        return True

    def pem(self) -> bytes:
        return self._key.public_bytes(serialization.Encoding.PEM,
                                      serialization.PublicFormat.SubjectPublicKeyInfo)


class RSAPrivateKey:
    """ekrav's (or, in the simulator, Trustly's) private key: signs with SHA-1 PKCS#1 v1.5."""

    def __init__(self, key):
        self._key = key

    def __eq__(self, other):
        return isinstance(other, RSAPrivateKey) and self.pem() == other.pem()

    def __hash__(self):
        return hash(self.pem())

    @property
    def public_key(self) -> RSAPublicKey:
        return RSAPublicKey(self._key.public_key())

    def sign_sha1(self, message: bytes) -> bytes:
        return self._key.sign(message, padding.PKCS1v15(), hashes.SHA1())

    def pem(self) -> bytes:
        return self._key.private_bytes(serialization.Encoding.PEM,
                                       serialization.PrivateFormat.TraditionalOpenSSL,
                                       serialization.NoEncryption())


def load_private_key(pem: bytes | str) -> RSAPrivateKey:
    """An RSA private key from PEM: PKCS#1 (BEGIN RSA PRIVATE KEY) or unencrypted PKCS#8."""
    try:
        key = serialization.load_pem_private_key(_bytes(pem), password=None)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"not an RSA private key: {exc}") from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("not an RSA private key")
    return RSAPrivateKey(key)


def load_public_key(pem: bytes | str) -> RSAPublicKey:
    """An RSA public key from PEM: BEGIN PUBLIC KEY (as Trustly publishes it) or PKCS#1."""
    try:
        key = serialization.load_pem_public_key(_bytes(pem))
    except (ValueError, TypeError) as exc:
        raise ValueError(f"not an RSA public key: {exc}") from None
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("not an RSA public key")
    return RSAPublicKey(key)


def _bytes(pem: bytes | str) -> bytes:
    return pem.encode("ascii") if isinstance(pem, str) else pem


def generate_private_key(bits: int = 2048) -> RSAPrivateKey:
    """A fresh RSA key (e = 65537), for the simulator and tests."""
    return RSAPrivateKey(rsa.generate_private_key(public_exponent=65537, key_size=bits))


def ensure_key_pair(directory: Path | str, name: str, bits: int = 2048) -> tuple[Path, Path]:
    """``{name}-private.pem`` and ``{name}-public.pem`` in ``directory``, made on first use
    (atomically: two processes racing agree on one pair). For the simulator's embedded default;
    never for production keys, which Trustly's onboarding provides."""
    directory = Path(directory)
    private, public = directory / f"{name}-private.pem", directory / f"{name}-public.pem"
    if private.exists() and public.exists():
        return private, public
    directory.mkdir(parents=True, exist_ok=True)
    key = generate_private_key(bits)
    staging = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=directory))
    (staging / "private.pem").write_bytes(key.pem())
    os.chmod(staging / "private.pem", 0o600)
    (staging / "public.pem").write_bytes(key.public_key.pem())
    pair = directory / f".{name}-pair"
    try:
        os.rename(staging, pair)  # fails when another process got there first
    except OSError:
        for leftover in staging.iterdir():
            leftover.unlink()
        staging.rmdir()
    for link, target in ((private, "private.pem"), (public, "public.pem")):
        if not link.exists():
            try:
                os.link(pair / target, link)
            except FileExistsError:
                pass
    return private, public


@lru_cache(maxsize=16)
def _read_private_key(path: str, mtime: float) -> RSAPrivateKey:
    return load_private_key(Path(path).read_bytes())


@lru_cache(maxsize=16)
def _read_public_key(path: str, mtime: float) -> RSAPublicKey:
    return load_public_key(Path(path).read_bytes())


def private_key_from_file(path: str | Path) -> RSAPrivateKey:
    path = str(path)
    return _read_private_key(path, os.stat(path).st_mtime)


def public_key_from_file(path: str | Path) -> RSAPublicKey:
    path = str(path)
    return _read_public_key(path, os.stat(path).st_mtime)


# --- Notifications ---------------------------------------------------------------------------

def verify_notification(*, body: bytes, expected_message_id: str, expected_amount_ore: int,
                        public_key: RSAPublicKey | None = None) -> TrustlyNotification:
    """The notification Trustly POSTed to NotificationURL, if Trustly signed it and it is about
    the payment ekrav created (``expected_message_id``, for ``expected_amount_ore`` SEK).

    Pure but for reading Trustly's public key from settings when ``public_key`` is not given.
    Refuses (TrustlyNotificationRejected) anything else: not JSON-RPC, an unknown method, a
    signature that does not verify with Trustly's key, another message id, and for pending,
    credit and debit an amount or currency other than the one the payment was created for.
    """
    try:
        message = json.loads(body, parse_float=Decimal)
    except (ValueError, UnicodeDecodeError):
        raise TrustlyNotificationRejected("the notification is not JSON") from None
    if not isinstance(message, dict) or not isinstance(message.get("params"), dict):
        raise TrustlyNotificationRejected("the notification is not a JSON-RPC request")
    method, params = message.get("method"), message["params"]
    if method not in NOTIFICATION_METHODS:
        raise TrustlyNotificationRejected(f"{method!r} is not a Trustly notification")
    data, notification_uuid = params.get("data"), params.get("uuid")
    if not isinstance(data, dict) or not isinstance(notification_uuid, str):
        raise TrustlyNotificationRejected("the notification has no data or uuid")
    key = public_key or _settings_public_key()
    if not verify(method, notification_uuid, data, params.get("signature"), key):
        raise TrustlyNotificationRejected("the notification's signature is not Trustly's")
    for field in ("notificationid", "messageid", "orderid"):
        if not isinstance(data.get(field), (str, int)) or isinstance(data.get(field), bool):
            raise TrustlyNotificationRejected(f"the notification has no {field}")
    if str(data["messageid"]) != expected_message_id:
        raise TrustlyNotificationRejected(
            f"the notification is about message {data['messageid']}, not {expected_message_id}")
    found_amount, currency = None, data.get("currency")
    if method in AMOUNT_METHODS:
        try:
            found_amount = amount_ore(data.get("amount"))
        except ValueError as invalid:
            raise TrustlyNotificationRejected(f"the notification's {invalid}") from None
        if found_amount != expected_amount_ore:
            raise TrustlyNotificationRejected(
                f"the {method} notification says {ore_to_str(found_amount)} {currency}, the "
                f"payment was created for {ore_to_str(expected_amount_ore)} {CURRENCY}")
        if currency != CURRENCY:
            raise TrustlyNotificationRejected(
                f"the {method} notification is in {currency!r}, not {CURRENCY}")
    return TrustlyNotification(
        method=method, uuid=notification_uuid, notification_id=str(data["notificationid"]),
        message_id=str(data["messageid"]), order_id=str(data["orderid"]),
        amount_ore=found_amount, currency=currency if isinstance(currency, str) else None,
        timestamp=data.get("timestamp") if isinstance(data.get("timestamp"), str) else None,
        data=data)


def notification_response(*, notification: TrustlyNotification,
                          private_key: RSAPrivateKey | None = None) -> bytes:
    """The signed ``{"result": {..., "data": {"status": "OK"}}}`` Trustly wants back."""
    key = private_key or _settings_private_key()
    data = {"status": "OK"}
    result = {"signature": sign(notification.method, notification.uuid, data, key),
              "uuid": notification.uuid, "method": notification.method, "data": data}
    return json.dumps({"result": result, "version": VERSION}).encode()


def _settings_public_key() -> RSAPublicKey:
    from django.conf import settings

    _ensure_simulator_keys()
    return public_key_from_file(settings.TRUSTLY_PUBLIC_KEY_FILE)


def _settings_private_key() -> RSAPrivateKey:
    from django.conf import settings

    _ensure_simulator_keys()
    return private_key_from_file(settings.TRUSTLY_PRIVATE_KEY_FILE)


def _ensure_simulator_keys() -> None:
    """With simulators on and the keys pointing into TRUSTLY_SIM_KEY_DIR (the embedded
    default), make the merchant's and the simulated Trustly's pairs on first use."""
    from django.conf import settings

    if not getattr(settings, "SIMULATORS_ENABLED", False):
        return
    directory = Path(settings.TRUSTLY_SIM_KEY_DIR)
    for name in ("merchant", "trustly"):
        if not (directory / f"{name}-private.pem").exists():
            ensure_key_pair(directory, name)


# --- The client ------------------------------------------------------------------------------

class TrustlyClient:
    def __init__(self, *, base_url: str, username: str, password: str,
                 private_key: RSAPrivateKey, trustly_public_key: RSAPublicKey,
                 timeout: float = 10.0, transport: httpx.BaseTransport | None = None):
        self._url = base_url.rstrip("/") + "/api/1"
        self._username, self._password = username, password
        self._private_key, self._public_key = private_key, trustly_public_key
        self._timeout = timeout
        self._http = httpx.Client(timeout=timeout, transport=transport)

    def __repr__(self):
        return f"<TrustlyClient {self._url} user={self._username}>"

    @classmethod
    def from_settings(cls) -> TrustlyClient | None:
        """The configured client, or None when Trustly is off (no TRUSTLY_BASE_URL)."""
        from django.conf import settings

        if not settings.TRUSTLY_BASE_URL:
            return None
        return cls(base_url=settings.TRUSTLY_BASE_URL, username=settings.TRUSTLY_USERNAME,
                   password=settings.TRUSTLY_PASSWORD, private_key=_settings_private_key(),
                   trustly_public_key=_settings_public_key(),
                   timeout=float(settings.TRUSTLY_TIMEOUT))

    def close(self) -> None:
        self._http.close()

    def deposit(self, *, message_id: str, amount_ore: int, end_user_id: str,
                notification_url: str, success_url: str, fail_url: str, firstname: str = "",
                lastname: str = "", locale: str = LOCALE,
                shopper_statement: str = "") -> TrustlyDeposit:
        """Start a Trustly payment of ``amount_ore`` SEK: the payer's browser goes to the
        returned ``url``; the outcome comes by notification. ``message_id`` is ekrav's
        unique id of this payment (the notifications carry it back)."""
        attributes = {"Amount": trustly_amount(amount_ore), "Currency": CURRENCY,
                      "Country": COUNTRY, "Locale": locale, "SuccessURL": success_url,
                      "FailURL": fail_url}
        if firstname:
            attributes["Firstname"] = firstname
        if lastname:
            attributes["Lastname"] = lastname
        if shopper_statement:
            attributes["ShopperStatement"] = shopper_statement
        data = {"Username": self._username, "Password": self._password,
                "NotificationURL": notification_url, "EndUserID": end_user_id,
                "MessageID": message_id, "Attributes": attributes}
        result = self._call("Deposit", data)
        order_id, url = result.get("orderid"), result.get("url")
        if not isinstance(order_id, (str, int)) or isinstance(order_id, bool) or \
                not isinstance(url, str) or not url.startswith(("https://", "http://")):
            raise TrustlyUnavailable("Trustly Deposit: the answer has no orderid and url")
        return TrustlyDeposit(order_id=str(order_id), url=url)

    def _call(self, method: str, data: dict) -> dict:
        call_uuid = str(uuid_module.uuid4())
        request = {"method": method, "version": VERSION,
                   "params": {"Signature": sign(method, call_uuid, data, self._private_key),
                              "UUID": call_uuid, "Data": data}}
        try:
            response = self._http.post(self._url, content=json.dumps(request).encode(),
                                       headers={"Content-Type": "application/json"})
        except httpx.TimeoutException as exc:
            raise TrustlyUnavailable(
                f"Trustly {method}: no answer within {self._timeout:g} s") from exc
        except httpx.HTTPError as exc:
            raise TrustlyUnavailable(f"Trustly {method}: {type(exc).__name__}: {exc}") from exc
        status = response.status_code
        try:
            answer = json.loads(response.content, parse_float=Decimal)
        except (ValueError, UnicodeDecodeError):
            answer = None
        if not isinstance(answer, dict):
            raise TrustlyUnavailable(f"Trustly {method}: HTTP {status}, the answer is not "
                                     "JSON-RPC", status_code=status)
        if isinstance(answer.get("error"), dict):
            self._raise_error(method, call_uuid, answer["error"], status)
        result = answer.get("result")
        if not 200 <= status < 300 or not isinstance(result, dict) or \
                not isinstance(result.get("data"), dict):
            raise TrustlyUnavailable(f"Trustly {method}: HTTP {status} without a result",
                                     status_code=status)
        if result.get("uuid") != call_uuid or result.get("method") != method:
            raise TrustlyUnavailable(f"Trustly {method}: the answer is to another call",
                                     status_code=status)
        if not verify(method, call_uuid, result["data"], result.get("signature"),
                      self._public_key):
            raise TrustlyUnavailable(f"Trustly {method}: the answer's signature is not "
                                     "Trustly's", status_code=status)
        return result["data"]

    def _raise_error(self, method: str, call_uuid: str, error: dict, status: int):
        inner = error.get("error") if isinstance(error.get("error"), dict) else {}
        data = inner.get("data") if isinstance(inner.get("data"), dict) else {}
        code = data.get("code", error.get("code"))
        text = data.get("message", error.get("message")) or "no message"
        code = int(code) if isinstance(code, (int, str)) and str(code).isdigit() else None
        # A signed error is Trustly's word; an unsigned one may come from anything on the way.
        signed = inner.get("uuid") == call_uuid and verify(
            inner.get("method") or method, call_uuid, data, inner.get("signature"),
            self._public_key)
        message = f"Trustly {method}: error {code}: {text}"
        if code is not None and 600 <= code < 700 and code != 620 and (signed or status < 500):
            raise TrustlyRejected(message, code=code, status_code=status)
        raise TrustlyUnavailable(message, code=code, status_code=status)
