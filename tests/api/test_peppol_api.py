"""POST /api/v1/claims/peppol: register a claim from a Peppol BIS Billing 3.0 e-invoice."""

from pathlib import Path

import pytest

from claims.models import Claim, Invoice
from tests.conftest import register

pytestmark = pytest.mark.django_db

URL = "/api/v1/claims/peppol"
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "peppol"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def post(client, key, data, content_type="application/xml", **extra):
    return client.post(URL, data, content_type=content_type,
                       HTTP_AUTHORIZATION=f"Bearer {key}", **extra)


def test_an_e_invoice_becomes_a_claim(client, alice_key, alice_co):
    response = post(client, alice_key, fixture("se-company.xml"))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["joined_existing_case"] is False
    assert body["debtor"]["kind"] == "company"
    assert body["debtor"]["identity_number"] == "556123-4567"
    assert body["debtor"]["address"]["street"] == "Hamngatan 32, Box 878"
    assert body["debtor"]["address"]["city"] == "Göteborg"
    assert body["debtor"]["email"] == "ekonomi@kundfastigheter.se"
    assert body["invoice_number"] == "EF-2025-100" and body["due_date"] == "2025-10-01"
    assert body["invoices"][0]["amount"] == "12500.00"
    assert body["invoices"][0]["description"] == "Snickeriarbete, trapphus; Material"
    # The creditor's own OCR and bankgiro, as the e-invoice printed them (not the case's OCR).
    assert body["invoices"][0]["payment_reference"] == "202510095"
    assert body["invoices"][0]["payee_bankgiro"] == "50501055"
    assert body["ocr"] != "202510095"
    claim = Claim.objects.get(pk=body["id"])
    assert claim.creditor == alice_co and claim.source == Claim.Source.API
    assert response["Content-Language"] == "en"


def test_the_embedded_pdf_is_the_invoice_document(client, alice_key):
    response = post(client, alice_key, fixture("se-person.xml"), content_type="text/xml")
    assert response.status_code == 201, response.content
    invoice = Invoice.objects.get(invoice_number="EF-2025-101")
    assert invoice.pdf.read().startswith(b"%PDF-")
    assert invoice.pdf_name == "faktura-EF-2025-101.pdf"


def test_an_invalid_invoice_names_the_rules_it_breaks(client, alice_key):
    text = fixture("se-company.xml").decode().replace(
        '<cbc:TaxAmount currencyID="SEK">2500.00</cbc:TaxAmount>',
        '<cbc:TaxAmount currencyID="SEK">2400.00</cbc:TaxAmount>', 1)
    response = post(client, alice_key, text.encode())
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "invalid_invoice" and body["fields"] == {}
    assert body["rules"] == [{
        "id": "BR-CO-15",
        "message": "[BR-CO-15]-Invoice total amount with VAT (BT-112) = Invoice total amount "
                   "without VAT (BT-109) + Invoice total VAT amount (BT-110).",
        "path": "/Invoice/cac:LegalMonetaryTotal/cbc:TaxInclusiveAmount"}]
    assert "BR-CO-15" in body["message"]
    assert not Claim.objects.exists()


@pytest.mark.parametrize("name,rule", [("base-example.xml", "EKRAV-CURRENCY"),
                                       ("base-creditnote-correction.xml", "EKRAV-CREDIT-NOTE")])
def test_the_official_examples_are_refused_with_ekravs_reasons(client, alice_key, name, rule):
    response = post(client, alice_key, fixture(name))
    assert response.status_code == 422
    assert rule in [r["id"] for r in response.json()["rules"]]


def test_an_invoice_of_another_company_is_refused(client, charlie_key, charlie_co):
    """Charlie's key with alice's invoice: not his company's invoice, and nothing of hers."""
    response = post(client, charlie_key, fixture("se-company.xml"))
    assert response.status_code == 422
    (rule,) = response.json()["rules"]
    assert rule["id"] == "EKRAV-SELLER" and "not issued by your company" in rule["message"]
    assert not Claim.objects.exists()


def test_the_registrations_rules_give_fields(client, alice_key):
    text = fixture("se-company.xml").decode().replace("2025-10-01", "2999-10-01")
    response = post(client, alice_key, text.encode())
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "invalid_invoice" and body["rules"] == []
    assert list(body["fields"]) == ["due_date"]


def test_a_registered_invoice_number_is_a_duplicate(client, alice_key, alice_co):
    register(alice_co, invoice_number="EF-2025-100")
    response = post(client, alice_key, fixture("se-company.xml"))
    assert response.status_code == 422
    assert response.json()["error"] == "duplicate_invoice"


@pytest.mark.parametrize("payload", [
    b"""<?xml version="1.0"?><!DOCTYPE Invoice [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2">&x;</Invoice>""",
    b"""<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">
]><Invoice>&b;</Invoice>""",
])
def test_xxe_and_entity_bombs_are_refused(client, alice_key, payload):
    response = post(client, alice_key, payload)
    assert response.status_code == 422
    assert [r["id"] for r in response.json()["rules"]] == ["EKRAV-DTD"]


def test_not_xml_is_refused(client, alice_key):
    response = post(client, alice_key, b"%PDF-1.4")
    assert response.status_code == 422
    assert [r["id"] for r in response.json()["rules"]] == ["EKRAV-NOT-XML"]


def test_json_is_not_an_e_invoice(client, alice_key):
    response = post(client, alice_key, b"{}", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"] == "bad_request"


def test_without_a_key_it_is_401(client):
    response = client.post(URL, fixture("se-company.xml"), content_type="application/xml")
    assert response.status_code == 401


def test_the_route_does_not_shadow_a_claims_id(client, alice_key, alice_co):
    claim = register(alice_co)
    response = client.get(f"/api/v1/claims/{claim.pk}", HTTP_AUTHORIZATION=f"Bearer {alice_key}")
    assert response.status_code == 200
    assert client.get(URL, HTTP_AUTHORIZATION=f"Bearer {alice_key}").status_code in (404, 405)


def test_the_openapi_document_describes_the_operation(client):
    document = client.get("/api/openapi.json").json()
    operation = document["paths"]["/api/v1/claims/peppol"]["post"]
    assert set(operation["requestBody"]["content"]) == {"application/xml", "text/xml"}
    error = operation["responses"]["422"]["content"]["application/json"]["schema"]["$ref"]
    schema = document["components"]["schemas"][error.rsplit("/", 1)[1]]
    assert {"error", "message", "fields", "rules"} <= set(schema["properties"])


def test_a_retry_with_the_same_idempotency_key_registers_once(client, alice_key):
    first = post(client, alice_key, fixture("se-company.xml"), HTTP_IDEMPOTENCY_KEY="inv-100")
    again = post(client, alice_key, fixture("se-company.xml"), HTTP_IDEMPOTENCY_KEY="inv-100")
    assert (first.status_code, again.status_code) == (201, 201)
    assert again["Idempotent-Replayed"] == "true" and again.json()["id"] == first.json()["id"]
    assert Invoice.objects.count() == 1
