"""The check every letter passes before it may be sent (inkassolagen 5 §, DOMAIN.md).

Two halves, both pure:

- ``content_problems``: the facts are there and add up (creditor and its organisationsnummer,
  the grounds, capital, interest with rate, period and capital, each fee with its legal basis,
  a deadline of at least 8 days for a demand, bankgiro + OCR, Swish, Mitt Ärende, the agency).
- ``text_problems``: the rendered PDF's text really shows them, so a template edit that drops a
  block is caught on the first letter, not by a debtor's complaint.

Each problem is one Swedish sentence for the case handler who sees the held letter.
"""

from __future__ import annotations

from datetime import timedelta

from ekrav.calendar import is_bank_day
from ekrav.identifiers import luhn_valid, ocr_valid
from ekrav.money import format_sek
from letters.content import FEE_NAMES, LetterContent

# Inkassolagen: a demand gives at least 8 days to pay or object.
MIN_DEMAND_DAYS = 8


def content_problems(c: LetterContent) -> list[str]:
    problems = []
    if not (c.creditor.name and c.creditor.organisation_number):
        problems.append("Borgenärens namn eller organisationsnummer saknas.")
    if not c.invoices:
        problems.append("Grunden för kravet (fakturan) saknas.")
    for inv in c.invoices:
        if not (inv.number and inv.description and inv.invoice_date and inv.due_date):
            problems.append(f"Faktura {inv.number or '?'}: nummer, datum, förfallodag eller "
                            "vad fakturan avser saknas.")
    problems += _amount_problems(c)
    problems += _date_problems(c)
    problems += _payment_problems(c)
    if not all(c.debtor.address_lines) or not c.debtor.postal_code.strip():
        problems.append("Gäldenärens namn eller adress är ofullständig.")
    agency = c.agency
    if not all((agency.name, agency.organisation_number, agency.street, agency.city,
                agency.phone, agency.email)):
        problems.append("Inkassoföretagets identitet eller kontaktuppgifter saknas.")
    return problems


def _amount_problems(c: LetterContent) -> list[str]:
    problems = []
    if c.capital_ore != sum(inv.capital_owed_ore for inv in c.invoices):
        problems.append("Kapitalet stämmer inte med fakturorna.")
    if c.capital_ore + c.interest_ore + c.fees_ore != c.total_ore or c.total_ore <= 0:
        problems.append("Kapital, ränta och avgifter summerar inte till att betala.")
    for item in c.interest:
        if not (item.rate and item.days > 0 and item.capital_ore > 0 and item.start <= item.end):
            problems.append(f"Räntan på faktura {item.invoice_number} saknar sats, period "
                            "eller kapital.")
    for fee in c.fees:
        if not (fee.legal_basis and fee.amount_ore > 0 and fee.kind in FEE_NAMES):
            problems.append(f"Avgiften {fee.name} saknar belopp eller lagstöd.")
    if c.interest_ore > c.interest_accrued_ore or c.fees_ore > c.fees_charged_ore:
        problems.append("Mer ränta eller avgifter begärs än vad som har debiterats.")
    return problems


def _date_problems(c: LetterContent) -> list[str]:
    problems = []
    if not c.samples and not is_bank_day(c.letter_date):
        problems.append("Brev skickas bara på bankdagar.")
    if not is_bank_day(c.deadline):
        problems.append("Sista betalningsdag är inte en bankdag.")
    shortest = timedelta(days=MIN_DEMAND_DAYS if c.is_demand else 1)
    if c.deadline < c.letter_date + shortest:
        problems.append(f"Betalningsfristen är kortare än {shortest.days} dagar.")
    return problems


def _payment_problems(c: LetterContent) -> list[str]:
    p = c.payment
    problems = []
    if not luhn_valid(p.bankgiro.replace("-", "")):
        problems.append("Bankgironumret saknas eller är ogiltigt.")
    if not ocr_valid(p.ocr):
        problems.append("OCR-numret saknas eller är ogiltigt.")
    if not (p.swish_number and p.swish_qr_text.startswith(f"C{p.swish_number};")
            and p.ocr in p.swish_qr_text):
        problems.append("Swish-uppgifterna saknas eller stämmer inte med OCR-numret.")
    if not (p.mitt_arende_url and c.case_number):
        problems.append("Länken till Mitt Ärende eller ärendenumret saknas.")
    return problems


def required_phrases(c: LetterContent) -> dict[str, str]:
    """What the reader must find in the letter's text: {phrase: what it stands for}."""
    phrases = {
        c.creditor.name: "borgenärens namn",
        c.creditor.organisation_number: "borgenärens organisationsnummer",
        c.case_number: "ärendenummer",
        c.payment.ocr: "OCR-nummer",
        c.payment.bankgiro: "bankgiro",
        c.payment.swish_number: "Swishnummer",
        c.deadline.isoformat(): "sista betalningsdag",
        format_sek(c.total_ore): "att betala",
        format_sek(c.capital_ore): "kapital",
        "Mitt Ärende": "länk till Mitt Ärende",
        "Invändningar": "hur man invänder",
        "Kronofogden": "följder av utebliven betalning",
        "betalningsanmärkning": "följder av utebliven betalning",
        c.agency.name: "inkassoföretagets namn",
        c.agency.phone: "inkassoföretagets telefon",
    }
    for inv in c.invoices:
        phrases[inv.number] = f"fakturanummer {inv.number}"
        phrases[inv.description] = f"vad faktura {inv.number} avser"
    for fee in c.fees:
        phrases[fee.name] = f"avgiften {fee.name}"
        phrases[format_sek(fee.amount_ore)] = f"beloppet för {fee.name}"
    for item in c.interest:
        phrases[format_sek(item.amount_ore)] = f"ränta {item.start}–{item.end}"
    return phrases


def text_problems(c: LetterContent, text: str) -> list[str]:
    """The required phrases missing from the rendered text. Whitespace is ignored (a PDF's
    text comes back with its own spacing and line breaks)."""
    flat = "".join(text.split())
    return [f"Brevet visar inte {what} ({phrase})."
            for phrase, what in required_phrases(c).items()
            if phrase and "".join(phrase.split()) not in flat]
