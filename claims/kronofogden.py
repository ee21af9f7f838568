"""The application for betalningsföreläggande (BF) to Kronofogden (KFM), pure.

No ORM, no clock: the application day comes in as ``Application.applied_on``. Stdlib only
(dataclasses, re, xml.etree), so the file can be built and checked anywhere.

What this module does:

- ``check`` / ``validate``: everything that would make KFM ask for a komplettering, or that
  the law forbids, found before the file leaves (``ApplicationError`` with a ``field`` path,
  a Swedish ``message`` for the handler and an English ``code``);
- ``grounds_text``: the grounds (AnsokanGrundText) in plain Swedish, within
  ``GROUNDS_MAX_CHARS``;
- ``application_xml`` / ``parse_application_xml``: the XML file and its reader;
- ``totals`` and ``sub_claim_label``.

**The XML format is ekrav's own.** It is modelled on the concepts Kronofogden publishes for
ingivare (sub-claims with a delkravstyp Kapital, Ränta, Påminnelse, Inkasso,
Förseningsersättning, Ombudsarvode; the grounds text AnsokanGrundText; the original creditor;
due dates; interest as a rate from a date until payment). KFM's XSD is only handed to
registered ingivare and was not available when this was written. Element names, the
delkravstyp values, the party types, the field lengths and the grounds limit must be aligned
with KFM's "Beslut om betalningsföreläggande – Teknisk beskrivning av transaktionen Ansökan
om betalningsföreläggande" when the agency is registered as ingivare. The namespace
``urn:ekrav:...`` says so in every file: it is not KFM's.

What the grounds text follows (KFM's guidance to ingivare): written clearly, in plain and
proper Swedish, so that the debtor (svaranden) understands what the claim is about; no
payment instructions or anything else that is not the ground of the claim; the original
creditor when the claim was taken over ("Ursprunglig fordringsägare är X."); every due date,
or, when there are too many to list, the earliest and the latest; no unclear abbreviations
(KFM accepts the common ones such as "nr").

Law is data: fee amounts and their legal basis come from the caller (the dated fee rows); this
module never states a figure of law. It only enforces rules of DOMAIN.md that are not figures:
förseningsersättning only against a company and never together with the påminnelse- or
inkassoavgift (4 a § lag 1981:739), interest on capital only, each fee once.
"""

from __future__ import annotations

import re
import unicodedata
import xml.etree.ElementTree as ET
from dataclasses import dataclass, fields, is_dataclass
from datetime import date, datetime

# --- The input ---------------------------------------------------------------------------

PERSON, COMPANY = "person", "company"
PARTY_KINDS = (PERSON, COMPANY)

CAPITAL = "capital"  # kapital
INTEREST = "interest"  # upplupen ränta till ansökningsdagen, as an amount
REMINDER_FEE = "reminder_fee"  # påminnelseavgift
COLLECTION_FEE = "collection_fee"  # inkassoavgift
LATE_PAYMENT_COMPENSATION = "late_payment_compensation"  # förseningsersättning
AGENT_FEE = "agent_fee"  # ombudsarvode
SUB_CLAIM_KINDS = (CAPITAL, INTEREST, REMINDER_FEE, COLLECTION_FEE, LATE_PAYMENT_COMPENSATION,
                   AGENT_FEE)
FEE_KINDS = (REMINDER_FEE, COLLECTION_FEE, LATE_PAYMENT_COMPENSATION, AGENT_FEE)

_LABELS = {
    CAPITAL: "Kapital",
    INTEREST: "Upplupen ränta",
    REMINDER_FEE: "Påminnelseavgift",
    COLLECTION_FEE: "Inkassoavgift",
    LATE_PAYMENT_COMPENSATION: "Förseningsersättning",
    AGENT_FEE: "Ombudsarvode",
}

# KFM's published delkravstyp words (Teknisk beskrivning: verify the exact codes).
_DELKRAVSTYP = {
    CAPITAL: "Kapital",
    INTEREST: "Ränta",
    REMINDER_FEE: "Påminnelse",
    COLLECTION_FEE: "Inkasso",
    LATE_PAYMENT_COMPENSATION: "Förseningsersättning",
    AGENT_FEE: "Ombudsarvode",
}

# The standard wording of statutory interest, for callers that claim it (a legal reference,
# not a figure: the rate itself follows the reference rate in force each day).
STATUTORY_INTEREST_TEXT = "enligt 6 § räntelagen (1975:635)"

MAX_ORE = 100_000_000_00  # as ekrav.money: above 100 million kr a sub-claim is a typo


def sub_claim_label(kind: str) -> str:
    """The Swedish name of a sub-claim kind, as the debtor and the handler read it."""
    try:
        return _LABELS[kind]
    except KeyError:
        raise ValueError(f"unknown sub-claim kind {kind!r}") from None


@dataclass(frozen=True)
class Party:
    """Sökande, ombud or svarande. ``identity_number`` in stored form: a 12-digit
    personnummer YYYYMMDDNNNC or a 10-digit organisationsnummer."""

    name: str
    identity_number: str
    kind: str  # PERSON or COMPANY (an enskild firma is a company with a personnummer)
    street: str
    postal_code: str  # 5 digits
    city: str


@dataclass(frozen=True)
class Agent:
    """The collection agency as ombud (and ingivare) for the creditor."""

    party: Party
    contact_person: str
    phone: str | None = None
    email: str | None = None


