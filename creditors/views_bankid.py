"""BankID for creditors' users: log in with it, and link it to one's account first (while
logged in by e-mail), so a login is matched on the personnummer BankID verified."""

from allauth.account.utils import perform_login
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from creditors.models import UserIdentity
from creditors.services import CreditorError, identity_link, user_by_personal_number
from ekrav.bankid_orders import bankid_page

LOGIN, LINK = "login", "link"


def _next_url(request) -> str:
    """Where to go after the login: a ``next`` on this site, or the start page."""
    target = request.GET.get("next") or request.POST.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                       require_https=request.is_secure()):
        return target
    return reverse("claims:overview")


# Outside the request's transaction: the page waits on BankID over the network, which must not
# hold the database (on SQLite, the embedded default, it would hold the writer's lock).
@transaction.non_atomic_requests
def bankid_login(request):
    """Logga in med BankID: the QR code (or this device's app), then into ekrav as the user
    whose account this person linked."""
    next_url = _next_url(request)

    def logged_in(completion):
        user = user_by_personal_number(completion.personal_number)
        if user is None:
            return _("No account at ekrav is linked to this BankID. Log in with your e-mail "
                     "address, link BankID under “BankID” in the menu, and use it next time.")
        return perform_login(request, user, redirect_url=next_url)

    return bankid_page(request, purpose=LOGIN, template="account/bankid_login.html",
                       context={"next": next_url, "start_label": _("Log in with BankID")},
                       on_complete=logged_in,
                       visible_text=_("Log in to ekrav"))


@transaction.non_atomic_requests
@login_required
def bankid_link(request):
    """Koppla BankID: identify with BankID once while logged in; from then on BankID logs
    this account in."""
    def linked(completion):
        try:
            identity_link(user=request.user, personal_number=completion.personal_number,
                          name=completion.name, now=timezone.now())
        except CreditorError as exc:
            return exc.message
        messages.success(request, _("BankID is linked to your account: next time you can log "
                                    "in with it."))
        return redirect("creditors:bankid_link")

    identity = UserIdentity.objects.filter(user=request.user).first()
    return bankid_page(request, purpose=LINK, template="creditors/bankid_link.html",
                       context={"identity": identity, "start_label": _("Link BankID")},
                       on_complete=linked,
                       visible_text=_("Link BankID to your account at ekrav"))
