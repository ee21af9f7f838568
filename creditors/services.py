"""Writes for the tenant: onboarding, invitations, memberships and API keys."""

import secrets
from dataclasses import asdict
from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from creditors.models import (
    AgreementSignature,
    ApiKey,
    BankgiroChange,
    CollectionPolicy,
    Creditor,
    Invitation,
    Membership,
    UserIdentity,
    token_digest,
)
from creditors.onboarding import CreditorInput
from ekrav.errors import DomainError
from ekrav.identifiers import format_identity
from ekrav.memo import memoized

INVITATION_DAYS = 14


class CreditorError(DomainError):
    """A rule of onboarding, invitations or keys refused the write."""


def _already_customer():
    return {"organisation_number": [_("This organisation number is already registered with "
                                      "ekrav. Ask the company's signatory to invite you.")]}


@transaction.atomic
def creditor_onboard(*, data: CreditorInput, signatory=None) -> Creditor:
    """Create the creditor company; the user who signs up becomes its signatory."""
    if Creditor.objects.filter(organisation_number=data.organisation_number).exists():
        raise CreditorError(_already_customer(), code="already_registered")
    try:
        with transaction.atomic():
            creditor = Creditor.objects.create(**asdict(data))
    except IntegrityError:
        raise CreditorError(_already_customer(), code="already_registered") from None
    CollectionPolicy.objects.create(creditor=creditor)  # the defaults of the law and the issue
    if signatory is not None:
        Membership.objects.create(user=signatory, creditor=creditor,
                                  role=Membership.Role.SIGNATORY)
    return creditor


def invitation_create(*, creditor, email: str, role: str, invited_by, accept_url) -> Invitation:
    """Invite a person by e-mail. ``accept_url(token)`` builds the link sent to them."""
    email = email.strip().lower()
    if role not in (Membership.Role.ADMIN, Membership.Role.USER):
        raise CreditorError({"role": [_("Choose administrator or user.")]})
    if Membership.objects.filter(creditor=creditor, user__email__iexact=email,
                                 is_active=True).exists():
        raise CreditorError({"email": [_("%(email)s already has access to %(company)s.") % {
            "email": email, "company": creditor.name}]})
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        creditor=creditor, email=email, role=role, token_hash=token_digest(token),
        invited_by=invited_by, expires_at=timezone.now() + timedelta(days=INVITATION_DAYS))
    context = {"creditor": creditor, "invited_by": invited_by, "url": accept_url(token),
               "days": INVITATION_DAYS, "role": invitation.get_role_display()}
    body = render_to_string("creditors/email/invitation.txt", context)
    subject = _("%(company)s invites you to ekrav") % {"company": creditor.name}
    transaction.on_commit(lambda: send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [email]))
    return invitation


def invitation_find(token: str):
    """The open invitation for this token, or None (unknown, used or expired are alike)."""
    return (Invitation.objects.select_related("creditor")
            .filter(token_hash=token_digest(token), accepted_at__isnull=True,
                    expires_at__gt=timezone.now()).first())


@transaction.atomic
def invitation_accept(*, invitation: Invitation, user) -> Membership:
    if user.email.lower() != invitation.email.lower():
        raise CreditorError({"email": [_("This invitation was sent to %(email)s. Log in with "
                                         "that address to accept it.") % {
            "email": invitation.email}]})
    taken = (Invitation.objects.filter(pk=invitation.pk, accepted_at__isnull=True)
             .update(accepted_at=timezone.now(), accepted_by=user))
    if taken != 1:
        raise CreditorError({"token": [_("This invitation has already been used.")]})
    membership, created = Membership.objects.get_or_create(
        user=user, creditor=invitation.creditor, defaults={"role": invitation.role})
    if not created and not membership.is_active:
        membership.is_active = True
        membership.role = invitation.role
        membership.save(update_fields=["is_active", "role"])
    return membership


def membership_deactivate(*, membership: Membership, by) -> None:
    if membership.role == Membership.Role.SIGNATORY:
        raise CreditorError({"role": [_("The signatory cannot be removed.")]})
    if membership.user_id == by.pk:
        raise CreditorError({"role": [_("You cannot remove yourself.")]})
    Membership.objects.filter(pk=membership.pk).update(is_active=False)


def api_key_create(*, creditor, name: str, created_by=None) -> tuple[ApiKey, str]:
    """A new API key; the secret is returned once and only its digest is stored."""
    return bearer_key_create(ApiKey, name=name, creditor=creditor, created_by=created_by)


def api_key_authenticate(secret: str):
    """The creditor a bearer key belongs to, or None."""
    key = bearer_key_find(ApiKey.objects.select_related("creditor"), secret)
    return key.creditor if key else None


def bearer_key_create(model, *, name: str, **owner):
    """A new key of ``model`` (a ``BearerKey``: a creditor's or a partner's) for ``owner``;
    the secret is returned once and only its digest is stored."""
    name = (name or "").strip() or str(_("API key"))
    secret = model.PREFIX + secrets.token_urlsafe(32)
    # The first characters, shown so a key can be recognised without revealing it.
    key = model.objects.create(name=name[:100], prefix=secret[:len(model.PREFIX) + 8],
                               key_hash=token_digest(secret), **owner)
    return key, secret


