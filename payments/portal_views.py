"""The creditor's money pages: settlements (avräkningar) with their statements, and the
payments received on its cases. Everything is read through the active creditor
(``request.creditor``): another tenant's settlement is a 404."""

from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from claims.models import LedgerEntry
from creditors.decorators import creditor_required
from payments.models import IncomingPayment, Settlement

PER_PAGE = 50
PARTS = ("costs", "interest", "capital", "surplus")


@require_GET
@creditor_required
def settlement_list(request):
    page = Paginator(Settlement.objects.for_creditor(request.creditor)
                     .order_by("-day", "-id"), PER_PAGE).get_page(request.GET.get("sida"))
    return render(request, "payments/settlements.html", {"page": page})


@require_GET
@creditor_required
def settlement_pdf(request, settlement_id):
    settlement = get_object_or_404(Settlement.objects.for_creditor(request.creditor),
                                   pk=settlement_id)
    if not settlement.pdf:
        raise Http404
    return FileResponse(settlement.pdf.open("rb"), content_type="application/pdf",
                        filename=f"avrakning-{settlement.day:%Y-%m-%d}.pdf")


def _channel(entry_kind: str, key: str) -> str:
    if entry_kind == LedgerEntry.Kind.DIRECT_PAYMENT:
        return _("Paid to you directly")
    source = key.split(":")[1] if key.count(":") >= 2 else ""
    return str(IncomingPayment.Source(source).label) if source in IncomingPayment.Source.values \
        else source


@require_GET
@creditor_required
def payment_list(request):
    """Every payment booked on the creditor's cases, newest first, with its allocation."""
    entries = (LedgerEntry.objects.filter(claim__creditor=request.creditor,
                                          kind__in=LedgerEntry.PAYMENTS)
               .select_related("claim").order_by("-booked_on", "-id"))
    page = Paginator(entries, PER_PAGE).get_page(request.GET.get("sida"))
    keys = [f"{e.key}>{part}" for e in page.object_list for part in PARTS]
    parts = dict(LedgerEntry.objects.filter(
        claim_id__in={e.claim_id for e in page.object_list}, key__in=keys)
        .values_list("key", "amount_ore"))
    rows = [{"entry": e, "channel": _channel(e.kind, e.key),
             **{part: parts.get(f"{e.key}>{part}", 0) for part in PARTS}}
            for e in page.object_list]
    return render(request, "payments/payments.html", {"page": page, "rows": rows})
