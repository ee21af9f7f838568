"""Claims (ärenden), their invoices, the event timeline and the append-only ledger."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _, pgettext_lazy

from creditors.models import Creditor
from debtors.models import Debtor


class Status(models.TextChoices):
    """The claim's stage. Later issues add the transitions; the vocabulary is the API contract."""

    REGISTERED = "registered", pgettext_lazy("claim status", "Registered")
    REMINDER_SENT = "reminder_sent", _("Reminder sent")
    DEMAND_SENT = "demand_sent", _("Collection demand sent")
    AWAITING_DECISION = "awaiting_decision", _("Awaiting decision")
    AT_KRONOFOGDEN = "at_kronofogden", _("At Kronofogden")
    SURVEILLANCE = "surveillance", _("Long-term surveillance")
    DISPUTED = "disputed", _("Disputed")
    PAYMENT_PLAN = "payment_plan", _("Payment plan")
    PAID = "paid", _("Paid")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    WRITTEN_OFF = "written_off", _("Written off")


CLOSED_STATUSES = (Status.PAID, Status.WITHDRAWN, Status.WRITTEN_OFF)


class ClaimQuerySet(models.QuerySet):
    def for_creditor(self, creditor):
        """The one door to a creditor's claims: another tenant's claim is simply not there."""
        return self.filter(creditor=creditor)

    def open(self):
        return self.exclude(status__in=CLOSED_STATUSES)


