"""A letter on a claim with a partial objection: the held invoice is listed and marked, and
the letter (its total, its Swish code) asks only for what is collectible."""

from datetime import date

import pytest
from pypdf import PdfReader

from claims.disputes import dispute_register
from claims.models import Dispute, Step
from claims.registration import parse_registration
from claims.selectors import claim_statement
from claims.services import invoice_register
from letters.compliance import content_problems
from letters.content import HELD
from letters.models import Letter
from letters.selectors import letter_content
from letters.services import collection_day_run
from tests.conftest import registration_data

pytestmark = pytest.mark.django_db

REGISTERED = date(2026, 4, 2)
REMINDER_DAY, OBJECTED, DEMAND_DAY = date(2026, 4, 7), date(2026, 4, 9), date(2026, 4, 23)


def register(creditor, **overrides):
    data = registration_data(invoice_date="2026-02-01", due_date="2026-03-01", **overrides)
    registration, errors = parse_registration(data, today=REGISTERED)
    assert not errors, errors
    return invoice_register(creditor=creditor, registration=registration, today=REGISTERED)


@pytest.fixture
def claim_with_held_invoice(alice_co):
    first = register(alice_co)
    second = register(alice_co, invoice_number="F-1002", amount="500.00",
                      description="Byte av grind")
    assert second.joined and second.claim.pk == first.claim.pk
    claim = first.claim
    collection_day_run(until=REMINDER_DAY)
    dispute_register(claim_id=claim.pk, channel=Dispute.Channel.POST, reason="not_delivered",
                     text="Grinden byttes aldrig.", received_on=OBJECTED,
                     invoice_ids=[second.invoice.pk])
    collection_day_run(until=DEMAND_DAY)
    claim.refresh_from_db()
    return claim, second.invoice


def test_the_demand_asks_for_the_collectible_only(claim_with_held_invoice):
    claim, held = claim_with_held_invoice
    demand = Letter.objects.get(claim=claim, kind="demand")
    assert demand.state == "sent"  # the compliance check passed
    now, problem = claim_statement(claim, as_of=DEMAND_DAY)
    assert problem == "" and now.held_ore > 0
    assert demand.amount_ore == demand.content["total_ore"] == now.collectible_ore
    assert now.collectible_ore == now.total_owed_ore - now.held_ore
    lines = {line["number"]: line for line in demand.content["invoices"]}
    assert lines["F-1002"]["state"] == HELD and lines["F-1001"]["state"] == ""
    assert lines["F-1002"]["capital_owed_ore"] == 0
    assert lines["F-1002"]["owed_ore"] == now.held_ore
    # The Swish code asks for the same amount.
    amount = f"{now.collectible_ore // 100},{now.collectible_ore % 100:02d}"
    assert f";{amount};" in demand.content["payment"]["swish_qr_text"]
    with demand.pdf.open("rb") as f:
        text = "".join(page.extract_text() for page in PdfReader(f).pages)
    flat = " ".join(text.split())
    assert "Bestridd – krävs inte nu" in flat and "F-1002" in flat


def test_the_content_adds_up_without_the_held_invoice(claim_with_held_invoice):
    claim, held = claim_with_held_invoice
    content = letter_content(Step.objects.get(claim=claim, kind="demand"))
    assert content_problems(content) == []
    assert content.capital_ore == sum(inv.capital_owed_ore for inv in content.invoices)
    assert content.capital_ore + content.interest_ore + content.fees_ore == content.total_ore
    assert all(item.invoice_number != held.invoice_number for item in content.interest)
    assert content.held_ore > 0
