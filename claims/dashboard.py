"""The creditor's dashboard figures, month by month. Pure: the selector passes the ledger's
monthly sums; this module lays them out as series and as bar heights for an SVG chart (drawn
by the template: no JavaScript, no chart library)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Month:
    first_day: date
    registered_ore: int  # capital of the invoices registered that month
    collected_ore: int  # paid that month: to ekrav and reported direct
    outstanding_ore: int  # owed at the end of the month (charges less payments so far)


def months_back(today: date, count: int) -> list[date]:
    """The first days of the ``count`` months up to and including ``today``'s, oldest first."""
    year, month = today.year, today.month
    firsts = []
    for _ in range(count):
        firsts.append(date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return firsts[::-1]


def monthly(*, today: date, count: int, charged_before: int, paid_before: int,
            charged: dict[date, int], registered: dict[date, int],
            paid: dict[date, int]) -> list[Month]:
    """The months' figures from the sums per month (keyed by the month's first day) and the
    totals before the first month. Outstanding carries over from month to month."""
    outstanding = charged_before - paid_before
    result = []
    for first in months_back(today, count):
        outstanding += charged.get(first, 0) - paid.get(first, 0)
        result.append(Month(first_day=first, registered_ore=registered.get(first, 0),
                            collected_ore=paid.get(first, 0), outstanding_ore=outstanding))
    return result


@dataclass(frozen=True)
class Bar:
    label: str
    value_ore: int
    height: float  # 0..100, of the chart's largest value
    x: float  # left edge, in the chart's 0..100 coordinates
    width: float

    @property
    def y(self) -> float:
        """The top edge: SVG counts from the top."""
        return round(100 - self.height, 2)


def bars(values: list[tuple[str, int]]) -> list[Bar]:
    """Bars for a chart of 100 x 100 units: heights relative to the largest value."""
    top = max((v for _label, v in values), default=0) or 1
    n = len(values) or 1
    slot = 100 / n
    return [Bar(label=label, value_ore=value, height=round(100 * max(value, 0) / top, 2),
                x=round(i * slot + slot * 0.15, 2), width=round(slot * 0.7, 2))
            for i, (label, value) in enumerate(values)]
