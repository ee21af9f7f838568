"""The decision after the collection demand, against the database: the creditor's choice (or
the policy's), once; frozen collection; the reminders; the inbox. Charlie sees nothing of
alice's."""

from datetime import date, timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from claims.collection import collect_until
from claims.decisions import (
    claim_decide,
    claims_to_check,
    decision_reminders_send,
    solvency_check_record,
)
from claims.models import Claim, Decision, Event, SolvencyCheck, Status
from claims.services import ClaimError, claim_payment_receive
from ekrav.money import format_sek
from tests.claims.test_collection import register_on
from tests.conftest import another_debtor

pytestmark = pytest.mark.django_db

DECISION_DAY = date(2026, 5, 11)  # the decision step of a claim registered on 2 April


def bring_to_decision(creditor, n: int = 1) -> list[Claim]:
    """``n`` claims registered on 2 April, each against its own debtor, ticked to their
    decision (the tick runs a day once: every claim is registered before it)."""
    claims = [register_on(creditor, invoice_number=f"F-{i}", **another_debtor(i))
              for i in range(n)]
    collect_until(until=DECISION_DAY)
    claims = list(Claim.objects.filter(pk__in=[c.pk for c in claims]).order_by("pk"))
    assert {c.status for c in claims} == {Status.AWAITING_DECISION}
    return claims


@pytest.fixture
def waiting(alice_co):
    return bring_to_decision(alice_co)[0]


class Report:
    """A credit report as claims.creditinfo returns it (the fields the service keeps)."""

    def __init__(self, outcome, payment_remarks=0, debt_at_kfm_ore=0):
        self.outcome, self.payment_remarks = outcome, payment_remarks
        self.debt_at_kfm_ore, self.reference, self.copy_sent = debt_at_kfm_ore, "R-1", True


def test_the_creditor_sends_a_claim_to_kronofogden_once(waiting, alice):
    decision = claim_decide(claim_id=waiting.pk, choice="kronofogden", today=DECISION_DAY,
                            user=alice, reason="  Han  svarar inte ")
    waiting.refresh_from_db()
    assert waiting.status == Status.AT_KRONOFOGDEN
    assert (decision.step.kind, decision.decided_by, decision.by_policy, decision.reason) == (
        "decision", alice, False, "Han svarar inte")
    event = waiting.events.get(kind=Event.Kind.DECISION)
    assert event.actor == alice and "Kronofogden" in event.text
    with pytest.raises(ClaimError) as info:
        claim_decide(claim_id=waiting.pk, choice="surveillance", today=DECISION_DAY)
    assert info.value.code == "not_awaiting_decision"
    assert Decision.objects.count() == 1


def test_surveillance_and_withdrawal(alice_co):
    waiting, other = bring_to_decision(alice_co, 2)
    claim_decide(claim_id=waiting.pk, choice="surveillance", today=DECISION_DAY)
    waiting.refresh_from_db()
    assert waiting.status == Status.SURVEILLANCE
    claim_decide(claim_id=other.pk, choice="withdraw", today=DECISION_DAY)
    other.refresh_from_db()
    assert other.status == Status.WITHDRAWN
    assert other.events.filter(kind=Event.Kind.WITHDRAWN).exists()


def test_no_kronofogden_while_bankruptcy_is_registered(waiting):
    solvency_check_record(claim=waiting, report=Report("bankruptcy"), today=DECISION_DAY)
    with pytest.raises(ClaimError) as info:
        claim_decide(claim_id=waiting.pk, choice="kronofogden", today=DECISION_DAY)
    assert info.value.code == "choice_not_allowed"
    waiting.refresh_from_db()
    assert waiting.status == Status.AWAITING_DECISION and not Decision.objects.exists()
    claim_decide(claim_id=waiting.pk, choice="surveillance", today=DECISION_DAY)


def test_a_claim_that_is_not_waiting_cannot_be_decided(alice_co):
    claim = register_on(alice_co)
    with pytest.raises(ClaimError):
        claim_decide(claim_id=claim.pk, choice="kronofogden", today=DECISION_DAY)
    assert not Decision.objects.exists()


def test_a_paid_claim_leaves_the_inbox(waiting):
    claim_payment_receive(claim=waiting, amount_ore=10_000_000, paid_on=DECISION_DAY,
                          today=DECISION_DAY, source="bgmax", external_id="x")
    with pytest.raises(ClaimError):
        claim_decide(claim_id=waiting.pk, choice="kronofogden", today=DECISION_DAY)
    assert not claims_to_check().exists()


