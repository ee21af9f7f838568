"""The collection tick: every due claim is moved on by the pure engine, in locked batches.

How it runs, and why:

- A claim carries ``next_action_on``; the tick selects open claims due on ``day`` in batches of
  ``BATCH`` with ``select_for_update(skip_locked=True)``, so two workers never take the same
  claim (PostgreSQL; SQLite has one writer anyway). Each batch is one transaction.
- Reads are per batch (balances, steps, fees, invoices, policies), then ``engine.decide`` runs
  per claim in memory, then the writes are per batch: ``bulk_create`` of steps, fee ledger rows
  and events, and one ``update(id__in=...)`` per target status (ARCHITECTURE.md: the way to
  lock and move claims).
- Exactly once: a step is unique per (claim, kind) and a fee per (claim, "fee:<kind>"); a claim
  whose step is taken has moved status, so running the same day again finds nothing to do.
- ``collect_until`` runs the tick for each day from the last day run (``TickRun``) up to a date:
  catch-up after downtime, and how the demo and the tests move time forward.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from django.db import transaction
from django.db.models import Case, Max, Min, Value, When
from django.utils import timezone, translation

from claims.engine import apply_step, decide, next_action_on
from claims.fees import FeeCaps
from claims.models import Claim, Event, LedgerEntry, Status, Step, TickRun
from claims.selectors import FEE_PREFIX, claim_policy, claim_snapshots, fee_caps_on

BATCH = 1000
# The statuses the engine moves on; every other status waits for a person or a later issue.
ACTIVE = (Status.REGISTERED, Status.REMINDER_SENT, Status.DEMAND_SENT)
STEP_STATUS = {"reminder": Status.REMINDER_SENT, "demand": Status.DEMAND_SENT,
               "decision": Status.AWAITING_DECISION}


@dataclass
class TickResult:
    day: date
    claims_seen: int = 0
    steps_taken: int = 0


def collect_until(*, until: date) -> list[TickResult]:
    """Run the tick for every day not yet run, up to and including ``until``."""
    results = []
    for day in _days_to_run(until):
        run, _created = TickRun.objects.get_or_create(day=day)
        if run.finished_at is not None:
            continue
        result = collection_tick(day=day)
        TickRun.objects.filter(pk=run.pk).update(finished_at=timezone.now(),
                                                 steps_taken=result.steps_taken)
        results.append(result)
    return results


def _days_to_run(until: date) -> list[date]:
    last = TickRun.objects.filter(finished_at__isnull=False).aggregate(d=Max("day"))["d"]
    if last is not None:
        start = last + timedelta(days=1)
    else:
        # Never run: start from the first day any open claim is due (or just ``until``).
        first_due = Claim.objects.filter(status__in=ACTIVE).aggregate(
            d=Min("next_action_on"))["d"]
        start = min(first_due, until) if first_due else until
    return [start + timedelta(days=n) for n in range((until - start).days + 1)]


def collection_tick(*, day: date) -> TickResult:
    """Move every claim due on ``day`` one step on, batch by batch, until none is left."""
    result = TickResult(day=day)
    caps = fee_caps_on(day)
    with translation.override("sv"):  # events and legal bases are evidence: kept in Swedish
        while True:
            seen, taken = _tick_batch(day=day, caps=caps)
            result.claims_seen += seen
            result.steps_taken += taken
            if seen < BATCH:
                return result


@transaction.atomic
def _tick_batch(*, day: date, caps: FeeCaps) -> tuple[int, int]:
    claims = list(
        Claim.objects.filter(status__in=ACTIVE, next_action_on__lte=day)
        .order_by("next_action_on", "id")
        .select_for_update(skip_locked=True, of=("self",))
        .select_related("debtor", "creditor__policy")[:BATCH])
    if not claims:
        return 0, 0
    snapshots = claim_snapshots(claims)
    taken, next_dates = [], {}
    for claim in claims:
        policy = claim_policy(claim)
        snapshot = snapshots[claim.pk]
        step = decide(snapshot, day, policy, caps)
        after = apply_step(snapshot, step) if step else snapshot
        if step:
            taken.append((claim, step))
        upcoming = next_action_on(after, policy)
        # A claim looked at today is not looked at again today, whatever the engine says.
        next_dates[claim.pk] = max(upcoming, day + timedelta(days=1)) if upcoming else None
    _write_steps(taken)
    _move_statuses(taken)
    Claim.objects.filter(pk__in=next_dates).update(next_action_on=Case(
        *[When(pk=pk, then=Value(d)) for pk, d in next_dates.items()], default=None))
    return len(claims), len(taken)


def _write_steps(taken) -> None:
    Step.objects.bulk_create([
        Step(claim=claim, kind=step.kind, taken_on=step.on, deadline=step.deadline)
        for claim, step in taken])
    events = Event.objects.bulk_create([
        Event(claim=claim, kind=f"step_{step.kind}", occurred_on=step.on,
              data={"deadline": step.deadline.isoformat() if step.deadline else None,
                    "fees": [{"kind": str(f.kind), "amount_ore": f.amount_ore}
                             for f in step.fees]})
        for claim, step in taken])
    LedgerEntry.objects.bulk_create([
        LedgerEntry(claim=claim, kind=LedgerEntry.Kind.FEE, amount_ore=fee.amount_ore,
                    booked_on=step.on, key=f"{FEE_PREFIX}{fee.kind}", event=event,
                    legal_basis=fee.legal_basis)
        for (claim, step), event in zip(taken, events) for fee in step.fees
        if fee.amount_ore > 0])


def _move_statuses(taken) -> None:
    """One compare-and-set UPDATE per target status, checked for every row."""
    by_target: dict[str, list[int]] = {}
    for claim, step in taken:
        by_target.setdefault(STEP_STATUS[step.kind], []).append(claim.pk)
    source = {Status.REMINDER_SENT: Status.REGISTERED, Status.DEMAND_SENT: Status.REMINDER_SENT,
              Status.AWAITING_DECISION: Status.DEMAND_SENT}
    for target, ids in by_target.items():
        moved = Claim.objects.filter(pk__in=ids, status=source[target]).update(status=target)
        if moved != len(ids):
            # The rows are locked by this transaction: a mismatch is a bug, never a race.
            raise RuntimeError(f"{len(ids) - moved} claims were not in {source[target]}")
