"""The application for betalningsföreläggande against the database: prepared once when a claim
is sent to Kronofogden, with the capital, interest and fees still owed; held with its problems
when it cannot be made; sent by a handler, which books Kronofogden's fee; its readable PDF."""

import io
from datetime import date

import pytest
from pypdf import PdfReader

from claims import kronofogden as kfm
from claims.decisions import claim_decide
from claims.enforcement import (
    kfm_answer_record,
    kfm_application_prepare,
    kfm_application_retry,
    kfm_application_send,
    kfm_applications_prepare,
)
from claims.law_seed import seed_law_tables
from claims.models import (
    Claim,
    Event,
    KronofogdenApplication,
    LedgerEntry,
    ReferenceRate,
    StatutoryFee,
)
from claims.selectors import claim_balance, claim_statement
from claims.services import ClaimError, claim_payment_receive
from claims.tasks import kfm_application_prepare_task
from letters.services import kfm_application_pdf
from tests.claims.test_decisions import DECISION_DAY, bring_to_decision

pytestmark = pytest.mark.django_db

APPLIED = date(2026, 5, 12)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def at_kfm(alice_co):
    claim = bring_to_decision(alice_co)[0]
    claim_decide(claim_id=claim.pk, choice="kronofogden", today=DECISION_DAY)
    return claim


def kinds(app):
    return [(s.kind, s.amount_ore) for s in app.sub_claims]


def test_the_application_claims_what_is_owed_as_separate_sub_claims(at_kfm):
    application = kfm_application_prepare(claim_id=at_kfm.pk, today=APPLIED)
    assert application.state == "prepared" and application.reference == at_kfm.case_number
    app = kfm.parse_application_xml(bytes(application.xml))
    balance = claim_balance(at_kfm)
    capital, interest, reminder, collection = app.sub_claims
    assert (capital.kind, capital.amount_ore, capital.due_date) == ("capital", 123450,
                                                                    date(2026, 3, 1))
    assert capital.interest_from == date(2026, 5, 13) and app.interest_running
    assert interest.kind == "interest" and interest.amount_ore >= balance.interest > 0
    assert [(f.kind, f.amount_ore) for f in (reminder, collection)] == [
        ("reminder_fee", 6000), ("collection_fee", 18000)]
    assert all("1981:739" in f.legal_basis for f in (reminder, collection))
    assert app.respondent.identity_number == at_kfm.debtor.identity_number
    assert app.applicant.name == at_kfm.creditor.name
    assert "F-0" in kfm.grounds_text(app) and "OCR" not in kfm.grounds_text(app)
    assert (application.capital_ore, application.fees_ore) == (123450, 24000)
    event = at_kfm.events.get(kind=Event.Kind.KRONOFOGDEN)
    assert "prepared" in event.data["state"] and "Kronofogden" in event.text
    # The same decision again is the same application.
    assert kfm_application_prepare(claim_id=at_kfm.pk, today=APPLIED) == application
    assert KronofogdenApplication.objects.count() == 1


def test_payments_pay_the_oldest_cost_first(at_kfm):
    claim_payment_receive(claim=at_kfm, amount_ore=10000, paid_on=DECISION_DAY,
                          today=DECISION_DAY, source="bgmax", external_id="p1")
    app = kfm.parse_application_xml(bytes(
        kfm_application_prepare(claim_id=at_kfm.pk, today=APPLIED).xml))
    fees = [(s.kind, s.amount_ore) for s in app.sub_claims if s.kind.endswith("fee")]
    assert fees == [("collection_fee", 14000)]  # the 60 kr reminder fee, then 40 kr of 180


def test_a_claim_not_sent_to_kronofogden_gets_no_application(alice_co):
    claim = bring_to_decision(alice_co)[0]
    with pytest.raises(ClaimError):
        kfm_application_prepare(claim_id=claim.pk, today=APPLIED)
    claim_decide(claim_id=claim.pk, choice="surveillance", today=DECISION_DAY)
    with pytest.raises(ClaimError):
        kfm_application_prepare(claim_id=claim.pk, today=APPLIED)
    assert not KronofogdenApplication.objects.exists()


def test_without_the_rates_it_is_held_with_the_reason_then_made_again(at_kfm):
    ReferenceRate.objects.all().delete()
    held = kfm_application_prepare(claim_id=at_kfm.pk, today=APPLIED)
    assert held.state == "held" and held.problems and not held.sha256
    event = at_kfm.events.get(kind=Event.Kind.KRONOFOGDEN)
    assert event.data["state"] == "held" and held.problems[0]["message"] in event.text
    with pytest.raises(ClaimError):
        kfm_application_send(application_id=held.pk, today=APPLIED, user=None)
    seed_law_tables(StatutoryFee, ReferenceRate)
    made = kfm_application_retry(application_id=held.pk, today=APPLIED)
    assert made.state == "prepared" and made.sha256 and made.problems == []


