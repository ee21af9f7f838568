"""payments.settlements: the day's settlement per creditor, its statement, the payout file,
the e-mail; and the creditor's pages. Charlie must see nothing of alice's."""

import hashlib
import io
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from pypdf import PdfReader

from claims.models import LedgerEntry
from claims.services import claim_payment_receive, claim_report_direct_payment
from payments import payouts
from payments.models import PayoutFile, Settlement
from payments.settlements import settlement_emails_send, settlements_run
from tests.conftest import another_debtor, register

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def today():
    return timezone.localdate()


def fee(claim, amount=18000):
    LedgerEntry.objects.create(claim=claim, kind=LedgerEntry.Kind.FEE, amount_ore=amount,
                               booked_on=today(), key=f"fee:test:{claim.pk}",
                               legal_basis="test")


def pay(claim, amount, external_id, source="bgmax", day=None):
    return claim_payment_receive(claim=claim, amount_ore=amount, paid_on=day or today(),
                                 today=today(), source=source, external_id=external_id)


def parts(claim, key):
    return {e.kind: e.amount_ore for e in LedgerEntry.objects.filter(claim=claim,
                                                                     key__startswith=key + ">")}


def pdf_text(settlement) -> str:
    with settlement.pdf.open("rb") as f:
        return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(f.read())).pages)


@pytest.fixture
def paid_day(alice_co, alice, charlie_co):
    """Alice: one case paid in full with a fee and a surplus, another partly, a third paid
    directly to her. Charlie: one case paid partly."""
    whole = register(alice_co, alice)
    fee(whole)
    pay(whole, 200000, "A1")
    partly = register(alice_co, alice, invoice_number="F-2", **another_debtor(1))
    pay(partly, 50000, "A2", source="swish")
    direct = register(alice_co, alice, invoice_number="F-3", **another_debtor(2))
    claim_report_direct_payment(claim=direct, amount_ore=10000, paid_on=today(), today=today())
    theirs = register(charlie_co, None, invoice_number="C-1", **another_debtor(3))
    pay(theirs, 30000, "C1")
    return {"whole": whole, "partly": partly, "direct": direct, "theirs": theirs}


def expected_payout(*claims_and_keys):
    total = 0
    for claim, key in claims_and_keys:
        p = parts(claim, key)
        total += p.get("paid_capital", 0) + p.get("paid_interest", 0)
    return total


def test_settles_each_creditor_once_and_pays_out_capital_and_interest_only(paid_day, alice_co,
                                                                           charlie_co):
    summary = settlements_run(day=today())
    assert summary["settlements"] == 2
    alice_s = Settlement.objects.get(creditor=alice_co, day=today())
    whole = parts(paid_day["whole"], "payment:bgmax:A1")
    assert whole["paid_costs"] == 18000 and whole["surplus"] > 0
    assert alice_s.fees_ore == 18000
    assert alice_s.surplus_ore == whole["surplus"]
    assert alice_s.payout_ore == expected_payout((paid_day["whole"], "payment:bgmax:A1"),
                                                 (paid_day["partly"], "payment:swish:A2"))
    assert alice_s.payout_ore == alice_s.capital_ore + alice_s.interest_ore
    # The direct payment is not in the settlement.
    cases = {line["case_number"] for line in alice_s.lines}
    assert cases == {paid_day["whole"].case_number, paid_day["partly"].case_number}
    assert alice_s.bankgiro == "50501055"
    charlie_s = Settlement.objects.get(creditor=charlie_co, day=today())
    assert [line["case_number"] for line in charlie_s.lines] == [paid_day["theirs"].case_number]


def test_a_second_run_changes_nothing(paid_day):
    settlements_run(day=today())
    before = list(Settlement.objects.values_list("id", "payout_ore", "sha256", "payout_file_id"))
    files = list(PayoutFile.objects.values_list("id", "sha256"))
    assert settlements_run(day=today()) == {"settlements": 0, "payout_file": None}
    assert list(Settlement.objects.values_list("id", "payout_ore", "sha256",
                                               "payout_file_id")) == before
    assert list(PayoutFile.objects.values_list("id", "sha256")) == files


