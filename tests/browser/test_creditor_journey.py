"""A creditor's journey through the portal in a real browser: sign up, register the company,
invite a colleague, switch companies, register a claim with its PDF, find it, withdraw it.

Selectors use names, URLs, data-testid and page structure, never visible text: the UI is
Swedish first and its English source strings may be translated at any time.
"""

import io
import re
from datetime import timedelta
from urllib.parse import quote_plus

from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect
from pypdf import PdfWriter

from claims.models import Claim, Event, Status
from creditors.models import Creditor, Membership
from tests.browser.conftest import at, log_in, submit
from tests.conftest import (
    ALICE_COMPANY,
    CHARLIE_COMPANY,
    PASSWORD,
    make_creditor,
    make_user,
    register,
    registration_data,
)

ACTIVE = "[data-testid=active-company]"
CLAIM_ROWS = "[data-testid=claim-list] tbody tr"


def one_page_pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)  # A4 in points
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def fill_fields(page, data: dict):
    for name, value in data.items():
        field = page.locator(f"main [name={name}]")
        if field.first.get_attribute("type") == "radio":
            page.check(f"main input[name={name}][value={value}]")
        elif field.first.get_attribute("type") == "checkbox":
            field.set_checked(bool(value))
        elif field.evaluate("el => el.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)


def field_error(page, name):
    """The error shown inside the field's own box, right under the input."""
    return page.locator(f"main .field.has-error:has([name={name}]) p.error[data-field={name}]")


def claim_id_from(url: str) -> int:
    return int(re.search(r"/arenden/(\d+)/$", url).group(1))


# (a) Sign up --------------------------------------------------------------------------------

def test_sign_up_and_register_the_company(page):
    page.goto("/konto/signup/")
    fill_fields(page, {"email": "ny@alicebygg.se", "password1": PASSWORD,
                       "password2": PASSWORD})
    submit(page)
    page.wait_for_url(at("/foretag/nytt/"))

    fill_fields(page, ALICE_COMPANY)
    submit(page)

    # Kom igång ends with the service agreement, signed with BankID by the signatory.
    page.wait_for_url(at("/foretag/avtal/"))
    expect(page.locator(ACTIVE)).to_have_text(ALICE_COMPANY["name"])
    expect(page.locator("main .messages")).to_contain_text(ALICE_COMPANY["name"])
    expect(page.get_by_test_id("agreement-text")).to_contain_text("Uppdragsavtal inkasso")
    creditor = Creditor.objects.get(organisation_number="5560360793")
    assert creditor.memberships.get().user.email == "ny@alicebygg.se"
    assert creditor.memberships.get().role == Membership.Role.SIGNATORY


def test_company_form_without_f_tax_is_refused_and_keeps_the_input(page, django_user_model):
    make_user(django_user_model, "ny@alicebygg.se")
    log_in(page, "ny@alicebygg.se")
    page.wait_for_url(at("/foretag/nytt/"))  # no company yet: onboarding first
    fill_fields(page, {**ALICE_COMPANY, "f_tax_confirmed": False})
    submit(page)

    expect(field_error(page, "f_tax_confirmed")).to_be_visible()
    expect(page.locator("main [name=name]")).to_have_value(ALICE_COMPANY["name"])
    expect(page.locator("main [name=bankgiro]")).to_have_value(ALICE_COMPANY["bankgiro"])
    assert not Creditor.objects.exists()


# (b) Users and companies --------------------------------------------------------------------

def test_invite_a_user_who_signs_up_and_accepts(page, fresh_context, django_user_model):
    alice = make_user(django_user_model, "alice@alicebygg.se")
    company = make_creditor(ALICE_COMPANY, signatory=alice)
    log_in(page, "alice@alicebygg.se")
    page.goto("/anvandare/")
    fill_fields(page, {"email": "bob@alicebygg.se", "role": Membership.Role.USER})
    submit(page, "main form.card")

    expect(page.locator("[data-testid=members]")).to_contain_text("bob@alicebygg.se")
    invitation_mail = next(m for m in mail.outbox if m.to == ["bob@alicebygg.se"])
    link = re.search(r"https?://\S+/inbjudan/[\w-]+/", invitation_mail.body).group(0)

    bob = fresh_context().new_page()  # another person, another browser
    bob.goto(link)
    expect(bob.locator("main h1")).to_contain_text(company.name)
    bob.click("main a[href^='/konto/signup/']")
    fill_fields(bob, {"email": "bob@alicebygg.se", "password1": PASSWORD,
                      "password2": PASSWORD})
    submit(bob)

    bob.wait_for_url(at(r"/inbjudan/[\w-]+/"))  # back on the invitation, logged in
    submit(bob)
    bob.wait_for_url(at("/"))
    expect(bob.locator(ACTIVE)).to_have_text(company.name)
    membership = Membership.objects.get(user__email="bob@alicebygg.se")
    assert (membership.creditor, membership.role) == (company, Membership.Role.USER)

    page.reload()  # alice sees bob as a member now, no longer as an open invitation
    expect(page.locator("[data-testid=members] tbody tr:not(.muted)")).to_contain_text(
        ["bob@alicebygg.se"])
    expect(page.locator("[data-testid=members] tbody tr.muted")).to_have_count(0)


def test_switch_between_two_companies_from_the_menu(page, django_user_model):
    alice = make_user(django_user_model, "alice@alicebygg.se")
    alice_co = make_creditor(ALICE_COMPANY, signatory=alice)
    charlie_co = make_creditor(CHARLIE_COMPANY, signatory=alice)
    register(alice_co, alice, invoice_number="A-1")
    register(charlie_co, alice, invoice_number="C-1")
    log_in(page, "alice@alicebygg.se")
    first = alice_co if page.locator(ACTIVE).inner_text() == alice_co.name else charlie_co
    other = charlie_co if first == alice_co else alice_co

    for target in (other, first):
        page.click("[data-testid=company-menu] > summary")
        page.click(f"[data-testid=company-menu] form[action='/foretag/byt/'] "
                   f"button[name=creditor][value='{target.pk}']")
        page.wait_for_url(at("/"))
        expect(page.locator(ACTIVE)).to_have_text(target.name)
        # The list follows the company at once: only the active company's case is shown.
        expect(page.locator(CLAIM_ROWS)).to_have_count(1)
        expect(page.locator(CLAIM_ROWS)).to_contain_text(
            "A-1" if target == alice_co else "C-1")
        # Every page, not just the overview, shows the company that is active.
        page.goto("/arenden/nytt/")
        expect(page.locator(ACTIVE)).to_have_text(target.name)
        page.goto("/")


def test_register_a_second_company_from_the_menu(page, django_user_model):
    alice = make_user(django_user_model, "alice@alicebygg.se")
    make_creditor(ALICE_COMPANY, signatory=alice)
    log_in(page, "alice@alicebygg.se")
    page.click("[data-testid=company-menu] > summary")
    page.click("[data-testid=company-menu] a[href='/foretag/nytt/']")
    fill_fields(page, CHARLIE_COMPANY)
    submit(page)

    page.wait_for_url(at("/foretag/avtal/"))  # the new company's agreement comes next
    expect(page.locator(ACTIVE)).to_have_text(CHARLIE_COMPANY["name"])
    page.click("[data-testid=company-menu] > summary")
    expect(page.locator("[data-testid=company-menu] button[name=creditor]")).to_have_count(1)


# (c) Claims ---------------------------------------------------------------------------------

def test_register_a_claim_with_a_pdf_find_it_and_withdraw_it(page, django_user_model):
    alice = make_user(django_user_model, "alice@alicebygg.se")
    company = make_creditor(ALICE_COMPANY, signatory=alice)
    register(company, alice, invoice_number="F-0999", debtor_name="Eva Annan",
             debtor_identity_number="19900101-0017")
    pdf = one_page_pdf()
    log_in(page, "alice@alicebygg.se")

    page.click("header a[href='/arenden/nytt/']")
    page.wait_for_url(at("/arenden/nytt/"))
    # The company's default "the invoice concerns" text is filled in.
    expect(page.locator("main [name=description]")).to_have_value(
        ALICE_COMPANY["default_invoice_text"])
    data = registration_data(invoice_number="F-2024-17")
    fill_fields(page, data)
    page.set_input_files("main input[name=pdf]", files=[
        {"name": "faktura-17.pdf", "mimeType": "application/pdf", "buffer": pdf}])
    submit(page, "[data-testid=claim-form]")

    page.wait_for_url(at(r"/arenden/\d+/"))
    claim = Claim.objects.get(pk=claim_id_from(page.url))
    expect(page.locator("main h1")).to_contain_text(claim.case_number)
    expect(page.locator("main [data-testid=status]")).to_have_class(
        re.compile(r"\bbadge-registered\b"))
    # The capital as registered; what is outstanding today adds the interest accrued so far.
    expect(page.locator("[data-testid=balance]")).to_contain_text(re.compile(r"1\s?234,50"))
    expect(page.locator("[data-testid=interest]")).to_be_visible()
    expect(page.locator("[data-testid=timeline] li")).to_have_count(1)
    expect(page.locator("main")).to_contain_text("F-2024-17")
    expect(page.locator("main")).to_contain_text(claim.ocr)

    # The invoice PDF comes back as the very PDF that was uploaded.
    href = page.locator("[data-testid=invoice-pdf]").get_attribute("href")
    response = page.context.request.get(href)
    assert response.ok
    assert response.headers["content-type"] == "application/pdf"
    assert response.body() == pdf and response.body().startswith(b"%PDF-")

    # In the list, and found by its invoice number.
    page.click("header a.brand")
    expect(page.locator(CLAIM_ROWS)).to_have_count(2)
    row = page.locator(CLAIM_ROWS).filter(has=page.locator(f"a[href='/arenden/{claim.pk}/']"))
    expect(row).to_contain_text(claim.case_number)
    expect(row).to_contain_text("F-2024-17")
    expect(row).to_contain_text(data["debtor_name"])
    page.fill("main form[role=search] input[name=q]", "F-2024-17")
    page.locator("main form[role=search] button[type=submit]").click()
    page.wait_for_url(re.compile(r"[?&]q=F-2024-17"))
    expect(page.locator(CLAIM_ROWS)).to_have_count(1)
    expect(page.locator(CLAIM_ROWS)).to_contain_text(claim.case_number)
    page.fill("main form[role=search] input[name=q]", claim.case_number)
    page.locator("main form[role=search] button[type=submit]").click()
    page.wait_for_url(re.compile(r"[?&]q=" + re.escape(quote_plus(claim.case_number))))
    expect(page.locator(CLAIM_ROWS)).to_have_count(1)
    expect(page.locator(CLAIM_ROWS)).to_contain_text("F-2024-17")

    # Withdraw it, with a reason.
    page.click(f"{CLAIM_ROWS} a[href='/arenden/{claim.pk}/']")
    page.wait_for_url(at(rf"/arenden/{claim.pk}/"))
    withdraw = page.locator("main details:has(textarea[name=reason])")
    withdraw.locator("summary").click()
    withdraw.locator("textarea[name=reason]").fill("Kunden betalade kontant i butiken.")
    withdraw.locator("button[type=submit]").click()

    # Same URL after the redirect: the assertions below wait for the new page.
    expect(page.locator("main [data-testid=status]")).to_have_class(
        re.compile(r"\bbadge-withdrawn\b"))
    timeline = page.locator("[data-testid=timeline] li")
    expect(timeline).to_have_count(2)
    expect(timeline.first).to_contain_text("Kunden betalade kontant i butiken.")
    expect(timeline.first).to_contain_text("alice@alicebygg.se")
    expect(page.locator("main textarea[name=reason]")).to_have_count(0)  # closed: no actions
    claim.refresh_from_db()
    assert claim.status == Status.WITHDRAWN
    assert claim.events.filter(kind=Event.Kind.WITHDRAWN).count() == 1

    page.goto("/?status=withdrawn")
    expect(page.locator(CLAIM_ROWS)).to_have_count(1)
    expect(page.locator(CLAIM_ROWS).locator("[data-testid=status]")).to_have_class(
        re.compile(r"\bbadge-withdrawn\b"))


# (d) Bad input ------------------------------------------------------------------------------

def test_bad_claim_input_shows_the_error_at_the_field_and_registers_nothing(
        page, django_user_model):
    alice = make_user(django_user_model, "alice@alicebygg.se")
    make_creditor(ALICE_COMPANY, signatory=alice)
    log_in(page, "alice@alicebygg.se")
    page.goto("/arenden/nytt/")
    data = registration_data(invoice_number="F-3001", debtor_kind="person",
                             debtor_identity_number="19811228-9875")  # wrong check digit
    fill_fields(page, data)
    submit(page, "[data-testid=claim-form]")

    expect(field_error(page, "debtor_identity_number")).to_be_visible()
    expect(page.locator("main .field.has-error")).to_have_count(1)
    assert re.search(r"/arenden/nytt/$", page.url)
    for name in ("debtor_identity_number", "debtor_name", "debtor_street", "debtor_city",
                 "debtor_email", "invoice_number", "invoice_date", "due_date", "amount",
                 "description"):
        expect(page.locator(f"main [name={name}]")).to_have_value(data[name])
    expect(page.locator("main input[name=debtor_kind][value=person]")).to_be_checked()
    expect(page.locator("main input[name=reminder_fee_agreed]")).to_be_checked()
    assert not Claim.objects.exists()

    # Corrected identity, but a text file renamed .pdf: refused by content, at the PDF field.
    page.fill("main [name=debtor_identity_number]", "19811228-9874")
    page.set_input_files("main input[name=pdf]", files=[
        {"name": "faktura.pdf", "mimeType": "application/pdf",
         "buffer": b"Det har ar ingen PDF, bara text.\n"}])
    submit(page, "[data-testid=claim-form]")

    expect(field_error(page, "pdf")).to_be_visible()
    expect(page.locator("main .field.has-error")).to_have_count(1)
    expect(page.locator("main [name=invoice_number]")).to_have_value("F-3001")
    assert not Claim.objects.exists()


def test_due_date_in_the_future_is_refused(page, django_user_model):
    alice = make_user(django_user_model, "alice@alicebygg.se")
    make_creditor(ALICE_COMPANY, signatory=alice)
    log_in(page, "alice@alicebygg.se")
    page.goto("/arenden/nytt/")
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    fill_fields(page, registration_data(due_date=tomorrow))
    submit(page, "[data-testid=claim-form]")

    expect(field_error(page, "due_date")).to_be_visible()
    expect(page.locator("main [name=due_date]")).to_have_value(tomorrow)
    assert not Claim.objects.exists()
