def active_creditor(request):
    membership = getattr(request, "membership", None)
    if membership is None or not request.user.is_authenticated:
        return {}
    # SimpleLazyObject around None: unwrap to a real value for templates.
    active = membership if membership else None
    others = []
    if active is not None:
        # Read once with the active one (creditors.middleware), in the company menu's order.
        others = [m for m in request.memberships if m.pk != active.pk]
    return {"active_membership": active, "active_creditor": active.creditor if active else None,
            "other_memberships": others}
