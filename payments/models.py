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
        KRONOFOGDEN = "kfm", _("Kronofogden (enforcement)")

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


class PaymentRequest(models.Model):
    """A payment the debtor started in Mitt Ärende (Swish now; card and Trustly later): what
    ekrav asked the provider for, and how it ended. The provider's callback is checked against
    this row (id, amount, reference), never trusted on its own; the instruction id is the
    booking key (IncomingPayment.external_id), so a payment is booked once."""

    class Channel(models.TextChoices):
        SWISH = "swish", _("Swish")
        CARD = "card", _("Card")
        TRUSTLY = "trustly", _("Trustly")

    class Status(models.TextChoices):
        CREATED = "created", _("Waiting for the payer")
        PAID = "paid", _("Paid")
        DECLINED = "declined", _("Declined")
        ERROR = "error", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")
        TIMEOUT = "timeout", _("No answer")

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="payment_requests",
                              verbose_name=_("claim"))
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices,
                               default=Channel.SWISH)
    # Ours, sent to the provider (Swish: the instructionUUID, 32 uppercase hex digits).
    instruction_id = models.CharField(_("instruction id"), max_length=64, unique=True)
    amount_ore = models.BigIntegerField(_("amount (öre)"))
    # The payee reference the request carries: the claim's OCR when it was created.
    payee_reference = models.CharField(_("payee reference"), max_length=35, blank=True)
    # E-commerce: the payer's number as Swish wants it (46701234567); empty for m-commerce.
    payer_alias = models.CharField(_("payer's number"), max_length=15, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices,
                              default=Status.CREATED)
    payment_reference = models.CharField(_("payment reference"), max_length=100, blank=True)
    # The provider's code for how it ended ("PENDING" while Trustly says the bank has not
    # confirmed yet: payments.services TRUSTLY_PENDING_CODE).
    error_code = models.CharField(_("error code"), max_length=40, blank=True)
    # M-commerce: the token that opens the Swish app on the payer's phone (create answer only).
    token = models.CharField(_("token"), max_length=100, blank=True)
    # Card: the provider's session id; Trustly: the Deposit's order id (empty for Swish).
    provider_id = models.CharField(_("provider's id"), max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    incoming_payment = models.ForeignKey(IncomingPayment, null=True, blank=True,
                                         on_delete=models.PROTECT, related_name="+",
                                         verbose_name=_("incoming payment"))

    class Meta:
        verbose_name = _("payment request")
        verbose_name_plural = _("payment requests")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount_ore__gt=0),
                                   name="payment_request_positive"),
        ]
        indexes = [
            # payments.services payment_requests_expire: the requests still waiting.
            models.Index(fields=["created_at"], name="payment_request_waiting",
                         condition=models.Q(status="created")),
        ]

    def __str__(self):
        return f"{self.get_channel_display()} {self.instruction_id} {self.amount_ore / 100:.2f}"

    @property
    def is_final(self) -> bool:
        return self.status != self.Status.CREATED


