"""Writes of instalment plans (amorteringsplan): requested by the debtor in Mitt Ärende,
approved at once within the creditor's limits (kravpolicy) or by the creditor otherwise; a
running plan pauses collection, is sent as a letter (its step, with the schedule) and carries
the statutory plan fee; the daily run breaks a plan whose instalment was missed (after the
grace days) and collection goes on from where it stopped.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.db import transaction
from django.db.models import Max, Sum
from django.utils.translation import gettext as _

from claims import plans as pure
from claims.engine import next_action_on
from claims.models import (
    Claim,
    Event,
    LedgerEntry,
    PaymentPlan,
    Status,
    StatutoryFee,
    Step,
)
from claims.selectors import claim_policy, claim_snapshots, claim_statement
from claims.services import ClaimError, _set_status
from ekrav.calendar import is_bank_day, next_bank_day

# A plan can be made while the agency collects and no court or Kronofogden has the claim.
PLANNABLE = (Status.REMINDER_SENT, Status.DEMAND_SENT, Status.AWAITING_DECISION,
             Status.SURVEILLANCE)


def plan_offer(claim: Claim, *, months: int, first_due: date, today: date):
    """(instalments, total, fee, problems) of a plan for ``claim`` as of ``today``: problems
    are the creditor's limits it goes beyond ([]: it is approved at once)."""
    statement, problem = claim_statement(claim, as_of=today)
    if statement is None:
        raise ClaimError({"months": [problem]}, code="no_statement")
    fee = (StatutoryFee.objects.filter(kind=StatutoryFee.Kind.PAYMENT_PLAN,
                                       valid_from__lte=today).order_by("-valid_from").first())
    fee_ore = fee.amount_ore if fee else 0
    total = statement.collectible_ore + fee_ore  # never what a partial objection holds
    if total <= fee_ore:
        raise ClaimError({"months": [_("Nothing is owed on this case.")]}, code="nothing_owed")
    instalments = pure.schedule(total_ore=total, months=months, first_due=first_due)
    stored = claim.creditor.policy
    return instalments, total, fee_ore, pure.limits_problems(
        instalments=instalments, max_months=stored.plan_max_months,
        min_instalment_ore=stored.plan_min_instalment_ore, today=today)


@transaction.atomic
def plan_request(*, claim_id: int, months: int, first_due: date, today: date) -> PaymentPlan:
    """The debtor asks for a plan: running at once when within the creditor's limits,
    otherwise waiting for the creditor."""
    if not 1 <= months <= pure.MAX_MONTHS:
        raise ClaimError({"months": [_("Choose between 1 and %(n)d months.") % {
            "n": pure.MAX_MONTHS}]}, code="months")
    if not today < first_due <= today + timedelta(days=62):
        raise ClaimError({"first_due": [_("The first instalment is due within two months "
                                          "from today.")]}, code="first_due")
    claim = (Claim.objects.select_for_update(of=("self",))
             .select_related("creditor__policy", "debtor").get(pk=claim_id))
    if claim.status not in PLANNABLE:
        raise ClaimError({"status": [_("An instalment plan cannot be made for this case now.")]},
                         code="not_plannable")
    if claim.plans.filter(status__in=[PaymentPlan.Status.REQUESTED,
                                      PaymentPlan.Status.ACTIVE]).exists():
        raise ClaimError({"status": [_("A plan is already requested or running.")]},
                         code="plan_open")
    instalments, total, fee, problems = plan_offer(claim, months=months, first_due=first_due,
                                                   today=today)
    plan = PaymentPlan.objects.create(
        claim=claim, status=PaymentPlan.Status.REQUESTED, months=months, first_due=first_due,
        instalments=[i.as_json() for i in instalments], total_ore=total, fee_ore=fee,
        requested_on=today, note=", ".join(problems))
    Event.objects.create(claim=claim, kind=Event.Kind.PLAN, occurred_on=today,
                         data={"state": "requested", "months": months, "total_ore": total})
    if not problems:
        _activate(plan, claim, today=today, user=None, by_policy=True)
    return plan


@transaction.atomic
def plan_decide(*, plan_id: int, approve: bool, today: date, user) -> PaymentPlan:
    """The creditor (or a handler) approves or rejects a plan beyond its limits."""
    plan = PaymentPlan.objects.select_for_update().get(pk=plan_id)
    claim = (Claim.objects.select_for_update(of=("self",)).select_related("creditor__policy")
             .get(pk=plan.claim_id))
    if plan.status != PaymentPlan.Status.REQUESTED:
        raise ClaimError({"status": [_("The plan is decided already.")]}, code="decided")
    if approve and claim.status not in PLANNABLE:
        raise ClaimError({"status": [_("An instalment plan cannot be made for this case now.")]},
                         code="not_plannable")
    if approve:
        _activate(plan, claim, today=today, user=user, by_policy=False)
    else:
        plan.status, plan.decided_on, plan.decided_by = PaymentPlan.Status.REJECTED, today, user
        plan.save(update_fields=["status", "decided_on", "decided_by"])
        Event.objects.create(claim=claim, kind=Event.Kind.PLAN, occurred_on=today, actor=user,
                             data={"state": "rejected"})
    return plan


