"""Claims (ärenden), their invoices, the event timeline and the append-only ledger."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models.functions import Upper
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
    # When the claim would be statute-barred, as of the last refresh (letters.services
    # limitation_refresh, daily): the handlers' list of claims close to it. The claim page
    # computes it afresh (letters.selectors.limitation_of).
    limitation_on = models.DateField(_("statute-barred on"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ClaimQuerySet.as_manager()

    class Meta:
        verbose_name = _("claim")
        verbose_name_plural = _("claims")
        ordering = ["-registered_on", "-id"]
        indexes = [models.Index(fields=["creditor", "status", "-registered_on"]),
                   # The creditor's claim list, all statuses, newest first (claims.selectors
                   # claim_list): a page is read off the index, not sorted (bench/load_test.py).
                   models.Index(fields=["creditor", "-registered_on", "-id"],
                                name="claim_list_order"),
                   # The admin's "statute-barred soon" filter (claims.admin).
                   models.Index(fields=["limitation_on"], name="claim_limitation",
                                condition=models.Q(limitation_on__isnull=False))]
        constraints = [
            models.CheckConstraint(condition=models.Q(status__in=Status.values),
                                   name="claim_status_known"),
        ]

    def __str__(self):
        return self.case_number or f"#{self.pk}"

    @property
    def is_closed(self):
        return self.status in CLOSED_STATUSES

    @property
    def collection_stopped(self) -> bool:
        """No letter goes out: the claim is closed, or disputed and being looked into."""
        return self.is_closed or self.status == Status.DISPUTED


def invoice_pdf_path(invoice, filename):
    # Never the uploader's file name on disk: it is user input.
    return f"invoices/{invoice.creditor_id}/{uuid.uuid4().hex}.pdf"


class Invoice(models.Model):
    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="invoices",
                              verbose_name=_("claim"))
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
    # As printed on the creditor's own invoice (an e-invoice carries them, claims.peppol): what
    # the debtor may still pay the creditor with, and evidence of what the invoice said. Bulk
    # writers that do not know them leave the database's default.
    payment_reference = models.CharField(_("the invoice's payment reference (OCR)"),
                                         max_length=35, blank=True, default="", db_default="")
    payee_bankgiro = models.CharField(_("bankgiro on the invoice"), max_length=10, blank=True,
                                      default="", db_default="")

    class Meta:
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        ordering = ["due_date", "id"]
        # The claim list's search by invoice number (case-insensitive, within a creditor).
        indexes = [models.Index(models.F("creditor"), Upper("invoice_number"),
                                name="invoice_number_search")]
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
        STEP_SURVEILLANCE = "step_surveillance", _("Surveillance letter (Bev)")
        SOLVENCY_CHECK = "solvency_check", _("Solvency check (REX)")
        DECISION = "decision", _("Decision after the collection demand")
        KRONOFOGDEN = "kronofogden", _("Kronofogden (KFM)")
        DISPUTE = "dispute", _("Objection (bestridande)")
        PLAN = "plan", _("Instalment plan (Amplan)")
        NOTE = "note", pgettext_lazy("timeline entry", "Note")

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="events",
                              verbose_name=_("claim"))
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
        # An invoice the creditor withdrew after a partial objection: what it still owed,
        # keyed "write_off:<part>:invoice:<id>". No money moves; the claim owes less.
        WRITTEN_OFF_CAPITAL = "written_off_capital", _("Withdrawn: capital")
        WRITTEN_OFF_INTEREST = "written_off_interest", _("Withdrawn: interest")

    CHARGES = (Kind.CAPITAL, Kind.INTEREST, Kind.FEE)
    PAYMENTS = (Kind.DIRECT_PAYMENT, Kind.PAYMENT)
    ALLOCATIONS = (Kind.PAID_COSTS, Kind.PAID_INTEREST, Kind.PAID_CAPITAL, Kind.SURPLUS)
    WRITE_OFFS = (Kind.WRITTEN_OFF_CAPITAL, Kind.WRITTEN_OFF_INTEREST)

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="ledger",
                              verbose_name=_("claim"))
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
        KFM_APPLICATION = "kfm_application_fee", _(
            "Kronofogden: application fee (betalningsföreläggande)")
        KFM_ENFORCEMENT = "kfm_enforcement_fee", _("Kronofogden: enforcement fee (grundavgift)")

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
    """A collection step taken on a claim (PÅM, IK, decision, and each efterbevakning letter).

    The unique (claim, kind, sequence) is the exactly-once key: a tick run twice cannot take a
    step twice. PÅM, IK and the decision are taken once (sequence 1); efterbevakning's letters
    are numbered. The letters app picks steps up to render and deliver their letters.
    """

    class Kind(models.TextChoices):
        REMINDER = "reminder", _("Reminder (PÅM)")
        DEMAND = "demand", _("Collection demand (IK)")
        DECISION = "decision", _("Decision")
        SURVEILLANCE = "surveillance", _("Surveillance letter (Bev)")
        PLAN = "plan", _("Instalment plan (Amplan)")

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="steps",
                              verbose_name=_("claim"))
    kind = models.CharField(max_length=12, choices=Kind.choices)
    sequence = models.PositiveSmallIntegerField(default=1, db_default=1)
    taken_on = models.DateField(_("taken on"))
    deadline = models.DateField(_("payment deadline"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("step")
        verbose_name_plural = _("steps")
        ordering = ["taken_on", "id"]
        constraints = [
            models.UniqueConstraint(fields=["claim", "kind", "sequence"],
                                    name="step_once_per_claim"),
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


class Outcome(models.TextChoices):
    """What a credit report says of the debtor's ability to pay (claims.creditinfo)."""

    SOLVENT = "solvent", _("Solvent")
    INSOLVENT = "insolvent", _("Insolvent")
    PAYMENT_REMARKS = "payment_remarks", _("Payment remarks")
    DEBT_RESTRUCTURING = "debt_restructuring", _("Debt restructuring (skuldsanering)")
    BANKRUPTCY = "bankruptcy", _("Bankruptcy (konkurs)")
    DECEASED = "deceased", _("Deceased")
    UNKNOWN = "unknown", _("Unknown")


