"""The collection tick: every due claim is moved on by the pure engine, in locked batches.

How it runs, and why:

- A claim carries ``next_action_on``; the tick selects open claims due on ``day`` in batches of
  ``BATCH`` with ``select_for_update(skip_locked=True)``, so two workers never take the same
  claim (PostgreSQL; SQLite has one writer anyway). Each batch is one transaction.
- Reads are per batch (ledger, invoices, steps, policies; the rate table once per tick), then
  per claim in memory the pure statement says what is owed as of the day, interest included,
  and ``engine.decide`` takes the step; then the writes are per batch: one bulk insert each of
  steps, events and ledger rows (COPY on PostgreSQL), and one compare-and-set
  ``update(id__in=...)`` per target status, which also sets the next date (ARCHITECTURE.md:
  the way to lock and move claims).
- Interest is booked with each step: the statement's interest accrued up to the day, less the
  interest the ledger already holds, as one row keyed "interest:<day>" (issue 3: every interest
  accrual is a ledger row). Payments book theirs the same way (``claims.services``).
- Exactly once: a step is unique per (claim, kind), a fee per (claim, "fee:<kind>") and
  interest per (claim, "interest:<day>"); a claim whose step is taken has moved status, so
  running the same day again finds nothing to do.
- ``collect_until`` runs the tick for each day from the last day run (``TickRun``) up to a date:
  catch-up after downtime, and how the demo and the tests move time forward.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from django.db import transaction
from django.db.models import Case, DateField, Max, Min, Value, When
from django.utils import timezone, translation

from claims.engine import Policy, apply_step, decide, next_action_on
from claims.fees import FeeCaps
from claims.bulk import insert_rows
from claims.models import Claim, Event, LedgerEntry, Status, Step, TickRun
from claims.selectors import (
    FEE_PREFIX,
    claim_states_of,
    fee_caps_on,
    ids_in,
    interest_key,
    policy_of,
    reference_rates,
    stored_policies,
)
from claims.statement import RateTable, interest_legal_basis
from webhooks.services import status_changes_emit

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
    for day in days_to_run(until):
        run, _created = TickRun.objects.get_or_create(day=day)
        if run.finished_at is not None:
            continue
        result = collection_tick(day=day)
        TickRun.objects.filter(pk=run.pk).update(finished_at=timezone.now(),
                                                 steps_taken=result.steps_taken)
        results.append(result)
    return results


def days_to_run(until: date) -> list[date]:
    """The days the tick has yet to run, up to ``until`` (the letters' daily run walks them
    one by one, so each day's letters go out between that day's tick and the next)."""
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
    # The rate table once per run, prepared: a due date's interest lines are itemised once.
    caps, rates = fee_caps_on(day), RateTable(reference_rates())
    with translation.override("sv"):  # events and legal bases are evidence: kept in Swedish
        while True:
            seen, taken = _tick_batch(day=day, caps=caps, rates=rates)
            result.claims_seen += seen
            result.steps_taken += taken
            if seen < BATCH:
                return result


@transaction.atomic
def _tick_batch(*, day: date, caps: FeeCaps, rates) -> tuple[int, int]:
    rows = _lock_batch(day)
    if not rows:
        return 0, 0
    policies = _policies(rows)
    # The hold goes into the snapshot too: the engine, not the date, keeps a held claim
    # waiting ("I have already paid", debtors.services), whatever set its next date.
    states = claim_states_of(
        [(*row[:4], policies[row[4:6]].interest_enabled, row[6]) for row in rows], as_of=day,
        rates=rates)
    taken, next_dates = [], {}
    for pk, *_snapshot_facts, creditor_id, interest_enabled, _hold in rows:
        policy = policies[creditor_id, interest_enabled]
        state = states[pk]
        step = decide(state.snapshot, day, policy, caps)
        after = apply_step(state.snapshot, step) if step else state.snapshot
        if step:
            taken.append((pk, step, state.interest_to_book_ore))
        upcoming = next_action_on(after, policy)
        # A claim looked at today is not looked at again today, whatever the engine says.
        next_dates[pk] = max(upcoming, day + timedelta(days=1)) if upcoming else None
    _write_steps(taken)
    _move_statuses(taken, next_dates)
    stepped = {pk for pk, _step, _interest in taken}
    _move_next_dates({pk: d for pk, d in next_dates.items() if pk not in stepped})
    return len(rows), len(taken)


def _policies(rows) -> dict[tuple[int, bool], Policy]:
    """The engine's policy per (creditor, interest switch) of a batch: one query, and a few
    ``Policy`` objects rather than one per claim."""
    stored = stored_policies(row[4] for row in rows)
    return {(creditor_id, interest): policy_of(stored[creditor_id], interest_enabled=interest)
            for creditor_id, interest in {row[4:6] for row in rows}}


def _lock_batch(day: date) -> list[tuple]:
    """Up to BATCH due claims, locked, as rows (id, status, registered_on, debtor kind,
    creditor id, interest switch, hold until).

    Ordered by ``next_action_on`` alone so PostgreSQL reads them straight off its index and
    stops at BATCH: ordering ties by id too made it sort every due claim for every batch (all
    of a day's claims share the date), and joining the creditor made it join them all first.
    """
    return list(
        Claim.objects.filter(status__in=ACTIVE, next_action_on__lte=day)
        .order_by("next_action_on")
        .select_for_update(skip_locked=True, of=("self",))
        .values_list("pk", "status", "registered_on", "debtor__kind", "creditor_id",
                     "interest_enabled", "hold_until")[:BATCH])


def _write_steps(taken) -> None:
    """The steps, their events and their fee and interest ledger rows: one bulk insert per
    table. ``taken`` is ``(claim id, step, interest to book)``."""
    now = timezone.now()  # created_at (auto_now_add), once for the batch
    insert_rows(Step, ("claim", "kind", "taken_on", "deadline", "created_at"),
            [(pk, step.kind, step.on, step.deadline, now) for pk, step, _interest in taken])
    event_ids = insert_rows(Event, ("claim", "kind", "occurred_on", "created_at", "data"), [
        (pk, f"step_{step.kind}", step.on, now,
         {"deadline": step.deadline.isoformat() if step.deadline else None,
          "fees": [{"kind": str(f.kind), "amount_ore": f.amount_ore} for f in step.fees]})
        for pk, step, _interest in taken], return_ids=True)
    fees = [(pk, LedgerEntry.Kind.FEE, fee.amount_ore, step.on, f"{FEE_PREFIX}{fee.kind}",
             event_id, fee.legal_basis, now)
            for (pk, step, _interest), event_id in zip(taken, event_ids) for fee in step.fees
            if fee.amount_ore > 0]
    # One legal basis per day, not per claim: the text is the same for the whole batch.
    basis = {step.on: interest_legal_basis(step.on) for _pk, step, _interest in taken}
    interest = [(pk, LedgerEntry.Kind.INTEREST, amount, step.on, interest_key(step.on),
                 event_id, basis[step.on], now)
                for (pk, step, amount), event_id in zip(taken, event_ids) if amount > 0]
    insert_rows(LedgerEntry, ("claim", "kind", "amount_ore", "booked_on", "key", "event",
                          "legal_basis", "created_at"), fees + interest)


def _move_statuses(taken, next_dates) -> None:
    """One compare-and-set UPDATE per target status, checked for every row; the same UPDATE
    sets each claim's next date (usually one date for all: a Case over the distinct dates)."""
    by_target: dict[str, list[int]] = {}
    for pk, step, _interest in taken:
        by_target.setdefault(STEP_STATUS[step.kind], []).append(pk)
    source = {Status.REMINDER_SENT: Status.REGISTERED, Status.DEMAND_SENT: Status.REMINDER_SENT,
              Status.AWAITING_DECISION: Status.DEMAND_SENT}
    for target, ids in by_target.items():
        moved = Claim.objects.filter(pk__in=ids_in(ids), status=source[target]).update(
            status=target, next_action_on=_dates_of(ids, next_dates))
        if moved != len(ids):
            # The rows are locked by this transaction: a mismatch is a bug, never a race.
            raise RuntimeError(f"{len(ids) - moved} claims were not in {source[target]}")
        # The creditors' webhooks (one query when none of theirs has an endpoint).
        status_changes_emit(claims=Claim.objects.filter(pk__in=ids_in(ids)),
                            previous=source[target], on=taken[0][1].on)


def _move_next_dates(next_dates) -> None:
    """The next date of the claims that took no step today, in one UPDATE."""
    if next_dates:
        Claim.objects.filter(pk__in=ids_in(next_dates)).update(
            next_action_on=_dates_of(list(next_dates), next_dates))


def _dates_of(ids, next_dates):
    """The value to set ``next_action_on`` of ``ids`` to: one branch per distinct date, not per
    claim (a Case of 1000 branches cost more than the rest of the UPDATE)."""
    by_date: dict[date | None, list[int]] = {}
    for pk in ids:
        by_date.setdefault(next_dates[pk], []).append(pk)
    if len(by_date) == 1:
        return Value(next(iter(by_date)), output_field=DateField())
    return Case(*[When(pk__in=ids_in(pks), then=Value(d, output_field=DateField()))
                  for d, pks in by_date.items() if d is not None], default=None,
                output_field=DateField())
