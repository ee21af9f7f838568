"""Letters in the browser: the creditor finds the sent letter on the claim page and opens it,
and previews each template with its own company name."""

from datetime import date

from playwright.sync_api import expect
from pypdf import PdfReader
import io

from claims.registration import parse_registration
from claims.services import claim_register
from creditors.models import Membership
from letters.models import Letter
from letters.services import collection_day_run
from tests.browser.conftest import log_in
from tests.conftest import ALICE_COMPANY, make_creditor, make_user, registration_data


def alice_with_a_reminder(django_user_model):
    alice = make_user(django_user_model, "alice@alicebygg.se")
    company = make_creditor(ALICE_COMPANY, signatory=alice)
    data = registration_data(invoice_date="2026-02-01", due_date="2026-03-01")
    registration, errors = parse_registration(data, today=date(2026, 4, 2))
    assert not errors
    claim = claim_register(creditor=company, registration=registration, today=date(2026, 4, 2))
    collection_day_run(until=date(2026, 4, 7))
    assert Membership.objects.filter(user=alice).exists()
    return claim, Letter.objects.get(claim=claim)


def pdf_text(response) -> str:
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    return PdfReader(io.BytesIO(response.body())).pages[0].extract_text()


def test_the_sent_letter_is_on_the_claim_page(page, django_user_model):
    claim, letter = alice_with_a_reminder(django_user_model)
    log_in(page, "alice@alicebygg.se")
    page.goto(f"/arenden/{claim.pk}/")
    letters = page.get_by_test_id("letters")
    expect(letters).to_be_visible()
    expect(letters.locator("tbody tr")).to_have_count(1)
    expect(letters).to_contain_text("2026-04-07")
    href = letters.get_by_test_id("letter-pdf").get_attribute("href")
    text = pdf_text(page.request.get(href))
    assert claim.case_number in text and claim.ocr in text
    page.screenshot(path="/tmp/claim-letters.png", full_page=True)


def test_template_previews_from_the_menu(page, django_user_model):
    alice_with_a_reminder(django_user_model)
    log_in(page, "alice@alicebygg.se")
    page.goto("/")
    page.locator("nav.mainnav a[href='/brev/']").click()
    for kind in ("reminder", "demand"):
        href = page.get_by_test_id(f"preview-{kind}").get_attribute("href")
        assert "Alice Bygg AB" in pdf_text(page.request.get(href))
