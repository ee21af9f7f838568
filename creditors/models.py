"""The tenant: a creditor company, the people who act for it, and its API keys."""

import hashlib

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ekrav.identifiers import mask_identity


class CreditorQuerySet(models.QuerySet):
    def for_user(self, user):
        """The companies a user may act for (one person can run several)."""
        return self.filter(memberships__user=user, memberships__is_active=True)


class Creditor(models.Model):
    """Uppdragsgivare (UG): a company that hands its unpaid invoices to ekrav."""

    class Form(models.TextChoices):
        AB = "AB", _("Limited company (AB)")
        HB = "HB", _("Trading partnership (HB)")
        KB = "KB", _("Limited partnership (KB)")
        EF = "EF", _("Sole trader (enskild firma)")

    # 10 digits for AB/HB/KB; the owner's 12-digit personnummer for an enskild firma.
    organisation_number = models.CharField(_("organisation number"), max_length=12, unique=True)
    form = models.CharField(_("company form"), max_length=2, choices=Form.choices)
    name = models.CharField(_("company name"), max_length=200)
    street = models.CharField(_("street address"), max_length=200)
    postal_code = models.CharField(_("postal code"), max_length=5)
    city = models.CharField(_("city"), max_length=100)
    bankgiro = models.CharField(_("bankgiro"), max_length=8)
    f_tax_confirmed = models.BooleanField(_("F-tax confirmed"), default=False)
    report_email = models.EmailField(_("report e-mail"))
    default_invoice_text = models.CharField(_("default \"invoice concerns\" text"), max_length=200,
                                            blank=True)
    contact_name = models.CharField(_("contact person"), max_length=200, blank=True)
    contact_personnummer = models.CharField(_("contact person's personnummer"), max_length=12,
                                            blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=20, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CreditorQuerySet.as_manager()

    class Meta:
        verbose_name = _("creditor")
        verbose_name_plural = _("creditors")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=models.Q(f_tax_confirmed=True),
                                   name="creditor_has_f_tax"),
        ]

    def __str__(self):
        return self.name


class Membership(models.Model):
    """A user acting for a creditor, with a role. The signatory is firmatecknare."""

    class Role(models.TextChoices):
        SIGNATORY = "signatory", _("Signatory")
        ADMIN = "admin", _("Administrator")
        USER = "user", _("User")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="memberships")
    creditor = models.ForeignKey(Creditor, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.USER)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["user", "creditor"], name="membership_unique"),
        ]

    def __str__(self):
        return f"{self.user} @ {self.creditor} ({self.role})"

    @property
    def can_manage(self):
        """Signatories and administrators invite users and hold API keys."""
        return self.role in (self.Role.SIGNATORY, self.Role.ADMIN)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Invitation(models.Model):
    """An e-mailed invitation to act for a creditor; the token is stored hashed."""

    creditor = models.ForeignKey(Creditor, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField(_("e-mail"))
    role = models.CharField(_("role"), max_length=10, choices=Membership.Role.choices)
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.email} → {self.creditor}"


class BearerKey(models.Model):
    """An API secret: shown once, stored as a SHA-256 digest (``creditors.services``)."""

    name = models.CharField(_("name"), max_length=100)
    # The first characters, shown in the portal so a key can be recognised without revealing it.
    prefix = models.CharField(max_length=12)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True
        ordering = ["-created_at"]


class ApiKey(BearerKey):
    """A creditor's key for the API."""

    PREFIX = "ek_"

    creditor = models.ForeignKey(Creditor, on_delete=models.CASCADE, related_name="api_keys")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")

    class Meta(BearerKey.Meta):
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")

    def __str__(self):
        return f"{self.prefix}… ({self.creditor})"


