"""Mitt Ärende fixtures: Dan's case at alice's company with its reminder and collection demand
sent (2026), a second case of alice's and one of charlie's that Dan's visitor must never see."""

from datetime import date, timedelta
from html.parser import HTMLParser

import pytest
import time_machine

from claims.registration import parse_registration
from claims.services import claim_register
from letters.services import collection_day_run
from tests.conftest import another_debtor, registration_data

# Skärtorsdag: the reminder goes on Tuesday 7 April (deadline 17 April), the collection demand
# on 23 April (deadline 4 May), the creditor's decision would come on 11 May.
REGISTERED = date(2026, 4, 2)
REMINDER_DAY, DEMAND_DAY, DECISION_DAY = date(2026, 4, 7), date(2026, 4, 23), date(2026, 5, 11)
TODAY = date(2026, 4, 27)  # a Monday: the visitor reads the demand


def register_on(creditor, day=REGISTERED, **overrides):
    data = registration_data(invoice_date="2026-02-01", due_date="2026-03-01", **overrides)
    registration, errors = parse_registration(data, today=day)
    assert not errors, errors
    return claim_register(creditor=creditor, registration=registration, today=day)


@pytest.fixture
def dan_claim(alice_co):
    """Dan's case with both letters sent."""
    claim = register_on(alice_co)
    collection_day_run(until=DEMAND_DAY)
    claim.refresh_from_db()
    return claim


@pytest.fixture
def other_claim(alice_co, dan_claim):
    """Another debtor's case at alice's, registered a few days after Dan's, with its reminder
    sent by TODAY (nothing of Dan's falls due meanwhile)."""
    claim = register_on(alice_co, day=REGISTERED + timedelta(days=6), invoice_number="F-2002",
                        **another_debtor(1))
    collection_day_run(until=TODAY)
    claim.refresh_from_db()
    return claim


@pytest.fixture
def charlie_claim(charlie_co):
    return register_on(charlie_co, invoice_number="C-1")


@pytest.fixture
def today():
    with time_machine.travel(TODAY, tick=False) as traveller:
        yield traveller


def open_case(client, claim, *, case_number=None, ocr=None, **extra):
    return client.post("/mitt-arende/", {
        "case_number": claim.case_number if case_number is None else case_number,
        "ocr": claim.ocr if ocr is None else ocr}, **extra)


@pytest.fixture
def dan_client(client, dan_claim, today):
    """A visitor who opened Dan's case with the numbers from his letter."""
    assert open_case(client, dan_claim).status_code == 302
    return client


class _Amounts(HTMLParser):
    def __init__(self):
        super().__init__()
        self.found = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "data-ore" in attrs:
            self.found.append((attrs.get("data-testid"), int(attrs["data-ore"])))


def amounts(response) -> list[tuple[str, int]]:
    """Every amount on a page, as ``(data-testid, öre)`` in page order."""
    parser = _Amounts()
    parser.feed(response.content.decode())
    return parser.found


def amount(response, testid) -> int:
    values = [ore for name, ore in amounts(response) if name == testid]
    assert len(values) == 1, (testid, values)
    return values[0]
