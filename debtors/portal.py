"""Mitt Ärende's door: who may see which cases, for how long, and how often one may guess.

The visitor's right to see cases is an ``access`` in the session, the one thing every portal
view checks::

    {"method": "case+ocr", "claims": [17], "seen": 1767225600}

``method`` says how the visitor proved who they are and ``claims`` what that lets them see.
Case number + OCR (printed on every letter) opens that one case only; BankID grants
``{"method": "bankid", "claims": [every case of the identified person]}`` through the same
``grant`` (``views.open_bankid``), and every view works unchanged. ``seen`` is the last request, for the idle
timeout: the session also ends when the browser closes (a phone borrowed, a shared computer).

Guessing is slowed by counting failures in Django's cache per client address and per case
number: after ``MAX_FAILURES`` within ``FAILURE_WINDOW`` seconds either one is refused, without
even looking, until the window has passed. A success does not clear the counters, so a visitor
who knows one case cannot buy more guesses at another by opening their own in between.
"""

import hashlib
import ipaddress
import time

from allauth.account.adapter import get_adapter
from django.conf import settings
from django.core.cache import cache

SESSION_KEY = "mitt_arende"
CASE_AND_OCR = "case+ocr"
BANKID = "bankid"  # every case of the identified person

# Short, as a bank's: the page shows what someone owes, on a phone that may be lent out.
IDLE_SECONDS = getattr(settings, "MITT_ARENDE_IDLE_SECONDS", 15 * 60)
# "Seen" is written at most this often: clicking through the pages does not write the session
# on every request, and the idle timeout may end at most this much early.
TOUCH_SECONDS = 30
MAX_FAILURES = 5
FAILURE_WINDOW = 15 * 60
# Messages and "already paid" reports per case and day: each reaches a person (an e-mail, a
# note on the creditor's timeline), so a script in an open session must not flood them.
MAX_WRITES_PER_DAY = 10


def grant(request, *, method: str, claim_ids) -> dict:
    """Let this browser see ``claim_ids``: a new session key (no fixation), ending when the
    browser closes. Replaces any earlier access: case + OCR opens one case, not a collection."""
    request.session.cycle_key()
    request.session.set_expiry(0)
    access = {"method": method, "claims": sorted({int(pk) for pk in claim_ids}),
              "seen": int(time.time())}
    request.session[SESSION_KEY] = access
    return access


def current_access(request) -> tuple[dict | None, bool]:
    """``(access, expired)``: the session's access, touched as seen now (to the nearest
    ``TOUCH_SECONDS``), or None; ``expired`` when there was one that the idle timeout has just
    ended."""
    access = request.session.get(SESSION_KEY)
    if not access:
        return None, False
    now = int(time.time())
    if now - int(access.get("seen", 0)) > IDLE_SECONDS:
        request.session.pop(SESSION_KEY, None)
        return None, True
    if now - int(access.get("seen", 0)) >= TOUCH_SECONDS:
        access["seen"] = now
        request.session.modified = True
    return access, False


def may_see(access: dict | None, claim_id: int) -> bool:
    return bool(access) and claim_id in access.get("claims", ())


def close(request) -> None:
    """Stäng ärendet: forget the access. A visitor with no other business in the session gets
    a fresh, empty one; a creditor's login in the same browser is left alone."""
    request.session.pop(SESSION_KEY, None)
    if not request.user.is_authenticated:
        request.session.flush()


# --- guessing -------------------------------------------------------------------------------


def client_address(request) -> str:
    """The address guesses are counted by: allauth's (the same trusted-proxy settings as the
    creditors' login limits), an IPv6 address by its /64, which one subscriber holds whole."""
    ip = get_adapter(request).get_client_ip(request)
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def _key(kind: str, value: str) -> str:
    # Hashed: the case number is typed by the visitor, the cache wants short, plain keys.
    return f"mitt-arende:{kind}:{hashlib.sha256(value.encode()).hexdigest()[:32]}"


def _failure_keys(address: str, case_number: str) -> list[str]:
    return [_key("fail-ip", address), _key("fail-case", case_number)]


def is_blocked(address: str, case_number: str) -> bool:
    return any((cache.get(key) or 0) >= MAX_FAILURES
               for key in _failure_keys(address, case_number))


def record_failure(address: str, case_number: str) -> None:
    for key in _failure_keys(address, case_number):
        _count(key, FAILURE_WINDOW)


def may_write(claim_id: int) -> bool:
    """Whether the case may take another message or report today."""
    return (cache.get(_key("writes", str(claim_id))) or 0) < MAX_WRITES_PER_DAY


def count_write(claim_id: int) -> None:
    """One more message or report saved on the case."""
    _count(_key("writes", str(claim_id)), 24 * 60 * 60)


# Payments started from one case per hour (Swish, card, Trustly): each start is a request to
# a provider, and a script must not be able to flood a debtor's Swish with requests.
MAX_PAYMENT_STARTS_PER_HOUR = 10


def payment_start_allowed(claim_id: int) -> bool:
    """Counts a payment start on the case; False once the hour's allowance is used."""
    return _count(_key("pay", str(claim_id)), 60 * 60) <= MAX_PAYMENT_STARTS_PER_HOUR


def _count(key: str, window: int) -> int:
    """One more in a window that starts with the first (``add`` does not extend it)."""
    cache.add(key, 0, window)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, window)
        return 1