class CollectionPolicy(models.Model):
    """Kravpolicy: how a creditor's claims are collected, within what the law allows."""

    creditor = models.OneToOneField(Creditor, on_delete=models.CASCADE, related_name="policy")
    reminder_deadline_days = models.PositiveSmallIntegerField(
        _("days to pay after the reminder"), default=10)
    grace_days = models.PositiveSmallIntegerField(
        _("days of grace for payments in transit"), default=5)
    demand_deadline_days = models.PositiveSmallIntegerField(
        _("days to pay after the collection demand"), default=10,
        help_text=_("At least 8 days (good collection practice)."))
    charge_reminder_fee = models.BooleanField(
        _("charge the reminder fee where it was agreed"), default=True)
    interest_enabled = models.BooleanField(_("charge late-payment interest"), default=True)
    # After the collection demand (claims.decision): decide by these rules where they can, or
    # always ask the creditor in the decision inbox.
    decide_automatically = models.BooleanField(
        _("decide after the collection demand by these rules"), default=False,
        help_text=_("Otherwise every claim waits for your decision in the decision inbox."))
    kronofogden_min_capital_ore = models.BigIntegerField(
        _("apply to Kronofogden from this capital (öre)"), default=100000,
        help_text=_("When the debtor is solvent. Below it, and when the debtor cannot pay, the "
                    "claim goes to long-term surveillance."))
    # Amorteringsplan: what a debtor may set up in Mitt Ärende without asking the creditor.
    plan_max_months = models.PositiveSmallIntegerField(
        _("instalment plans: at most (months)"), default=6)
    plan_min_instalment_ore = models.BigIntegerField(
        _("instalment plans: at least (öre a month)"), default=20000)
    # The agency's price list for this creditor (set by staff, not the creditor): commission
    # on the capital collected while a claim is under efterbevakning (payments.settlements).
    surveillance_commission_percent = models.DecimalField(
        _("commission on capital collected in efterbevakning (%)"), max_digits=5,
        decimal_places=2, default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("collection policy")
        verbose_name_plural = _("collection policies")
        constraints = [
            models.CheckConstraint(condition=models.Q(demand_deadline_days__gte=8),
                                   name="policy_demand_deadline_at_least_8"),
            models.CheckConstraint(condition=models.Q(reminder_deadline_days__gte=1),
                                   name="policy_reminder_deadline_positive"),
            models.CheckConstraint(condition=models.Q(kronofogden_min_capital_ore__gte=0),
                                   name="policy_kronofogden_min_not_negative"),
            models.CheckConstraint(condition=models.Q(plan_max_months__lte=36,
                                                      plan_min_instalment_ore__gte=0),
                                   name="policy_plan_limits"),
            models.CheckConstraint(condition=models.Q(surveillance_commission_percent__gte=0,
                                                      surveillance_commission_percent__lte=100),
                                   name="policy_commission_percent"),
        ]

    def __str__(self):
        return f"{self.creditor}"


class UserIdentity(models.Model):
    """A user's personnummer, as BankID verified it: what a BankID login is matched on.

    Linked only by a BankID identification made while logged in (never typed in), so a login
    by BankID reaches the account its owner linked, and nobody else's."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="identity", verbose_name=_("user"))
    personal_number = models.CharField(_("personnummer"), max_length=12, unique=True)
    name = models.CharField(_("name (as BankID gave it)"), max_length=200)
    verified_at = models.DateTimeField(_("verified by BankID at"))

    class Meta:
        verbose_name = _("BankID identity")
        verbose_name_plural = _("BankID identities")
        constraints = [
            models.CheckConstraint(condition=models.Q(personal_number__regex=r"^[0-9]{12}$"),
                                   name="identity_personal_number_12_digits"),
        ]

    def __str__(self):
        return f"{self.user} ({mask_identity(self.personal_number)})"


class BankIdEvidence(models.Model):
    """What a signatory signed with BankID, kept as it came: the text, BankID's signature (its
    XML holds the text) and the OCSP response on the certificate, the person and the address.
    Evidence: append-only."""

    text = models.TextField(_("the text signed"))
    personal_number = models.CharField(_("signatory's personnummer"), max_length=12)
    name = models.CharField(_("signatory (as BankID gave it)"), max_length=200)
    signature = models.TextField(_("BankID signature (base64 XML)"))
    ocsp_response = models.TextField(_("OCSP response (base64)"))
    ip_address = models.CharField(_("from address"), max_length=45)

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("signed evidence is never changed")
        super().save(*args, **kwargs)


class AgreementSignature(BankIdEvidence):
    """The service agreement as the company's signatory signed it with BankID."""

    creditor = models.ForeignKey(Creditor, on_delete=models.PROTECT,
                                 related_name="agreement_signatures",
                                 verbose_name=_("creditor"))
    version = models.CharField(_("agreement version"), max_length=20)
    signed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True,
                                  on_delete=models.SET_NULL, related_name="+",
                                  verbose_name=_("signed by (user)"))
    signed_at = models.DateTimeField(_("signed at"))

    class Meta:
        verbose_name = _("signed agreement")
        verbose_name_plural = _("signed agreements")
        ordering = ["-signed_at"]
        constraints = [
            models.UniqueConstraint(fields=["creditor", "version"],
                                    name="agreement_signed_once_per_version"),
        ]

    def __str__(self):
        return f"{self.creditor} {self.version}"


