"""The creditor's decision inbox (beslut): claims past the collection demand's deadline, each
with its solvency check and what each way on is expected to cost and bring; and the
objections (bestridanden) waiting for the creditor's position."""

from django.contrib import messages
from django.http import FileResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from claims import decision as rules
from claims.decisions import claim_decide
from claims.disputes import dispute_answer
from claims.models import (
    Claim,
    Decision,
    Dispute,
    DisputeAttachment,
    Outcome,
    PaymentPlan,
    Status,
)
from claims.payment_plans import plan_decide
from claims.selectors import balances_for, decision_inbox, decision_tracks, kronofogden_fee_on
from claims.services import ClaimError
from creditors.decorators import creditor_required


@creditor_required
def decisions(request):
    claims = list(decision_inbox(creditor=request.creditor))
    balances = balances_for(claims)
    tracks, fee = decision_tracks(), kronofogden_fee_on(timezone.localdate())
    labels = dict(Decision.Choice.choices)
    rows = []
    for claim in claims:
        checks = list(claim.solvency_checks.all())
        check = checks[0] if checks else None
        outcome = check.outcome if check else None
        rows.append({
            "claim": claim, "check": check, "balance": balances[claim.pk],
            "outcome_label": Outcome(outcome).label if outcome else "",
            "options": [{"e": e, "label": labels[e.choice],
                         "percent": (round(100 * e.track.paid_share)
                                     if e.track.paid_share is not None else None)}
                        for e in rules.expectations(outcome=outcome, kronofogden_fee_ore=fee,
                                                    tracks=tracks)]})
    plans = (PaymentPlan.objects.filter(claim__in=Claim.objects.for_creditor(request.creditor),
                                        status=PaymentPlan.Status.REQUESTED)
             .select_related("claim__debtor").order_by("requested_on", "pk"))
    return render(request, "claims/decisions.html", {"rows": rows, "fee_ore": fee,
                                                     "plans": plans})


@creditor_required
@require_POST
def decision_make(request, claim_id):
    claim = get_object_or_404(Claim.objects.for_creditor(request.creditor), pk=claim_id)
    choice = request.POST.get("choice", "")
    if choice not in rules.CHOICES:
        messages.error(request, _("Choose one of the offered ways."))
        return redirect("claims:decisions")
    try:
        claim_decide(claim_id=claim.pk, choice=choice, today=timezone.localdate(),
                     user=request.user, reason=request.POST.get("reason", ""))
    except ClaimError as exc:
        messages.error(request, exc.message)
        return redirect("claims:decisions")
    claim.refresh_from_db(fields=["status"])
    messages.success(request, _("Case %(case)s: %(status)s.") % {
        "case": claim.case_number, "status": Status(claim.status).label})
    return redirect("claims:decisions")


# --- Objections (bestridanden): the creditor's position ----------------------------------------

@creditor_required
def disputes(request):
    """The creditor's open objections, each with the debtor's words and a form for their
    position; the resolved ones below, for the record."""
    mine = (Dispute.objects.filter(claim__in=Claim.objects.for_creditor(request.creditor))
            .select_related("claim__debtor").prefetch_related("attachments")
            .order_by("-received_on", "-id"))
    return render(request, "claims/disputes.html", {
        "open": [d for d in mine if d.is_open], "resolved": [d for d in mine if not d.is_open][:50],
        "positions": Dispute.Position.choices})


@creditor_required
@require_POST
def dispute_position(request, dispute_id):
    dispute = get_object_or_404(
        Dispute.objects.filter(claim__in=Claim.objects.for_creditor(request.creditor)),
        pk=dispute_id)
    try:
        dispute_answer(dispute_id=dispute.pk, position=request.POST.get("position", ""),
                       text=request.POST.get("text", ""), today=timezone.localdate(),
                       user=request.user)
    except ClaimError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Thank you: our case handler takes it from here."))
    return redirect("claims:disputes")



@creditor_required
@require_POST
def plan_answer(request, plan_id):
    """The creditor agrees to a debtor's instalment plan beyond its limits, or not."""
    plan = get_object_or_404(
        PaymentPlan.objects.filter(claim__in=Claim.objects.for_creditor(request.creditor)),
        pk=plan_id)
    approve = request.POST.get("approve") == "yes"
    try:
        plan_decide(plan_id=plan.pk, approve=approve, today=timezone.localdate(),
                    user=request.user)
    except ClaimError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The plan is agreed: the debtor gets it as a letter.")
                         if approve else _("The plan is declined: collection goes on."))
    return redirect("claims:decisions")



@creditor_required
def dispute_attachment(request, attachment_id):
    """A document sent with an objection: the claim's creditor only (another tenant's is not
    there), as a download that the browser does not render inline."""
    attachment = get_object_or_404(DisputeAttachment.objects.filter(
        dispute__claim__in=Claim.objects.for_creditor(request.creditor)), pk=attachment_id)
    return FileResponse(attachment.file.open("rb"), content_type=attachment.content_type,
                        as_attachment=True, filename=attachment.name)
