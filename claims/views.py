from dataclasses import replace

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from claims.forms import (
    CaseMessageForm,
    ClaimFilterForm,
    ClaimForm,
    DirectPaymentForm,
    WithdrawForm,
)
from claims.messages import case_message_send, thread_of
from claims.models import Claim, Invoice, Status
from claims.collection import ACTIVE
from claims.engine import DEBTOR_KINDS, REGISTERED, Snapshot, planned_steps
from claims.registration import parse_bool, parse_date, parse_registration
from claims.selectors import (
    LatePage,
    balances_for,
    claim_balance,
    claim_books,
    claim_list,
    claim_policy,
    claim_snapshots,
    claim_statement,
    dashboard_months,
    fee_caps_on,
    open_case_for,
    policy_of,
    reference_rates,
)
from claims.statement import Charge, InvoiceCapital, statement as statement_as_of
from claims.services import (
    ClaimError,
    claim_report_direct_payment,
    claim_withdraw,
    invoice_register,
)
from creditors.decorators import creditor_required
from creditors.services import agreement_current_signed, agreement_signed
from letters.selectors import (  # the portal shows what the letters room sent
    letters_of,
    limitation_of,
)
from ekrav.identifiers import IdentifierError, normalize_debtor_identity
from ekrav.money import MoneyError, parse_sek

PAGE_SIZE = 25


def _claim_for(request, claim_id) -> Claim:
    return get_object_or_404(Claim.objects.for_creditor(request.creditor)
                             .select_related("debtor", "creditor__policy"), pk=claim_id)


class _Paginator(Paginator):
    """A paginator told the list's length when it is known already (``count=None``: counted)."""

    def __init__(self, object_list, per_page, *, count: int | None):
        super().__init__(object_list, per_page)
        if count is not None:
            self.__dict__["count"] = count  # Paginator.count is a cached_property


@creditor_required
def overview(request):
    """Översikt: every case with its stage, filtered and searched."""
    filters = ClaimFilterForm(request.GET or None)
    status = query = ""
    if filters.is_valid():
        status, query = filters.cleaned_data["status"], filters.cleaned_data["q"]
    counts = {s: 0 for s in Status.values}
    for row in (Claim.objects.for_creditor(request.creditor).values("status")
                .order_by().annotate(n=Count("id"))):
        counts[row["status"]] = row["n"]
    # Without a search the chips' counts are the list's length: not counted a second time.
    known = None if query else counts.get(status, 0) if status else sum(counts.values())
    page = _Paginator(LatePage(claim_list(creditor=request.creditor, status=status,
                                          query=query)),
                      PAGE_SIZE, count=known).get_page(request.GET.get("page"))
    balances = balances_for(page.object_list)
    rows = [(claim, balances[claim.pk]) for claim in page.object_list]
    params = request.GET.copy()
    params.pop("page", None)
    return render(request, "claims/overview.html", {
        "filters": filters, "page": page, "rows": rows, "counts": counts,
        "query_string": params.urlencode(), "total": sum(counts.values()),
        "agreement_missing": not agreement_current_signed(request.creditor)})


@creditor_required
def dashboard(request):
    """Statistik: registered, collected and outstanding per month, and cases per stage."""
    from claims.dashboard import bars

    months = dashboard_months(creditor=request.creditor, today=timezone.localdate())
    label = lambda m: f"{m.first_day:%Y-%m}"  # noqa: E731 - one short mapping
    counts = dict(Claim.objects.for_creditor(request.creditor).values_list("status")
                  .order_by().annotate(n=Count("id")))
    stages = [(str(label_), counts.get(value, 0)) for value, label_ in Status.choices
              if counts.get(value)]
    charts = [
        (_("Registered"), bars([(label(m), m.registered_ore) for m in months])),
        (_("Collected"), bars([(label(m), m.collected_ore) for m in months])),
        (_("Outstanding at month end"), bars([(label(m), m.outstanding_ore) for m in months])),
    ]
    return render(request, "claims/dashboard.html", {
        "months": months, "charts": charts, "stages": stages,
        "stage_max": max((n for _s, n in stages), default=1)})


@creditor_required
def claim_new(request):
    form = ClaimForm(request.POST or None, request.FILES or None, creditor=request.creditor)
    if request.method == "POST" and form.is_valid():
        pdf = form.cleaned_data.get("pdf")
        try:
            registered = invoice_register(
                creditor=request.creditor, registration=form.registration,
                today=timezone.localdate(), user=request.user, source=Claim.Source.WEB,
                pdf=pdf, pdf_name=pdf.name if pdf else "")
        except ClaimError as exc:
            for field, msgs in exc.errors.items():
                for msg in msgs:
                    form.add_error(field if field in form.fields else None, msg)
        else:
            messages.success(request, _registered_message(registered))
            return redirect("claims:detail", claim_id=registered.claim.pk)
    return render(request, "claims/claim_new.html", {
        "form": form, "plan": _plan_preview(request.creditor, form),
        "agreement_missing": not agreement_signed(request.creditor)})


