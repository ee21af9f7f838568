"""Kreditupplysning: the client of a credit bureau's report API, for the solvency check (REX)
before the legal step. No Django ORM here: the claim services decide what a report means.

There is no public standard for this (UC, Creditsafe and Dun & Bradstreet each have their own
REST API, sold to licensed agencies), so ekrav speaks one small protocol and an agreement with a
bureau maps onto it, either at the bureau or in a thin gateway:

- ``POST {base}/v1/reports`` with HTTP Basic authentication (the bureau's user and password;
  TLS in production) and the JSON object ``{"identityNumber", "subjectType", "purpose"}``.
  ``identityNumber`` is ekrav's stored form: 12 digits (YYYYMMDDNNNC) for a person or an
  enskild firma's owner, 10 for an organisationsnummer. ``subjectType`` is ``person`` for 12
  digits and ``company`` for 10. ``purpose`` is the legitimate need that kreditupplysningslagen
  (1973:1173) 9 § demands; ekrav's is ``debt_collection``.
- 201 with the report: ``reportId``, ``identityNumber`` (the one asked about), ``subjectType``,
  ``takenAt`` (ISO 8601 with an offset), ``outcome`` (one of ``OUTCOMES``), ``paymentRemarks``
  (the number of betalningsanmärkningar), ``kronofogdenDebt`` ``{"amount": "48750.00",
  "currency": "SEK"}`` (debts in Kronofogden's register, kronor as text, never a float) and
  ``copySent``: for a person the bureau must send the subject a copy of every report taken
  on them (omfrågandekopia, 10 §), and says so here.
- Errors: ``{"code", "message"}``: 400 ``INVALID_IDENTITY_NUMBER`` and other request codes,
  401 for credentials the bureau refuses, 5xx when it is down.

Basic rather than an OAuth2 token: one request per report, no token to keep per process, and
it is what the bureaus' older report APIs use. A report is bought: the client never retries by
itself, and a 2xx answer it cannot read is a ``CreditInfoError`` (a report was probably taken
and billed, so retrying blindly would buy another), never a silent "solvent".
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from functools import lru_cache

import httpx

PURPOSE_DEBT_COLLECTION = "debt_collection"
SUBJECT_PERSON, SUBJECT_COMPANY = "person", "company"
DEBTOR_KINDS = ("person", "company")
REFERENCE_MAX = 100  # the length claims.models.SolvencyCheck.reference keeps


class Outcome(StrEnum):
    """What a report says of the subject's ability to pay. The same values as
    claims.models.Outcome, which carries the translated labels."""

    SOLVENT = "solvent"
    INSOLVENT = "insolvent"  # debts in Kronofogden's register
    PAYMENT_REMARKS = "payment_remarks"  # betalningsanmärkningar, nothing owed at KFM now
    DEBT_RESTRUCTURING = "debt_restructuring"  # skuldsanering
    BANKRUPTCY = "bankruptcy"  # konkurs
    DECEASED = "deceased"  # avliden
    UNKNOWN = "unknown"  # the bureau knows nothing usable (emigrated, protected identity, ...)


OUTCOMES = tuple(outcome.value for outcome in Outcome)

_PERSON = re.compile(r"\d{12}", re.ASCII)
_COMPANY = re.compile(r"\d{10}", re.ASCII)
_AMOUNT = re.compile(r"(\d{1,13})\.(\d{2})", re.ASCII)


@dataclass(frozen=True)
class CreditReport:
    """One credit report as the bureau gave it (money in öre)."""

    identity_number: str
    outcome: Outcome
    payment_remarks: int
    debt_at_kfm_ore: int
    reference: str  # the bureau's report id
    taken_at: datetime  # aware
    copy_sent: bool  # omfrågandekopia sent to the subject


class CreditInfoError(Exception):
    """The bureau refused the request (4xx, ``code`` is its error code) or answered with
    something that is not a report. Not retried: a person or the configuration must act.
    ``CreditInfoUnavailable`` is a subclass, so catch it first to retry only what may pass."""

    def __init__(self, message: str, *, code: str | None = None,
                 status_code: int | None = None):
        super().__init__(message)
        self.code = code
        self.status_code = status_code


class CreditInfoUnavailable(CreditInfoError):
    """Timeout, connection error, 5xx, 408 or 429: try again later. A report asked for and
    not answered may have been taken; the bureau's copy to the subject says so, not ekrav."""


