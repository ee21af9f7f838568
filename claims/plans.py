"""Instalment plans (amorteringsplan), pure: the schedule, the creditor's limits, and whether
a plan is kept. No ORM, no clock.

- The plan covers what is owed on the day it is made, plus the plan fee; the amount is split
  into equal monthly instalments in whole kronor where it can be (the last takes the rest), due
  on the same day each month, moved to the next bank day when that is not one.
- Interest on the capital keeps running while the plan runs (räntelagen); what it adds is
  asked for after the last instalment. The letter says so.
- A plan is kept while everything paid since it began covers every instalment due more than
  the grace days ago; it is completed when all of it is paid.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from claims.surveillance import add_months
from ekrav.calendar import next_bank_day

MAX_MONTHS = 36  # a plan beyond three years is no plan (and the policy refuses it)


@dataclass(frozen=True)
class Instalment:
    n: int
    due_on: date
    amount_ore: int

    def as_json(self) -> dict:
        return {"n": self.n, "due_on": self.due_on.isoformat(), "amount_ore": self.amount_ore}

    @classmethod
    def from_json(cls, data: dict) -> Instalment:
        return cls(n=data["n"], due_on=date.fromisoformat(data["due_on"]),
                   amount_ore=data["amount_ore"])


def schedule(*, total_ore: int, months: int, first_due: date) -> tuple[Instalment, ...]:
    if total_ore <= 0 or not 1 <= months <= MAX_MONTHS:
        raise ValueError("a plan is for a positive amount over 1 to 36 months")
    each = total_ore // months // 100 * 100 or total_ore // months
    amounts = [each] * (months - 1) + [total_ore - each * (months - 1)]
    return tuple(Instalment(n=n, due_on=next_bank_day(add_months(first_due, n - 1)),
                            amount_ore=amount)
                 for n, amount in enumerate(amounts, start=1))


def limits_problems(*, instalments, max_months: int, min_instalment_ore: int,
                    today: date) -> list[str]:
    """Why the plan is beyond what the creditor lets a debtor set up alone ([] if within).
    Only the creditor (or a handler) may then agree to it."""
    problems = []
    if len(instalments) > max_months:
        problems.append(f"months>{max_months}")
    if min(i.amount_ore for i in instalments[:-1] or instalments) < min_instalment_ore:
        problems.append(f"instalment<{min_instalment_ore}")
    if instalments[0].due_on > today + timedelta(days=31):
        problems.append("first_due>31d")
    return problems


@dataclass(frozen=True)
class Kept:
    state: str  # "kept", "broken" or "completed"
    missed: Instalment | None = None  # the first instalment not covered, when broken


def plan_state(*, instalments, paid_ore: int, today: date, grace_days: int) -> Kept:
    """Whether the plan is kept, from what was paid since it began."""
    if paid_ore >= sum(i.amount_ore for i in instalments):
        return Kept("completed")
    due = 0
    for instalment in instalments:
        if instalment.due_on + timedelta(days=grace_days) >= today:
            break
        due += instalment.amount_ore
        if paid_ore < due:
            return Kept("broken", missed=instalment)
    return Kept("kept")
