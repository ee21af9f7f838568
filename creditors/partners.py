"""Integration partners (issue 7): an e-invoicing operator's API key acts for the creditors
that granted it access, and a partner starts a company's onboarding with its data prefilled.

- A partner key (``ekp_…``) names the creditor it acts for in every request; it reaches only a
  creditor with a grant in force. Unknown company, no grant and a revoked grant are alike, so a
  partner never learns whether a company is ekrav's customer.
- An onboarding is a one-time link (30 days) to Kom igång with the partner's values prefilled.
  ekrav e-mails it to the company's contact person, unless the partner delivers it itself.
  The same link serves a company that is already a customer: its signatory or administrator
  grants the access instead of registering again. The partner sees "pending" until either
  happens, and cannot tell the two apart.
"""

import logging
import secrets
from datetime import timedelta
from typing import Any, Mapping

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from creditors.models import (
    AgreementSignature,
    Creditor,
    Membership,
    Partner,
    PartnerApiKey,
    PartnerGrant,
    PartnerOnboarding,
    token_digest,
)
from creditors.onboarding import CreditorInput, parse_onboarding
from creditors.services import (
    CreditorError,
    bearer_key_create,
    bearer_key_find,
    creditor_onboard,
)
from ekrav.identifiers import (
    IdentifierError,
    mask_identity,
    normalize_company_identity,
    normalize_organisationsnummer,
    normalize_personnummer,
)

ONBOARDING_DAYS = 30
# What the partner gives (Kom igång's fields, checked by its rules) ...
PARTNER_FIELDS = ("organisation_number", "form", "name", "street", "postal_code", "city",
                  "f_tax_confirmed", "contact_name", "contact_personnummer", "contact_phone")
# ... and what only the company itself gives, when it completes Kom igång.
COMPANY_GIVES = ("bankgiro", "report_email", "default_invoice_text")
PARTNER_REQUIRED = ("contact_name", "contact_personnummer", "contact_email")

log = logging.getLogger(__name__)


# --- Keys ------------------------------------------------------------------------------------

def partner_key_create(*, partner: Partner, name: str) -> tuple[PartnerApiKey, str]:
    """A new partner key; the secret is returned once and only its digest is stored."""
    return bearer_key_create(PartnerApiKey, name=name, partner=partner)


def partner_key_authenticate(secret: str):
    """The active partner key for a bearer secret, or None."""
    return bearer_key_find(PartnerApiKey.objects.select_related("partner")
                           .filter(partner__is_active=True), secret)


def partner_key_revoke(*, key: PartnerApiKey) -> None:
    PartnerApiKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now())


def creditor_identity(value: str, *, today) -> str:
    """The stored identity of a creditor named by a caller: an organisationsnummer (with or
    without hyphen, or 16-prefixed) or, for an enskild firma, the owner's personnummer.
    Raises ``IdentifierError``."""
    try:
        return normalize_organisationsnummer(value)
    except IdentifierError:
        try:
            return normalize_personnummer(value, today=today)
        except IdentifierError:
            raise IdentifierError(_("Name the creditor by its organisation number, e.g. "
                                    "556036-0793.")) from None


def partner_creditor(*, partner: Partner, identity: str):
    """The creditor ``identity`` (normalized) that granted ``partner`` access, or None."""
    return Creditor.objects.filter(
        organisation_number=identity, partner_grants__partner=partner,
        partner_grants__revoked_at__isnull=True).first()


def partner_creditors(partner: Partner):
    """The grants in force of ``partner``, with their creditors."""
    signed = AgreementSignature.objects.filter(creditor=OuterRef("creditor"))
    return (PartnerGrant.objects.active().filter(partner=partner).select_related("creditor")
            .annotate(agreement_signed=Exists(signed)).order_by("creditor__name"))


# --- Grants ----------------------------------------------------------------------------------

