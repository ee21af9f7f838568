"""The service agreement, signed with BankID by the company's signatory (against ekrav's BankID
simulator over real HTTP): the text signed, BankID's signature and OCSP response kept as
evidence; anyone else's BankID is refused and nothing is stored; charlie sees nothing of
alice's."""

import base64

import pytest
from django.test import Client

from creditors.agreement import VERSION
from creditors.models import AgreementSignature
from tests.api.test_create_claim import claim_body
from tests.bankid import HX, complete_as
from tests.conftest import (
    ALICE_COMPANY,
    CHARLIE_COMPANY,
    make_creditor,
    registration_data,
)
from tests.creditors.conftest import SIGNATORY


@pytest.fixture
def alice_co(alice):
    """Alice's company as Kom igång leaves it: the agreement not signed yet."""
    return make_creditor(ALICE_COMPANY, signatory=alice, signed=False)


@pytest.fixture
def charlie_co(charlie):
    return make_creditor(CHARLIE_COMPANY, signatory=charlie, signed=False)


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


# --- No collection before the agreement is signed ---------------------------------------------

def test_nothing_is_registered_before_the_agreement_is_signed(alice_client, alice_co,
                                                              alice_key, client):
    """The form, the CSV import and the API all refuse, saying why; nothing is written."""
    from claims.models import Claim

    page = alice_client.get("/arenden/nytt/").content.decode()
    assert 'data-testid="agreement-missing"' in page
    form = {k: v for k, v in registration_data().items() if v is not None}
    answer = alice_client.post("/arenden/nytt/", form).content.decode()
    assert "Uppdragsavtalet är inte signerat" in answer
    api = client.post("/api/v1/claims", content_type="application/json",
                      HTTP_AUTHORIZATION=f"Bearer {alice_key}", data=claim_body())
    assert api.status_code == 409 and api.json()["error"] == "agreement_not_signed"
    assert not Claim.objects.exists()


def test_registering_many_refuses_each_row_with_the_reason(alice_co):
    from claims.registration import parse_registration
    from claims.services import claim_register_many
    from django.utils import timezone

    registration, errors = parse_registration(registration_data(), today=timezone.localdate())
    assert not errors
    [refused] = claim_register_many(creditor=alice_co, registrations=[registration],
                                    today=timezone.localdate())
    assert refused.code == "agreement_not_signed" and "agreement" in refused.errors


def test_once_signed_claims_are_taken(sim, alice_browser, alice_co, transactional_db):
    complete_as(sim, SIGNATORY)
    sign(alice_browser)
    page = alice_browser.get("/arenden/nytt/").content.decode()
    assert 'data-testid="agreement-missing"' not in page