def test_a_day_without_payments_to_the_agency_settles_nothing(alice_co, alice):
    claim = register(alice_co, alice)
    claim_report_direct_payment(claim=claim, amount_ore=10000, paid_on=today(), today=today())
    assert settlements_run(day=today()) == {"settlements": 0, "payout_file": None}
    assert not Settlement.objects.exists() and not PayoutFile.objects.exists()


def test_only_the_days_payments(paid_day, alice_co):
    yesterday = today() - timedelta(days=1)
    assert settlements_run(day=yesterday)["settlements"] == 0


def test_the_lb_payout_file_pays_each_creditor_its_payout(paid_day, settings):
    settings.PAYOUT_FORMAT = "lb"
    settlements_run(day=today())
    payout_file = PayoutFile.objects.get()
    parsed = payouts.parse_lb(bytes(payout_file.content))
    settlements = Settlement.objects.order_by("creditor__name")
    assert parsed.count == payout_file.count == 2
    assert parsed.total_ore == payout_file.total_ore == sum(s.payout_ore for s in settlements)
    assert {(p.bankgiro, p.amount_ore) for p in parsed.payments} == {
        (s.bankgiro, s.payout_ore) for s in settlements}
    assert parsed.sender_bankgiro == settings.AGENCY["bankgiro"]
    assert all(s.payout_file_id == payout_file.pk for s in settlements)


def test_the_pain001_payout_file(paid_day, settings):
    settings.PAYOUT_FORMAT = "pain001"
    settlements_run(day=today())
    payout_file = PayoutFile.objects.get()
    assert payout_file.format == "pain001"
    content = bytes(payout_file.content)
    assert b"pain.001.001.03" in content and b"<Prtry>BGNR</Prtry>" in content
    assert f"<NbOfTxs>{payout_file.count}</NbOfTxs>".encode() in content


def test_a_payment_of_the_day_booked_after_the_run_goes_in_a_second_file(alice_co, alice,
                                                                           charlie_co):
    pay(register(alice_co, alice), 50000, "A1")
    settlements_run(day=today())
    # Charlie's payment of the same day is booked after the run (a late file).
    pay(register(charlie_co, None, invoice_number="C-1", **another_debtor(3)), 30000, "C1")
    assert settlements_run(day=today())["settlements"] == 1
    assert list(PayoutFile.objects.order_by("sequence").values_list("sequence", "count")) == [
        (1, 1), (2, 1)]
    assert not Settlement.objects.filter(payout_file__isnull=True).exists()


def test_the_statement_lists_every_case_and_amount(paid_day, alice_co):
    settlements_run(day=today())
    settlement = Settlement.objects.get(creditor=alice_co)
    with settlement.pdf.open("rb") as f:
        pdf = f.read()
    assert pdf.startswith(b"%PDF")
    assert settlement.sha256 == hashlib.sha256(pdf).hexdigest()
    text = pdf_text(settlement)
    assert "Avräkningsnota" in text
    for line in settlement.lines:
        assert line["case_number"] in text
    assert paid_day["direct"].case_number not in text
    assert "5050-1055" in text  # paid out to the creditor's bankgiro