def _registered_message(registered) -> str:
    """What the creditor is told: a new case, or the invoice added to the debtor's open case
    (one case per debtor until its collection demand, issue 3) and when it first goes out."""
    claim = registered.claim
    if not registered.joined:
        return _("Case %(case)s is registered. The reminder goes out on the next bank day.") % {
            "case": claim.case_number}
    values = {"invoice": registered.invoice.invoice_number, "case": claim.case_number}
    if claim.status == Status.REGISTERED:
        return _("Invoice %(invoice)s was added to case %(case)s, which has not had its "
                 "collection demand yet. The case's reminder, with this invoice in it, goes "
                 "out on the next bank day.") % values
    return _("Invoice %(invoice)s was added to case %(case)s, which has not had its collection "
             "demand yet. The case's reminder has already gone out, so the invoice is first "
             "in its collection demand.") % values


# Outside ATOMIC_REQUESTS: it only reads, and on SQLite every atomic request begins IMMEDIATE,
# taking the write lock, for a request sent at each change of the form.
@transaction.non_atomic_requests
@creditor_required
@require_POST
def claim_plan_preview(request):
    """The registration form's panel "Det här händer om du registrerar", redrawn by htmx as
    the creditor types. Reads only: nothing is saved until the form itself is sent."""
    form = ClaimForm(request.POST, creditor=request.creditor)
    return render(request, "claims/_plan_preview.html",
                  {"form": form, "plan": _plan_preview(request.creditor, form)})


# The form fields the plan depends on (and the panel's htmx request sends).
PLAN_FIELDS = ("debtor_kind", "invoice_date", "due_date", "amount", "reminder_fee_agreed")
# And those that say whose case it is: the debtor's open case takes the invoice (issue 3); the
# name only to say when it is not the name in that case (a mistyped identity number, say).
JOIN_FIELDS = ("debtor_identity_number", "debtor_name")


def _plan_preview(creditor, form) -> dict:
    """The engine's plan for a claim not yet registered, as ``_planned`` gives it for a claim
    registered today, with the interest accrued by each step; or ``needs``, the fields
    (label, reason) still missing or wrong. Checked by the registration's own rules.

    When the creditor has an open case for the debtor that the invoice would join
    (``claims.selectors.open_case_for``, the registration's own rule), ``join`` is that case
    and the plan is the case's own: its snapshot with the invoice's capital added, its steps
    (a reminder already sent is not sent again) and fees (one per step per case)."""
    today = timezone.localdate()
    values = {name: form[name].value() for name in PLAN_FIELDS}
    _, errors = parse_registration(values, today=today)
    blank = {name for name, value in values.items() if str(value or "").strip() == ""}
    needs = []
    for name in PLAN_FIELDS:
        if name not in errors or (name == "invoice_date" and name in blank):
            continue  # no plan step depends on the invoice date, only its checks do
        needs.append((form[name].label, "" if name in blank else " ".join(errors[name])))
    debtor_kind = str(values["debtor_kind"] or "").strip().lower()
    join = _join_preview(creditor, form, debtor_kind, today)
    if needs:
        return {"needs": needs, "join": join}
    due_date, amount_ore = parse_date(values["due_date"]), parse_sek(values["amount"].strip())
    agreed = parse_bool(values["reminder_fee_agreed"] or False)
    if join:
        return {**_joined_plan(join, due_date=due_date, amount_ore=amount_ore,
                               debtor_kind=debtor_kind, agreed=agreed, today=today),
                "join": join}
    # A new claim charges interest unless its creditor's kravpolicy says not (Claim default).
    policy = policy_of(creditor.policy, interest_enabled=True)
    snapshot = Snapshot(status=REGISTERED, registered_on=today, debtor_kind=debtor_kind,
                        reminder_fee_agreed=agreed, outstanding_ore=amount_ore)
    steps = planned_steps(snapshot, today, policy, fee_caps_on(today))
    invoice = InvoiceCapital(invoice_id=0, due_date=due_date, amount_ore=amount_ore)
    rows, problem, owed = _with_interest(steps, [invoice], policy.interest_enabled)
    fees_ore = sum(fee.amount_ore for step in steps for fee in step.fees)
    return {"steps": rows, "interest_enabled": policy.interest_enabled,
            "interest_problem": problem, "owed": owed, "capital_ore": amount_ore,
            "fees_ore": fees_ore, "paid_ore": 0, "last_on": steps[-1].on if steps else None,
            # Without a statement (rates missing) the total leaves the interest out, and says so.
            "total_ore": owed.total_owed_ore if owed else amount_ore + fees_ore,
            "rate": owed.interest_lines[-1].rate if owed and owed.interest_lines else None,
            "join": None}