@transaction.atomic
def partner_grant_create(*, creditor, partner, granted_by, now, customer_id="") -> PartnerGrant:
    """Let ``partner`` act for ``creditor``; a grant already in force is kept as it is."""
    existing = PartnerGrant.objects.active().filter(creditor=creditor, partner=partner).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return PartnerGrant.objects.create(creditor=creditor, partner=partner,
                                               granted_by=granted_by, granted_at=now,
                                               customer_id=customer_id[:100])
    except IntegrityError:  # granted at the same moment by someone else: theirs stands
        return PartnerGrant.objects.active().get(creditor=creditor, partner=partner)


def partner_grant_revoke(*, grant: PartnerGrant, by, now) -> None:
    """End the partner's access: only the company's signatory or an administrator."""
    membership = Membership.objects.filter(user=by, creditor_id=grant.creditor_id,
                                           is_active=True).first()
    if membership is None or not membership.can_manage:
        raise CreditorError({"partner": [_("Only the company's signatory or an administrator "
                                           "can revoke a partner's access.")]},
                            code="not_manager")
    PartnerGrant.objects.filter(pk=grant.pk, revoked_at__isnull=True).update(
        revoked_at=now, revoked_by=by)


# --- Onboarding started by a partner ---------------------------------------------------------

def parse_partner_company(data: Mapping[str, Any], *, today):
    """The partner's company data checked by Kom igång's own rules (``parse_onboarding``),
    less what only the company gives, plus the contact person the agreement needs.
    Returns ``(values, {})`` or ``(None, {field: [reason]})``."""
    given = {field: data.get(field) for field in PARTNER_FIELDS}
    _parsed, errors = parse_onboarding(given, today=today)
    errors = {field: reasons for field, reasons in errors.items() if field not in COMPANY_GIVES}
    for field in PARTNER_REQUIRED:
        if not str(data.get(field) or "").strip():
            errors.setdefault(field, []).append(_("This field is required."))
    email = str(data.get("contact_email") or "").strip()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            errors.setdefault("contact_email", []).append(_("Enter a valid e-mail address."))
    if errors:
        return None, errors
    values = {field: str(data.get(field) or "").strip() for field in PARTNER_FIELDS
              if field != "f_tax_confirmed"}
    values["form"] = values["form"].upper()
    values["organisation_number"] = normalize_company_identity(
        values["organisation_number"], values["form"], today=today)
    values["contact_email"] = email.lower()
    return values, {}


def partner_onboarding_create(*, partner, data: Mapping[str, Any], customer_id: str = "",
                              now, send_email: bool = True) -> tuple[PartnerOnboarding, str]:
    """An onboarding link for a company; the token is returned once. The same answer whether
    or not the company is already ekrav's customer (the link handles both). With
    ``send_email`` ekrav e-mails the link to the contact person once the onboarding is saved;
    without it the partner delivers the link itself."""
    values, errors = parse_partner_company(data, today=timezone.localdate(now))
    if errors:
        raise CreditorError(errors, code="invalid")
    token = secrets.token_urlsafe(32)
    contact_email = values.pop("contact_email")
    onboarding = PartnerOnboarding.objects.create(
        partner=partner, token_hash=token_digest(token),
        organisation_number=values["organisation_number"], company=values,
        contact_email=contact_email, customer_id=(customer_id or "").strip()[:100],
        expires_at=now + timedelta(days=ONBOARDING_DAYS))
    if send_email:
        # After the commit: never a link to an onboarding rolled back (an idempotent replay
        # runs nothing, so it sends nothing). Robust: the onboarding stands, and the API
        # answers, whatever the mail server does. The token lives only in this closure.
        pk = onboarding.pk
        transaction.on_commit(lambda: partner_onboarding_email(onboarding_id=pk, token=token),
                              robust=True)
    return onboarding, token


def partner_onboarding_url(token: str) -> str:
    """The link's absolute address, as the API answers it and the e-mail gives it."""
    return settings.SITE_URL.rstrip("/") + reverse("creditors:partner_connect", args=[token])