@dataclass(frozen=True)
class InvoiceGround:
    """One unpaid invoice the claim rests on."""

    invoice_number: str
    invoice_date: date
    due_date: date
    amount_ore: int
    description: str  # what was sold, e.g. "målning av staket"


@dataclass(frozen=True)
class SubClaim:
    """Delkrav. Running interest (``interest_from`` + ``interest_rate_text``) only on
    capital; fees need ``legal_basis`` as the caller's fee row states it."""

    kind: str
    amount_ore: int
    description: str
    due_date: date | None = None
    interest_from: date | None = None
    interest_rate_text: str | None = None  # e.g. STATUTORY_INTEREST_TEXT
    legal_basis: str | None = None


@dataclass(frozen=True)
class Application:
    """Ansökan om betalningsföreläggande for one ärende: one creditor, one debtor.

    ``interest_running``: interest on each capital sub-claim from its ``interest_from`` until
    payment is made ("till dess betalning sker"); then every capital sub-claim carries it.
    """

    reference: str  # the agency's case number (ingivarens referens)
    applied_on: date
    applicant: Party  # sökande: the creditor
    agent: Agent
    respondent: Party  # svarande: the debtor
    invoices: tuple[InvoiceGround, ...]
    sub_claims: tuple[SubClaim, ...]
    original_creditor: str | None = None  # when the claim was taken over
    interest_running: bool = False

    def __post_init__(self):
        # Lists would make the application unhashable and unequal to its own round trip.
        object.__setattr__(self, "invoices", tuple(self.invoices))
        object.__setattr__(self, "sub_claims", tuple(self.sub_claims))


class ApplicationError(ValueError):
    """Something that stops the application. ``message`` is Swedish, for the handler;
    ``code`` is English, for code and logs; ``field`` is a path like ``sub_claims[1].amount_ore``.
    """

    def __init__(self, field: str, message: str, *, code: str):
        super().__init__(f"{field}: {message}")
        self.field, self.message, self.code = field, message, code

    def __repr__(self):
        return f"ApplicationError({self.field!r}, {self.message!r}, code={self.code!r})"


def totals(application: Application) -> dict[str, int]:
    """Capital, accrued interest, fees and their sum, in öre."""
    by_kind = {CAPITAL: 0, INTEREST: 0, "fees": 0}
    for claim in application.sub_claims:
        by_kind[claim.kind if claim.kind in (CAPITAL, INTEREST) else "fees"] += claim.amount_ore
    return {"capital_ore": by_kind[CAPITAL], "interest_ore": by_kind[INTEREST],
            "fees_ore": by_kind["fees"], "total_ore": sum(by_kind.values())}


# --- Validation ----------------------------------------------------------------------------


def validate(application: Application) -> None:
    """Raise the first ``ApplicationError`` of ``check``; return None when the file may go."""
    problems = check(application)
    if problems:
        raise problems[0]


def check(application: Application) -> tuple[ApplicationError, ...]:
    """Every problem at once, so a handler can fix them in one go."""
    text_problems = tuple(_text_problems(application))
    if text_problems:
        # Characters XML cannot carry would also break every check that reads the text.
        return text_problems
    return (*_application_problems(application),
            *_party_problems("applicant", application.applicant, application.applied_on),
            *_agent_problems(application.agent, application.applied_on),
            *_party_problems("respondent", application.respondent, application.applied_on),
            *_respondent_problems(application),
            *_invoice_problems(application),
            *_sub_claim_problems(application),
            *_claim_problems(application))


def _is_date(value) -> bool:
    # A datetime is a date too, but comparing it with a date raises deep inside a check.
    return isinstance(value, date) and not isinstance(value, datetime)


def _blank(value) -> bool:
    return not isinstance(value, str) or not value.strip()


def _application_problems(app: Application):
    if _blank(app.reference):
        yield ApplicationError("reference", "Ärendenummer saknas.", code="reference_missing")
    if not _is_date(app.applied_on):
        yield ApplicationError("applied_on", "Ansökningsdagen måste vara ett datum.",
                               code="not_a_date")
    if not isinstance(app.interest_running, bool):
        yield ApplicationError("interest_running", "Ange ja eller nej för löpande ränta.",
                               code="not_a_bool")
    if app.original_creditor is not None:
        if _blank(app.original_creditor):
            yield ApplicationError("original_creditor", "Den ursprungliga fordringsägaren "
                                   "saknar namn.", code="original_creditor_missing")
        elif _same_name(app.original_creditor, getattr(app.applicant, "name", None)):
            yield ApplicationError("original_creditor", "Den ursprungliga fordringsägaren är "
                                   "sökanden själv; lämna fältet tomt.",
                                   code="original_creditor_is_applicant")


def _same_name(a, b) -> bool:
    return isinstance(b, str) and " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


_POSTAL_RE = re.compile(r"[1-9]\d{4}", re.ASCII)


