"""E-invoices in, claims out: Peppol BIS Billing 3.0 (UBL 2.1 Invoice) to a claim registration.

Pure: no ORM, no clock. ``read_invoice`` takes the file's bytes and either raises
``PeppolError`` with every rule the file breaks, or returns a ``PeppolInvoice`` whose
``values`` are the flat registration input of ``claims.registration.parse_registration`` (so an
e-invoice is refused for exactly what the form, the CSV import and the API refuse).

Rules carry their official identifiers and texts from the Peppol BIS Billing 3.0 and EN 16931
schematrons (OpenPEPPOL/peppol-bis-invoice-3, rules/sch): only those that matter for a claim
(who, how much, when due, what for) are checked; an operator (Inexchange, Pagero...) has
validated the rest before delivery. ekrav's own rules are named ``EKRAV-*``.

Mapping (DOMAIN.md, "Peppol BIS Billing 3 / Svefaktura"):

- invoice number ``cbc:ID``; issue date ``cbc:IssueDate``; due date ``cbc:DueDate`` only: the
  payment terms (BT-20) are free text ("30 dagar netto", "10 days, 2% discount"), and a due date
  guessed from them could make a claim overdue that is not, so an invoice without
  ``cbc:DueDate`` is refused (``EKRAV-DUE-DATE``) although BR-CO-25 accepts terms instead;
- amount ``cac:LegalMonetaryTotal/cbc:PayableAmount`` (BT-115), in SEK only;
- the debtor from ``cac:AccountingCustomerParty``: organisation number (scheme 0007, or the
  Swedish VAT number SE<orgnr>01) or personnummer; a buyer with a VAT number is a business
  (an enskild firma has its owner's personnummer), any other a person;
- the seller (``cac:AccountingSupplierParty``) must be the creditor itself;
- OCR ``cac:PaymentMeans/cbc:PaymentID``, bankgiro ``cac:PayeeFinancialAccount/cbc:ID`` with
  ``cac:FinancialInstitutionBranch/cbc:ID`` = ``SE:BANKGIRO`` (PaymentMeansCode 30);
- "fakturan avser" from the lines' item names, else the invoice note;
- a PDF embedded in ``cac:AdditionalDocumentReference`` is the invoice document.

Safe XML: at most ``MAX_BYTES``, and a document with a DTD is refused before it is parsed, so
no entity is ever declared, expanded or fetched (XXE, "billion laughs").
"""

import base64
import binascii
import re
import dataclasses
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from xml.etree import ElementTree
from xml.parsers import expat

from django.core.files.base import ContentFile
from django.utils.translation import gettext as _

from claims.documents import invoice_pdf_error
from claims.registration import parse_registration
from ekrav.identifiers import normalize_bankgiro, ocr_valid

MAX_BYTES = 5 * 1024 * 1024
CURRENCY = "SEK"
NS = {
    "inv": "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2",
    "cn": "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2",
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
}
INVOICE = "{%s}Invoice" % NS["inv"]
CREDIT_NOTE = "{%s}CreditNote" % NS["cn"]
SPECIFICATION = "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
PROFILE = re.compile(r"urn:fdc:peppol\.eu:2017:poacc:billing:\d\d:1\.0")
SWEDISH_ORGNR_SCHEME = "0007"  # ISO 6523 ICD: Organisationsnummer (Swedish legal entities)
BANKGIRO_BRANCH = "SE:BANKGIRO"
CREDIT_TRANSFER = ("30", "58")
CREDIT_NOTE_TYPES = ("381", "396", "532")  # UNCL1001 credit note codes
REMINDER_FEE_WORDS = ("påminnelseavgift", "reminder fee")
DESCRIPTION_MAX = 200

