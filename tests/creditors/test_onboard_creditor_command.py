"""manage.py onboard_creditor: the sign-up form's validation, for operators and scripts."""

import json
from io import StringIO

import pytest
from django.core.management import call_command

from creditors.models import ApiKey, Creditor
from creditors.services import api_key_authenticate
from tests.conftest import ALICE_COMPANY, make_creditor

VALID = {
    "--orgnr": "556036-0793", "--name": "Alice Bygg AB", "--form": "AB",
    "--bankgiro": "5050-1055", "--email": "ekonomi@alicebygg.se",
    "--street": "Storgatan 1", "--postal-code": "111 22", "--city": "Stockholm",
}


def run(**overrides):
    """Run the command; returns (exit status, stdout, stderr)."""
    options = {**VALID, **{k.replace("_", "-"): v for k, v in overrides.items()}}
    argv = [part for option, value in options.items() if value is not None
            for part in (option, value)]
    out, err = StringIO(), StringIO()
    try:
        call_command("onboard_creditor", *argv, stdout=out, stderr=err)
        status = 0
    except SystemExit as exc:
        status = exc.code
    return status, out.getvalue(), err.getvalue()


def errors_of(stderr):
    return json.loads(stderr)["errors"]


def test_onboards_and_prints_one_json_object_with_a_working_key(db):
    status, out, err = run(**{"--contact-name": "Alice Andersson",
                              "--contact-pnr": "19811228-9874"})

    assert status == 0, err
    result = json.loads(out)
    assert set(result) == {"creditor_id", "api_key"}
    creditor = Creditor.objects.get()
    assert result["creditor_id"] == creditor.pk
    assert creditor.organisation_number == "5560360793"
    assert creditor.form == "AB"
    assert creditor.f_tax_confirmed
    assert creditor.postal_code == "11122"
    assert creditor.contact_personnummer == "198112289874"
    assert api_key_authenticate(result["api_key"]) == creditor
    assert ApiKey.objects.get().key_hash != result["api_key"]  # stored hashed


def test_an_enskild_firma_uses_the_owners_personnummer(db):
    status, out, err = run(**{"--form": "EF", "--orgnr": "811228-9874",
                              "--name": "Alice Andersson Måleri"})

    assert status == 0, err
    assert Creditor.objects.get().organisation_number == "198112289874"


def test_an_hb_starts_with_9(db):
    assert run(**{"--form": "hb", "--orgnr": "969000-1236"})[0] == 0


def test_the_key_works_against_the_api(client, db):
    api_key = json.loads(run()[1])["api_key"]

    response = client.get("/api/v1/claims", HTTP_AUTHORIZATION=f"Bearer {api_key}")

    assert response.status_code == 200


@pytest.mark.parametrize("overrides, option", [
    ({"--orgnr": "556036-0794"}, "orgnr"),               # check digit
    ({"--form": "HB"}, "orgnr"),                          # an AB's number for an HB
    ({"--form": "AS"}, "form"),
    ({"--bankgiro": "5050-1056"}, "bankgiro"),
    ({"--email": "not-an-address"}, "email"),
    ({"--postal-code": "1234"}, "postal-code"),
    ({"--contact-pnr": "19811228-9875", "--contact-name": "A"}, "contact-pnr"),
    ({"--contact-name": "Alice Andersson"}, "contact-pnr"),
    ({"--contact-pnr": "19811228-9874"}, "contact-name"),
    ({"--name": "x" * 201}, "name"),
])
def test_invalid_input_is_refused_naming_the_option(db, overrides, option):
    status, out, err = run(**overrides)

    assert status == 1
    assert out == ""
    assert option in errors_of(err)
    assert all(isinstance(m, str) and m for m in errors_of(err)[option])
    assert not Creditor.objects.exists()
    assert not ApiKey.objects.exists()


@pytest.mark.parametrize("option", ["--orgnr", "--name", "--form", "--bankgiro", "--email",
                                    "--street", "--postal-code", "--city"])
def test_a_missing_required_option_is_named(db, option):
    status, out, err = run(**{option: None})

    assert status == 1
    assert errors_of(err) == {option[2:]: ["This field is required."]}
    assert not Creditor.objects.exists()


def test_every_error_at_once_in_english(db):
    status, _out, err = run(**{"--bankgiro": "1", "--email": "x", "--city": None})

    assert status == 1
    errors = errors_of(err)
    assert set(errors) == {"bankgiro", "email", "city"}
    assert errors["email"] == ["Enter a valid e-mail address."]


def test_an_organisation_number_already_registered_is_refused(db):
    make_creditor(ALICE_COMPANY)

    status, out, err = run()

    assert status == 1
    assert "already registered" in errors_of(err)["orgnr"][0]
    assert Creditor.objects.count() == 1
    assert not ApiKey.objects.exists()


def test_help_documents_the_address_and_f_tax():
    from creditors.management.commands.onboard_creditor import Command

    text = Command().create_parser("manage.py", "onboard_creditor").format_help()

    for word in ("--street", "--postal-code", "--city", "F-tax", "api_key", "stderr"):
        assert word in text
