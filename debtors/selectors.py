"""Reads for Mitt Ärende: a case found by the numbers on its letters, and the case as the
debtor sees it, every amount from the claim's own statement (``claims.statement``)."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import Max

from claims.collection import ACTIVE
from claims.engine import Step, planned_steps
from claims.models import Claim, Invoice, LedgerEntry, StatutoryFee
from claims.selectors import (
    FEE_PREFIX,
    claim_balance,
    claim_books,
    claim_policy,
    claim_snapshots,
    claim_statement,
    fee_caps_on,
    reference_rates,
)
from claims.statement import Charge, RateTable, Statement, statement
from debtors.services import may_hold
from ekrav.identifiers import format_bankgiro, format_identity
from letters.models import Letter
from letters.render import swish_qr_svg
from letters.selectors import letters_of
from letters.swish import swish_qr_text

# A paid or withdrawn case still opens for a while: the debtor checks that it is settled, or
# asks about a refund. After that its numbers open nothing.
OPEN_AFTER_CLOSING_DAYS = 90
# Compared with when no case has the number, so that a wrong case number costs what a wrong
# OCR costs and the answer's timing tells nothing.
_NO_CASE_OCR = "0" * 25


def normalize_number(value: str) -> str:
    """A number as typed from a letter: spaces and dashes are the typist's, not the number's."""
    return "".join(ch for ch in (value or "") if not ch.isspace() and ch != "-")


def case_to_open(*, case_number: str, ocr: str, today: date) -> Claim | None:
    """The claim whose case number and OCR reference are these, if it is open or closed only
    recently; None otherwise, the same None whichever number was wrong."""
    claim = Claim.objects.filter(case_number=case_number).first()
    expected = claim.ocr if claim is not None else _NO_CASE_OCR
    same = hmac.compare_digest(expected.encode(), ocr.encode())
    if claim is None or not same:
        return None
    if claim.is_closed and _last_activity(claim) < today - timedelta(days=OPEN_AFTER_CLOSING_DAYS):
        return None
    return claim


def _last_activity(claim: Claim) -> date:
    # The closing event (paid, withdrawn) is a claim's last: its day is the day it closed.
    last = claim.events.aggregate(day=Max("occurred_on"))["day"]
    return last or claim.registered_on


def claims_of_access(access: dict) -> list[Claim]:
    """The claims an access lets the visitor see (one for case + OCR; all the debtor's, later,
    for BankID), with what the list and the case page read of them."""
    return list(Claim.objects.filter(pk__in=access.get("claims", ()))
                .select_related("creditor__policy", "debtor").order_by("-registered_on", "-id"))


def claim_ids_of_person(personal_number: str) -> list[int]:
    """Every case at ekrav, across creditors, of the person BankID identified: as a private
    person, or as the owner of an enskild firma (whose identity is the owner's personnummer).
    Each creditor stores its own debtor row; they meet here on the verified number."""
    return list(Claim.objects.filter(debtor__identity_number=personal_number)
                .order_by("pk").values_list("pk", flat=True))


# --- the case page --------------------------------------------------------------------------


@dataclass(frozen=True)
class InvoiceRow:
    """What the claim is based on: one invoice, the capital still owed and its interest."""

    invoice: Invoice
    capital_owed_ore: int
    interest_lines: tuple  # claims.interest.InterestLine, in date order
    held: bool = False  # under a partial objection: not asked for while it is looked into
    owed_ore: int = 0  # capital and interest it still owes (what a held invoice is not asked)
    written_off_on: date | None = None  # withdrawn by the creditor: its rest written off


@dataclass(frozen=True)
class FeeRow:
    name: str
    legal_basis: str
    on: date
    amount_ore: int


@dataclass(frozen=True)
class PaymentRow:
    """One payment and how it was used: costs, then interest, then capital; the rest is held
    for refund."""

    on: date
    amount_ore: int
    to_creditor: bool  # paid to the creditor directly (reported by them), not to the agency
    costs_ore: int
    interest_ore: int
    capital_ore: int
    surplus_ore: int


@dataclass(frozen=True)
class PlannedRow:
    """A step still to come if nothing is paid, and what the debtor owes on its day."""

    step: Step
    fees: tuple[FeeRow, ...]
    total_ore: int | None  # None when the rate table does not reach that far


@dataclass(frozen=True)
class Pay:
    """How to pay the total: bankgiro + OCR, or Swish (number, QR code with amount and OCR)."""

    amount_ore: int
    bankgiro: str
    ocr: str
    swish_number: str
    swish_qr: str  # an SVG data URI


def fee_name(kind: str) -> str:
    """The reader's name of a fee, by its ledger kind (``claims.fees.FeeKind``)."""
    kind = kind.removeprefix(FEE_PREFIX)
    try:
        return str(StatutoryFee.Kind(kind).label)
    except ValueError:
        return kind


def case_page(claim: Claim, *, today: date) -> dict:
    """Everything the case page shows, as of ``today``."""
    statement_now, problem = claim_statement(claim, as_of=today)
    letters = letters_of(claim)
    context = {
        "claim": claim, "today": today, "statement": statement_now,
        "statement_problem": problem, "creditor_number": format_identity(
            claim.creditor.organisation_number),
        "letters": letters, "deadline": _deadline(letters),
        "held_until": claim.hold_until if claim.hold_until and claim.hold_until > today
        else None,
        "hold_available": may_hold(claim, today=today),
    }
    context.update(_amounts(claim, statement_now))
    context["planned"] = _planned(claim, today) if claim.status in ACTIVE else []
    context["rate_now"] = _rate_now(statement_now)
    context["pay"] = _pay(claim, context["total_ore"]) if not claim.is_closed else None
    return context


def _deadline(letters: list[Letter]) -> date | None:
    """The deadline of the latest letter sent (``letters_of`` is oldest first)."""
    return letters[-1].deadline if letters else None


def _amounts(claim: Claim, now: Statement | None) -> dict:
    """The statement, itemised for the page. Without one (the rate table does not reach back,
    staff are told on the creditor's page) the ledger's balance, without interest lines."""
    invoices = list(claim.invoices.all())
    fees = [FeeRow(name=fee_name(e.key), legal_basis=e.legal_basis, on=e.booked_on,
                   amount_ore=e.amount_ore)
            for e in claim.ledger.all() if e.kind == LedgerEntry.Kind.FEE
            and (now is None or e.booked_on <= now.as_of)]
    if now is None:
        balance = claim_balance(claim)
        charged = balance.capital + balance.interest + balance.fees
        payments = [PaymentRow(on=e.booked_on, amount_ore=e.amount_ore, costs_ore=0,
                               to_creditor=e.kind == LedgerEntry.Kind.DIRECT_PAYMENT,
                               interest_ore=0, capital_ore=0, surplus_ore=0)
                    for e in claim.ledger.all() if e.kind in LedgerEntry.PAYMENTS]
        written_off = balance.written_off_capital + balance.written_off_interest
        return {"invoice_rows": [InvoiceRow(i, i.amount_ore, ()) for i in invoices],
                "fees": fees, "payments": payments, "capital_ore": balance.capital,
                "interest_ore": balance.interest, "fees_ore": balance.fees,
                "paid_ore": balance.paid, "held_ore": 0, "written_off_ore": written_off,
                # What was paid beyond the charges: held for refund.
                "surplus_ore": balance.paid - (charged - written_off - balance.outstanding),
                "total_ore": balance.outstanding}
    by_id = {i.pk: i for i in invoices}
    allocations = {a.payment_ref: a for a in now.allocations}
    payments = []
    for entry in claim.ledger.all():
        allocation = allocations.get(f"{entry.pk:020d}")  # claims.selectors._books' ref
        if entry.kind in LedgerEntry.PAYMENTS and allocation is not None:
            payments.append(PaymentRow(
                on=entry.booked_on, amount_ore=entry.amount_ore,
                to_creditor=entry.kind == LedgerEntry.Kind.DIRECT_PAYMENT,
                costs_ore=allocation.costs_ore, interest_ore=allocation.interest_ore,
                capital_ore=allocation.capital_ore, surplus_ore=allocation.surplus_ore))
    payments.sort(key=lambda p: p.on)
    return {
        "invoice_rows": [InvoiceRow(by_id[i.invoice_id], i.capital_ore, i.interest_lines,
                                    held=i.held, owed_ore=i.capital_ore + i.interest_owed_ore,
                                    written_off_on=i.written_off_on)
                         for i in now.invoices],
        "fees": fees, "payments": payments,
        # Charged so far, each: what is owed now plus what payments paid of it.
        "capital_ore": sum(i.amount_ore for i in now.invoices),
        "interest_ore": now.interest_accrued_ore,
        "fees_ore": now.costs_owed_ore + sum(a.costs_ore for a in now.allocations),
        "paid_ore": now.paid_ore, "surplus_ore": now.surplus_ore,
        # Withdrawn invoices' rest, written off; held invoices' debt, not asked for now.
        "written_off_ore": sum(w.capital_ore + w.interest_ore for w in now.written_off),
        "held_ore": now.held_ore,
        # What is asked for (and the most a payment form takes): not what is held.
        "total_ore": now.collectible_ore,
    }


def _rate_now(now: Statement | None) -> Decimal | None:
    lines = now.interest_lines if now else ()
    return max(lines, key=lambda line: line.end).rate if lines else None


def _planned(claim: Claim, today: date) -> list[PlannedRow]:
    """The engine's own plan (a hold included) with the total owed on each step's day: the
    statement as of that day with the fees of the steps up to it, if nothing is paid."""
    policy = claim_policy(claim)
    steps = planned_steps(claim_snapshots([claim], as_of=today, prefetched=True)[claim.pk],
                          today, policy, fee_caps_on(today))
    books, rates = claim_books(claim), RateTable(reference_rates())
    charges, rows = list(books.charges), []
    for step in steps:
        fees = tuple(FeeRow(name=fee_name(fee.kind), legal_basis=fee.legal_basis, on=step.on,
                            amount_ore=fee.amount_ore) for fee in step.fees if fee.amount_ore)
        charges += [Charge(on=step.on, kind=str(fee.kind), amount_ore=fee.amount_ore)
                    for fee in step.fees]
        try:
            total = statement(invoices=books.invoices, charges=charges, payments=books.payments,
                              as_of=step.on, rates=rates,
                              interest_enabled=policy.interest_enabled, holds=books.holds,
                              write_offs=books.write_offs).collectible_ore
        except ValueError:
            total = None
        rows.append(PlannedRow(step=step, fees=fees, total_ore=total))
    return rows


def swish_display(number: str) -> str:
    """A Swish number as people read it: 123 118 11 89."""
    if len(number) == 10:
        return f"{number[:3]} {number[3:6]} {number[6:8]} {number[8:]}"
    return number


def _pay(claim: Claim, total_ore: int) -> Pay | None:
    if total_ore <= 0:
        return None
    agency = settings.AGENCY
    return Pay(amount_ore=total_ore, bankgiro=format_bankgiro(agency["bankgiro"]),
               ocr=claim.ocr, swish_number=swish_display(agency["swish_number"]),
               swish_qr=swish_qr_svg(swish_qr_text(payee=agency["swish_number"],
                                                   amount_ore=total_ore, ocr=claim.ocr)))
