"""Letters with sample data: the portal's template preview and the rendering benchmark.

Pure apart from reading nothing: the caller passes the creditor (or None for a made-up one),
the agency and the day. The numbers are computed by the same pure modules as a real letter.
"""

from __future__ import annotations

from datetime import date, timedelta

from claims import interest, statement
from claims.fees import LEGAL_BASIS, FeeKind
from ekrav.calendar import is_bank_day, next_bank_day
from ekrav.identifiers import format_bankgiro, format_postal_code, ocr_from_base
from letters.content import (
    DEMAND,
    Agency,
    InvoiceLine,
    LetterContent,
    Party,
    Payment,
    fee_items,
    interest_items,
)
from letters.swish import swish_qr_text

SAMPLE_CREDITOR = Party(name="Exempelbolaget AB", street="Storgatan 1", postal_code="111 22",
                        city="Stockholm", organisation_number="556036-0793")
SAMPLE_DEBTOR = Party(name="Dan Exempelsson", street="Lillgatan 2", postal_code="123 45",
                      city="Uppsala")


def sample_letter(*, kind: str, today: date, agency: Agency, agency_bankgiro: str,
                  swish_number: str, mitt_arende_url: str, rates, creditor: Party | None = None,
                  invoice_text: str = "") -> LetterContent:
    """A letter of ``kind`` as it would go out today for a 2 500 kr invoice 40 days overdue."""
    sent = today if is_bank_day(today) else next_bank_day(today)
    due = sent - timedelta(days=40 if kind == DEMAND else 5)
    invoice = statement.InvoiceCapital(invoice_id=1, due_date=due, amount_ore=250_000)
    fees = [(FeeKind.REMINDER.value, 6_000, LEGAL_BASIS[FeeKind.REMINDER])]
    if kind == DEMAND:
        fees.append((FeeKind.COLLECTION.value, 18_000, LEGAL_BASIS[FeeKind.COLLECTION]))
    charges = [statement.Charge(on=sent, kind=k, amount_ore=a) for k, a, _basis in fees]
    st = statement.statement(invoices=[invoice], charges=charges, payments=[], as_of=sent,
                             rates=rates, interest_enabled=True)
    ocr = ocr_from_base("4711000")
    total = st.capital_ore + st.interest_owed_ore + st.costs_owed_ore
    deadline = next_bank_day(sent + timedelta(days=10))
    return LetterContent(
        kind=kind, letter_date=sent, case_number="100042", creditor=creditor or SAMPLE_CREDITOR,
        debtor=SAMPLE_DEBTOR, agency=agency,
        invoices=(InvoiceLine(number="F-2026-0815", invoice_date=due - timedelta(days=30),
                              due_date=due, description=invoice_text or "Målning av staket",
                              amount_ore=250_000, capital_owed_ore=st.capital_ore),),
        interest=interest_items(st, {1: "F-2026-0815"}), fees=fee_items(fees), paid_ore=0,
        capital_ore=st.capital_ore, interest_ore=st.interest_owed_ore,
        fees_ore=st.costs_owed_ore, total_ore=total, deadline=deadline,
        payment=Payment(bankgiro=format_bankgiro(agency_bankgiro), ocr=ocr,
                        swish_number=swish_number,
                        swish_qr_text=swish_qr_text(payee=swish_number, amount_ore=total,
                                                    ocr=ocr),
                        mitt_arende_url=mitt_arende_url),
        interest_rate_now=interest.rate_on(sent, rates).rate + interest.MARGIN,
        samples=True)


def agency_party(agency: dict) -> Agency:
    """The agency's identity from settings.AGENCY, formatted for print."""
    from ekrav.identifiers import format_organisationsnummer

    return Agency(name=agency["name"],
                  organisation_number=format_organisationsnummer(agency["organisation_number"]
                                                                 .replace("-", "")),
                  street=agency["street"], postal_code=format_postal_code(agency["postal_code"]),
                  city=agency["city"], phone=agency["phone"], email=agency["email"],
                  licence=agency["licence"])

