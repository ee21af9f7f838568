"""Kronofogden's fees as the creditor's outlays in the daily settlement: the agency pays them
and deducts them from the creditor's payout, once; what a debtor's payment repays of them goes
back to the creditor, not to the agency. Charlie's settlement carries nothing of alice's."""

import io
from datetime import date, timedelta

import pytest
from pypdf import PdfReader

from claims.decisions import claim_decide
from claims.enforcement import kfm_application_prepare, kfm_application_send
from claims.selectors import claim_statement
from claims.services import claim_payment_receive
from payments.models import OutlayCharge, Settlement
from payments.settlements import settlements_run
from tests.claims.test_decisions import DECISION_DAY, bring_to_decision

pytestmark = pytest.mark.django_db

SENT = date(2026, 5, 12)
PAID = date(2026, 5, 20)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def at_kfm(alice_co):
    """Alice's claim, its application sent to Kronofogden: 300 kr fee booked for the debtor."""
    claim = bring_to_decision(alice_co)[0]
    claim_decide(claim_id=claim.pk, choice="kronofogden", today=DECISION_DAY)
    application = kfm_application_prepare(claim_id=claim.pk, today=SENT)
    kfm_application_send(application_id=application.pk, today=SENT, user=None)
    return claim


def pay(claim, amount, key, day=PAID):
    return claim_payment_receive(claim=claim, amount_ore=amount, paid_on=day, today=day,
                                 source="bgmax", external_id=key)


def pdf_text(settlement) -> str:
    with settlement.pdf.open("rb") as f:
        return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(f.read())).pages)


def test_a_payment_in_full_repays_the_outlay_to_the_creditor(at_kfm, alice_co, charlie_co):
    owed, _problem = claim_statement(at_kfm, as_of=PAID)
    pay(at_kfm, owed.total_owed_ore, "all")
    settlements_run(day=PAID)
    s = Settlement.objects.get(creditor=alice_co)
    # Costs: 60 + 180 kr statutory fees (the agency's) and Kronofogden's 300 kr (repaid).
    assert (s.fees_ore, s.outlays_repaid_ore, s.outlays_charged_ore) == (24000, 30000, 30000)
    assert s.payout_ore == s.capital_ore + s.interest_ore  # repaid and deducted: net nothing
    assert s.lines[0]["outlays_ore"] == 30000
    assert [o["key"] for o in s.outlays] == ["fee:kfm_application_fee:1"]
    text = pdf_text(s)
    assert "Utlägg som dras av" in text and "Utlägg åter" in text
    assert not Settlement.objects.filter(creditor=charlie_co).exists()


def test_an_outlay_waits_for_a_payout_that_covers_it_and_is_deducted_once(at_kfm, alice_co):
    pay(at_kfm, 10000, "small")  # pays 100 kr of the fees: nothing for the creditor
    settlements_run(day=PAID)
    first = Settlement.objects.get(creditor=alice_co, day=PAID)
    assert (first.payout_ore, first.outlays_charged_ore) == (0, 0)
    assert not OutlayCharge.objects.exists()
    later = PAID + timedelta(days=1)
    pay(at_kfm, 100000, "big", day=later)
    settlements_run(day=later)
    second = Settlement.objects.get(creditor=alice_co, day=later)
    # 140 kr of fees left, then the whole 300 kr outlay, the rest interest and capital.
    assert (second.fees_ore, second.outlays_repaid_ore, second.outlays_charged_ore) == (
        14000, 30000, 30000)
    assert second.payout_ore == 100000 - 14000 - 30000
    settlements_run(day=later)
    assert OutlayCharge.objects.count() == 1


def test_an_unrepaid_outlay_is_deducted_from_another_cases_payout(at_kfm, alice_co):
    from tests.claims.test_collection import register_on
    from tests.conftest import another_debtor

    other = register_on(alice_co, invoice_number="F-9", **another_debtor(9))
    pay(other, 50000, "other")
    settlements_run(day=PAID)
    s = Settlement.objects.get(creditor=alice_co)
    assert (s.outlays_repaid_ore, s.outlays_charged_ore) == (0, 30000)
    assert s.payout_ore == s.capital_ore + s.interest_ore - 30000


# --- Commission on capital collected in efterbevakning (the price list) -------------------------

def test_commission_on_capital_collected_in_surveillance(alice_co, charlie_co):
    from decimal import Decimal

    from creditors.models import CollectionPolicy

    CollectionPolicy.objects.filter(creditor=alice_co).update(
        surveillance_commission_percent=Decimal("15"))
    watched, outside = bring_to_decision(alice_co, 2)
    claim_decide(claim_id=watched.pk, choice="surveillance", today=DECISION_DAY)
    pay(watched, 50000, "w")
    pay(outside, 50000, "o")
    settlements_run(day=PAID)
    s = Settlement.objects.get(creditor=alice_co)
    lines = {line["claim_id"]: line for line in s.lines}
    capital = lines[watched.pk]["capital_ore"]
    assert lines[watched.pk]["commission_ore"] == round(capital * 0.15) > 0
    assert lines[outside.pk]["commission_ore"] == 0
    assert s.commission_ore == lines[watched.pk]["commission_ore"]
    assert s.payout_ore == s.capital_ore + s.interest_ore - s.commission_ore
    assert "Provision" in pdf_text(s)
