"""Incoming payments for case handlers: the unmatched queue (assign to a claim or refund),
refunds of what is held for a payer, and the BgMax files, uploaded here or by
`manage.py import_bgmax`."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from claims.models import Claim
from claims.services import ClaimError
from ekrav.admin import ReadOnlyAdmin, errors_to_form
from ekrav.money import format_sek
from payments.models import (
    BgmaxImport,
    IncomingPayment,
    PaymentRequest,
    PayoutFile,
    Refund,
    Settlement,
)
from payments.refunds import RefundError, refund_create, refund_mark_paid, refundable_ore
from payments.services import (
    BgmaxRejected,
    bgmax_import,
    payment_assign,
    payment_mark_for_refund,
)

MAX_BGMAX_BYTES = 50 * 1024 * 1024


class RefundForm(forms.Form):
    payee_name = forms.CharField(label=_("Pay back to (name)"), max_length=70)
    bankgiro = forms.CharField(label=_("Bankgiro"), max_length=12, required=False)
    clearing = forms.CharField(label=_("or clearing number"), max_length=8, required=False)
    account = forms.CharField(label=_("and account number"), max_length=20, required=False)


class AssignForm(forms.Form):
    case_number = forms.CharField(label=_("Case number"), max_length=16)

    def clean_case_number(self):
        claim = Claim.objects.filter(case_number=self.cleaned_data["case_number"].strip()).first()
        if claim is None:
            raise ValidationError(_("No case has that number."))
        if claim.is_closed:
            raise ValidationError(_("That case is closed."))
        return claim


@admin.register(IncomingPayment)
class IncomingPaymentAdmin(admin.ModelAdmin):
    list_display = ["paid_on", "source", "amount", "reference", "payer_name", "state", "claim",
                    "matched_by", "note"]
    list_filter = ["state", "source", "matched_by", "paid_on"]
    search_fields = ["reference", "payer_name", "claim__case_number", "external_id"]
    list_select_related = ["claim"]
    readonly_fields = [f.name for f in IncomingPayment._meta.fields]
    actions = ["mark_for_refund"]

    @admin.display(description=_("Amount"))
    def amount(self, obj):
        return format_sek(obj.amount_ore)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        return [path("<int:pk>/assign/", self.admin_site.admin_view(self.assign_view),
                     name="payments_incomingpayment_assign"),
                path("<int:pk>/refund/", self.admin_site.admin_view(self.refund_view),
                     name="payments_incomingpayment_refund"), *super().get_urls()]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        payment = IncomingPayment.objects.filter(pk=object_id).first()
        refundable = (payment is not None and not Refund.objects.filter(payment=payment).exists()
                      and refundable_ore(payment))
        return super().change_view(request, object_id, form_url, {
            **(extra_context or {}), "refundable_ore": refundable or 0})

    def refund_view(self, request, pk):
        if not self.has_change_permission(request):
            raise PermissionDenied
        payment = get_object_or_404(IncomingPayment, pk=pk)
        form = RefundForm(request.POST or None, initial={
            "payee_name": payment.payer_name, "bankgiro": payment.payer_bankgiro})
        if request.method == "POST" and form.is_valid():
            try:
                refund = refund_create(payment_id=pk, user=request.user, **form.cleaned_data)
            except RefundError as exc:
                errors_to_form(form, exc.errors)
            else:
                messages.success(request, _("%(amount)s will be paid back to %(to)s with the "
                                            "next payout file.") % {
                    "amount": format_sek(refund.amount_ore), "to": refund.destination})
                return redirect("admin:payments_refund_changelist")
        return render(request, "admin/payments/refund.html", {
            **self.admin_site.each_context(request), "payment": payment, "form": form,
            "amount_ore": refundable_ore(payment), "title": _("Pay back to the payer"),
            "opts": self.model._meta})

    def assign_view(self, request, pk):
        if not self.has_change_permission(request):
            raise PermissionDenied
        payment = get_object_or_404(IncomingPayment, pk=pk)
        form = AssignForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                payment_assign(payment_id=pk, claim=form.cleaned_data["case_number"],
                               today=timezone.localdate(), user=request.user)
            except ClaimError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(request, _("The payment is booked on case %(case)s.") % {
                    "case": form.cleaned_data["case_number"].case_number})
                return redirect("admin:payments_incomingpayment_changelist")
        return render(request, "admin/payments/assign.html", {
            **self.admin_site.each_context(request), "payment": payment, "form": form,
            "title": _("Book the payment on a case"), "opts": self.model._meta})

    @admin.action(description=_("Mark for refund"))
    def mark_for_refund(self, request, queryset):
        done = 0
        for pk in queryset.filter(state=IncomingPayment.State.UNMATCHED).values_list("pk",
                                                                                     flat=True):
            payment_mark_for_refund(payment_id=pk, user=request.user)
            done += 1
        self.message_user(request, _("%(n)d payments marked for refund.") % {"n": done})


class BgmaxUploadForm(forms.Form):
    file = forms.FileField(label=_("BgMax file"))

    def clean_file(self):
        file = self.cleaned_data["file"]
        if file.size > MAX_BGMAX_BYTES:
            raise ValidationError(_("The file is larger than 50 MB."))
        return file


@admin.register(BgmaxImport)
class BgmaxImportAdmin(admin.ModelAdmin):
    list_display = ["filename", "created_at", "imported_by", "summary"]
    readonly_fields = ["sha256", "filename", "created_at", "imported_by", "summary"]
    exclude = ["content"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = BgmaxUploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                summary = bgmax_import(data=upload.read(), filename=upload.name,
                                       today=timezone.localdate(), user=request.user)
            except BgmaxRejected as exc:
                form.add_error("file", _("The file was rejected whole: %(why)s") % {
                    "why": exc.message})
            else:
                messages.success(request, _(
                    "%(payments)d payments, %(matched)d booked, %(unmatched)d for handlers.")
                    % summary if not summary.get("already_imported") else
                    _("This file was imported before; nothing changed."))
                return redirect("admin:payments_incomingpayment_changelist")
        return render(request, "admin/payments/bgmax_upload.html", {
            **self.admin_site.each_context(request), "form": form, "opts": self.model._meta,
            "title": _("Import a BgMax file")})


@admin.register(Refund)
class RefundAdmin(ReadOnlyAdmin):
    """Refunds decided by handlers: paid by the next payout file, or by hand (a bank account
    while the payout format is LB) and marked here."""

    list_display = ["created_at", "payment", "amount", "payee_name", "destination", "status",
                    "paid_on", "payout_file", "created_by"]
    list_filter = ["status", "paid_on"]
    search_fields = ["payee_name", "payment__reference", "payment__claim__case_number"]
    list_select_related = ["payment", "payout_file", "created_by"]
    readonly_fields = [f.name for f in Refund._meta.fields]
    actions = ["mark_paid_by_hand"]

    @admin.display(description=_("Amount"))
    def amount(self, obj):
        return format_sek(obj.amount_ore)

    @admin.action(description=_("Mark as paid by hand today"))
    def mark_paid_by_hand(self, request, queryset):
        done = 0
        for pk in queryset.filter(status=Refund.Status.DUE).values_list("pk", flat=True):
            try:
                refund_mark_paid(refund_id=pk, paid_on=timezone.localdate(), user=request.user)
            except RefundError:
                continue  # paid by a payout file in the meantime
            done += 1
        self.message_user(request, _("%(n)d refunds marked as paid.") % {"n": done})


# --- Settlements and payout files (payments.settlements) ------------------------------------

@admin.register(PayoutFile)
class PayoutFileAdmin(ReadOnlyAdmin):
    """The day's payout file: staff download it here and send it to the bank."""

    list_display = ["day", "sequence", "format", "count", "total", "sha256", "download"]
    list_filter = ["format", "day"]
    exclude = ["content"]
    readonly_fields = ["day", "sequence", "format", "count", "total_ore", "sha256", "created_at"]

    @admin.display(description=_("Total"))
    def total(self, obj):
        return format_sek(obj.total_ore)

    @admin.display(description=_("File"))
    def download(self, obj):
        from django.urls import reverse
        from django.utils.html import format_html

        return format_html('<a href="{}">{}</a>', reverse(
            "admin:payments_payoutfile_download", args=[obj.pk]), obj.filename)

    def get_urls(self):
        return [path("<int:pk>/download/", self.admin_site.admin_view(self.download_view),
                     name="payments_payoutfile_download"), *super().get_urls()]

    def download_view(self, request, pk):
        if not self.has_view_permission(request):
            raise PermissionDenied
        payout_file = get_object_or_404(PayoutFile, pk=pk)
        kind = ("application/xml" if payout_file.format == PayoutFile.Format.PAIN001
                else "text/plain; charset=iso-8859-1")
        response = HttpResponse(bytes(payout_file.content), content_type=kind)
        response["Content-Disposition"] = f'attachment; filename="{payout_file.filename}"'
        return response