def _join_preview(creditor, form, debtor_kind, today) -> dict | None:
    """The creditor's own open case the invoice would join, with what the panel says of it;
    None for a new case, or while the identity number is not yet one (the form says why)."""
    raw = str(form["debtor_identity_number"].value() or "").strip()
    if not raw or debtor_kind not in DEBTOR_KINDS:
        return None
    try:
        identity = normalize_debtor_identity(raw, debtor_kind, today=today)
    except (IdentifierError, ValueError):
        return None
    claim = open_case_for(creditor, identity)
    if claim is None:
        return None
    name = " ".join(str(form["debtor_name"].value() or "").split())
    return {"claim": claim, "snapshot": claim_snapshots([claim], as_of=today)[claim.pk],
            "invoices": list(claim.invoices.all()),
            # The registration replaces the debtor's kind, name and address with the form's
            # (debtors.services.debtor_upsert): for the whole case, and the kind with its fees.
            "kind_changes": claim.debtor.kind != debtor_kind,
            "name_differs": bool(name) and name.casefold() != " ".join(
                claim.debtor.name.split()).casefold()}


def _joined_plan(join, *, due_date, amount_ore, debtor_kind, agreed, today) -> dict:
    """The open case's plan with the invoice added, as ``_planned`` will give it once the
    invoice is registered: the case's snapshot plus the capital (the debtor's kind as given,
    the reminder fee agreed on any invoice), its policy, today's caps; interest by step from
    the case's statement with the invoice in it."""
    claim, snapshot = join["claim"], join["snapshot"]
    policy = claim_policy(claim)
    snapshot = replace(snapshot, debtor_kind=debtor_kind,
                       reminder_fee_agreed=snapshot.reminder_fee_agreed or agreed,
                       outstanding_ore=snapshot.outstanding_ore + amount_ore)
    steps = planned_steps(snapshot, today, policy, fee_caps_on(today))
    books = claim_books(claim)
    invoices = [*books.invoices, InvoiceCapital(invoice_id=0, due_date=due_date,
                                                amount_ore=amount_ore)]
    rows, problem, owed = _with_interest(steps, invoices, policy.interest_enabled,
                                         charges=books.charges, payments=books.payments)
    capital_ore = sum(invoice.amount_ore for invoice in invoices)
    fees_ore = (sum(charge.amount_ore for charge in books.charges)
                + sum(fee.amount_ore for step in steps for fee in step.fees))
    paid_ore = sum(payment.amount_ore for payment in books.payments)
    return {"steps": rows, "interest_enabled": policy.interest_enabled,
            "interest_problem": problem, "owed": owed, "capital_ore": capital_ore,
            "fees_ore": fees_ore, "paid_ore": paid_ore,
            "last_on": steps[-1].on if steps else None,
            "total_ore": owed.total_owed_ore if owed else capital_ore + fees_ore - paid_ore,
            "rate": owed.interest_lines[-1].rate if owed and owed.interest_lines else None}


def _with_interest(steps, invoices, interest_enabled, *, charges=(), payments=()):
    """Each step with the interest accrued by its day, and the claim as of the last step's
    day (``claims.statement``, as the claim page's "Belopp per"), if nothing more is paid:
    ``charges`` and ``payments`` are those already booked, the steps' fees are added."""
    rates = reference_rates()
    charges, rows, owed, problem = list(charges), [], None, ""
    for step in steps:
        charges += [Charge(on=step.on, kind=fee.kind, amount_ore=fee.amount_ore)
                    for fee in step.fees]
        try:
            owed = statement_as_of(invoices=invoices, charges=charges, payments=payments,
                                   as_of=step.on, rates=rates, interest_enabled=interest_enabled)
        except ValueError as exc:  # the rate table does not reach back to the due date
            owed, problem = None, str(exc)
        rows.append({"step": step, "interest_ore": owed.interest_accrued_ore if owed else None})
    return rows, problem, owed


