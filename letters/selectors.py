"""Reads for letters: what a step's letter says, and the letters a reader may see."""

from __future__ import annotations

from django.conf import settings

from claims.models import LedgerEntry, Step
from claims.selectors import FEE_PREFIX, claim_policy, claim_statement
from ekrav.identifiers import format_bankgiro, format_identity, format_postal_code
from letters.content import (
    HELD,
    WITHDRAWN,
    InvoiceLine,
    LetterContent,
    Party,
    Payment,
    fee_items,
    interest_items,
)
from letters.models import Letter
from letters.samples import agency_party
from letters.swish import swish_qr_text


class NoContent(Exception):
    """The letter cannot be written (e.g. the rate table does not reach back): say why."""


def letter_content(step: Step) -> LetterContent:
    """The letter of ``step`` as of the day the step was taken."""
    claim = step.claim
    creditor, debtor = claim.creditor, claim.debtor
    statement, problem = claim_statement(claim, as_of=step.taken_on)
    if statement is None:
        raise NoContent(problem)
    invoices = {inv.pk: inv for inv in claim.invoices.all()}
    of = {inv.invoice_id: inv for inv in statement.invoices}
    # Invoices held by a partial objection are listed, marked, and not asked for: neither
    # their capital nor their interest is in the letter's amounts (statement.collectible_ore).
    held = {pk for pk, inv in of.items() if inv.held and inv.written_off_on is None}
    held_capital = sum(of[pk].capital_ore for pk in held)
    held_interest = sum(of[pk].interest_owed_ore for pk in held)
    # "fee:kfm_application_fee:1" reads as Kronofogden's application fee (one per application).
    fees = [(e.key.removeprefix(FEE_PREFIX).split(":")[0], e.amount_ore, e.legal_basis)
            for e in claim.ledger.filter(kind=LedgerEntry.Kind.FEE, booked_on__lte=step.taken_on)
            .order_by("booked_on", "id")]
    capital = statement.capital_ore - held_capital
    interest = statement.interest_owed_ore - held_interest
    total = statement.collectible_ore
    agency = settings.AGENCY
    policy = claim_policy(claim)
    return LetterContent(
        kind=step.kind, letter_date=step.taken_on, case_number=claim.case_number,
        creditor=Party(name=creditor.name, street=creditor.street,
                       postal_code=format_postal_code(creditor.postal_code), city=creditor.city,
                       organisation_number=format_identity(creditor.organisation_number)),
        debtor=Party(name=debtor.name, street=debtor.street,
                     postal_code=format_postal_code(debtor.postal_code), city=debtor.city),
        agency=agency_party(agency),
        invoices=tuple(_invoice_line(inv, of[pk], held=pk in held)
                       for pk, inv in sorted(invoices.items(),
                                             key=lambda kv: (kv[1].due_date, kv[0]))),
        interest=tuple(item for item in interest_items(statement, {
            pk: inv.invoice_number for pk, inv in invoices.items()})
            if item.invoice_number not in {invoices[pk].invoice_number for pk in held}),
        fees=fee_items(fees), paid_ore=statement.paid_ore, capital_ore=capital,
        interest_ore=interest, fees_ore=statement.costs_owed_ore,
        total_ore=total, deadline=step.deadline,
        payment=Payment(bankgiro=format_bankgiro(agency["bankgiro"]), ocr=claim.ocr,
                        swish_number=agency["swish_number"],
                        swish_qr_text=swish_qr_text(payee=agency["swish_number"],
                                                    amount_ore=max(_first_to_pay(step, total), 1),
                                                    ocr=claim.ocr),
                        mitt_arende_url=settings.MITT_ARENDE_URL),
        interest_rate_now=_rate_now(statement) if policy.interest_enabled else None,
        debtor_is_person=debtor.kind == "person", instalments=_instalments(step))


def _invoice_line(invoice, now, *, held: bool) -> InvoiceLine:
    """One invoice as the letter lists it; a held one owes nothing the letter asks for."""
    if now.written_off_on is not None:
        state = WITHDRAWN
    else:
        state = HELD if held else ""
    return InvoiceLine(number=invoice.invoice_number, invoice_date=invoice.invoice_date,
                       due_date=invoice.due_date, description=invoice.description,
                       amount_ore=invoice.amount_ore,
                       capital_owed_ore=0 if held else now.capital_ore, state=state,
                       owed_ore=now.capital_ore + now.interest_owed_ore if held else 0)


def _first_to_pay(step, total: int) -> int:
    """What the letter's Swish code asks for: the total, or a plan's first instalment."""
    instalments = _instalments(step)
    return instalments[0][2] if instalments else total


def _instalments(step) -> tuple:
    """The schedule of the plan a plan letter writes down (the plan running on its day)."""
    if step.kind != Step.Kind.PLAN:
        return ()
    from claims.models import PaymentPlan
    from claims.plans import Instalment

    plan = (PaymentPlan.objects.filter(claim_id=step.claim_id, decided_on__lte=step.taken_on,
                                       status__in=["active", "broken", "completed"])
            .order_by("-decided_on", "-id").first())
    if plan is None:
        raise NoContent("Ingen avbetalningsplan att skriva.")
    return tuple((i.n, i.due_on, i.amount_ore) for i in map(Instalment.from_json,
                                                              plan.instalments))


def _rate_now(statement):
    lines = [line for inv in statement.invoices for line in inv.interest_lines]
    return max(lines, key=lambda line: line.end).rate if lines else None


def letters_of(claim) -> list[Letter]:
    """The letters a claim's reader sees: those that went out, oldest first."""
    return list(claim.letters.filter(state=Letter.State.SENT).order_by("letter_date", "id"))


def limitations_of(claims) -> dict:
    """{claim id: claims.limitation.Limitation} for claims with their debtor and invoices
    loaded: every interruption counted (payments, applications to Kronofogden, each letter
    sent), in three queries for the batch."""
    from claims.limitation import Interruption, limitation
    from claims.selectors import claims_interruptions

    interruptions = claims_interruptions([claim.pk for claim in claims])
    for pk, day in (Letter.objects.filter(claim__in=claims, state=Letter.State.SENT,
                                          sent_on__isnull=False)
                    .values_list("claim_id", "sent_on")):
        interruptions[pk].append(Interruption(on=day, reason="letter"))
    return {claim.pk: limitation(invoice_dates=[i.invoice_date for i in claim.invoices.all()],
                                 interruptions=interruptions[claim.pk],
                                 debtor_kind=claim.debtor.kind) for claim in claims}


def limitation_of(claim, *, sent_letters: list[Letter] | None = None):
    """One claim's ``limitations_of``; from its prefetched ledger and its ``sent_letters``
    (``letters_of``) when the caller has read them: a page showing both reads them once."""
    if sent_letters is None or "ledger" not in getattr(claim, "_prefetched_objects_cache", {}):
        return limitations_of([claim])[claim.pk]
    from claims.limitation import Interruption, limitation
    from claims.selectors import claims_interruptions

    interruptions = claims_interruptions([claim.pk], ledgers={claim.pk: claim.ledger.all()})
    interruptions = interruptions[claim.pk] + [
        Interruption(on=letter.sent_on, reason="letter") for letter in sent_letters
        if letter.state == Letter.State.SENT and letter.sent_on is not None]
    return limitation(invoice_dates=[i.invoice_date for i in claim.invoices.all()],
                      interruptions=interruptions, debtor_kind=claim.debtor.kind)
