"""The collection engine: påminnelse (PÅM) -> inkassokrav (IK) -> decision.

Pure (firm decisions 2 and 4): no ORM, no clock. ``decide`` looks at one claim's snapshot on a
given day and returns the step to take that day, or None; a service applies it in one
transaction. ``next_action_on`` and ``planned_steps`` are derived from the same rules, so the
date the tick selects a claim by and the timeline a creditor is shown cannot drift from what the
tick then does.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, timedelta

from claims.fees import Fee, FeeCaps, FeeKind, step_fees
from ekrav.calendar import first_bank_day_after, is_bank_day, next_bank_day

# Inkassolagen 5 § and good collection practice: at least 8 days to pay or object.
MIN_DEMAND_DEADLINE_DAYS = 8

REGISTERED = "registered"
REMINDER_SENT = "reminder_sent"
DEMAND_SENT = "demand_sent"
AWAITING_DECISION = "awaiting_decision"

# The claim status vocabulary of the API; only the first three ever lead to a step.
STATUSES = frozenset({
    REGISTERED, REMINDER_SENT, DEMAND_SENT, AWAITING_DECISION, "at_kronofogden",
    "surveillance", "disputed", "payment_plan", "paid", "withdrawn", "written_off",
})
DEBTOR_KINDS = ("person", "company")

# status -> (the one step that may follow it, the status it leads to): never skipped or repeated.
_NEXT = {
    REGISTERED: ("reminder", REMINDER_SENT),
    REMINDER_SENT: ("demand", DEMAND_SENT),
    DEMAND_SENT: ("decision", AWAITING_DECISION),
}


@dataclass(frozen=True)
class Policy:
    """Kravpolicy: the creditor's collection rules, within the bounds the law sets.

    A fee amount of None means the statutory maximum in force; a lower amount is charged as is,
    a higher one is capped by ``step_fees``.
    """

    reminder_deadline_days: int = 10
    grace_days: int = 5  # payments in transit
    demand_deadline_days: int = 10  # never under 8 (inkassolagen)
    charge_reminder_fee: bool = True
    interest_enabled: bool = True
    reminder_fee_ore: int | None = None
    collection_fee_ore: int | None = None
    late_payment_compensation_ore: int | None = None

    def __post_init__(self):
        _check_int("reminder_deadline_days", self.reminder_deadline_days, minimum=1)
        _check_int("grace_days", self.grace_days, minimum=0)
        _check_int("demand_deadline_days", self.demand_deadline_days,
                   minimum=MIN_DEMAND_DEADLINE_DAYS)
        for name in ("charge_reminder_fee", "interest_enabled"):
            if not isinstance(getattr(self, name), bool):
                raise ValueError(f"{name} must be True or False")
        for name in ("reminder_fee_ore", "collection_fee_ore", "late_payment_compensation_ore"):
            if getattr(self, name) is not None:
                _check_int(name, getattr(self, name), minimum=0)

    def fee_ore(self, kind: FeeKind, caps: FeeCaps) -> int:
        """What the creditor asks for a fee (before capping)."""
        asked = {
            FeeKind.REMINDER: self.reminder_fee_ore,
            FeeKind.COLLECTION: self.collection_fee_ore,
            FeeKind.LATE_PAYMENT_COMPENSATION: self.late_payment_compensation_ore,
        }[kind]
        return caps.cap(kind) if asked is None else asked


def _check_int(name, value, *, minimum):
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name} must be a whole number, not {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, not {value}")


@dataclass(frozen=True)
class Snapshot:
    """Everything ``decide`` needs about one claim, read by a service."""

    status: str
    registered_on: date
    debtor_kind: str
    reminder_fee_agreed: bool  # on any invoice of the case: still one fee per step per case
    outstanding_ore: int  # > 0 while anything is owed, interest to the day included
    reminder_sent_on: date | None = None
    reminder_deadline: date | None = None
    demand_sent_on: date | None = None
    demand_deadline: date | None = None
    hold_until: date | None = None  # e.g. "I have already paid": no step before this date
    fees_charged: frozenset = field(default_factory=frozenset)

    def __post_init__(self):
        if self.status not in STATUSES:
            raise ValueError(f"unknown claim status {self.status!r}")
        if self.debtor_kind not in DEBTOR_KINDS:
            raise ValueError(f"unknown debtor kind {self.debtor_kind!r}")
        # A deadline is what the next step is timed from: without it the claim cannot move on.
        if self.status == REMINDER_SENT and self.reminder_deadline is None:
            raise ValueError("a claim with a reminder sent needs the reminder's deadline")
        if self.status == DEMAND_SENT and self.demand_deadline is None:
            raise ValueError("a claim with a demand sent needs the demand's deadline")
        # Plain strings from the ledger compare equal to FeeKind members (StrEnum); other fee
        # kinds (e.g. an amorteringsplan's) may be present and are simply not ours to charge.
        object.__setattr__(self, "fees_charged", frozenset(self.fees_charged))


@dataclass(frozen=True)
class Step:
    kind: str  # "reminder" | "demand" | "decision"
    on: date  # the bank day it is taken
    deadline: date | None  # the payment deadline printed in the letter; None for a decision
    fees: tuple[Fee, ...]


def _due_on(snapshot: Snapshot, policy: Policy) -> date | None:
    """The first day the next step is due by the rules alone (ignoring holds), or None."""
    if snapshot.outstanding_ore <= 0 or snapshot.status not in _NEXT:
        return None
    if snapshot.status == REGISTERED:
        return first_bank_day_after(snapshot.registered_on)
    deadline = (snapshot.reminder_deadline if snapshot.status == REMINDER_SENT
                else snapshot.demand_deadline)
    # The deadline plus grace must have passed: the step goes on the next bank day after it.
    return first_bank_day_after(deadline + timedelta(days=policy.grace_days))


def next_action_on(snapshot: Snapshot, policy: Policy) -> date | None:
    """The earliest day ``decide`` could return a step for this snapshot (Claim.next_action_on).

    None when nothing will ever happen without a change to the claim: closed, disputed, on a
    payment plan, awaiting a decision or later, or nothing owed.
    """
    due = _due_on(snapshot, policy)
    if due is None:
        return None
    if snapshot.hold_until is not None and snapshot.hold_until > due:
        return next_bank_day(snapshot.hold_until)
    return due


def decide(snapshot: Snapshot, today: date, policy: Policy, caps: FeeCaps) -> Step | None:
    """The step to take on this claim today, or None.

    On time the step goes on the day it falls due; after an outage the tick catches up and
    takes it on ``today`` (a bank day). Deadlines are counted from the day actually sent.
    """
    if not is_bank_day(today):
        return None
    due = next_action_on(snapshot, policy)
    if due is None or today < due:
        return None
    kind, _ = _NEXT[snapshot.status]
    if kind == "reminder":
        deadline = next_bank_day(today + timedelta(days=policy.reminder_deadline_days))
    elif kind == "demand":
        deadline = next_bank_day(today + timedelta(days=policy.demand_deadline_days))
    else:
        deadline = None  # a decision is no letter and carries no fee
    fees = step_fees(step=kind, debtor_kind=snapshot.debtor_kind,
                     reminder_fee_agreed=snapshot.reminder_fee_agreed, caps=caps, policy=policy,
                     already_charged=snapshot.fees_charged)
    return Step(kind=kind, on=today, deadline=deadline, fees=fees)


def apply_step(snapshot: Snapshot, step: Step) -> Snapshot:
    """The snapshot after the step: status, its dates, the fees charged and owed."""
    expected, status = _NEXT.get(snapshot.status, (None, None))
    if step.kind != expected:
        raise ValueError(f"a {step.kind!r} step cannot follow status {snapshot.status!r}")
    changes = {"status": status,
               "fees_charged": snapshot.fees_charged | {f.kind for f in step.fees},
               "outstanding_ore": snapshot.outstanding_ore + sum(f.amount_ore for f in step.fees)}
    if step.kind == "reminder":
        changes.update(reminder_sent_on=step.on, reminder_deadline=step.deadline)
    elif step.kind == "demand":
        changes.update(demand_sent_on=step.on, demand_deadline=step.deadline)
    return replace(snapshot, **changes)


def planned_steps(snapshot: Snapshot, today: date, policy: Policy,
                  caps: FeeCaps) -> list[Step]:
    """Every step still to come, with its date and fees, if nothing is paid from today on.

    Runs ``decide`` itself on a simulated snapshot, jumping from one due day to the next, so the
    timeline is what the daily tick will do (with today's fee caps).
    """
    steps: list[Step] = []
    day = today
    while (due := next_action_on(snapshot, policy)) is not None:
        day = next_bank_day(max(day, due))
        step = decide(snapshot, day, policy, caps)
        if step is None:  # cannot happen while next_action_on agrees with decide
            raise AssertionError(f"next_action_on said {due}, decide took no step on {day}")
        steps.append(step)
        snapshot = apply_step(snapshot, step)
    return steps
