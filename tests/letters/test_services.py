"""Letters against the database: one letter per step, rendered once, checked, delivered on
bank days, to print when there is no digital mailbox, never for a closed claim."""

import csv
import hashlib
import io
from datetime import date

import pytest
from django.core.management import call_command
from django.test import Client
from pypdf import PdfReader

from claims.models import Step
from claims.registration import parse_registration
from claims.selectors import claim_balance
from claims.services import claim_register, claim_report_direct_payment, claim_withdraw
from letters.models import DeliveryAttempt, Letter, PrintBatch
from letters.services import (
    collection_day_run,
    letters_deliver,
    letters_prepare,
    print_batch_close,
)
from tests.conftest import registration_data

pytestmark = pytest.mark.django_db

REGISTERED = date(2026, 4, 2)  # skärtorsdag: the reminder goes on Tuesday 7 April
REMINDER_DAY, DEMAND_DAY = date(2026, 4, 7), date(2026, 4, 23)


def register_on(creditor, **overrides):
    data = registration_data(invoice_date="2026-02-01", due_date="2026-03-01", **overrides)
    registration, errors = parse_registration(data, today=REGISTERED)
    assert not errors, errors
    return claim_register(creditor=creditor, registration=registration, today=REGISTERED)


def test_the_reminder_is_rendered_printed_and_archived_once(alice_co):
    claim = register_on(alice_co)
    days = collection_day_run(until=REMINDER_DAY)
    assert days[-1] == {"day": "2026-04-07", "steps": 1, "prepared": 1, "sent": 0,
                        "printed": 1}
    letter = Letter.objects.get(claim=claim)
    assert (letter.kind, letter.state, letter.channel, letter.sent_on, letter.deadline) == (
        "reminder", "sent", "print", REMINDER_DAY, date(2026, 4, 17))
    with letter.pdf.open("rb") as f:
        pdf = f.read()
    assert hashlib.sha256(pdf).hexdigest() == letter.sha256 and letter.pages == 1
    assert letter.content["invoices"][0]["number"] == "F-1001"
    assert letter.amount_ore == letter.content["total_ore"]
    # Again, and by the command: nothing new.
    collection_day_run(until=REMINDER_DAY)
    call_command("collect", "--date", "2026-04-07", stdout=io.StringIO())
    assert Letter.objects.count() == 1 and PrintBatch.objects.count() == 1


def test_the_print_batch_is_one_pdf_and_a_manifest(alice_co):
    first = register_on(alice_co)
    second = register_on(alice_co, invoice_number="F-2", debtor_identity_number="811288-9863",
                         debtor_name="Eva Exempel")
    collection_day_run(until=REMINDER_DAY)
    batch = PrintBatch.objects.get()
    assert (batch.day, batch.letter_count) == (REMINDER_DAY, 2)
    with batch.pdf.open("rb") as f:
        reader = PdfReader(io.BytesIO(f.read()))
    # Each one-page letter is followed by a blank back page (duplex).
    assert len(reader.pages) == batch.page_count == 4
    with batch.manifest.open("rb") as f:
        rows = list(csv.DictReader(io.StringIO(f.read().decode("utf-8-sig")), delimiter=";"))
    assert [(r["case_number"], r["recipient"], r["first_page"], r["pages"]) for r in rows] == [
        (first.case_number, "Dan Gäldenär", "1", "1"),
        (second.case_number, "Eva Exempel", "3", "1")]
    assert "Dan Gäldenär" in reader.pages[0].extract_text()
    assert "Eva Exempel" in reader.pages[2].extract_text()


def test_the_demand_asks_for_capital_interest_and_both_fees(alice_co):
    claim = register_on(alice_co)
    collection_day_run(until=DEMAND_DAY)
    demand = Letter.objects.get(claim=claim, kind="demand")
    content = demand.content
    assert [f["name"] for f in content["fees"]] == ["Påminnelseavgift", "Inkassoavgift"]
    assert content["capital_ore"] == 123450
    # Interest from the day after the due date (1 March) up to the demand's day.
    assert content["interest"][0]["start"] == "2026-03-02"
    assert content["interest"][-1]["end"] == "2026-04-23"
    assert content["total_ore"] == 123450 + 6000 + 18000 + content["interest_ore"]
    assert content["deadline"] == "2026-05-04" and demand.state == "sent"


def test_a_claim_paid_before_its_letter_goes_out_gets_none(alice_co):
    claim = register_on(alice_co)
    collection_day_run(until=REMINDER_DAY)
    collection_day_run(until=DEMAND_DAY - date.resolution)
    # The tick takes the demand step, then the debtor pays before the letters run.
    from claims.collection import collect_until

    collect_until(until=DEMAND_DAY)
    claim_report_direct_payment(claim=claim, amount_ore=claim_balance(claim).outstanding,
                                paid_on=DEMAND_DAY, today=DEMAND_DAY)
    collection_day_run(until=DEMAND_DAY)
    letters_prepare(today=DEMAND_DAY)
    letters_deliver(today=DEMAND_DAY)
    print_batch_close(day=DEMAND_DAY)
    demand = Letter.objects.get(claim=claim, kind="demand")
    assert demand.state == "cancelled" and not demand.pdf and demand.sent_on is None


def test_a_claim_withdrawn_after_rendering_is_not_sent(alice_co):
    claim = register_on(alice_co)
    from claims.collection import collect_until

    collect_until(until=REMINDER_DAY)
    letters_prepare(today=REMINDER_DAY)
    assert Letter.objects.get().state == "ready"
    claim_withdraw(claim=claim, reason="Fel kund", today=REMINDER_DAY)
    letters_deliver(today=REMINDER_DAY)
    assert print_batch_close(day=REMINDER_DAY) is None
    assert Letter.objects.get().state == "cancelled"