class SolvencyCheck(models.Model):
    """A credit report taken on the claim's debtor before the legal step (REX): the evidence
    the decision rests on. One per claim and day (a check is bought, not repeated)."""

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="solvency_checks",
                              verbose_name=_("claim"))
    taken_on = models.DateField(_("taken on"))
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices)
    payment_remarks = models.PositiveIntegerField(_("payment remarks"), default=0)
    debt_at_kfm_ore = models.BigIntegerField(_("debts at Kronofogden (öre)"), default=0)
    reference = models.CharField(_("report reference"), max_length=100, blank=True)
    # A person is sent a copy of every report taken on them (kreditupplysningslagen).
    copy_sent = models.BooleanField(_("copy sent to the debtor"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("solvency check")
        verbose_name_plural = _("solvency checks")
        ordering = ["-taken_on", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["claim", "taken_on"], name="solvency_check_daily"),
            models.CheckConstraint(condition=models.Q(debt_at_kfm_ore__gte=0),
                                   name="solvency_check_debt_not_negative"),
        ]

    def __str__(self):
        return f"{self.claim} {self.taken_on} {self.outcome}"


class Decision(models.Model):
    """How a claim goes on after the collection demand: to Kronofogden (BF), to long-term
    surveillance (efterbevakning), or withdrawn; by the creditor's policy or by a person.

    The decision step it answers is the exactly-once key: a step is decided once."""

    class Choice(models.TextChoices):
        KRONOFOGDEN = "kronofogden", _("Apply to Kronofogden")
        SURVEILLANCE = "surveillance", _("Long-term surveillance")
        WITHDRAW = "withdraw", _("Withdraw the claim")

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="decisions",
                              verbose_name=_("claim"))
    step = models.OneToOneField(Step, null=True, blank=True, on_delete=models.PROTECT,
                                related_name="decision")
    choice = models.CharField(_("choice"), max_length=20, choices=Choice.choices)
    solvency_check = models.ForeignKey(SolvencyCheck, null=True, blank=True,
                                       on_delete=models.PROTECT, related_name="decisions",
                                       verbose_name=_("solvency check"))
    by_policy = models.BooleanField(_("decided by the policy"), default=False)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+",
                                   verbose_name=_("decided by"))
    decided_on = models.DateField(_("decided on"))
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("decision")
        verbose_name_plural = _("decisions")
        ordering = ["-decided_on", "-id"]

    def __str__(self):
        return f"{self.claim} {self.choice} {self.decided_on}"