def _party_problems(field: str, party: Party, applied_on):
    if not isinstance(party, Party):
        yield ApplicationError(field, "Parten saknas.", code="party_missing")
        return
    if _blank(party.name):
        yield ApplicationError(f"{field}.name", "Namn saknas.", code="name_missing")
    if party.kind not in PARTY_KINDS:
        yield ApplicationError(f"{field}.kind", "Ange om parten är en person eller ett "
                               "företag.", code="party_kind_unknown")
    else:
        message = _identity_problem(party.identity_number, party.kind, applied_on)
        if message:
            yield ApplicationError(f"{field}.identity_number", message,
                                   code="identity_malformed")
    for name in ("street", "city"):
        if _blank(getattr(party, name)):
            yield ApplicationError(f"{field}.{name}", "Adressen är ofullständig.",
                                   code="address_missing")
    if not (isinstance(party.postal_code, str) and _POSTAL_RE.fullmatch(party.postal_code)):
        yield ApplicationError(f"{field}.postal_code", "Postnumret ska vara fem siffror, "
                               "t.ex. 12345.", code="postal_code_malformed")


def _agent_problems(agent: Agent, applied_on):
    if not isinstance(agent, Agent):
        yield ApplicationError("agent", "Ombudet saknas.", code="party_missing")
        return
    yield from _party_problems("agent.party", agent.party, applied_on)
    if _blank(agent.contact_person):
        yield ApplicationError("agent.contact_person", "Ombudets kontaktperson saknas.",
                               code="agent_contact_missing")
    if _blank(agent.phone) and _blank(agent.email):
        yield ApplicationError("agent.phone", "Ange telefon eller e-post till ombudet.",
                               code="agent_contact_missing")


def _respondent_problems(app: Application):
    if (isinstance(app.respondent, Party) and isinstance(app.applicant, Party)
            and app.respondent.identity_number == app.applicant.identity_number):
        yield ApplicationError("respondent.identity_number", "Svaranden och sökanden har "
                               "samma identitetsnummer.", code="respondent_is_applicant")


_EARLIEST_BIRTH_YEAR = 1870  # older "birth years" are typos or the 16-prefixed orgnr form
_COORDINATION_OFFSET = 60  # samordningsnummer: day of birth + 60


def _identity_problem(number, kind: str, applied_on) -> str | None:
    """What is wrong with a stored identity number, or None. Mirrors ekrav.identifiers, which
    this module cannot import (it pulls in Django's translation machinery)."""
    if not (isinstance(number, str) and number.isascii() and number.isdigit()
            and len(number) in (10, 12)):
        return ("Identitetsnumret ska vara ett personnummer med 12 siffror (ÅÅÅÅMMDDNNNK) "
                "eller ett organisationsnummer med 10 siffror.")
    if len(number) == 10:
        if kind == PERSON:
            return "En person anges med personnummer i 12 siffror (ÅÅÅÅMMDDNNNK)."
        if int(number[2:4]) < 20:
            return "Siffra 3–4 i ett organisationsnummer är minst 20; är det ett personnummer?"
    else:
        problem = _birth_date_problem(number, applied_on)
        if problem:
            return problem
        number = number[2:]  # Luhn covers YYMMDDNNNC
    if not _luhn_valid(number):
        return "Kontrollsiffran (sista siffran) stämmer inte; kontrollera numret."
    return None


def _birth_date_problem(pnr12: str, applied_on) -> str | None:
    year, month, day = int(pnr12[:4]), int(pnr12[4:6]), int(pnr12[6:8])
    if day > _COORDINATION_OFFSET:
        day -= _COORDINATION_OFFSET
    try:
        born = date(year, month, day)
    except ValueError:
        return "Personnumret innehåller inget riktigt födelsedatum."
    if year < _EARLIEST_BIRTH_YEAR or (_is_date(applied_on) and born > applied_on):
        return "Personnumret innehåller inget rimligt födelsedatum."
    return None


def _luhn_valid(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch) * (2 if i % 2 else 1)
        total += n - 9 if n > 9 else n
    return total % 10 == 0


def _invoice_problems(app: Application):
    if not app.invoices:
        yield ApplicationError("invoices", "Ansökan måste ange minst en obetald faktura.",
                               code="invoices_missing")
    seen = set()
    for i, invoice in enumerate(app.invoices):
        field = f"invoices[{i}]"
        if not isinstance(invoice, InvoiceGround):
            yield ApplicationError(field, "Fakturan saknas.", code="invoice_missing")
            continue
        if _blank(invoice.invoice_number):
            yield ApplicationError(f"{field}.invoice_number", "Fakturanummer saknas.",
                                   code="invoice_number_missing")
        elif invoice.invoice_number in seen:
            yield ApplicationError(f"{field}.invoice_number", f"Faktura nr "
                                   f"{invoice.invoice_number} finns med två gånger.",
                                   code="invoice_duplicate")
        seen.add(invoice.invoice_number)
        if _blank(invoice.description):
            yield ApplicationError(f"{field}.description", "Skriv vad fakturan avser.",
                                   code="description_missing")
        yield from _amount_problems(f"{field}.amount_ore", invoice.amount_ore)
        yield from _invoice_date_problems(field, invoice, app.applied_on)


def _invoice_date_problems(field: str, invoice: InvoiceGround, applied_on):
    for name in ("invoice_date", "due_date"):
        if not _is_date(getattr(invoice, name)):
            yield ApplicationError(f"{field}.{name}", "Datum saknas.", code="not_a_date")
            return
    if invoice.due_date < invoice.invoice_date:
        yield ApplicationError(f"{field}.due_date", "Förfallodagen ligger före "
                               "fakturadatumet.", code="due_before_invoice")
    if _is_date(applied_on) and invoice.due_date >= applied_on:
        # Only a debt that has fallen due may be the subject of a betalningsföreläggande.
        yield ApplicationError(f"{field}.due_date", "Fakturan har inte förfallit till "
                               "betalning före ansökningsdagen.", code="not_overdue")