def _detail_context(claim) -> dict:
    today = timezone.localdate()
    statement, statement_problem = claim_statement(claim, as_of=today)
    invoices = list(claim.invoices.all())
    # Each invoice with its line of the statement (held by a partial objection, withdrawn).
    of = {line.invoice_id: line for line in statement.invoices} if statement else {}
    # The timeline and the sent letters are read once: the thread and the limitation are
    # picked from them.
    events = list(claim.events.select_related("actor").order_by("-occurred_on", "-id"))
    letters = letters_of(claim)
    return {
        "claim": claim, "balance": claim_balance(claim), "invoices": invoices,
        "invoice_rows": [(invoice, of.get(invoice.pk)) for invoice in invoices],
        "statement": statement, "statement_problem": statement_problem, "today": today,
        "events": events, "planned": _planned(claim), "letters": letters,
        "limitation": None if claim.is_closed else limitation_of(claim, sent_letters=letters),
        "thread": thread_of(claim, events=events), "message_form": CaseMessageForm(),
        "withdraw_form": WithdrawForm(), "payment_form": DirectPaymentForm(),
    }


def _planned(claim) -> list:
    """Every next step with its date and fees if nothing is paid: the engine's own plan."""
    if claim.status not in ACTIVE:
        return []
    today = timezone.localdate()
    snapshot = claim_snapshots([claim], prefetched=True)[claim.pk]
    return planned_steps(snapshot, today, claim_policy(claim), fee_caps_on(today))


@creditor_required
def claim_detail(request, claim_id):
    # The page's parts (statement, invoices, plan, limitation) read them from here, once.
    claim = get_object_or_404(Claim.objects.for_creditor(request.creditor)
                              .select_related("debtor", "creditor__policy")
                              .prefetch_related("invoices", "ledger"), pk=claim_id)
    return render(request, "claims/claim_detail.html", _detail_context(claim))


@creditor_required
@require_POST
def claim_message_view(request, claim_id):
    """Write to the case handlers about the claim; they are told by e-mail."""
    claim = _claim_for(request, claim_id)
    form = CaseMessageForm(request.POST)
    if form.is_valid():
        try:
            case_message_send(claim=claim, sender="creditor", text=form.cleaned_data["text"],
                              user=request.user)
        except ClaimError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Your message is sent to our case handlers."))
            return redirect(reverse("claims:detail", args=[claim.pk]) + "#meddelanden")
    else:
        messages.error(request, _("Write your message (at most 4,000 characters)."))
    return redirect("claims:detail", claim_id=claim.pk)


@creditor_required
@require_POST
def claim_withdraw_view(request, claim_id):
    claim = _claim_for(request, claim_id)
    form = WithdrawForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say why the claim is withdrawn."))
        return redirect("claims:detail", claim_id=claim.pk)
    try:
        claim_withdraw(claim=claim, reason=form.cleaned_data["reason"],
                       today=timezone.localdate(), user=request.user)
    except ClaimError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Case %(case)s is withdrawn.") % {
            "case": claim.case_number})
    return redirect("claims:detail", claim_id=claim.pk)


@creditor_required
@require_POST
def claim_payment_view(request, claim_id):
    """Meddela betalning: the debtor paid the creditor directly."""
    claim = _claim_for(request, claim_id)
    form = DirectPaymentForm(request.POST)
    errors = []
    amount = None
    if form.is_valid():
        try:
            amount = parse_sek(form.cleaned_data["amount"])
        except MoneyError as exc:
            errors.append(_("Amount: %(why)s") % {"why": exc})
    else:
        errors += [f"{form.fields[f].label}: {' '.join(e)}" for f, e in form.errors.items()]
    if not errors:
        try:
            claim_report_direct_payment(claim=claim, amount_ore=amount,
                                        paid_on=form.cleaned_data["paid_on"],
                                        today=timezone.localdate(), user=request.user)
        except ClaimError as exc:
            errors += [m for ms in exc.errors.values() for m in ms]
    if errors:
        messages.error(request, " ".join(str(e) for e in errors))
        # Form errors leave the payment unsaved; say so rather than lose the input silently.
        return render(request, "claims/claim_detail.html", {
            **_detail_context(claim), "payment_form": form, "payment_open": True}, status=400)
    messages.success(request, _("The payment is recorded."))
    return redirect("claims:detail", claim_id=claim.pk)


@creditor_required
def invoice_pdf(request, claim_id, invoice_id):
    invoice = get_object_or_404(Invoice.objects.filter(creditor=request.creditor),
                                pk=invoice_id, claim_id=claim_id)
    if not invoice.pdf:
        raise Http404
    return FileResponse(invoice.pdf.open("rb"), content_type="application/pdf",
                        filename=invoice.pdf_name or f"{invoice.invoice_number}.pdf")
