from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from django.db.models import Sum

from claims.interest import MARGIN
from claims.models import (
    Claim,
    ClaimImport,
    Event,
    Invoice,
    LedgerEntry,
    ReferenceRate,
    StatutoryFee,
    Step,
)
from ekrav.money import format_sek


class InvoiceInline(admin.TabularInline):
    model = Invoice
    extra = 0
    fields = ["invoice_number", "invoice_date", "due_date", "amount_ore", "description",
              "reminder_fee_agreed", "pdf"]
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


@admin.register(Claim)
class ClaimAdmin(admin.ModelAdmin):
    list_display = ["case_number", "debtor", "creditor", "status", "capital", "registered_on",
                    "next_action_on", "hold_until", "source"]
    list_filter = ["status", "source", "registered_on"]
    search_fields = ["case_number", "ocr", "debtor__name", "debtor__identity_number",
                     "creditor__name", "creditor__organisation_number",
                     "invoices__invoice_number"]
    list_select_related = ["debtor", "creditor"]
    # The hold is set by the debtor's "already paid" (debtors.services), with its event.
    readonly_fields = ["case_number", "ocr", "creditor", "debtor", "registered_on", "source",
                       "created_by", "created_at", "status", "hold_until"]
    inlines = [InvoiceInline, StepInline, LedgerInline, EventInline]
    date_hierarchy = "registered_on"
    show_full_result_count = False

    def has_add_permission(self, request):
        return False  # claims are registered through the services (portal, CSV, API)

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

