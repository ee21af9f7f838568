"""The creditor's letters: a sent letter's PDF from the claim page, and each template's preview
with sample data (what a debtor would receive, with the creditor's own name on it)."""

from django.conf import settings
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from claims.interest import ReferenceRate as Rate
from claims.models import ReferenceRate
from creditors.decorators import creditor_required
from ekrav.identifiers import format_identity, format_postal_code
from letters.content import DEMAND, REMINDER, Party
from letters.models import Letter
from letters.render import render_html, letter_html
from letters.samples import agency_party, sample_letter


@require_GET
@creditor_required
def letter_pdf(request, claim_id, letter_id):
    letter = get_object_or_404(
        Letter.objects.filter(claim__creditor=request.creditor, state=Letter.State.SENT)
        .select_related("claim"), pk=letter_id, claim_id=claim_id)
    if not letter.pdf:
        raise Http404
    return FileResponse(letter.pdf.open("rb"), content_type="application/pdf",
                        filename=f"{letter.kind}-{letter.claim.case_number}.pdf")


@require_GET
@creditor_required
def letter_templates(request):
    return render(request, "letters/templates.html", {"kinds": (REMINDER, DEMAND)})


@require_GET
@creditor_required
def letter_preview(request, kind):
    if kind not in (REMINDER, DEMAND):
        raise Http404
    creditor = request.creditor
    agency = settings.AGENCY
    content = sample_letter(
        kind=kind, today=timezone.localdate(), agency=agency_party(agency),
        agency_bankgiro=agency["bankgiro"], swish_number=agency["swish_number"],
        mitt_arende_url=settings.MITT_ARENDE_URL,
        rates=[Rate(valid_from=r.valid_from, rate=r.rate) for r in ReferenceRate.objects.all()],
        creditor=Party(name=creditor.name, street=creditor.street,
                       postal_code=format_postal_code(creditor.postal_code), city=creditor.city,
                       organisation_number=format_identity(creditor.organisation_number)),
        invoice_text=creditor.default_invoice_text)
    pdf, _pages = render_html(letter_html(content))
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="exempel-{kind}.pdf"'
    return response