# The official rule texts (EN 16931 UBL schematron, Peppol BIS Billing 3.0 schematron).
OFFICIAL = {
    "BR-01": "[BR-01]-An Invoice shall have a Specification identifier (BT-24).",
    "BR-02": "[BR-02]-An Invoice shall have an Invoice number (BT-1).",
    "BR-03": "[BR-03]-An Invoice shall have an Invoice issue date (BT-2).",
    "BR-04": "[BR-04]-An Invoice shall have an Invoice type code (BT-3).",
    "BR-05": "[BR-05]-An Invoice shall have an Invoice currency code (BT-5).",
    "BR-06": "[BR-06]-An Invoice shall contain the Seller name (BT-27).",
    "BR-07": "[BR-07]-An Invoice shall contain the Buyer name (BT-44).",
    "BR-08": "[BR-08]-An Invoice shall contain the Seller postal address (BG-5).",
    "BR-09": "[BR-09]-The Seller postal address (BG-5) shall contain a Seller country code "
             "(BT-40).",
    "BR-10": "[BR-10]-An Invoice shall contain the Buyer postal address (BG-8).",
    "BR-11": "[BR-11]-The Buyer postal address (BG-8) shall contain a Buyer country code "
             "(BT-55).",
    "BR-12": "[BR-12]-An Invoice shall have the Sum of Invoice line net amount (BT-106).",
    "BR-13": "[BR-13]-An Invoice shall have the Invoice total amount without VAT (BT-109).",
    "BR-14": "[BR-14]-An Invoice shall have the Invoice total amount with VAT (BT-112).",
    "BR-15": "[BR-15]-An Invoice shall have the Amount due for payment (BT-115).",
    "BR-16": "[BR-16]-An Invoice shall have at least one Invoice line (BG-25)",
    "BR-49": "[BR-49]-A Payment instruction (BG-16) shall specify the Payment means type code "
             "(BT-81).",
    "BR-50": "[BR-50]-A Payment account identifier (BT-84) shall be present if Credit transfer "
             "(BG-17) information is provided in the Invoice.",
    "BR-CO-15": "[BR-CO-15]-Invoice total amount with VAT (BT-112) = Invoice total amount "
                "without VAT (BT-109) + Invoice total VAT amount (BT-110).",
    "BR-CO-16": "[BR-CO-16]-Amount due for payment (BT-115) = Invoice total amount with VAT "
                "(BT-112) -Paid amount (BT-113) +Rounding amount (BT-114).",
    "BR-CO-25": "[BR-CO-25]-In case the Amount due for payment (BT-115) is positive, either "
                "the Payment due date (BT-9) or the Payment terms (BT-20) shall be present.",
    "BR-DEC-18": "[BR-DEC-18]-The allowed maximum number of decimals for the Amount due for "
                 "payment (BT-115) is 2.",
    "PEPPOL-EN16931-R001": "Business process MUST be provided.",
    "PEPPOL-EN16931-R004": "Specification identifier MUST have the value 'urn:cen.eu:en16931:"
                           "2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0'.",
    "PEPPOL-EN16931-R007": "Business process MUST be in the format 'urn:fdc:peppol.eu:2017:"
                           "poacc:billing:NN:1.0' where NN indicates the process number.",
}


@dataclass(frozen=True)
class Rule:
    """One rule the file breaks: its identifier, why, and where (an XPath-like path)."""

    id: str
    message: str
    path: str = ""

    def as_json(self) -> dict:
        return {"id": self.id, "message": self.message, "path": self.path}


class PeppolError(Exception):
    """The file cannot become a claim; ``rules`` say every reason found."""

    def __init__(self, rules):
        self.rules = list(rules)
        super().__init__("; ".join(f"{r.id}: {r.message}" for r in self.rules))


@dataclass(frozen=True)
class PeppolInvoice:
    values: dict  # parse_registration's input
    payment_reference: str = ""  # cbc:PaymentID: the invoice's OCR (or other reference)
    bankgiro: str = ""  # as written on the invoice
    seller_name: str = ""
    pdf: bytes | None = field(default=None, repr=False)
    pdf_name: str = ""


# --- safe parsing ------------------------------------------------------------------------------


def _refuse_dtd(*_args):
    raise _DtdFound


class _DtdFound(Exception):
    pass


