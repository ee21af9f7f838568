from creditors.models import Membership


def active_creditor(request):
    membership = getattr(request, "membership", None)
    if membership is None or not request.user.is_authenticated:
        return {}
    # SimpleLazyObject around None: unwrap to a real value for templates.
    active = membership if membership else None
    others = []
    if active is not None:
        others = list(Membership.objects.select_related("creditor")
                      .filter(user=request.user, is_active=True)
                      .exclude(pk=active.pk).order_by("creditor__name"))
    return {"active_membership": active, "active_creditor": active.creditor if active else None,
            "other_memberships": others}
