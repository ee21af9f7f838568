"""Jag har redan betalat: a note for the creditor, and the collection held five bank days (once
a month), so that the tick takes no step before the payment has been looked for."""

from datetime import date, timedelta

import pytest
import time_machine

from claims.collection import collect_until
from claims.models import Claim, Event, Status, Step
from debtors import portal
from debtors.services import DebtorInputError, debtor_report_already_paid
from letters.services import collection_day_run
from tests.debtors.conftest import open_case, register_on

pytestmark = pytest.mark.django_db

# Dan's reminder went on 7 April with 17 April as its deadline: with 5 days' grace the
# collection demand is due on Thursday 23 April.
REPORTED = date(2026, 4, 20)  # Monday
HOLD_UNTIL = date(2026, 4, 27)  # the 5th bank day after: 21, 22, 23, 24, 27


@pytest.fixture
def reminded(alice_co):
    claim = register_on(alice_co)
    collection_day_run(until=date(2026, 4, 7))
    claim.refresh_from_db()
    assert (claim.status, claim.next_action_on) == (Status.REMINDER_SENT, date(2026, 4, 23))
    return claim


def report(claim, *, today=REPORTED, **overrides):
    values = {"paid_on": date(2026, 4, 16), "amount_ore": 130701, "note": "Betalt via banken"}
    values.update(overrides)
    return debtor_report_already_paid(claim=claim, today=today, **values)


def test_the_hold_delays_the_tick_until_it_ends(reminded):
    reported = report(reminded)
    assert reported.hold_until == HOLD_UNTIL
    reminded.refresh_from_db()
    assert (reminded.hold_until, reminded.next_action_on) == (HOLD_UNTIL, HOLD_UNTIL)
    collect_until(until=HOLD_UNTIL - timedelta(days=1))  # through the day the demand was due
    assert list(Step.objects.filter(claim=reminded).values_list("kind", flat=True)) == [
        "reminder"]
    assert Claim.objects.get(pk=reminded.pk).status == Status.REMINDER_SENT
    collect_until(until=HOLD_UNTIL)
    demand = Step.objects.get(claim=reminded, kind="demand")
    assert demand.taken_on == HOLD_UNTIL


def test_the_note_is_on_the_creditors_timeline(reminded, alice_client):
    report(reminded)
    event = Event.objects.get(claim=reminded, kind="note")
    assert event.data == {"from": "debtor", "kind": "already_paid", "paid_on": "2026-04-16",
                          "amount_ore": 130701, "note": "Betalt via banken",
                          "hold_until": "2026-04-27"}
    assert event.occurred_on == REPORTED and event.actor is None
    page = alice_client.get(f"/arenden/{reminded.pk}/").content.decode()
    assert "Betalt via banken" in page and "2026-04-16" in page and "2026-04-27" in page


def test_one_hold_per_case_in_30_days(reminded):
    report(reminded)
    again = report(reminded, today=date(2026, 4, 22), note="Igen")
    assert again.hold_until is None
    reminded.refresh_from_db()
    assert reminded.hold_until == HOLD_UNTIL and reminded.next_action_on == HOLD_UNTIL
    assert Event.objects.filter(claim=reminded, kind="note").count() == 2  # the note, still
    # A month later a report holds the case again.
    later = report(reminded, today=REPORTED + timedelta(days=30))
    assert later.hold_until is not None and later.hold_until > HOLD_UNTIL


def test_a_hold_never_brings_the_next_step_forward(alice_co):
    claim = register_on(alice_co)
    collection_day_run(until=date(2026, 4, 7))
    claim.refresh_from_db()
    # Reported the day after the reminder: the demand (23 April) is later than the hold.
    reported = report(claim, today=date(2026, 4, 8), paid_on=date(2026, 4, 8))
    assert reported.hold_until == date(2026, 4, 15)
    claim.refresh_from_db()
    assert claim.next_action_on == date(2026, 4, 23)


def test_a_closed_case_gets_no_hold(reminded):
    Claim.objects.filter(pk=reminded.pk).update(status=Status.PAID, next_action_on=None)
    reminded.refresh_from_db()
    assert report(reminded).hold_until is None
    reminded.refresh_from_db()
    assert reminded.hold_until is None and reminded.next_action_on is None


