"""Mitt Ärende on a phone: the debtor pays part of the claim with Swish (e-commerce: Swish asks
their number), waits on the page while it polls, is thanked, and the case shows less to pay.
Swish is ekrav's own simulator on the live server, which calls back into ekrav."""

import re

import time_machine
from playwright.sync_api import expect

from claims.models import Claim
from claims.selectors import claim_statement
from letters.services import collection_day_run
from payments.models import IncomingPayment, PaymentRequest
from tests.browser.conftest import at
from tests.browser.test_mitt_arende import PHONE, fits
from tests.conftest import ALICE_COMPANY, make_creditor, make_user
from tests.debtors.conftest import DEMAND_DAY, TODAY, register_on

def kronor(ore: int) -> str:
    return f"{ore // 100},{ore % 100:02d}"


PAID_TEXT = re.compile(r"Tack, betalningen är mottagen|Thank you, the payment is received")


def test_a_debtor_pays_part_with_swish_on_a_phone(fresh_context, django_user_model,
                                                  live_server, settings):
    settings.SWISH_BASE_URL = live_server.url + "/sim/swish"
    settings.SITE_URL = live_server.url
    alice = make_user(django_user_model, "alice@alicebygg.se")
    claim = register_on(make_creditor(ALICE_COMPANY, signatory=alice))
    collection_day_run(until=DEMAND_DAY)

    with time_machine.travel(TODAY, tick=True):
        total = claim_statement(Claim.objects.get(pk=claim.pk), as_of=TODAY)[0].total_owed_ore
        part = total - 10_000
        context = fresh_context()
        page = context.new_page()
        page.set_viewport_size(PHONE)
        page.goto("/mitt-arende/")
        page.fill("input[name=case_number]", claim.case_number)
        page.fill("input[name=ocr]", claim.ocr)
        page.get_by_test_id("open-form").locator("button[type=submit]").click()
        page.wait_for_url(at(f"/mitt-arende/arenden/{claim.pk}/"))

        page.get_by_test_id("pay-swish").click()
        page.wait_for_url(at(f"/mitt-arende/arenden/{claim.pk}/swish/"))
        amount = page.locator("input[name=amount]")
        expect(amount).to_have_value(kronor(total))  # all that is left, by default
        amount.fill(kronor(part))
        page.fill("input[name=phone]", "070-123 45 67")
        assert fits(page, PHONE)
        page.screenshot(path="/tmp/mitt-arende-swish-form.png", full_page=True)
        page.get_by_test_id("swish-by-number").click()

        page.wait_for_url(re.compile(rf".*/mitt-arende/arenden/{claim.pk}/swish/[0-9A-F]{{32}}/$"))
        expect(page.get_by_test_id("swish-status")).to_be_visible()
        # The simulator's payer approves after ~2 s and calls back; the page polls every 2 s.
        expect(page.get_by_test_id("swish-paid")).to_have_text(PAID_TEXT, timeout=15_000)
        assert fits(page, PHONE)
        page.screenshot(path="/tmp/mitt-arende-swish-paid.png", full_page=True)

        request = PaymentRequest.objects.get()
        assert (request.status, request.amount_ore) == ("paid", part)
        assert IncomingPayment.objects.get().state == "booked"

        page.get_by_test_id("back-to-case").click()
        page.wait_for_url(at(f"/mitt-arende/arenden/{claim.pk}/"))
        expect(page.get_by_test_id("total")).to_have_attribute("data-ore", "10000")
        page.screenshot(path="/tmp/mitt-arende-swish-case.png", full_page=True)
        context.close()