def _activate(plan: PaymentPlan, claim: Claim, *, today: date, user, by_policy: bool) -> None:
    """Collection pauses; the written plan goes out as a letter (its step) and its fee is
    booked for the debtor."""
    plan.status, plan.previous_status = PaymentPlan.Status.ACTIVE, claim.status
    plan.decided_on, plan.decided_by, plan.by_policy = today, user, by_policy
    plan.save(update_fields=["status", "previous_status", "decided_on", "decided_by",
                             "by_policy"])
    _set_status(claim, new=Status.PAYMENT_PLAN, allowed_from=[claim.status])
    Claim.objects.filter(pk=claim.pk).update(next_action_on=None)
    first = pure.Instalment.from_json(plan.instalments[0])
    sequence = (claim.steps.filter(kind=Step.Kind.PLAN).aggregate(n=Max("sequence"))["n"]
                or 0) + 1
    letter_day = today if is_bank_day(today) else next_bank_day(today)
    event = Event.objects.create(claim=claim, kind=Event.Kind.PLAN, occurred_on=today,
                                 actor=user, data={"state": "active", "months": plan.months,
                                                   "total_ore": plan.total_ore,
                                                   "first_due": first.due_on.isoformat(),
                                                   "by_policy": by_policy})
    if plan.fee_ore:
        fee = StatutoryFee.objects.filter(kind=StatutoryFee.Kind.PAYMENT_PLAN,
                                          valid_from__lte=today).order_by("-valid_from").first()
        LedgerEntry.objects.create(claim=claim, kind=LedgerEntry.Kind.FEE,
                                   amount_ore=plan.fee_ore, booked_on=today,
                                   key=f"fee:payment_plan_fee:{plan.pk}",
                                   legal_basis=fee.legal_basis, event=event)
    Step.objects.create(claim=claim, kind=Step.Kind.PLAN, sequence=sequence,
                        taken_on=letter_day, deadline=first.due_on)


def plans_check(*, today: date) -> dict:
    """The daily look at running plans: broken (an instalment missed after the grace days:
    collection goes on from where it stopped) or completed."""
    done = {"broken": 0, "completed": 0}
    for plan_id in (PaymentPlan.objects.filter(status=PaymentPlan.Status.ACTIVE)
                    .values_list("pk", flat=True)):
        state = _check_one(plan_id, today)
        if state in done:
            done[state] += 1
    return done


@transaction.atomic
def _check_one(plan_id: int, today: date) -> str:
    plan = PaymentPlan.objects.select_for_update().get(pk=plan_id)
    claim = (Claim.objects.select_for_update(of=("self",)).select_related("creditor__policy")
             .get(pk=plan.claim_id))
    if plan.status != PaymentPlan.Status.ACTIVE:
        return ""
    paid = (claim.ledger.filter(kind__in=LedgerEntry.PAYMENTS, booked_on__gte=plan.decided_on)
            .aggregate(total=Sum("amount_ore"))["total"] or 0)
    kept = pure.plan_state(instalments=[pure.Instalment.from_json(i) for i in plan.instalments],
                           paid_ore=paid, today=today,
                           grace_days=claim_policy(claim).grace_days)
    if kept.state == "kept" and not claim.is_closed:
        return "kept"
    plan.status = (PaymentPlan.Status.BROKEN if kept.state == "broken"
                   else PaymentPlan.Status.COMPLETED)
    plan.ended_on = today
    plan.save(update_fields=["status", "ended_on"])
    Event.objects.create(claim=claim, kind=Event.Kind.PLAN, occurred_on=today,
                         data={"state": plan.status, "missed": kept.missed.as_json()
                               if kept.missed else None})
    if claim.status == Status.PAYMENT_PLAN:  # not paid in full: collection goes on
        _set_status(claim, new=plan.previous_status, allowed_from=[Status.PAYMENT_PLAN])
        snapshot = claim_snapshots([claim], as_of=today)[claim.pk]
        Claim.objects.filter(pk=claim.pk).update(
            next_action_on=next_action_on(snapshot, claim_policy(claim)))
    return kept.state
