"""Writes of the decision after the collection demand: the solvency check (kreditupplysning)
taken on a claim awaiting its decision, the policy's choice where it can make one, the
creditor's choice in the decision inbox, and the e-mail reminding a creditor of claims still
waiting for them.

The rules are pure (claims.decision); the credit bureau is an adapter (claims.creditinfo),
asked outside any transaction. Exactly once: a claim is decided by compare-and-set on its
"awaiting decision" status under its row lock, and the decision step it answers is unique on
the Decision; a check is one per claim and day.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import F, OuterRef, Q, Subquery
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from claims import decision as rules
from claims.models import (
    Claim,
    Decision,
    DecisionReminder,
    Event,
    SolvencyCheck,
    Status,
    Step,
)
from claims.selectors import claim_balance
from claims.services import ClaimError, _set_status, claim_withdraw

log = logging.getLogger(__name__)

# A creditor is reminded of undecided claims a few days after the first one started waiting,
# then once a week while any still waits.
REMIND_AFTER_DAYS = 3
REMIND_EVERY_DAYS = 7

_STATUS_OF = {rules.KRONOFOGDEN: Status.AT_KRONOFOGDEN,
              rules.SURVEILLANCE: Status.SURVEILLANCE}


def latest_check(claim: Claim) -> SolvencyCheck | None:
    return claim.solvency_checks.order_by("-taken_on", "-id").first()


@transaction.atomic
def claim_decide(*, claim_id: int, choice: str, today: date, user=None, by_policy: bool = False,
                 reason: str = "") -> Decision:
    """Decide how the claim goes on after its collection demand (the creditor, a handler, or
    the policy). Refused, writing nothing, unless the claim still awaits its decision and the
    choice is open to it."""
    claim = Claim.objects.select_for_update(of=("self",)).select_related("creditor").get(
        pk=claim_id)
    if claim.status != Status.AWAITING_DECISION:
        raise ClaimError({"status": [_("This claim is not waiting for a decision.")]},
                         code="not_awaiting_decision")
    check = latest_check(claim)
    outcome = check.outcome if check else None
    if choice not in rules.allowed_choices(outcome):
        raise ClaimError({"choice": [_(
            "Not while debt restructuring or bankruptcy is registered for the debtor: "
            "collection is frozen.") if choice == rules.KRONOFOGDEN else _("Choose one of the "
                                                                          "offered ways.")]},
            code="choice_not_allowed")
    reason = " ".join((reason or "").split())[:300]
    decision = Decision.objects.create(
        # The decision step it answers, if unanswered: a claim back from surveillance is
        # decided again without a new step.
        claim=claim, step=claim.steps.filter(kind=Step.Kind.DECISION,
                                             decision__isnull=True).first(), choice=choice,
        solvency_check=check, by_policy=by_policy, decided_by=user, decided_on=today,
        reason=reason)
    Event.objects.create(claim=claim, kind=Event.Kind.DECISION, occurred_on=today, actor=user,
                         data={"choice": choice, "by_policy": by_policy, "outcome": outcome,
                               "reason": reason})
    if choice == rules.WITHDRAW:
        claim_withdraw(claim=claim, reason=reason or _("Withdrawn after the collection demand."),
                       today=today, user=user)
    else:
        _set_status(claim, new=_STATUS_OF[choice], allowed_from=[Status.AWAITING_DECISION])
    if choice == rules.KRONOFOGDEN:
        transaction.on_commit(lambda: _queue_application(claim.pk))
    return decision


def _queue_application(claim_id: int) -> None:
    from claims.tasks import kfm_application_prepare_task

    kfm_application_prepare_task.delay(claim_id)


def solvency_check_record(*, claim: Claim, report, today: date) -> SolvencyCheck:
    """Keep a credit report as the claim's check of ``today`` (a second one that day is the
    first: a report is bought once)."""
    try:
        with transaction.atomic():
            check = SolvencyCheck.objects.create(
                claim=claim, taken_on=today, outcome=report.outcome,
                payment_remarks=report.payment_remarks, debt_at_kfm_ore=report.debt_at_kfm_ore,
                reference=report.reference[:100], copy_sent=report.copy_sent)
            Event.objects.create(claim=claim, kind=Event.Kind.SOLVENCY_CHECK, occurred_on=today,
                                 data={"outcome": report.outcome,
                                       "payment_remarks": report.payment_remarks,
                                       "debt_at_kfm_ore": report.debt_at_kfm_ore})
    except IntegrityError:
        check = SolvencyCheck.objects.get(claim=claim, taken_on=today)
    return check


def solvency_check_take(*, claim: Claim, client, today: date) -> SolvencyCheck | None:
    """Ask the bureau about the claim's debtor and keep the report as today's check; None
    when the bureau refused this one (logged; the claim is its creditor's to decide). The
    bureau being unavailable (CreditInfoUnavailable) is the caller's: its run stops."""
    from claims.creditinfo import CreditInfoError, CreditInfoUnavailable

    try:
        report = client.report(identity_number=claim.debtor.identity_number,
                               debtor_kind=claim.debtor.kind)
    except CreditInfoUnavailable:
        raise
    except CreditInfoError as exc:
        log.warning("no credit report for claim %s: %s", claim.pk, exc)
        return None
    return solvency_check_record(claim=claim, report=report, today=today)


def claims_to_check():
    """Claims awaiting their decision with no check since the decision step was taken."""
    checked = (SolvencyCheck.objects.filter(claim=OuterRef("pk")).order_by("-taken_on")
               .values("taken_on")[:1])
    stepped = (Step.objects.filter(claim=OuterRef("pk"), kind=Step.Kind.DECISION)
               .values("taken_on")[:1])
    return (Claim.objects.filter(status=Status.AWAITING_DECISION)
            .annotate(checked_on=Subquery(checked), stepped_on=Subquery(stepped))
            .filter(Q(checked_on__isnull=True) | Q(checked_on__lt=F("stepped_on")))
            .order_by("pk"))


def solvency_checks_run(*, today: date, client, limit: int = 200) -> dict:
    """Check the claims that wait for it, and let each creditor's policy decide where it can.
    The bureau unavailable stops the run (the next one goes on); a report refused for one
    debtor leaves that claim for its creditor. Returns what was done, for the log."""
    from claims.creditinfo import CreditInfoUnavailable

    done = {"checked": 0, "decided": 0, "failed": 0}
    for claim in claims_to_check().select_related("debtor", "creditor__policy")[:limit]:
        try:
            check = solvency_check_take(claim=claim, client=client, today=today)
        except CreditInfoUnavailable as exc:
            log.warning("credit bureau unavailable, checks resume on the next run: %s", exc)
            break
        if check is None:
            done["failed"] += 1
            continue
        done["checked"] += 1
        done["decided"] += _policy_decides(claim, check, today)
    return done


def _policy_decides(claim: Claim, check: SolvencyCheck, today: date) -> int:
    stored = claim.creditor.policy
    choice = rules.policy_choice(
        outcome=check.outcome, capital_ore=claim_balance(claim).remaining_capital,
        policy=rules.DecisionPolicy(automatic=stored.decide_automatically,
                                    kronofogden_min_capital_ore=stored.kronofogden_min_capital_ore))
    if choice is None:
        return 0
    try:
        claim_decide(claim_id=claim.pk, choice=choice, today=today, by_policy=True)
    except ClaimError:
        return 0  # decided or closed meanwhile (a payment, the creditor): theirs stands
    return 1


def decision_reminders_send(*, today: date) -> int:
    """E-mail each creditor with claims waiting for their decision since at least
    REMIND_AFTER_DAYS, at most once every REMIND_EVERY_DAYS. Returns how many went."""
    waiting = (Claim.objects.filter(status=Status.AWAITING_DECISION,
                                    steps__kind=Step.Kind.DECISION,
                                    steps__taken_on__lte=today - timedelta(REMIND_AFTER_DAYS))
               .values_list("creditor_id", flat=True).distinct())
    sent = 0
    for creditor_id in sorted(set(waiting)):
        sent += _remind(creditor_id, today)
    return sent


def _remind(creditor_id: int, today: date) -> int:
    with transaction.atomic():
        recent = DecisionReminder.objects.select_for_update().filter(
            creditor_id=creditor_id, sent_on__gt=today - timedelta(REMIND_EVERY_DAYS))
        if recent.exists():
            return 0
        claims = list(Claim.objects.filter(creditor_id=creditor_id,
                                           status=Status.AWAITING_DECISION)
                      .select_related("creditor", "debtor").order_by("case_number"))
        if not claims:
            return 0
        reminder = DecisionReminder.objects.create(creditor_id=creditor_id, sent_on=today,
                                                   claims=len(claims))
        creditor = claims[0].creditor
        with translation.override("sv"):
            context = {"creditor": creditor, "claims": claims,
                       "url": f"{settings.SITE_URL.rstrip('/')}/beslut/"}
            subject = " ".join(render_to_string("claims/email/decisions_subject.txt",
                                                context).split())
            body = render_to_string("claims/email/decisions.txt", context)
        try:
            send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [creditor.report_email])
        except OSError as exc:
            log.warning("decision reminder to creditor %s not sent, will retry: %s",
                        creditor_id, exc)
            transaction.set_rollback(True)
            return 0
    return 1 if reminder.pk else 0
