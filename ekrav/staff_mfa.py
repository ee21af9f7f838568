"""Case handlers (staff) use two-step verification: password plus an authenticator app's code.

allauth.mfa asks for the code at every login of a user who has activated TOTP. This module makes
it compulsory for staff: an admin request of a staff user without an activated TOTP authenticator
is sent to allauth's activation page instead (allauth asks for the password once more first),
whatever admin URL it was. And the admin has no login form of its own: /admin/login/ hands over
to allauth's login, where the code is asked for.
"""

from allauth.account.decorators import secure_admin_login
from allauth.mfa.models import Authenticator
from allauth.mfa.utils import is_mfa_enabled
from django.contrib import messages
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _


def needs_totp(user) -> bool:
    """A staff user who has not activated an authenticator app yet."""
    return (user.is_authenticated and user.is_staff
            and not is_mfa_enabled(user, [Authenticator.Type.TOTP]))


class StaffMfaRequiredMiddleware:
    """Every admin URL (lists, change pages, the handlers' own views) of a staff user without
    TOTP redirects to the activation page; the rest of the site is left alone."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith(reverse("admin:index")) and needs_totp(request.user):
            messages.warning(request, _("Case handlers must use two-step verification."))
            return redirect("mfa_activate_totp")
        return self.get_response(request)


def admin_home(request, extra_context=None):
    """Stands in for the admin's own login view, whose password-only form would skip the code.
    allauth's ``secure_admin_login`` sends visitors to allauth's login (with ``next``) and
    refuses logged-in users who are not staff; a handler already logged in goes on."""
    next_url = request.GET.get(REDIRECT_FIELD_NAME, "")
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        next_url = reverse("admin:index")
    return redirect(next_url)


admin_login = secure_admin_login(admin_home)