def test_sending_books_kronofogdens_fee_once(at_kfm, admin_user):
    application = kfm_application_prepare(claim_id=at_kfm.pk, today=APPLIED)
    fees_before = claim_balance(at_kfm).fees
    sent = kfm_application_send(application_id=application.pk, today=APPLIED, user=admin_user)
    assert (sent.state, sent.sent_on, sent.sent_by) == ("sent", APPLIED, admin_user)
    fee = at_kfm.ledger.get(key="fee:kfm_application_fee:1")
    assert (fee.kind, fee.amount_ore) == (LedgerEntry.Kind.FEE, 30000)
    assert "Kronofogden" in fee.legal_basis
    assert claim_balance(at_kfm).fees == fees_before + 30000
    with pytest.raises(ClaimError):
        kfm_application_send(application_id=application.pk, today=APPLIED, user=admin_user)
    assert at_kfm.ledger.filter(key__startswith="fee:kfm").count() == 1


def test_the_task_and_the_sweep_prepare_what_a_decision_left(at_kfm):
    kfm_application_prepare_task(at_kfm.pk)
    assert KronofogdenApplication.objects.get().state == "prepared"
    assert kfm_applications_prepare(today=APPLIED) == 0


def test_the_sweep_prepares_an_application_a_lost_task_left(at_kfm):
    assert kfm_applications_prepare(today=APPLIED) == 1
    assert kfm_applications_prepare(today=APPLIED) == 0


def test_the_decision_queues_the_application_after_commit(alice_co,
                                                           django_capture_on_commit_callbacks,
                                                           monkeypatch):
    queued = []
    monkeypatch.setattr("claims.tasks.kfm_application_prepare_task.delay", queued.append)
    claim = bring_to_decision(alice_co)[0]
    with django_capture_on_commit_callbacks(execute=True):
        claim_decide(claim_id=claim.pk, choice="kronofogden", today=DECISION_DAY)
    assert queued == [claim.pk]


def test_the_readable_copy_is_the_file_rendered_once(at_kfm):
    application = kfm_application_prepare(claim_id=at_kfm.pk, today=APPLIED)
    pdf = kfm_application_pdf(application_id=application.pk)
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "Ansökan om betalningsföreläggande" in text and at_kfm.case_number in text
    assert "1 234,50" in text.replace("\xa0", " ")
    application.refresh_from_db()
    assert application.pdf and kfm_application_pdf(application_id=application.pk) == pdf


def test_the_handlers_admin(admin_client, at_kfm):
    application = kfm_application_prepare(claim_id=at_kfm.pk, today=APPLIED)
    listing = admin_client.get("/admin/claims/kronofogdenapplication/")
    assert listing.status_code == 200 and application.reference in listing.content.decode()
    xml = admin_client.get(f"/admin/claims/kronofogdenapplication/{application.pk}/fil/xml/")
    assert xml.status_code == 200 and bytes(xml.content) == bytes(application.xml)
    pdf = admin_client.get(f"/admin/claims/kronofogdenapplication/{application.pk}/fil/pdf/")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    done = admin_client.post("/admin/claims/kronofogdenapplication/", {
        "action": "mark_sent", "_selected_action": [application.pk]})
    assert done.status_code == 302
    application.refresh_from_db()
    assert application.state == "sent"
    page = admin_client.get(f"/admin/claims/claim/{at_kfm.pk}/change/")
    assert page.status_code == 200


# --- Kronofogden's answers ---------------------------------------------------------------------

@pytest.fixture
def sent(at_kfm):
    application = kfm_application_prepare(claim_id=at_kfm.pk, today=APPLIED)
    return kfm_application_send(application_id=application.pk, today=APPLIED, user=None)


def answer(application, what, day=APPLIED, **extra):
    return kfm_answer_record(application_id=application.pk, answer=what, on=day, user=None,
                             **extra)


def test_received_served_utslag_enforcement_then_no_assets(sent, at_kfm):
    answer(sent, "received", kfm_case_number="BF-12345-26")
    answer(sent, "served")
    answer(sent, "judgment")
    application = answer(sent, "enforcement")
    assert application.kfm_case_number == "BF-12345-26"
    fee = at_kfm.ledger.get(key="fee:kfm_enforcement_fee:1")
    assert fee.amount_ore == 60000 and "verkställighet" in fee.legal_basis
    answer(sent, "no_assets")
    at_kfm.refresh_from_db()
    assert at_kfm.status == "surveillance"
    texts = [e.text for e in at_kfm.events.filter(kind=Event.Kind.KRONOFOGDEN)]
    assert any("utslag" in t for t in texts) and any("SUT" in t for t in texts)
    assert any("BF-12345-26" in t for t in texts)


