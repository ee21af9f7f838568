"""Mitt Ärende on a phone: the debtor types the two numbers from the letter, sees what to pay
and by when, and tells us they have already paid."""

import io
import re
from datetime import date

import time_machine
from playwright.sync_api import expect
from pypdf import PdfReader

from claims.models import Claim, Event
from claims.selectors import claim_statement
from ekrav.money import format_sek
from letters.models import Letter
from letters.services import collection_day_run
from tests.browser.conftest import at
from tests.conftest import ALICE_COMPANY, make_creditor, make_user
from tests.debtors.conftest import DEMAND_DAY, TODAY, register_on

PHONE = {"width": 390, "height": 844}
SMALLEST = {"width": 360, "height": 740}


def numbers_in_the_letter(letter: Letter) -> tuple[str, str]:
    """The case number and OCR as the debtor reads them off the printed letter."""
    with letter.pdf.open("rb") as f:
        text = PdfReader(io.BytesIO(f.read())).pages[0].extract_text()
    case = re.search(r"Ärendenummer\s*(\d+)", text).group(1)
    ocr = re.search(r"OCR-nummer\s*(\d+)", text).group(1)
    return case, ocr


def fits(page, viewport) -> bool:
    """Nothing wider than the phone: no sideways scrolling (the elements that stick out are
    named when something does). Measured once the stylesheets are in: a layout forced before
    them is not the page the debtor sees."""
    page.wait_for_load_state("load")
    wider = page.evaluate("""(width) => [...document.querySelectorAll('body *')]
        .filter(el => el.getBoundingClientRect().right > width + 0.5)
        .map(el => el.tagName + '.' + el.className)""", viewport["width"])
    assert wider == [], wider
    return page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]


def test_a_debtor_on_a_phone_opens_the_case_and_says_it_is_paid(fresh_context,
                                                                 django_user_model):
    alice = make_user(django_user_model, "alice@alicebygg.se")
    claim = register_on(make_creditor(ALICE_COMPANY, signatory=alice))
    collection_day_run(until=DEMAND_DAY)
    demand = Letter.objects.get(claim=claim, kind="demand")
    case_number, ocr = numbers_in_the_letter(demand)
    assert (case_number, ocr) == (claim.case_number, claim.ocr)

    with time_machine.travel(TODAY, tick=True):
        context = fresh_context()
        page = context.new_page()
        page.set_viewport_size(PHONE)
        page.goto("/mitt-arende/")
        page.fill("input[name=case_number]", case_number)
        page.fill("input[name=ocr]", ocr[:-1] + str((int(ocr[-1]) + 1) % 10))  # a typo
        page.get_by_test_id("open-form").locator("button[type=submit]").click()
        expect(page.get_by_test_id("open-error")).to_be_visible()
        assert fits(page, PHONE)
        page.screenshot(path="/tmp/mitt-arende-door.png", full_page=True)
        page.fill("input[name=ocr]", " ".join(ocr[i:i + 4] for i in range(0, len(ocr), 4)))
        page.get_by_test_id("open-form").locator("button[type=submit]").click()
        page.wait_for_url(at(f"/mitt-arende/arenden/{claim.pk}/"))

        total = claim_statement(Claim.objects.get(pk=claim.pk), as_of=TODAY)[0].total_owed_ore
        expect(page.get_by_test_id("total")).to_have_text(format_sek(total))
        expect(page.get_by_test_id("deadline")).to_contain_text("2026-05-04")
        expect(page.get_by_test_id("total")).to_be_in_viewport()
        expect(page.get_by_test_id("deadline")).to_be_in_viewport()
        expect(page.get_by_test_id("bankgiro")).to_have_text("5050-1055")
        expect(page.get_by_test_id("pay-ocr")).to_have_text(claim.ocr)
        expect(page.get_by_test_id("swish-qr")).to_be_visible()
        expect(page.get_by_test_id("letters").get_by_test_id("letter-pdf")).to_have_count(2)
        assert fits(page, PHONE)
        page.screenshot(path="/tmp/mitt-arende-case.png", full_page=True)

        page.get_by_role("link", name=re.compile("already paid|redan betalat", re.I)).click()
        form = page.get_by_test_id("already-paid")
        form.locator("input[name=paid_on]").fill("2026-04-24")
        form.locator("input[name=amount]").fill(format_sek(total).replace(" kr", ""))
        form.locator("textarea[name=note]").fill("Betalt från min bank på fredagen.")
        form.locator("button[type=submit]").click()
        page.wait_for_url(at(f"/mitt-arende/arenden/{claim.pk}/"))

        # Held to the 5th bank day after Monday 27 April (1 May a holiday): Tuesday 5 May.
        expect(page.locator(".messages")).to_contain_text("2026-05-05")
        expect(page.get_by_test_id("hold")).to_contain_text("2026-05-05")
        event = Event.objects.get(claim=claim, kind="note")
        assert event.data["kind"] == "already_paid" and event.data["amount_ore"] == total
        assert Claim.objects.get(pk=claim.pk).hold_until == date(2026, 5, 5)

        page.set_viewport_size(SMALLEST)
        assert fits(page, SMALLEST)
        page.screenshot(path="/tmp/mitt-arende-already-paid.png", full_page=True)

        page.get_by_test_id("close").click()
        page.wait_for_url(at("/mitt-arende/"))
        # Back to the case's address: it is not there any more, the door is.
        assert page.goto(f"/mitt-arende/arenden/{claim.pk}/").status == 404
        expect(page.get_by_test_id("open-form")).to_be_visible()
        expect(page.get_by_test_id("total")).to_have_count(0)
        context.close()
