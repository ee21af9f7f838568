from django.db.models import Count, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce

from claims.models import Claim, Dispute, PaymentPlan, Status
from creditors.models import Creditor


def decisions_waiting(request):
    """How many of the active creditor's claims wait for their decision (instalment plans
    beyond their limits too), and how many objections for their position, for the main menu:
    one query, run only when a page's menu shows them (callables, resolved by the template),
    at most once per page."""
    membership = getattr(request, "membership", None)
    if not membership or not request.user.is_authenticated:
        return {}
    creditor, counted = membership.creditor, {}

    def count(name):
        if not counted:
            counted.update(_waiting(creditor))
        return counted[name] + (counted["plans"] if name == "decisions" else 0)

    return {"decisions_waiting": lambda: count("decisions"),
            "disputes_waiting": lambda: count("disputes")}


def _waiting(creditor) -> dict[str, int]:
    """The three counts in one query, each its own small subquery: the claims awaiting a
    decision by the (creditor, status) index, the open objections and the requested plans by
    their own partial indexes (at most one open per claim), then their claims' creditor. Not
    the creditor's every claim joined to its objections and plans, which grows with its cases.
    """
    def counted(qs, creditor_field):
        return Coalesce(Subquery(qs.filter(**{creditor_field: OuterRef("pk")}).order_by()
                                 .values(creditor_field).annotate(n=Count("pk")).values("n"),
                                 output_field=IntegerField()), Value(0))

    return (Creditor.objects.filter(pk=creditor.pk).values(
        decisions=counted(Claim.objects.filter(status=Status.AWAITING_DECISION), "creditor"),
        disputes=counted(Dispute.objects.filter(resolved_on__isnull=True, position=""),
                         "claim__creditor"),
        plans=counted(PaymentPlan.objects.filter(status=PaymentPlan.Status.REQUESTED),
                      "claim__creditor"))
        .get())
