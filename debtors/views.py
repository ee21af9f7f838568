"""Mitt Ärende: the debtor's own pages, opened with the case number and OCR from a letter.

Every page but the door needs an access in the session (``debtors.portal``); a case or a
letter outside it is a 404, as another tenant's object is for a creditor. Nothing here is
cached by the browser or a proxy: the pages show what a person owes.
"""

import logging
from datetime import timedelta
from functools import wraps
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.db.models import Prefetch
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from claims.disputes import OPEN as DISPUTABLE, dispute_register
from claims.payment_plans import PLANNABLE, plan_request
from claims.models import Claim, Dispute, LedgerEntry
from claims.selectors import written_off_invoice
from claims.services import ClaimError
from debtors import portal
from debtors.forms import AlreadyPaidForm, DisputeForm, MessageForm, OpenCaseForm, PlanForm
from debtors.selectors import (
    case_page,
    case_to_open,
    claim_ids_of_person,
    claims_of_access,
)
from debtors.services import DebtorInputError, debtor_report_already_paid, debtor_send_message
from ekrav.bankid_orders import bankid_page
from ekrav.formfields import SekAmountField
from ekrav.money import format_sek
from letters.models import Letter
from letters.samples import agency_party
from payments import card, swish, trustly
from payments.models import PaymentRequest
from payments.services import (TRUSTLY_PENDING_CODE, card_payment_refresh,
                               card_payment_start, swish_payment_refresh, swish_payment_start,
                               trustly_payment_start)

log = logging.getLogger(__name__)


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


@transaction.non_atomic_requests  # waits on BankID over the network, never holding the DB
@never_cache
def open_bankid(request):
    """Öppna med BankID: every case of the identified person, at every creditor."""
    access, _expired = portal.current_access(request)
    request.access = access

    def opened(completion):
        claim_ids = claim_ids_of_person(completion.personal_number)
        if not claim_ids:
            return _("We have no case for your personnummer. If you have a letter from us, "
                     "open the case with the numbers in it, or call us.")
        portal.grant(request, method=portal.BANKID, claim_ids=claim_ids)
        return redirect("debtors:cases")

    return bankid_page(request, purpose="mitt_arende", template="debtors/open_bankid.html",
                       context={"start_label": _("Open with BankID")}, on_complete=opened,
                       visible_text=_("Open your cases at ekrav (Mitt Ärende)"), render=_page)


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
    # An open objection (whole, or of some invoices: then the status stays) is being looked
    # into: no second one is offered. A disputed claim has one by its status (no query).
    open_dispute = (claim.disputes.filter(resolved_on__isnull=True).first()
                    if claim.status in DISPUTABLE else None)
    context.update({"already_paid_form": forms.get("already_paid_form") or AlreadyPaidForm(),
                    "message_form": forms.get("message_form") or MessageForm(),
                    "dispute_form": forms.get("dispute_form") or DisputeForm(
                        invoices=_owing_invoices(claim)),
                    "can_dispute": claim.status in DISPUTABLE and open_dispute is None,
                    "open_dispute": open_dispute,
                    "plan_form": forms.get("plan_form") or PlanForm(initial={
                        "months": 3, "first_due": today + timedelta(days=14)}),
                    "plan": claim.plans.filter(status__in=["requested", "active"]).first(),
                    "can_plan": claim.status in PLANNABLE,
                    "plan_limits": claim.creditor.policy,
                    "open_form": forms.get("open_form", ""),
                    "swish_on": swish.SwishClient.from_settings() is not None,
                    "card_on": bool(settings.CARD_BASE_URL),
                    "trustly_on": bool(settings.TRUSTLY_BASE_URL)})
    return _page(request, "debtors/case.html", context, status=status)


def _owing_invoices(claim) -> list:
    """The claim's invoices an objection may name: all but those the creditor withdrew
    (their rest written off), oldest due date first. Read from the prefetched invoices and
    ledger: no query."""
    gone = {written_off_invoice(entry.key) for entry in claim.ledger.all()
            if entry.kind in LedgerEntry.WRITE_OFFS}
    return sorted((i for i in claim.invoices.all() if i.pk not in gone),
                  key=lambda i: (i.due_date, i.pk))


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


