"""The creditor's side of integration partners (issue 7): the link a partner's onboarding gives
(*Anslut via partner*), and revoking a partner's access."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from creditors.decorators import creditor_required
from creditors.forms import OnboardingForm
from creditors.middleware import SESSION_KEY
from creditors.models import Membership, PartnerGrant
from creditors.partners import (
    partner_grant_revoke,
    partner_onboarding_complete,
    partner_onboarding_existing,
    partner_onboarding_find,
    partner_onboarding_grant,
    partner_onboarding_prefill,
)
from creditors.services import CreditorError
from creditors.views import _show_errors


def partner_connect(request, token):
    """A partner's onboarding link: who the partner is and the company data it gave; logged
    in, Kom igång with those values prefilled, or, for a company the user already acts for,
    giving the partner access. An unknown, used or expired link is a 404."""
    onboarding = partner_onboarding_find(token, now=timezone.now())
    if onboarding is None:
        return render(request, "creditors/partner_invalid.html", status=404)
    context = {"onboarding": onboarding, "partner": onboarding.partner,
               "company": onboarding.company}
    if not request.user.is_authenticated:
        return render(request, "creditors/partner_connect.html", context)
    existing = partner_onboarding_existing(onboarding)
    membership = existing and Membership.objects.filter(
        user=request.user, creditor=existing, is_active=True).first()
    if membership:
        return _grant(request, onboarding, membership, context)
    return _register(request, onboarding, context)


def _register(request, onboarding, context):
    """Kom igång (the same form and service), then the partner's access, then the agreement."""
    form = OnboardingForm(request.POST or None, initial=partner_onboarding_prefill(onboarding))
    if request.method == "POST" and form.is_valid():
        try:
            creditor = partner_onboarding_complete(onboarding=onboarding, data=form.parsed,
                                                   user=request.user, now=timezone.now())
        except CreditorError as exc:
            _show_errors(form, exc)
        else:
            request.session[SESSION_KEY] = creditor.pk
            messages.success(request, _(
                "%(company)s is registered and %(partner)s has access. Last step: the "
                "signatory signs the service agreement with BankID.") % {
                "company": creditor.name, "partner": onboarding.partner.name})
            return redirect("creditors:agreement")  # Kom igång ends with the agreement
    return render(request, "creditors/partner_onboard.html", {**context, "form": form})


def _grant(request, onboarding, membership, context):
    """The company is already a customer and the user acts for it: its signatory or an
    administrator gives the partner access."""
    if request.method == "POST":
        if not membership.can_manage:
            raise PermissionDenied
        try:
            partner_onboarding_grant(onboarding=onboarding, user=request.user,
                                     now=timezone.now())
        except CreditorError as exc:
            messages.error(request, exc.message)
            return redirect(request.path)
        request.session[SESSION_KEY] = membership.creditor_id
        messages.success(request, _("%(partner)s now has access to %(company)s.") % {
            "partner": onboarding.partner.name, "company": membership.creditor.name})
        return redirect("creditors:company")
    return render(request, "creditors/partner_grant.html", {
        **context, "creditor": membership.creditor, "can_manage": membership.can_manage})


@creditor_required(manage=True)
@require_POST
def partner_revoke(request, grant_id):
    grant = get_object_or_404(PartnerGrant.objects.active().select_related("partner"),
                              pk=grant_id, creditor=request.creditor)
    try:
        partner_grant_revoke(grant=grant, by=request.user, now=timezone.now())
    except CreditorError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("%(partner)s no longer has access.") % {
            "partner": grant.partner.name})
    return redirect("creditors:company")
