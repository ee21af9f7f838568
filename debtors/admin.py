from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from debtors.models import Debtor


@admin.register(Debtor)
class DebtorAdmin(admin.ModelAdmin):
    # Masked in the list (issue 6); whole on the debtor's own page, where a handler needs it.
    list_display = ["name", "identity", "kind", "creditor", "postal_code", "city",
                    "email", "phone"]
    list_filter = ["kind"]
    search_fields = ["name", "identity_number", "email", "phone", "creditor__name"]
    list_select_related = ["creditor"]
    autocomplete_fields = ["creditor"]

    @admin.display(description=_("identity number"), ordering="identity_number")
    def identity(self, obj):
        return obj.identity_masked
