"""Debtors (gäldenärer), stored per creditor and reused when the same identity comes again."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from creditors.models import Creditor
from ekrav.identifiers import format_identity, mask_identity


class DebtorQuerySet(models.QuerySet):
    def for_creditor(self, creditor):
        return self.filter(creditor=creditor)


class Debtor(models.Model):
    class Kind(models.TextChoices):
        PERSON = "person", _("Person")
        COMPANY = "company", _("Company")

    creditor = models.ForeignKey(Creditor, on_delete=models.PROTECT, related_name="debtors")
    kind = models.CharField(_("debtor kind"), max_length=7, choices=Kind.choices)
    # 12-digit personnummer/samordningsnummer, or a 10-digit organisationsnummer.
    identity_number = models.CharField(_("identity number"), max_length=12)
    name = models.CharField(_("name"), max_length=200)
    street = models.CharField(_("street address"), max_length=200)
    postal_code = models.CharField(_("postal code"), max_length=5)
    city = models.CharField(_("city"), max_length=100)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = DebtorQuerySet.as_manager()

    class Meta:
        verbose_name = _("debtor")
        verbose_name_plural = _("debtors")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["creditor", "identity_number"],
                                    name="debtor_unique_per_creditor"),
        ]

    def __str__(self):
        return f"{self.name} ({self.identity_masked})"

    @property
    def identity_display(self):
        return format_identity(self.identity_number)

    @property
    def identity_masked(self):
        """For lists (and anywhere the number is not needed whole): 19811228-****."""
        return mask_identity(self.identity_number)


class MessageMail(models.Model):
    """The agency's e-mail about a debtor's message in Mitt Ärende (the message itself is the
    note on the claim's timeline): written with the note, sent once; a sending that failed
    leaves it due for the next run (debtors.tasks, every ten minutes)."""

    event = models.OneToOneField("claims.Event", on_delete=models.CASCADE, related_name="+",
                                 verbose_name=_("message"))
    created_at = models.DateTimeField(auto_now_add=True)
    mailed_at = models.DateTimeField(_("e-mailed"), null=True, blank=True)

    class Meta:
        verbose_name = _("message e-mail")
        verbose_name_plural = _("message e-mails")
        indexes = [
            # debtors.services.debtor_message_mails_send: the e-mails not sent yet.
            models.Index(fields=["id"], name="message_mail_due",
                         condition=models.Q(mailed_at__isnull=True)),
        ]

    def __str__(self):
        return f"{self.event_id} {self.mailed_at or '-'}"
