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
   handler's decision, booked as such. Interest paid is taken off the invoices' interest
   oldest due date first too, so each invoice knows what it still owes of both.
6. **A partial objection** (bestridande of some of the invoices) puts those invoices on
   ``Hold`` from a day: a payment on a held day reaches neither their interest nor their
   capital (the debtor pays what is not disputed; beyond it is surplus), and what they owe is
   ``held_ore``, not asked for (``collectible_ore``). They still accrue interest: upheld, the
   creditor is owed it from the due date. A ``WriteOff`` takes an invoice out on a day (the
   creditor withdrew it): what it still owed, capital and interest, is written off, after the
   day's payments, and it bears no interest after.
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
class Hold:
    """An invoice under a partial objection from ``start`` (inclusive) to ``end`` (exclusive;
    None while it lasts): payments on those days do not reach it (rule 6)."""

    invoice_id: int
    start: date
    end: date | None = None

    def __post_init__(self):
        _check_day(self, "start", self.start)
        if self.end is not None:
            _check_day(self, "end", self.end)
            if self.end <= self.start:
                raise ValueError(f"end of {self!r} must be after its start")

    def covers(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day < self.end)


@dataclass(frozen=True)
class WriteOff:
    """An invoice taken out of the claim on ``on``: what it still owes is written off (rule 6)."""

    invoice_id: int
    on: date

    def __post_init__(self):
        _check_day(self, "on", self.on)


@dataclass(frozen=True)
class WrittenOff:
    """What a ``WriteOff`` took off the claim."""

    invoice_id: int
    on: date
    capital_ore: int
    interest_ore: int


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
    interest_owed_ore: int = 0  # accrued less what payments (and a write-off) covered
    held: bool = False  # under a partial objection as of the day: not asked for
    written_off_on: date | None = None

    @property
    def interest_accrued_ore(self) -> int:
        return sum(line.amount_ore for line in self.interest_lines)


@dataclass(frozen=True)
class Statement:
    """The claim as of ``as_of``. Interest is owed as accrued lines minus what payments paid of
    it (and a write-off took off), per invoice."""

    as_of: date
    invoices: tuple[InvoiceStatement, ...]  # oldest due date first (the capital order)
    capital_ore: int  # capital still owed
    interest_accrued_ore: int  # the sum of the rounded lines
    interest_owed_ore: int  # accrued minus what payments covered
    costs_owed_ore: int  # fees booked up to as_of minus what payments covered
    paid_ore: int
    surplus_ore: int  # overpayment held for refund, never silently kept
    allocations: tuple[Allocation, ...]  # in the order the payments were taken
    held_ore: int = 0  # owed by invoices under a partial objection: part of the total, not asked
    written_off: tuple[WrittenOff, ...] = ()

    @property
    def collectible_ore(self) -> int:
        """What is asked for: the total owed less what a partial objection holds."""
        return self.total_owed_ore - self.held_ore

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
              margin: Decimal = MARGIN, holds: Sequence[Hold] = (),
              write_offs: Sequence[WriteOff] = ()) -> Statement:
    """The claim as of ``as_of`` (inclusive), by the rules in the module docstring.

    ``rates`` must cover every interest day on which capital is owed (ValueError otherwise);
    it is not read when ``interest_enabled`` is False. A ``RateTable`` is the same table
    prepared for many statements. ``margin`` is the statutory 8 unless a higher rate was
    agreed in advance. ``holds`` and ``write_offs`` come of partial objections (rule 6).
    """
    _check_day("statement", "as_of", as_of)
    table = rates if isinstance(rates, RateTable) else RateTable(rates)
    buckets = _BUCKETS[AllocationOrder(order)]
    ordered = _in_capital_order(invoices)
    booked = _sorted_rows(charges, Charge, key=lambda row: row.on)
    received = _payments_in_order(payments)
    holds, write_offs = _holds_and_write_offs(ordered, holds, write_offs)

    owed_capital = {invoice.invoice_id: invoice.amount_ore for invoice in ordered}
    lines: dict[int, list[InterestLine]] = {invoice.invoice_id: [] for invoice in ordered}
    accrued_through = {invoice.invoice_id: invoice.due_date for invoice in ordered}
    covered_interest = dict.fromkeys(owed_capital, 0)
    written_off: dict[int, WrittenOff] = {}

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

    def interest_owed(invoice_id: int) -> int:
        return _rounded(lines[invoice_id]) - covered_interest[invoice_id]

    covered_costs = 0
    allocations = []
    # A day's payments, then its write-offs (a write-off takes what is left after them).
    happenings = sorted([(row.on, 0, row.ref, row) for row in received if row.on <= as_of]
                        + [(row.on, 1, str(row.invoice_id), row) for row in write_offs
                           if row.on <= as_of], key=lambda item: item[:3])
    for day, _, _, row in happenings:
        accrue(through=day)
        if isinstance(row, WriteOff):
            written_off[row.invoice_id] = WrittenOff(
                invoice_id=row.invoice_id, on=day, capital_ore=owed_capital[row.invoice_id],
                interest_ore=interest_owed(row.invoice_id))
            covered_interest[row.invoice_id] += written_off[row.invoice_id].interest_ore
            owed_capital[row.invoice_id] = 0
            continue
        # Rule 6: invoices held on the day (or written off) are out of this payment's reach.
        reach = [invoice for invoice in ordered
                 if invoice.invoice_id not in written_off
                 and not any(hold.covers(day) for hold in holds.get(invoice.invoice_id, ()))]
        owed = {
            "costs": sum(charge.amount_ore for charge in booked if charge.on <= day)
            - covered_costs,
            "interest": sum(interest_owed(invoice.invoice_id) for invoice in reach),
            "capital": sum(owed_capital[invoice.invoice_id] for invoice in reach),
        }
        left, paid = row.amount_ore, {}
        for bucket in buckets:
            paid[bucket] = min(left, owed[bucket])
            left -= paid[bucket]
        covered_costs += paid["costs"]
        interest_left = paid["interest"]
        for invoice in reach:  # oldest due date first, like the capital
            part = min(interest_left, interest_owed(invoice.invoice_id))
            covered_interest[invoice.invoice_id] += part
            interest_left -= part
        allocations.append(Allocation(
            payment_ref=row.ref, on=day, costs_ore=paid["costs"],
            interest_ore=paid["interest"], capital_ore=paid["capital"], surplus_ore=left,
            capital_by_invoice=_repay_capital(paid["capital"], reach, owed_capital)))
    accrue(through=as_of)

    accrued = sum(map(_rounded, lines.values()))
    held = {invoice.invoice_id for invoice in ordered
            if any(hold.covers(as_of) for hold in holds.get(invoice.invoice_id, ()))}
    return Statement(
        as_of=as_of,
        invoices=tuple(InvoiceStatement(
            invoice_id=invoice.invoice_id, due_date=invoice.due_date,
            amount_ore=invoice.amount_ore, capital_ore=owed_capital[invoice.invoice_id],
            interest_lines=tuple(lines[invoice.invoice_id]),
            interest_owed_ore=interest_owed(invoice.invoice_id),
            held=invoice.invoice_id in held,
            written_off_on=(written_off[invoice.invoice_id].on
                            if invoice.invoice_id in written_off else None))
            for invoice in ordered),
        capital_ore=sum(owed_capital.values()),
        interest_accrued_ore=accrued,
        interest_owed_ore=accrued - sum(covered_interest.values()),
        costs_owed_ore=sum(row.amount_ore for row in booked if row.on <= as_of) - covered_costs,
        paid_ore=sum(allocation.amount_ore for allocation in allocations),
        surplus_ore=sum(allocation.surplus_ore for allocation in allocations),
        allocations=tuple(allocations),
        held_ore=sum(owed_capital[pk] + interest_owed(pk) for pk in held),
        written_off=tuple(written_off.values()),
    )


