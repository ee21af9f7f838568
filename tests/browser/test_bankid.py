"""BankID in the browser, against ekrav's BankID simulator: a debtor on a phone opens Mitt
Ärende with BankID — the QR code changes every second while the page waits, the person
identifies in the (simulated) app, and the page goes on by itself to every case of theirs,
at both creditors."""

import re

from playwright.sync_api import expect

from tests.browser.conftest import at
from tests.conftest import ALICE_COMPANY, CHARLIE_COMPANY, make_creditor, make_user
from tests.debtors.conftest import register_on

PHONE = {"width": 390, "height": 844}


def test_a_debtor_opens_every_case_with_bankid(fresh_context, django_user_model, live_server,
                                               settings):
    settings.BANKID_BASE_URL = live_server.url + "/sim/bankid/rp/v6.0"
    alice = make_user(django_user_model, "alice@alicebygg.se")
    charlie = make_user(django_user_model, "charlie@example.se")
    at_alice = register_on(make_creditor(ALICE_COMPANY, signatory=alice))
    at_charlie = register_on(make_creditor(CHARLIE_COMPANY, signatory=charlie),
                             invoice_number="C-77")
    context = fresh_context()
    page = context.new_page()
    page.set_viewport_size(PHONE)
    page.goto("/mitt-arende/")
    page.get_by_test_id("open-bankid").click()
    page.get_by_test_id("bankid-start").click()
    expect(page.get_by_test_id("bankid-message")).to_have_text("Starta BankID-appen.")
    qr = page.get_by_test_id("bankid-qr")
    first = qr.inner_html()
    assert "<svg" in first
    page.wait_for_function("(first) => document.querySelector('[data-testid=bankid-qr]')"
                           " && document.querySelector('[data-testid=bankid-qr]').innerHTML"
                           " !== first", arg=first, timeout=5000)

    # The person's phone: the simulator's stand-in app, identifying as Dan.
    app = context.new_page()
    app.goto(page.get_by_test_id("bankid-simulator").locator("a").get_attribute("href"))
    app.fill("input[name=personal_number]", "198112289874")
    app.get_by_role("button", name="Identifiera").click()

    page.wait_for_url(at("/mitt-arende/arenden/"))
    expect(page.get_by_text(re.compile(f"Ärende {at_alice.case_number}"))).to_be_visible()
    expect(page.get_by_text(re.compile(f"Ärende {at_charlie.case_number}"))).to_be_visible()
