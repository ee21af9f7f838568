"""Mitt Ärende opened with BankID (against ekrav's BankID simulator over real HTTP): the person
sees every case of theirs at ekrav, across creditors, and nobody else's; a person with no case
is told so and sees nothing."""

from django.test import Client

from debtors import portal
from tests.claims.test_collection import register_on
from tests.conftest import another_debtor
from tests.bankid import HX, complete_as

DAN = "198112289874"  # the default debtor of tests.conftest.registration_data


def open_with_bankid(visitor):
    started = visitor.post("/mitt-arende/bankid/")
    assert started.status_code == 200 and 'data-status="pending"' in started.content.decode()
    return visitor.get("/mitt-arende/bankid/", **HX)


def test_bankid_opens_every_case_of_the_person_across_creditors(
        sim, alice_co, charlie_co, transactional_db):
    at_alice = register_on(alice_co)
    at_charlie = register_on(charlie_co, invoice_number="C-77")
    someone_else = register_on(alice_co, invoice_number="X-1", **another_debtor(3))
    visitor = Client()
    complete_as(sim, DAN, name="Dan Gäldenär")
    answer = open_with_bankid(visitor)
    assert answer["HX-Redirect"] == "/mitt-arende/arenden/"
    assert visitor.session[portal.SESSION_KEY]["method"] == portal.BANKID
    listing = visitor.get("/mitt-arende/arenden/").content.decode()
    assert at_alice.case_number in listing and at_charlie.case_number in listing
    assert someone_else.case_number not in listing
    assert visitor.get(f"/mitt-arende/arenden/{at_charlie.pk}/").status_code == 200
    assert visitor.get(f"/mitt-arende/arenden/{someone_else.pk}/").status_code == 404


def test_a_person_without_cases_sees_nothing(sim, alice_co, transactional_db):
    register_on(alice_co)
    visitor = Client()
    complete_as(sim, "195001010008", name="Olle Okänd")
    answer = open_with_bankid(visitor)
    assert "HX-Redirect" not in answer
    assert "inget ärende" in answer.content.decode()
    assert portal.SESSION_KEY not in visitor.session


def test_the_door_offers_bankid(client, db):
    body = client.get("/mitt-arende/").content.decode()
    assert 'data-testid="open-bankid"' in body