class DecisionReminder(models.Model):
    """An e-mail reminding a creditor of claims waiting for their decision (claims.decisions):
    at most one a week per creditor."""

    creditor = models.ForeignKey(Creditor, on_delete=models.CASCADE, related_name="+")
    sent_on = models.DateField()
    claims = models.PositiveIntegerField()  # how many were waiting

    class Meta:
        constraints = [models.UniqueConstraint(fields=["creditor", "sent_on"],
                                               name="decision_reminder_daily")]


class KronofogdenApplication(models.Model):
    """An application for betalningsföreläggande (BF) to Kronofogden for a claim: the file
    (claims.kronofogden) and a readable PDF, prepared once a decision sends the claim there,
    held with its problems when it cannot be made, and sent by a handler.

    (claim, sequence) is the exactly-once key: a claim back from efterbevakning gets a new
    application, never the same one twice."""

    class State(models.TextChoices):
        PREPARED = "prepared", _("Prepared: to be sent to Kronofogden")
        HELD = "held", _("Held: cannot be made as it stands")
        SENT = "sent", _("Sent to Kronofogden")
        # Kronofogden's answers, recorded by handlers (claims.enforcement.ANSWERS).
        RECEIVED = "received", _("Received by Kronofogden")
        SERVED = "served", _("Served on the debtor")
        OBJECTED = "objected", _("Objected to by the debtor")
        JUDGMENT = "judgment", _("Utslag: the debtor is ordered to pay")
        ENFORCEMENT = "enforcement", _("Enforcement applied for")
        NO_ASSETS = "no_assets", _("No assets found (SUT)")

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT,
                              related_name="kronofogden_applications", verbose_name=_("claim"))
    sequence = models.PositiveSmallIntegerField(default=1)
    decision = models.OneToOneField(Decision, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="kronofogden_application")
    state = models.CharField(_("state"), max_length=12, choices=State.choices)
    prepared_on = models.DateField(_("prepared on"))
    reference = models.CharField(_("our reference"), max_length=30)
    kfm_case_number = models.CharField(_("Kronofogden's case number (målnummer)"),
                                       max_length=40, blank=True)
    problems = models.JSONField(_("problems"), default=list, blank=True)
    xml = models.BinaryField(_("file"), blank=True)
    pdf = models.FileField(_("application (PDF)"), upload_to="kronofogden/%Y/%m/", blank=True)
    sha256 = models.CharField(_("SHA-256 of the file"), max_length=64, blank=True)
    capital_ore = models.BigIntegerField(_("capital (öre)"), default=0)
    interest_ore = models.BigIntegerField(_("interest (öre)"), default=0)
    fees_ore = models.BigIntegerField(_("fees (öre)"), default=0)
    sent_on = models.DateField(_("sent on"), null=True, blank=True)
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="+",
                                verbose_name=_("sent by"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("Kronofogden application")
        verbose_name_plural = _("Kronofogden applications")
        ordering = ["-prepared_on", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["claim", "sequence"],
                                    name="kronofogden_application_once"),
            models.CheckConstraint(
                condition=models.Q(state="held") | ~models.Q(sha256=""),
                name="kronofogden_application_has_file"),
        ]

    def __str__(self):
        return self.reference

    @property
    def filename(self) -> str:
        return f"bf-{self.reference}.xml"


