"""Objections (bestridanden): registered, collection stops at once (no step, no letter), the
creditor gives its position, a handler resolves it — withdrawn, continued from where it
stopped, or to court (never to Kronofogden). Charlie sees nothing of alice's."""

from datetime import date

import pytest
from django.test import Client

from claims.collection import collect_until
from claims.decisions import claim_decide
from claims.disputes import dispute_answer, dispute_register, dispute_resolve
from claims.models import Claim, Dispute, Event, Status, Step
from claims.services import ClaimError
from letters.models import Letter
from letters.services import collection_day_run
from tests.claims.test_collection import register_on
from tests.claims.test_decisions import DECISION_DAY, bring_to_decision

pytestmark = pytest.mark.django_db

REMINDED = date(2026, 4, 8)  # the day after the reminder went out


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def reminded(alice_co):
    claim = register_on(alice_co)
    collection_day_run(until=REMINDED)
    claim.refresh_from_db()
    assert claim.status == Status.REMINDER_SENT
    return claim


def object_to(claim, reason="not_delivered", text="Staketet är inte målat.", day=REMINDED):
    return dispute_register(claim_id=claim.pk, channel="phone", reason=reason, text=text,
                            received_on=day)


def test_an_objection_stops_every_step_at_once(reminded):
    dispute = object_to(reminded)
    reminded.refresh_from_db()
    assert (reminded.status, reminded.next_action_on) == (Status.DISPUTED, None)
    assert dispute.previous_status == Status.REMINDER_SENT
    collection_day_run(until=date(2026, 6, 30))
    assert not Step.objects.filter(claim=reminded, kind="demand").exists()
    event = reminded.events.get(kind=Event.Kind.DISPUTE)
    assert "Staketet" in event.text


def test_a_letter_waiting_to_go_is_held_not_sent(alice_co):
    claim = register_on(alice_co)
    collect_until(until=date(2026, 4, 7))  # the reminder step, its letter not sent yet
    from letters.services import letters_dispatch, letters_prepare

    letters_prepare(today=date(2026, 4, 7))
    object_to(claim, day=date(2026, 4, 7))
    letters_dispatch(today=date(2026, 4, 7))
    letter = Letter.objects.get(claim=claim)
    assert letter.state == Letter.State.HELD and "bestritt" in letter.problems[0]


def test_a_claim_is_objected_to_once_and_not_when_closed(reminded, alice_co):
    object_to(reminded)
    with pytest.raises(ClaimError):
        object_to(reminded)
    assert Dispute.objects.count() == 1


@pytest.mark.parametrize("fields, field", [
    ({"reason": "because"}, "reason"), ({"channel": "pigeon"}, "channel"),
    ({"reason": "other", "text": "  "}, "text"), ({"text": "x" * 2001}, "text")])
def test_bad_input_is_refused_at_its_field_and_nothing_changes(reminded, fields, field):
    data = {"channel": "post", "reason": "not_ordered", "text": "", **fields}
    with pytest.raises(ClaimError) as info:
        dispute_register(claim_id=reminded.pk, received_on=REMINDED, **data)
    assert field in info.value.errors
    reminded.refresh_from_db()
    assert reminded.status == Status.REMINDER_SENT and not Dispute.objects.exists()


def test_upheld_collection_continues_from_where_it_stopped(reminded):
    dispute = object_to(reminded)
    dispute_answer(dispute_id=dispute.pk, position="continue", text="Arbetet är utfört, se "
                   "bifogade bilder.", today=REMINDED, user=None)
    dispute_resolve(dispute_id=dispute.pk, resolution="continued",
                    reason="Arbetet är utfört enligt avtal.", today=date(2026, 4, 20),
                    user=None)
    reminded.refresh_from_db()
    assert reminded.status == Status.REMINDER_SENT and reminded.next_action_on is not None
    collection_day_run(until=date(2026, 5, 5))
    assert Step.objects.filter(claim=reminded, kind="demand").exists()


def test_withdrawn_closes_the_claim(reminded):
    dispute = object_to(reminded)
    dispute_resolve(dispute_id=dispute.pk, resolution="withdrawn",
                    reason="Borgenären återkallar.", today=REMINDED, user=None)
    reminded.refresh_from_db()
    assert reminded.status == Status.WITHDRAWN
    with pytest.raises(ClaimError):
        dispute_resolve(dispute_id=dispute.pk, resolution="court", reason="x",
                        today=REMINDED, user=None)


def test_to_court_it_stays_disputed_and_never_goes_to_kronofogden(alice_co):
    claim = bring_to_decision(alice_co)[0]
    dispute = object_to(claim, day=DECISION_DAY)
    dispute_resolve(dispute_id=dispute.pk, resolution="court", reason="Till tingsrätten.",
                    today=DECISION_DAY, user=None)
    claim.refresh_from_db()
    assert claim.status == Status.DISPUTED
    with pytest.raises(ClaimError):
        claim_decide(claim_id=claim.pk, choice="kronofogden", today=DECISION_DAY)


def test_the_creditor_answers_in_the_portal(alice_client, reminded, charlie, charlie_co):
    dispute = object_to(reminded)
    page = alice_client.get("/bestridanden/")
    assert page.status_code == 200 and f'data-testid="dispute-{dispute.pk}"' in page.content.decode()
    assert 'data-testid="disputes-waiting">1<' in page.content.decode()
    refused = alice_client.post(f"/bestridanden/{dispute.pk}/", {"position": "continue"})
    assert refused.status_code == 302
    dispute.refresh_from_db()
    assert dispute.position == ""  # "continue" needs the creditor's words
    alice_client.post(f"/bestridanden/{dispute.pk}/", {"position": "continue",
                                                        "text": "Arbetet är utfört."})
    dispute.refresh_from_db()
    assert (dispute.position, dispute.position_text) == ("continue", "Arbetet är utfört.")
    charlie_client = Client()
    charlie_client.force_login(charlie)
    assert f"dispute-{dispute.pk}" not in charlie_client.get("/bestridanden/").content.decode()
    assert charlie_client.post(f"/bestridanden/{dispute.pk}/",
                               {"position": "withdraw"}).status_code == 404


def test_handlers_register_and_resolve_in_the_admin(admin_client, reminded):
    add = admin_client.post("/admin/claims/dispute/add/", {
        "case_number": reminded.case_number, "received_on": "2026-04-08", "channel": "post",
        "reason": "already_paid", "text": "Betalt kontant."})
    assert add.status_code == 302
    dispute = Dispute.objects.get()
    assert Claim.objects.get(pk=reminded.pk).status == Status.DISPUTED
    bad = admin_client.post("/admin/claims/dispute/add/", {
        "case_number": "000000", "received_on": "2026-04-08", "channel": "post",
        "reason": "already_paid"})
    assert bad.status_code == 200 and b"errorlist" in bad.content
    done = admin_client.post(f"/admin/claims/dispute/{dispute.pk}/avgor/", {
        "resolution": "continued", "reason": "Ingen betalning hittad."})
    assert done.status_code == 302
    assert Claim.objects.get(pk=reminded.pk).status == Status.REMINDER_SENT
