"""A BankID order in the browser's session: started for one purpose (a creditor's login, linking
BankID to an account, opening Mitt Ärende), shown as the animated QR code and the "open the
BankID app" link, collected while the page asks, and ended once.

The views of each room (creditors, debtors) call ``order_start``, ``order_progress`` and
``order_cancel`` and decide what a completed identification means to them; this module knows
only BankID and the session. What it keeps in the session::

    {"purpose": "mitt_arende", "order_ref": ..., "auto_start_token": ..., "qr_start_token":
     ..., "qr_start_secret": ..., "started": 1767225600.0, "collected": ..., "status":
     "pending", "hint_code": "outstandingTransaction"}

- The QR code changes every second (``ekrav.bankid.qr_data`` of the seconds since the order);
  the page asks every second, but BankID is collected at most every two seconds, as BankID
  asks of a relying party.
- A completed order is handed to the caller once and forgotten: a reload cannot log in twice.
- Another purpose's order (a second tab) is cancelled when a new one starts: one order per
  browser, as BankID allows one per person.
- The secret never leaves the server; the page gets the QR code as an SVG.
- "Open BankID on this device" is the launch link BankID's sample code uses: the universal
  link app.bankid.com with a redirect back to the page on a phone or tablet, the bankid:///
  scheme with redirect=null on a computer (``ekrav.bankid.launch_url``).
- BankID down for maintenance is asked again, unseen, up to MAINTENANCE_RETRIES times before
  the user is told (BankID's advice for that error code only).
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
from dataclasses import dataclass

import segno
from django.http.request import split_domain_port
from django.utils import translation
from django.utils.safestring import mark_safe

from ekrav import bankid

log = logging.getLogger(__name__)

SESSION_KEY = "bankid_order"
COLLECT_EVERY = 2.0  # seconds between two collects of one order (BankID's advice)
MAINTENANCE_RETRIES = 3  # collects in a row answered "maintenance" before the user is told
# Phones and tablets, where the app is started through app.bankid.com (an iPad asking as a
# Mac is taken for a computer: the bankid:/// link still starts the app there).
_MOBILE = re.compile(r"Android|iPhone|iPad|iPod|Mobile", re.ASCII)
# Chrome and Firefox on iOS: the app's redirect would open Safari, so it names the browser.
_IOS_BROWSERS = (("CriOS/", "googlechrome://"), ("FxiOS/", "firefox://"))


@dataclass(frozen=True)
class Progress:
    """Where the session's order stands, for the page."""

    status: str  # "pending", "failed", "complete", or "none" (no order of this purpose)
    message: str  # BankID's recommended text for the user ("" when complete)
    qr_svg: str = ""  # the QR code of this second, while pending
    auto_start_token: str = ""  # for the "open BankID on this device" link
    completion: bankid.Completion | None = None  # once, when complete
    mobile: bool = False  # the page is on a phone or tablet
    return_url: str = ""  # where the app sends a phone back to

    @property
    def is_pending(self) -> bool:
        return self.status == bankid.PENDING

    @property
    def autostart_url(self) -> str:
        return bankid.launch_url(self.auto_start_token, mobile=self.mobile,
                                 return_url=self.return_url)


class BankIdOff(Exception):
    """No BankID configured (no BANKID_BASE_URL)."""


def _english() -> bool:
    return (translation.get_language() or "sv").startswith("en")


def _message(status: str, hint_code: str | None, mobile: bool = False) -> str:
    say = bankid.user_message_en if _english() else bankid.user_message
    return say(status, hint_code, qr=True, mobile=mobile)


def is_mobile(request) -> bool:
    return bool(_MOBILE.search(request.headers.get("User-Agent", "")))


def _web(request) -> dict | None:
    """What BankID may weigh the order's risk by: ekrav's domain, the browser, and the browser
    as a hash of its session (never the session key itself)."""
    session = request.session
    if hasattr(session, "save") and not session.session_key:
        session.save()
    key = getattr(session, "session_key", None) or ""
    return bankid.web_data(domain=split_domain_port(request.get_host())[0],
                           user_agent=request.headers.get("User-Agent", ""),
                           device=hashlib.sha256(key.encode()).hexdigest() if key else "")


def _return_url(request) -> str:
    """Where the BankID app sends a phone back to once done: this page."""
    agent = request.headers.get("User-Agent", "")
    for marker, scheme in _IOS_BROWSERS:
        if marker in agent:
            return scheme
    return request.build_absolute_uri(request.get_full_path())


def _error_message(error: bankid.BankIdException) -> str:
    code = error.error_code if isinstance(error, bankid.BankIdError) else None
    return bankid.error_message_en(code) if _english() else bankid.error_message(code)


def _client(client):
    client = client or bankid.bankid_client()
    if client is None:
        raise BankIdOff("BankID is not configured")
    return client


def end_user_ip(request) -> str:
    """The user's address as BankID wants it (endUserIp): allauth's reading of it, with the
    same trusted-proxy settings as the login limits (never a header anyone can set)."""
    from allauth.account.adapter import get_adapter

    return get_adapter(request).get_client_ip(request)


def order_start(request, *, purpose: str, client=None, sign_text: str | None = None,
                visible_text: str | None = None) -> Progress:
    """Start an identification (or, with ``sign_text``, a signature of that text) for
    ``purpose``; any order the browser had is cancelled first."""
    client = _client(client)
    order_cancel(request, client=client)
    try:
        order = _new_order(client, end_user_ip(request), sign_text, visible_text,
                           _web(request))
    except bankid.BankIdException as error:
        log.warning("BankID order for %s not started: %s", purpose, error)
        return Progress(status=bankid.FAILED, message=_error_message(error))
    now = time.time()
    request.session[SESSION_KEY] = {
        "purpose": purpose, "order_ref": order.order_ref,
        "auto_start_token": order.auto_start_token, "qr_start_token": order.qr_start_token,
        "qr_start_secret": order.qr_start_secret, "started": now, "collected": 0.0,
        "status": bankid.PENDING, "hint_code": "outstandingTransaction",
        "mobile": is_mobile(request), "return_url": _return_url(request), "retries": 0}
    return _pending(request.session[SESSION_KEY], now)


