"""The registration rules shared by the form, the CSV import and the API (pure)."""

from datetime import date, timedelta

import pytest
from hypothesis import given, strategies as st
from django.utils import translation

from claims.registration import parse_registration

TODAY = date(2026, 11, 23)


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def data(**overrides):
    base = {
        "debtor_kind": "person", "debtor_identity_number": "811228-9874",
        "debtor_name": "Dan Gäldenär", "debtor_street": "Lillgatan 2",
        "debtor_postal_code": "123 45", "debtor_city": "Uppsala", "debtor_email": "",
        "debtor_phone": "", "invoice_number": "F-1", "invoice_date": "2026-10-01",
        "due_date": "2026-10-31", "amount": "1 234,50", "description": "Målning",
        "reminder_fee_agreed": "ja",
    }
    base.update(overrides)
    return base


def test_valid_registration_is_normalised():
    reg, errors = parse_registration(data(), today=TODAY)
    assert errors == {}
    assert reg.debtor.identity_number == "198112289874"
    assert reg.debtor.postal_code == "12345"
    assert reg.invoice.amount_ore == 123450
    assert reg.invoice.reminder_fee_agreed is True
    assert reg.invoice.due_date == date(2026, 10, 31)


def test_company_debtor_takes_an_organisation_number():
    reg, errors = parse_registration(
        data(debtor_kind="company", debtor_identity_number="556036-0793"), today=TODAY)
    assert errors == {}
    assert reg.debtor.identity_number == "5560360793"


def test_samordningsnummer_is_accepted():
    reg, errors = parse_registration(data(debtor_identity_number="811288-9863"), today=TODAY)
    assert errors == {}


@pytest.mark.parametrize("field,value,fragment", [
    ("debtor_identity_number", "811228-9875", "check digit"),
    ("debtor_identity_number", "ABC123", "foreign"),
    ("debtor_postal_code", "1234", "5 digits"),
    ("debtor_postal_code", "DK-2100", ""),
    ("debtor_country", "Norge", "abroad"),
    ("debtor_kind", "alien", "person or company"),
    ("debtor_email", "not-an-email", "e-mail"),
    ("invoice_date", "23/10/2026", "YYYY-MM-DD"),
    ("invoice_date", "2026-12-01", "future"),
    ("due_date", "2026-11-23", "before today"),
    ("due_date", "2026-09-30", "before the invoice date"),
    ("amount", "0", ""),
    ("amount", "-5", ""),
    ("amount", "12,345", ""),
    ("amount", "abc", ""),
    ("reminder_fee_agreed", "kanske", "yes or no"),
    ("debtor_name", "", "required"),
    ("description", "x" * 201, "200"),
])
def test_each_bad_field_is_named_with_a_reason(field, value, fragment):
    reg, errors = parse_registration(data(**{field: value}), today=TODAY)
    assert reg is None
    assert field in errors, errors
    # A future invoice date also makes the (past) due date precede it: both are named.
    assert set(errors) <= {field, "due_date"}, errors
    assert fragment.lower() in " ".join(errors[field]).lower()


def test_all_bad_fields_are_reported_at_once():
    _reg, errors = parse_registration(
        data(debtor_identity_number="1", amount="x", due_date="", debtor_city=""), today=TODAY)
    assert set(errors) == {"debtor_identity_number", "amount", "due_date", "debtor_city"}


@given(days_overdue=st.integers(min_value=1, max_value=3000),
       ore=st.integers(min_value=1, max_value=10**10))
def test_any_overdue_positive_amount_is_accepted(days_overdue, ore):
    due = TODAY - timedelta(days=days_overdue)
    reg, errors = parse_registration(
        data(invoice_date=due.isoformat(), due_date=due.isoformat(),
             amount=f"{ore // 100}.{ore % 100:02d}"), today=TODAY)
    assert errors == {}
    assert reg.invoice.amount_ore == ore


@given(days=st.integers(min_value=0, max_value=400))
def test_a_due_date_today_or_later_is_refused(days):
    due = TODAY + timedelta(days=days)
    _reg, errors = parse_registration(data(due_date=due.isoformat()), today=TODAY)
    assert "due_date" in errors