class Claim(models.Model):
    """Ärende: one or more overdue invoices of one creditor against one debtor."""

    class Source(models.TextChoices):
        WEB = "web", _("Portal")
        CSV = "csv", _("CSV import")
        API = "api", _("API")
        ADMIN = "admin", _("Case handler")

    creditor = models.ForeignKey(Creditor, on_delete=models.PROTECT, related_name="claims",
                                 verbose_name=_("creditor"))
    debtor = models.ForeignKey(Debtor, on_delete=models.PROTECT, related_name="claims",
                               verbose_name=_("debtor"))
    # Set right after insert from the primary key; unique, short, easy to read out on the phone.
    case_number = models.CharField(_("case number"), max_length=16, unique=True, null=True)
    # The OCR reference on every letter: random digits + length digit + Luhn check digit.
    ocr = models.CharField(_("OCR reference"), max_length=25, unique=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices,
                              default=Status.REGISTERED)
    registered_on = models.DateField(_("registered on"))
    source = models.CharField(_("registered through"), max_length=5, choices=Source.choices,
                              default=Source.WEB)
    interest_enabled = models.BooleanField(_("charge late-payment interest"), default=True)
    # The collection tick selects due claims by this date (partial index in the engine issue).
    next_action_on = models.DateField(_("next step on"), null=True, blank=True, db_index=True)
    # No step before this day: the debtor said "jag har redan betalat" in Mitt Ärende and the
    # payment is looked for first (debtors.services; the engine's Snapshot.hold_until).
    hold_until = models.DateField(_("on hold until"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ClaimQuerySet.as_manager()

    class Meta:
        verbose_name = _("claim")
        verbose_name_plural = _("claims")
        ordering = ["-registered_on", "-id"]
        indexes = [models.Index(fields=["creditor", "status", "-registered_on"])]
        constraints = [
            models.CheckConstraint(condition=models.Q(status__in=Status.values),
                                   name="claim_status_known"),
        ]

    def __str__(self):
        return self.case_number or f"#{self.pk}"

    @property
    def is_closed(self):
        return self.status in CLOSED_STATUSES


def invoice_pdf_path(invoice, filename):
    # Never the uploader's file name on disk: it is user input.
    return f"invoices/{invoice.creditor_id}/{uuid.uuid4().hex}.pdf"


class Invoice(models.Model):
    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="invoices")
    # Denormalised from the claim so "one invoice number per creditor" is a database fact.
    creditor = models.ForeignKey(Creditor, on_delete=models.PROTECT, related_name="+")
    invoice_number = models.CharField(_("invoice number"), max_length=50)
    invoice_date = models.DateField(_("invoice date"))
    due_date = models.DateField(_("due date"))
    amount_ore = models.BigIntegerField(_("amount (öre)"))
    description = models.CharField(_("the invoice concerns"), max_length=200)
    reminder_fee_agreed = models.BooleanField(_("reminder fee agreed"), default=False)
    pdf = models.FileField(_("invoice PDF"), upload_to=invoice_pdf_path, blank=True)
    pdf_name = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        ordering = ["due_date", "id"]
        constraints = [
            models.UniqueConstraint(fields=["creditor", "invoice_number"],
                                    name="invoice_number_unique_per_creditor"),
            models.CheckConstraint(condition=models.Q(amount_ore__gt=0),
                                   name="invoice_amount_positive"),
            models.CheckConstraint(condition=models.Q(due_date__gte=models.F("invoice_date")),
                                   name="invoice_due_after_issue"),
        ]

    def __str__(self):
        return self.invoice_number


class Event(models.Model):
    """One line of a claim's timeline. Text is rendered at read time in the reader's language."""

    class Kind(models.TextChoices):
        REGISTERED = "registered", _("Registered")
        INVOICE_ADDED = "invoice_added", _("Invoice added to the case")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        DIRECT_PAYMENT = "direct_payment", _("Direct payment reported")
        PAYMENT = "payment", _("Payment received")
        PAID = "paid", _("Paid in full")
        STEP_REMINDER = "step_reminder", _("Reminder (PÅM)")
        STEP_DEMAND = "step_demand", _("Collection demand (IK)")
        STEP_DECISION = "step_decision", _("Awaiting the creditor's decision")
        NOTE = "note", pgettext_lazy("timeline entry", "Note")

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    occurred_on = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+")
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        ordering = ["occurred_on", "id"]

    def __str__(self):
        return f"{self.occurred_on} {self.kind}"

    @property
    def text(self):
        from claims.timeline import event_text

        return event_text(self)


class LedgerEntry(models.Model):
    """Every amount charged or paid, with its legal basis. Append-only: never edited or deleted.

    Amounts are positive öre; the kind says on which side of the balance a row stands.
    """

    class Kind(models.TextChoices):
        CAPITAL = "capital", _("Capital")
        INTEREST = "interest", _("Interest")
        FEE = "fee", _("Fee")
        DIRECT_PAYMENT = "direct_payment", _("Payment to the creditor")
        PAYMENT = "payment", _("Payment")
        # How a payment was used (allocated costs -> interest -> capital), one row per part,
        # keyed "<payment key>>costs" etc. They detail a payment; they are not in the sums.
        PAID_COSTS = "paid_costs", _("Paid: costs")
        PAID_INTEREST = "paid_interest", _("Paid: interest")
        PAID_CAPITAL = "paid_capital", _("Paid: capital")
        SURPLUS = "surplus", _("Overpaid: held for refund")

    CHARGES = (Kind.CAPITAL, Kind.INTEREST, Kind.FEE)
    PAYMENTS = (Kind.DIRECT_PAYMENT, Kind.PAYMENT)
    ALLOCATIONS = (Kind.PAID_COSTS, Kind.PAID_INTEREST, Kind.PAID_CAPITAL, Kind.SURPLUS)

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="ledger")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    amount_ore = models.BigIntegerField()
    booked_on = models.DateField()
    legal_basis = models.CharField(max_length=200, blank=True)
    # The natural key that makes booking exactly-once (e.g. "capital:invoice:17").
    key = models.CharField(max_length=100)
    event = models.ForeignKey(Event, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="ledger_entries")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        ordering = ["booked_on", "id"]
        constraints = [
            models.UniqueConstraint(fields=["claim", "key"], name="ledger_key_unique"),
            models.CheckConstraint(condition=models.Q(amount_ore__gt=0),
                                   name="ledger_amount_positive"),
        ]

    def __str__(self):
        return f"{self.booked_on} {self.kind} {self.amount_ore}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("ledger entries are append-only; book a correction instead")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("ledger entries are append-only; book a correction instead")