class CreditInfoAuthFailed(CreditInfoUnavailable):
    """The bureau refused our credentials (401/403): a configuration error, not the debtor's.
    Retryable, as with Kivra: the next attempt works once operations fix the credentials."""


class CreditInfoClient:
    def __init__(self, base_url: str, username: str, password: str, timeout: float = 10.0, *,
                 transport: httpx.BaseTransport | None = None):
        self._base_url = base_url.rstrip("/")
        self._username = username
        self._password = password
        self._timeout = timeout
        self._http = httpx.Client(timeout=timeout, transport=transport,
                                  auth=(username, password))

    def __repr__(self):
        return f"<CreditInfoClient {self._base_url} user={self._username}>"

    def close(self) -> None:
        self._http.close()

    def report(self, *, identity_number: str, debtor_kind: str,
               purpose: str = PURPOSE_DEBT_COLLECTION) -> CreditReport:
        """Take a credit report on a debtor. Call it outside any database transaction: it waits
        on the bureau for up to ``timeout`` seconds."""
        body = report_request(identity_number=identity_number, debtor_kind=debtor_kind,
                              purpose=purpose)
        response = self._send(f"{self._base_url}/v1/reports", body)
        self._raise_for_status(response)
        return parse_report(_json(response), identity_number=identity_number)

    def _send(self, url: str, body: dict) -> httpx.Response:
        try:
            return self._http.post(url, json=body)
        except httpx.TimeoutException as exc:
            raise CreditInfoUnavailable(
                f"credit bureau: no answer within {self._timeout:g} s") from exc
        except httpx.HTTPError as exc:
            raise CreditInfoUnavailable(f"credit bureau: {type(exc).__name__}: {exc}") from exc

    def _raise_for_status(self, response: httpx.Response) -> None:
        status = response.status_code
        if 200 <= status < 300:
            return
        code, reason = _error_details(response)
        reason = reason.replace(self._password, "***") if len(self._password) >= 8 else reason
        message = f"credit bureau: HTTP {status}{f' {code}' if code else ''}: {reason}"
        if status in (401, 403):
            raise CreditInfoAuthFailed(message, code=code, status_code=status)
        # 408 and 429 say "not now", not "never".
        if 400 <= status < 500 and status not in (408, 429):
            raise CreditInfoError(message, code=code, status_code=status)
        raise CreditInfoUnavailable(message, code=code, status_code=status)


def client_from_settings() -> CreditInfoClient | None:
    """The configured client, or None when no bureau is configured (empty
    CREDITINFO_BASE_URL): then there is no solvency check to take. One client per
    configuration and process, so its connections are reused rather than leaked per report."""
    from django.conf import settings

    if not settings.CREDITINFO_BASE_URL:
        return None
    return _shared_client(settings.CREDITINFO_BASE_URL, settings.CREDITINFO_USERNAME,
                          settings.CREDITINFO_PASSWORD, float(settings.CREDITINFO_TIMEOUT),
                          os.getpid())


@lru_cache(maxsize=8)
def _shared_client(base_url, username, password, timeout, pid):
    # pid in the key: a client made before a worker forked must not share its sockets.
    return CreditInfoClient(base_url, username, password, timeout)


# --- The wire, pure --------------------------------------------------------------------------

