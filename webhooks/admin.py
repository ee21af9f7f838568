from django.contrib import admin

from ekrav.admin import ReadOnlyAdmin
from webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(ReadOnlyAdmin):
    """Set up by the creditor in the portal; staff read them (the secret is never shown)."""

    list_display = ["url", "creditor", "is_active", "event_types", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["url", "creditor__name", "creditor__organisation_number"]
    list_select_related = ["creditor"]
    exclude = ["secret", "previous_secret"]


class WebhookAttemptInline(admin.TabularInline):
    model = WebhookAttempt
    extra = 0
    can_delete = False
    fields = ["started_at", "status_code", "duration_ms", "error", "response_excerpt"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    list_display = ["event", "endpoint", "state", "attempts", "last_status_code",
                    "next_attempt_at", "created_at"]
    list_filter = ["state"]
    search_fields = ["event__public_id", "endpoint__url", "endpoint__creditor__name"]
    list_select_related = ["event", "endpoint"]
    inlines = [WebhookAttemptInline]