def partner_onboarding_email(*, onboarding_id: int, token: str) -> int:
    """E-mail the link to the onboarding's contact person, once. The token goes only to the
    address the onboarding holds, and only with the onboarding it opens (any other token is
    refused). 1 when sent; 0 when sent before, or the mail server failed: the token is not
    kept, so it is not retried, and the partner sees no ``emailed_at``."""
    with transaction.atomic():
        onboarding = (PartnerOnboarding.objects.select_for_update(of=("self",))
                      .select_related("partner")
                      .filter(pk=onboarding_id, token_hash=token_digest(token),
                              emailed_at__isnull=True).first())
        if onboarding is None:
            return 0
        subject, body = _onboarding_email_render(onboarding, token)
        try:
            send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [onboarding.contact_email])
        except OSError as exc:  # smtplib's errors are OSErrors
            log.warning("partner onboarding %s: the link was not e-mailed: %s",
                        onboarding_id, exc)
            return 0
        PartnerOnboarding.objects.filter(pk=onboarding_id).update(emailed_at=timezone.now())
    return 1


def _onboarding_email_render(onboarding: PartnerOnboarding, token: str) -> tuple[str, str]:
    """In Swedish: the company is Swedish, and the partner's request says nothing of its
    language."""
    partner = onboarding.partner.name
    context = {"partner": partner, "company": onboarding.company.get("name", ""),
               # a sole trader's personnummer, masked: e-mail is no place for it
               "organisation_number": mask_identity(onboarding.organisation_number),
               "contact_name": onboarding.company.get("contact_name", ""),
               "url": partner_onboarding_url(token), "expires_at": onboarding.expires_at,
               "support_email": settings.AGENCY["email"]}
    with translation.override("sv"):
        subject = _("%(partner)s has invited you to ekrav") % {"partner": partner}
        body = render_to_string("creditors/email/partner_onboarding.txt", context)
    return subject, body


def partner_onboarding_find(token: str, *, now):
    """The open onboarding for this token, or None (unknown, used or expired are alike)."""
    return (PartnerOnboarding.objects.select_related("partner")
            .filter(token_hash=token_digest(token), completed_at__isnull=True,
                    expires_at__gt=now, partner__is_active=True).first())


def partner_onboarding_prefill(onboarding: PartnerOnboarding) -> dict:
    """Kom igång's initial values: what the partner gave; reports go to the contact person."""
    return {**onboarding.company, "f_tax_confirmed": True,
            "report_email": onboarding.contact_email}


def partner_onboarding_existing(onboarding: PartnerOnboarding):
    """The company this onboarding names, when it is already a customer (else None)."""
    return Creditor.objects.filter(organisation_number=onboarding.organisation_number).first()


def _complete(onboarding, *, creditor, user, now) -> PartnerGrant:
    """Use the link once (compare-and-set) and grant the partner access."""
    taken = (PartnerOnboarding.objects
             .filter(pk=onboarding.pk, completed_at__isnull=True, expires_at__gt=now)
             .update(completed_at=now, completed_by=user, creditor=creditor))
    if taken != 1:
        raise CreditorError({"token": [_("This link has expired or has already been used.")]},
                            code="onboarding_used")
    onboarding.completed_at, onboarding.completed_by, onboarding.creditor = now, user, creditor
    return partner_grant_create(creditor=creditor, partner=onboarding.partner, granted_by=user,
                                now=now, customer_id=onboarding.customer_id)


@transaction.atomic
def partner_onboarding_complete(*, onboarding, data: CreditorInput, user, now) -> Creditor:
    """Kom igång from the partner's link: the company is registered (``creditor_onboard``,
    the user its signatory) and the partner gets access, in one transaction."""
    creditor = creditor_onboard(data=data, signatory=user)
    _complete(onboarding, creditor=creditor, user=user, now=now)
    return creditor


@transaction.atomic
def partner_onboarding_grant(*, onboarding, user, now) -> PartnerGrant:
    """The link opened for a company that is already a customer: its signatory or
    administrator grants the partner access."""
    creditor = partner_onboarding_existing(onboarding)
    membership = Membership.objects.filter(user=user, creditor=creditor, is_active=True).first()
    if membership is None or not membership.can_manage:
        raise CreditorError({"partner": [_("Only the company's signatory or an administrator "
                                           "can give a partner access.")]},
                            code="not_manager")
    return _complete(onboarding, creditor=creditor, user=user, now=now)