def _amount_problems(field: str, amount):
    if isinstance(amount, bool) or not isinstance(amount, int):
        yield ApplicationError(field, "Beloppet ska anges i hela ören.",
                               code="amount_not_whole_ore")
    elif amount <= 0:
        yield ApplicationError(field, "Beloppet måste vara större än 0 kr.",
                               code="amount_not_positive")
    elif amount > MAX_ORE:
        yield ApplicationError(field, "Beloppet är orimligt stort (över 100 miljoner kr).",
                               code="amount_too_large")


def _sub_claim_problems(app: Application):
    due_dates = {i.due_date for i in app.invoices if isinstance(i, InvoiceGround)}
    for i, claim in enumerate(app.sub_claims):
        field = f"sub_claims[{i}]"
        if not isinstance(claim, SubClaim) or claim.kind not in SUB_CLAIM_KINDS:
            yield ApplicationError(f"{field}.kind", "Okänd typ av delkrav.",
                                   code="sub_claim_kind_unknown")
            continue
        if claim.kind in FEE_KINDS and claim.amount_ore == 0:
            yield ApplicationError(f"{field}.amount_ore", f"{sub_claim_label(claim.kind)} "
                                   "på 0 kr ska inte tas med som delkrav.", code="fee_zero")
        else:
            yield from _amount_problems(f"{field}.amount_ore", claim.amount_ore)
        if _blank(claim.description):
            yield ApplicationError(f"{field}.description", "Beskriv delkravet.",
                                   code="description_missing")
        if claim.kind in FEE_KINDS and _blank(claim.legal_basis):
            yield ApplicationError(f"{field}.legal_basis", f"Ange lagstödet för "
                                   f"{sub_claim_label(claim.kind).lower()}.",
                                   code="legal_basis_missing")
        if claim.due_date is not None and not _is_date(claim.due_date):
            yield ApplicationError(f"{field}.due_date", "Förfallodagen måste vara ett datum.",
                                   code="not_a_date")
        if claim.kind == CAPITAL:
            yield from _capital_problems(field, claim, due_dates)
        elif claim.interest_from is not None or claim.interest_rate_text is not None:
            # Interest accrues on capital only (räntelagen); fees carry none (DOMAIN.md).
            yield ApplicationError(f"{field}.interest_from", "Ränta kan bara begäras på "
                                   "kapital.", code="interest_not_on_capital")


def _capital_problems(field: str, claim: SubClaim, invoice_due_dates: set):
    if claim.due_date is None:
        yield ApplicationError(f"{field}.due_date", "Ange kapitalets förfallodag.",
                               code="due_date_missing")
    elif _is_date(claim.due_date) and claim.due_date not in invoice_due_dates:
        yield ApplicationError(f"{field}.due_date", "Förfallodagen är inte någon av "
                               "fakturornas förfallodagar.", code="due_date_not_an_invoice")
    if (claim.interest_from is None) != (claim.interest_rate_text is None):
        yield ApplicationError(f"{field}.interest_from", "Ange både från vilken dag och "
                               "med vilken räntesats räntan begärs.",
                               code="interest_incomplete")
    elif claim.interest_from is not None:
        if not _is_date(claim.interest_from):
            yield ApplicationError(f"{field}.interest_from", "Räntan måste begäras från ett "
                                   "datum.", code="not_a_date")
        elif _is_date(claim.due_date) and claim.interest_from < claim.due_date:
            yield ApplicationError(f"{field}.interest_from", "Ränta kan inte begäras från en "
                                   "dag före förfallodagen.", code="interest_before_due_date")
        if _blank(claim.interest_rate_text):
            yield ApplicationError(f"{field}.interest_rate_text", "Ange räntesatsen.",
                                   code="interest_incomplete")


def _claim_problems(app: Application):
    claims = [c for c in app.sub_claims if isinstance(c, SubClaim)]
    kinds = [c.kind for c in claims]
    if CAPITAL not in kinds:
        # KFM also takes applications for costs alone (capital paid late, fees unpaid); ekrav
        # does not file them until that flow, and its grounds, are designed.
        yield ApplicationError("sub_claims", "Ansökan saknar kapitalbelopp.",
                               code="capital_missing")
    for kind in FEE_KINDS:
        if kinds.count(kind) > 1:
            # One of each fee per ärende: a second one is a job that ran twice.
            yield ApplicationError("sub_claims", f"{sub_claim_label(kind)} finns med flera "
                                   "gånger.", code="fee_repeated")
    yield from _late_payment_compensation_problems(app, kinds)
    yield from _interest_problems(app, claims)
    capital = sum(c.amount_ore for c in claims if c.kind == CAPITAL
                  and isinstance(c.amount_ore, int))
    invoiced = sum(i.amount_ore for i in app.invoices if isinstance(i, InvoiceGround)
                   and isinstance(i.amount_ore, int))
    if capital > invoiced:
        yield ApplicationError("sub_claims", "Kapitalet är större än fakturornas belopp.",
                               code="capital_exceeds_invoices")


