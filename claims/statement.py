"""What a claim (ärende) consists of as of a day: capital, interest, costs and payments, itemised.

Pure: no ORM, no clock. The caller passes the invoices, the fees booked, the payments received
(to ekrav or, reported by the creditor, directly), the day ``as_of`` and the reference-rate table;
``statement`` replays the payments in order and answers with every amount and how each payment
was allocated. Interest itself comes from ``claims.interest``; this module decides *on which
capital and over which days*, and in which order a payment pays what is owed.

The rules (DOMAIN.md "Interest" and "Allocation of a partial payment", issues 3 and 4):

1. **Interest** (dröjsmålsränta) runs per invoice from the day after its due date up to and
   including ``as_of``, on that invoice's outstanding capital only. Fees carry none.
2. **The payment day bears interest** on the capital owed before the payment; what the payment
   repays stops bearing interest the next day. A statement as of day D counts day D, so a debtor
   who pays on day D the total shown as of day D is settled to the öre: no one-day surplus to
   refund, no one-day rest to chase. It is also the usual count of days late (payment date minus
   due date): paid on the due date, no interest; a day later, one day.
3. **Payments** are taken in date order, ties by ``ref``. A payment or a fee dated after
   ``as_of`` has not happened yet as of that day and is left out.
4. **Allocation** (9 kap. 5 § handelsbalken), in the order of an ``AllocationOrder``, by default:
   costs (every fee booked on or before the payment day, not yet paid), then interest (accrued
   up to and including the payment day, not yet paid), then capital, invoice by invoice, oldest
   due date first (ties by invoice id). What is left is **surplus**: an overpayment held for
   refund. It is never kept and never applied to a fee booked later; offsetting it is a
   handler's decision, booked as such.
5. **Rounding.** Each invoice's interest is computed in segments that end at every payment day:
   ``[due + 1, P1]``, ``[P1 + 1, P2]``, ..., ``[Pn + 1, as_of]``, each by ``interest_lines``
   (one line per rate period, rounded once). The cut is made for every invoice, even one whose
   capital a payment does not touch, so that the interest allocated at a payment is exactly the
   sum of the rounded lines with ``end <= P``: whole lines that no later day re-rounds. A
   statement as of a later day repeats, to the öre, every line and allocation up to each
   payment (the append-only ledger books each once and the letter still adds up). Price: a line
   that would otherwise run across a payment day is two lines, each rounded (at most 1 öre per
   invoice and payment against one uncut line). With no payment the lines are exactly
   ``interest_lines(due + 1 .. as_of)`` of each invoice.

For many claims at once (the collection tick), a ``RateTable`` itemises each range of days
once and scales it to each capital, exactly; ``owed`` gives the two figures the tick needs, and
books (``interest_to_book``), without itemising a claim no payment has reached.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction

from claims.interest import (
    MARGIN,
    CapitalChange,
    InterestLine,
    ReferenceRate,
    interest_lines,
)

_ONE_DAY = timedelta(days=1)
# Interest from the due date set in advance (3 §) at the reference rate + 8 points (6 §).
_INTEREST_LAW = "3 och 6 §§ räntelagen (1975:635)"


def _check_day(owner, name: str, value) -> None:
    if not isinstance(value, date) or isinstance(value, datetime):
        raise ValueError(f"{name} of {owner!r} must be a date")


def _check_ore(owner, name: str, value, *, minimum: int = 0) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{name} of {owner!r} must be a whole number of öre >= {minimum}")


@dataclass(frozen=True)
class InvoiceCapital:
    """One invoice of the claim: its capital (after any ROT/RUT deduction) and due date."""

    invoice_id: int
    due_date: date
    amount_ore: int

    def __post_init__(self):
        if isinstance(self.invoice_id, bool) or not isinstance(self.invoice_id, int):
            raise ValueError(f"invoice_id of {self!r} must be an int")
        _check_day(self, "due_date", self.due_date)
        _check_ore(self, "amount_ore", self.amount_ore)


@dataclass(frozen=True)
class Charge:
    """A cost booked on the claim on a day (a fee with its ``kind``, e.g. a ``FeeKind``)."""

    on: date
    kind: str
    amount_ore: int

    def __post_init__(self):
        _check_day(self, "on", self.on)
        _check_ore(self, "amount_ore", self.amount_ore)


@dataclass(frozen=True)
class Payment:
    """Money received on a day, to ekrav or directly to the creditor; ``ref`` is unique."""

    on: date
    amount_ore: int
    ref: str

    def __post_init__(self):
        _check_day(self, "on", self.on)
        _check_ore(self, "amount_ore", self.amount_ore, minimum=1)
        if not isinstance(self.ref, str) or not self.ref:
            raise ValueError(f"ref of {self!r} must be a non-empty str")


class AllocationOrder(StrEnum):
    """Which owed component a payment pays first: a policy (a reform is under inquiry,
    Dir. 2025:37), so a new order is a new member here and a row in ``_BUCKETS``."""

    COSTS_INTEREST_CAPITAL = "costs_interest_capital"  # 9 kap. 5 § handelsbalken, practice at KFM


_BUCKETS = {AllocationOrder.COSTS_INTEREST_CAPITAL: ("costs", "interest", "capital")}


@dataclass(frozen=True)
class Allocation:
    """How one payment was used. Its parts add up to the payment."""

    payment_ref: str
    on: date
    costs_ore: int
    interest_ore: int
    capital_ore: int
    surplus_ore: int  # overpayment, held for refund
    capital_by_invoice: tuple[tuple[int, int], ...]  # (invoice_id, öre), oldest due date first

    @property
    def amount_ore(self) -> int:
        return self.costs_ore + self.interest_ore + self.capital_ore + self.surplus_ore


@dataclass(frozen=True)
class InvoiceStatement:
    """One invoice as of the day: its capital still owed and every interest line it accrued."""

    invoice_id: int
    due_date: date
    amount_ore: int  # the capital as registered
    capital_ore: int  # still owed
    interest_lines: tuple[InterestLine, ...]  # in date order, cut at every payment day

    @property
    def interest_accrued_ore(self) -> int:
        return sum(line.amount_ore for line in self.interest_lines)


@dataclass(frozen=True)
class Statement:
    """The claim as of ``as_of``. Interest is owed as accrued lines minus what payments paid of
    it; it is not itemised per invoice once paid, since payments pay interest as one component."""

    as_of: date
    invoices: tuple[InvoiceStatement, ...]  # oldest due date first (the capital order)
    capital_ore: int  # capital still owed
    interest_accrued_ore: int  # the sum of the rounded lines
    interest_owed_ore: int  # accrued minus what payments covered
    costs_owed_ore: int  # fees booked up to as_of minus what payments covered
    paid_ore: int
    surplus_ore: int  # overpayment held for refund, never silently kept
    allocations: tuple[Allocation, ...]  # in the order the payments were taken

    @property
    def interest_lines(self) -> tuple[InterestLine, ...]:
        """Every line of every invoice, invoice by invoice (see ``invoices`` for which is whose)."""
        return tuple(line for invoice in self.invoices for line in invoice.interest_lines)

    @property
    def total_owed_ore(self) -> int:
        return self.capital_ore + self.interest_owed_ore + self.costs_owed_ore


class RateTable:
    """The reference-rate table, prepared once for many statements (the tick's thousands).

    Each range of interest days is itemised once, on one öre, and scaled to each capital. That
    is exact, not an approximation: a line's unrounded amount is capital × rate × days / 365
    (a ``Fraction``), so that of C öre is C times that of one öre, and it is rounded once, as
    ``claims.interest`` rounds. A range's lines, and its errors (a day without a rate), are
    those of ``interest_lines``.
    """

    def __init__(self, rates: Sequence[ReferenceRate]):
        self.rates = tuple(rates)
        self._unit: dict[tuple, list[InterestLine]] = {}

    def lines(self, first: date, through: date, capital_ore: int,
              margin: Decimal) -> list[InterestLine]:
        """``interest_lines`` over ``first..through`` on a constant capital."""
        if not capital_ore:
            return []  # interest_lines leaves out lines without capital
        return [_scaled(line, capital_ore) for line in self._unit_lines(first, through, margin)]

    def interest_ore(self, first: date, through: date, capital_ore: int,
                     margin: Decimal) -> int:
        """The sum of ``lines``'s amounts, without making the lines."""
        if not capital_ore:
            return 0
        total = 0
        for line in self._unit_lines(first, through, margin):
            total += _half_up(line.exact_ore.numerator * capital_ore, line.exact_ore.denominator)
        return total

    def _unit_lines(self, first: date, through: date, margin: Decimal) -> list[InterestLine]:
        key = (first, through, margin)
        unit = self._unit.get(key)
        if unit is None:
            unit = self._unit[key] = interest_lines(
                start=first, end=through, capital=[CapitalChange(first, 1)], rates=self.rates,
                margin=margin)
        return unit


def _half_up(numerator: int, denominator: int) -> int:
    """Whole öre, half up, as claims.interest rounds; on integers, since comparing Fractions
    was most of the time it took. Never negative here: the capital is not, and interest_lines
    refuses a negative rate."""
    whole, rest = divmod(numerator, denominator)
    return whole + (2 * rest >= denominator)


def _scaled(unit: InterestLine, capital_ore: int) -> InterestLine:
    """The line of one öre on ``capital_ore``: exactly ``interest_lines``'s on that capital."""
    numerator, denominator = unit.exact_ore.numerator * capital_ore, unit.exact_ore.denominator
    return InterestLine(start=unit.start, end=unit.end, days=unit.days, capital_ore=capital_ore,
                        reference_rate=unit.reference_rate, rate=unit.rate,
                        amount_ore=_half_up(numerator, denominator),
                        exact_ore=Fraction(numerator, denominator))


def statement(*, invoices: Sequence[InvoiceCapital], charges: Sequence[Charge],
              payments: Sequence[Payment], as_of: date,
              rates: Sequence[ReferenceRate] | RateTable, interest_enabled: bool = True,
              order: AllocationOrder = AllocationOrder.COSTS_INTEREST_CAPITAL,
              margin: Decimal = MARGIN) -> Statement:
    """The claim as of ``as_of`` (inclusive), by the rules in the module docstring.

    ``rates`` must cover every interest day on which capital is owed (ValueError otherwise);
    it is not read when ``interest_enabled`` is False. A ``RateTable`` is the same table
    prepared for many statements. ``margin`` is the statutory 8 unless a higher rate was
    agreed in advance.
    """
    _check_day("statement", "as_of", as_of)
    table = rates if isinstance(rates, RateTable) else RateTable(rates)
    buckets = _BUCKETS[AllocationOrder(order)]
    ordered = _in_capital_order(invoices)
    booked = _sorted_rows(charges, Charge, key=lambda row: row.on)
    received = _payments_in_order(payments)

    owed_capital = {invoice.invoice_id: invoice.amount_ore for invoice in ordered}
    lines: dict[int, list[InterestLine]] = {invoice.invoice_id: [] for invoice in ordered}
    accrued_through = {invoice.invoice_id: invoice.due_date for invoice in ordered}

    def accrue(through: date) -> None:
        """Interest on each invoice's current capital for the days not yet accrued."""
        if not interest_enabled:
            return
        for invoice in ordered:
            first = accrued_through[invoice.invoice_id] + _ONE_DAY
            if first > through:
                continue
            accrued_through[invoice.invoice_id] = through
            capital = owed_capital[invoice.invoice_id]
            if capital:  # constant over the segment: capital only changes at a payment
                lines[invoice.invoice_id] += table.lines(first, through, capital, margin)

    covered = {"costs": 0, "interest": 0}
    allocations = []
    for payment in (row for row in received if row.on <= as_of):
        accrue(through=payment.on)
        owed = {
            "costs": sum(row.amount_ore for row in booked if row.on <= payment.on)
            - covered["costs"],
            "interest": sum(map(_rounded, lines.values())) - covered["interest"],
            "capital": sum(owed_capital.values()),
        }
        left, paid = payment.amount_ore, {}
        for bucket in buckets:
            paid[bucket] = min(left, owed[bucket])
            left -= paid[bucket]
        covered["costs"] += paid["costs"]
        covered["interest"] += paid["interest"]
        allocations.append(Allocation(
            payment_ref=payment.ref, on=payment.on, costs_ore=paid["costs"],
            interest_ore=paid["interest"], capital_ore=paid["capital"], surplus_ore=left,
            capital_by_invoice=_repay_capital(paid["capital"], ordered, owed_capital)))
    accrue(through=as_of)

    accrued = sum(map(_rounded, lines.values()))
    return Statement(
        as_of=as_of,
        invoices=tuple(InvoiceStatement(
            invoice_id=invoice.invoice_id, due_date=invoice.due_date,
            amount_ore=invoice.amount_ore, capital_ore=owed_capital[invoice.invoice_id],
            interest_lines=tuple(lines[invoice.invoice_id])) for invoice in ordered),
        capital_ore=sum(owed_capital.values()),
        interest_accrued_ore=accrued,
        interest_owed_ore=accrued - covered["interest"],
        costs_owed_ore=sum(row.amount_ore for row in booked if row.on <= as_of) - covered["costs"],
        paid_ore=sum(allocation.amount_ore for allocation in allocations),
        surplus_ore=sum(allocation.surplus_ore for allocation in allocations),
        allocations=tuple(allocations),
    )


def _rounded(lines: list[InterestLine]) -> int:
    return sum(line.amount_ore for line in lines)


def _repay_capital(amount: int, ordered: list[InvoiceCapital],
                   owed_capital: dict[int, int]) -> tuple[tuple[int, int], ...]:
    """Take ``amount`` off the invoices' capital, oldest due date first; returns what each got."""
    repaid = []
    for invoice in ordered:
        if not amount:
            break
        part = min(amount, owed_capital[invoice.invoice_id])
        if part:
            owed_capital[invoice.invoice_id] -= part
            amount -= part
            repaid.append((invoice.invoice_id, part))
    return tuple(repaid)


def _sorted_rows(rows, kind, *, key) -> list:
    for row in rows:
        if not isinstance(row, kind):
            raise ValueError(f"expected {kind.__name__} rows, not {row!r}")
    return sorted(rows, key=key)


def _in_capital_order(invoices: Sequence[InvoiceCapital]) -> list[InvoiceCapital]:
    ordered = _sorted_rows(invoices, InvoiceCapital,
                           key=lambda row: (row.due_date, row.invoice_id))
    ids = [row.invoice_id for row in ordered]
    if len(set(ids)) != len(ids):
        raise ValueError(f"an invoice id appears twice among {sorted(ids)}")
    return ordered


def _payments_in_order(payments: Sequence[Payment]) -> list[Payment]:
    ordered = _sorted_rows(payments, Payment, key=lambda row: (row.on, row.ref))
    refs = [row.ref for row in ordered]
    if len(set(refs)) != len(refs):
        # The ref orders payments of one day and names each allocation: it must be unique.
        raise ValueError(f"a payment ref appears twice among {sorted(refs)}")
    return ordered


@dataclass(frozen=True)
class Owed:
    """What a claim owes as of a day, in total and of it the interest accrued: a statement's
    two figures the collection tick needs."""

    as_of: date
    total_ore: int
    interest_accrued_ore: int


def owed(*, invoices: Sequence[InvoiceCapital], charges: Sequence[Charge],
         payments: Sequence[Payment], as_of: date, rates: Sequence[ReferenceRate] | RateTable,
         interest_enabled: bool = True, margin: Decimal = MARGIN) -> Owed:
    """``statement``'s total owed and interest accrued, for the tick's thousands of claims.

    A claim no payment has reached by ``as_of`` (most of them) needs no allocation: by rule 5
    each invoice's interest is then that of its whole capital from the day after its due date,
    the costs are those booked by ``as_of``, and the sums come without itemising (a third of a
    statement's time). Any other claim gets its statement.
    """
    _check_day("owed", "as_of", as_of)
    rates = rates if isinstance(rates, RateTable) else RateTable(rates)
    if any(payment.on <= as_of for payment in payments):
        full = statement(invoices=invoices, charges=charges, payments=payments, as_of=as_of,
                         rates=rates, interest_enabled=interest_enabled, margin=margin)
        return Owed(as_of=as_of, total_ore=full.total_owed_ore,
                    interest_accrued_ore=full.interest_accrued_ore)
    accrued = sum(rates.interest_ore(invoice.due_date + _ONE_DAY, as_of, invoice.amount_ore,
                                     margin)
                  for invoice in invoices if interest_enabled and invoice.due_date < as_of)
    costs = sum(charge.amount_ore for charge in charges if charge.on <= as_of)
    return Owed(as_of=as_of, interest_accrued_ore=accrued,
                total_ore=sum(invoice.amount_ore for invoice in invoices) + accrued + costs)


def interest_to_book(accrued: Statement | Owed, booked_ore: int) -> int:
    """The interest of ``accrued`` (the claim as of the booking day) that the ledger, holding
    ``booked_ore`` of interest, does not hold yet: what to book that day, or 0.

    Booking the difference to the statement's rounded total, not each new line, keeps the
    ledger equal to the itemised lines of a letter to the öre. The difference can be negative
    when a payment reported later is dated before an earlier booking (less capital bore
    interest than was booked): nothing is booked then, and the next booking day catches up.
    """
    return max(0, accrued.interest_accrued_ore - booked_ore)


def interest_legal_basis(through: date) -> str:
    """The legal basis of an interest ledger row (Swedish: it is evidence)."""
    _check_day("interest_legal_basis", "through", through)
    return f"Dröjsmålsränta t.o.m. {through.isoformat()}, {_INTEREST_LAW}"


def same_day_payment(*, invoices: Sequence[InvoiceCapital], charges: Sequence[Charge],
                     payment: Payment, rates: RateTable, interest_enabled: bool = True,
                     margin: Decimal = MARGIN, paid_before_ore: int = 0
                     ) -> tuple[Allocation, Owed]:
    """``statement(as_of=payment.on)``'s allocation of ``payment`` and its ``Owed`` (total owed
    after it, interest accrued), for a claim whose only other payments, ``paid_before_ore`` in
    all, fall on the same day and before it in order (none, mostly).

    A BgMax file books tens of thousands of such payments; itemising each claim cost most of
    the booking. With no payment before that day, every invoice accrues on its whole capital
    up to it (``owed``'s sums, by rule 5), nothing accrues between payments of one day, so the
    day's payments fill costs, interest, capital oldest first one after the other as their sum
    would: the same figures to the öre, and the same ValueError when the rate table does not
    reach back.
    """
    day = payment.on
    ordered = list(invoices) if len(invoices) == 1 else _in_capital_order(invoices)
    interest = 0
    for invoice in ordered if interest_enabled else ():
        if invoice.due_date < day:
            interest += rates.interest_ore(invoice.due_date + _ONE_DAY, day, invoice.amount_ore,
                                           margin)
    owed_capital = {invoice.invoice_id: invoice.amount_ore for invoice in ordered}
    costs = sum(charge.amount_ore for charge in charges if charge.on <= day) if charges else 0
    owed = [costs, interest, sum(owed_capital.values())]
    before, paid = _fill(owed, paid_before_ore), _fill(owed, payment.amount_ore)
    _repay_capital(before[2], ordered, owed_capital)
    allocation = Allocation(
        payment_ref=payment.ref, on=day, costs_ore=paid[0], interest_ore=paid[1],
        capital_ore=paid[2], surplus_ore=payment.amount_ore - sum(paid),
        capital_by_invoice=_repay_capital(paid[2], ordered, owed_capital))
    return allocation, Owed(as_of=day, total_ore=sum(owed), interest_accrued_ore=interest)


def _fill(owed: list[int], amount: int) -> list[int]:
    """Pay ``amount`` into the owed costs, interest, capital in turn: what each got (taken
    off ``owed``)."""
    paid = []
    for bucket, due in enumerate(owed):
        part = min(amount, due)
        owed[bucket] -= part
        amount -= part
        paid.append(part)
    return paid
