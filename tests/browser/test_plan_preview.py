"""The registration form's planned timeline in a real browser: htmx redraws the panel
"Det här händer om du registrerar" as the creditor fills in the form, before anything is saved.

Selectors use names and data-testid, never visible text (the UI is Swedish first).
"""

import os
import re

from django.utils import timezone
from playwright.sync_api import expect

from claims.engine import REGISTERED, Snapshot, planned_steps
from claims.models import Claim
from claims.selectors import fee_caps_on, policy_of
from tests.browser.conftest import at, log_in
from tests.browser.test_creditor_journey import fill_fields
from tests.conftest import (
    ALICE_COMPANY,
    another_debtor,
    make_creditor,
    make_user,
    register,
    registration_data,
)

PANEL = "[data-testid=plan-preview]"
STEPS = f"{PANEL} [data-testid=plan-steps] li"
# Screenshots for a person to look at; not compared by the test.
SHOTS = os.environ.get("EKRAV_SCREENSHOTS", "/tmp")


def expected_steps(company, *, debtor_kind, agreed, amount_ore):
    today = timezone.localdate()
    return planned_steps(
        Snapshot(status=REGISTERED, registered_on=today, debtor_kind=debtor_kind,
                 reminder_fee_agreed=agreed, outstanding_ore=amount_ore),
        today, policy_of(company.policy, interest_enabled=True), fee_caps_on(today))


def test_the_plan_follows_the_form(page, django_user_model):
    alice = make_user(django_user_model, "alice@alicebygg.se")
    company = make_creditor(ALICE_COMPANY, signatory=alice)
    log_in(page, "alice@alicebygg.se")
    page.goto("/arenden/nytt/")

    # Nothing to plan yet: the panel names what it needs.
    expect(page.locator(f"{PANEL} [data-testid=plan-needs] li")).to_have_count(2)

    data = registration_data(amount="2 500", reminder_fee_agreed=True)
    fill_fields(page, data)
    page.locator("main [name=description]").focus()  # leave the last field: its change fires
    expect(page.locator(STEPS)).to_have_count(3)

    steps = expected_steps(company, debtor_kind="person", agreed=True, amount_ore=250000)
    for row, step in zip(page.locator(STEPS).all(), steps):
        expect(row.locator("time")).to_have_attribute("datetime", step.on.isoformat())
        if step.deadline:
            expect(row.locator("[data-testid=plan-deadline]")).to_contain_text(
                step.deadline.isoformat())
        expect(row.locator("[data-testid=plan-interest]")).to_contain_text("kr")
    fees = page.locator(f"{PANEL} [data-testid=plan-fee]")
    expect(fees).to_have_count(2)
    expect(fees.nth(0)).to_have_attribute("data-fee", "reminder_fee")
    expect(fees.nth(0)).to_contain_text(re.compile(r"60,00\s?kr"))
    expect(fees.nth(1)).to_have_attribute("data-fee", "collection_fee")
    expect(fees.nth(1)).to_contain_text(re.compile(r"180,00\s?kr"))
    expect(page.locator(f"{PANEL} [data-testid=plan-owed]")).to_be_visible()
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=f"{SHOTS}/plan-preview-desktop.png", full_page=True)

    # A company debtor: förseningsersättning 450 kr instead of 60 + 180.
    page.check("main input[name=debtor_kind][value=company]")
    expect(fees).to_have_count(1)
    expect(fees.first).to_have_attribute("data-fee", "late_payment_compensation")
    expect(fees.first).to_contain_text(re.compile(r"450,00\s?kr"))

    # An amount that is not one yet: a hint at the amount, no plan, no error page.
    page.fill("main [name=amount]", "tjugo")
    page.locator("main [name=description]").focus()
    expect(page.locator(f"{PANEL} [data-testid=plan-needs] li")).to_have_count(1)
    expect(page.locator(f"{PANEL} [data-testid=plan-needs] .error")).to_be_visible()
    expect(page.locator(STEPS)).to_have_count(0)
    page.locator(PANEL).screenshot(path=f"{SHOTS}/plan-preview-hint.png")

    # Back to a person without the reminder fee agreed: the reminder carries no fee.
    page.check("main input[name=debtor_kind][value=person]")
    page.fill("main [name=amount]", "2 500")
    page.locator("main [name=reminder_fee_agreed]").set_checked(False)
    expect(fees).to_have_count(1)
    expect(fees.first).to_have_attribute("data-fee", "collection_fee")
    assert not Claim.objects.exists()  # the preview wrote nothing


