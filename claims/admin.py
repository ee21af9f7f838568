from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.db.models import Sum

from claims.interest import MARGIN
from claims.models import (
    CaseMessage,
    Claim,
    ClaimImport,
    Decision,
    Dispute,
    DisputeAttachment,
    Event,
    Invoice,
    KronofogdenApplication,
    LedgerEntry,
    PaymentPlan,
    ReferenceRate,
    SolvencyCheck,
    StatutoryFee,
    Step,
    SurveillancePolicy,
)
from ekrav.admin import ServiceWrittenAdmin, errors_to_form
from ekrav.money import format_sek


class InvoiceInline(admin.TabularInline):
    model = Invoice
    extra = 0
    fields = ["invoice_number", "invoice_date", "due_date", "amount_ore", "description",
              "reminder_fee_agreed", "pdf", "payment_reference", "payee_bankgiro"]
    readonly_fields = fields
    can_delete = False


class EventInline(admin.TabularInline):
    model = Event
    extra = 0
    fields = ["occurred_on", "kind", "text", "actor"]
    readonly_fields = fields
    can_delete = False


class LedgerInline(admin.TabularInline):
    model = LedgerEntry
    extra = 0
    fields = ["booked_on", "kind", "amount", "legal_basis", "key"]
    readonly_fields = fields
    can_delete = False

    @admin.display(description=_("Amount"))
    def amount(self, obj):
        return format_sek(obj.amount_ore)

    def has_add_permission(self, request, obj=None):
        return False  # the ledger is written by services only


