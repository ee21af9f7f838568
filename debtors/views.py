"""Mitt Ärende: the debtor's own pages, opened with the case number and OCR from a letter.

Every page but the door needs an access in the session (``debtors.portal``); a case or a
letter outside it is a 404, as another tenant's object is for a creditor. Nothing here is
cached by the browser or a proxy: the pages show what a person owes.
"""

from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.db.models import Prefetch
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from claims.models import Claim, LedgerEntry
from debtors import portal
from debtors.forms import AlreadyPaidForm, MessageForm, OpenCaseForm
from debtors.selectors import case_page, case_to_open, claims_of_access
from debtors.services import DebtorInputError, debtor_report_already_paid, debtor_send_message
from letters.models import Letter
from letters.samples import agency_party


def _with_access(view):
    """The visitor's access as ``request.access``. Without one: back to the door, saying why,
    when the idle timeout has just ended it; otherwise (never opened here, or closed) the door
    itself as a 404, the answer for a case that is not the visitor's, whether it exists or not.
    """

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        access, expired = portal.current_access(request)
        if access is None:
            if expired:
                messages.info(request, _("For your safety the case was closed after a while "
                                         "without activity. Open it again with the numbers in "
                                         "the letter."))
                return redirect("debtors:open")
            request.access = None
            return _page(request, "debtors/open.html",
                          {"form": OpenCaseForm(), "open_claims": []}, status=404)
        request.access = access
        return view(request, *args, **kwargs)

    return never_cache(wrapped)


def _page(request, template, context, *, status=200):
    """Every portal page knows the agency (its footer) and whether a case is open (the
    "Stäng ärendet" button)."""
    return TemplateResponse(request, template, {
        **context, "agency": agency_party(settings.AGENCY),
        "access": getattr(request, "access", None)},
        status=status)


def _claim_in_access(request, claim_id) -> Claim:
    if not portal.may_see(request.access, claim_id):
        raise Http404
    return get_object_or_404(
        Claim.objects.select_related("creditor__policy", "debtor").prefetch_related(
            "invoices", Prefetch("ledger", LedgerEntry.objects.order_by("booked_on", "id"))),
        pk=claim_id)


@never_cache
def open_case(request):
    """Öppna ditt ärende: case number + OCR, both from the same letter."""
    access, _expired = portal.current_access(request)
    request.access = access
    form = OpenCaseForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        case_number, ocr = form.cleaned_data["case_number"], form.cleaned_data["ocr"]
        address = portal.client_address(request)
        if portal.is_blocked(address, case_number):
            form.add_error(None, _("Too many attempts. For your security, wait 15 minutes "
                                   "and try again, or call us and we will help you."))
            status = 429
        else:
            claim = case_to_open(case_number=case_number, ocr=ocr, today=timezone.localdate())
            if claim is not None:
                portal.grant(request, method=portal.CASE_AND_OCR, claim_ids=[claim.pk])
                return redirect("debtors:case", claim_id=claim.pk)
            portal.record_failure(address, case_number)
            # One answer for a wrong case number and a wrong OCR: which one is not told.
            form.add_error(None, _("We could not open a case with these numbers. Check the "
                                   "case number and the OCR number in the letter and try "
                                   "again."))
            status = 400
    elif request.method == "POST":
        status = 400
    return _page(request, "debtors/open.html", {
        "form": form, "open_claims": claims_of_access(access) if access else []}, status=status)


@_with_access
def case_list(request):
    """The cases the visitor may see: straight to the one, a list when there are more (a
    debtor identified by BankID, later)."""
    claims = claims_of_access(request.access)
    if len(claims) == 1:
        return redirect("debtors:case", claim_id=claims[0].pk)
    return _page(request, "debtors/cases.html", {"claims": claims})


@_with_access
def case_detail(request, claim_id):
    claim = _claim_in_access(request, claim_id)
    return _render_case(request, claim)


def _render_case(request, claim, *, status=200, **forms):
    today = timezone.localdate()
    context = case_page(claim, today=today)
    context.update({"already_paid_form": forms.get("already_paid_form") or AlreadyPaidForm(),
                    "message_form": forms.get("message_form") or MessageForm(),
                    "open_form": forms.get("open_form", "")})
    return _page(request, "debtors/case.html", context, status=status)


@_with_access
def letter_pdf(request, claim_id, letter_id):
    """A letter sent on a case the visitor may see; any other letter is not there."""
    if not portal.may_see(request.access, claim_id):
        raise Http404
    letter = get_object_or_404(Letter.objects.filter(state=Letter.State.SENT)
                               .select_related("claim"), pk=letter_id, claim_id=claim_id)
    if not letter.pdf:
        raise Http404
    return FileResponse(letter.pdf.open("rb"), content_type="application/pdf",
                        filename=f"{letter.kind}-{letter.claim.case_number}.pdf")


@require_POST
@_with_access
def already_paid(request, claim_id):
    """Jag har redan betalat."""
    claim = _claim_in_access(request, claim_id)
    if claim.is_closed:
        raise Http404  # the form is not offered on a closed case
    form = AlreadyPaidForm(request.POST)
    if form.is_valid() and _write_allowed(claim, form):
        try:
            reported = debtor_report_already_paid(
                claim=claim, paid_on=form.cleaned_data["paid_on"],
                amount_ore=form.cleaned_data["amount"], note=form.cleaned_data["note"],
                today=timezone.localdate())
        except DebtorInputError as exc:
            _add_errors(form, exc)
        else:
            portal.count_write(claim.pk)
            if reported.hold_until:
                messages.success(request, _(
                    "Thank you. We will look for your payment. No new letter is sent "
                    "before %(date)s.") % {"date": reported.hold_until.isoformat()})
            else:
                messages.success(request, _("Thank you. We will look for your payment and "
                                            "get back to you if we cannot find it."))
            return redirect("debtors:case", claim_id=claim.pk)
    return _render_case(request, claim, status=400, already_paid_form=form,
                        open_form="already-paid")


@require_POST
@_with_access
def message(request, claim_id):
    """Skriv ett meddelande."""
    claim = _claim_in_access(request, claim_id)
    form = MessageForm(request.POST)
    if form.is_valid() and _write_allowed(claim, form):
        try:
            debtor_send_message(claim=claim, text=form.cleaned_data["text"],
                                today=timezone.localdate())
        except DebtorInputError as exc:
            _add_errors(form, exc)
        else:
            portal.count_write(claim.pk)
            messages.success(request, _("Thank you. Your message has been sent to us."))
            return redirect("debtors:case", claim_id=claim.pk)
    return _render_case(request, claim, status=400, message_form=form, open_form="message")


def _write_allowed(claim, form) -> bool:
    if portal.may_write(claim.pk):
        return True
    form.add_error(None, _("You have sent us a lot today. Please call us, or try again "
                           "tomorrow."))
    return False


def _add_errors(form, exc: DebtorInputError) -> None:
    for field, reasons in exc.errors.items():
        for reason in reasons:
            form.add_error(field if field in form.fields else None, reason)


@require_POST
def close(request):
    """Stäng ärendet."""
    portal.close(request)
    messages.success(request, _("The case is closed on this device."))
    return redirect("debtors:open")
