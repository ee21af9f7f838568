"""Late-payment interest — dröjsmålsränta (räntelagen 1975:635).

Pure: no ORM, no clock. The caller passes the reference-rate table (read from the dated
``ReferenceRate`` rows: law is data), the outstanding capital over time and the range of
interest days; this module itemises and rounds.

The rules, from DOMAIN.md and issue 3:

- the rate is the reference rate in force that day + ``MARGIN`` percentage points (6 §, 9 §);
- interest accrues on outstanding capital only, for every day ``start <= d <= end``;
- day count actual/365, also in leap years (366 days of 2024 are 366/365 of a year's interest);
- one line per maximal run of days with the same reference rate and the same capital, its
  amount computed exactly (``Fraction``) and rounded once, half-up, to whole öre.

A line is split where the *rate* changes, not at every row of the table: a half-year whose
reference rate equals the previous one (2024-07-01: 4.00 % again) continues the line, so the
result depends only on which rate applies each day, never on how the table spells it.

Capital comes as ``CapitalChange`` rows: the capital in force on day d is that of the last row
with ``on <= d``. Before the first row the capital is 0 (no interest): callers pass the capital
from ``start``. Whether the day of a payment still carries interest on the old capital is the
caller's choice of ``on`` (the payment date, or the day after).

Splitting a range keeps the exact amounts additive, but each extra line is rounded on its own:
the rounded total over ``[a, s-1]`` plus ``[s, b]`` differs from that over ``[a, b]`` by at most
1 öre when ``s`` falls inside a line (0 when it falls on a line boundary). Callers that book
interest in increments should cut them at line boundaries, or book the difference from the
rounded whole, if the ledger must equal the itemised letter to the öre.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

MARGIN = Decimal("8")  # procentenheter över referensräntan (6 § räntelagen)

_DAYS_PER_YEAR = 365  # actual/365 (DOMAIN.md), even in leap years
_ONE_DAY = timedelta(days=1)


def _check_day(name: str, value) -> None:
    # datetime is a date subclass, but comparing it with a date raises TypeError deep inside.
    if not isinstance(value, date) or isinstance(value, datetime):
        raise ValueError(f"{name} must be a date, not {value!r}")


def _check_percent(name: str, value) -> None:
    if not isinstance(value, Decimal) or not value.is_finite():
        raise ValueError(f"{name} must be a finite Decimal percent (e.g. Decimal('2.00')), "
                         f"not {value!r}")


@dataclass(frozen=True)
class ReferenceRate:
    """One row of the dated table: Riksbankens referensränta from ``valid_from`` (9 §)."""

    valid_from: date
    rate: Decimal  # percent per year, e.g. Decimal("2.00") = 2 %; may be negative (2019: -0.50)

    def __post_init__(self):
        _check_day("valid_from", self.valid_from)
        _check_percent("rate", self.rate)


@dataclass(frozen=True)
class CapitalChange:
    """The outstanding capital from this day on (after a payment, a new invoice...)."""

    on: date
    capital_ore: int

    def __post_init__(self):
        _check_day("on", self.on)
        if isinstance(self.capital_ore, bool) or not isinstance(self.capital_ore, int):
            raise ValueError(f"capital_ore must be a whole number of öre, not {self.capital_ore!r}")
        if self.capital_ore < 0:
            raise ValueError(f"capital_ore must be >= 0, not {self.capital_ore} (on {self.on})")


@dataclass(frozen=True)
class InterestLine:
    """One itemised line, as printed in letters and on the claim page."""

    start: date  # first day of interest in this line
    end: date  # last day (inclusive)
    days: int  # (end - start).days + 1
    capital_ore: int
    reference_rate: Decimal  # the reference rate of the line
    rate: Decimal  # annual percent charged: reference_rate + margin
    amount_ore: int  # rounded once, half-up (ROUND_HALF_UP) to whole öre
    exact_ore: Fraction  # the unrounded amount, for tests and sums


def _sorted_rates(rates: Sequence[ReferenceRate]) -> list[ReferenceRate]:
    """The table in date order; two rows for one date are a data error, not a choice to make."""
    for row in rates:
        if not isinstance(row, ReferenceRate):
            raise ValueError(f"rates must be ReferenceRate rows, not {row!r}")
    table = sorted(rates, key=lambda row: row.valid_from)
    for earlier, later in zip(table, table[1:]):
        if earlier.valid_from == later.valid_from:
            raise ValueError(f"two reference rates valid from {later.valid_from}: "
                             f"{earlier.rate} % and {later.rate} %")
    return table


def _sorted_capital(capital: Sequence[CapitalChange]) -> list[CapitalChange]:
    for row in capital:
        if not isinstance(row, CapitalChange):
            raise ValueError(f"capital must be CapitalChange rows, not {row!r}")
    changes = sorted(capital, key=lambda row: row.on)
    for earlier, later in zip(changes, changes[1:]):
        if earlier.on == later.on:
            raise ValueError(f"two capital amounts from {later.on}: "
                             f"{earlier.capital_ore} and {later.capital_ore} öre")
    return changes


def _in_force(day: date, rows: list, key) -> int:
    """Index of the last row (sorted by ``key``) that starts on or before ``day``; -1 if none."""
    return bisect_right(rows, day, key=key) - 1


def _rate_on_sorted(day: date, table: list[ReferenceRate]) -> ReferenceRate:
    index = _in_force(day, table, key=lambda row: row.valid_from)
    if index < 0:
        first = f"; the table starts {table[0].valid_from}" if table else "; the table is empty"
        raise ValueError(f"no reference rate in force on {day}{first}")
    return table[index]


def _capital_on_sorted(day: date, changes: list[CapitalChange]) -> int:
    index = _in_force(day, changes, key=lambda row: row.on)
    return changes[index].capital_ore if index >= 0 else 0


def rate_on(day: date, rates: Sequence[ReferenceRate]) -> ReferenceRate:
    """The row in force on ``day``: the latest ``valid_from <= day``. ValueError if none."""
    _check_day("day", day)
    return _rate_on_sorted(day, _sorted_rates(rates))


def _round_half_up(exact: Fraction) -> int:
    """Whole öre, halves away from zero (ROUND_HALF_UP), exactly: no float, no context."""
    whole, rest = divmod(abs(exact.numerator), exact.denominator)
    if 2 * rest >= exact.denominator:
        whole += 1
    return whole if exact >= 0 else -whole


def _line(start: date, end: date, capital_ore: int, reference_rate: Decimal,
          margin: Decimal) -> InterestLine:
    days = (end - start).days + 1
    rate = reference_rate + margin
    exact = Fraction(capital_ore) * Fraction(rate) / 100 * Fraction(days, _DAYS_PER_YEAR)
    return InterestLine(start=start, end=end, days=days, capital_ore=capital_ore,
                        reference_rate=reference_rate, rate=rate,
                        amount_ore=_round_half_up(exact), exact_ore=exact)


def interest_lines(*, start: date, end: date, capital: Sequence[CapitalChange],
                   rates: Sequence[ReferenceRate], margin: Decimal = MARGIN) -> list[InterestLine]:
    """The itemised interest for the days ``start <= d <= end`` (both inclusive).

    ``start`` is the first interest day (the day after the due date); ``end`` is today or a
    payment date. Empty if ``end < start``. Lines with capital 0 are left out. Every interest day
    must have a reference rate in force (ValueError otherwise), even where the capital is 0.
    """
    _check_day("start", start)
    _check_day("end", end)
    _check_percent("margin", margin)
    table, changes = _sorted_rates(rates), _sorted_capital(capital)
    if end < start:
        return []

    # Every day on which the rate or the capital may change opens a new piece.
    cuts = {start}
    cuts.update(row.valid_from for row in table if start < row.valid_from <= end)
    cuts.update(row.on for row in changes if start < row.on <= end)
    starts = sorted(cuts)

    # (first day, last day, reference rate, capital), merged while rate and capital stay equal.
    runs: list[list] = []
    for first, following in zip(starts, [*starts[1:], end + _ONE_DAY]):
        reference_rate = _rate_on_sorted(first, table).rate
        if reference_rate + margin < 0:
            raise ValueError(f"interest rate {reference_rate} % + {margin} is negative "
                             f"on {first}")
        capital_ore = _capital_on_sorted(first, changes)
        if runs and runs[-1][2] == reference_rate and runs[-1][3] == capital_ore:
            runs[-1][1] = following - _ONE_DAY
        else:
            runs.append([first, following - _ONE_DAY, reference_rate, capital_ore])

    return [_line(first, last, capital_ore, reference_rate, margin)
            for first, last, reference_rate, capital_ore in runs if capital_ore]


def interest_ore(*, start: date, end: date, capital: Sequence[CapitalChange],
                 rates: Sequence[ReferenceRate], margin: Decimal = MARGIN) -> int:
    """The interest for ``start <= d <= end`` in öre: the sum of the rounded lines."""
    return sum(line.amount_ore for line in interest_lines(
        start=start, end=end, capital=capital, rates=rates, margin=margin))