@require_POST
@_with_access
def dispute(request, claim_id):
    """Bestrid kravet: collection stops at once, the creditor is asked for its position."""
    claim = _claim_in_access(request, claim_id)
    form = DisputeForm(request.POST, request.FILES, invoices=_owing_invoices(claim))
    if form.is_valid() and _write_allowed(claim, form):
        try:
            dispute = dispute_register(
                claim_id=claim.pk, channel=Dispute.Channel.MITT_ARENDE,
                reason=form.cleaned_data["reason"], text=form.cleaned_data["text"],
                received_on=timezone.localdate(), attachments=form.cleaned_data["attachments"],
                invoice_ids=form.invoice_ids)
        except ClaimError as exc:
            for field, reasons in exc.errors.items():
                for reason in reasons:
                    form.add_error(field if field in form.fields else None, reason)
        else:
            portal.count_write(claim.pk)
            if dispute.is_partial:
                messages.success(request, _(
                    "Thank you. We do not ask for the invoices you objected to while we look "
                    "into your objection, and we will write to you. The rest of the claim is "
                    "still to be paid."))
            else:
                messages.success(request, _(
                    "Thank you. We have stopped collecting the claim while we look into your "
                    "objection, and we will write to you."))
            return redirect("debtors:case", claim_id=claim.pk)
    return _render_case(request, claim, status=400, dispute_form=form, open_form="dispute")


@require_POST
@_with_access
def plan(request, claim_id):
    """Ansök om avbetalningsplan: agreed at once within the company's limits."""
    claim = _claim_in_access(request, claim_id)
    form = PlanForm(request.POST)
    if form.is_valid() and _write_allowed(claim, form):
        try:
            made = plan_request(claim_id=claim.pk, months=form.cleaned_data["months"],
                                first_due=form.cleaned_data["first_due"],
                                today=timezone.localdate())
        except ClaimError as exc:
            _add_errors(form, exc)
        else:
            portal.count_write(claim.pk)
            messages.success(request, _(
                "Your instalment plan is agreed: we send it to you as a letter. Pay each "
                "instalment on time, and no more demands are sent.") if made.status == "active"
                else _("Thank you. We ask the company and write to you."))
            return redirect("debtors:case", claim_id=claim.pk)
    return _render_case(request, claim, status=400, plan_form=form, open_form="plan")


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


# --- Betala med Swish ------------------------------------------------------------------------
#
# The form asks Swish for a payment request (e-commerce: Swish asks the number typed; or
# m-commerce: the Swish app on this phone opens with the request's token), then a waiting page
# polls the request's status. The callback (payments.views) books it; the status fragment reads
# the status from Swish itself while the request waits, so a lost callback still completes.
# None of these views holds a database transaction while Swish answers.

SWISH_ON_THIS_DEVICE, SWISH_BY_NUMBER = "this-device", "number"
SWISH_MIN_ORE = 100  # 1 kr: a part payment smaller than that is not worth a Swish


class _AtMostOwedForm(forms.Form):
    """A payment form's amount: never more than what is left to pay."""

    def __init__(self, *args, outstanding_ore: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.outstanding_ore = outstanding_ore

    def clean_amount(self):
        amount = self.cleaned_data["amount"]
        if amount is not None and amount > self.outstanding_ore:
            raise forms.ValidationError(
                _("You can pay at most what is left to pay, %(amount)s.")
                % {"amount": format_sek(self.outstanding_ore)}, code="max_value")
        return amount


class SwishPayForm(_AtMostOwedForm):
    amount = SekAmountField(label=gettext_lazy("Amount (SEK)"), min_ore=SWISH_MIN_ORE)
    phone = forms.CharField(
        label=gettext_lazy("Your mobile number"), required=False, max_length=30,
        help_text=gettext_lazy("The number your Swish is connected to. Swish then asks you "
                               "to approve the payment in the app."),
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}))
    mode = forms.ChoiceField(choices=[(SWISH_BY_NUMBER, SWISH_BY_NUMBER),
                                      (SWISH_ON_THIS_DEVICE, SWISH_ON_THIS_DEVICE)],
                             required=False)

    def clean(self):
        data = super().clean()
        if data.get("mode") != SWISH_ON_THIS_DEVICE:
            data["mode"] = SWISH_BY_NUMBER
            phone = (data.get("phone") or "").strip()
            if not phone:
                self.add_error("phone", _("Enter your mobile number, or open Swish on this "
                                          "phone."))
            else:
                try:
                    data["payer_alias"] = swish.swish_payer_alias(phone)
                except ValueError:
                    self.add_error("phone", _("Enter a mobile number, for example "
                                              "070-123 45 67."))
        else:
            data["payer_alias"] = None
        return data


