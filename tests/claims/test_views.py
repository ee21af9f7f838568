"""The creditor's claim pages: register, list, detail, withdraw, report a payment, the PDF."""

import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from pypdf import PdfWriter

from claims.models import Claim, Invoice, LedgerEntry, Status
from claims.selectors import claim_statement
from ekrav.money import ore_to_str
from tests.conftest import another_debtor, register, registration_data

pytestmark = pytest.mark.django_db


def pdf_bytes():
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def post_claim(client, **overrides):
    return client.post("/arenden/nytt/", registration_data(**overrides))


def test_register_a_claim_with_a_pdf(alice_client, alice_co):
    upload = SimpleUploadedFile("faktura 1001.pdf", pdf_bytes(), content_type="application/pdf")
    response = alice_client.post("/arenden/nytt/", {**registration_data(), "pdf": upload})
    claim = Claim.objects.get()
    assert response["Location"] == f"/arenden/{claim.pk}/"
    assert claim.source == Claim.Source.WEB and claim.creditor == alice_co
    invoice = claim.invoices.get()
    assert invoice.pdf_name == "faktura 1001.pdf"
    assert "faktura" not in invoice.pdf.name  # stored under a random name
    pdf = alice_client.get(f"/arenden/{claim.pk}/fakturor/{invoice.pk}/pdf/")
    assert pdf["Content-Type"] == "application/pdf"
    assert b"".join(pdf.streaming_content).startswith(b"%PDF-")


@pytest.mark.parametrize("content,fragment", [
    (b"just text pretending", "not a PDF"),
    (b"%PDF-1.7\nthis is not really a pdf", "damaged"),
])
def test_a_fake_pdf_is_refused_and_nothing_is_written(alice_client, content, fragment):
    alice_client.cookies["django_language"] = "en"
    upload = SimpleUploadedFile("f.pdf", content, content_type="application/pdf")
    response = alice_client.post("/arenden/nytt/", {**registration_data(), "pdf": upload})
    assert response.status_code == 200
    assert fragment in response.context["form"].errors["pdf"][0]
    assert not Claim.objects.exists()


def test_a_pdf_over_10_mb_is_refused(alice_client, settings):
    settings.INVOICE_PDF_MAX_BYTES = 1000
    upload = SimpleUploadedFile("f.pdf", pdf_bytes() + b" " * 1000)
    response = alice_client.post("/arenden/nytt/", {**registration_data(), "pdf": upload})
    assert "pdf" in response.context["form"].errors
    assert not Claim.objects.exists()


def test_bad_fields_are_named_and_the_input_kept(alice_client):
    response = post_claim(alice_client, debtor_identity_number="811228-9875",
                          debtor_postal_code="1234")
    form = response.context["form"]
    assert set(form.errors) == {"debtor_identity_number", "debtor_postal_code"}
    assert b"Dan G\xc3\xa4ld" in response.content  # what was typed is still there
    assert not Claim.objects.exists()


def test_a_future_due_date_is_refused(alice_client):
    due = (timezone.localdate() + timedelta(days=3)).isoformat()
    response = post_claim(alice_client, due_date=due)
    assert "due_date" in response.context["form"].errors


def test_a_duplicate_invoice_number_names_the_case(alice_client, alice_claim):
    response = post_claim(alice_client)
    assert alice_claim.case_number in response.context["form"].errors["invoice_number"][0]
    assert Claim.objects.count() == 1


def test_foreign_debtors_are_refused_with_a_reason(alice_client):
    alice_client.cookies["django_language"] = "en"
    response = post_claim(alice_client, debtor_identity_number="DK 120345-1234")
    assert "foreign" in response.context["form"].errors["debtor_identity_number"][0]


def test_list_filters_searches_and_paginates(alice_client, alice_co):
    for i in range(30):  # 30 debtors: one debtor's invoices would join one case
        register(alice_co, invoice_number=f"F-{i:03d}",
                 **{**another_debtor(i + 1), "debtor_name": "Bygg Bengtsson"})
    target = register(alice_co, invoice_number="X-777", debtor_name="Zlatan Zäta",
                      debtor_identity_number="811288-9863")
    Claim.objects.filter(pk=target.pk).update(status=Status.WITHDRAWN)
    page1 = alice_client.get("/")
    assert len(page1.context["rows"]) == 25 and page1.context["page"].paginator.count == 31
    assert len(alice_client.get("/?page=2").context["rows"]) == 6
    for query in ("X-777", "Zlatan", target.case_number, "8112889863"):
        rows = alice_client.get("/", {"q": query}).context["rows"]
        assert [c.pk for c, _ in rows] == [target.pk], query
    rows = alice_client.get("/", {"status": "withdrawn"}).context["rows"]
    assert [c.pk for c, _ in rows] == [target.pk]
    assert alice_client.get("/", {"status": "bogus"}).status_code == 200


