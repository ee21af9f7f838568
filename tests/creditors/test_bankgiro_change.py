"""Changing the payout bankgiro (the classic fraud redirects payouts): only a signatory or an
administrator may start it, the company's signatory signs it with BankID (against ekrav's
BankID simulator over real HTTP), the evidence is kept, and every signatory and administrator
is told by e-mail. A bad number is refused at its field; anyone else's BankID changes nothing."""

from django.core import mail
from django.test import Client

from creditors.models import BankgiroChange, Creditor
from tests.creditors.conftest import SIGNATORY
from tests.bankid import HX, complete_as

NEW = "56781230"  # a valid bankgiro (check digit)



def change(browser, number=NEW):
    started = browser.post("/foretag/bankgiro/", {"bankgiro": number})
    assert started.status_code == 200
    return started


def test_the_signatory_signs_the_change_and_everyone_is_told(
        sim, alice_browser, alice, alice_co, bob, transactional_db):
    old = alice_co.bankgiro
    complete_as(sim, SIGNATORY, name="Alice Bygg")
    started = change(alice_browser)
    assert 'data-status="pending"' in started.content.decode()
    answer = alice_browser.get("/foretag/bankgiro/", **HX)
    assert answer["HX-Redirect"] == "/foretag/"
    assert Creditor.objects.get(pk=alice_co.pk).bankgiro == NEW
    evidence = BankgiroChange.objects.get(creditor=alice_co)
    assert (evidence.old_bankgiro, evidence.new_bankgiro, evidence.personal_number) == (
        old, NEW, SIGNATORY)
    assert "5678-1230" in evidence.text and evidence.signature and evidence.ocsp_response
    (sent,) = mail.outbox
    assert alice.email in sent.to and bob.email not in sent.to  # bob is an ordinary user
    assert "5678-1230" in sent.body


def test_an_ordinary_user_cannot_even_start(sim, bob, alice_co, transactional_db):
    browser = Client()
    browser.force_login(bob)
    assert browser.get("/foretag/bankgiro/").status_code == 403
    assert browser.post("/foretag/bankgiro/", {"bankgiro": NEW}).status_code == 403


def test_a_bad_number_is_refused_at_its_field(sim, alice_browser, alice_co,
                                              transactional_db):
    answer = change(alice_browser, "5678-1236")
    body = answer.content.decode()
    assert 'data-status="pending"' not in body and "kontrollsiffra" in body.lower()
    assert Creditor.objects.get(pk=alice_co.pk).bankgiro == alice_co.bankgiro


def test_someone_elses_bankid_changes_nothing(sim, alice_browser, alice_co,
                                              transactional_db):
    complete_as(sim, "195001010008", name="Olle Okänd")
    change(alice_browser)
    answer = alice_browser.get("/foretag/bankgiro/", **HX)
    assert "HX-Redirect" not in answer and "firmatecknare" in answer.content.decode()
    assert Creditor.objects.get(pk=alice_co.pk).bankgiro == alice_co.bankgiro
    assert not BankgiroChange.objects.exists() and mail.outbox == []


def test_the_admin_shows_the_bankgiro_but_does_not_change_it(admin_client, alice_co):
    page = admin_client.get(f"/admin/creditors/creditor/{alice_co.pk}/change/")
    assert page.status_code == 200
    assert 'name="bankgiro"' not in page.content.decode()