def _late_payment_compensation_problems(app: Application, kinds: list):
    if LATE_PAYMENT_COMPENSATION not in kinds:
        return
    if isinstance(app.respondent, Party) and app.respondent.kind == PERSON:
        yield ApplicationError("sub_claims", "Förseningsersättning kan bara begäras av "
                               "näringsidkare, inte av en konsument.",
                               code="late_payment_compensation_consumer")
    if REMINDER_FEE in kinds or COLLECTION_FEE in kinds:
        # 4 a § lag 1981:739: it replaces the reminder and collection fees.
        yield ApplicationError("sub_claims", "Förseningsersättning ersätter påminnelse- och "
                               "inkassoavgift och kan inte begäras tillsammans med dem.",
                               code="late_payment_compensation_with_fees")


def _interest_problems(app: Application, claims: list):
    capitals = [c for c in claims if c.kind == CAPITAL]
    running = [c for c in capitals if c.interest_from is not None]
    if app.interest_running is True and len(running) != len(capitals):
        yield ApplicationError("interest_running", "Löpande ränta begärs men något "
                               "kapitalbelopp saknar räntesats och startdag.",
                               code="interest_running_mismatch")
    if app.interest_running is False and running:
        yield ApplicationError("interest_running", "Ett kapitalbelopp har löpande ränta fast "
                               "ansökan inte begär löpande ränta.",
                               code="interest_running_mismatch")
    accrued = any(c.kind == INTEREST for c in claims)
    if accrued and _is_date(app.applied_on) and any(
            _is_date(c.interest_from) and c.interest_from <= app.applied_on for c in running):
        # Accrued interest runs to the application day; running interest must start after it.
        yield ApplicationError("interest_running", "Ränta begärs två gånger för samma dagar: "
                               "löpande ränta ska börja efter ansökningsdagen när upplupen "
                               "ränta tas med som belopp.", code="interest_claimed_twice")


# Words that mean "how to pay": KFM refuses payment instructions in the grounds, and the debtor
# pays the sökande, not the account a free text happens to mention.
_PAYMENT_INSTRUCTION_RE = re.compile(
    r"\b(bankgiro\w*|plusgiro\w*|bg|pg|ocr\w*|swish\w*|iban|bic|clearing\w*|kontonummer\w*"
    r"|betala[s]?\s+(till|senast|in)|inbetalning\w*)\b",
    re.IGNORECASE,
)
_FREE_TEXT_FIELDS = ("description", "legal_basis", "interest_rate_text")


def _text_problems(app: Application):
    for field, value in _strings(app, ""):
        if any(not _xml_char(ch) for ch in value):
            yield ApplicationError(field, "Texten innehåller otillåtna tecken (t.ex. "
                                   "radbrytning eller styrtecken).", code="invalid_characters")
    free_texts = [("original_creditor", app.original_creditor)] + [
        (field, value) for field, value in _strings(app, "")
        if field.rsplit(".", 1)[-1] in _FREE_TEXT_FIELDS]
    for field, value in free_texts:
        if isinstance(value, str) and _PAYMENT_INSTRUCTION_RE.search(value):
            yield ApplicationError(field, "Grunden får inte innehålla betalningsinstruktioner "
                                   "(bankgiro, OCR, konto och liknande).",
                                   code="payment_instructions")


def _strings(obj, path: str):
    """(field path, value) of every text in a tree of dataclasses and tuples."""
    if isinstance(obj, str):
        yield path, obj
    elif is_dataclass(obj):
        for f in fields(obj):
            yield from _strings(getattr(obj, f.name), f"{path}.{f.name}".lstrip("."))
    elif isinstance(obj, (tuple, list)):
        for i, item in enumerate(obj):
            yield from _strings(item, f"{path}[{i}]")


def _xml_char(ch: str) -> bool:
    # Line breaks are refused too: every field is one line, and XML would turn \r into \n.
    return unicodedata.category(ch) not in ("Cc", "Cs") and ch not in "\ufffe\uffff"


# --- The grounds (AnsokanGrundText) ---------------------------------------------------------

# KFM limits the grounds text; its exact limit is in the Teknisk beskrivning (not available
# here). 1000 characters is ekrav's conservative choice until it is aligned: a few invoices in
# full, any number of them in the summary (numbers, first and last due date).
GROUNDS_MAX_CHARS = 1000


def grounds_text(application: Application, *, limit: int = GROUNDS_MAX_CHARS) -> str:
    """The grounds of the claim in plain Swedish, at most ``limit`` characters.

    Tries, in order, until one fits: everything in full; fees by their legal basis only; the
    invoices summarised (numbers, earliest and latest due date); as many invoice numbers as
    fit ("bland annat nr ..."). The original creditor and the interest stay in every form.
    Whole sentences always, never a cut word. Raises ``ApplicationError`` for an invalid
    application, or when even the shortest form does not fit.
    """
    validate(application)
    for text in _grounds_candidates(application):
        if len(text) <= limit:
            return text
    text = _summary_with_most_numbers(application, limit)
    if text is None:
        raise ApplicationError("grounds", f"Grunden blir längre än {limit} tecken även i kort "
                               "form; korta ned beskrivningar, namn eller lagstöd.",
                               code="grounds_too_long")
    return text


