"""Admin pieces every app shares."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from ekrav.models import AuditEntry, IdempotencyKey


class ReadOnlyAdmin(admin.ModelAdmin):
    """For records that are evidence (letters, payout files, payment requests): written by
    the services only, never added, changed or deleted in the admin."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ServiceWrittenAdmin(admin.ModelAdmin):
    """For records the services write and handlers act on (applications, plans): never added
    or deleted in the admin; their actions call the services."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def errors_to_form(form, errors: dict) -> None:
    """A service's refusal ({field: [messages]}) on the form that asked: at its field when the
    form has one, above the form otherwise."""
    for field, messages in errors.items():
        for message in messages:
            form.add_error(field if field in form.fields else None, message)


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    """The audit trail: read, filtered and searched by staff; nobody writes or deletes here."""

    list_display = ["at", "actor_label", "ip_address", "action", "object_type", "object_label"]
    list_filter = ["action", "object_type"]
    search_fields = ["actor_label", "object_id", "object_label", "ip_address"]
    date_hierarchy = "at"


@admin.register(IdempotencyKey)
class IdempotencyKeyAdmin(ReadOnlyAdmin):
    """The API's Idempotency-Keys of the last 24 hours and the responses they replay: read by
    staff when an integration asks why its retry got what it got."""

    list_display = ["created_at", "scope", "key", "status_code"]
    list_filter = ["status_code"]
    search_fields = ["=scope", "key"]
    date_hierarchy = "created_at"
    fields = ["scope", "key", "fingerprint", "created_at", "status_code", "content_type",
              "response"]
    readonly_fields = ["response"]

    @admin.display(description=_("response"))
    def response(self, obj):
        return bytes(obj.body).decode("utf-8", "replace")