def _payable(request, claim_id) -> tuple[Claim, int, swish.SwishClient]:
    """The claim (in the visitor's access, open, something to pay), what is left to pay as of
    today, and the Swish client; 404 otherwise."""
    claim = _claim_in_access(request, claim_id)
    client = swish.SwishClient.from_settings()
    if claim.is_closed or client is None:
        raise Http404
    outstanding = case_page(claim, today=timezone.localdate())["total_ore"]
    if outstanding <= 0:
        raise Http404
    return claim, outstanding, client


@transaction.non_atomic_requests  # the ORM writes are short; none waits for Swish
@_with_access
def pay_swish(request, claim_id):
    """Betala med Swish: the amount (all that is left, or a part) and how to open Swish."""
    claim, outstanding, client = _payable(request, claim_id)
    form = SwishPayForm(request.POST or None, outstanding_ore=outstanding,
                        initial={"amount": outstanding})
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid() and not portal.payment_start_allowed(claim.pk):
            form.add_error(None, TOO_MANY_STARTS)
            status = 429
        elif form.is_valid():
            instruction_id = swish.new_instruction_id()
            callback_url = settings.SITE_URL + reverse("payments:swish_callback",
                                                       args=[instruction_id])
            try:
                swish_payment_start(client=client, claim=claim,
                                    amount_ore=form.cleaned_data["amount"],
                                    payer_alias=form.cleaned_data["payer_alias"],
                                    instruction_id=instruction_id, callback_url=callback_url)
            except swish.SwishRejected as exc:
                log.info("Swish refused payment request %s: %s", instruction_id, exc)
                form.add_error(None, _swish_refusal(exc.codes))
            except swish.SwishUnavailable as exc:
                log.warning("Swish unavailable for payment request %s: %s", instruction_id, exc)
                form.add_error(None, _("Swish cannot be reached just now. Nothing has been "
                                       "paid. Please try again in a while, or pay by bank "
                                       "transfer."))
            else:
                return redirect("debtors:pay_swish_wait", claim_id=claim.pk,
                                instruction_id=instruction_id)
    return _page(request, "debtors/pay_swish.html", {
        "claim": claim, "form": form, "outstanding_ore": outstanding}, status=status)


TOO_MANY_STARTS = gettext_lazy(
    "You have started many payments on this case in a short while. Please wait an hour, or "
    "pay by bank transfer.")


def _swish_refusal(codes) -> str:
    codes = set(codes)
    if codes & {"BE18", "ACMT03", "ACMT01"}:
        return _("Swish does not recognise that number. Check the number, or open Swish on "
                 "this phone.")
    if "RP06" in codes:
        return _("Swish is already waiting for a payment from that number. Answer it in the "
                 "Swish app, or wait a few minutes and try again.")
    if codes & {"PA02", "AM02", "AM06"}:
        return _("Swish does not accept that amount. Choose another amount.")
    return _("Swish could not start the payment. Nothing has been paid. Please try again, or "
             "pay by bank transfer.")


def _payment_request(request, claim_id, instruction_id) -> PaymentRequest:
    if not portal.may_see(request.access, claim_id):
        raise Http404
    return get_object_or_404(PaymentRequest.objects.select_related("claim"),
                             claim_id=claim_id, instruction_id=instruction_id,
                             channel=PaymentRequest.Channel.SWISH)


def _swish_status_context(request, claim_id, instruction_id) -> dict:
    payment_request = _payment_request(request, claim_id, instruction_id)
    client = swish.SwishClient.from_settings()
    if client is not None and payment_request.status == PaymentRequest.Status.CREATED:
        try:
            payment_request = swish_payment_refresh(client=client, request=payment_request,
                                                    today=timezone.localdate())
        except (swish.SwishUnavailable, swish.SwishCallbackRejected) as exc:
            # Still waiting as far as the page knows; the callback or the next poll settles it.
            log.warning("Swish status of %s not read: %s", instruction_id, exc)
    wait_url = reverse("debtors:pay_swish_wait", args=[claim_id, instruction_id])
    app_url = ""
    if payment_request.token:
        app_url = "swish://paymentrequest?" + urlencode(
            {"token": payment_request.token, "callbackurl": settings.SITE_URL + wait_url})
    return {"claim": payment_request.claim, "payment_request": payment_request,
            "status_url": reverse("debtors:pay_swish_status", args=[claim_id, instruction_id]),
            "wait_url": wait_url, "app_url": app_url,
            "unknown_outcome": payment_request.error_code in swish.OUTCOME_UNKNOWN_CODES}