def _grounds_candidates(app: Application):
    yield _join(_invoices_in_full(app.invoices), _middle(app), _tail(app, detailed=True))
    yield _join(_invoices_in_full(app.invoices), _middle(app), _tail(app, detailed=False))
    yield _summary(app, len(app.invoices))


def _summary(app: Application, shown: int) -> str:
    return _join(_invoices_summarised(app.invoices, shown), _middle(app),
                 _tail(app, detailed=False))


def _summary_with_most_numbers(app: Application, limit: int) -> str | None:
    """The summary listing as many invoice numbers as fit ("bland annat nr ..."), or None.
    Its length grows with the numbers shown, so a binary search finds the most."""
    low, high, best = 1, len(app.invoices) - 1, None
    while low <= high:
        shown = (low + high) // 2
        text = _summary(app, shown)
        if len(text) <= limit:
            best, low = text, shown + 1
        else:
            high = shown - 1
    return best


def _join(*groups) -> str:
    return " ".join(sentence for group in groups for sentence in group)


def _clean(text: str) -> str:
    """Single spaces, no trailing punctuation: ready to sit inside a sentence. The period of
    an abbreviation that ends the text ("m.m.", "t.ex.") stays."""
    text = " ".join(text.split()).rstrip(" ,;:")
    last_word = text.rsplit(" ", 1)[-1]
    if text.endswith(".") and "." not in last_word[:-1]:
        text = text[:-1].rstrip(" ,;:")
    return text


def _sentence(text: str) -> str:
    text = " ".join(text.split())
    return text if text.endswith((".", "!", "?")) else text + "."


def _invoices_in_full(invoices) -> list[str]:
    def one(invoice, opening):
        return (f"{opening} nr {_clean(invoice.invoice_number)} daterad "
                f"{invoice.invoice_date.isoformat()} avseende {_clean(invoice.description)}, "
                f"förfallen till betalning {invoice.due_date.isoformat()}.")

    if len(invoices) == 1:
        return [one(invoices[0], "Kravet gäller obetald faktura")]
    return [f"Kravet gäller {len(invoices)} obetalda fakturor."] + [
        one(invoice, "Faktura") for invoice in invoices]


def _invoices_summarised(invoices, shown: int) -> list[str]:
    """Numbers (the first ``shown`` of them), a common description, first and last due date."""
    first = min(i.due_date for i in invoices)
    last = max(i.due_date for i in invoices)
    numbers = ", ".join(_clean(i.invoice_number) for i in invoices[:shown])
    if shown < len(invoices):
        numbers = f"bland annat nr {numbers}"
    else:
        numbers = f"nr {numbers}"
    if len(invoices) == 1:
        return [f"Kravet gäller obetald faktura {numbers}, förfallen till betalning "
                f"{first.isoformat()}."]
    descriptions = {_clean(i.description).casefold() for i in invoices}
    about = f" avseende {_clean(invoices[0].description)}" if len(descriptions) == 1 else ""
    due = (f"förfallna till betalning {first.isoformat()}" if first == last else
           f"förfallna till betalning mellan {first.isoformat()} och {last.isoformat()}")
    return [f"Kravet gäller {len(invoices)} obetalda fakturor{about}, {numbers}, {due}."]


def _middle(app: Application) -> list[str]:
    if app.original_creditor is None:
        return []
    return [_sentence(f"Ursprunglig fordringsägare är {_clean(app.original_creditor)}")]


def _tail(app: Application, *, detailed: bool) -> list[str]:
    return [*_running_interest(app, detailed=detailed), *_amounts_beside_capital(app, detailed)]


def _running_interest(app: Application, *, detailed: bool) -> list[str]:
    capitals = [c for c in app.sub_claims if c.kind == CAPITAL and c.interest_from]
    by_rate: dict[str, list[SubClaim]] = {}
    for claim in capitals:
        by_rate.setdefault(_clean(claim.interest_rate_text), []).append(claim)
    sentences = []
    for rate, claims in by_rate.items():
        if all(c.interest_from == c.due_date for c in claims):
            since = "förfallodagen" if len(capitals) == 1 else "respektive förfallodag"
        elif detailed:
            since = ", ".join(sorted({c.interest_from.isoformat() for c in claims}))
        else:
            since = "de dagar som anges i delkraven"
        sentences.append(f"Ränta begärs {rate} på kapitalet från {since} till dess betalning "
                         "sker.")
    return sentences


def _amounts_beside_capital(app: Application, detailed: bool) -> list[str]:
    """Accrued interest and fees: what each is, and the legal basis the caller gave."""
    sentences = []
    for claim in app.sub_claims:
        if claim.kind == CAPITAL:
            continue
        label = sub_claim_label(claim.kind)
        basis = f"begärs enligt {_clean(claim.legal_basis)}" if claim.legal_basis else ""
        if detailed:
            about = f"{label} avser {_clean(claim.description)}"
            sentences.append(_sentence(f"{about} och {basis}" if basis else about))
        elif claim.kind == INTEREST:
            sentences.append(_sentence(f"{label} till ansökningsdagen {basis}"))
        else:
            sentences.append(_sentence(f"{label} {basis}"))
    return sentences


# --- The XML file ----------------------------------------------------------------------------

