"""Efterbevakning: a claim under long-term surveillance gets a letter every three months (a
dated policy), frozen while skuldsanering or konkurs is registered; a periodic solvency check
through the credit bureau simulator sends it back to the decision when the debtor can pay."""

from datetime import date

import httpx
import pytest

from claims.decisions import claim_decide, solvency_check_record
from claims.limitation import add_years
from claims.models import Claim, Decision, Event, Status, Step
from claims.surveillance import add_months, next_on, surveillance_checks_run
from creditors.models import CollectionPolicy
from letters.models import Letter
from letters.selectors import limitation_of
from letters.services import collection_day_run
from tests.claims.test_decisions import DECISION_DAY, Report, bring_to_decision

QUARTER = date(2026, 8, 11)  # three months after the decision (a Tuesday)


@pytest.mark.parametrize("day, months, expected", [
    (date(2026, 5, 11), 3, date(2026, 8, 11)), (date(2026, 11, 30), 3, date(2027, 2, 28)),
    (date(2026, 10, 31), 6, date(2027, 4, 30)), (date(2027, 12, 15), 1, date(2028, 1, 15))])
def test_months_later(day, months, expected):
    assert add_months(day, months) == expected


def test_the_next_letter_counts_from_the_last_one_or_from_the_start():
    assert next_on(since=date(2026, 5, 11), last=None, every_months=3) == date(2026, 8, 11)
    assert next_on(since=date(2026, 5, 11), last=date(2026, 8, 12),
                   every_months=3) == date(2026, 11, 12)


@pytest.fixture
def watched(alice_co, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    claim = bring_to_decision(alice_co)[0]
    claim_decide(claim_id=claim.pk, choice="surveillance", today=DECISION_DAY)
    return claim


@pytest.mark.django_db
def test_a_letter_every_three_months_each_a_new_demand_without_a_fee(watched):
    fees_before = watched.ledger.filter(kind="fee").count()
    collection_day_run(until=date(2026, 8, 10))
    assert not Step.objects.filter(claim=watched, kind="surveillance").exists()
    collection_day_run(until=date(2026, 11, 30))
    steps = list(Step.objects.filter(claim=watched, kind="surveillance").order_by("sequence"))
    assert [(s.sequence, s.taken_on) for s in steps] == [(1, QUARTER), (2, date(2026, 11, 11))]
    letters = Letter.objects.filter(claim=watched, kind="surveillance").order_by("letter_date")
    assert [letter.state for letter in letters] == ["sent", "sent"]
    assert letters[0].content["kind"] == "surveillance" and letters[0].deadline > QUARTER
    assert watched.ledger.filter(kind="fee").count() == fees_before
    assert watched.events.filter(kind=Event.Kind.STEP_SURVEILLANCE).count() == 2
    # Each letter the debtor receives interrupts the statute of limitations.
    assert limitation_of(watched).expires_on == add_years(date(2026, 11, 11), 3)


@pytest.mark.django_db
def test_collection_freezes_under_debt_restructuring(watched):
    solvency_check_record(claim=watched, report=Report("debt_restructuring"),
                          today=date(2026, 6, 1))
    collection_day_run(until=date(2026, 12, 31))
    assert not Step.objects.filter(claim=watched, kind="surveillance").exists()


@pytest.mark.django_db
def test_a_claim_after_sut_is_watched_from_that_day(alice_co, settings, tmp_path):
    from claims.enforcement import (kfm_answer_record, kfm_application_prepare,
                                    kfm_application_send)

    settings.MEDIA_ROOT = tmp_path / "media"
    claim = bring_to_decision(alice_co)[0]
    claim_decide(claim_id=claim.pk, choice="kronofogden", today=DECISION_DAY)
    application = kfm_application_prepare(claim_id=claim.pk, today=DECISION_DAY)
    kfm_application_send(application_id=application.pk, today=DECISION_DAY, user=None)
    for answer, day in (("received", date(2026, 5, 20)), ("judgment", date(2026, 6, 10)),
                        ("enforcement", date(2026, 6, 12)), ("no_assets", date(2026, 9, 1))):
        kfm_answer_record(application_id=application.pk, answer=answer, on=day, user=None)
    assert Claim.objects.get(pk=claim.pk).status == Status.SURVEILLANCE
    collection_day_run(until=date(2026, 11, 30))
    assert not Step.objects.filter(claim=claim, kind="surveillance").exists()
    collection_day_run(until=date(2026, 12, 2))
    assert Step.objects.get(claim=claim, kind="surveillance").taken_on == date(2026, 12, 1)


# --- The periodic check, over HTTP to the credit bureau simulator --------------------------------

USER, PASSWORD = "ekrav-test", "not-in-logs"


@pytest.fixture
def bureau(live_server, settings):
    from claims.creditinfo import CreditInfoClient

    settings.CREDITINFO_USERNAME, settings.CREDITINFO_PASSWORD = USER, PASSWORD
    client = CreditInfoClient(live_server.url + "/sim/kreditupplysning", USER, PASSWORD,
                              timeout=5)
    yield client, live_server.url + "/sim/kreditupplysning"
    client.close()


def test_solvent_again_goes_back_to_kronofogden_by_the_policy(transactional_db, alice_co,
                                                              bureau, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    client, base = bureau
    claim = bring_to_decision(alice_co)[0]
    claim_decide(claim_id=claim.pk, choice="surveillance", today=DECISION_DAY)
    identity = claim.debtor.identity_number
    httpx.post(f"{base}/_control/subjects/{identity}", json={"behaviour": "insolvent"})
    assert surveillance_checks_run(today=date(2026, 11, 10), client=client)["checked"] == 0
    assert surveillance_checks_run(today=date(2026, 11, 11), client=client) == {
        "checked": 1, "back_to_decision": 0}
    assert Claim.objects.get(pk=claim.pk).status == Status.SURVEILLANCE
    CollectionPolicy.objects.filter(creditor=alice_co).update(decide_automatically=True,
                                                              kronofogden_min_capital_ore=0)
    httpx.post(f"{base}/_control/subjects/{identity}", json={"behaviour": "solvent"})
    assert surveillance_checks_run(today=date(2027, 5, 11), client=client) == {
        "checked": 1, "back_to_decision": 1}
    assert Claim.objects.get(pk=claim.pk).status == Status.AT_KRONOFOGDEN
    again = Decision.objects.filter(claim=claim).order_by("-id").first()
    assert (again.choice, again.by_policy, again.step) == ("kronofogden", True, None)


@pytest.mark.django_db
def test_back_at_kronofogden_the_claim_gets_a_second_application(watched):
    from claims.enforcement import kfm_application_prepare, kfm_applications_prepare
    from claims.models import KronofogdenApplication

    Claim.objects.filter(pk=watched.pk).update(status=Status.AWAITING_DECISION)
    claim_decide(claim_id=watched.pk, choice="kronofogden", today=date(2026, 6, 1))
    first = kfm_application_prepare(claim_id=watched.pk, today=date(2026, 6, 1))
    Claim.objects.filter(pk=watched.pk).update(status=Status.AWAITING_DECISION)
    claim_decide(claim_id=watched.pk, choice="kronofogden", today=date(2027, 6, 1))
    assert kfm_applications_prepare(today=date(2027, 6, 1)) == 1  # the lost task's work
    second = KronofogdenApplication.objects.exclude(pk=first.pk).get()
    assert (second.sequence, second.reference) == (2, f"{watched.case_number}-2")
    assert kfm_applications_prepare(today=date(2027, 6, 1)) == 0
