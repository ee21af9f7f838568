"""claims.peppol: Peppol BIS Billing 3.0 e-invoices to claim registrations (pure, no database).

The official OpenPEPPOL examples and ekrav's Swedish variants live in tests/fixtures/peppol/.
Every rule the reader checks has a case here that breaks it, named by its rule id."""

import re
from datetime import date
from pathlib import Path

import pytest
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from claims.peppol import (
    MAX_BYTES,
    OFFICIAL,
    PeppolError,
    invoice_document,
    read_invoice,
    registration_of,
)

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "peppol"
ALICE = "5560360793"  # the tests' creditor (tests.conftest.ALICE_COMPANY)
TODAY = date(2026, 1, 15)


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def rule_ids(data, creditor=ALICE) -> list[str]:
    with pytest.raises(PeppolError) as caught:
        read_invoice(data if isinstance(data, bytes) else data.encode(), creditor_identity=creditor)
    return [rule.id for rule in caught.value.rules]


def without(text: str, pattern: str, nth: int = 0) -> str:
    """``text`` with the ``nth`` match of ``pattern`` (a regex, across lines) cut out."""
    matches = list(re.finditer(pattern, text, re.S))
    assert len(matches) > nth, pattern
    match = matches[nth]
    return text[:match.start()] + text[match.end():]