def _holds_and_write_offs(ordered, holds, write_offs):
    """``{invoice id: [Hold]}`` and the write-offs, each of an invoice of the claim, at most
    one write-off per invoice."""
    ids = {invoice.invoice_id for invoice in ordered}
    by_invoice: dict[int, list[Hold]] = {}
    for hold in _sorted_rows(holds, Hold, key=lambda row: row.start):
        if hold.invoice_id not in ids:
            raise ValueError(f"{hold!r} is not of an invoice of the claim")
        by_invoice.setdefault(hold.invoice_id, []).append(hold)
    write_offs = _sorted_rows(write_offs, WriteOff, key=lambda row: (row.on, row.invoice_id))
    if len({row.invoice_id for row in write_offs}) != len(write_offs):
        raise ValueError("an invoice is written off twice")
    for row in write_offs:
        if row.invoice_id not in ids:
            raise ValueError(f"{row!r} is not of an invoice of the claim")
    return by_invoice, write_offs


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
    held_ore: int = 0  # of the total, held by a partial objection: not asked for

    @property
    def collectible_ore(self) -> int:
        return self.total_ore - self.held_ore


def owed(*, invoices: Sequence[InvoiceCapital], charges: Sequence[Charge],
         payments: Sequence[Payment], as_of: date, rates: Sequence[ReferenceRate] | RateTable,
         interest_enabled: bool = True, margin: Decimal = MARGIN, holds: Sequence[Hold] = (),
         write_offs: Sequence[WriteOff] = ()) -> Owed:
    """``statement``'s total owed and interest accrued, for the tick's thousands of claims.

    A claim no payment has reached by ``as_of`` (most of them) needs no allocation: by rule 5
    each invoice's interest is then that of its whole capital from the day after its due date,
    the costs are those booked by ``as_of``, and the sums come without itemising (a third of a
    statement's time). Any other claim (and one with a partial objection) gets its statement.
    """
    _check_day("owed", "as_of", as_of)
    rates = rates if isinstance(rates, RateTable) else RateTable(rates)
    if holds or write_offs or any(payment.on <= as_of for payment in payments):
        full = statement(invoices=invoices, charges=charges, payments=payments, as_of=as_of,
                         rates=rates, interest_enabled=interest_enabled, margin=margin,
                         holds=holds, write_offs=write_offs)
        return Owed(as_of=as_of, total_ore=full.total_owed_ore,
                    interest_accrued_ore=full.interest_accrued_ore, held_ore=full.held_ore)
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
