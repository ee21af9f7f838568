"""Admin pieces every app shares."""

from django.contrib import admin

from ekrav.models import AuditEntry


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
