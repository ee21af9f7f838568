"""Efterbevakning (long-term surveillance): a claim that could not be collected now — the
creditor chose it, or Kronofogden found no assets — is kept alive. DOMAIN.md: a new letter
about every three months, a periodic new solvency check, back to Kronofogden when the debtor
has assets again; every letter the debtor receives interrupts the statute of limitations.
Collection freezes while skuldsanering or konkurs is registered for the debtor.

The dates are pure (``next_on``); the steps and checks are services: the day's run takes the
letter steps (the letters room writes and sends them, as for PÅM and IK), a beat task takes
the checks through the credit bureau adapter, outside any transaction.
"""

from __future__ import annotations

import calendar
import logging
from datetime import date, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Max

from claims import decision as rules
from claims.models import (
    Claim,
    Decision,
    Event,
    Status,
    Step,
    SurveillancePolicy,
)
from claims.selectors import claim_policy
from claims.services import ClaimError, _set_status
from ekrav.calendar import is_bank_day, next_bank_day

log = logging.getLogger(__name__)


# --- Pure ----------------------------------------------------------------------------------

def add_months(day: date, months: int) -> date:
    """The same day ``months`` later; the month's last day when it has no such day."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def next_on(*, since: date, last: date | None, every_months: int) -> date:
    """When the next letter (or check) is due: ``every_months`` after the last one, or after
    the claim went into surveillance when there has been none."""
    return add_months(max(since, last) if last else since, every_months)


# --- Reads ---------------------------------------------------------------------------------

def policy_on(day: date) -> SurveillancePolicy | None:
    return (SurveillancePolicy.objects.filter(valid_from__lte=day).order_by("-valid_from")
            .first())


def surveillance_since(claim: Claim) -> date | None:
    """The day the claim last went into surveillance: a decision for it, or Kronofogden's
    "no assets" (SUT)."""
    decided = (Decision.objects.filter(claim=claim, choice=Decision.Choice.SURVEILLANCE)
               .aggregate(day=Max("decided_on"))["day"])
    sut = (Event.objects.filter(claim=claim, kind=Event.Kind.KRONOFOGDEN,
                                data__state="no_assets").aggregate(day=Max("occurred_on"))["day"])
    return max((d for d in (decided, sut) if d), default=None)


def frozen(claim: Claim) -> bool:
    """Skuldsanering or konkurs registered, by the latest check: collection waits."""
    check = claim.solvency_checks.order_by("-taken_on", "-id").first()
    return check is not None and check.outcome in rules.FROZEN


# --- The day's letters ---------------------------------------------------------------------

def surveillance_letters_take(*, today: date) -> int:
    """Take today's efterbevakning letter steps (a bank day): for each claim in surveillance,
    not frozen, whose letter is due. Returns how many were taken."""
    policy = policy_on(today)
    if policy is None or not is_bank_day(today):
        return 0
    taken = 0
    for claim_id in (Claim.objects.filter(status=Status.SURVEILLANCE).order_by("pk")
                     .values_list("pk", flat=True)):
        taken += _letter_step(claim_id, today, policy)
    return taken


def _letter_step(claim_id: int, today: date, policy: SurveillancePolicy) -> int:
    with transaction.atomic():
        claim = (Claim.objects.select_for_update(of=("self",))
                 .select_related("creditor__policy").get(pk=claim_id))
        since = surveillance_since(claim)
        if claim.status != Status.SURVEILLANCE or since is None or frozen(claim):
            return 0
        steps = claim.steps.filter(kind=Step.Kind.SURVEILLANCE)
        last = steps.aggregate(day=Max("taken_on"), n=Max("sequence"))
        if today < next_on(since=since, last=last["day"], every_months=policy.letter_every_months):
            return 0
        deadline = next_bank_day(today + timedelta(
            days=claim_policy(claim).demand_deadline_days))
        try:
            with transaction.atomic():
                Step.objects.create(claim=claim, kind=Step.Kind.SURVEILLANCE,
                                    sequence=(last["n"] or 0) + 1, taken_on=today,
                                    deadline=deadline)
        except IntegrityError:
            return 0  # taken by another run
        Event.objects.create(claim=claim, kind=Event.Kind.STEP_SURVEILLANCE, occurred_on=today,
                             data={"deadline": deadline.isoformat(),
                                   "sequence": (last["n"] or 0) + 1})
    return 1


# --- The periodic check, and back to Kronofogden ------------------------------------------

def surveillance_checks_run(*, today: date, client, limit: int = 200) -> dict:
    """A new solvency check for each claim in surveillance whose check is due; a debtor who
    can pay again sends the claim back to the decision (the policy, or the creditor, then
    chooses Kronofogden). The bureau unavailable stops the run, as the first checks do."""
    from claims.creditinfo import CreditInfoUnavailable
    from claims.decisions import _policy_decides, solvency_check_take

    policy = policy_on(today)
    done = {"checked": 0, "back_to_decision": 0}
    if policy is None:
        return done
    for claim in (Claim.objects.filter(status=Status.SURVEILLANCE)
                  .select_related("debtor", "creditor__policy").order_by("pk")[:limit * 10]):
        since = surveillance_since(claim)
        last = claim.solvency_checks.aggregate(day=Max("taken_on"))["day"]
        if since is None or today < next_on(since=since, last=last,
                                            every_months=policy.recheck_every_months):
            continue
        try:
            check = solvency_check_take(claim=claim, client=client, today=today)
        except CreditInfoUnavailable as exc:
            log.warning("credit bureau unavailable, surveillance checks resume later: %s", exc)
            break
        if check is None:
            continue
        done["checked"] += 1
        if check.outcome == rules.SOLVENT and _back_to_decision(claim, today):
            done["back_to_decision"] += 1
            _policy_decides(claim, check, today)
        if done["checked"] >= limit:
            break
    return done


@transaction.atomic
def _back_to_decision(claim: Claim, today: date) -> bool:
    try:
        _set_status(claim, new=Status.AWAITING_DECISION, allowed_from=[Status.SURVEILLANCE])
    except ClaimError:
        return False  # paid, withdrawn or disputed meanwhile
    Event.objects.create(claim=claim, kind=Event.Kind.DECISION, occurred_on=today,
                         data={"choice": "back_from_surveillance"})
    return True


def in_surveillance_on(claim_ids, day: date) -> set[int]:
    """Which of the claims were under efterbevakning on ``day``: they went in (a decision for
    it, Kronofogden's SUT) and had not come out (back to the decision, or to Kronofogden) by
    then. Two queries for a batch (the settlement's commission)."""
    into, out = {}, {}
    for pk, choice, on in (Decision.objects.filter(claim_id__in=claim_ids, decided_on__lte=day)
                           .values_list("claim_id", "choice", "decided_on")):
        side = into if choice == Decision.Choice.SURVEILLANCE else out
        side[pk] = max(side.get(pk, on), on)
    for pk, kind, data, on in (Event.objects.filter(
            claim_id__in=claim_ids, occurred_on__lte=day,
            kind__in=[Event.Kind.KRONOFOGDEN, Event.Kind.DECISION])
            .values_list("claim_id", "kind", "data", "occurred_on")):
        if kind == Event.Kind.KRONOFOGDEN and data.get("state") == "no_assets":
            into[pk] = max(into.get(pk, on), on)
        elif kind == Event.Kind.DECISION and data.get("choice") == "back_from_surveillance":
            out[pk] = max(out.get(pk, on), on)
    return {pk for pk, went_in in into.items() if pk not in out or out[pk] < went_in}
