"""What a letter says: every fact a påminnelse or an inkassokrav must carry, gathered before
rendering so it can be checked (``letters.compliance``) and archived as evidence.

Pure: no ORM, no clock. The service reads the claim, its statement as of the sending day and
the agency's identity, and hands plain values to ``letter_content``. The template only lays
out what is here; it computes nothing.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from decimal import Decimal

REMINDER, DEMAND, SURVEILLANCE, PLAN = "reminder", "demand", "surveillance", "plan"
# An efterbevakning letter is a new written demand on the same claim (it interrupts the
# statute of limitations): it says what a demand says, without a new fee.
TITLES = {REMINDER: "Påminnelse", DEMAND: "Inkassokrav", SURVEILLANCE: "Betalningskrav",
          PLAN: "Avbetalningsplan"}

# The names a debtor reads for each fee (the ledger key's kind, claims.fees.FeeKind).
FEE_NAMES = {
    "reminder_fee": "Påminnelseavgift",
    "collection_fee": "Inkassoavgift",
    "late_payment_compensation": "Förseningsersättning",
    "kfm_application_fee": "Kronofogdens ansökningsavgift",
    "kfm_enforcement_fee": "Kronofogdens grundavgift för verkställighet",
    "payment_plan_fee": "Avgift för avbetalningsplan",
}


@dataclass(frozen=True)
class Party:
    name: str
    street: str
    postal_code: str  # "123 45"
    city: str
    organisation_number: str = ""  # formatted, "556036-0793"

    @property
    def address_lines(self) -> tuple[str, ...]:
        return (self.name, self.street, f"{self.postal_code} {self.city}")


@dataclass(frozen=True)
class Agency:
    name: str
    organisation_number: str
    street: str
    postal_code: str
    city: str
    phone: str
    email: str
    licence: str


@dataclass(frozen=True)
class InvoiceLine:
    """What the claim is based on (grunden): one invoice, so the debtor needs no other paper."""

    number: str
    invoice_date: date
    due_date: date
    description: str  # "fakturan avser"
    amount_ore: int  # as registered
    capital_owed_ore: int  # still owed on the letter's day, of what the letter asks for
    # HELD: under a partial objection, listed but not asked for (not in the capital or the
    # total); WITHDRAWN: the creditor withdrew it after an objection, its rest written off.
    state: str = ""
    owed_ore: int = 0  # a held invoice's capital and interest, not asked for now


HELD, WITHDRAWN = "held", "withdrawn"


@dataclass(frozen=True)
class InterestItem:
    """One rate period of dröjsmålsränta: the rate, the period and the capital it ran on."""

    invoice_number: str
    start: date
    end: date
    days: int
    capital_ore: int
    rate: Decimal  # percent per year, reference rate + 8
    amount_ore: int


@dataclass(frozen=True)
class FeeItem:
    kind: str
    name: str
    legal_basis: str
    amount_ore: int


@dataclass(frozen=True)
class Payment:
    """How the debtor pays: bankgiro + OCR, and the same by Swish (the QR code's C-string)."""

    bankgiro: str  # formatted, "5050-1055"
    ocr: str
    swish_number: str
    swish_qr_text: str
    mitt_arende_url: str


@dataclass(frozen=True)
class LetterContent:
    kind: str  # REMINDER, DEMAND, SURVEILLANCE or PLAN
    letter_date: date
    case_number: str
    creditor: Party
    debtor: Party
    agency: Agency
    invoices: tuple[InvoiceLine, ...]
    interest: tuple[InterestItem, ...]
    fees: tuple[FeeItem, ...]
    paid_ore: int  # already paid, allocated over the amounts above
    capital_ore: int  # capital owed
    interest_ore: int  # interest owed (accrued minus paid)
    fees_ore: int  # costs owed (booked minus paid)
    total_ore: int  # what the letter asks for
    deadline: date
    payment: Payment
    interest_rate_now: Decimal | None  # the rate that keeps running; None when interest is off
    samples: bool = False  # a preview with sample data, never sent
    # An instalment plan's schedule, ((n, due_on, amount_ore), ...): the written plan.
    instalments: tuple = ()
    debtor_is_person: bool = True
    extra: dict = field(default_factory=dict)

    @property
    def title(self) -> str:
        return TITLES[self.kind]

    @property
    def is_demand(self) -> bool:
        """A demand's text and rules: the inkassokrav and each efterbevakning letter."""
        return self.kind in (DEMAND, SURVEILLANCE)

    @property
    def is_surveillance(self) -> bool:
        return self.kind == SURVEILLANCE

    @property
    def is_plan(self) -> bool:
        return self.kind == PLAN

    @property
    def interest_accrued_ore(self) -> int:
        return sum(item.amount_ore for item in self.interest)

    @property
    def held_ore(self) -> int:
        """What invoices under a partial objection owe: listed, not asked for."""
        return sum(inv.owed_ore for inv in self.invoices if inv.state == HELD)

    @property
    def fees_charged_ore(self) -> int:
        return sum(item.amount_ore for item in self.fees)

    def as_evidence(self) -> dict:
        """The content as JSON-ready data, archived with the letter."""
        def plain(value):
            if isinstance(value, dict):
                return {k: plain(v) for k, v in value.items()}
            if isinstance(value, (list, tuple)):
                return [plain(v) for v in value]
            if isinstance(value, (date, Decimal)):
                return str(value)
            return value
        return plain(asdict(self))


def interest_items(statement, invoice_numbers: dict[int, str]) -> tuple[InterestItem, ...]:
    """The statement's interest lines, invoice by invoice, as the letter lists them."""
    return tuple(
        InterestItem(invoice_number=invoice_numbers[inv.invoice_id], start=line.start,
                     end=line.end, days=line.days, capital_ore=line.capital_ore,
                     rate=line.rate, amount_ore=line.amount_ore)
        for inv in statement.invoices for line in inv.interest_lines if line.amount_ore > 0)


def fee_items(charges) -> tuple[FeeItem, ...]:
    """Each fee booked (kind, amount, legal basis) in the order it was charged."""
    return tuple(FeeItem(kind=kind, name=FEE_NAMES.get(kind, kind), legal_basis=basis,
                         amount_ore=amount) for kind, amount, basis in charges)