@pytest.mark.parametrize("overrides, field", [
    ({"paid_on": REPORTED + timedelta(days=1)}, "paid_on"),  # the future
    ({"paid_on": date(2026, 1, 31)}, "paid_on"),  # before the invoice date, 1 February
    ({"amount_ore": 0}, "amount"),
    ({"note": "x" * 501}, "note"),
])
def test_the_service_refuses_bad_input_and_writes_nothing(reminded, overrides, field):
    with pytest.raises(DebtorInputError) as refused:
        report(reminded, **overrides)
    assert list(refused.value.errors) == [field]
    reminded.refresh_from_db()
    assert reminded.hold_until is None and reminded.next_action_on == date(2026, 4, 23)
    assert not Event.objects.filter(claim=reminded, kind="note").exists()


# --- through the page -----------------------------------------------------------------------


@pytest.fixture
def visitor(client, reminded):
    with time_machine.travel(REPORTED, tick=False):
        assert open_case(client, reminded).status_code == 302
        yield client


def post(client, claim, **data):
    values = {"paid_on": "2026-04-16", "amount": "1 307,01", "note": ""}
    values.update(data)
    return client.post(f"/mitt-arende/arenden/{claim.pk}/redan-betalat/", values)


def test_the_form_reports_and_the_page_says_until_when(visitor, reminded):
    response = post(visitor, reminded)
    assert response.status_code == 302
    event = Event.objects.get(claim=reminded, kind="note")
    assert event.data["amount_ore"] == 130701 and event.data["note"] == ""
    page = visitor.get(response["Location"])
    body = page.content.decode()
    assert "Inget nytt brev skickas före 2026-04-27" in body  # the message
    assert 'data-testid="hold"' in body and "2026-04-27" in body
    # The plan shows the demand on the hold's day.
    assert [row.step.on for row in page.context["planned"]][0] == HOLD_UNTIL


@pytest.mark.parametrize("data, field", [
    ({"paid_on": "2026-04-21"}, "paid_on"),  # tomorrow
    ({"paid_on": "2026-01-31"}, "paid_on"),
    ({"paid_on": "16 april"}, "paid_on"),
    ({"paid_on": ""}, "paid_on"),
    ({"amount": "0"}, "amount"),
    ({"amount": "-5"}, "amount"),
    ({"amount": "12,345"}, "amount"),
    ({"amount": ""}, "amount"),
    ({"note": "x" * 501}, "note"),
])
def test_the_form_refuses_bad_input_with_field_errors_and_writes_nothing(visitor, reminded,
                                                                         data, field):
    response = post(visitor, reminded, **data)
    assert response.status_code == 400
    form = response.context["already_paid_form"]
    assert list(form.errors) == [field]
    assert f'data-field="{field}"' in response.content.decode()
    reminded.refresh_from_db()
    assert reminded.hold_until is None and reminded.next_action_on == date(2026, 4, 23)
    assert not Event.objects.filter(claim=reminded, kind="note").exists()


def test_a_closed_case_has_no_already_paid_form(visitor, reminded):
    Claim.objects.filter(pk=reminded.pk).update(status=Status.WITHDRAWN, next_action_on=None)
    assert post(visitor, reminded).status_code == 404
    assert not Event.objects.filter(claim=reminded, kind="note").exists()


def test_reports_per_day_are_limited(visitor, reminded):
    for _ in range(portal.MAX_WRITES_PER_DAY):
        assert post(visitor, reminded).status_code == 302
    refused = post(visitor, reminded)
    assert refused.status_code == 400
    assert "många meddelanden i dag" in refused.context["already_paid_form"].non_field_errors()[0]
    assert Event.objects.filter(claim=reminded, kind="note").count() == (
        portal.MAX_WRITES_PER_DAY)


def test_only_by_post(visitor, reminded):
    assert visitor.get(f"/mitt-arende/arenden/{reminded.pk}/redan-betalat/").status_code == 405