def _parse_xml(data: bytes) -> ElementTree.Element:
    """Well-formed XML without any DTD, or ``PeppolError``."""
    if not isinstance(data, (bytes, bytearray)):
        raise TypeError("read_invoice takes bytes")
    if len(data) > MAX_BYTES:
        raise PeppolError([Rule("EKRAV-SIZE", _("The file is larger than %(mb)d MB.")
                                % {"mb": MAX_BYTES // (1024 * 1024)})])
    # A first pass with expat's own handlers: a DOCTYPE stops it before any entity exists.
    checker = expat.ParserCreate()
    checker.StartDoctypeDeclHandler = _refuse_dtd
    checker.EntityDeclHandler = _refuse_dtd
    checker.ExternalEntityRefHandler = _refuse_dtd
    try:
        checker.Parse(bytes(data), True)
        return ElementTree.fromstring(bytes(data))
    except _DtdFound:
        raise PeppolError([Rule("EKRAV-DTD", _(
            "The file declares a DTD or entities, which an e-invoice never does; it is refused "
            "for safety."))]) from None
    except (expat.ExpatError, ElementTree.ParseError, ValueError, RecursionError) as exc:
        raise PeppolError([Rule("EKRAV-NOT-XML", _(
            "The file is not a readable XML document (%(why)s). Send the e-invoice file (.xml) "
            "as the operator delivered it.") % {"why": str(exc)[:120]})]) from None


def _root(data: bytes) -> ElementTree.Element:
    root = _parse_xml(data)
    if root.tag == CREDIT_NOTE:
        raise PeppolError([Rule("EKRAV-CREDIT-NOTE", _(
            "This is a credit note (kreditfaktura), not an invoice: there is nothing to "
            "collect."), "/CreditNote")])
    if root.tag != INVOICE:
        raise PeppolError([Rule("EKRAV-NOT-UBL", _(
            "The file is XML but not a Peppol BIS Billing 3.0 (UBL 2.1) invoice: its root "
            "element is %(tag)s, not Invoice in the UBL Invoice-2 namespace.")
            % {"tag": root.tag[:120]})])
    return root


# --- reading -----------------------------------------------------------------------------------


def _find(node, path):
    return None if node is None else node.find(path, NS)


def _text(node, path=None) -> str:
    found = node if path is None else _find(node, path)
    if found is None or found.text is None:
        return ""
    return " ".join(found.text.split())


def _all(node, path) -> list:
    return [] if node is None else node.findall(path, NS)


def _decimal(node, path, rules, where) -> Decimal | None:
    text = _text(node, path)
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite() or abs(value) >= Decimal("1e15"):
        rules.append(Rule("EKRAV-NUMBER", _("%(what)s is not a number.") % {"what": where},
                          where))
        return None
    return value


def _round2(value: Decimal) -> Decimal:
    # XPath's round(x * 100) div 100, as the schematron computes it.
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _official(rule_id: str, path: str) -> Rule:
    return Rule(rule_id, OFFICIAL[rule_id], path)


# --- the rules ---------------------------------------------------------------------------------

SUPPLIER = "cac:AccountingSupplierParty/cac:Party"
CUSTOMER = "cac:AccountingCustomerParty/cac:Party"
TOTALS = "cac:LegalMonetaryTotal"


def _header_rules(root) -> list[Rule]:
    rules = []
    presence = (("BR-01", "cbc:CustomizationID"), ("BR-02", "cbc:ID"),
                ("BR-03", "cbc:IssueDate"), ("BR-04", "cbc:InvoiceTypeCode"),
                ("BR-05", "cbc:DocumentCurrencyCode"),
                ("BR-06", f"{SUPPLIER}/cac:PartyLegalEntity/cbc:RegistrationName"),
                ("BR-07", f"{CUSTOMER}/cac:PartyLegalEntity/cbc:RegistrationName"))
    for rule_id, path in presence:
        if not _text(root, path):
            rules.append(_official(rule_id, f"/Invoice/{path}"))
    customization, profile = _text(root, "cbc:CustomizationID"), _text(root, "cbc:ProfileID")
    if customization and not customization.startswith(SPECIFICATION):
        rules.append(_official("PEPPOL-EN16931-R004", "/Invoice/cbc:CustomizationID"))
    if _find(root, "cbc:ProfileID") is None:
        rules.append(_official("PEPPOL-EN16931-R001", "/Invoice/cbc:ProfileID"))
    elif not PROFILE.fullmatch(profile):
        rules.append(_official("PEPPOL-EN16931-R007", "/Invoice/cbc:ProfileID"))
    for rule_id, country_id, party in (("BR-08", "BR-09", SUPPLIER),
                                       ("BR-10", "BR-11", CUSTOMER)):
        address = _find(root, f"{party}/cac:PostalAddress")
        if address is None:
            rules.append(_official(rule_id, f"/Invoice/{party}/cac:PostalAddress"))
        elif not _text(address, "cac:Country/cbc:IdentificationCode"):
            rules.append(_official(country_id, f"/Invoice/{party}/cac:PostalAddress/cac:Country"
                                               "/cbc:IdentificationCode"))
    if not _all(root, "cac:InvoiceLine"):
        rules.append(_official("BR-16", "/Invoice/cac:InvoiceLine"))
    return rules


def _total_rules(root) -> tuple[list[Rule], Decimal | None]:
    """BR-12..15, BR-CO-15/16, BR-DEC-18, BR-CO-25; and the amount due when it is usable."""
    rules: list[Rule] = []
    totals = _find(root, TOTALS)
    where = f"/Invoice/{TOTALS}"
    amounts = {}
    for rule_id, name in (("BR-12", "LineExtensionAmount"), ("BR-13", "TaxExclusiveAmount"),
                          ("BR-14", "TaxInclusiveAmount"), ("BR-15", "PayableAmount")):
        if not _text(totals, f"cbc:{name}"):
            rules.append(_official(rule_id, f"{where}/cbc:{name}"))
        amounts[name] = _decimal(totals, f"cbc:{name}", rules, f"{where}/cbc:{name}")
    prepaid = _decimal(totals, "cbc:PrepaidAmount", rules, f"{where}/cbc:PrepaidAmount")
    rounding = _decimal(totals, "cbc:PayableRoundingAmount", rules,
                        f"{where}/cbc:PayableRoundingAmount")
    exclusive, inclusive = amounts["TaxExclusiveAmount"], amounts["TaxInclusiveAmount"]
    payable = amounts["PayableAmount"]
    currency = _text(root, "cbc:DocumentCurrencyCode")
    vat = [_decimal(tax, "cbc:TaxAmount", rules, "/Invoice/cac:TaxTotal/cbc:TaxAmount")
           for tax in _all(root, "cac:TaxTotal")
           if _find(tax, "cbc:TaxAmount") is not None
           and _find(tax, "cbc:TaxAmount").get("currencyID") == currency]
    if exclusive is not None and inclusive is not None and not (
            len(vat) == 1 and vat[0] is not None
            and inclusive == _round2(exclusive + vat[0])):
        rules.append(_official("BR-CO-15", f"{where}/cbc:TaxInclusiveAmount"))
    if inclusive is not None and payable is not None and (
            _round2(payable - (rounding or 0)) != _round2(inclusive - (prepaid or 0))):
        rules.append(_official("BR-CO-16", f"{where}/cbc:PayableAmount"))
    if payable is not None:
        if "." in _text(totals, "cbc:PayableAmount") and \
                len(_text(totals, "cbc:PayableAmount").split(".", 1)[1]) > 2:
            rules.append(_official("BR-DEC-18", f"{where}/cbc:PayableAmount"))
        if payable > 0 and _find(root, "cbc:DueDate") is None and \
                _find(root, "cac:PaymentTerms/cbc:Note") is None:
            rules.append(_official("BR-CO-25", "/Invoice/cbc:DueDate"))
    return rules, payable


def _payment_rules(root) -> list[Rule]:
    rules = []
    for n, means in enumerate(_all(root, "cac:PaymentMeans"), start=1):
        code = _text(means, "cbc:PaymentMeansCode")
        where = f"/Invoice/cac:PaymentMeans[{n}]"
        if not code:
            rules.append(_official("BR-49", f"{where}/cbc:PaymentMeansCode"))
        account = _find(means, "cac:PayeeFinancialAccount")
        if code in CREDIT_TRANSFER and account is not None and not _text(account, "cbc:ID"):
            rules.append(_official("BR-50", f"{where}/cac:PayeeFinancialAccount/cbc:ID"))
    return rules


def _ekrav_rules(root, *, creditor_identity: str) -> list[Rule]:
    """What ekrav needs beyond a valid invoice: SEK, a due date, and issued by the creditor."""
    rules = []
    currency = _text(root, "cbc:DocumentCurrencyCode")
    if _text(root, "cbc:InvoiceTypeCode") in CREDIT_NOTE_TYPES:
        rules.append(Rule("EKRAV-CREDIT-NOTE", _(
            "This is a credit note (kreditfaktura), not an invoice: there is nothing to "
            "collect."), "/Invoice/cbc:InvoiceTypeCode"))
    payable_currency = (_find(root, f"{TOTALS}/cbc:PayableAmount").get("currencyID", "")
                        if _find(root, f"{TOTALS}/cbc:PayableAmount") is not None else "")
    if currency and (currency != CURRENCY or payable_currency not in ("", CURRENCY)):
        rules.append(Rule("EKRAV-CURRENCY", _(
            "The invoice is in %(currency)s: ekrav collects invoices in Swedish kronor (SEK) "
            "only.") % {"currency": payable_currency if currency == CURRENCY else currency},
            "/Invoice/cbc:DocumentCurrencyCode"))
    if _find(root, "cbc:DueDate") is None:
        rules.append(Rule("EKRAV-DUE-DATE", _(
            "The invoice has no due date (cbc:DueDate). ekrav does not guess one from the "
            "payment terms; send the invoice with its due date."), "/Invoice/cbc:DueDate"))
    seller = _swedish_ids(_find(root, SUPPLIER))
    mine = _digits(creditor_identity)[-10:]
    if not any(candidate[-10:] == mine for candidate in seller):
        rules.append(Rule("EKRAV-SELLER", _(
            "The invoice is not issued by your company: the seller's organisation number "
            "(%(seller)s) is not yours (%(mine)s).") % {
                "seller": ", ".join(seller) or _("missing"), "mine": creditor_identity},
            f"/Invoice/{SUPPLIER}/cac:PartyLegalEntity/cbc:CompanyID"))
    if not _swedish_ids(_find(root, CUSTOMER)):
        rules.append(Rule("EKRAV-BUYER-ID", _(
            "The buyer has no Swedish organisation number or personnummer (cac:PartyLegalEntity"
            "/cbc:CompanyID, or an identifier with scheme 0007): ekrav collects only from "
            "debtors in Sweden."), f"/Invoice/{CUSTOMER}/cac:PartyLegalEntity/cbc:CompanyID"))
    return rules


# --- identities ----------------------------------------------------------------------------


def _digits(value: str) -> str:
    return "".join(ch for ch in value if ch.isascii() and ch.isdigit())


_SE_VAT = re.compile(r"SE(\d{10})01")


def _swedish_ids(party) -> list[str]:
    """The party's Swedish identity numbers, most specific first: the legal entity's
    CompanyID (scheme 0007 or none), identifiers with scheme 0007, the electronic address
    with scheme 0007, and the organisation number inside a Swedish VAT number."""
    if party is None:
        return []
    found = []
    legal = _find(party, "cac:PartyLegalEntity/cbc:CompanyID")
    nodes = ([legal] if legal is not None else []) + _all(party, "cac:PartyIdentification/cbc:ID")
    nodes += _all(party, "cbc:EndpointID")
    for node in nodes:
        scheme = node.get("schemeID", "")
        if scheme == SWEDISH_ORGNR_SCHEME or (node is legal and scheme == ""):
            found.append(_text(node))
    for tax in _all(party, "cac:PartyTaxScheme/cbc:CompanyID"):
        match = _SE_VAT.fullmatch(_text(tax).replace(" ", "").upper())
        if match:
            found.append(match.group(1))
    swedish = [value for value in found if len(_digits(value)) in (10, 12)]
    return list(dict.fromkeys(swedish))


def _is_business(party) -> bool:
    """A buyer with a VAT number, or an organisation number, is a business (näringsidkare)."""
    for tax in _all(party, "cac:PartyTaxScheme"):
        if _text(tax, "cbc:CompanyID") and _text(tax, "cac:TaxScheme/cbc:ID").upper() == "VAT":
            return True
    ids = _swedish_ids(party)
    digits = _digits(ids[0]) if ids else ""
    if len(digits) == 12 and digits.startswith("16"):
        digits = digits[2:]
    return len(digits) == 10 and int(digits[2:4]) >= 20


# --- the claim ---------------------------------------------------------------------------------


def read_invoice(data: bytes, *, creditor_identity: str) -> PeppolInvoice:
    """The registration input of one e-invoice, or ``PeppolError`` with every rule it breaks.

    ``creditor_identity`` is the creditor's organisation number (or an enskild firma's
    personnummer): the invoice's seller must be it."""
    root = _root(data)
    total_rules, payable = _total_rules(root)
    rules = (_header_rules(root) + total_rules + _payment_rules(root)
             + _ekrav_rules(root, creditor_identity=creditor_identity))
    if rules:
        raise PeppolError(rules)
    pdf, pdf_name = _embedded_pdf(root)
    reference, bankgiro = _payment(root)
    return PeppolInvoice(
        values={**_debtor_values(_find(root, CUSTOMER)),
                "invoice_number": _text(root, "cbc:ID"),
                "invoice_date": _text(root, "cbc:IssueDate"),
                "due_date": _text(root, "cbc:DueDate"),
                "amount": f"{payable:.2f}", "description": _description(root),
                "reminder_fee_agreed": _reminder_fee_agreed(root)},
        payment_reference=reference, bankgiro=bankgiro,
        seller_name=_text(root, f"{SUPPLIER}/cac:PartyLegalEntity/cbc:RegistrationName"),
        pdf=pdf, pdf_name=pdf_name)


def _debtor_values(party) -> dict:
    address = _find(party, "cac:PostalAddress")
    street = ", ".join(part for part in (_text(address, "cbc:StreetName"),
                                         _text(address, "cbc:AdditionalStreetName")) if part)
    return {
        "debtor_kind": "company" if _is_business(party) else "person",
        "debtor_identity_number": _swedish_ids(party)[0],
        "debtor_name": _text(party, "cac:PartyLegalEntity/cbc:RegistrationName"),
        "debtor_street": street, "debtor_postal_code": _text(address, "cbc:PostalZone"),
        "debtor_city": _text(address, "cbc:CityName"),
        "debtor_country": _text(address, "cac:Country/cbc:IdentificationCode"),
        "debtor_email": _text(party, "cac:Contact/cbc:ElectronicMail"),
        "debtor_phone": _text(party, "cac:Contact/cbc:Telephone"),
    }


def _description(root) -> str:
    """Fakturan avser: the lines' item names, else the invoice's note."""
    names = [_text(line, "cac:Item/cbc:Name") for line in _all(root, "cac:InvoiceLine")]
    text = "; ".join(dict.fromkeys(name for name in names if name)) or _text(root, "cbc:Note")
    if len(text) > DESCRIPTION_MAX:
        text = text[:DESCRIPTION_MAX - 1].rstrip() + "…"
    return text


def _reminder_fee_agreed(root) -> bool:
    """A reminder fee may be charged only when agreed no later than when the debt arose (lag
    1981:739, DOMAIN.md "Fees"): the invoice's own terms or note saying so is taken as that."""
    notes = _all(root, "cbc:Note") + _all(root, "cac:PaymentTerms/cbc:Note")
    text = " ".join(_text(node) for node in notes).casefold()
    return any(word in text for word in REMINDER_FEE_WORDS)


def _payment(root) -> tuple[str, str]:
    """(the payment reference, the bankgiro) of the first credit transfer that has them."""
    reference = bankgiro = ""
    for means in _all(root, "cac:PaymentMeans"):
        if _text(means, "cbc:PaymentMeansCode") not in CREDIT_TRANSFER:
            continue
        reference = reference or _text(means, "cbc:PaymentID")
        account = _find(means, "cac:PayeeFinancialAccount")
        if _text(account, "cac:FinancialInstitutionBranch/cbc:ID").upper() == BANKGIRO_BRANCH:
            bankgiro = bankgiro or _text(account, "cbc:ID")
    return reference, bankgiro


def _embedded_pdf(root) -> tuple[bytes | None, str]:
    """The first PDF embedded in the invoice (BT-125), decoded; its checks are the caller's."""
    for reference in _all(root, "cac:AdditionalDocumentReference"):
        blob = _find(reference, "cac:Attachment/cbc:EmbeddedDocumentBinaryObject")
        if blob is None or blob.get("mimeCode", "").lower() != "application/pdf":
            continue
        try:
            data = base64.b64decode("".join((blob.text or "").split()), validate=True)
        except (binascii.Error, ValueError):
            continue
        if data:
            return data, (blob.get("filename") or _text(reference, "cbc:ID") + ".pdf")[:200]
    return None, ""


# Optional contact details: one an e-invoice writes in a shape ekrav does not take (a foreign
# phone number, say) is left out with a note rather than refuse the whole invoice for it.
OPTIONAL_CONTACT = ("debtor_email", "debtor_phone")


def registration_of(invoice: PeppolInvoice, *, today):
    """``(Registration or None, {field: [reason]}, [note])``: ``parse_registration`` of the
    invoice, the same rules as every other way in."""
    values = dict(invoice.values)
    registration, errors = parse_registration(values, today=today)
    notes = []
    dropped = [name for name in OPTIONAL_CONTACT if name in errors and values.get(name)]
    if dropped:
        for name in dropped:
            notes.append(_("%(value)s is left out of the debtor's contact details: %(why)s") % {
                "value": values[name], "why": " ".join(errors[name])})
            values[name] = ""
        registration, errors = parse_registration(values, today=today)
    if invoice.payment_reference and invoice.payment_reference.isdigit() and not ocr_valid(
            invoice.payment_reference):
        notes.append(_("The invoice's payment reference %(ocr)s is not a valid OCR number "
                       "(check digit).") % {"ocr": invoice.payment_reference})
    if registration is not None:
        registration = dataclasses.replace(registration, invoice=dataclasses.replace(
            registration.invoice, payment_reference=invoice.payment_reference[:35],
            payee_bankgiro=_bankgiro_digits(invoice.bankgiro)))
    return registration, errors, notes


def _bankgiro_digits(written: str) -> str:
    """The invoice's bankgiro as stored (digits), or "" when it is not one: kept as evidence,
    the preview says when it is not the creditor's."""
    try:
        return normalize_bankgiro(written) if written else ""
    except ValueError:
        return ""


def invoice_document(invoice: PeppolInvoice):
    """``(file, name, note)``: the PDF embedded in the e-invoice as the claim's invoice
    document, checked as an uploaded PDF is (``claims.documents``); or no file, and a note
    saying why when the invoice had one that cannot be used."""
    if not invoice.pdf:
        return None, "", ""
    name = invoice.pdf_name or "invoice.pdf"
    upload = ContentFile(invoice.pdf, name=name)
    error = invoice_pdf_error(upload)
    if error:
        return None, "", _("The PDF in the e-invoice is not attached: %(why)s") % {"why": error}
    return upload, name, ""