def replaced(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, old
    return text.replace(old, new)


# --- the examples ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["base-example.xml", "vat-category-Z.xml"])
def test_the_official_examples_break_only_ekravs_own_rules(name):
    """OpenPEPPOL's examples are valid Peppol invoices: no official rule fires. They are not
    ekrav's creditor's, nor in SEK, nor to Swedish buyers, and ekrav says so."""
    ids = rule_ids(fixture(name))
    assert ids and all(i.startswith("EKRAV-") for i in ids), ids
    assert {"EKRAV-CURRENCY", "EKRAV-SELLER", "EKRAV-BUYER-ID"} <= set(ids)


def test_the_official_example_with_the_creditors_identity_reads_as_a_claim():
    """base-example.xml, changed only where ekrav needs it (seller, buyer, SEK), maps as the
    mapping says: the lines' names, the buyer's contact, the PaymentID."""
    text = fixture("base-example.xml").replace("EUR", "SEK")
    text = replaced(text, "<cbc:CompanyID>GB983294</cbc:CompanyID>",
                    f'<cbc:CompanyID schemeID="0007">{ALICE}</cbc:CompanyID>')
    text = replaced(text, '<cbc:CompanyID schemeID="0183">39937423947</cbc:CompanyID>',
                    '<cbc:CompanyID schemeID="0007">5561234567</cbc:CompanyID>')
    invoice = read_invoice(text.encode(), creditor_identity=ALICE)
    values = invoice.values
    assert values["invoice_number"] == "Snippet1"
    assert (values["invoice_date"], values["due_date"]) == ("2017-11-13", "2017-12-01")
    assert values["amount"] == "1656.25"
    assert values["description"] == "item name; item name 2"
    assert values["debtor_kind"] == "company"  # a VAT-registered buyer
    assert values["debtor_name"] == "Buyer Official Name"
    assert values["debtor_street"] == "Hovedgatan 32, Po box 878"
    assert values["debtor_email"] == "lj@buyer.se"
    assert invoice.payment_reference == "Snippet1" and invoice.bankgiro == ""


def test_the_official_credit_note_is_refused_as_a_credit_note():
    assert rule_ids(fixture("base-creditnote-correction.xml")) == ["EKRAV-CREDIT-NOTE"]


def test_a_swedish_company_invoice():
    invoice = read_invoice(fixture("se-company.xml").encode(), creditor_identity=ALICE)
    assert invoice.values == {
        "debtor_kind": "company", "debtor_identity_number": "5561234567",
        "debtor_name": "Kund Fastigheter AB", "debtor_street": "Hamngatan 32, Box 878",
        "debtor_postal_code": "411 06", "debtor_city": "Göteborg", "debtor_country": "SE",
        "debtor_email": "ekonomi@kundfastigheter.se", "debtor_phone": "08-123 456 78",
        "invoice_number": "EF-2025-100", "invoice_date": "2025-09-01",
        "due_date": "2025-10-01", "amount": "12500.00",
        "description": "Snickeriarbete, trapphus; Material", "reminder_fee_agreed": True,
    }
    assert (invoice.payment_reference, invoice.bankgiro) == ("202510095", "50501055")
    assert invoice.pdf is None
    registration, errors, notes = registration_of(invoice, today=TODAY)
    assert errors == {} and notes == []
    assert registration.invoice.amount_ore == 1_250_000
    assert registration.debtor.phone == "+46812345678"


def test_a_swedish_person_invoice_with_its_pdf():
    invoice = read_invoice(fixture("se-person.xml").encode(), creditor_identity="556036-0793")
    assert invoice.values["debtor_kind"] == "person"  # no VAT number, a personnummer
    assert invoice.values["debtor_identity_number"] == "19811228-9874"
    assert invoice.values["reminder_fee_agreed"] is True  # "påminnelseavgift" in the terms
    assert (invoice.payment_reference, invoice.bankgiro) == ("202510194", "5050-1055")
    upload, name, note = invoice_document(invoice)
    assert upload.read().startswith(b"%PDF-") and name == "faktura-EF-2025-101.pdf"
    assert note == ""
    registration, errors, _notes = registration_of(invoice, today=TODAY)
    assert errors == {} and registration.debtor.identity_number == "198112289874"


# --- every rule, broken ------------------------------------------------------------------------

SE = fixture("se-company.xml")
BREAKS = [
    ("BR-01", lambda t: without(t, r"<cbc:CustomizationID>.*?</cbc:CustomizationID>")),
    ("PEPPOL-EN16931-R004", lambda t: t.replace(
        "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0",
        "urn:cen.eu:en16931:2017")),
    ("PEPPOL-EN16931-R001", lambda t: without(t, r"<cbc:ProfileID>.*?</cbc:ProfileID>")),
    ("PEPPOL-EN16931-R007", lambda t: t.replace("poacc:billing:01:1.0", "poacc:billing:bad")),
    ("BR-02", lambda t: replaced(t, "<cbc:ID>EF-2025-100</cbc:ID>", "<cbc:ID></cbc:ID>")),
    ("BR-03", lambda t: without(t, r"<cbc:IssueDate>.*?</cbc:IssueDate>")),
    ("BR-04", lambda t: without(t, r"<cbc:InvoiceTypeCode>.*?</cbc:InvoiceTypeCode>")),
    ("BR-05", lambda t: without(t, r"<cbc:DocumentCurrencyCode>.*?</cbc:DocumentCurrencyCode>")),
    ("BR-06", lambda t: without(t, r"<cbc:RegistrationName>Alice Bygg AB</cbc:RegistrationName>")),
    ("BR-07", lambda t: without(t, r"<cbc:RegistrationName>Kund Fastigheter AB</cbc:Regi\w+>")),
    ("BR-08", lambda t: without(t, r"<cac:PostalAddress>.*?</cac:PostalAddress>", 0)),
    ("BR-09", lambda t: without(t, r"<cac:Country>.*?</cac:Country>", 0)),
    ("BR-10", lambda t: without(t, r"<cac:PostalAddress>.*?</cac:PostalAddress>", 1)),
    ("BR-11", lambda t: without(t, r"<cac:Country>.*?</cac:Country>", 1)),
    ("BR-12", lambda t: without(t, r'<cbc:LineExtensionAmount currencyID="SEK">10000.00<.*?>')),
    ("BR-13", lambda t: without(t, r"<cbc:TaxExclusiveAmount .*?</cbc:TaxExclusiveAmount>")),
    ("BR-14", lambda t: without(t, r"<cbc:TaxInclusiveAmount .*?</cbc:TaxInclusiveAmount>")),
    ("BR-15", lambda t: without(t, r"<cbc:PayableAmount .*?</cbc:PayableAmount>")),
    ("BR-16", lambda t: re.sub(r"<cac:InvoiceLine>.*?</cac:InvoiceLine>", "", t, flags=re.S)),
    ("BR-CO-15", lambda t: t.replace('<cbc:TaxAmount currencyID="SEK">2500.00</cbc:TaxAmount>',
                                     '<cbc:TaxAmount currencyID="SEK">2400.00</cbc:TaxAmount>', 1)),
    ("BR-CO-16", lambda t: replaced(t, "<cbc:PayableAmount ",
                                    '<cbc:PrepaidAmount currencyID="SEK">500.00</cbc:PrepaidAmount>'
                                    "<cbc:PayableAmount ")),
    ("BR-CO-25", lambda t: without(without(t, r"<cbc:DueDate>.*?</cbc:DueDate>"),
                                   r"<cac:PaymentTerms>.*?</cac:PaymentTerms>")),
    ("BR-DEC-18", lambda t: replaced(t, ">12500.00</cbc:PayableAmount>",
                                     ">12500.001</cbc:PayableAmount>")),
    ("BR-49", lambda t: without(t, r"<cbc:PaymentMeansCode.*?</cbc:PaymentMeansCode>")),
    ("BR-50", lambda t: replaced(t, "<cbc:ID>50501055</cbc:ID>", "<cbc:ID></cbc:ID>")),
    ("EKRAV-CURRENCY", lambda t: t.replace("SEK", "EUR")),
    ("EKRAV-CURRENCY", lambda t: replaced(t, '<cbc:PayableAmount currencyID="SEK">',
                                          '<cbc:PayableAmount currencyID="NOK">')),
    ("EKRAV-DUE-DATE", lambda t: without(t, r"<cbc:DueDate>.*?</cbc:DueDate>")),
    ("EKRAV-SELLER", lambda t: t.replace(ALICE, "5566778899").replace(
        "SE556036079301", "SE556677889901")),
    ("EKRAV-BUYER-ID", lambda t: t.replace("5561234567", "").replace(
        "SE556123456701", "DK12345678")),
    ("EKRAV-CREDIT-NOTE", lambda t: t.replace(">380<", ">381<")),
    ("EKRAV-NUMBER", lambda t: t.replace(">12500.00</cbc:PayableAmount>",
                                         ">12 500,00</cbc:PayableAmount>")),
]


@pytest.mark.parametrize("rule_id,broken", BREAKS, ids=[f"{r}-{n}" for n, (r, _b)
                                                         in enumerate(BREAKS)])
def test_each_rule_refuses_an_invoice_that_breaks_it(rule_id, broken):
    text = broken(SE)
    assert text != SE
    with pytest.raises(PeppolError) as caught:
        read_invoice(text.encode(), creditor_identity=ALICE)
    rules = {rule.id: rule for rule in caught.value.rules}
    assert rule_id in rules, list(rules)
    if rule_id in OFFICIAL:
        assert rules[rule_id].message == OFFICIAL[rule_id]  # the official text, verbatim
    assert rules[rule_id].path.startswith("/Invoice")


def test_the_official_texts_carry_their_ids():
    for rule_id, text in OFFICIAL.items():
        assert text.startswith(f"[{rule_id}]-") or rule_id.startswith("PEPPOL-"), rule_id


def test_a_due_date_from_the_payment_terms_is_not_guessed():
    """BR-CO-25 accepts payment terms instead of a due date; ekrav needs the date itself."""
    ids = rule_ids(without(SE, r"<cbc:DueDate>.*?</cbc:DueDate>"))
    assert ids == ["EKRAV-DUE-DATE"]


def test_the_seller_message_names_both_numbers():
    with pytest.raises(PeppolError) as caught, translation.override("en"):
        read_invoice(SE.encode(), creditor_identity="5566778899")
    (rule,) = caught.value.rules
    assert rule.id == "EKRAV-SELLER"
    assert "not issued by your company" in rule.message and "5560360793" in rule.message
    with translation.override("sv"):
        with pytest.raises(PeppolError) as caught:
            read_invoice(SE.encode(), creditor_identity="5566778899")
    assert "inte utställd av ditt företag" in caught.value.rules[0].message


def test_the_seller_may_be_given_only_by_its_vat_number():
    text = SE.replace(f'<cbc:CompanyID schemeID="0007">{ALICE}</cbc:CompanyID>', "")
    text = text.replace(f'<cbc:EndpointID schemeID="0007">{ALICE}</cbc:EndpointID>',
                        '<cbc:EndpointID schemeID="0088">7300010000001</cbc:EndpointID>')
    assert read_invoice(text.encode(), creditor_identity=ALICE).values["amount"] == "12500.00"


# --- the file as a whole -----------------------------------------------------------------------

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE Invoice [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2">&xxe;</Invoice>"""
LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">]>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2">&lol4;</Invoice>"""
PARAMETER_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE Invoice [<!ENTITY % remote SYSTEM "http://127.0.0.1:9/evil.dtd"> %remote;]>
<Invoice/>"""


@pytest.mark.parametrize("payload", [XXE, LAUGHS, PARAMETER_ENTITY,
                                     b'<!DOCTYPE Invoice SYSTEM "http://127.0.0.1:9/x.dtd">'
                                     b"<Invoice/>"])
def test_a_dtd_is_refused_before_any_entity_is_read(payload):
    assert rule_ids(payload) == ["EKRAV-DTD"]


@pytest.mark.parametrize("payload,rule_id", [
    (b"", "EKRAV-NOT-XML"),
    (b"%PDF-1.4 not xml", "EKRAV-NOT-XML"),
    (b"<Invoice>", "EKRAV-NOT-XML"),
    ("<Invoice>ü</Invoice>".encode("utf-16"), "EKRAV-NOT-UBL"),
    (b"<Invoice/>", "EKRAV-NOT-UBL"),
    (b'<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Order-2"/>', "EKRAV-NOT-UBL"),
    (b"<html><body>Faktura</body></html>", "EKRAV-NOT-UBL"),
])
def test_a_file_that_is_no_ubl_invoice_is_refused_with_the_reason(payload, rule_id):
    assert rule_ids(payload) == [rule_id]


def test_a_file_over_the_limit_is_refused_unread():
    assert rule_ids(b" " * (MAX_BYTES + 1)) == ["EKRAV-SIZE"]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_raise_only_the_modules_error(data):
    try:
        read_invoice(data, creditor_identity=ALICE)
    except PeppolError as exc:
        assert exc.rules
    else:
        pytest.fail("random bytes read as an invoice")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, len(SE)), st.integers(0, 200), st.text(max_size=40))