def test_a_check_is_kept_once_a_day_and_then_the_claim_is_not_checked_again(waiting):
    assert list(claims_to_check()) == [waiting]
    first = solvency_check_record(claim=waiting, report=Report("solvent"), today=DECISION_DAY)
    again = solvency_check_record(claim=waiting, report=Report("insolvent"), today=DECISION_DAY)
    assert first == again and SolvencyCheck.objects.count() == 1
    assert waiting.events.filter(kind=Event.Kind.SOLVENCY_CHECK).count() == 1
    assert not claims_to_check().exists()


# --- Reminders ----------------------------------------------------------------------------------

def test_the_creditor_is_reminded_after_three_days_then_weekly(waiting, alice_co):
    assert decision_reminders_send(today=DECISION_DAY + timedelta(days=2)) == 0
    assert decision_reminders_send(today=DECISION_DAY + timedelta(days=3)) == 1
    message = mail.outbox[-1]
    assert message.to == [alice_co.report_email]
    assert message.subject == "Ett ärende väntar på ert beslut"
    assert waiting.case_number in message.body and "/beslut/" in message.body
    assert decision_reminders_send(today=DECISION_DAY + timedelta(days=9)) == 0
    assert decision_reminders_send(today=DECISION_DAY + timedelta(days=10)) == 1
    assert len(mail.outbox) == 2


def test_a_reminder_that_could_not_be_sent_is_sent_on_the_next_run(waiting, monkeypatch):
    def down(*args, **kwargs):
        raise OSError("smtp down")

    monkeypatch.setattr("claims.decisions.send_mail", down)
    day = DECISION_DAY + timedelta(days=3)
    assert decision_reminders_send(today=day) == 0
    monkeypatch.undo()
    assert decision_reminders_send(today=day) == 1


def test_decided_claims_are_not_reminded(waiting):
    claim_decide(claim_id=waiting.pk, choice="surveillance", today=DECISION_DAY)
    assert decision_reminders_send(today=DECISION_DAY + timedelta(days=5)) == 0


# --- The inbox ----------------------------------------------------------------------------------

def test_the_inbox_shows_the_check_and_the_ways_on(alice_client, waiting):
    solvency_check_record(claim=waiting, report=Report("payment_remarks", 2, 450_000),
                          today=DECISION_DAY)
    page = alice_client.get("/beslut/")
    html = page.content.decode()
    assert page.status_code == 200 and waiting.case_number in html
    assert 'data-testid="decisions-waiting">1<' in html
    assert format_sek(450_000) in html and 'value="kronofogden"' in html
    assert "300,00" in html  # Kronofogden's fee, from the law table


def test_deciding_from_the_inbox(alice_client, waiting):
    response = alice_client.post(f"/beslut/{waiting.pk}/", {"choice": "surveillance",
                                                              "reason": "Bevaka"})
    assert response.status_code == 302 and response.url == "/beslut/"
    waiting.refresh_from_db()
    assert waiting.status == Status.SURVEILLANCE
    assert f'data-testid="decision-{waiting.pk}"' not in alice_client.get(
        "/beslut/").content.decode()


def test_a_bad_choice_is_refused_and_changes_nothing(alice_client, waiting):
    response = alice_client.post(f"/beslut/{waiting.pk}/", {"choice": "pay-me"}, follow=True)
    assert response.status_code == 200
    waiting.refresh_from_db()
    assert waiting.status == Status.AWAITING_DECISION and not Decision.objects.exists()


def test_charlie_sees_and_decides_nothing_of_alices(charlie_client, waiting):
    assert waiting.case_number not in charlie_client.get("/beslut/").content.decode()
    assert charlie_client.post(f"/beslut/{waiting.pk}/",
                               {"choice": "withdraw"}).status_code == 404
    assert Claim.objects.get(pk=waiting.pk).status == Status.AWAITING_DECISION


def test_the_inbox_takes_the_same_queries_for_more_claims(alice_client, alice_co,
                                                          django_assert_max_num_queries):
    first, *others = bring_to_decision(alice_co, 4)
    for claim in others:  # the others are decided: the inbox shows one claim
        claim_decide(claim_id=claim.pk, choice="surveillance", today=DECISION_DAY)
    alice_client.get("/beslut/")
    with CaptureQueriesContext(connection) as one:
        alice_client.get("/beslut/")
    Claim.objects.filter(pk__in=[c.pk for c in others]).update(
        status=Status.AWAITING_DECISION)
    Decision.objects.all().delete()
    with django_assert_max_num_queries(len(one.captured_queries)):
        page = alice_client.get("/beslut/")
    assert page.content.decode().count('name="choice" value="kronofogden"') == 4


def test_anonymous_visitors_are_sent_to_log_in(client, waiting):
    assert "/login" in client.get("/beslut/").url
    assert client.post(f"/beslut/{waiting.pk}/", {"choice": "withdraw"}).status_code == 302
    assert Claim.objects.get(pk=waiting.pk).status == Status.AWAITING_DECISION
