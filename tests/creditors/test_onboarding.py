"""Sign-up rules for a creditor company (pure) and the onboarding service."""

from datetime import date

import pytest
from django.utils import translation

from creditors.models import Creditor, Membership
from creditors.onboarding import parse_onboarding
from creditors.services import CreditorError, creditor_onboard
from tests.conftest import ALICE_COMPANY

TODAY = date(2026, 11, 23)


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def parse(**overrides):
    return parse_onboarding({**ALICE_COMPANY, **overrides}, today=TODAY)


def test_a_valid_company_is_normalised():
    data, errors = parse()
    assert errors == {}
    assert data.organisation_number == "5560360793"
    assert data.bankgiro == "50501055"
    assert data.postal_code == "11122"
    assert data.contact_personnummer == "198112289874"
    assert data.contact_phone == "+46701234567"


@pytest.mark.parametrize("form,number,ok", [
    ("AB", "556036-0793", True),
    ("HB", "556036-0793", False),   # an HB's number starts with 9
    ("HB", "969612-3455", True),
    ("KB", "969612-3455", True),
    ("AB", "969612-3455", False),   # an AB's number starts with 5
    ("EF", "811228-9874", True),    # enskild firma: the owner's personnummer
    ("EF", "556036-0793", False),
    ("AB", "811228-9874", False),
    ("AB", "556036-0794", False),   # check digit
    ("EK", "769600-0000", False),   # ekonomisk förening: not a customer
])
def test_company_form_must_match_the_number(form, number, ok):
    data, errors = parse(form=form, organisation_number=number)
    assert (errors == {}) is ok, errors
    if not ok:
        assert set(errors) <= {"organisation_number", "form"}


def test_sole_trader_is_stored_with_the_owners_personnummer():
    data, _ = parse(form="EF", organisation_number="811228-9874")
    assert data.organisation_number == "198112289874"


@pytest.mark.parametrize("field,value", [
    ("bankgiro", "123-4567"),
    ("f_tax_confirmed", False),
    ("report_email", "nope"),
    ("postal_code", "1234"),
    ("contact_personnummer", "811228-9875"),
    ("name", ""),
])
def test_bad_fields_are_named(field, value):
    data, errors = parse(**{field: value})
    assert data is None and field in errors, errors


def test_without_f_tax_the_company_is_refused_with_a_reason():
    _data, errors = parse(f_tax_confirmed=False)
    assert "F-tax" in errors["f_tax_confirmed"][0]


@pytest.mark.django_db
def test_onboarding_makes_the_user_signatory(alice):
    data, _ = parse()
    creditor = creditor_onboard(data=data, signatory=alice)
    assert Membership.objects.get(user=alice, creditor=creditor).role == "signatory"


@pytest.mark.django_db
def test_a_second_creditor_with_the_same_number_is_refused(alice, charlie):
    data, _ = parse()
    creditor_onboard(data=data, signatory=alice)
    with pytest.raises(CreditorError) as exc:
        creditor_onboard(data=data, signatory=charlie)
    assert exc.value.code == "already_registered"
    assert Creditor.objects.count() == 1
    assert not Membership.objects.filter(user=charlie).exists()
