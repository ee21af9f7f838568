from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect


def creditor_required(view=None, *, manage=False):
    """Logged in and acting for a company; ``manage`` asks for signatory or administrator."""

    def decorate(fn):
        @login_required
        @wraps(fn)
        def wrapper(request, *args, **kwargs):
            membership = request.membership
            if not membership:
                return redirect("creditors:onboard")
            if manage and not membership.can_manage:
                raise PermissionDenied
            request.creditor = membership.creditor
            return fn(request, *args, **kwargs)

        return wrapper

    return decorate(view) if view is not None else decorate