def test_the_statement_is_emailed_once_with_its_pdf(paid_day, alice_co,
                                                   django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        settlements_run(day=today())
    assert sorted(m.to[0] for m in mail.outbox) == ["charlie@example.se", "ekonomi@alicebygg.se"]
    message = next(m for m in mail.outbox if m.to == ["ekonomi@alicebygg.se"])
    assert "Avräkning" in message.subject
    (name, content, kind), = message.attachments
    assert kind == "application/pdf" and content.startswith(b"%PDF")
    assert Settlement.objects.filter(emailed_at__isnull=True).count() == 0
    with django_capture_on_commit_callbacks(execute=True):
        settlements_run(day=today())
    assert settlement_emails_send() == 0
    assert len(mail.outbox) == 2


def test_a_failed_email_stays_due(paid_day, monkeypatch):
    from django.core.mail import EmailMessage

    def broken(self, *a, **k):
        raise OSError("smtp down")

    monkeypatch.setattr(EmailMessage, "send", broken)
    settlements_run(day=today())
    assert settlement_emails_send() == 0
    assert Settlement.objects.filter(emailed_at__isnull=True).count() == 2
    monkeypatch.undo()
    assert settlement_emails_send() == 2
    assert settlement_emails_send() == 0


# --- The creditor's pages ---

def test_settlement_page_lists_alices_settlements_and_serves_the_pdf(paid_day, alice_client,
                                                                    alice_co):
    settlements_run(day=today())
    response = alice_client.get("/avrakningar/")
    assert response.status_code == 200
    mine = Settlement.objects.get(creditor=alice_co)
    assert list(response.context["page"].object_list) == [mine]
    pdf = alice_client.get(f"/avrakningar/{mine.pk}/pdf/")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"


def test_charlie_sees_nothing_of_alices_settlements(paid_day, charlie_client, alice_co,
                                                    charlie_co):
    settlements_run(day=today())
    alices = Settlement.objects.get(creditor=alice_co)
    response = charlie_client.get("/avrakningar/")
    assert [s.creditor_id for s in response.context["page"].object_list] == [charlie_co.pk]
    assert charlie_client.get(f"/avrakningar/{alices.pk}/pdf/").status_code == 404


def test_payments_page_shows_each_payment_with_its_allocation(paid_day, alice_client):
    response = alice_client.get("/betalningar/")
    assert response.status_code == 200
    rows = response.context["rows"]
    by_case = {row["entry"].claim.case_number: row for row in rows}
    assert set(by_case) == {paid_day[k].case_number for k in ("whole", "partly", "direct")}
    whole = by_case[paid_day["whole"].case_number]
    assert whole["costs"] == 18000 and whole["surplus"] > 0
    assert str(whole["channel"]) == "Bankgiro (BgMax)"
    assert by_case[paid_day["direct"].case_number]["capital"] > 0
    assert paid_day["theirs"].case_number not in response.content.decode()


def test_charlie_sees_none_of_alices_payments(paid_day, charlie_client):
    rows = charlie_client.get("/betalningar/").context["rows"]
    assert [row["entry"].claim_id for row in rows] == [paid_day["theirs"].pk]


def test_the_pages_need_a_creditor(client):
    assert client.get("/avrakningar/").status_code == 302
    assert client.get("/betalningar/").status_code == 302


def test_staff_download_the_payout_file_in_the_admin(paid_day, admin_client):
    settlements_run(day=today())
    payout_file = PayoutFile.objects.get()
    assert admin_client.get("/admin/payments/payoutfile/").status_code == 200
    assert admin_client.get("/admin/payments/settlement/").status_code == 200
    response = admin_client.get(f"/admin/payments/payoutfile/{payout_file.pk}/download/")
    assert response.status_code == 200
    assert response.content == bytes(payout_file.content)
    assert payout_file.filename in response["Content-Disposition"]


def test_the_beat_runs_the_settlement_after_the_print_batch(settings):
    beat = settings.CELERY_BEAT_SCHEDULE
    assert beat["settlements"]["task"] == "payments.tasks.settlements_run_task"
    assert beat["settlements"]["schedule"].hour == {17}
    assert beat["print-batch"]["schedule"].hour == {16}


def test_the_task_settles_today(paid_day):
    from payments.tasks import settlements_run_task

    settlements_run_task()
    assert Settlement.objects.filter(day=today()).count() == 2


def test_a_payment_recorded_after_its_days_run_is_paid_out_by_the_next_run(alice_co):
    """A BgMax file arrives the morning after the payments in it: the payments are dated the
    day before, whose settlement has run already. They go with the next run, once."""
    from datetime import date

    from claims.services import claim_payment_receive
    from payments.models import SettledPayment, Settlement
    from payments.settlements import settlements_run
    from tests.conftest import register

    claim = register(alice_co)
    monday, tuesday = date(2026, 11, 23), date(2026, 11, 24)
    settlements_run(day=monday)  # nothing paid yet
    claim_payment_receive(claim=claim, amount_ore=50000, paid_on=monday, today=tuesday,
                          source="bgmax", external_id="late-1")
    settlements_run(day=tuesday)
    settlement = Settlement.objects.get()
    assert settlement.day == tuesday and settlement.capital_ore + settlement.interest_ore > 0
    settlements_run(day=tuesday)
    settlements_run(day=date(2026, 11, 25))
    assert Settlement.objects.count() == 1 and SettledPayment.objects.count() == 1