def test_the_panel_on_a_phone(page, django_user_model):
    alice = make_user(django_user_model, "alice@alicebygg.se")
    make_creditor(ALICE_COMPANY, signatory=alice)
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, "alice@alicebygg.se")
    page.goto("/arenden/nytt/")
    fill_fields(page, registration_data(debtor_kind="company",
                                        debtor_identity_number="556036-0793"))
    page.locator("main [name=description]").focus()
    expect(page.locator(STEPS)).to_have_count(3)

    # Below the fields and above the button, nothing wider than the screen.
    panel = page.locator(PANEL).bounding_box()
    fields = page.locator("main .plan-form-fields").bounding_box()
    button = page.locator("[data-testid=claim-form] button[type=submit]").bounding_box()
    assert fields["y"] + fields["height"] <= panel["y"] < button["y"]
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=f"{SHOTS}/plan-preview-phone.png", full_page=True)
    page.locator(PANEL).scroll_into_view_if_needed()
    page.screenshot(path=f"{SHOTS}/plan-preview-phone-panel.png")


def test_an_invoice_for_a_debtor_with_an_open_case_shows_that_case_and_joins_it(
        page, django_user_model):
    """Dan has case N with alice, its demand not yet sent: the panel says the invoice is added
    to N and shows N's plan with both invoices (one fee per step); registering lands on N."""
    alice = make_user(django_user_model, "alice@alicebygg.se")
    company = make_creditor(ALICE_COMPANY, signatory=alice)
    case = register(company, alice, invoice_number="F-1")
    log_in(page, "alice@alicebygg.se")
    page.goto("/arenden/nytt/")

    fill_fields(page, registration_data(invoice_number="F-2", amount="500",
                                        **another_debtor(1)))
    page.locator("main [name=description]").focus()
    expect(page.locator(STEPS)).to_have_count(3)
    join = page.locator(f"{PANEL} [data-testid=plan-join]")
    expect(join).to_have_count(0)  # another debtor: a new case
    expect(page.locator(f"{PANEL} [data-testid=plan-total-capital]")).to_contain_text(
        re.compile(r"500,00\s?kr"))

    # Dan's personnummer, written the short way: his open case takes the invoice.
    page.fill("main [name=debtor_identity_number]", "811228-9874")
    page.locator("main [name=description]").focus()
    expect(join).to_have_attribute("data-case", case.case_number)
    expect(join.locator("[data-testid=plan-join-invoice]")).to_contain_text("F-1")
    # The form still names debtor 1: the panel says whose case this is.
    name_differs = join.locator("[data-testid=plan-join-name]")
    expect(name_differs).to_be_visible()
    expect(join).to_contain_text("Dan Gäldenär")
    page.locator(PANEL).screenshot(path=f"{SHOTS}/plan-preview-join-name.png")
    page.fill("main [name=debtor_name]", "Dan Gäldenär")
    page.locator("main [name=description]").focus()
    expect(name_differs).to_have_count(0)
    expect(join.locator(f"a[href='/arenden/{case.pk}/']")).to_have_attribute("target", "_blank")
    expect(page.locator(STEPS)).to_have_count(3)
    fees = page.locator(f"{PANEL} [data-testid=plan-fee]")
    expect(fees).to_have_count(2)  # one reminder fee, one collection fee: per case
    expect(page.locator(f"{PANEL} [data-testid=plan-total-capital]")).to_contain_text(
        re.compile(r"1\s?734,50\s?kr"))
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=f"{SHOTS}/plan-preview-join-desktop.png", full_page=True)
    page.locator(PANEL).screenshot(path=f"{SHOTS}/plan-preview-join-panel.png")
    assert Claim.objects.count() == 1 and case.invoices.count() == 1  # nothing written yet

    page.locator("[data-testid=claim-form] button[type=submit]").click()
    page.wait_for_url(at(f"/arenden/{case.pk}/"))
    expect(page.locator(".msg-success")).to_contain_text(case.case_number)
    expect(page.locator(".msg-success")).to_contain_text("F-2")
    assert Claim.objects.count() == 1 and case.invoices.count() == 2
    page.screenshot(path=f"{SHOTS}/plan-preview-join-registered.png", full_page=True)


def test_the_join_on_a_phone(page, django_user_model):
    alice = make_user(django_user_model, "alice@alicebygg.se")
    company = make_creditor(ALICE_COMPANY, signatory=alice)
    case = register(company, alice, invoice_number="F-1")
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, "alice@alicebygg.se")
    page.goto("/arenden/nytt/")
    fill_fields(page, registration_data(invoice_number="F-2"))
    page.locator("main [name=description]").focus()
    expect(page.locator(f"{PANEL} [data-testid=plan-join]")).to_have_attribute(
        "data-case", case.case_number)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.locator(PANEL).scroll_into_view_if_needed()
    page.locator(PANEL).screenshot(path=f"{SHOTS}/plan-preview-join-phone.png")