@transaction.non_atomic_requests
@_with_access
def pay_swish_wait(request, claim_id, instruction_id):
    """Waiting for Swish: the status below updates itself until the payment has ended."""
    return _page(request, "debtors/pay_swish_wait.html",
                 _swish_status_context(request, claim_id, instruction_id))


@transaction.non_atomic_requests
@_with_access
def pay_swish_status(request, claim_id, instruction_id):
    """The status fragment the waiting page polls (htmx, every two seconds while waiting)."""
    return _page(request, "debtors/_swish_status.html",
                 _swish_status_context(request, claim_id, instruction_id))


# --- Betala med kort / Trustly -----------------------------------------------------------------
#
# As Swish: the amount (all, or a part of at least 1 kr), the PaymentRequest row, then the
# provider's session (card) or Deposit (Trustly); the browser goes to the provider's page and
# comes back to a waiting page that polls. The webhook / notification (payments.views) books;
# for card the status fragment also reads the session, so a lost webhook still completes.

PROVIDER_MIN_ORE = 100
CHANNEL_LABELS = {PaymentRequest.Channel.CARD: gettext_lazy("Pay by card"),
                  PaymentRequest.Channel.TRUSTLY: gettext_lazy("Pay with Trustly")}
CHANNEL_ROUTES = {PaymentRequest.Channel.CARD: "card", PaymentRequest.Channel.TRUSTLY: "trustly"}


class ProviderPayForm(_AtMostOwedForm):
    amount = SekAmountField(label=gettext_lazy("Amount (SEK)"), min_ore=PROVIDER_MIN_ORE)


def _payable_by(request, claim_id, client) -> tuple[Claim, int]:
    """The claim (in the visitor's access, open, something to pay) and what is left to pay;
    404 otherwise, or when the channel is off (``client`` None)."""
    claim = _claim_in_access(request, claim_id)
    if claim.is_closed or client is None:
        raise Http404
    outstanding = case_page(claim, today=timezone.localdate())["total_ore"]
    if outstanding <= 0:
        raise Http404
    return claim, outstanding


def _provider_form_page(request, claim, form, outstanding, channel, *, status):
    route = CHANNEL_ROUTES[channel]
    return _page(request, "debtors/pay_provider.html", {
        "claim": claim, "form": form, "outstanding_ore": outstanding, "channel": channel,
        "title": CHANNEL_LABELS[channel],
        "action_url": reverse(f"debtors:pay_{route}", args=[claim.pk])}, status=status)


def _provider_urls(claim, channel, instruction_id) -> tuple[str, str]:
    route = CHANNEL_ROUTES[channel]
    wait_url = settings.SITE_URL + reverse(f"debtors:pay_{route}_wait",
                                           args=[claim.pk, instruction_id])
    notify_url = settings.SITE_URL + reverse(
        "payments:card_webhook" if channel == PaymentRequest.Channel.CARD
        else "payments:trustly_notification", args=[instruction_id])
    return wait_url, notify_url


@transaction.non_atomic_requests  # the ORM writes are short; none waits for the provider
@_with_access
def pay_card(request, claim_id):
    """Betala med kort: the amount, then the provider's hosted card page."""
    def start(*, client, claim, amount_ore, request_id, wait_url, notify_url):
        _row, session = card_payment_start(
            client=client, claim=claim, amount_ore=amount_ore, instruction_id=request_id,
            success_url=wait_url, cancel_url=wait_url, webhook_url=notify_url)
        return session.redirect_url

    return _provider_pay(
        request, claim_id, client=card.CardClient.from_settings(),
        channel=PaymentRequest.Channel.CARD, start=start, failure=card.CardError,
        message=_("The card payment could not be started. Nothing has been paid. Please try "
                  "again in a while, or pay by bank transfer."))


