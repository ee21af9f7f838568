"""The statute of limitations (preskription, lag 1981:130), pure: when a claim would expire.

DOMAIN.md: 10 years from the claim's creation; 3 years for a business's claim on a consumer
for goods or services for private use. The period is interrupted when the debtor receives a
written demand or reminder, acknowledges or pays the debt, or when the claim is brought
before a court or Kronofogden; a new period of the same length starts that day.

ekrav's readings, stated so a handler can check them:
- A claim arises no later than its invoice date (the delivery it bills came before); each
  invoice of a case is its own claim, and the case expires with its first invoice to expire.
- A debtor who is a person is a consumer (ekrav collects businesses' claims on people for
  what they bought); a company debtor (an enskild firma too) gets the 10 years.
- A letter interrupts on the day it was sent (it is received a day or more later: the sent
  day is never too late), a payment on its day, an application to Kronofogden on the day it
  was sent.
- A period ending on a day a year lacks (29 February) ends on the last day of that month.
No ORM, no clock.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date

CONSUMER_YEARS = 3
GENERAL_YEARS = 10


def period_years(debtor_kind: str) -> int:
    return CONSUMER_YEARS if debtor_kind == "person" else GENERAL_YEARS


def add_years(day: date, years: int) -> date:
    year = day.year + years
    return day.replace(year=year, day=min(day.day, calendar.monthrange(year, day.month)[1]))


@dataclass(frozen=True)
class Interruption:
    on: date
    reason: str  # "letter", "payment", "kronofogden", "acknowledgement"


@dataclass(frozen=True)
class Limitation:
    expires_on: date
    years: int
    last_interruption: Interruption | None


def limitation(*, invoice_dates, interruptions, debtor_kind: str) -> Limitation:
    """When the case's first invoice would expire, counting every interruption so far."""
    if not invoice_dates:
        raise ValueError("a claim rests on at least one invoice")
    years = period_years(debtor_kind)
    last = max(interruptions, key=lambda i: i.on, default=None)
    starts = [max(day, last.on) if last else day for day in invoice_dates]
    counted = last if last and last.on >= min(invoice_dates) else None
    return Limitation(expires_on=add_years(min(starts), years), years=years,
                      last_interruption=counted)