def test_list_query_count_does_not_grow_with_claims(alice_client, alice_co,
                                                   django_assert_max_num_queries):
    for i in range(3):
        register(alice_co, invoice_number=f"A-{i}", **another_debtor(i + 1))
    with django_assert_max_num_queries(16) as few:
        alice_client.get("/")
    for i in range(20):
        register(alice_co, invoice_number=f"B-{i}", **another_debtor(i + 10))
    assert Claim.objects.count() == 23
    with django_assert_max_num_queries(len(few.captured_queries)):
        alice_client.get("/")


def test_withdraw_from_the_detail_page(alice_client, alice_claim):
    response = alice_client.post(f"/arenden/{alice_claim.pk}/aterkalla/",
                                 {"reason": "Kunden har betalat till fel konto"}, follow=True)
    alice_claim.refresh_from_db()
    assert alice_claim.status == Status.WITHDRAWN
    assert "fel konto" in response.content.decode()


def test_report_a_direct_payment(alice_client, alice_claim):
    today = timezone.localdate().isoformat()
    alice_client.post(f"/arenden/{alice_claim.pk}/betalning/", {"amount": "234,50",
                                                                 "paid_on": today})
    response = alice_client.post(f"/arenden/{alice_claim.pk}/betalning/",
                                 {"amount": "5000", "paid_on": today})
    assert response.status_code == 400  # more than is owed: said, and nothing booked
    # Capital, the payment and the interest to its day; the payment's allocation detailed.
    assert alice_claim.ledger.exclude(kind__in=LedgerEntry.ALLOCATIONS).count() == 3
    allocated = alice_claim.ledger.filter(kind__in=LedgerEntry.ALLOCATIONS)
    assert sum(allocated.values_list("amount_ore", flat=True)) == 23450
    alice_client.post(f"/arenden/{alice_claim.pk}/betalning/", {"amount": "1000",
                                                                 "paid_on": today})
    alice_claim.refresh_from_db()
    assert alice_claim.status == Status.REGISTERED  # the interest is still owed
    owed, _problem = claim_statement(alice_claim, as_of=timezone.localdate())
    assert 0 < owed.total_owed_ore == owed.interest_owed_ore + owed.capital_ore < 1000
    alice_client.post(f"/arenden/{alice_claim.pk}/betalning/",
                      {"amount": ore_to_str(owed.total_owed_ore), "paid_on": today})
    alice_claim.refresh_from_db()
    assert alice_claim.status == Status.PAID


def test_pages_say_which_company_is_active(alice_client, alice_claim):
    for url in ("/", "/arenden/nytt/", f"/arenden/{alice_claim.pk}/", "/anvandare/",
                "/foretag/", "/import/"):
        response = alice_client.get(url)
        assert response.status_code == 200, url
        assert b'data-testid="active-company">Alice Bygg AB<' in response.content, url


def test_the_claim_page_shows_interest_to_date_line_by_line(alice_client, alice, alice_co):
    import time_machine

    # Due 2026-03-01: interest from 2 March at 10.00 % (2.00 % + 8) on 1 234,50 kr.
    claim = register(alice_co, invoice_date="2026-02-01", due_date="2026-03-01")
    with time_machine.travel(date(2026, 3, 31), tick=False):
        alice_client.force_login(alice)  # the session would have expired by then
        response = alice_client.get(f"/arenden/{claim.pk}/")
    statement = response.context["statement"]
    [line] = statement.interest_lines
    assert (line.start, line.end, line.days, line.rate) == (
        date(2026, 3, 2), date(2026, 3, 31), 30, Decimal("10.00"))
    # 123450 öre × 10 % × 30 / 365 = 1014.66 öre -> 1015
    assert line.amount_ore == statement.interest_accrued_ore == 1015
    assert statement.total_owed_ore == 123450 + 1015
    assert b'data-testid="interest-lines"' in response.content


