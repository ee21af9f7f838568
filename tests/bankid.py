"""BankID in the tests: ekrav's BankID simulator over real HTTP (pytest-django's live server),
and the person in the (simulated) app deciding how the next order ends."""

import httpx
import pytest

HX = {"HTTP_HX_REQUEST": "true"}  # the page asking where the order stands, as htmx does


@pytest.fixture
def sim(live_server, settings):
    """BankID is the simulator on the live server; its control URL."""
    settings.BANKID_BASE_URL = live_server.url + "/sim/bankid/rp/v6.0"
    return live_server.url + "/sim/bankid/_control"


def next_order(sim, **outcome):
    """Decide the outcome of the next order made (the person in the app)."""
    response = httpx.post(f"{sim}/next", json=outcome)
    assert response.status_code == 200, response.text


def complete_as(sim, personal_number, name="Alice Bygg"):
    given, _, surname = name.partition(" ")
    next_order(sim, outcome="complete", personalNumber=personal_number, name=name,
               givenName=given, surname=surname)
