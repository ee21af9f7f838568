"""The statutory fees a collection step may add (lag 1981:739 om ersättning för inkassokostnader).

Pure: no ORM, no clock. The maximums come in as ``FeeCaps`` read by the caller from the dated
``StatutoryFee`` table (law is data); this module only decides which fee a step carries and
never lets one exceed its cap or be charged twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # engine imports this module; the policy is only a type here
    from claims.engine import Policy

_LAW = "lag (1981:739) om ersättning för inkassokostnader m.m."


class FeeKind(StrEnum):
    REMINDER = "reminder_fee"  # påminnelseavgift
    COLLECTION = "collection_fee"  # inkassoavgift
    LATE_PAYMENT_COMPENSATION = "late_payment_compensation"  # förseningsersättning


LEGAL_BASIS = {
    FeeKind.REMINDER: f"2 § och 4 § andra stycket 1 {_LAW}",
    FeeKind.COLLECTION: f"3 § 1 och 4 § andra stycket 2 {_LAW}",
    FeeKind.LATE_PAYMENT_COMPENSATION: f"4 a § {_LAW}",
}

# The 60 and 180 kr fees and the 450 kr förseningsersättning exclude each other on one claim.
_CONSUMER_FEES = frozenset({FeeKind.REMINDER, FeeKind.COLLECTION})


@dataclass(frozen=True)
class FeeCaps:
    """The statutory maximums in force on a date, in öre."""

    reminder_ore: int
    collection_ore: int
    late_payment_compensation_ore: int

    def __post_init__(self):
        for name in ("reminder_ore", "collection_ore", "late_payment_compensation_ore"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{name} must be a whole number of öre >= 0, not {value!r}")

    def cap(self, kind: FeeKind) -> int:
        return {
            FeeKind.REMINDER: self.reminder_ore,
            FeeKind.COLLECTION: self.collection_ore,
            FeeKind.LATE_PAYMENT_COMPENSATION: self.late_payment_compensation_ore,
        }[kind]


@dataclass(frozen=True)
class Fee:
    kind: FeeKind
    amount_ore: int
    legal_basis: str


def step_fees(*, step: str, debtor_kind: str, reminder_fee_agreed: bool, caps: FeeCaps,
              policy: Policy, already_charged: frozenset[FeeKind]) -> tuple[Fee, ...]:
    """The fees a step adds to one claim: () when none is due.

    reminder: påminnelseavgift, only for a person who agreed to it when the debt arose (2 §) and
    only if the creditor's policy charges it. demand: inkassoavgift for a person; for a company
    förseningsersättning (4 a §) instead of, never on top of, the 60 and 180 kr fees.
    """
    if debtor_kind not in ("person", "company"):
        raise ValueError(f"unknown debtor kind {debtor_kind!r}")
    if step == "reminder":
        wanted = FeeKind.REMINDER if (
            debtor_kind == "person" and reminder_fee_agreed and policy.charge_reminder_fee
        ) else None
    elif step == "demand":
        wanted = (FeeKind.COLLECTION if debtor_kind == "person"
                  else FeeKind.LATE_PAYMENT_COMPENSATION)
    elif step == "decision":
        wanted = None
    else:
        raise ValueError(f"unknown step {step!r}")
    if wanted is None or not _may_charge(wanted, frozenset(already_charged)):
        return ()
    amount = min(policy.fee_ore(wanted, caps), caps.cap(wanted))
    if amount <= 0:
        return ()
    return (Fee(kind=wanted, amount_ore=amount, legal_basis=LEGAL_BASIS[wanted]),)


def _may_charge(kind: FeeKind, already: frozenset[FeeKind]) -> bool:
    if kind in already:
        return False  # one of each per claim
    if kind is FeeKind.LATE_PAYMENT_COMPENSATION:
        return not (already & _CONSUMER_FEES)
    return FeeKind.LATE_PAYMENT_COMPENSATION not in already