def test_interest_can_be_switched_off_for_the_creditor(alice_client, alice_co):
    alice_co.policy.interest_enabled = False
    alice_co.policy.save()
    claim = register(alice_co)
    response = alice_client.get(f"/arenden/{claim.pk}/")
    assert response.context["statement"].interest_accrued_ore == 0


# --- one case per debtor (issue 3): the form says where the invoice went ----------------------

def messages_of(response):
    return [str(m) for m in response.context["messages"]]


def test_an_invoice_for_a_debtor_with_an_open_case_joins_it_and_says_so(alice_client):
    alice_client.cookies["django_language"] = "en"
    first = alice_client.post("/arenden/nytt/", registration_data(invoice_number="F-1"),
                              follow=True)
    claim = Claim.objects.get()
    assert first.redirect_chain == [(f"/arenden/{claim.pk}/", 302)]

    # The same debtor, the personnummer written another way: the same case.
    response = alice_client.post("/arenden/nytt/", registration_data(
        invoice_number="F-2", amount="500", debtor_identity_number="811228-9874"), follow=True)

    assert response.redirect_chain == [(f"/arenden/{claim.pk}/", 302)]
    assert Claim.objects.count() == 1
    assert sorted(claim.invoices.values_list("invoice_number", flat=True)) == ["F-1", "F-2"]
    [message] = messages_of(response)
    assert message == (f"Invoice F-2 was added to case {claim.case_number}, which has not had "
                       "its collection demand yet. The case's reminder, with this invoice in it, "
                       "goes out on the next bank day.")
    assert "F-2" in response.content.decode()  # the case page lists it


def test_after_the_reminder_the_joined_invoice_is_first_in_the_demand(alice_client, alice_co,
                                                                      alice):
    import time_machine

    from claims.collection import collect_until

    alice_client.cookies["django_language"] = "en"
    with time_machine.travel(date(2026, 4, 2), tick=False):
        claim = register(alice_co, alice, invoice_number="F-1", invoice_date="2026-02-01",
                         due_date="2026-03-01")
    collect_until(until=date(2026, 4, 7))  # the reminder goes out after Easter
    with time_machine.travel(date(2026, 4, 10), tick=False):
        alice_client.force_login(alice)
        response = post_claim(alice_client, invoice_number="F-2", invoice_date="2026-03-01",
                              due_date="2026-03-31")
        assert response["Location"] == f"/arenden/{claim.pk}/"
        [message] = messages_of(alice_client.get(response["Location"]))
    assert message == (f"Invoice F-2 was added to case {claim.case_number}, which has not had "
                       "its collection demand yet. The case's reminder has already gone out, so "
                       "the invoice is first in its collection demand.")
    claim.refresh_from_db()
    assert claim.status == Status.REMINDER_SENT and claim.invoices.count() == 2


@pytest.mark.parametrize("status", [Status.DEMAND_SENT, Status.AWAITING_DECISION,
                                    Status.WITHDRAWN, Status.PAID])
def test_a_case_past_its_demand_is_not_joined_a_new_case_opens(alice_client, alice_co, alice,
                                                               status):
    alice_client.cookies["django_language"] = "en"
    old = register(alice_co, alice, invoice_number="F-1")
    Claim.objects.filter(pk=old.pk).update(status=status)
    response = post_claim(alice_client, invoice_number="F-2")
    new = Claim.objects.exclude(pk=old.pk).get()
    assert response["Location"] == f"/arenden/{new.pk}/"
    [message] = messages_of(alice_client.get(response["Location"]))
    assert message == (f"Case {new.case_number} is registered. The reminder goes out on the "
                       "next bank day.")


def test_charlies_identical_debtor_never_joins_alices_case(client, alice, alice_co, charlie,
                                                          charlie_co):
    alices = register(alice_co, alice, invoice_number="F-1")
    client.force_login(charlie)
    response = post_claim(client, invoice_number="F-1")
    charlies = Claim.objects.for_creditor(charlie_co).get()
    assert charlies.pk != alices.pk and response["Location"] == f"/arenden/{charlies.pk}/"
    html = client.get(response["Location"]).content.decode()
    assert alices.case_number not in html
    assert Invoice.objects.filter(claim=alices).count() == 1
