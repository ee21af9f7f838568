"""After the collection demand, in a real browser: a debtor on a phone objects in Mitt Ärende
and the creditor answers under Bestridanden; another claim waits under Beslut, where the
creditor sees the solvency check and sends it to surveillance."""

import time_machine
from playwright.sync_api import expect

from claims.decisions import solvency_check_record
from claims.models import Claim, Dispute, Status
from letters.services import collection_day_run
from tests.browser.conftest import at, log_in
from tests.browser.test_mitt_arende import PHONE, fits
from tests.claims.test_decisions import DECISION_DAY, Report
from tests.conftest import ALICE_COMPANY, another_debtor, make_creditor, make_user
from tests.debtors.conftest import TODAY, register_on


def test_a_debtor_objects_on_a_phone_and_the_creditor_answers(fresh_context, page,
                                                              django_user_model):
    alice = make_user(django_user_model, "alice@alicebygg.se")
    claim = register_on(make_creditor(ALICE_COMPANY, signatory=alice))
    collection_day_run(until=TODAY)
    with time_machine.travel(TODAY, tick=True):
        debtor = fresh_context().new_page()
        debtor.set_viewport_size(PHONE)
        debtor.goto("/mitt-arende/")
        debtor.fill("input[name=case_number]", claim.case_number)
        debtor.fill("input[name=ocr]", claim.ocr)
        debtor.get_by_test_id("open-form").locator("button[type=submit]").click()
        debtor.wait_for_url(at(f"/mitt-arende/arenden/{claim.pk}/"))
        form = debtor.get_by_test_id("dispute")
        form.locator("button[type=submit]").click()  # no reason chosen
        expect(debtor.locator('[data-field="reason"]')).to_be_visible()
        assert not Dispute.objects.exists()
        debtor.get_by_test_id("dispute").get_by_label("Det levererades inte").check()
        debtor.get_by_test_id("dispute").locator("textarea").fill(
            "Staketet blev aldrig målat, jag har mejlat er två gånger.")
        debtor.get_by_test_id("dispute").locator("button[type=submit]").click()
        expect(debtor.get_by_test_id("disputed")).to_be_visible()
        assert fits(debtor, PHONE)
    assert Claim.objects.get(pk=claim.pk).status == Status.DISPUTED

    log_in(page, "alice@alicebygg.se")
    expect(page.get_by_test_id("disputes-waiting")).to_have_text("1")
    page.get_by_role("link", name="Bestridanden").first.click()
    card = page.get_by_test_id(f"dispute-{Dispute.objects.get().pk}")
    expect(card).to_contain_text("Staketet blev aldrig målat")
    card.get_by_label("Kravet står fast: fortsätt").check()
    card.locator("textarea").fill("Staketet målades den 20 januari, se bilder.")
    card.locator("button[type=submit]").click()
    expect(page.locator(".messages")).to_be_visible()
    assert Dispute.objects.get().position == "continue"
    expect(page.get_by_test_id("disputes-waiting")).to_have_count(0)


def test_the_creditor_decides_in_the_inbox(page, django_user_model):
    alice = make_user(django_user_model, "alice@alicebygg.se")
    creditor = make_creditor(ALICE_COMPANY, signatory=alice)
    claim = register_on(creditor, **another_debtor(1))
    collection_day_run(until=DECISION_DAY)
    solvency_check_record(claim=claim, report=Report("payment_remarks", 3), today=DECISION_DAY)
    log_in(page, "alice@alicebygg.se")
    page.get_by_role("link", name="Beslut").first.click()
    page.wait_for_url(at("/beslut/"))
    card = page.get_by_test_id(f"decision-{claim.pk}")
    expect(card.get_by_test_id("solvency")).to_contain_text("Betalningsanmärkningar")
    expect(card).to_contain_text("300,00")
    page.screenshot(path="/tmp/decisions.png", full_page=True)
    card.get_by_role("button", name="Efterbevakning").click()
    expect(page.get_by_test_id(f"decision-{claim.pk}")).to_have_count(0)
    assert Claim.objects.get(pk=claim.pk).status == Status.SURVEILLANCE