def test_a_damaged_invoice_raises_only_the_modules_error(at, cut, insert):
    """Cut and spliced copies of a valid invoice: either a claim or PeppolError, never a crash."""
    data = (SE[:at] + insert + SE[at + cut:]).encode("utf-8", "surrogatepass")
    try:
        invoice = read_invoice(data, creditor_identity=ALICE)
    except PeppolError as exc:
        assert exc.rules
    else:
        registration_of(invoice, today=TODAY)


# --- the registration --------------------------------------------------------------------------


def test_a_contact_detail_ekrav_cannot_use_is_left_out_with_a_note():
    text = SE.replace("08-123 456 78", "+47 not a phone")
    registration, errors, notes = registration_of(
        read_invoice(text.encode(), creditor_identity=ALICE), today=TODAY)
    assert errors == {} and registration.debtor.phone == ""
    assert len(notes) == 1 and "+47 not a phone" in notes[0]


def test_the_registrations_own_rules_apply():
    """A due date not yet passed is refused as the form refuses it, by field."""
    invoice = read_invoice(SE.encode(), creditor_identity=ALICE)
    registration, errors, _notes = registration_of(invoice, today=date(2025, 9, 15))
    assert registration is None and set(errors) == {"due_date"}


def test_a_buyer_with_a_vat_number_and_a_personnummer_is_an_enskild_firma():
    text = SE.replace("5561234567", "198112289874").replace("SE556123456701", "SE811228987401")
    invoice = read_invoice(text.encode(), creditor_identity=ALICE)
    assert invoice.values["debtor_kind"] == "company"
    registration, errors, _notes = registration_of(invoice, today=TODAY)
    assert errors == {} and registration.debtor.identity_number == "198112289874"


def test_without_reminder_fee_terms_no_fee_is_agreed():
    text = SE.replace(" Påminnelseavgift 60 kr.", "")
    assert read_invoice(text.encode(), creditor_identity=ALICE).values[
        "reminder_fee_agreed"] is False


def test_a_long_description_is_cut_to_the_fields_length():
    text = SE.replace("Material", "M" * 400)
    description = read_invoice(text.encode(), creditor_identity=ALICE).values["description"]
    assert len(description) == 200 and description.endswith("…")


def test_without_item_names_the_note_is_the_description():
    text = re.sub(r"<cbc:Name>(Snickeri|Material)[^<]*</cbc:Name>", "", SE)
    assert read_invoice(text.encode(), creditor_identity=ALICE).values["description"] == (
        "Dröjsmålsränta enligt räntelagen. Påminnelseavgift 60 kr.")


def test_an_embedded_file_that_is_no_pdf_is_not_attached():
    text = fixture("se-person.xml")
    text = re.sub(r'(filename="faktura-EF-2025-101.pdf">)[^<]+', r"\1bm90IGEgcGRm", text)
    invoice = read_invoice(text.encode(), creditor_identity=ALICE)
    upload, _name, note = invoice_document(invoice)
    assert upload is None and note
