from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from creditors.decorators import creditor_required
from creditors.forms import ApiKeyForm, InvitationForm, OnboardingForm, PolicyForm
from creditors.middleware import SESSION_KEY
from creditors.models import ApiKey, Membership, PartnerGrant
from creditors.services import (
    CreditorError,
    api_key_create,
    api_key_revoke,
    creditor_onboard,
    invitation_accept,
    invitation_create,
    invitation_find,
    membership_deactivate,
    policy_update,
)


def _show_errors(form, exc: CreditorError):
    for field, msgs in exc.errors.items():
        for msg in msgs:
            form.add_error(field if field in form.fields else None, msg)


@login_required
def onboard(request):
    """Kom igång, and "Registrera nytt företag" from the company menu."""
    form = OnboardingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            creditor = creditor_onboard(data=form.parsed, signatory=request.user)
        except CreditorError as exc:
            _show_errors(form, exc)
        else:
            request.session[SESSION_KEY] = creditor.pk
            messages.success(request, _("%(company)s is registered. Welcome to ekrav! Last "
                                        "step: the signatory signs the service agreement with "
                                        "BankID.") % {"company": creditor.name})
            return redirect("creditors:agreement")  # Kom igång ends with the agreement
    return render(request, "creditors/onboard.html", {"form": form})


@login_required
@require_POST
def switch(request):
    """Switch the active company; takes effect on the very next page."""
    try:
        creditor_id = int(request.POST.get("creditor", ""))
    except ValueError:
        raise Http404 from None
    membership = get_object_or_404(Membership, user=request.user, creditor_id=creditor_id,
                                   is_active=True)
    request.session[SESSION_KEY] = membership.creditor_id
    messages.info(request, _("You are now working for %(company)s.") % {
        "company": membership.creditor.name})
    return redirect("claims:overview")


@creditor_required
def company(request):
    grants = (PartnerGrant.objects.active().filter(creditor=request.creditor)
              .select_related("partner", "granted_by"))
    return render(request, "creditors/company.html", {"creditor": request.creditor,
                                                      "grants": grants})


@creditor_required
def policy(request):
    """Kravpolicy: everyone sees it; signatories and administrators change it."""
    stored = request.creditor.policy
    can_manage = request.membership.can_manage
    form = PolicyForm.of(stored, request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied
        if form.is_valid():
            policy_update(creditor=request.creditor, cleaned=form.cleaned_data,
                          by=request.user)
            messages.success(request, _("The collection policy is saved. It applies to the "
                                        "next step of every claim."))
            return redirect("creditors:policy")
    return render(request, "creditors/policy.html", {
        "form": form, "can_manage": can_manage,
        "commission": stored.surveillance_commission_percent.normalize()
        if stored.surveillance_commission_percent else None})


@creditor_required
def users(request):
    creditor = request.creditor
    form = InvitationForm(request.POST or None)
    if request.method == "POST":
        if not request.membership.can_manage:
            raise Http404
        if form.is_valid():
            try:
                invitation_create(
                    creditor=creditor, email=form.cleaned_data["email"],
                    role=form.cleaned_data["role"], invited_by=request.user,
                    accept_url=lambda t: request.build_absolute_uri(
                        reverse("creditors:invitation", args=[t])))
            except CreditorError as exc:
                _show_errors(form, exc)
            else:
                messages.success(request, _("An invitation was sent to %(email)s.") % {
                    "email": form.cleaned_data["email"]})
                return redirect("creditors:users")
    memberships = (Membership.objects.filter(creditor=creditor, is_active=True)
                   .select_related("user").order_by("role", "user__email"))
    invitations = creditor.invitations.filter(accepted_at__isnull=True).order_by("-created_at")
    return render(request, "creditors/users.html", {
        "form": form, "memberships": memberships, "invitations": invitations})


@creditor_required(manage=True)
@require_POST
def user_remove(request, membership_id):
    membership = get_object_or_404(Membership, pk=membership_id, creditor=request.creditor,
                                   is_active=True)
    try:
        membership_deactivate(membership=membership, by=request.user)
    except CreditorError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("%(email)s no longer has access.") % {
            "email": membership.user.email})
    return redirect("creditors:users")


def invitation(request, token):
    """Accept an invitation; someone without an account signs up or logs in first."""
    found = invitation_find(token)
    if found is None:
        return render(request, "creditors/invitation_invalid.html", status=404)
    if not request.user.is_authenticated:
        request.session["pending_invitation"] = token
        return render(request, "creditors/invitation.html", {"invitation": found})
    if request.method == "POST":
        try:
            invitation_accept(invitation=found, user=request.user)
        except CreditorError as exc:
            messages.error(request, exc.message)
            return redirect("creditors:invitation", token=token)
        request.session[SESSION_KEY] = found.creditor_id
        messages.success(request, _("You now have access to %(company)s.") % {
            "company": found.creditor.name})
        return redirect("claims:overview")
    return render(request, "creditors/invitation.html", {"invitation": found})


@creditor_required(manage=True)
def api_keys(request):
    form = ApiKeyForm(request.POST or None)
    secret = None
    if request.method == "POST" and form.is_valid():
        _key, secret = api_key_create(creditor=request.creditor, name=form.cleaned_data["name"],
                                      created_by=request.user)
        form = ApiKeyForm()
    keys = ApiKey.objects.filter(creditor=request.creditor, revoked_at__isnull=True)
    return render(request, "creditors/api_keys.html",
                  {"form": form, "keys": keys, "secret": secret})


@creditor_required(manage=True)
@require_POST
def api_key_delete(request, key_id):
    key = get_object_or_404(ApiKey, pk=key_id, creditor=request.creditor,
                            revoked_at__isnull=True)
    api_key_revoke(key=key)
    messages.success(request, _("The API key \"%(name)s\" was revoked.") % {"name": key.name})
    return redirect("creditors:api_keys")
