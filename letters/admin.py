"""Letters, their delivery log and the print batches, for case handlers (read-only: letters
are written by the services, and a sent letter is evidence)."""

from django.contrib import admin
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from ekrav.admin import ReadOnlyAdmin
from ekrav.money import format_sek
from letters.models import DeliveryAttempt, Letter, PrintBatch
from letters.services import letter_recheck


class AttemptInline(admin.TabularInline):
    model = DeliveryAttempt
    extra = 0
    fields = ["attempted_at", "channel", "outcome", "detail"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


def _file(request, obj, field, filename, *, inline=True):
    stored = getattr(obj, field)
    if not stored:
        raise Http404
    return FileResponse(stored.open("rb"), as_attachment=not inline, filename=filename,
                        content_type="application/pdf" if filename.endswith(".pdf")
                        else "text/csv")


@admin.register(Letter)
class LetterAdmin(ReadOnlyAdmin):
    list_display = ["id", "claim", "kind", "letter_date", "state", "channel", "sent_on",
                    "amount", "pdf_link"]
    list_filter = ["state", "kind", "channel", "letter_date"]
    search_fields = ["claim__case_number", "claim__debtor__name", "sha256"]
    date_hierarchy = "letter_date"
    list_select_related = ["claim"]
    inlines = [AttemptInline]
    readonly_fields = ["claim", "step", "kind", "state", "letter_date", "deadline", "amount",
                       "problems", "pdf_link", "sha256", "pages", "rendered_at", "channel",
                       "sent_on", "digital_attempts", "external_id", "print_batch", "content"]
    exclude = ["pdf", "amount_ore"]
    actions = ["recheck"]

    @admin.action(description=_("Check and render held letters again"))
    def recheck(self, request, queryset):
        results = [letter_recheck(letter_id=pk) for pk in
                   queryset.filter(state=Letter.State.HELD).values_list("pk", flat=True)]
        ready = sum(1 for letter in results if letter.state == Letter.State.READY)
        self.message_user(request, _("%(ready)d of %(n)d held letters passed and will be sent.")
                          % {"ready": ready, "n": len(results)})

    @admin.display(description=_("Amount"))
    def amount(self, obj):
        return format_sek(obj.amount_ore)

    @admin.display(description=_("PDF"))
    def pdf_link(self, obj):
        if not obj.pdf:
            return "–"
        return format_html('<a href="{}">PDF</a>', reverse("admin:letters_letter_pdf",
                                                           args=[obj.pk]))

    def get_urls(self):
        return [path("<int:pk>/pdf/", self.admin_site.admin_view(self.pdf_view),
                     name="letters_letter_pdf"), *super().get_urls()]

    def pdf_view(self, request, pk):
        letter = get_object_or_404(Letter, pk=pk)
        return _file(request, letter, "pdf", f"{letter.kind}-{letter.claim.case_number}.pdf")


@admin.register(PrintBatch)
class PrintBatchAdmin(ReadOnlyAdmin):
    list_display = ["day", "letter_count", "page_count", "downloads", "downloaded_at"]
    readonly_fields = ["day", "letter_count", "page_count", "sha256", "downloads",
                       "created_at", "downloaded_at"]
    exclude = ["pdf", "manifest"]

    @admin.display(description=_("Download"))
    def downloads(self, obj):
        return format_html('<a href="{}">PDF</a> · <a href="{}">{}</a>',
                           reverse("admin:letters_printbatch_file", args=[obj.pk, "pdf"]),
                           reverse("admin:letters_printbatch_file", args=[obj.pk, "csv"]),
                           _("manifest (CSV)"))

    def get_urls(self):
        return [path("<int:pk>/download/<str:part>/", self.admin_site.admin_view(self.file_view),
                     name="letters_printbatch_file"), *super().get_urls()]

    def file_view(self, request, pk, part):
        batch = get_object_or_404(PrintBatch, pk=pk)
        if part not in ("pdf", "csv"):
            raise Http404
        PrintBatch.objects.filter(pk=pk, downloaded_at__isnull=True).update(
            downloaded_at=timezone.now())
        if part == "pdf":
            return _file(request, batch, "pdf", f"brev-{batch.day}.pdf", inline=False)
        return _file(request, batch, "manifest", f"manifest-{batch.day}.csv", inline=False)