def bearer_key_find(keys, secret: str):
    """The unrevoked key of the queryset ``keys`` whose secret this is, or None; its use is
    noted (``key_used``). Read once per request (ekrav.memo): the API authenticates a POST
    with an Idempotency-Key twice, for the key's scope and for the operation."""
    if not secret or not secret.startswith(keys.model.PREFIX):
        return None
    digest = token_digest(secret)
    return memoized(f"bearer_key:{keys.model._meta.label}:{digest}",
                    lambda: _bearer_key_read(keys, digest))


def _bearer_key_read(keys, digest: str):
    key = keys.filter(key_hash=digest, revoked_at__isnull=True).first()
    if key is not None:
        key_used(key)
    return key


def key_used(key) -> None:
    """Note when an API key (a creditor's or a partner's) was last used: at most once a
    minute, so a busy integration does not write on every request, and after the request's
    transaction commits. Within it (ATOMIC_REQUESTS) the key's row would stay locked until the
    request ended, and every other request with the same key would wait for it."""
    now = timezone.now()
    if key.last_used_at is None or now - key.last_used_at > timedelta(minutes=1):
        model, pk = type(key), key.pk
        transaction.on_commit(lambda: model.objects.filter(pk=pk).update(last_used_at=now))


def api_key_revoke(*, key: ApiKey) -> None:
    ApiKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())


def creditor_label(creditor) -> str:
    return f"{creditor.name} ({format_identity(creditor.organisation_number)})"


POLICY_FIELDS = ("reminder_deadline_days", "demand_deadline_days", "grace_days",
                 "charge_reminder_fee", "interest_enabled", "decide_automatically",
                 "plan_max_months")


@transaction.atomic
def policy_update(*, creditor, cleaned: dict, by) -> None:
    """Kravpolicy: the settings a creditor may change (the form has checked their ranges);
    the database's constraints hold the legal minimums whatever the caller."""
    from creditors.models import CollectionPolicy

    policy = CollectionPolicy.objects.select_for_update().get(creditor=creditor)
    for field in POLICY_FIELDS:
        setattr(policy, field, cleaned[field])
    policy.kronofogden_min_capital_ore = cleaned["kronofogden_min_capital"]
    policy.plan_min_instalment_ore = cleaned["plan_min_instalment"]
    policy.save()


@transaction.atomic
def identity_link(*, user, personal_number: str, name: str, now) -> UserIdentity:
    """Link the personnummer a BankID identification just verified to ``user``, who is logged
    in: from now on they can log in with BankID. One account per person and one person per
    account: a personnummer linked elsewhere, or another one on this account, is refused."""
    taken = (UserIdentity.objects.select_for_update().filter(personal_number=personal_number)
             .exclude(user=user).exists())
    if taken:
        raise CreditorError({"bankid": [_("This BankID is already linked to another account "
                                          "at ekrav.")]}, code="identity_taken")
    identity = UserIdentity.objects.select_for_update().filter(user=user).first()
    if identity is not None and identity.personal_number != personal_number:
        raise CreditorError({"bankid": [_("Your account is linked to another person's BankID. "
                                          "Ask us to remove that link first.")]},
                            code="identity_other")
    if identity is None:
        identity = UserIdentity(user=user, personal_number=personal_number)
    identity.name, identity.verified_at = name[:200], now
    try:
        with transaction.atomic():
            identity.save()
    except IntegrityError:  # linked elsewhere between our check and the write
        raise CreditorError({"bankid": [_("This BankID is already linked to another account "
                                          "at ekrav.")]}, code="identity_taken") from None
    return identity


def user_by_personal_number(personal_number: str):
    """The active user whose account this verified personnummer is linked to, or None."""
    identity = (UserIdentity.objects.select_related("user")
                .filter(personal_number=personal_number, user__is_active=True).first())
    return identity.user if identity else None


# --- The service agreement, signed with BankID ------------------------------------------------

def agreement_text_for(creditor) -> str:
    """The agreement's current text for ``creditor`` (creditors.agreement), as signed."""
    from creditors import agreement
    from ekrav.identifiers import format_bankgiro

    agency = settings.AGENCY
    return agreement.agreement_text(agreement.Parties(
        company=creditor.name, organisation_number=format_identity(creditor.organisation_number),
        bankgiro=format_bankgiro(creditor.bankgiro), agency=agency["name"],
        agency_organisation_number=agency["organisation_number"]))


def agreement_signed(creditor) -> bool:
    """Whether the company has signed the service agreement, in any version: ekrav collects
    on that mandate (a new version asks for a new signature, but the old one still holds)."""
    return AgreementSignature.objects.filter(creditor=creditor).exists()


def agreement_current_signed(creditor) -> bool:
    """Whether the agreement's current version is signed (``agreement_of`` without reading
    the signed text and its evidence: the overview's banner asks on every visit)."""
    from creditors.agreement import VERSION

    return AgreementSignature.objects.filter(creditor=creditor, version=VERSION).exists()


