"""Which company the logged-in user is acting for right now (the menu top right switches it)."""

from django.utils.functional import SimpleLazyObject

from creditors.models import Membership

SESSION_KEY = "active_creditor_id"


def active_membership(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    memberships = list(Membership.objects.select_related("creditor")
                       .filter(user=user, is_active=True).order_by("creditor__name"))
    request.memberships = memberships  # the company menu lists the others (context_processors)
    wanted = request.session.get(SESSION_KEY)
    chosen = None
    if wanted is not None:
        chosen = next((m for m in memberships if m.creditor_id == wanted), None)
    if chosen is None:
        chosen = next(iter(memberships), None)
        if chosen is not None:
            request.session[SESSION_KEY] = chosen.creditor_id
    return chosen


class ActiveCreditorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.membership = SimpleLazyObject(lambda: active_membership(request))
        return self.get_response(request)