class Dispute(models.Model):
    """An objection to the claim (bestridande): collection stops at once, the creditor is
    asked for its position, and a handler resolves it. At most one open per claim.

    A partial objection names some of the claim's invoices (``invoices``; none: the whole
    claim): only they are held (``claims.statement`` rule 6), from ``held_from`` until
    ``held_until`` (upheld), while the rest is collected as before."""

    class Channel(models.TextChoices):
        MITT_ARENDE = "mitt_arende", _("Mitt Ärende")
        POST = "post", _("Letter")
        PHONE = "phone", _("Phone")
        EMAIL = "email", _("E-mail")
        KRONOFOGDEN = "kronofogden", _("At Kronofogden")

    class Reason(models.TextChoices):
        NOT_ORDERED = "not_ordered", _("Did not order it")
        NOT_DELIVERED = "not_delivered", _("Not delivered, or not as agreed")
        ALREADY_PAID = "already_paid", _("Already paid")
        WRONG_AMOUNT = "wrong_amount", _("The amount is wrong")
        OTHER = "other", _("Other")

    class Position(models.TextChoices):
        WITHDRAW = "withdraw", _("We withdraw the claim")
        CONTINUE = "continue", _("The claim stands: continue")
        COURT = "court", _("The claim stands: take it to court")

    class Resolution(models.TextChoices):
        WITHDRAWN = "withdrawn", _("Withdrawn")
        CONTINUED = "continued", _("Upheld: collection continues")
        COURT = "court", _("To court (tingsrätt)")

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="disputes",
                              verbose_name=_("claim"))
    received_on = models.DateField(_("received on"))
    channel = models.CharField(_("received by"), max_length=12, choices=Channel.choices)
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    text = models.TextField(_("the debtor's words"), max_length=2000, blank=True)
    invoices = models.ManyToManyField(Invoice, blank=True, related_name="disputes",
                                      verbose_name=_("disputed invoices"))
    held_from = models.DateField(null=True, blank=True)
    held_until = models.DateField(null=True, blank=True)
    # The status collection returns to if the objection is rejected.
    previous_status = models.CharField(max_length=20, choices=Status.choices)
    registered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                      on_delete=models.SET_NULL, related_name="+",
                                      verbose_name=_("registered by"))
    position = models.CharField(_("creditor's position"), max_length=10,
                                choices=Position.choices, blank=True)
    position_text = models.TextField(_("creditor's comment"), max_length=2000, blank=True)
    position_on = models.DateField(_("answered on"), null=True, blank=True)
    position_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+",
                                    verbose_name=_("answered by"))
    resolution = models.CharField(_("resolution"), max_length=10, choices=Resolution.choices,
                                  blank=True)
    resolution_reason = models.TextField(_("reason for the resolution"), max_length=2000,
                                         blank=True)
    resolved_on = models.DateField(_("resolved on"), null=True, blank=True)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+",
                                    verbose_name=_("resolved by"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("objection")
        verbose_name_plural = _("objections")
        ordering = ["-received_on", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["claim"], condition=models.Q(resolved_on__isnull=True),
                                    name="dispute_one_open_per_claim"),
        ]

    def __str__(self):
        return f"{self.claim} {self.received_on}"

    @property
    def is_open(self) -> bool:
        return self.resolved_on is None

    @property
    def is_partial(self) -> bool:
        return self.held_from is not None


class SurveillancePolicy(models.Model):
    """Efterbevakning, as a dated policy: how often a claim under long-term surveillance gets
    a letter (DOMAIN.md: about every three months) and a new solvency check (ekrav's choice,
    editable by staff). The row in force on a day is the latest not after it."""

    valid_from = models.DateField(_("valid from"), unique=True)
    letter_every_months = models.PositiveSmallIntegerField(_("a letter every (months)"))
    recheck_every_months = models.PositiveSmallIntegerField(
        _("a new solvency check every (months)"))
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("surveillance policy")
        verbose_name_plural = _("surveillance policies")
        ordering = ["-valid_from"]
        constraints = [
            models.CheckConstraint(condition=models.Q(letter_every_months__gte=1,
                                                      recheck_every_months__gte=1),
                                   name="surveillance_policy_positive"),
        ]

    def __str__(self):
        return f"{self.valid_from}: {self.letter_every_months}/{self.recheck_every_months}"