class ClaimImport(models.Model):
    """A CSV file of claims: parsed into a preview, then confirmed and created atomically."""

    class State(models.TextChoices):
        PREVIEW = "preview", _("Awaiting confirmation")
        RUNNING = "running", _("Importing")
        DONE = "done", _("Imported")
        FAILED = "failed", _("Failed")

    creditor = models.ForeignKey(Creditor, on_delete=models.CASCADE, related_name="imports")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    filename = models.CharField(max_length=200)
    sha256 = models.CharField(max_length=64)
    encoding = models.CharField(max_length=20)
    delimiter = models.CharField(max_length=1)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PREVIEW)
    # The uploader's language: the worker writes the report's reasons in it.
    language = models.CharField(max_length=10, blank=True)
    # [{"line": 2, "values": {...}, "errors": {"field": ["why"]}}, ...]
    rows = models.JSONField(default=list)
    total_rows = models.PositiveIntegerField(default=0)
    valid_rows = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    # {"created": [{"line", "invoice_number", "claim_id", "case_number", "case"}],
    #  "refused": [{"line", "invoice_number", "errors": {"field": ["why"]}}]}: the refused are
    # rows valid in the preview but refused at confirmation (e.g. registered meanwhile);
    # "case" is "opened" or "joined" (the debtor's open case, claims.services.JOINABLE).
    report = models.JSONField(default=dict, blank=True)
    failure = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = ClaimQuerySet.as_manager()

    class Meta:
        verbose_name = _("claim import")
        verbose_name_plural = _("claim imports")
        ordering = ["-created_at"]
        # "This file was already imported": claims.imports.claim_import_same_file_done.
        indexes = [models.Index(fields=["creditor", "sha256"])]

    def __str__(self):
        return f"{self.filename} ({self.state})"


class ReferenceRate(models.Model):
    """Riksbankens referensränta from a date (räntelagen 9 §): law as data, edited by staff.

    Dröjsmålsränta is this rate + 8 percentage points (6 §). Seeded from DOMAIN.md.
    """

    valid_from = models.DateField(_("valid from"), unique=True)
    rate = models.DecimalField(_("reference rate (%)"), max_digits=5, decimal_places=2)
    note = models.CharField(_("source or note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("reference rate")
        verbose_name_plural = _("reference rates")
        ordering = ["-valid_from"]

    def __str__(self):
        return f"{self.valid_from}: {self.rate} %"


class StatutoryFee(models.Model):
    """The maximum a fee may be by law from a date (lag 1981:739): a change of law is a new row."""

    class Kind(models.TextChoices):
        REMINDER = "reminder_fee", _("Reminder fee (påminnelseavgift)")
        COLLECTION = "collection_fee", _("Collection fee (inkassoavgift)")
        LATE_PAYMENT_COMPENSATION = "late_payment_compensation", _(
            "Late payment compensation (förseningsersättning)")
        PAYMENT_PLAN = "payment_plan_fee", _("Payment plan fee (amorteringsplan)")

    kind = models.CharField(_("fee"), max_length=30, choices=Kind.choices)
    valid_from = models.DateField(_("valid from"))
    amount_ore = models.BigIntegerField(_("maximum (öre)"))
    legal_basis = models.CharField(_("legal basis"), max_length=200)

    class Meta:
        verbose_name = _("statutory fee")
        verbose_name_plural = _("statutory fees")
        ordering = ["kind", "-valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "valid_from"], name="statutory_fee_unique"),
            models.CheckConstraint(condition=models.Q(amount_ore__gte=0),
                                   name="statutory_fee_not_negative"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.valid_from}"


class Step(models.Model):
    """A collection step taken on a claim (PÅM, IK, decision): at most one of each per claim.

    The unique (claim, kind) is the exactly-once key: a tick run twice cannot take a step twice.
    The letters app picks steps up to render and deliver their letters.
    """

    class Kind(models.TextChoices):
        REMINDER = "reminder", _("Reminder (PÅM)")
        DEMAND = "demand", _("Collection demand (IK)")
        DECISION = "decision", _("Decision")

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="steps")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    taken_on = models.DateField(_("taken on"))
    deadline = models.DateField(_("payment deadline"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("step")
        verbose_name_plural = _("steps")
        ordering = ["taken_on", "id"]
        constraints = [
            models.UniqueConstraint(fields=["claim", "kind"], name="step_once_per_claim"),
        ]

    def __str__(self):
        return f"{self.claim} {self.kind} {self.taken_on}"


class TickRun(models.Model):
    """One day the collection tick has run for: `collect` catches up from the last one."""

    day = models.DateField(unique=True)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    steps_taken = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("collection run")
        verbose_name_plural = _("collection runs")
        ordering = ["-day"]

    def __str__(self):
        return str(self.day)