def subject_type(identity_number: str, debtor_kind: str) -> str:
    """``person`` or ``company``, by the number's shape: an enskild firma is a company debtor
    identified by its owner's personnummer, and the report (and the copy) is on that person."""
    if debtor_kind not in DEBTOR_KINDS:
        raise ValueError(f"debtor_kind must be one of {DEBTOR_KINDS}, got {debtor_kind!r}")
    if isinstance(identity_number, str) and _PERSON.fullmatch(identity_number):
        return SUBJECT_PERSON
    if debtor_kind == "company" and isinstance(identity_number, str) \
            and _COMPANY.fullmatch(identity_number):
        return SUBJECT_COMPANY
    raise ValueError("identity_number must be a stored personnummer (12 digits) or, for a"
                     f" company, an organisationsnummer (10 digits); got {identity_number!r}")


def report_request(*, identity_number: str, debtor_kind: str, purpose: str) -> dict:
    if not isinstance(purpose, str) or not purpose:
        raise ValueError("a credit report needs a purpose (kreditupplysningslagen 9 §)")
    return {"identityNumber": identity_number,
            "subjectType": subject_type(identity_number, debtor_kind), "purpose": purpose}


def parse_report(data, *, identity_number: str) -> CreditReport:
    """The report in a 2xx answer, checked field by field; anything off is CreditInfoError."""
    if not isinstance(data, dict):
        raise _malformed("the answer is not a JSON object")
    if data.get("identityNumber") != identity_number:
        # A report on someone else must never decide this debtor's case.
        raise _malformed(f"the report is on {data.get('identityNumber')!r},"
                         f" not on the number asked about")
    try:
        outcome = Outcome(data.get("outcome"))
    except ValueError:
        raise _malformed(f"unknown outcome {data.get('outcome')!r}") from None
    return CreditReport(
        identity_number=identity_number, outcome=outcome,
        payment_remarks=_count(data.get("paymentRemarks")),
        debt_at_kfm_ore=_sek_to_ore(data.get("kronofogdenDebt")),
        reference=_reference(data.get("reportId")), taken_at=_aware(data.get("takenAt")),
        copy_sent=_flag(data.get("copySent")),
    )


def _count(value) -> int:
    if type(value) is not int or value < 0:
        raise _malformed(f"paymentRemarks must be a count, got {value!r}")
    return value


def _sek_to_ore(value) -> int:
    if not isinstance(value, dict) or value.get("currency") != "SEK":
        raise _malformed(f"kronofogdenDebt must be an amount in SEK, got {value!r}")
    match = _AMOUNT.fullmatch(value.get("amount")) if isinstance(value.get("amount"), str) \
        else None
    if not match:
        raise _malformed(f'kronofogdenDebt.amount must be kronor as "123.45", got {value!r}')
    return int(match[1]) * 100 + int(match[2])


def _reference(value) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > REFERENCE_MAX:
        raise _malformed(f"reportId must be text of 1 to {REFERENCE_MAX} characters")
    return value


def _aware(value) -> datetime:
    try:
        taken_at = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise _malformed(f"takenAt must be an ISO 8601 time, got {value!r}") from None
    if taken_at.utcoffset() is None:
        raise _malformed(f"takenAt must carry its offset from UTC, got {value!r}")
    return taken_at


def _flag(value) -> bool:
    if not isinstance(value, bool):
        raise _malformed(f"copySent must be true or false, got {value!r}")
    return value


def _malformed(reason: str) -> CreditInfoError:
    return CreditInfoError(f"credit bureau: not a usable report: {reason}", code="MALFORMED")


def _json(response: httpx.Response):
    try:
        return response.json()
    except ValueError:
        raise _malformed("the answer is not JSON") from None


def _error_details(response: httpx.Response) -> tuple[str | None, str]:
    """The bureau's code and words for a failure; its body may be anything, even HTML."""
    try:
        data = response.json()
    except ValueError:
        data = None
    if isinstance(data, dict):
        code = data.get("code") if isinstance(data.get("code"), str) else None
        text = str(data.get("message") or "")
    else:
        code, text = None, response.text
    return code, (text or response.reason_phrase or "no reason given")[:300]