def _new_order(client, ip: str, sign_text: str | None, visible_text: str | None, web):
    for attempt in range(2):  # once more, unseen, when BankID is down for maintenance
        try:
            if sign_text is not None:
                return client.sign(ip, sign_text, web=web)
            return client.auth(ip, user_visible_data=visible_text, web=web)
        except bankid.BankIdException as error:
            if attempt or not error.may_retry:
                raise
            log.info("BankID in maintenance, asking again: %s", error)


def order_progress(request, *, purpose: str, client=None) -> Progress:
    """The order of ``purpose`` now: collected if two seconds have passed since the last
    collect. Complete or failed, it is forgotten (the completion is given this once)."""
    order = request.session.get(SESSION_KEY)
    if not order or order.get("purpose") != purpose:
        return Progress(status="none", message="")
    now = time.time()
    if now - order["collected"] < COLLECT_EVERY:
        return _pending(order, now)
    try:
        found = _client(client).collect(order["order_ref"])
    except bankid.BankIdException as error:
        if error.may_retry and order.get("retries", 0) < MAINTENANCE_RETRIES:
            order.update(collected=now, retries=order.get("retries", 0) + 1)
            request.session.modified = True
            return _pending(order, now)
        log.warning("BankID order for %s not collected: %s", purpose, error)
        request.session.pop(SESSION_KEY, None)
        return Progress(status=bankid.FAILED, message=_error_message(error))
    if not found.is_pending:
        request.session.pop(SESSION_KEY, None)
        return Progress(status=found.status, completion=found.completion,
                        message=_message(found.status, found.hint_code,
                                         order.get("mobile", False)))
    order.update(collected=now, hint_code=found.hint_code, retries=0)
    request.session.modified = True
    return _pending(order, now)


def order_cancel(request, *, client=None) -> None:
    """Withdraw the browser's order, if any (the user chose another way, or left)."""
    order = request.session.pop(SESSION_KEY, None)
    if not order:
        return
    try:
        _client(client).cancel(order["order_ref"])
    except (bankid.BankIdException, BankIdOff):
        pass  # gone already, or BankID unreachable: it expires by itself within minutes


def _pending(order: dict, now: float) -> Progress:
    seconds = max(0, int(now - order["started"]))
    data = bankid.qr_data(order["qr_start_token"], order["qr_start_secret"], seconds)
    svg = segno.make(data, error="l").svg_inline(scale=5, border=2, omitsize=False)
    mobile = order.get("mobile", False)
    return Progress(status=bankid.PENDING,
                    message=_message(bankid.PENDING, order["hint_code"], mobile),
                    qr_svg=mark_safe(svg), auto_start_token=order["auto_start_token"],
                    mobile=mobile, return_url=order.get("return_url", ""))


# --- The one shape of a BankID page ---------------------------------------------------------

def bankid_page(request, *, purpose: str, template: str, context: dict, on_complete,
                visible_text: str | None = None, sign_text: str | None = None,
                render=None):
    """A page where the user proves who they are with BankID, for ``purpose``:

    - POST starts an order (or, with ``cancel`` in the form, withdraws it);
    - GET shows where it stands: the whole page, or only its BankID part when htmx asks
      (every second, ``templates/bankid/_progress.html``); without JavaScript the page
      reloads itself every two seconds instead;
    - once complete, ``on_complete(completion)`` says what it means: a response (a redirect:
      sent as HX-Redirect to htmx) or a problem to show (the user may try again).

    ``render(request, template, context)`` renders the page (the room's own page shape)."""
    from django.http import HttpResponse
    from django.template.response import TemplateResponse
    from django.utils.translation import gettext as _

    render = render or TemplateResponse
    problem = ""
    try:
        if request.method == "POST" and "cancel" in request.POST:
            order_cancel(request)
            progress = Progress(status="none", message="")
        elif request.method == "POST":
            progress = order_start(request, purpose=purpose, visible_text=visible_text,
                                   sign_text=sign_text)
        else:
            progress = order_progress(request, purpose=purpose)
    except BankIdOff:
        progress, problem = Progress(status="none", message=""), _(
            "BankID cannot be used right now. Please try again later.")
    if progress.status == bankid.COMPLETE:
        outcome = on_complete(progress.completion)
        if isinstance(outcome, HttpResponse):
            if request.headers.get("HX-Request") and outcome.status_code in (301, 302, 303):
                answer = HttpResponse(status=200)
                answer["HX-Redirect"] = outcome["Location"]
                return answer
            return outcome
        problem = outcome
    page = {**context, "progress": progress, "problem": problem,
            "bankid_url": request.get_full_path(), "simulator_app": simulator_app_url()}
    if request.headers.get("HX-Request"):
        response = TemplateResponse(request, "bankid/_progress.html", page)
    else:
        response = render(request, template, page)
    response["Cache-Control"] = "no-store"
    return response


def simulator_app_url() -> str:
    """The simulator's stand-in for the BankID app (no phone scans a QR code in a demo), when
    BankID is ekrav's own simulator; "" otherwise."""
    from django.conf import settings

    base = settings.BANKID_BASE_URL
    suffix = "/sim/bankid/rp/v6.0"
    return base.removesuffix("rp/v6.0") + "app/" if (settings.SIMULATORS_ENABLED
                                                     and base.endswith(suffix)) else ""
