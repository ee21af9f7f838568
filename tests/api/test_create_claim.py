"""POST /api/v1/claims: register a claim over the API."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from claims.models import Claim, Event, Invoice, LedgerEntry
from debtors.models import Debtor

URL = "/api/v1/claims"


def claim_body(**overrides):
    """A valid request body; ``debtor`` / ``address`` overrides are merged, not replaced."""
    today = timezone.localdate()
    body = {
        "debtor": {
            "kind": "person", "identity_number": "19811228-9874", "name": "Dan Gäldenär",
            "address": {"street": "Lillgatan 2", "postal_code": "123 45", "city": "Uppsala"},
            "email": "dan@example.se",
        },
        "invoice_number": "F-1001",
        "invoice_date": (today - timedelta(days=40)).isoformat(),
        "due_date": (today - timedelta(days=10)).isoformat(),
        "amount": "1234.50", "description": "Målning av staket", "reminder_fee_agreed": True,
    }
    address = overrides.pop("address", {})
    debtor = overrides.pop("debtor", {})
    body["debtor"].update(debtor)
    body["debtor"]["address"].update(address)
    body.update(overrides)
    return body


def post(client, key, body, **extra):
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return client.post(URL, data, content_type="application/json",
                       HTTP_AUTHORIZATION=f"Bearer {key}", **extra)


def assert_validation_error(response, *fields):
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["error"] == "validation_error"
    assert body["message"]
    for field in fields:
        assert body["fields"].get(field), (field, body["fields"])
        assert all(isinstance(m, str) and m for m in body["fields"][field])
    return body


def test_registers_a_claim_and_returns_it(client, alice_co, alice_key, charlie_co):
    response = post(client, alice_key, claim_body())

    assert response.status_code == 201, response.content
    body = response.json()
    claim = Claim.objects.get()
    assert body["id"] == claim.pk
    assert body["case_number"] == claim.case_number
    assert body["ocr"] == claim.ocr
    assert body["status"] == "registered"
    assert body["debtor"] == {
        "kind": "person", "identity_number": "19811228-9874", "name": "Dan Gäldenär",
        "address": {"street": "Lillgatan 2", "postal_code": "12345", "city": "Uppsala"},
        "email": "dan@example.se", "phone": None,
    }
    assert body["invoice_number"] == "F-1001"
    assert body["due_date"] == (timezone.localdate() - timedelta(days=10)).isoformat()
    assert body["registered_on"] == timezone.localdate().isoformat()
    assert body["balance"] == {"capital": "1234.50", "interest": "0.00", "fees": "0.00",
                               "paid": "0.00", "surplus": "0.00", "outstanding": "1234.50",
                               "remaining": {"capital": "1234.50", "interest": "0.00",
                                             "fees": "0.00"}}
    assert [e["kind"] for e in body["events"]] == ["registered"]
    assert body["events"][0]["text"].startswith("Claim registered: invoice F-1001")
    assert body["letters"] == []
    assert body["joined_existing_case"] is False
    assert [i["invoice_number"] for i in body["invoices"]] == ["F-1001"]
    assert claim.creditor == alice_co
    assert claim.source == Claim.Source.API
    assert not Claim.objects.for_creditor(charlie_co).exists()


# --- one case per debtor ------------------------------------------------------------------------


def test_an_invoice_for_a_debtor_with_an_open_case_joins_it(client, alice_key):
    first = post(client, alice_key, claim_body()).json()

    response = post(client, alice_key, claim_body(invoice_number="F-1002", amount="100.00",
                                                   due_date=(timezone.localdate() - timedelta(
                                                       days=20)).isoformat()))

    assert response.status_code == 201, response.content  # the contract's code, either way
    body = response.json()
    assert body["joined_existing_case"] is True
    assert (body["id"], body["case_number"], body["ocr"]) == (
        first["id"], first["case_number"], first["ocr"])
    # The case's first invoice stays its invoice_number; every invoice is in invoices.
    assert body["invoice_number"] == "F-1001"
    assert [i["invoice_number"] for i in body["invoices"]] == ["F-1001", "F-1002"]
    assert body["balance"]["capital"] == "1334.50"
    assert [e["kind"] for e in body["events"]] == ["registered", "invoice_added"]
    assert "F-1002" in body["events"][1]["text"]
    assert Claim.objects.count() == 1 and Invoice.objects.count() == 2


def test_after_the_collection_demand_an_invoice_opens_a_new_case(client, alice_key):
    first = post(client, alice_key, claim_body()).json()
    Claim.objects.filter(pk=first["id"]).update(status="demand_sent")

    body = post(client, alice_key, claim_body(invoice_number="F-1002")).json()

    assert body["joined_existing_case"] is False and body["id"] != first["id"]
    assert [e["kind"] for e in body["events"]] == ["registered"]


def test_another_creditors_case_for_the_same_debtor_is_never_joined(client, alice_key,
                                                                     charlie_key):
    alices = post(client, alice_key, claim_body()).json()

    charlies = post(client, charlie_key, claim_body(invoice_number="C-1")).json()

    assert charlies["joined_existing_case"] is False and charlies["id"] != alices["id"]
    assert [i["invoice_number"] for i in client.get(
        f"{URL}/{alices['id']}", HTTP_AUTHORIZATION=f"Bearer {alice_key}").json()[
        "invoices"]] == ["F-1001"]


def test_the_openapi_document_says_an_invoice_may_join_a_case(client, db):
    document = client.get("/api/openapi.json").json()
    created = document["paths"]["/api/v1/claims"]["post"]["responses"]
    assert set(created) >= {"201"} and "200" not in created
    schema = created["201"]["content"]["application/json"]["schema"]["$ref"].split("/")[-1]
    fields = document["components"]["schemas"][schema]["properties"]
    assert "debtor's open case" in fields["joined_existing_case"]["description"]
    assert "invoices" in fields


def test_speaks_english_whatever_the_client_prefers(client, alice_key):
    response = post(client, alice_key, claim_body(), HTTP_ACCEPT_LANGUAGE="sv")

    assert response.status_code == 201
    assert response["Content-Language"] == "en"
    assert response.json()["events"][0]["text"].startswith("Claim registered")


def test_accepts_optional_country_sweden_and_a_phone(client, alice_key):
    body = claim_body(address={"country": "SE"}, debtor={"phone": "070-123 45 67"})

    response = post(client, alice_key, body)

    assert response.status_code == 201, response.content
    assert response.json()["debtor"]["phone"] == "+46701234567"


@pytest.mark.parametrize("amount, expected", [
    ("1234.50", "1234.50"), ("99", "99.00"), (1234.5, "1234.50"), (250, "250.00"),
    ("0.01", "0.01"), ("100000000.00", "100000000.00"),
])
def test_accepts_amounts_as_decimal_strings_and_numbers(client, alice_key, amount, expected):
    response = post(client, alice_key, claim_body(amount=amount))

    assert response.status_code == 201, response.content
    assert response.json()["balance"]["capital"] == expected


@pytest.mark.parametrize("amount", [
    "12.345", 12.345, "0", 0, "0.00", "-5", -5, "100000000.01", "1e9", 10**12, "abc", "",
    True, None, [], {"sek": 1},
])
def test_refuses_bad_amounts(client, alice_key, amount):
    response = post(client, alice_key, claim_body(amount=amount))

    assert_validation_error(response, "amount")
    assert not Claim.objects.exists()


def test_names_every_bad_field_in_the_apis_nested_names(client, alice_key):
    body = claim_body(debtor={"identity_number": "19811228-9875", "email": "not-an-e-mail"},
                      address={"postal_code": "1234"}, amount="12.345")

    response = post(client, alice_key, body)

    body = assert_validation_error(response, "debtor.identity_number", "debtor.email",
                                   "debtor.address.postal_code", "amount")
    assert "check digit" in body["fields"]["debtor.identity_number"][0]
    assert not any(name.startswith("debtor_") for name in body["fields"])


def test_missing_fields_are_named(client, alice_key):
    body = claim_body()
    del body["invoice_number"], body["debtor"]["address"]["city"]

    response = post(client, alice_key, body)

    body = assert_validation_error(response, "invoice_number", "debtor.address.city")
    assert body["fields"]["invoice_number"] == ["Field required"]


def test_blank_required_fields_are_named(client, alice_key):
    response = post(client, alice_key, claim_body(description=" ", debtor={"name": ""}))

    body = assert_validation_error(response, "description", "debtor.name")
    assert body["fields"]["description"] == ["This field is required."]


def test_an_empty_body_is_a_validation_error(client, alice_key):
    assert_validation_error(post(client, alice_key, {}), "debtor", "amount")


@pytest.mark.parametrize("override, field", [
    ({"debtor": {"kind": "alien"}}, "debtor.kind"),
    ({"reminder_fee_agreed": "maybe"}, "reminder_fee_agreed"),
    ({"reminder_fee_agreed": None}, "reminder_fee_agreed"),
    ({"invoice_number": 1001}, "invoice_number"),
    ({"invoice_date": "12/01/2024"}, "invoice_date"),
    ({"due_date": "2024-02-30"}, "due_date"),
    ({"debtor": {"address": "Lillgatan 2"}}, "debtor.address"),
    ({"debtor": {"address": None}}, "debtor.address"),
    ({"debtor": {"name": "x" * 201}}, "debtor.name"),
    ({"debtor": {"email": "d" * 250 + "@example.se"}}, "debtor.email"),
    ({"description": "nul \x00 byte"}, "description"),
    ({"description": "lone \ud800 surrogate"}, "description"),
])
def test_refuses_wrong_types_and_shapes(client, alice_key, override, field):
    body = claim_body()
    if "debtor" in override:
        body["debtor"].update(override["debtor"])
    else:
        body.update(override)

    assert_validation_error(post(client, alice_key, body), field)


def test_refuses_a_person_debtor_with_an_organisationsnummer(client, alice_key):
    response = post(client, alice_key, claim_body(debtor={"identity_number": "556036-0793"}))

    body = assert_validation_error(response, "debtor.identity_number")
    assert "company" in body["fields"]["debtor.identity_number"][0]


def test_registers_a_company_debtor(client, alice_key):
    body = claim_body(debtor={"kind": "company", "identity_number": "5560360793"})

    response = post(client, alice_key, body)

    assert response.status_code == 201, response.content
    assert response.json()["debtor"]["identity_number"] == "556036-0793"


def test_refuses_a_foreign_address(client, alice_key):
    response = post(client, alice_key, claim_body(address={"country": "Norway"}))

    body = assert_validation_error(response, "debtor.address.country")
    assert "foreign" in body["fields"]["debtor.address.country"][0]


def test_refuses_an_invoice_not_yet_due(client, alice_key):
    today = timezone.localdate()

    response = post(client, alice_key, claim_body(due_date=today.isoformat()))

    body = assert_validation_error(response, "due_date")
    assert "before today" in body["fields"]["due_date"][0]


def test_refuses_a_due_date_before_the_invoice_date(client, alice_key):
    today = timezone.localdate()
    body = claim_body(invoice_date=(today - timedelta(days=5)).isoformat(),
                      due_date=(today - timedelta(days=6)).isoformat())

    assert_validation_error(post(client, alice_key, body), "due_date")


@pytest.mark.parametrize("raw", ['{"debtor": ', "not json", b"\xff\xfe\x00", "{'a': 1}"])
def test_malformed_json_is_a_400(client, alice_key, raw):
    response = post(client, alice_key, raw)

    assert response.status_code == 400
    assert response.json() == {"error": "bad_request",
                               "message": "The request body is not valid JSON.", "fields": {}}


@pytest.mark.parametrize("raw", ["[1, 2]", '"claim"', "42", "null"])
def test_json_that_is_not_an_object_is_a_422(client, alice_key, raw):
    response = post(client, alice_key, raw)

    assert response.status_code == 422
    assert response.json()["error"] == "validation_error"


def test_duplicate_invoice_number_names_the_existing_case(client, alice_key):
    first = post(client, alice_key, claim_body()).json()

    response = post(client, alice_key, claim_body(amount="99.00"))

    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "duplicate_invoice"
    assert first["case_number"] in body["message"]
    assert first["case_number"] in body["fields"]["invoice_number"][0]
    assert Invoice.objects.count() == 1


def test_another_creditor_may_use_the_same_invoice_number(client, alice_key, charlie_key):
    assert post(client, alice_key, claim_body()).status_code == 201

    assert post(client, charlie_key, claim_body()).status_code == 201


def test_nothing_is_written_when_refused(client, alice_key):
    post(client, alice_key, claim_body(address={"postal_code": "x"}))

    for model in (Claim, Invoice, Event, LedgerEntry, Debtor):
        assert not model.objects.exists()
