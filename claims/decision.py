"""The decision after the collection demand, pure: what the creditor's policy chooses for a
claim given its solvency check, which choices the law leaves open, and what each choice is
expected to bring, from ekrav's own outcomes so far.

No ORM, no clock (firm decisions 2 and 4). The service (claims.decisions) reads the claim,
its check and the policy, and applies the choice.

- Kronofogden (BF) only for a debtor who can be pursued: never while skuldsanering or konkurs
  is registered (collection freezes, inkassolagen and good collection practice), never for a
  deceased debtor's claim by policy (the estate is a person's to judge), never on a disputed
  claim (its status is not "awaiting decision" in the first place).
- The policy decides only what it can: a solvent debtor owing at least its threshold goes to
  Kronofogden, below it to surveillance; an insolvent debtor or one with payment remarks to
  surveillance. Anything else (unknown, deceased, frozen, no check) is the creditor's to
  decide in the decision inbox.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

KRONOFOGDEN, SURVEILLANCE, WITHDRAW = "kronofogden", "surveillance", "withdraw"
CHOICES = (KRONOFOGDEN, SURVEILLANCE, WITHDRAW)

SOLVENT, INSOLVENT, PAYMENT_REMARKS = "solvent", "insolvent", "payment_remarks"
DEBT_RESTRUCTURING, BANKRUPTCY, DECEASED, UNKNOWN = (
    "debt_restructuring", "bankruptcy", "deceased", "unknown")
OUTCOMES = (SOLVENT, INSOLVENT, PAYMENT_REMARKS, DEBT_RESTRUCTURING, BANKRUPTCY, DECEASED,
            UNKNOWN)
FROZEN = (DEBT_RESTRUCTURING, BANKRUPTCY)


@dataclass(frozen=True)
class DecisionPolicy:
    automatic: bool
    kronofogden_min_capital_ore: int


def allowed_choices(outcome: str | None) -> tuple[str, ...]:
    """What may be chosen for a claim whose latest check says ``outcome``."""
    if outcome in FROZEN:
        return (SURVEILLANCE, WITHDRAW)
    return CHOICES


def policy_choice(*, outcome: str | None, capital_ore: int,
                  policy: DecisionPolicy) -> str | None:
    """The choice the policy makes, or None when the creditor must decide."""
    if not policy.automatic or outcome is None:
        return None
    if outcome == SOLVENT:
        return KRONOFOGDEN if capital_ore >= policy.kronofogden_min_capital_ore else SURVEILLANCE
    if outcome in (INSOLVENT, PAYMENT_REMARKS):
        return SURVEILLANCE
    return None


@dataclass(frozen=True)
class Track:
    """How claims decided one way with one solvency outcome have ended so far at ekrav."""

    decided: int
    paid: int
    closed: int  # paid, withdrawn or written off: the ones whose story is over

    @property
    def paid_share(self) -> Fraction | None:
        """Of the claims whose story is over, the share paid; None before any has ended."""
        return Fraction(self.paid, self.closed) if self.closed else None


@dataclass(frozen=True)
class Expected:
    """What the creditor can expect of a choice: what it costs them up front (an outlay the
    debtor is asked to repay) and how similar claims have ended."""

    choice: str
    allowed: bool
    outlay_ore: int
    track: Track


def expectations(*, outcome: str | None, kronofogden_fee_ore: int,
                 tracks: dict[tuple[str, str], Track]) -> list[Expected]:
    """Each choice for a claim with this ``outcome``: its outlay and its track record, read
    from ``tracks`` keyed by (choice, outcome)."""
    allowed = allowed_choices(outcome)
    empty = Track(decided=0, paid=0, closed=0)
    return [Expected(choice=choice, allowed=choice in allowed,
                     outlay_ore=kronofogden_fee_ore if choice == KRONOFOGDEN else 0,
                     track=tracks.get((choice, outcome or UNKNOWN), empty))
            for choice in CHOICES]