class PayoutFile(models.Model):
    """The day's payout to creditors as one bank file (LB or pain.001): written once per day
    and format, downloaded by staff in the admin and sent to the bank."""

    class Format(models.TextChoices):
        LB = "lb", _("Bankgirot Leverantörsbetalningar (LB)")
        PAIN001 = "pain001", _("ISO 20022 pain.001")

    day = models.DateField(_("day"))
    format = models.CharField(_("format"), max_length=10, choices=Format.choices)
    # 1 for the day's run; a later run of the same day (a payment of the day booked after
    # the first run) writes file 2 with only the settlements not yet in a file.
    sequence = models.PositiveSmallIntegerField(_("sequence"), default=1)
    content = models.BinaryField(_("file"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    count = models.PositiveIntegerField(_("payments"))
    total_ore = models.BigIntegerField(_("total (öre)"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("payout file")
        verbose_name_plural = _("payout files")
        ordering = ["-day", "format"]
        constraints = [
            models.UniqueConstraint(fields=["day", "format", "sequence"],
                                    name="payout_file_once"),
            models.CheckConstraint(condition=models.Q(total_ore__gt=0),
                                   name="payout_file_positive"),
        ]

    def __str__(self):
        return f"{self.day} ({self.sequence}) {self.get_format_display()}"

    @property
    def filename(self) -> str:
        suffix = "xml" if self.format == self.Format.PAIN001 else "txt"
        return f"utbetalning-{self.day:%Y%m%d}-{self.sequence}-{self.format}.{suffix}"


class SettlementQuerySet(models.QuerySet):
    def for_creditor(self, creditor):
        """The one door to a creditor's settlements: another tenant's is simply not there."""
        return self.filter(creditor=creditor)


class Settlement(models.Model):
    """A creditor's settlement (avräkning) of one day's payments to the agency: capital and
    interest are paid out to the creditor's bankgiro, fees are the agency's income, surplus
    is held for refund. (creditor, day) is the exactly-once key."""

    creditor = models.ForeignKey("creditors.Creditor", on_delete=models.PROTECT,
                                 related_name="settlements", verbose_name=_("creditor"))
    day = models.DateField(_("day"))
    capital_ore = models.BigIntegerField(_("capital (öre)"))
    interest_ore = models.BigIntegerField(_("interest (öre)"))
    fees_ore = models.BigIntegerField(_("fees, the agency's income (öre)"))
    surplus_ore = models.BigIntegerField(_("overpaid, held for refund (öre)"), default=0)
    # The creditor's outlays (Kronofogden's fees): repaid by debtors, back to the creditor;
    # paid by the agency, deducted from the payout (payments.settlements).
    outlays_repaid_ore = models.BigIntegerField(_("outlays repaid by debtors (öre)"),
                                                default=0)
    outlays_charged_ore = models.BigIntegerField(_("outlays deducted (öre)"), default=0)
    # The agency's commission on capital collected in efterbevakning (the price list).
    commission_ore = models.BigIntegerField(_("commission (öre)"), default=0)
    # [{"claim_id", "case_number", "key", "booked_on", "amount_ore"}]: what was deducted.
    outlays = models.JSONField(_("outlays deducted"), default=list, blank=True)
    payout_ore = models.BigIntegerField(_("paid out (öre)"))
    bankgiro = models.CharField(_("paid out to bankgiro"), max_length=8)
    # [{"claim_id", "case_number", "debtor", "paid_on", "paid_ore", "capital_ore",
    #   "interest_ore", "fees_ore", "surplus_ore", "payout_ore"}]: payouts.CaseLine.as_json
    lines = models.JSONField(_("cases"), default=list)
    pdf = models.FileField(_("settlement statement (PDF)"), upload_to="settlements/%Y/%m/",
                           blank=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    payout_file = models.ForeignKey(PayoutFile, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="settlements", verbose_name=_("payout file"))
    # When the creditor was e-mailed the statement (once; see payments.settlements).
    emailed_at = models.DateTimeField(_("e-mailed"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = SettlementQuerySet.as_manager()

    class Meta:
        verbose_name = _("settlement")
        verbose_name_plural = _("settlements")
        ordering = ["-day", "creditor_id"]
        constraints = [
            models.UniqueConstraint(fields=["creditor", "day"], name="settlement_once"),
            models.CheckConstraint(condition=models.Q(capital_ore__gte=0, interest_ore__gte=0,
                                                      fees_ore__gte=0, surplus_ore__gte=0,
                                                      payout_ore__gte=0,
                                                      outlays_repaid_ore__gte=0,
                                                      outlays_charged_ore__gte=0,
                                                      commission_ore__gte=0),
                                   name="settlement_amounts_not_negative"),
        ]
        indexes = [
            # payments.settlements: statements whose e-mail has not gone out yet.
            models.Index(fields=["id"], name="settlement_email_due",
                         condition=models.Q(emailed_at__isnull=True)),
        ]

    def __str__(self):
        return f"{self.creditor_id} {self.day}"


class OutlayCharge(models.Model):
    """A creditor's outlay (a Kronofogden fee the agency paid for its claim) deducted from a
    settlement's payout: the one-to-one on the ledger row charges it once."""

    outlay = models.OneToOneField("claims.LedgerEntry", on_delete=models.PROTECT,
                                  related_name="outlay_charge", verbose_name=_("outlay"))
    settlement = models.ForeignKey(Settlement, on_delete=models.PROTECT,
                                   related_name="outlay_charges",
                                   verbose_name=_("settlement"))

    class Meta:
        verbose_name = _("outlay charged")
        verbose_name_plural = _("outlays charged")


class SettledPayment(models.Model):
    """A payment to the agency that a settlement has paid out: the exactly-once key of
    payouts. A payment is settled by the first run after it is recorded, whatever day it was
    paid (a BgMax file arrives the morning after the payments in it)."""

    payment = models.OneToOneField("claims.LedgerEntry", on_delete=models.PROTECT,
                                   related_name="settled", verbose_name=_("payment"))
    settlement = models.ForeignKey(Settlement, on_delete=models.PROTECT,
                                   related_name="settled_payments",
                                   verbose_name=_("settlement"))

    class Meta:
        verbose_name = _("settled payment")
        verbose_name_plural = _("settled payments")

    def __str__(self):
        return f"{self.payment_id} in {self.settlement_id}"


class RefundQuerySet(models.QuerySet):
    def due(self):
        return self.filter(status=Refund.Status.DUE)


class Refund(models.Model):
    """Money paid back to whoever paid it (återbetalning): a payment nobody owed (unmatched,
    marked for refund) or the part of a booked payment beyond the debt (its surplus).

    The payment is the exactly-once key: a payment is refunded once, for exactly what it
    holds. It is paid in the day's payout file (payments.settlements), or by hand where the
    file's format cannot carry the account (LB pays bankgiro numbers only)."""

    class Status(models.TextChoices):
        DUE = "due", _("To be paid")
        PAID = "paid", _("Paid")

    payment = models.OneToOneField(IncomingPayment, on_delete=models.PROTECT,
                                   related_name="refund", verbose_name=_("payment"))
    amount_ore = models.BigIntegerField(_("amount (öre)"))
    payee_name = models.CharField(_("payee"), max_length=70)
    # Either a bankgiro number or a Swedish bank account (clearing number and account).
    bankgiro = models.CharField(_("bankgiro"), max_length=8, blank=True)
    clearing = models.CharField(_("clearing number"), max_length=5, blank=True)
    account = models.CharField(_("account number"), max_length=15, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices,
                              default=Status.DUE)
    payout_file = models.ForeignKey(PayoutFile, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="refunds", verbose_name=_("payout file"))
    paid_on = models.DateField(_("paid on"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+",
                                   verbose_name=_("decided by"))
    paid_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="+",
                                verbose_name=_("paid by hand by"))
    created_at = models.DateTimeField(auto_now_add=True)

    objects = RefundQuerySet.as_manager()

    class Meta:
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount_ore__gt=0),
                                   name="refund_positive"),
            # Exactly one destination: a bankgiro, or a clearing number with an account.
            models.CheckConstraint(
                condition=(models.Q(bankgiro="", clearing__gt="", account__gt="")
                           | (models.Q(clearing="", account="") & ~models.Q(bankgiro=""))),
                name="refund_one_destination"),
            models.CheckConstraint(
                condition=models.Q(status="due", paid_on__isnull=True)
                | models.Q(status="paid", paid_on__isnull=False),
                name="refund_paid_has_day"),
        ]
        indexes = [
            # payments.settlements: the refunds the next payout file pays.
            models.Index(fields=["id"], name="refund_due",
                         condition=models.Q(status="due")),
        ]

    def __str__(self):
        return f"{self.payment_id} {self.amount_ore / 100:.2f}"

    @property
    def destination(self) -> str:
        if self.bankgiro:
            return f"Bankgiro {self.bankgiro[:-4]}-{self.bankgiro[-4:]}"
        return f"{self.clearing}, {self.account}"