class BankgiroChange(BankIdEvidence):
    """A change of the payout bankgiro, signed with BankID by the company's signatory (the
    classic fraud redirects payouts)."""

    creditor = models.ForeignKey(Creditor, on_delete=models.PROTECT,
                                 related_name="bankgiro_changes", verbose_name=_("creditor"))
    old_bankgiro = models.CharField(_("from bankgiro"), max_length=8)
    new_bankgiro = models.CharField(_("to bankgiro"), max_length=8)
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True,
                                   on_delete=models.SET_NULL, related_name="+",
                                   verbose_name=_("changed by (user)"))
    changed_at = models.DateTimeField(_("changed at"))

    class Meta:
        verbose_name = _("payout bankgiro change")
        verbose_name_plural = _("payout bankgiro changes")
        ordering = ["-changed_at"]

    def __str__(self):
        return f"{self.creditor} {self.old_bankgiro} -> {self.new_bankgiro}"


# --- Integration partners (issue 7) -----------------------------------------------------------

class Partner(models.Model):
    """An integration partner, e.g. an e-invoicing operator that turns on "Påminnelse &
    Inkasso" for its customers: it acts over the API for the creditors that granted it access.
    Created by staff in the admin."""

    name = models.CharField(_("name"), max_length=200)
    organisation_number = models.CharField(_("organisation number"), max_length=12, blank=True)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    is_active = models.BooleanField(_("active"), default=True,
                                    help_text=_("An inactive partner's keys stop working."))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("integration partner")
        verbose_name_plural = _("integration partners")
        ordering = ["name"]

    def __str__(self):
        return self.name


class PartnerApiKey(BearerKey):
    """A partner's key for the API. It acts only for a creditor that granted the partner
    access (``PartnerGrant``), named in each request."""

    PREFIX = "ekp_"

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="api_keys")

    class Meta(BearerKey.Meta):
        verbose_name = _("partner API key")
        verbose_name_plural = _("partner API keys")

    def __str__(self):
        return f"{self.prefix}… ({self.partner})"


class PartnerGrantQuerySet(models.QuerySet):
    def active(self):
        return self.filter(revoked_at__isnull=True)


class PartnerGrant(models.Model):
    """A creditor's consent that a partner acts for it over the API; revoked, it ends at once.
    A grant given again after a revocation is a new row (the old one is the record)."""

    creditor = models.ForeignKey(Creditor, on_delete=models.CASCADE,
                                 related_name="partner_grants", verbose_name=_("creditor"))
    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="grants",
                                verbose_name=_("partner"))
    # The partner's own id of this customer (e.g. in the invoicing system), if it gave one.
    customer_id = models.CharField(_("customer id at the partner"), max_length=100, blank=True)
    granted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+",
                                   verbose_name=_("granted by"))
    granted_at = models.DateTimeField(_("access granted at"))
    revoked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+",
                                   verbose_name=_("revoked by"))
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    objects = PartnerGrantQuerySet.as_manager()

    class Meta:
        verbose_name = _("partner access")
        verbose_name_plural = _("partner accesses")
        ordering = ["-granted_at"]
        constraints = [
            # One grant in force per pair: what partner_grant_create relies on (and the API's
            # lookup of "the creditor this partner acts for").
            models.UniqueConstraint(fields=["creditor", "partner"],
                                    condition=models.Q(revoked_at__isnull=True),
                                    name="partner_grant_one_active"),
        ]

    def __str__(self):
        return f"{self.partner} → {self.creditor}"


class PartnerOnboarding(models.Model):
    """A partner's invitation to a company to start with ekrav: the company data the partner
    knows, prefilled; the link (a one-time token, stored hashed) leads to Kom igång."""

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        COMPLETED = "completed", _("Completed")
        EXPIRED = "expired", _("Expired")

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="onboardings",
                                verbose_name=_("partner"))
    token_hash = models.CharField(max_length=64, unique=True)
    organisation_number = models.CharField(_("organisation number"), max_length=12)
    # The partner's values as it sent them (validated like Kom igång), to prefill the form.
    company = models.JSONField(_("company data"), default=dict)
    contact_email = models.EmailField(_("contact person's e-mail"))
    customer_id = models.CharField(_("customer id at the partner"), max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"))
    # When ekrav's e-mail with the link reached the mail server (None: the partner delivers
    # the link itself, or the sending failed; the token is not kept, so it is never resent).
    emailed_at = models.DateTimeField(_("link e-mailed at"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    completed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+",
                                     verbose_name=_("completed by"))
    creditor = models.ForeignKey(Creditor, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+", verbose_name=_("creditor"))

    class Meta:
        verbose_name = _("partner onboarding")
        verbose_name_plural = _("partner onboardings")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.partner}: {self.company.get('name', self.organisation_number)}"

    def state_at(self, now) -> str:
        if self.completed_at is not None:
            return self.State.COMPLETED
        return self.State.EXPIRED if now >= self.expires_at else self.State.PENDING