NAMESPACE = "urn:ekrav:kronofogden:betalningsforelaggande:1"
FORMAT_VERSION = "1"
_PARTY_TYPE = {PERSON: "Person", COMPANY: "Foretag"}
_KIND_BY_DELKRAVSTYP = {typ: kind for kind, typ in _DELKRAVSTYP.items()}
_KIND_BY_PARTY_TYPE = {typ: kind for kind, typ in _PARTY_TYPE.items()}


def _q(name: str) -> str:
    return f"{{{NAMESPACE}}}{name}"


def _add(parent: ET.Element, name: str, text: str | None = None) -> ET.Element:
    element = ET.SubElement(parent, _q(name))
    if text is not None:
        element.text = text
    return element


def kronor(amount_ore: int) -> str:
    """Öre as kronor with two decimals and a point, e.g. 123450 -> "1234.50"."""
    if isinstance(amount_ore, bool) or not isinstance(amount_ore, int) or amount_ore < 0:
        raise ValueError(f"amount_ore must be a whole number of öre >= 0, not {amount_ore!r}")
    return f"{amount_ore // 100}.{amount_ore % 100:02d}"


def application_xml(application: Application) -> bytes:
    """The application as UTF-8 XML. Raises ``ApplicationError`` for anything KFM or the law
    would refuse (see ``check``)."""
    grounds = grounds_text(application)  # validates first
    root = ET.Element(_q("AnsokanOmBetalningsforelaggande"))
    _add(root, "Formatversion", FORMAT_VERSION)
    _add(root, "IngivarensReferens", application.reference)
    _add(root, "Ansokningsdag", application.applied_on.isoformat())
    _party_xml(_add(root, "Sokande"), application.applicant)
    agent = _add(root, "Ombud")
    _party_xml(agent, application.agent.party)
    _add(agent, "Kontaktperson", application.agent.contact_person)
    for name, value in (("Telefon", application.agent.phone), ("Epost", application.agent.email)):
        if value is not None:
            _add(agent, name, value)
    _party_xml(_add(root, "Svarande"), application.respondent)
    if application.original_creditor is not None:
        _add(root, "UrsprungligFordringsagare", application.original_creditor)
    invoices = _add(root, "Fakturor")
    for invoice in application.invoices:
        _invoice_xml(_add(invoices, "Faktura"), invoice)
    sub_claims = _add(root, "Delkravslista")
    for claim in application.sub_claims:
        _sub_claim_xml(_add(sub_claims, "Delkrav"), claim)
    _add(root, "RantaTillDessBetalningSker", "true" if application.interest_running else "false")
    _add(root, "AnsokanGrundText", grounds)
    _totals_xml(_add(root, "Summa"), totals(application))
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True,
                       default_namespace=NAMESPACE)


def _party_xml(element: ET.Element, party: Party) -> None:
    _add(element, "Namn", party.name)
    _add(element, "Identitetsnummer", party.identity_number)
    _add(element, "Partstyp", _PARTY_TYPE[party.kind])
    address = _add(element, "Adress")
    _add(address, "Utdelningsadress", party.street)
    _add(address, "Postnummer", party.postal_code)
    _add(address, "Postort", party.city)


def _invoice_xml(element: ET.Element, invoice: InvoiceGround) -> None:
    _add(element, "Fakturanummer", invoice.invoice_number)
    _add(element, "Fakturadatum", invoice.invoice_date.isoformat())
    _add(element, "Forfallodag", invoice.due_date.isoformat())
    _add(element, "Belopp", kronor(invoice.amount_ore))
    _add(element, "Avser", invoice.description)


def _sub_claim_xml(element: ET.Element, claim: SubClaim) -> None:
    _add(element, "Delkravstyp", _DELKRAVSTYP[claim.kind])
    _add(element, "Belopp", kronor(claim.amount_ore))
    _add(element, "Beskrivning", claim.description)
    if claim.due_date is not None:
        _add(element, "Forfallodag", claim.due_date.isoformat())
    if claim.interest_from is not None:
        interest = _add(element, "Ranta")
        _add(interest, "FranOchMed", claim.interest_from.isoformat())
        _add(interest, "Rantesats", claim.interest_rate_text)
    if claim.legal_basis is not None:
        _add(element, "RattsligGrund", claim.legal_basis)


_TOTAL_ELEMENTS = (("Kapital", "capital_ore"), ("Ranta", "interest_ore"),
                   ("Avgifter", "fees_ore"), ("Totalt", "total_ore"))


def _totals_xml(element: ET.Element, sums: dict[str, int]) -> None:
    for name, key in _TOTAL_ELEMENTS:
        _add(element, name, kronor(sums[key]))


# --- Reading a file back -----------------------------------------------------------------------

_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
_KRONOR_RE = re.compile(r"(\d{1,12})\.(\d{2})", re.ASCII)