@admin.register(Settlement)
class SettlementAdmin(admin.ModelAdmin):
    list_display = ["day", "creditor", "capital", "interest", "fees", "payout", "payout_file",
                    "emailed_at"]
    list_filter = ["day"]
    search_fields = ["creditor__name", "creditor__organisation_number"]
    list_select_related = ["creditor", "payout_file"]
    readonly_fields = [f.name for f in Settlement._meta.fields]

    @admin.display(description=_("Capital"))
    def capital(self, obj):
        return format_sek(obj.capital_ore)

    @admin.display(description=_("Interest"))
    def interest(self, obj):
        return format_sek(obj.interest_ore)

    @admin.display(description=_("Fees"))
    def fees(self, obj):
        return format_sek(obj.fees_ore)

    @admin.display(description=_("Paid out"))
    def payout(self, obj):
        return format_sek(obj.payout_ore)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(PaymentRequest)
class PaymentRequestAdmin(ReadOnlyAdmin):
    """Debtors' payments started in Mitt Ärende (Swish, card, Trustly): read-only, for a
    handler answering "I paid but nothing happened"."""

    list_display = ["created_at", "claim", "channel", "amount", "status", "error_code",
                    "finished_at", "incoming_payment"]
    list_filter = ["channel", "status", "created_at"]
    search_fields = ["claim__case_number", "instruction_id", "payment_reference"]
    list_select_related = ["claim", "incoming_payment"]
    readonly_fields = [f.name for f in PaymentRequest._meta.fields]

    @admin.display(description=_("Amount"))
    def amount(self, obj):
        return format_sek(obj.amount_ore)
