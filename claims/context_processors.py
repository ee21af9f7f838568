from django.db import connection

from claims.models import Claim, Dispute, PaymentPlan, Status


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
    Written as SQL: the ORM took longer to compile it (~1 ms) than the database to answer."""
    claims, disputes, plans = (Claim._meta.db_table, Dispute._meta.db_table,
                               PaymentPlan._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT (SELECT COUNT(*) FROM {claims} WHERE creditor_id = %s AND status = %s),"
            f" (SELECT COUNT(*) FROM {disputes} d JOIN {claims} c ON c.id = d.claim_id"
            f"  WHERE c.creditor_id = %s AND d.resolved_on IS NULL AND d.position = ''),"
            f" (SELECT COUNT(*) FROM {plans} p JOIN {claims} c ON c.id = p.claim_id"
            f"  WHERE c.creditor_id = %s AND p.status = %s)",
            [creditor.pk, Status.AWAITING_DECISION, creditor.pk, creditor.pk,
             PaymentPlan.Status.REQUESTED])
        decisions, disputes_open, plans_requested = cursor.fetchone()
    return {"decisions": decisions, "disputes": disputes_open, "plans": plans_requested}
