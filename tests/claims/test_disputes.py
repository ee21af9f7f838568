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
from tests.conftest import another_debtor
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


# --- a partial objection: some of the case's invoices --------------------------------------

@pytest.fixture
def two_invoices(alice_co):
    """A case of two invoices, reminded: F-1001 (1 234.50 kr) and F-1002 (500 kr)."""
    first = register_on(alice_co)
    second = register_on(alice_co, invoice_number="F-1002", amount="500.00")
    assert first.pk == second.pk  # one case per debtor
    collection_day_run(until=REMINDED)
    first.refresh_from_db()
    return first


def invoice(claim, number):
    return claim.invoices.get(invoice_number=number)


def object_to_part(claim, number="F-1002", day=REMINDED):
    return dispute_register(claim_id=claim.pk, channel="phone", reason="not_delivered",
                            text="Den andra fakturan gäller inte mig.", received_on=day,
                            invoice_ids=[invoice(claim, number).pk])


def statement_of(claim, day):
    from claims.selectors import claim_statement

    return claim_statement(Claim.objects.get(pk=claim.pk), as_of=day)[0]


def test_a_partial_objection_holds_that_invoice_and_the_rest_is_collected(two_invoices):
    claim = two_invoices
    dispute = object_to_part(claim)
    claim.refresh_from_db()
    assert claim.status == Status.REMINDER_SENT and claim.next_action_on is not None
    assert dispute.is_partial and dispute.held_from == REMINDED
    assert list(dispute.invoices.values_list("invoice_number", flat=True)) == ["F-1002"]
    later = statement_of(claim, date(2026, 4, 30))
    held = next(i for i in later.invoices if i.invoice_id == invoice(claim, "F-1002").pk)
    assert held.held and later.held_ore == held.capital_ore + held.interest_owed_ore > 50_000
    assert later.collectible_ore == later.total_owed_ore - later.held_ore
    # The undisputed invoice goes on: the demand comes as for any claim.
    collection_day_run(until=date(2026, 5, 5))
    assert Step.objects.filter(claim=claim, kind="demand").exists()
    event = claim.events.filter(kind=Event.Kind.DISPUTE).get()
    assert event.data["invoices"] == ["F-1002"]


def test_paying_what_is_asked_leaves_only_the_held_invoice_and_no_step(two_invoices):
    from claims.services import claim_payment_receive

    claim = two_invoices
    object_to_part(claim)
    day = date(2026, 4, 15)
    asked = statement_of(claim, day).collectible_ore
    received = claim_payment_receive(claim=claim, amount_ore=asked, paid_on=day, today=day,
                                     source="bankgiro", external_id="bg-1")
    assert received.surplus_ore == 0
    claim.refresh_from_db()
    assert claim.status == Status.REMINDER_SENT  # not paid: F-1002 is owed, held
    parts = claim.ledger.filter(kind="paid_capital").values_list("amount_ore", flat=True)
    assert sum(parts) == invoice(claim, "F-1001").amount_ore  # none of F-1002's
    collection_day_run(until=date(2026, 6, 30))
    assert not Step.objects.filter(claim=claim, kind="demand").exists()
    assert statement_of(claim, date(2026, 6, 30)).collectible_ore == 0


def test_upheld_the_invoice_is_asked_for_again_with_its_interest(two_invoices):
    claim = two_invoices
    dispute = object_to_part(claim)
    dispute_resolve(dispute_id=dispute.pk, resolution="continued", reason="Levererat.",
                    today=date(2026, 4, 20), user=None)
    dispute.refresh_from_db()
    assert dispute.held_until == date(2026, 4, 20)
    after = statement_of(claim, date(2026, 4, 20))
    assert after.held_ore == 0 and after.collectible_ore == after.total_owed_ore
    claim.refresh_from_db()
    assert claim.status == Status.REMINDER_SENT and claim.next_action_on is not None


def test_withdrawn_the_invoice_is_written_off_and_a_claim_owing_nothing_is_paid(two_invoices):
    from claims.selectors import claim_balance
    from claims.services import claim_payment_receive

    claim = two_invoices
    dispute = object_to_part(claim)
    day = date(2026, 4, 15)
    claim_payment_receive(claim=claim, amount_ore=statement_of(claim, day).collectible_ore,
                          paid_on=day, today=day, source="bankgiro", external_id="bg-1")
    dispute_resolve(dispute_id=dispute.pk, resolution="withdrawn", reason="Borgenären "
                    "återkallar den fakturan.", today=date(2026, 4, 22), user=None)
    claim.refresh_from_db()
    assert claim.status == Status.PAID and claim.next_action_on is None
    balance = claim_balance(claim)
    assert balance.outstanding == 0
    assert balance.written_off_capital == invoice(claim, "F-1002").amount_ore
    assert balance.written_off_interest > 0  # its interest from the due date to the day
    assert balance.remaining_capital == balance.remaining_interest == 0
    rows = claim.ledger.filter(kind__in=["written_off_capital", "written_off_interest"])
    assert {row.booked_on for row in rows} == {date(2026, 4, 22)}
    assert all("F-1002" in row.legal_basis for row in rows)


def test_withdrawn_while_the_rest_is_owed_the_rest_goes_on(two_invoices):
    claim = two_invoices
    dispute = object_to_part(claim)
    dispute_resolve(dispute_id=dispute.pk, resolution="withdrawn", reason="Återkallad.",
                    today=date(2026, 4, 22), user=None)
    claim.refresh_from_db()
    assert claim.status == Status.REMINDER_SENT and claim.next_action_on is not None
    after = statement_of(claim, date(2026, 5, 22))
    gone = next(i for i in after.invoices if i.invoice_id == invoice(claim, "F-1002").pk)
    assert gone.written_off_on == date(2026, 4, 22) and gone.capital_ore == 0
    assert after.held_ore == 0 and after.capital_ore == invoice(claim, "F-1001").amount_ore
    collection_day_run(until=date(2026, 5, 5))
    assert Step.objects.filter(claim=claim, kind="demand").exists()


def test_a_partial_objection_refuses_what_is_not_of_the_case(two_invoices, alice_co):
    other = register_on(alice_co, invoice_number="G-1", **another_debtor(1))
    with pytest.raises(ClaimError) as info:
        dispute_register(claim_id=two_invoices.pk, channel="post", reason="not_ordered",
                         text="", received_on=REMINDED,
                         invoice_ids=[invoice(other, "G-1").pk])
    assert "invoices" in info.value.errors and not Dispute.objects.exists()
    # Every invoice of the case is the whole claim.
    whole = dispute_register(claim_id=two_invoices.pk, channel="post", reason="not_ordered",
                             text="", received_on=REMINDED,
                             invoice_ids=list(two_invoices.invoices.values_list("pk", flat=True)))
    assert not whole.is_partial
    assert Claim.objects.get(pk=two_invoices.pk).status == Status.DISPUTED
    with pytest.raises(ClaimError) as again:
        object_to_part(two_invoices)
    assert again.value.code in ("open_dispute", "not_open")


def test_a_partly_disputed_claim_is_not_applied_for_at_kronofogden(two_invoices):
    from claims.enforcement import application_of

    object_to_part(two_invoices)
    claim = Claim.objects.select_related("creditor", "debtor").get(pk=two_invoices.pk)
    with pytest.raises(ClaimError) as info:
        application_of(claim, today=date(2026, 6, 1))
    assert info.value.code == "partly_disputed"