@transaction.non_atomic_requests
@_with_access
def pay_trustly(request, claim_id):
    """Betala med Trustly: the amount, then Trustly's page (the payer's own bank)."""
    def start(*, client, claim, amount_ore, request_id, wait_url, notify_url):
        _row, deposit = trustly_payment_start(
            client=client, claim=claim, amount_ore=amount_ore, message_id=request_id,
            success_url=wait_url, fail_url=wait_url, notification_url=notify_url)
        return deposit.url

    return _provider_pay(
        request, claim_id,
        client=trustly.TrustlyClient.from_settings() if settings.TRUSTLY_BASE_URL else None,
        channel=PaymentRequest.Channel.TRUSTLY, start=start, failure=trustly.TrustlyError,
        message=_("The Trustly payment could not be started. Nothing has been paid. Please "
                  "try again in a while, or pay by bank transfer."))


def _provider_pay(request, claim_id, *, client, channel, start, failure, message):
    """The amount form of a redirect-style provider (card, Trustly): on a valid POST the
    payment request is written and started (``start`` returns the provider's page), and the
    browser goes there; a refusal or an unreachable provider is said on the form."""
    claim, outstanding = _payable_by(request, claim_id, client)
    form = ProviderPayForm(request.POST or None, outstanding_ore=outstanding,
                           initial={"amount": outstanding})
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid() and not portal.payment_start_allowed(claim.pk):
            form.add_error(None, TOO_MANY_STARTS)
            status = 429
        elif form.is_valid():
            request_id = swish.new_instruction_id()
            wait_url, notify_url = _provider_urls(claim, channel, request_id)
            try:
                return redirect(start(client=client, claim=claim,
                                      amount_ore=form.cleaned_data["amount"],
                                      request_id=request_id, wait_url=wait_url,
                                      notify_url=notify_url))
            except failure as exc:
                log.warning("%s payment %s not started: %s", channel, request_id, exc)
                form.add_error(None, message)
    return _provider_form_page(request, claim, form, outstanding, channel, status=status)


def _provider_status_context(request, claim_id, instruction_id, channel) -> dict:
    if not portal.may_see(request.access, claim_id):
        raise Http404
    payment_request = get_object_or_404(PaymentRequest.objects.select_related("claim"),
                                        claim_id=claim_id, instruction_id=instruction_id,
                                        channel=channel)
    if channel == PaymentRequest.Channel.CARD and \
            payment_request.status == PaymentRequest.Status.CREATED:
        client = card.CardClient.from_settings()
        if client is not None:
            try:
                payment_request = card_payment_refresh(client=client, request=payment_request,
                                                       today=timezone.localdate())
            except (card.CardError, card.CardWebhookRejected, ValueError) as exc:
                # Still waiting as far as the page knows; the webhook or next poll settles it.
                log.warning("Card session of %s not read: %s", instruction_id, exc)
    route = CHANNEL_ROUTES[channel]
    return {"claim": payment_request.claim, "payment_request": payment_request,
            "channel": channel, "title": CHANNEL_LABELS[channel],
            "pay_url": reverse(f"debtors:pay_{route}", args=[claim_id]),
            "status_url": reverse(f"debtors:pay_{route}_status", args=[claim_id,
                                                                        instruction_id]),
            "wait_url": reverse(f"debtors:pay_{route}_wait", args=[claim_id, instruction_id]),
            # Trustly's "pending": the payer is done, their bank has not confirmed yet.
            "bank_pending": payment_request.status == PaymentRequest.Status.CREATED
            and payment_request.error_code == TRUSTLY_PENDING_CODE,
            # ...and given up days later: the money may still have left the payer's account.
            "bank_unconfirmed": payment_request.status == PaymentRequest.Status.TIMEOUT
            and payment_request.error_code == TRUSTLY_PENDING_CODE}


@transaction.non_atomic_requests
@_with_access
def pay_provider_wait(request, claim_id, instruction_id, channel):
    """Back from the card page or Trustly: the status below updates itself until the
    payment ends (``channel`` comes from the route)."""
    return _page(request, "debtors/pay_provider_wait.html", _provider_status_context(
        request, claim_id, instruction_id, channel))


@transaction.non_atomic_requests
@_with_access
def pay_provider_status(request, claim_id, instruction_id, channel):
    return _page(request, "debtors/_provider_status.html", _provider_status_context(
        request, claim_id, instruction_id, channel))