def test_letters_wait_for_a_bank_day(alice_co):
    register_on(alice_co)
    from claims.collection import collect_until

    collect_until(until=REMINDER_DAY)
    letters_prepare(today=REMINDER_DAY)
    saturday = date(2026, 4, 11)
    assert letters_deliver(today=saturday) == 0 and print_batch_close(day=saturday) is None
    assert Letter.objects.get().state == "ready"


def test_a_letter_too_late_for_its_deadline_is_held_for_a_handler(alice_co):
    register_on(alice_co)
    from claims.collection import collect_until

    collect_until(until=REMINDER_DAY)
    letters_prepare(today=REMINDER_DAY)
    letters_deliver(today=date(2026, 4, 17))  # the reminder's own deadline
    letter = Letter.objects.get()
    assert letter.state == "held" and "kunde inte skickas i tid" in letter.problems[0]


def test_a_letter_failing_the_compliance_check_is_held_never_sent(alice_co, settings):
    register_on(alice_co)
    settings.AGENCY = {**settings.AGENCY, "phone": ""}
    collection_day_run(until=REMINDER_DAY)
    letter = Letter.objects.get()
    assert letter.state == "held" and any("kontaktuppgifter" in p for p in letter.problems)
    assert not PrintBatch.objects.exists() and letter.sent_on is None


def test_a_handler_fixes_the_cause_and_the_held_letter_goes_out(alice_co, settings,
                                                                 admin_client):
    register_on(alice_co)
    agency = settings.AGENCY
    settings.AGENCY = {**agency, "phone": ""}
    collection_day_run(until=REMINDER_DAY)
    letter = Letter.objects.get()
    settings.AGENCY = agency
    response = admin_client.post("/admin/letters/letter/", {
        "action": "recheck", "_selected_action": [letter.pk]})
    assert response.status_code == 302
    letter.refresh_from_db()
    assert letter.state == "ready" and letter.problems == [] and letter.sha256
    letters_deliver(today=REMINDER_DAY)
    assert print_batch_close(day=REMINDER_DAY).letter_count == 1


def test_a_step_superseded_by_a_later_one_gets_no_letter(alice_co):
    claim = register_on(alice_co)
    from claims.collection import collect_until

    collect_until(until=DEMAND_DAY)  # letters were down: both steps, no letters yet
    letters_prepare(today=DEMAND_DAY)
    kinds = dict(Letter.objects.filter(claim=claim).values_list("kind", "state"))
    assert kinds == {"reminder": "cancelled", "demand": "ready"}


def test_a_company_debtor_goes_to_print_without_asking_kivra(alice_co):
    register_on(alice_co, debtor_kind="company", debtor_identity_number="556036-0793")
    collection_day_run(until=REMINDER_DAY)
    letter = Letter.objects.get()
    assert letter.channel == "print"
    assert list(letter.attempts.values_list("channel", "outcome")) == [("print", "queued")]


def test_the_claim_page_lists_sent_letters_and_serves_them_to_their_creditor_only(
        alice_co, alice_client, charlie, charlie_co):
    claim = register_on(alice_co)
    collection_day_run(until=REMINDER_DAY)
    letter = Letter.objects.get()
    page = alice_client.get(f"/arenden/{claim.pk}/")
    assert f"/arenden/{claim.pk}/brev/{letter.pk}/pdf/" in page.content.decode()
    response = alice_client.get(f"/arenden/{claim.pk}/brev/{letter.pk}/pdf/")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert hashlib.sha256(b"".join(response.streaming_content)).hexdigest() == letter.sha256
    other = Client()
    other.force_login(charlie)
    assert other.get(f"/arenden/{claim.pk}/brev/{letter.pk}/pdf/").status_code == 404


def test_template_previews_carry_the_creditors_name(alice_client, alice_co):
    page = alice_client.get("/brev/")
    assert page.status_code == 200
    for url in ("/brev/exempel/paminnelse.pdf", "/brev/exempel/inkassokrav.pdf"):
        response = alice_client.get(url)
        assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
        text = PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
        assert "Alice Bygg AB" in text and "Exempel" in text


def test_previews_need_a_login(client):
    assert client.get("/brev/exempel/inkassokrav.pdf").status_code == 302


def test_staff_download_the_print_batch_from_the_admin(alice_co, admin_client):
    register_on(alice_co)
    collection_day_run(until=REMINDER_DAY)
    batch = PrintBatch.objects.get()
    assert admin_client.get("/admin/letters/printbatch/").status_code == 200
    pdf = admin_client.get(f"/admin/letters/printbatch/{batch.pk}/download/pdf/")
    assert pdf.status_code == 200 and b"".join(pdf.streaming_content).startswith(b"%PDF")
    manifest = admin_client.get(f"/admin/letters/printbatch/{batch.pk}/download/csv/")
    assert b"case_number" in b"".join(manifest.streaming_content)
    batch.refresh_from_db()
    assert batch.downloaded_at is not None
    letter = Letter.objects.get()
    assert admin_client.get(f"/admin/letters/letter/{letter.pk}/pdf/").status_code == 200
    assert admin_client.get(f"/admin/letters/letter/{letter.pk}/change/").status_code == 200


def test_a_claim_paid_while_its_letter_waits_for_the_printer_is_not_printed(alice_co):
    claim = register_on(alice_co)
    from claims.collection import collect_until

    collect_until(until=REMINDER_DAY)
    letters_prepare(today=REMINDER_DAY)
    letters_deliver(today=REMINDER_DAY)
    assert Letter.objects.get().state == "to_print"
    claim_withdraw(claim=claim, reason="Betalt till oss", today=REMINDER_DAY)
    assert print_batch_close(day=REMINDER_DAY) is None
    assert Letter.objects.get().state == "cancelled"