def parse_application_xml(data: bytes) -> Application:
    """Read a file made by ``application_xml`` back, and check it as a handler would: the
    application must be valid, and its grounds text and sums must be those it implies (so a
    hand-edited file is caught before it reaches Kronofogden)."""
    root = _parse_root(data)
    agent = _child(root, "Ombud")
    application = Application(
        reference=_text(root, "IngivarensReferens"),
        applied_on=_date(root, "Ansokningsdag"),
        applicant=_party(_child(root, "Sokande")),
        agent=Agent(party=_party(agent), contact_person=_text(agent, "Kontaktperson"),
                    phone=_text(agent, "Telefon", optional=True),
                    email=_text(agent, "Epost", optional=True)),
        respondent=_party(_child(root, "Svarande")),
        original_creditor=_text(root, "UrsprungligFordringsagare", optional=True),
        invoices=tuple(_invoice(e) for e in _children(root, "Fakturor", "Faktura")),
        sub_claims=tuple(_sub_claim(e) for e in _children(root, "Delkravslista", "Delkrav")),
        interest_running=_bool(root, "RantaTillDessBetalningSker"),
    )
    if _text(root, "AnsokanGrundText") != grounds_text(application):
        raise ApplicationError("AnsokanGrundText", "Grunden i filen stämmer inte med "
                               "ansökans uppgifter.", code="grounds_mismatch")
    summa = _child(root, "Summa")
    sums = totals(application)
    for name, key in _TOTAL_ELEMENTS:
        if _ore(summa, name) != sums[key]:
            raise ApplicationError(f"Summa.{name}", "Summan i filen stämmer inte med "
                                   "delkraven.", code="totals_mismatch")
    return application


def _parse_root(data: bytes) -> ET.Element:
    if not isinstance(data, bytes):
        raise ApplicationError("xml", "Filen ska läsas som bytes.", code="malformed_xml")
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        # The format has no DTD; refusing one shuts out entity expansion attacks.
        raise ApplicationError("xml", "Filen innehåller en DTD.", code="malformed_xml")
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise ApplicationError("xml", f"Filen är inte giltig XML ({exc}).",
                               code="malformed_xml") from None
    if root.tag != _q("AnsokanOmBetalningsforelaggande"):
        raise ApplicationError("xml", "Filen är ingen ansökan om betalningsföreläggande i "
                               "ekravs format.", code="wrong_document")
    version = _text(root, "Formatversion")
    if version != FORMAT_VERSION:
        raise ApplicationError("Formatversion", f"Okänd formatversion {version!r}.",
                               code="wrong_version")
    return root


def _child(parent: ET.Element, name: str, *, optional: bool = False) -> ET.Element | None:
    element = parent.find(_q(name))
    if element is None and not optional:
        raise ApplicationError(name, f"Elementet {name} saknas.", code="element_missing")
    return element


def _children(parent: ET.Element, group: str, name: str) -> list[ET.Element]:
    return _child(parent, group).findall(_q(name))


def _text(parent: ET.Element, name: str, *, optional: bool = False) -> str | None:
    element = _child(parent, name, optional=optional)
    if element is None:
        return None
    return element.text or ""


def _date(parent: ET.Element, name: str, *, optional: bool = False) -> date | None:
    text = _text(parent, name, optional=optional)
    if text is None:
        return None
    try:
        if _DATE_RE.fullmatch(text):
            return date.fromisoformat(text)
    except ValueError:
        pass
    raise ApplicationError(name, f"{text!r} är inget datum (ÅÅÅÅ-MM-DD).", code="not_a_date")


def _ore(parent: ET.Element, name: str) -> int:
    text = _text(parent, name)
    match = _KRONOR_RE.fullmatch(text)
    if not match:
        raise ApplicationError(name, f"{text!r} är inget belopp (kronor med två decimaler, "
                               "t.ex. 1234.50).", code="amount_malformed")
    return int(match.group(1)) * 100 + int(match.group(2))


def _bool(parent: ET.Element, name: str) -> bool:
    text = _text(parent, name)
    if text not in ("true", "false"):
        raise ApplicationError(name, f"{text!r} är varken true eller false.",
                               code="not_a_bool")
    return text == "true"


def _lookup(table: dict, parent: ET.Element, name: str) -> str:
    text = _text(parent, name)
    if text not in table:
        raise ApplicationError(name, f"Okänt värde {text!r}.", code="unknown_value")
    return table[text]


def _party(element: ET.Element) -> Party:
    address = _child(element, "Adress")
    return Party(name=_text(element, "Namn"),
                 identity_number=_text(element, "Identitetsnummer"),
                 kind=_lookup(_KIND_BY_PARTY_TYPE, element, "Partstyp"),
                 street=_text(address, "Utdelningsadress"),
                 postal_code=_text(address, "Postnummer"),
                 city=_text(address, "Postort"))


def _invoice(element: ET.Element) -> InvoiceGround:
    return InvoiceGround(invoice_number=_text(element, "Fakturanummer"),
                         invoice_date=_date(element, "Fakturadatum"),
                         due_date=_date(element, "Forfallodag"),
                         amount_ore=_ore(element, "Belopp"),
                         description=_text(element, "Avser"))


def _sub_claim(element: ET.Element) -> SubClaim:
    interest = _child(element, "Ranta", optional=True)
    return SubClaim(kind=_lookup(_KIND_BY_DELKRAVSTYP, element, "Delkravstyp"),
                    amount_ore=_ore(element, "Belopp"),
                    description=_text(element, "Beskrivning"),
                    due_date=_date(element, "Forfallodag", optional=True),
                    interest_from=None if interest is None else _date(interest, "FranOchMed"),
                    interest_rate_text=None if interest is None else _text(interest,
                                                                           "Rantesats"),
                    legal_basis=_text(element, "RattsligGrund", optional=True))
