"""The service agreement, signed with BankID by the company's signatory (against ekrav's BankID
simulator over real HTTP): the text signed, BankID's signature and OCSP response kept as
evidence; anyone else's BankID is refused and nothing is stored; charlie sees nothing of
alice's."""

import base64

import pytest
from django.test import Client

from creditors.agreement import VERSION
from creditors.models import AgreementSignature
from tests.creditors.conftest import SIGNATORY
from tests.bankid import HX, complete_as




def sign(browser):
    started = browser.post("/foretag/avtal/")
    body = started.content.decode()
    assert 'data-status="pending"' in body and "Uppdragsavtal inkasso" in body
    return browser.get("/foretag/avtal/", **HX)


def test_the_signatory_signs_and_the_evidence_is_kept(sim, alice_browser, alice, alice_co,
                                                      transactional_db):
    assert 'data-testid="agreement-missing"' in alice_browser.get("/").content.decode()
    complete_as(sim, SIGNATORY, name="Alice Bygg")
    answer = sign(alice_browser)
    assert answer["HX-Redirect"] == "/foretag/avtal/"
    signed = AgreementSignature.objects.get(creditor=alice_co)
    assert (signed.version, signed.personal_number, signed.signed_by) == (
        VERSION, SIGNATORY, alice)
    assert alice_co.name in signed.text and "Uppdragsavtal inkasso" in signed.text
    xml = base64.b64decode(signed.signature)
    assert base64.b64encode(signed.text.encode()) in xml  # the text is in BankID's signature
    assert signed.ocsp_response and signed.ip_address
    page = alice_browser.get("/foretag/avtal/").content.decode()
    assert 'data-testid="agreement-signed"' in page and "Alice Bygg" in page
    assert 'data-testid="agreement-missing"' not in alice_browser.get("/").content.decode()
    with pytest.raises(ValueError):
        signed.save()  # evidence is never changed


def test_someone_elses_bankid_cannot_sign(sim, alice_browser, alice_co,
                                          transactional_db):
    complete_as(sim, "195001010008", name="Olle Okänd")
    answer = sign(alice_browser)
    assert "HX-Redirect" not in answer
    assert "Endast företagets firmatecknare" in answer.content.decode()
    assert not AgreementSignature.objects.exists()


def test_charlie_sees_only_his_own_agreement(sim, alice_browser, alice_co, charlie, charlie_co,
                                             transactional_db):
    complete_as(sim, SIGNATORY)
    sign(alice_browser)
    browser = Client()
    browser.force_login(charlie)
    page = browser.get("/foretag/avtal/").content.decode()
    assert charlie_co.name in page and alice_co.name not in page
    assert 'data-testid="agreement-signed"' not in page
