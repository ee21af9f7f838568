from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from creditors.models import (
    ApiKey,
    CollectionPolicy,
    Creditor,
    Invitation,
    AgreementSignature,
    BankgiroChange,
    Membership,
    Partner,
    PartnerApiKey,
    PartnerGrant,
    PartnerOnboarding,
    UserIdentity,
)
from ekrav.admin import ReadOnlyAdmin
from ekrav.identifiers import format_bankgiro, format_identity, mask_identity


class CollectionPolicyInline(admin.StackedInline):
    model = CollectionPolicy
    can_delete = False


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Creditor)
class CreditorAdmin(admin.ModelAdmin):
    list_display = ["name", "orgnr", "form", "city", "bankgiro_display", "report_email",
                    "created_at"]
    list_filter = ["form"]
    search_fields = ["name", "organisation_number", "report_email", "contact_name"]
    inlines = [CollectionPolicyInline, MembershipInline]
    # The payout bankgiro moves only with the signatory's BankID signature (the portal's
    # *Utbetalningskonto*), never by a form anyone with admin access can fill in.
    readonly_fields = ["created_at", "bankgiro"]

    def get_readonly_fields(self, request, obj=None):
        return ["created_at"] if obj is None else self.readonly_fields

    @admin.display(description=_("Org. no."), ordering="organisation_number")
    def orgnr(self, obj):
        return format_identity(obj.organisation_number)

    @admin.display(description=_("Bankgiro"))
    def bankgiro_display(self, obj):
        return format_bankgiro(obj.bankgiro)


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "creditor", "role", "is_active", "created_at"]
    list_filter = ["role", "is_active"]
    search_fields = ["user__email", "creditor__name", "creditor__organisation_number"]
    autocomplete_fields = ["user", "creditor"]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["email", "creditor", "role", "created_at", "expires_at", "accepted_at"]
    search_fields = ["email", "creditor__name"]
    exclude = ["token_hash"]
    readonly_fields = ["accepted_at", "accepted_by", "invited_by"]


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ["name", "prefix", "creditor", "created_at", "last_used_at", "revoked_at"]
    search_fields = ["name", "prefix", "creditor__name"]
    exclude = ["key_hash"]
    readonly_fields = ["prefix", "created_at", "last_used_at"]

    def has_add_permission(self, request):
        return False  # keys are created in the portal or by onboard_creditor, shown once


@admin.register(UserIdentity)
class UserIdentityAdmin(admin.ModelAdmin):
    """Users' BankID links: made only by the user's own BankID identification; staff may
    remove one (a person who wants their BankID on another account), never type one in."""

    list_display = ["user", "masked_number", "name", "verified_at"]
    search_fields = ["user__email", "name"]
    list_select_related = ["user"]
    fields = ["user", "masked_number", "name", "verified_at"]
    readonly_fields = fields

    @admin.display(description=_("personnummer"))
    def masked_number(self, obj):
        return mask_identity(obj.personal_number)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class _EvidenceAdmin(ReadOnlyAdmin):
    """BankID-signed evidence: read by staff, written only by the signatory's signature."""

    list_select_related = ["creditor"]

    @admin.display(description=_("personnummer"))
    def masked_number(self, obj):
        return mask_identity(obj.personal_number)


@admin.register(AgreementSignature)
class AgreementSignatureAdmin(_EvidenceAdmin):
    list_display = ["creditor", "version", "name", "masked_number", "signed_at"]
    search_fields = ["creditor__name", "name"]


@admin.register(BankgiroChange)
class BankgiroChangeAdmin(_EvidenceAdmin):
    list_display = ["creditor", "old_bankgiro", "new_bankgiro", "name", "masked_number",
                    "changed_at"]
    search_fields = ["creditor__name", "name"]


# --- Integration partners (issue 7) -----------------------------------------------------------


class PartnerApiKeyInline(admin.TabularInline):
    """A partner's keys: created by ``manage.py partner_key_create`` (the secret is printed
    once); here they are seen and revoked (set "revoked at")."""

    model = PartnerApiKey
    extra = 0
    fields = ["name", "prefix", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["name", "prefix", "created_at", "last_used_at"]
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Partner)
class PartnerAdmin(admin.ModelAdmin):
    list_display = ["name", "organisation_number", "contact_email", "is_active", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["name", "organisation_number"]
    inlines = [PartnerApiKeyInline]


@admin.register(PartnerGrant)
class PartnerGrantAdmin(ReadOnlyAdmin):
    """Given and revoked by the creditor in the portal: staff read them."""

    list_display = ["partner", "creditor", "customer_id", "granted_at", "granted_by",
                    "revoked_at"]
    list_filter = ["partner"]
    search_fields = ["partner__name", "creditor__name", "creditor__organisation_number"]
    list_select_related = ["partner", "creditor", "granted_by"]


@admin.register(PartnerOnboarding)
class PartnerOnboardingAdmin(ReadOnlyAdmin):
    list_display = ["partner", "organisation_number", "customer_id", "created_at",
                    "expires_at", "completed_at", "creditor"]
    list_filter = ["partner"]
    search_fields = ["partner__name", "organisation_number", "customer_id"]
    exclude = ["token_hash"]
    list_select_related = ["partner", "creditor"]
