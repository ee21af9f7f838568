from django.contrib import admin

from debtors.models import Debtor


@admin.register(Debtor)
class DebtorAdmin(admin.ModelAdmin):
    list_display = ["name", "identity_display", "kind", "creditor", "postal_code", "city",
                    "email", "phone"]
    list_filter = ["kind"]
    search_fields = ["name", "identity_number", "email", "phone", "creditor__name"]
    list_select_related = ["creditor"]
    autocomplete_fields = ["creditor"]
