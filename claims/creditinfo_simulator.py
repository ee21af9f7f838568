"""A local credit bureau: the report API of ``claims.creditinfo``, served by ekrav itself under
/sim/kreditupplysning/ when SIMULATORS_ENABLED (ARCHITECTURE.md, decision 8). The client talks
to it over real HTTP exactly as it talks to a bureau.

It checks what a bureau checks: HTTP Basic credentials (CREDITINFO_USERNAME and
CREDITINFO_PASSWORD; 401 ``UNAUTHORIZED`` otherwise), a JSON body, a legitimate purpose
(400 ``PURPOSE_REQUIRED``, ``INVALID_PURPOSE``), the subject type (400 ``INVALID_SUBJECT_TYPE``)
and an identity number that is real-shaped for it: a personnummer or samordningsnummer of 12
digits with a real date and a valid check digit for a person, an organisationsnummer of 10 for a
company (400 ``INVALID_IDENTITY_NUMBER``). A person's report is sent to them as a copy
(omfrågandekopia): ``copySent`` is true for a person, false for a company.

The outcome is chosen by the first digit of the last four (the birth number's first digit):

    digit    outcome                                remarks  debt at Kronofogden
    0-3, 9   solvent                                      0              0 kr
    4        payment_remarks                              2              0 kr
    5        insolvent                                    3         48 750 kr
    6        person: debt_restructuring                   4        212 300 kr
             company: bankruptcy                          6      1 500 000 kr
    7        person: deceased                             0              0 kr
             company: bankruptcy                          6      1 500 000 kr
    8        unknown                                      0              0 kr

so the tests' Dan (19811228-9874) and every ``another_debtor(n)`` (serial 123x) are solvent, and
seed_demo's debtors spread out: Anna (…1249), Erik (…3311), Nordisk Kontorsmöbler and Bergs
Åkeri (…345x) and Lindholms Café (…9538) solvent, Maria (…4828) payment remarks, Johan (…5173)
insolvent, Fatima (…6467) in skuldsanering, Karin (…7204) deceased.

A test or a demo overrides it per subject with ``POST _control/subjects/<identity>`` and
``{"behaviour": <an outcome> | "fail" | "slow" | "malformed", "delay": 5}``: ``fail`` answers
503, ``slow`` waits ``delay`` seconds (at most 30) before answering normally, as a bureau that
times out but still takes the report, ``malformed`` answers 201 with an outcome no client knows.
``GET _control/subjects/<identity>`` shows the behaviour and every report taken. State lives in
the default cache: it is a stand-in, not a record.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import secrets
import time

from django.conf import settings
from django.core.cache import cache
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from ekrav.identifiers import (IdentifierError, normalize_organisationsnummer,
                               normalize_personnummer)

PURPOSES = ("debt_collection", "credit_assessment")
FAULTS = ("fail", "slow", "malformed")
MAX_DELAY = 30.0

# (outcome, payment remarks, debt at Kronofogden in öre) by the first digit of the last four.
_SOLVENT = ("solvent", 0, 0)
_BANKRUPT = ("bankruptcy", 6, 150_000_000)
PERSON_TABLE = {
    **dict.fromkeys("01239", _SOLVENT),
    "4": ("payment_remarks", 2, 0),
    "5": ("insolvent", 3, 4_875_000),
    "6": ("debt_restructuring", 4, 21_230_000),
    "7": ("deceased", 0, 0),
    "8": ("unknown", 0, 0),
}
COMPANY_TABLE = {**PERSON_TABLE, "6": _BANKRUPT, "7": _BANKRUPT}
# What an overriding outcome comes with, for either kind of subject.
OUTCOME_DETAILS = {outcome: (remarks, debt) for outcome, remarks, debt
                   in [*PERSON_TABLE.values(), *COMPANY_TABLE.values()]}


class _Invalid(Exception):
    def __init__(self, code: str, message: str, status: int = 400):
        super().__init__(message)
        self.response = _error(status, code, message)


def _error(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse({"code": code, "message": message}, status=status)


def _key(*parts: str) -> str:
    return "creditinfo-sim:" + ":".join(parts)


# --- Views -----------------------------------------------------------------------------------

@csrf_exempt
@require_POST
def reports(request):
    if not _authenticated(request):
        response = _error(401, "UNAUTHORIZED", "Unknown user or wrong password")
        response["WWW-Authenticate"] = 'Basic realm="kreditupplysning"'
        return response
    try:
        body = _json_body(request)
        identity, kind = _checked_subject(body)
        _check_purpose(body.get("purpose"))
    except _Invalid as invalid:
        return invalid.response
    behaviour = cache.get(_key("behaviour", identity)) or {}
    if behaviour.get("behaviour") == "fail":
        return _error(503, "SERVICE_UNAVAILABLE", "The bureau is unavailable (simulated)")
    if behaviour.get("behaviour") == "slow":
        time.sleep(behaviour["delay"])
    report = _take_report(identity, kind, body["purpose"], behaviour.get("behaviour"))
    return JsonResponse(report, status=201)


@csrf_exempt
@require_http_methods(["GET", "POST"])
def control_subject(request, identity):
    if request.method == "GET":
        return JsonResponse({"identityNumber": identity,
                             **(cache.get(_key("behaviour", identity)) or {}),
                             "reports": cache.get(_key("reports", identity), [])})
    try:
        body = _json_body(request)
        chosen = body.get("behaviour")
        if chosen not in (*OUTCOME_DETAILS, *FAULTS):
            raise _Invalid("INVALID_BEHAVIOUR", "behaviour must be one of "
                           + ", ".join((*OUTCOME_DETAILS, *FAULTS)))
        delay = body.get("delay", 5)
        if isinstance(delay, bool) or not isinstance(delay, (int, float)) \
                or not 0 <= delay <= MAX_DELAY:
            raise _Invalid("INVALID_DELAY", f"delay must be 0 to {MAX_DELAY:g} seconds")
    except _Invalid as invalid:
        return invalid.response
    cache.set(_key("behaviour", identity), {"behaviour": chosen, "delay": delay}, timeout=None)
    return JsonResponse({"identityNumber": identity, "behaviour": chosen, "delay": delay})


# --- Reports ---------------------------------------------------------------------------------

def _take_report(identity: str, kind: str, purpose: str, behaviour: str | None) -> dict:
    outcome, remarks, debt_ore = _outcome(identity, kind, behaviour)
    report = {
        "reportId": f"SIM-{secrets.token_hex(8).upper()}",
        "identityNumber": identity, "subjectType": kind, "purpose": purpose,
        "takenAt": timezone.now().isoformat(),
        "outcome": outcome, "paymentRemarks": remarks,
        "kronofogdenDebt": {"amount": f"{debt_ore // 100}.{debt_ore % 100:02d}",
                            "currency": "SEK"},
        # kreditupplysningslagen 10 §: a person learns of every report taken on them.
        "copySent": kind == "person",
    }
    taken = cache.get(_key("reports", identity), [])
    cache.set(_key("reports", identity), [*taken, report], timeout=None)
    return report


def _outcome(identity: str, kind: str, behaviour: str | None) -> tuple[str, int, int]:
    if behaviour == "malformed":
        return "probably_fine", 0, 0
    if behaviour in OUTCOME_DETAILS:
        return (behaviour, *OUTCOME_DETAILS[behaviour])
    table = PERSON_TABLE if kind == "person" else COMPANY_TABLE
    return table[identity[-4]]


# --- Request validation ----------------------------------------------------------------------

def _authenticated(request) -> bool:
    scheme, _, encoded = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        username, _, password = base64.b64decode(encoded, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return False
    return _same(username, settings.CREDITINFO_USERNAME) and \
        _same(password, settings.CREDITINFO_PASSWORD)


def _same(given: str, expected: str) -> bool:
    return bool(expected) and hmac.compare_digest(given.encode(), expected.encode())


def _json_body(request) -> dict:
    try:
        body = json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        raise _Invalid("INVALID_JSON", "The body is not JSON") from None
    if not isinstance(body, dict):
        raise _Invalid("INVALID_JSON", "The body must be a JSON object")
    return body


def _checked_subject(body: dict) -> tuple[str, str]:
    identity, kind = body.get("identityNumber"), body.get("subjectType")
    if kind not in ("person", "company"):
        raise _Invalid("INVALID_SUBJECT_TYPE", "subjectType must be person or company")
    shape = 12 if kind == "person" else 10
    if not isinstance(identity, str) or len(identity) != shape \
            or not (identity.isascii() and identity.isdigit()):
        raise _Invalid("INVALID_IDENTITY_NUMBER",
                       f"identityNumber of a {kind} must be {shape} digits")
    try:
        if kind == "person":
            normalize_personnummer(identity, today=timezone.localdate())
        else:
            normalize_organisationsnummer(identity)
    except IdentifierError as exc:
        raise _Invalid("INVALID_IDENTITY_NUMBER", str(exc)) from None
    return identity, kind


def _check_purpose(purpose) -> None:
    if not purpose:
        raise _Invalid("PURPOSE_REQUIRED",
                       "A legitimate purpose is required (kreditupplysningslagen 9 §)")
    if purpose not in PURPOSES:
        raise _Invalid("INVALID_PURPOSE", f"purpose must be one of {', '.join(PURPOSES)}")
