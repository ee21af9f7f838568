from django.db.models import Count, Q

from claims.models import Claim, Status


def decisions_waiting(request):
    """How many of the active creditor's claims wait for their decision (instalment plans
    beyond their limits too), and how many objections for their position, for the main menu: one query, run only when a page's
    menu shows them (callables, resolved by the template), at most once per page."""
    membership = getattr(request, "membership", None)
    if not membership or not request.user.is_authenticated:
        return {}
    creditor, counted = membership.creditor, {}

    def count(name):
        if not counted:
            counted.update(Claim.objects.for_creditor(creditor).aggregate(
                decisions=Count("pk", distinct=True,
                                filter=Q(status=Status.AWAITING_DECISION)),
                disputes=Count("disputes", distinct=True,
                               filter=Q(disputes__resolved_on__isnull=True,
                                        disputes__position="")),
                plans=Count("plans", distinct=True, filter=Q(plans__status="requested"))))
        return counted[name] + (counted["plans"] if name == "decisions" else 0)

    return {"decisions_waiting": lambda: count("decisions"),
            "disputes_waiting": lambda: count("disputes")}
