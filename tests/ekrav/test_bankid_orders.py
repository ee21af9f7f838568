"""A BankID order in the browser's session (ekrav.bankid_orders): the launch link for this
device as BankID's sample code builds it (app.bankid.com with a redirect back on a phone,
bankid:/// on a computer), BankID's phone texts on a phone, and maintenance asked again
unseen before the user is told. The page flow against the simulator is tested by the rooms
(tests/creditors/test_bankid_login.py, tests/debtors)."""

import hashlib
import re
from html import unescape

import httpx
import pytest
from django.test import Client, RequestFactory

from ekrav import bankid
from ekrav.bankid_orders import MAINTENANCE_RETRIES, SESSION_KEY, order_progress, order_start

IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
          "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1")
CHROME_IOS = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
              "(KHTML, like Gecko) CriOS/126.0.6478.54 Mobile/15E148 Safari/604.1")
DESKTOP = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
           "Chrome/126.0.0.0 Safari/537.36")


def launch_link(answer) -> str:
    found = re.search(r'href="([^"]*)" data-testid="bankid-autostart"', answer.content.decode())
    assert found, answer.content.decode()
    return unescape(found.group(1))


@pytest.mark.parametrize("agent, expected", [
    (DESKTOP, r"bankid:///\?autostarttoken=[0-9a-f-]{36}&redirect=null"),
    (IPHONE, r"https://app\.bankid\.com/\?autostarttoken=[0-9a-f-]{36}"
             r"&redirect=http%3A%2F%2Ftestserver%2Fkonto%2Fbankid%2F%3Fnext%3D%2Farenden%2F"),
    (CHROME_IOS, r"https://app\.bankid\.com/\?autostarttoken=[0-9a-f-]{36}"
                 r"&redirect=googlechrome%3A%2F%2F"),
])
def test_the_app_is_started_on_this_device_as_bankid_shows(sim, agent, expected,
                                                           transactional_db):
    browser = Client(HTTP_USER_AGENT=agent)
    started = browser.post("/konto/bankid/?next=/arenden/")
    assert 'data-status="pending"' in started.content.decode()
    assert re.fullmatch(expected, launch_link(started))
    # The page asking again (htmx) keeps the same link.
    assert launch_link(browser.get("/konto/bankid/?next=/arenden/",
                                   HTTP_HX_REQUEST="true")) == launch_link(started)


def test_the_order_tells_bankid_the_domain_browser_and_device(sim, transactional_db):
    browser = Client(HTTP_USER_AGENT=DESKTOP)
    browser.post("/konto/bankid/")
    order_ref = browser.session[SESSION_KEY]["order_ref"]
    web = httpx.get(f"{sim}/orders/{order_ref}").json()["order"]["web"]
    assert web == {"referringDomain": "testserver", "userAgent": DESKTOP,
                   "deviceIdentifier": hashlib.sha256(
                       browser.session.session_key.encode()).hexdigest()}


def test_the_web_object_keeps_to_bankid_s_lengths():
    assert bankid.web_data(domain="ekrav.se", user_agent="x" * 300, device="d" * 70) == {
        "referringDomain": "ekrav.se", "userAgent": "x" * 256, "deviceIdentifier": "d" * 64}
    assert bankid.web_data(domain="ek", user_agent="Firefox", device="d") is None
    assert bankid.web_data(domain="ekrav.se", user_agent=" ", device="d") is None
    assert bankid.web_data(domain="ekrav.se", user_agent="Firefox", device="") is None


class Session(dict):
    modified = False


class FakeBankId:
    """BankID answering "maintenance" the first ``down`` times it is asked."""

    def __init__(self, *, down_auth=0, down_collect=0, hint="started"):
        self.down_auth, self.down_collect, self.hint = down_auth, down_collect, hint
        self.calls = []

    def _maybe_down(self, what):
        self.calls.append(what)
        left = getattr(self, f"down_{what}")
        if left:
            setattr(self, f"down_{what}", left - 1)
            raise bankid.BankIdUnavailable("HTTP 503", error_code="maintenance",
                                           status_code=503)

    def auth(self, ip, user_visible_data=None, web=None):
        self._maybe_down("auth")
        return bankid.Order("ref-1", "auto-1", "qr-1", "secret-1")

    def collect(self, order_ref):
        self._maybe_down("collect")
        return bankid.Collect(order_ref, bankid.PENDING, self.hint, None)

    def cancel(self, order_ref):
        self.calls.append("cancel")


def page_request(agent=DESKTOP):
    request = RequestFactory().post("/konto/bankid/", HTTP_USER_AGENT=agent)
    request.session = Session()
    return request


def collect_now(request, client):
    request.session[SESSION_KEY]["collected"] = 0.0  # two seconds have passed
    return order_progress(request, purpose="login", client=client)


def test_maintenance_at_the_start_is_asked_again_once(db):
    client = FakeBankId(down_auth=1)
    assert order_start(page_request(), purpose="login", client=client).is_pending
    assert client.calls.count("auth") == 2

    client = FakeBankId(down_auth=2)
    failed = order_start(page_request(), purpose="login", client=client)
    assert (failed.status, failed.message) == ("failed", "Något gick fel. Försök igen.")


def test_maintenance_while_collecting_is_unseen_until_it_lasts(db):
    client = FakeBankId(down_collect=MAINTENANCE_RETRIES)
    request = page_request()
    order_start(request, purpose="login", client=client)
    for _ in range(MAINTENANCE_RETRIES):
        assert collect_now(request, client).is_pending
    assert collect_now(request, client).is_pending  # BankID is back
    assert request.session[SESSION_KEY]["retries"] == 0

    client = FakeBankId(down_collect=MAINTENANCE_RETRIES + 1)
    request = page_request()
    order_start(request, purpose="login", client=client)
    for _ in range(MAINTENANCE_RETRIES):
        assert collect_now(request, client).is_pending
    told = collect_now(request, client)
    assert (told.status, told.message) == ("failed", "Något gick fel. Försök igen.")
    assert SESSION_KEY not in request.session


@pytest.mark.parametrize("agent, text", [
    (DESKTOP, bankid.MESSAGES["RFA15A"][0]), (IPHONE, bankid.MESSAGES["RFA15B"][0])])
def test_searching_for_bankid_says_computer_or_device(agent, text, db):
    client = FakeBankId(hint="started")
    request = page_request(agent)
    order_start(request, purpose="login", client=client)
    assert collect_now(request, client).message == text
