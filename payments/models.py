"""Money coming in: BgMax files from Bankgirot and each payment in them (and, later, Swish,
card and Trustly payments), matched to a claim or left for a case handler."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from claims.models import Claim


class BgmaxImport(models.Model):
    """One BgMax file, imported once: the sha256 of its bytes is the exactly-once key."""

    sha256 = models.CharField(_("SHA-256"), max_length=64, unique=True)
    filename = models.CharField(_("file name"), max_length=200)
    content = models.BinaryField(_("file"))  # the file as received: evidence
    created_at = models.DateTimeField(auto_now_add=True)
    imported_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+",
                                    verbose_name=_("imported by"))
    # {"file_sha256", "deposits", "payments", "matched", "unmatched", "amount_total", "errors"}
    summary = models.JSONField(_("summary"), default=dict)

    class Meta:
        verbose_name = _("BgMax file")
        verbose_name_plural = _("BgMax files")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.filename} ({self.created_at:%Y-%m-%d})"


class IncomingPayment(models.Model):
    """A payment to the agency's account, whatever its channel, with how it was matched."""

    class Source(models.TextChoices):
        BGMAX = "bgmax", _("Bankgiro (BgMax)")
        SWISH = "swish", _("Swish")
        CARD = "card", _("Card")
        TRUSTLY = "trustly", _("Trustly")

    class State(models.TextChoices):
        BOOKED = "booked", _("Booked on a claim")
        UNMATCHED = "unmatched", _("Unmatched: for a case handler")
        REFUND = "refund", _("To be refunded")
        FOREIGN = "foreign", _("Foreign currency: not booked")

    class MatchedBy(models.TextChoices):
        OCR = "ocr", _("OCR reference")
        REFERENCE = "reference", _("Other reference")
        HANDLER = "handler", _("Case handler")

    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    # The channel's own id of the payment: with the source, the exactly-once key.
    external_id = models.CharField(_("external id"), max_length=100)
    bgmax_import = models.ForeignKey(BgmaxImport, null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="payments",
                                     verbose_name=_("BgMax file"))
    amount_ore = models.BigIntegerField(_("amount (öre)"))
    currency = models.CharField(_("currency"), max_length=3, default="SEK")
    paid_on = models.DateField(_("paid on"))
    reference = models.CharField(_("reference"), max_length=35, blank=True)
    reference_code = models.CharField(_("reference code"), max_length=2, blank=True)
    # Every other text the payer gave (TK22/23 references, TK25 information).
    texts = models.JSONField(_("other references and texts"), default=list, blank=True)
    payer_name = models.CharField(_("payer"), max_length=100, blank=True)
    payer_bankgiro = models.CharField(_("payer's bankgiro"), max_length=10, blank=True)
    state = models.CharField(_("state"), max_length=10, choices=State.choices)
    claim = models.ForeignKey(Claim, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="incoming_payments", verbose_name=_("claim"))
    matched_by = models.CharField(_("matched by"), max_length=10, choices=MatchedBy.choices,
                                  blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    surplus_ore = models.BigIntegerField(_("overpaid, held for refund (öre)"), default=0)
    handled_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+",
                                   verbose_name=_("handled by"))
    # When the creditor was told of this payment by e-mail (once; see payments.notices).
    creditor_notified_at = models.DateTimeField(_("creditor notified"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("incoming payment")
        verbose_name_plural = _("incoming payments")
        ordering = ["-paid_on", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["source", "external_id"],
                                    name="incoming_payment_once"),
            models.CheckConstraint(condition=~models.Q(amount_ore=0),
                                   name="incoming_payment_not_zero"),
        ]
        indexes = [
            # The handlers' queue: payments_unmatched and the admin's default filter.
            models.Index(fields=["state"], name="payment_to_handle",
                         condition=models.Q(state__in=["unmatched", "refund"])),
            # payments.notices: booked payments whose creditor has not been told yet.
            models.Index(fields=["id"], name="payment_notice_due",
                         condition=models.Q(state="booked", creditor_notified_at__isnull=True)),
        ]

    def __str__(self):
        return f"{self.get_source_display()} {self.paid_on} {self.amount_ore / 100:.2f}"