def agreement_of(creditor):
    """The signature of the agreement's current version, or None: not signed yet."""
    from creditors.agreement import VERSION

    return AgreementSignature.objects.filter(creditor=creditor, version=VERSION).first()


@transaction.atomic
def agreement_sign(*, creditor, user, completion, now) -> AgreementSignature:
    """Keep the agreement as the signatory signed it with BankID. Only the personnummer
    registered as the company's signatory (firmatecknare) may sign, only for a company the user
    acts for, and only the text of the agreement as it stands: BankID's signature must hold it."""
    from creditors.agreement import VERSION

    Creditor.objects.select_for_update().get(pk=creditor.pk)
    signed = agreement_of(creditor)
    if signed is not None:
        return signed
    if not Membership.objects.filter(user=user, creditor=creditor, is_active=True).exists():
        raise CreditorError({"bankid": [_("You do not act for this company.")]},
                            code="not_member")
    text = agreement_text_for(creditor)
    _check_signatory(creditor, completion, text)
    return AgreementSignature.objects.create(creditor=creditor, version=VERSION, signed_by=user,
                                             signed_at=now, **_evidence(completion, text))


def _check_signatory(creditor, completion, text: str) -> None:
    """A BankID signature by the personnummer registered as the company's signatory
    (firmatecknare), of exactly ``text``: otherwise refused."""
    from ekrav.bankid import encode_text

    if not creditor.contact_personnummer or \
            completion.personal_number != creditor.contact_personnummer:
        raise CreditorError({"bankid": [_(
            "Only the company's signatory can sign this: the personnummer registered for "
            "%(company)s is not the one who signed.") % {"company": creditor.name}]},
            code="not_signatory")
    if encode_text(text).encode() not in completion.signature_xml:
        raise CreditorError({"bankid": [_("The signature is not of this text as it stands now: "
                                          "sign again.")]}, code="text_changed")


def _evidence(completion, text: str) -> dict:
    """The fields of a ``BankIdEvidence`` from BankID's completion of a signature of ``text``."""
    return {"text": text, "personal_number": completion.personal_number,
            "name": completion.name[:200], "signature": completion.signature,
            "ocsp_response": completion.ocsp_response,
            "ip_address": completion.ip_address[:45]}


def bankgiro_change_text(creditor, new_bankgiro: str) -> str:
    """What the signatory signs to move the company's payouts to another bankgiro."""
    from ekrav.identifiers import format_bankgiro

    return (f"Byte av utbetalningskonto för {creditor.name} "
            f"(org.nr {format_identity(creditor.organisation_number)}): utbetalningar från "
            f"ekrav görs från och med nu till bankgiro {format_bankgiro(new_bankgiro)} i stället "
            f"för bankgiro {format_bankgiro(creditor.bankgiro)}. Jag intygar att jag är "
            "behörig firmatecknare och att kontot tillhör företaget.")


@transaction.atomic
def payout_bankgiro_change(*, creditor, user, new_bankgiro: str, completion, now,
                           manage_url: str) -> BankgiroChange:
    """Move the payouts to ``new_bankgiro``: only a user who manages the company (not an
    ordinary user), signed with BankID by the company's signatory; every signatory and
    administrator is told by e-mail at once (after commit), so a redirection nobody asked for
    is seen the same day."""
    locked = Creditor.objects.select_for_update().get(pk=creditor.pk)
    membership = Membership.objects.filter(user=user, creditor=locked, is_active=True).first()
    if membership is None or not membership.can_manage:
        raise CreditorError({"bankid": [_("Only the company's signatory or an administrator "
                                          "can change the payout bankgiro.")]},
                            code="not_manager")
    if new_bankgiro == locked.bankgiro:
        raise CreditorError({"bankgiro": [_("That is the bankgiro payouts go to already.")]},
                            code="same_bankgiro")
    text = bankgiro_change_text(locked, new_bankgiro)
    _check_signatory(locked, completion, text)
    change = BankgiroChange.objects.create(
        creditor=locked, old_bankgiro=locked.bankgiro, new_bankgiro=new_bankgiro,
        changed_by=user, changed_at=now, **_evidence(completion, text))
    locked.bankgiro = new_bankgiro
    locked.save(update_fields=["bankgiro"])  # a save: the audit trail records the change
    creditor.bankgiro = new_bankgiro
    managers = list(Membership.objects.filter(
        creditor=locked, is_active=True,
        role__in=[Membership.Role.SIGNATORY, Membership.Role.ADMIN])
        .values_list("user__email", flat=True))
    subject = _("ekrav: the payout bankgiro of %(company)s was changed") % {
        "company": locked.name}
    body = render_to_string("creditors/email/bankgiro_changed.txt", {
        "change": change, "creditor": locked, "user": user, "manage_url": manage_url})
    transaction.on_commit(lambda: send_mail(subject, body, settings.DEFAULT_FROM_EMAIL,
                                            managers))
    return change