def test_an_objection_disputes_the_claim_and_stops_the_way_to_utslag(sent, at_kfm):
    from claims.disputes import dispute_resolve
    from claims.models import Dispute

    answer(sent, "objected", note="Gäldenären menar att arbetet inte är utfört.")
    at_kfm.refresh_from_db()
    assert at_kfm.status == "disputed"
    with pytest.raises(ClaimError) as info:
        answer(sent, "judgment")
    assert info.value.code == "answer_out_of_order"
    # The creditor is asked, a handler resolves: to court, never back to Kronofogden.
    dispute = Dispute.objects.get(claim=at_kfm)
    assert (dispute.channel, dispute.text) == ("kronofogden",
                                               "Gäldenären menar att arbetet inte är utfört.")
    with pytest.raises(ClaimError) as info:
        dispute_resolve(dispute_id=dispute.pk, resolution="continued", reason="x",
                        today=APPLIED, user=None)
    assert info.value.code == "kfm_objection"
    dispute_resolve(dispute_id=dispute.pk, resolution="court",
                    reason="Uppdragsgivaren begär överlämnande till tingsrätten.",
                    today=APPLIED, user=None)
    assert Claim.objects.get(pk=at_kfm.pk).status == "disputed"


@pytest.mark.parametrize("what", ["judgment", "enforcement", "no_assets", "nonsense"])
def test_an_answer_out_of_order_is_refused_and_changes_nothing(sent, at_kfm, what):
    with pytest.raises(ClaimError):
        answer(sent, what)
    sent.refresh_from_db()
    assert sent.state == "sent"
    assert not at_kfm.ledger.filter(key__startswith="fee:kfm_enforcement").exists()


def test_a_payment_from_kronofogden_is_booked_once_and_can_close_the_claim(sent, at_kfm,
                                                                          admin_user):
    from payments.enforcement import kronofogden_payment_record
    from payments.models import IncomingPayment

    answer(sent, "received", kfm_case_number="BF-1")
    payment = kronofogden_payment_record(application_id=sent.pk, amount_ore=50000,
                                         paid_on=APPLIED, reference="U-77", today=APPLIED,
                                         user=admin_user)
    assert (payment.source, payment.state, payment.external_id) == ("kfm", "booked",
                                                                    "BF-1:U-77")
    assert at_kfm.ledger.filter(kind="payment", key="payment:kfm:BF-1:U-77").exists()
    with pytest.raises(ClaimError) as info:
        kronofogden_payment_record(application_id=sent.pk, amount_ore=50000, paid_on=APPLIED,
                                   reference="U-77", today=APPLIED, user=admin_user)
    assert info.value.code == "duplicate"
    assert IncomingPayment.objects.filter(source="kfm").count() == 1
    owed, _problem = claim_statement(at_kfm, as_of=APPLIED)
    kronofogden_payment_record(application_id=sent.pk, amount_ore=owed.total_owed_ore,
                               paid_on=APPLIED, reference="U-78", today=APPLIED,
                               user=admin_user)
    at_kfm.refresh_from_db()
    assert at_kfm.status == "paid"


def test_handlers_record_answers_and_payments_in_the_admin(admin_client, sent, at_kfm):
    base = f"/admin/claims/kronofogdenapplication/{sent.pk}"
    page = admin_client.get(f"{base}/change/")
    assert f"{base}/svar/" in page.content.decode()
    bad = admin_client.post(f"{base}/svar/", {"answer": "judgment", "on": "2026-05-13"})
    assert bad.status_code == 200 and b"errorlist" in bad.content
    done = admin_client.post(f"{base}/svar/", {"answer": "received", "on": "2026-05-13",
                                               "kfm_case_number": "BF-9"})
    assert done.status_code == 302
    sent.refresh_from_db()
    assert (sent.state, sent.kfm_case_number) == ("received", "BF-9")
    money = admin_client.post(f"{base}/betalning/", {"amount": "100,00",
                                                     "paid_on": "2026-05-14",
                                                     "reference": "U-1"})
    assert money.status_code == 302
    assert at_kfm.ledger.filter(key="payment:kfm:BF-9:U-1", amount_ore=10000).exists()
    wrong = admin_client.post(f"{base}/betalning/", {"amount": "tio kronor",
                                                     "paid_on": "2026-05-14",
                                                     "reference": "U-2"})
    assert wrong.status_code == 200 and b"errorlist" in wrong.content