class PaymentPlan(models.Model):
    """An instalment plan (amorteringsplan) with the debtor: collection pauses while it is
    kept, a missed instalment (after the grace days) breaks it and collection goes on.

    The plan is a written plan sent as a letter (its step): only then is the statutory fee
    charged (lag 1981:739). At most one plan per claim is requested or running."""

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Requested: for the creditor to decide")
        ACTIVE = "active", _("Running")
        REJECTED = "rejected", _("Rejected")
        BROKEN = "broken", _("Broken: an instalment was missed")
        COMPLETED = "completed", _("Completed")

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="plans",
                              verbose_name=_("claim"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    months = models.PositiveSmallIntegerField(_("months"))
    first_due = models.DateField(_("first instalment due"))
    # [{"n", "due_on", "amount_ore"}]: the schedule as agreed (claims.plans).
    instalments = models.JSONField(_("instalments"), default=list)
    total_ore = models.BigIntegerField(_("total (öre)"))
    fee_ore = models.BigIntegerField(_("plan fee (öre)"), default=0)
    previous_status = models.CharField(max_length=20, blank=True)  # the claim's, to go back to
    requested_on = models.DateField(_("requested on"))
    decided_on = models.DateField(_("decided on"), null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+",
                                   verbose_name=_("decided by"))
    by_policy = models.BooleanField(_("within the creditor's limits"), default=False)
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("instalment plan")
        verbose_name_plural = _("instalment plans")
        ordering = ["-requested_on", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["claim"],
                                    condition=models.Q(status__in=["requested", "active"]),
                                    name="plan_one_open_per_claim"),
            models.CheckConstraint(condition=models.Q(months__gte=1, total_ore__gt=0),
                                   name="plan_positive"),
        ]

    def __str__(self):
        return f"{self.claim} {self.months} × {self.status}"


class CaseMessage(models.Model):
    """A message in a claim's thread (ärendets meddelanden) between the creditor and the
    agency's handlers; the debtor's own messages from Mitt Ärende are on the timeline and are
    shown in the same thread. The other side is told by e-mail, once (``notified_at``)."""

    class Sender(models.TextChoices):
        CREDITOR = "creditor", _("Creditor")
        AGENCY = "agency", _("Case handler")

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="messages",
                              verbose_name=_("claim"))
    sender = models.CharField(_("from"), max_length=10, choices=Sender.choices)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="+",
                               verbose_name=_("written by"))
    text = models.TextField(_("message"), max_length=4000)
    notified_at = models.DateTimeField(_("other side told"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("case message")
        verbose_name_plural = _("case messages")
        ordering = ["created_at", "id"]
        indexes = [
            # claims.messages: the e-mails still to send.
            models.Index(fields=["id"], name="case_message_notify_due",
                         condition=models.Q(notified_at__isnull=True)),
        ]

    def __str__(self):
        return f"{self.claim} {self.sender} {self.created_at:%Y-%m-%d}"


def dispute_attachment_path(attachment, filename):
    # Never the uploader's file name on disk: it is user input.
    return f"disputes/{attachment.dispute.claim_id}/{uuid.uuid4().hex}"


class DisputeAttachment(models.Model):
    """A document the debtor sent with an objection (a receipt, a photo, a letter): checked by
    its content on the way in (claims.documents), served only to the claim's creditor and the
    handlers."""

    dispute = models.ForeignKey(Dispute, on_delete=models.PROTECT, related_name="attachments")
    file = models.FileField(_("file"), upload_to=dispute_attachment_path)
    name = models.CharField(_("file name"), max_length=100)  # as sent, for people to read
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["id"]

    def __str__(self):
        return self.name
