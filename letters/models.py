"""Letters (brev): rendered once, archived with their sha256, delivered by Kivra or print.

A ``Letter`` exists for a collection step (``claims.Step``): the one-to-one is the exactly-once
key, so a step can never produce two letters. The letters app picks up steps without a letter
(the step rows are its outbox), renders, checks and stores the PDF, then delivers it.
"""

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from claims.models import Claim, Step


def letter_pdf_path(letter, filename):
    return f"letters/{letter.claim_id}/{uuid.uuid4().hex}.pdf"


def print_batch_path(batch, filename):
    return f"print/{batch.day:%Y/%m}/{uuid.uuid4().hex}-{filename}"


class PrintBatch(models.Model):
    """One day's letters to print: one merged PDF and a CSV manifest, downloaded by staff."""

    day = models.DateField(_("day"), unique=True)
    pdf = models.FileField(_("letters (PDF)"), upload_to=print_batch_path)
    manifest = models.FileField(_("manifest (CSV)"), upload_to=print_batch_path)
    sha256 = models.CharField(_("SHA-256 of the PDF"), max_length=64)
    letter_count = models.PositiveIntegerField(_("letters"))
    page_count = models.PositiveIntegerField(_("pages"))
    created_at = models.DateTimeField(auto_now_add=True)
    downloaded_at = models.DateTimeField(_("first downloaded"), null=True, blank=True)

    class Meta:
        verbose_name = _("print batch")
        verbose_name_plural = _("print batches")
        ordering = ["-day"]

    def __str__(self):
        return f"{self.day} ({self.letter_count})"


class Letter(models.Model):
    class Kind(models.TextChoices):
        REMINDER = "reminder", _("Reminder (PÅM)")
        DEMAND = "demand", _("Collection demand (IK)")
        SURVEILLANCE = "surveillance", _("Surveillance letter (Bev)")

    class State(models.TextChoices):
        READY = "ready", _("Rendered, to be delivered")
        SENDING = "sending", _("Being handed to the digital mailbox")
        TO_PRINT = "to_print", _("In the next print batch")
        SENT = "sent", _("Sent")
        HELD = "held", _("Held: failed the compliance check")
        CANCELLED = "cancelled", _("Cancelled: claim closed before sending")

    class Channel(models.TextChoices):
        DIGITAL = "kivra", _("Digital mailbox (Kivra)")
        PRINT = "print", _("Print and post")

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="letters",
                              verbose_name=_("claim"))
    step = models.OneToOneField(Step, on_delete=models.PROTECT, related_name="letter",
                                verbose_name=_("step"))
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    state = models.CharField(_("state"), max_length=10, choices=State.choices)
    letter_date = models.DateField(_("letter date"))
    deadline = models.DateField(_("payment deadline"), null=True, blank=True)
    amount_ore = models.BigIntegerField(_("amount asked (öre)"), default=0)
    # Everything the letter says, as rendered: the evidence of what the debtor was told.
    content = models.JSONField(_("content"), default=dict, blank=True)
    problems = models.JSONField(_("compliance problems"), default=list, blank=True)
    pdf = models.FileField(_("PDF"), upload_to=letter_pdf_path, blank=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    pages = models.PositiveSmallIntegerField(_("pages"), default=0)
    rendered_at = models.DateTimeField(_("rendered at"), null=True, blank=True)
    channel = models.CharField(_("channel"), max_length=5, choices=Channel.choices, blank=True)
    # The day the letter left ekrav (Kivra accepted it, or its print batch was made): the
    # evidence that interrupts the statute of limitations.
    sent_on = models.DateField(_("sent on"), null=True, blank=True)
    digital_attempts = models.PositiveSmallIntegerField(_("digital mailbox attempts"), default=0)
    # When a worker took the letter to hand it over (state "sending"): a worker that died
    # there is noticed by the age of this mark.
    sending_since = models.DateTimeField(null=True, blank=True)
    external_id = models.CharField(_("Kivra content id"), max_length=100, blank=True)
    print_batch = models.ForeignKey(PrintBatch, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="letters", verbose_name=_("print batch"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("letter")
        verbose_name_plural = _("letters")
        ordering = ["letter_date", "id"]
        indexes = [
            # letters_deliver and print_batch_close: the few letters still on their way.
            models.Index(fields=["state"], name="letter_in_flight",
                         condition=models.Q(state__in=["ready", "sending", "to_print"])),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(state="sent") | (models.Q(sent_on__isnull=False)
                                                     & ~models.Q(channel="")),
                name="letter_sent_has_channel_and_date"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.claim} {self.letter_date}"


class DeliveryAttempt(models.Model):
    """Each try to hand a letter over, with what came back: the delivery log."""

    class Outcome(models.TextChoices):
        DELIVERED = "delivered", _("Delivered")
        NO_MAILBOX = "no_mailbox", _("No digital mailbox")
        REJECTED = "rejected", _("Rejected")
        FAILED = "failed", _("Failed, to be retried")
        QUEUED = "queued", _("Queued for print")

    letter = models.ForeignKey(Letter, on_delete=models.CASCADE, related_name="attempts")
    channel = models.CharField(max_length=5, choices=Letter.Channel.choices)
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    detail = models.CharField(max_length=300, blank=True)
    attempted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("delivery attempt")
        verbose_name_plural = _("delivery attempts")
        ordering = ["attempted_at", "id"]

    def __str__(self):
        return f"{self.letter_id} {self.channel} {self.outcome}"