class StepInline(admin.TabularInline):
    model = Step
    extra = 0
    fields = ["kind", "taken_on", "deadline", "created_at"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False  # steps are taken by the collection engine only


class SolvencyCheckInline(admin.TabularInline):
    model = SolvencyCheck
    extra = 0
    fields = ["taken_on", "outcome", "payment_remarks", "debt_at_kfm_ore", "reference",
              "copy_sent"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False  # reports come from the credit bureau (claims.decisions)


class DecisionInline(admin.TabularInline):
    model = Decision
    extra = 0
    fields = ["decided_on", "choice", "by_policy", "decided_by", "solvency_check", "reason"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False  # decided through claims.decisions, with its status change


class LimitationFilter(admin.SimpleListFilter):
    """Claims close to being statute-barred (as of the nightly refresh, Claim.limitation_on),
    so a handler sends a letter or applies to Kronofogden in time."""

    title = _("statute of limitations")
    parameter_name = "limitation"

    def lookups(self, request, model_admin):
        return [("90", _("within 90 days")), ("365", _("within a year")),
                ("passed", _("passed"))]

    def queryset(self, request, queryset):
        today = timezone.localdate()
        if self.value() == "passed":
            return queryset.filter(limitation_on__lt=today)
        if self.value() in ("90", "365"):
            from datetime import timedelta

            return queryset.filter(limitation_on__gte=today, limitation_on__lte=today
                                   + timedelta(days=int(self.value())))
        return queryset


class CaseMessageInline(admin.TabularInline):
    model = CaseMessage
    extra = 0
    fields = ["created_at", "sender", "author", "text", "notified_at"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False  # written through "Write to the creditor" (the e-mail goes with it)


class CaseMessageForm(forms.Form):
    text = forms.CharField(label=_("Message to the creditor"), widget=forms.Textarea,
                           max_length=4000)


@admin.register(Claim)
class ClaimAdmin(admin.ModelAdmin):
    list_display = ["case_number", "debtor", "creditor", "status", "capital", "registered_on",
                    "next_action_on", "hold_until", "limitation_on", "source"]
    list_filter = ["status", LimitationFilter, "source", "registered_on"]
    search_fields = ["case_number", "ocr", "debtor__name", "debtor__identity_number",
                     "creditor__name", "creditor__organisation_number",
                     "invoices__invoice_number"]
    list_select_related = ["debtor", "creditor"]
    # The hold is set by the debtor's "already paid" (debtors.services), with its event.
    readonly_fields = ["case_number", "ocr", "creditor", "debtor", "registered_on", "source",
                       "created_by", "created_at", "status", "hold_until", "limitation_on"]
    inlines = [InvoiceInline, StepInline, SolvencyCheckInline, DecisionInline, CaseMessageInline,
               LedgerInline, EventInline]
    date_hierarchy = "registered_on"
    show_full_result_count = False

    def has_add_permission(self, request):
        return False  # claims are registered through the services (portal, CSV, API)

    def get_urls(self):
        return [path("<int:pk>/meddelande/", self.admin_site.admin_view(self.message_view),
                     name="claims_claim_message"), *super().get_urls()]

    def message_view(self, request, pk):
        """A handler writes to the creditor in the claim's thread (e-mailed once)."""
        from claims.messages import case_message_send, thread_of
        from claims.services import ClaimError

        if not self.has_change_permission(request):
            raise PermissionDenied
        claim = get_object_or_404(Claim.objects.select_related("creditor", "debtor"), pk=pk)
        form = CaseMessageForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                case_message_send(claim=claim, sender="agency", text=form.cleaned_data["text"],
                                  user=request.user)
            except ClaimError as exc:
                errors_to_form(form, exc.errors)
            else:
                messages.success(request, _("The message is sent to the creditor."))
                return redirect("admin:claims_claim_change", pk)
        return render(request, "admin/claims/case_message.html", {
            **self.admin_site.each_context(request), "claim": claim, "form": form,
            "thread": thread_of(claim), "opts": self.model._meta,
            "title": _("Write to the creditor")})

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(
            capital_ore=Sum("invoices__amount_ore"))

    @admin.display(description=_("Capital"), ordering="capital_ore")
    def capital(self, obj):
        return format_sek(obj.capital_ore or 0)


@admin.register(LedgerEntry)
class LedgerEntryAdmin(admin.ModelAdmin):
    list_display = ["booked_on", "claim", "kind", "amount_ore", "legal_basis"]
    list_filter = ["kind"]
    search_fields = ["claim__case_number", "key"]
    list_select_related = ["claim"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False


@admin.register(ClaimImport)
class ClaimImportAdmin(admin.ModelAdmin):
    list_display = ["filename", "creditor", "state", "total_rows", "valid_rows",
                    "created_count", "created_at"]
    list_filter = ["state"]
    search_fields = ["filename", "sha256", "creditor__name"]
    exclude = ["rows"]


@admin.register(ReferenceRate)
class ReferenceRateAdmin(admin.ModelAdmin):
    """Staff correct a rate or add the next half-year's; the engine reads the table as is."""

    list_display = ["valid_from", "rate", "late_interest", "note"]
    search_fields = ["note"]

    @admin.display(description=_("Late-payment interest (%)"))
    def late_interest(self, obj):
        return obj.rate + MARGIN  # dröjsmålsränta: referensränta + 8 procentenheter (6 §)


@admin.register(StatutoryFee)
class StatutoryFeeAdmin(admin.ModelAdmin):
    list_display = ["kind", "valid_from", "amount", "legal_basis"]
    list_filter = ["kind"]

    @admin.display(description=_("Maximum"))
    def amount(self, obj):
        return format_sek(obj.amount_ore)



class KfmAnswerForm(forms.Form):
    answer = forms.ChoiceField(label=_("Kronofogden's answer"), choices=[
        ("received", _("Application received")), ("served", _("Served on the debtor")),
        ("objected", _("The debtor objected")), ("judgment", _("Utslag")),
        ("enforcement", _("Enforcement applied for")), ("no_assets", _("No assets (SUT)"))])
    on = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    kfm_case_number = forms.CharField(label=_("Kronofogden's case number (målnummer)"),
                                      max_length=40, required=False)
    note = forms.CharField(label=_("Note"), max_length=300, required=False)


class KfmPaymentForm(forms.Form):
    amount = forms.CharField(label=_("Amount (kr)"), max_length=20)
    paid_on = forms.DateField(label=_("Paid on"),
                              widget=forms.DateInput(attrs={"type": "date"}))
    reference = forms.CharField(label=_("Kronofogden's payment reference"), max_length=60)

    def clean_amount(self):
        from ekrav.money import MoneyError, parse_sek

        try:
            return parse_sek(self.cleaned_data["amount"])
        except MoneyError as exc:
            raise forms.ValidationError(str(exc)) from None


@admin.register(KronofogdenApplication)
class KronofogdenApplicationAdmin(ServiceWrittenAdmin):
    """Applications for betalningsföreläggande: a handler downloads the file, sends it through
    Kronofogden's file service, and marks it sent (the fee is booked then); a held one shows
    its problems and is made again once they are put right."""

    list_display = ["reference", "claim", "state", "prepared_on", "total", "sent_on",
                    "downloads", "problem_list"]
    list_filter = ["state", "prepared_on", "sent_on"]
    search_fields = ["reference", "claim__case_number", "claim__debtor__name"]
    list_select_related = ["claim"]
    exclude = ["xml"]
    readonly_fields = [f.name for f in KronofogdenApplication._meta.fields if f.name != "xml"]
    actions = ["mark_sent", "make_again"]


    @admin.display(description=_("Total"))
    def total(self, obj):
        return format_sek(obj.capital_ore + obj.interest_ore + obj.fees_ore)

    @admin.display(description=_("Problems"))
    def problem_list(self, obj):
        return "; ".join(p.get("message", "") for p in obj.problems)

    @admin.display(description=_("Files"))
    def downloads(self, obj):
        if not obj.sha256:
            return "–"
        return format_html(
            '<a href="{}">XML</a> · <a href="{}">PDF</a>',
            reverse("admin:claims_kronofogdenapplication_file", args=[obj.pk, "xml"]),
            reverse("admin:claims_kronofogdenapplication_file", args=[obj.pk, "pdf"]))

    def get_urls(self):
        view = self.admin_site.admin_view
        return [path("<int:pk>/fil/<str:kind>/", view(self.file_view),
                     name="claims_kronofogdenapplication_file"),
                path("<int:pk>/svar/", view(self.answer_view),
                     name="claims_kronofogdenapplication_answer"),
                path("<int:pk>/betalning/", view(self.payment_view),
                     name="claims_kronofogdenapplication_payment"), *super().get_urls()]

    def _form_view(self, request, pk, form_class, act, title, done):
        if not self.has_change_permission(request):
            raise PermissionDenied
        application = get_object_or_404(KronofogdenApplication, pk=pk)
        form = form_class(request.POST or None)
        if request.method == "POST" and form.is_valid():
            from claims.services import ClaimError

            try:
                act(application, form.cleaned_data)
            except ClaimError as exc:
                errors_to_form(form, exc.errors)
            else:
                messages.success(request, done)
                return redirect("admin:claims_kronofogdenapplication_change", pk)
        return render(request, "admin/claims/kfm_form.html", {
            **self.admin_site.each_context(request), "application": application, "form": form,
            "title": title, "opts": self.model._meta})

    def answer_view(self, request, pk):
        from claims.enforcement import kfm_answer_record

        return self._form_view(
            request, pk, KfmAnswerForm, lambda application, data: kfm_answer_record(
                application_id=application.pk, answer=data["answer"], on=data["on"],
                user=request.user, kfm_case_number=data["kfm_case_number"],
                note=data["note"]),
            _("Record Kronofogden's answer"), _("Kronofogden's answer is recorded."))

    def payment_view(self, request, pk):
        from payments.enforcement import kronofogden_payment_record

        return self._form_view(
            request, pk, KfmPaymentForm, lambda application, data: kronofogden_payment_record(
                application_id=application.pk, amount_ore=data["amount"],
                paid_on=data["paid_on"], reference=data["reference"],
                today=timezone.localdate(), user=request.user),
            _("Record a payment from Kronofogden"),
            _("The payment from Kronofogden is booked on the claim."))

    def file_view(self, request, pk, kind):
        if not self.has_view_permission(request):
            raise PermissionDenied
        application = get_object_or_404(KronofogdenApplication, pk=pk)
        if not application.sha256 or kind not in ("xml", "pdf"):
            raise Http404
        if kind == "xml":
            response = HttpResponse(bytes(application.xml), content_type="application/xml")
            name = application.filename
        else:
            from letters.services import kfm_application_pdf  # the room that renders

            response = HttpResponse(kfm_application_pdf(application_id=pk),
                                    content_type="application/pdf")
            name = f"bf-{application.reference}.pdf"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response

    @admin.action(description=_("Mark as sent to Kronofogden today"))
    def mark_sent(self, request, queryset):
        from claims.enforcement import kfm_application_send
        from claims.services import ClaimError

        done = 0
        for pk in queryset.values_list("pk", flat=True):
            try:
                kfm_application_send(application_id=pk, today=timezone.localdate(),
                                     user=request.user)
            except ClaimError:
                continue
            done += 1
        self.message_user(request, _("%(n)d applications marked as sent.") % {"n": done},
                          messages.SUCCESS if done else messages.WARNING)

    @admin.action(description=_("Make held applications again"))
    def make_again(self, request, queryset):
        from claims.enforcement import kfm_application_retry
        from claims.services import ClaimError

        made = 0
        for pk in queryset.filter(state="held").values_list("pk", flat=True):
            try:
                application = kfm_application_retry(application_id=pk,
                                                    today=timezone.localdate())
            except ClaimError:
                continue
            made += application.state == "prepared"
        self.message_user(request, _("%(n)d applications prepared.") % {"n": made})


class DisputeRegisterForm(forms.Form):
    case_number = forms.CharField(label=_("Case number"), max_length=16)
    received_on = forms.DateField(label=_("Received on"),
                                  widget=forms.DateInput(attrs={"type": "date"}))
    channel = forms.ChoiceField(label=_("Received by"), choices=Dispute.Channel.choices)
    reason = forms.ChoiceField(label=_("Reason"), choices=Dispute.Reason.choices)
    text = forms.CharField(label=_("The debtor's words"), widget=forms.Textarea, max_length=2000,
                           required=False)
    invoices = forms.CharField(
        label=_("Invoices (for a partial objection)"), required=False, max_length=1000,
        help_text=_("The invoice numbers of the case the debtor objects to, comma-separated. "
                    "Blank: the whole case."))

    def clean_case_number(self):
        claim = Claim.objects.filter(case_number=self.cleaned_data["case_number"].strip()).first()
        if claim is None:
            raise forms.ValidationError(_("No case has that number."))
        return claim

    def clean(self):
        """``invoice_ids``: the ids of the case's invoices named, or None (the whole case)."""
        data = super().clean()
        numbers = [n.strip() for n in (data.get("invoices") or "").split(",") if n.strip()]
        data["invoice_ids"] = None
        claim = data.get("case_number")
        if not numbers or claim is None:
            return data
        by_number = {i.invoice_number: i.pk for i in claim.invoices.all()}
        unknown = [n for n in numbers if n not in by_number]
        if unknown:
            self.add_error("invoices", _("Not an invoice of case %(case)s: %(numbers)s.") % {
                "case": claim.case_number, "numbers": ", ".join(unknown)})
        else:
            data["invoice_ids"] = sorted({by_number[n] for n in numbers})
        return data


class DisputeResolveForm(forms.Form):
    resolution = forms.ChoiceField(label=_("Resolution"), choices=Dispute.Resolution.choices)
    reason = forms.CharField(label=_("Reason (told to the debtor and the creditor)"),
                             widget=forms.Textarea, max_length=2000)


class OpenDisputeFilter(admin.SimpleListFilter):
    title = _("open")
    parameter_name = "open"

    def lookups(self, request, model_admin):
        return [("yes", _("Open")), ("no", _("Resolved"))]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(resolved_on__isnull=self.value() == "yes")
        return queryset


class DisputeAttachmentInline(admin.TabularInline):
    model = DisputeAttachment
    extra = 0
    fields = ["download", "content_type", "size", "sha256", "created_at"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description=_("File"))
    def download(self, obj):
        return format_html('<a href="{}">{}</a>', reverse(
            "admin:claims_dispute_attachment", args=[obj.dispute_id, obj.pk]), obj.name)


@admin.register(Dispute)
class DisputeAdmin(admin.ModelAdmin):
    """Objections: registered here when they come by letter or phone (from Mitt Ärende they
    come by themselves), looked into with the creditor's position, resolved with a reason."""

    list_display = ["claim", "received_on", "channel", "reason", "disputed_invoices",
                    "position", "resolution", "resolved_on"]
    list_filter = [OpenDisputeFilter, "channel", "reason", "position", "resolution"]
    search_fields = ["claim__case_number", "claim__debtor__name", "text"]
    list_select_related = ["claim"]
    readonly_fields = [*(f.name for f in Dispute._meta.fields), "disputed_invoices"]
    exclude = ["invoices"]
    inlines = [DisputeAttachmentInline]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("invoices")

    @admin.display(description=_("disputed invoices"))
    def disputed_invoices(self, obj):
        """A partial objection's invoices (held); the whole case otherwise."""
        if not obj.is_partial:
            return _("The whole case")
        return ", ".join(i.invoice_number for i in sorted(
            obj.invoices.all(), key=lambda i: (i.due_date, i.pk)))

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        view = self.admin_site.admin_view
        return [path("<int:pk>/avgor/", view(self.resolve_view),
                     name="claims_dispute_resolve"),
                path("<int:pk>/bilaga/<int:attachment_id>/", view(self.attachment_view),
                     name="claims_dispute_attachment"), *super().get_urls()]

    def attachment_view(self, request, pk, attachment_id):
        from django.http import FileResponse

        if not self.has_view_permission(request):
            raise PermissionDenied
        attachment = get_object_or_404(DisputeAttachment, pk=attachment_id, dispute_id=pk)
        return FileResponse(attachment.file.open("rb"), content_type=attachment.content_type,
                            as_attachment=True, filename=attachment.name)

    def add_view(self, request, form_url="", extra_context=None):
        from claims.disputes import dispute_register
        from claims.services import ClaimError

        if not self.has_add_permission(request):
            raise PermissionDenied
        form = DisputeRegisterForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                dispute = dispute_register(
                    claim_id=data["case_number"].pk, channel=data["channel"],
                    reason=data["reason"], text=data["text"], received_on=data["received_on"],
                    user=request.user, invoice_ids=data["invoice_ids"])
            except ClaimError as exc:
                errors_to_form(form, exc.errors)
            else:
                if dispute.is_partial:
                    messages.success(request, _(
                        "The partial objection is registered: invoices %(invoices)s of case "
                        "%(case)s are held; the rest is collected as before.") % {
                        "case": data["case_number"].case_number,
                        "invoices": ", ".join(i.invoice_number for i in dispute.invoices.all())})
                else:
                    messages.success(request, _("The objection is registered: collection of "
                                                "case %(case)s is stopped.") % {
                        "case": data["case_number"].case_number})
                return redirect("admin:claims_dispute_changelist")
        return render(request, "admin/claims/dispute_form.html", {
            **self.admin_site.each_context(request), "form": form, "opts": self.model._meta,
            "title": _("Register an objection")})

    def resolve_view(self, request, pk):
        from claims.disputes import dispute_resolve
        from claims.services import ClaimError

        if not self.has_change_permission(request):
            raise PermissionDenied
        dispute = get_object_or_404(Dispute.objects.select_related("claim__debtor"), pk=pk)
        form = DisputeResolveForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                dispute_resolve(dispute_id=pk, resolution=form.cleaned_data["resolution"],
                                reason=form.cleaned_data["reason"],
                                today=timezone.localdate(), user=request.user)
            except ClaimError as exc:
                errors_to_form(form, exc.errors)
            else:
                messages.success(request, _("The objection is resolved."))
                return redirect("admin:claims_dispute_changelist")
        return render(request, "admin/claims/dispute_form.html", {
            **self.admin_site.each_context(request), "form": form, "dispute": dispute,
            "opts": self.model._meta, "title": _("Resolve the objection")})


@admin.register(SurveillancePolicy)
class SurveillancePolicyAdmin(admin.ModelAdmin):
    """Efterbevakning as a dated policy: a change is a new row from its day."""

    list_display = ["valid_from", "letter_every_months", "recheck_every_months", "note"]


@admin.register(PaymentPlan)
class PaymentPlanAdmin(ServiceWrittenAdmin):
    """Instalment plans: a handler agrees to (or declines) a plan beyond the creditor's limits
    when the creditor asks them to; running plans are checked by the daily run."""

    list_display = ["claim", "status", "months", "total", "first_due", "requested_on",
                    "decided_on", "by_policy", "note"]
    list_filter = ["status", "by_policy", "requested_on"]
    search_fields = ["claim__case_number", "claim__debtor__name"]
    list_select_related = ["claim"]
    readonly_fields = [f.name for f in PaymentPlan._meta.fields]
    actions = ["agree", "decline"]


    @admin.display(description=_("Total"))
    def total(self, obj):
        return format_sek(obj.total_ore)

    def _decide(self, request, queryset, approve: bool):
        from claims.payment_plans import plan_decide
        from claims.services import ClaimError

        done = 0
        for pk in queryset.filter(status="requested").values_list("pk", flat=True):
            try:
                plan_decide(plan_id=pk, approve=approve, today=timezone.localdate(),
                            user=request.user)
            except ClaimError as exc:
                self.message_user(request, exc.message, messages.WARNING)
                continue
            done += 1
        self.message_user(request, _("%(n)d plans decided.") % {"n": done})

    @admin.action(description=_("Agree to the plan"))
    def agree(self, request, queryset):
        self._decide(request, queryset, approve=True)

    @admin.action(description=_("Decline the plan"))
    def decline(self, request, queryset):
        self._decide(request, queryset, approve=False)


@admin.register(CaseMessage)
class CaseMessageAdmin(ServiceWrittenAdmin):
    """Every claim's messages, newest first: a handler finds the creditors' questions here."""

    list_display = ["created_at", "claim", "sender", "author", "short", "notified_at"]
    list_filter = ["sender", "created_at"]
    search_fields = ["claim__case_number", "text"]
    list_select_related = ["claim", "author"]
    readonly_fields = [f.name for f in CaseMessage._meta.fields]
    ordering = ["-created_at"]

    @admin.display(description=_("Message"))
    def short(self, obj):
        return obj.text[:80]
