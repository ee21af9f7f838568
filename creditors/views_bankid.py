"""BankID for creditors' users: log in with it, and link it to one's account first (while
logged in by e-mail), so a login is matched on the personnummer BankID verified."""

from allauth.account.utils import perform_login
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from creditors.decorators import creditor_required
from creditors.models import UserIdentity
from creditors.services import (
    CreditorError,
    agreement_of,
    agreement_sign,
    agreement_text_for,
    bankgiro_change_text,
    identity_link,
    payout_bankgiro_change,
    user_by_personal_number,
)
from ekrav.bankid_orders import bankid_page
from ekrav.identifiers import IdentifierError, normalize_bankgiro

LOGIN, LINK, AGREEMENT, BANKGIRO = "login", "link", "agreement", "bankgiro"
BANKGIRO_SESSION_KEY = "bankgiro_change"


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


@transaction.non_atomic_requests
@creditor_required
def agreement(request):
    """Uppdragsavtalet: read it, and the company's signatory signs it with BankID; once signed,
    the page shows who signed what and when."""
    creditor = request.creditor
    signed = agreement_of(creditor)
    text = agreement_text_for(creditor)

    def signed_now(completion):
        try:
            agreement_sign(creditor=creditor, user=request.user, completion=completion,
                           now=timezone.now())
        except CreditorError as exc:
            return exc.message
        messages.success(request, _("The agreement is signed. Thank you!"))
        return redirect("creditors:agreement")

    context = {"signed": signed, "text": signed.text if signed else text,
               "start_label": _("Sign with BankID")}
    if signed is not None:
        return render(request, "creditors/agreement.html", context)
    return bankid_page(request, purpose=AGREEMENT, template="creditors/agreement.html",
                       context=context, on_complete=signed_now, sign_text=text)


class BankgiroForm(forms.Form):
    bankgiro = forms.CharField(label=_("New bankgiro for payouts"), max_length=12)

    def clean_bankgiro(self):
        try:
            return normalize_bankgiro(self.cleaned_data["bankgiro"])
        except IdentifierError as exc:
            raise forms.ValidationError(str(exc)) from None


@transaction.non_atomic_requests
@creditor_required
def bankgiro(request):
    """Byt utbetalningskonto: the new bankgiro, then the signatory's BankID signature of the
    change; every signatory and administrator is told by e-mail."""
    creditor = request.creditor
    if not request.membership.can_manage:
        raise PermissionDenied
    form = BankgiroForm(request.POST if "bankgiro" in request.POST else None)
    if form.is_bound and not form.is_valid():
        return render(request, "creditors/bankgiro.html", {"form": form, "creditor": creditor})
    if form.is_bound:
        request.session[BANKGIRO_SESSION_KEY] = form.cleaned_data["bankgiro"]
    new = request.session.get(BANKGIRO_SESSION_KEY, "")
    if not new:  # first the new bankgiro, then the signature
        return render(request, "creditors/bankgiro.html", {"form": BankgiroForm(),
                                                           "creditor": creditor})
    if request.method == "POST" and "cancel" in request.POST:
        request.session.pop(BANKGIRO_SESSION_KEY, None)

    def changed(completion):
        try:
            payout_bankgiro_change(creditor=creditor, user=request.user, new_bankgiro=new,
                                   completion=completion, now=timezone.now(),
                                   manage_url=request.build_absolute_uri(request.path))
        except CreditorError as exc:
            return exc.message
        request.session.pop(BANKGIRO_SESSION_KEY, None)
        messages.success(request, _("Payouts now go to the new bankgiro. Every signatory and "
                                    "administrator has been told by e-mail."))
        return redirect("creditors:company")

    return bankid_page(request, purpose=BANKGIRO, template="creditors/bankgiro.html",
                       context={"new": new, "creditor": creditor,
                                "start_label": _("Sign the change with BankID")},
                       on_complete=changed, sign_text=bankgiro_change_text(creditor, new))
