"""Writes of the Kronofogden track (KFM): the application for betalningsföreläggande (BF)
prepared for a claim the creditor (or its policy) sent there, and its sending.

The file and its rules are pure (claims.kronofogden); this module reads the claim as of the
application day (claims.statement), builds the application, keeps it once per claim and
decision, and holds it with its problems when KFM would refuse it. KFM has no API: a handler
downloads the file from the admin, sends it through Kronofogden's file service, and marks it
sent; only then is Kronofogden's application fee booked as an outlay the debtor is asked to
repay (the fee is owed once the application is made, even if it is withdrawn later).

The readable PDF is rendered by the letters room, which renders every document (firm rule:
claims never imports letters); until then the application has its file only.
"""

from __future__ import annotations

import hashlib
import re
from datetime import date, timedelta

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from claims import kronofogden as kfm
from claims.models import (
    Claim,
    Decision,
    Event,
    KronofogdenApplication,
    LedgerEntry,
    Status,
    StatutoryFee,
    Step,
)
from claims.selectors import claim_policy, claim_statement
from claims.services import ClaimError, _set_status

State = KronofogdenApplication.State
FEE_KINDS = {"reminder_fee": kfm.REMINDER_FEE, "collection_fee": kfm.COLLECTION_FEE,
             "late_payment_compensation": kfm.LATE_PAYMENT_COMPENSATION}
STEP_TEXT = {"reminder_fee": "betalningspåminnelse skickad {day}",
             "collection_fee": "inkassokrav skickat {day}",
             "late_payment_compensation": "inkassokrav skickat {day}"}


def _digits(value: str) -> str:
    return re.sub(r"\D", "", value or "")


def _party(*, name, identity_number, kind, street, postal_code, city) -> kfm.Party:
    return kfm.Party(name=name, identity_number=_digits(identity_number), kind=kind,
                     street=street, postal_code=_digits(postal_code), city=city)


def application_of(claim: Claim, *, today: date) -> kfm.Application:
    """The application for ``claim`` as of ``today``: the capital still owed per invoice with
    interest running from the day after, the interest accrued to today, and each fee still
    owed with its legal basis (payments pay costs first, oldest first)."""
    statement, problem = claim_statement(claim, as_of=today)
    if statement is None:
        raise ClaimError({"interest": [problem]}, code="no_statement")
    if statement.held_ore:  # a disputed claim never goes to a betalningsföreläggande
        raise ClaimError({"dispute": [_("Part of the claim is disputed: resolve the objection "
                                        "before applying.")]}, code="partly_disputed")
    creditor, debtor, agency = claim.creditor, claim.debtor, settings.AGENCY
    gone = {line.invoice_id for line in statement.invoices if line.written_off_on}
    invoices = {i.pk: i for i in claim.invoices.all() if i.pk not in gone}
    running = claim_policy(claim).interest_enabled
    sub_claims = [kfm.SubClaim(
        kind=kfm.CAPITAL, amount_ore=line.capital_ore, due_date=line.due_date,
        description=f"Faktura nr {invoices[line.invoice_id].invoice_number}",
        interest_from=today + timedelta(days=1) if running else None,
        interest_rate_text=kfm.STATUTORY_INTEREST_TEXT if running else None)
        for line in statement.invoices if line.capital_ore > 0]
    if statement.interest_owed_ore > 0:
        sub_claims.append(kfm.SubClaim(
            kind=kfm.INTEREST, amount_ore=statement.interest_owed_ore,
            description=f"Upplupen ränta till och med {today:%Y-%m-%d}"))
    sub_claims += _fees_owed(claim, statement.costs_owed_ore)
    return kfm.Application(
        reference=claim.case_number, applied_on=today,
        applicant=_party(name=creditor.name, identity_number=creditor.organisation_number,
                         kind=kfm.COMPANY, street=creditor.street,
                         postal_code=creditor.postal_code, city=creditor.city),
        agent=kfm.Agent(party=_party(
            name=agency["name"], identity_number=agency["organisation_number"],
            kind=kfm.COMPANY, street=agency["street"], postal_code=agency["postal_code"],
            city=agency["city"]), contact_person=agency["name"], phone=agency["phone"],
            email=agency["email"]),
        respondent=_party(name=debtor.name, identity_number=debtor.identity_number,
                          kind=kfm.PERSON if debtor.kind == "person" else kfm.COMPANY,
                          street=debtor.street, postal_code=debtor.postal_code,
                          city=debtor.city),
        invoices=tuple(kfm.InvoiceGround(
            invoice_number=i.invoice_number, invoice_date=i.invoice_date, due_date=i.due_date,
            amount_ore=i.amount_ore,
            description=(i.description or creditor.default_invoice_text or "").lower())
            for i in sorted(invoices.values(), key=lambda i: (i.due_date, i.pk))),
        sub_claims=tuple(sub_claims), interest_running=running and any(
            s.kind == kfm.CAPITAL for s in sub_claims))


def _fees_owed(claim: Claim, costs_owed_ore: int) -> list[kfm.SubClaim]:
    """The fees still owed: what payments paid of the costs covered the oldest first."""
    fees = list(claim.ledger.filter(kind=LedgerEntry.Kind.FEE, key__in=[
        f"fee:{kind}" for kind in FEE_KINDS]).order_by("booked_on", "id"))
    paid = sum(f.amount_ore for f in fees) - costs_owed_ore
    steps = {s.kind: s.taken_on for s in claim.steps.all()}
    owed = []
    for fee in fees:
        covered = min(paid, fee.amount_ore)
        paid -= covered
        if fee.amount_ore - covered <= 0:
            continue
        kind = fee.key.removeprefix("fee:")
        day = steps.get(Step.Kind.REMINDER if kind == "reminder_fee" else Step.Kind.DEMAND,
                        fee.booked_on)
        owed.append(kfm.SubClaim(kind=FEE_KINDS[kind], amount_ore=fee.amount_ore - covered,
                                 description=STEP_TEXT[kind].format(day=f"{day:%Y-%m-%d}"),
                                 legal_basis=fee.legal_basis))
    return owed


def kfm_application_prepare(*, claim_id: int, today: date) -> KronofogdenApplication:
    """Prepare the application for a claim sent to Kronofogden by its latest decision; the
    same decision again returns the application already made."""
    with transaction.atomic():
        claim = (Claim.objects.select_for_update(of=("self",))
                 .select_related("creditor", "debtor").get(pk=claim_id))
        decision = (Decision.objects.filter(claim=claim, choice=Decision.Choice.KRONOFOGDEN)
                    .order_by("-decided_on", "-id").first())
        if claim.status != Status.AT_KRONOFOGDEN or decision is None:
            raise ClaimError({"status": [_("This claim has not been sent to Kronofogden.")]},
                             code="not_at_kronofogden")
        existing = KronofogdenApplication.objects.filter(decision=decision).first()
        if existing is not None:
            return existing
        sequence = KronofogdenApplication.objects.filter(claim=claim).count() + 1
        application = KronofogdenApplication(
            claim=claim, sequence=sequence, decision=decision, prepared_on=today,
            reference=claim.case_number if sequence == 1 else f"{claim.case_number}-{sequence}")
        _fill(application, claim, today)
        application.save()
        Event.objects.create(claim=claim, kind=Event.Kind.KRONOFOGDEN, occurred_on=today,
                             data={"state": application.state,
                                   "reference": application.reference,
                                   "problems": [p["message"] for p in application.problems]})
    return application


def _fill(application: KronofogdenApplication, claim: Claim, today: date) -> None:
    try:
        built = application_of(claim, today=today)
    except ClaimError as exc:
        application.state, application.problems = State.HELD, [
            {"field": field, "message": str(message)}
            for field, messages in exc.errors.items() for message in messages]
        return
    built = kfm.Application(**{**built.__dict__, "reference": application.reference})
    problems = kfm.check(built)
    if problems:
        application.state = State.HELD
        application.problems = [{"field": p.field, "message": p.message, "code": p.code}
                                for p in problems]
        return
    data = kfm.application_xml(built)
    totals = kfm.totals(built)
    application.state, application.xml = State.PREPARED, data
    application.sha256 = hashlib.sha256(data).hexdigest()
    application.capital_ore, application.interest_ore = (totals["capital_ore"],
                                                         totals["interest_ore"])
    application.fees_ore = totals["fees_ore"]


@transaction.atomic
def kfm_application_retry(*, application_id: int, today: date) -> KronofogdenApplication:
    """Make a held application again, as of ``today``, once its problems are put right (the
    debtor's address, a missing reference rate)."""
    application = (KronofogdenApplication.objects.select_for_update()
                   .select_related("claim__creditor", "claim__debtor").get(pk=application_id))
    if application.state != State.HELD:
        raise ClaimError({"state": [_("Only a held application is made again.")]},
                         code="not_held")
    application.prepared_on, application.problems = today, []
    _fill(application, application.claim, today)
    application.save()
    Event.objects.create(claim=application.claim, kind=Event.Kind.KRONOFOGDEN, occurred_on=today,
                         data={"state": application.state, "reference": application.reference,
                               "problems": [p["message"] for p in application.problems]})
    return application


def kfm_applications_prepare(*, today: date) -> int:
    """Prepare the applications of claims at Kronofogden whose latest decision has none (a
    task lost on the way); returns how many were made."""
    from django.db.models import OuterRef, Subquery

    latest = (Decision.objects.filter(claim=OuterRef("pk"), choice=Decision.Choice.KRONOFOGDEN)
              .order_by("-decided_on", "-id").values("pk")[:1])
    waiting = (Claim.objects.filter(status=Status.AT_KRONOFOGDEN)
               .annotate(decision_id=Subquery(latest))
               .exclude(decision_id__in=KronofogdenApplication.objects.filter(
                   decision__isnull=False).values("decision_id"))
               .values_list("pk", flat=True))
    made = 0
    for claim_id in waiting:
        kfm_application_prepare(claim_id=claim_id, today=today)
        made += 1
    return made


@transaction.atomic
def kfm_application_send(*, application_id: int, today: date, user) -> KronofogdenApplication:
    """A handler sent the file through Kronofogden's file service: the application is sent,
    and Kronofogden's application fee is booked as an outlay for the debtor to repay."""
    application = (KronofogdenApplication.objects.select_for_update()
                   .select_related("claim").get(pk=application_id))
    if application.state != State.PREPARED:
        raise ClaimError({"state": [_("Only a prepared application can be sent.")]},
                         code="not_prepared")
    KronofogdenApplication.objects.filter(pk=application.pk).update(
        state=State.SENT, sent_on=today, sent_by=user)
    claim = application.claim
    event = Event.objects.create(claim=claim, kind=Event.Kind.KRONOFOGDEN, occurred_on=today,
                                 actor=user, data={"state": State.SENT,
                                                   "reference": application.reference})
    _book_fee(claim, StatutoryFee.Kind.KFM_APPLICATION, application, today, event)
    application.refresh_from_db()
    return application


# --- Kronofogden's answers, recorded by handlers --------------------------------------------

# answer: (the states it may follow, the state it leads to). KFM has no API: its answers
# come as letters and files, and a handler records each here.
ANSWERS = {
    "received": ((State.SENT,), State.RECEIVED),
    "served": ((State.SENT, State.RECEIVED), State.SERVED),
    "objected": ((State.SENT, State.RECEIVED, State.SERVED), State.OBJECTED),
    "judgment": ((State.RECEIVED, State.SERVED), State.JUDGMENT),
    "enforcement": ((State.JUDGMENT,), State.ENFORCEMENT),
    "no_assets": ((State.ENFORCEMENT,), State.NO_ASSETS),
}


@transaction.atomic
def kfm_answer_record(*, application_id: int, answer: str, on: date, user,
                      kfm_case_number: str = "", note: str = "") -> KronofogdenApplication:
    """Record Kronofogden's answer on an application, with what it does to the claim: an
    objection disputes it (it never goes on to utslag; the creditor may ask for tingsrätt),
    an application for enforcement books Kronofogden's fee as an outlay, no assets (SUT)
    sends the claim to long-term surveillance."""
    if answer not in ANSWERS:
        raise ClaimError({"answer": [_("Unknown answer from Kronofogden.")]}, code="answer")
    application = (KronofogdenApplication.objects.select_for_update()
                   .select_related("claim").get(pk=application_id))
    allowed, new = ANSWERS[answer]
    if application.state not in allowed:
        raise ClaimError({"answer": [_("Kronofogden's answer does not follow the "
                                       "application's state (%(state)s).") % {
            "state": application.get_state_display()}]}, code="answer_out_of_order")
    claim = application.claim
    if claim.is_closed:
        raise ClaimError({"status": [_("The claim is closed and can no longer be changed.")]},
                         code="claim_closed")
    application.state = new
    application.kfm_case_number = (kfm_case_number.strip()
                                   or application.kfm_case_number)[:40]
    application.save(update_fields=["state", "kfm_case_number"])
    event = Event.objects.create(
        claim=claim, kind=Event.Kind.KRONOFOGDEN, occurred_on=on, actor=user,
        data={"state": new, "reference": application.reference,
              "kfm_case_number": application.kfm_case_number, "note": note.strip()[:300]})
    if answer == "objected":
        _objected_at_kronofogden(claim, on, user, note)
    elif answer == "no_assets":
        _set_status(claim, new=Status.SURVEILLANCE, allowed_from=[Status.AT_KRONOFOGDEN])
    elif answer == "enforcement":
        _book_fee(claim, StatutoryFee.Kind.KFM_ENFORCEMENT, application, on, event)
    return application


def _book_fee(claim, kind, application, day, event) -> None:
    """Kronofogden's fee of ``kind`` in force on ``day``, as the debtor's cost (the
    creditor's outlay, payments.settlements), once per application."""
    fee = (StatutoryFee.objects.filter(kind=kind, valid_from__lte=day)
           .order_by("-valid_from").first())
    if fee is not None and fee.amount_ore:
        LedgerEntry.objects.create(
            claim=claim, kind=LedgerEntry.Kind.FEE, amount_ore=fee.amount_ore, booked_on=day,
            key=f"fee:{kind}:{application.sequence}", legal_basis=fee.legal_basis, event=event)


# --- The statute of limitations, for the handlers' list ---------------------------------------

def claims_limitation_store(*, dates: dict[int, date]) -> int:
    """Keep each claim's limitation date as last computed (letters.services
    limitation_refresh): one UPDATE per batch, not a save per claim."""
    from django.db.models import Case, DateField, Value, When

    if not dates:
        return 0
    return Claim.objects.filter(pk__in=list(dates)).update(limitation_on=Case(
        *(When(pk=pk, then=Value(day)) for pk, day in dates.items()),
        output_field=DateField()))


def _objected_at_kronofogden(claim: Claim, on: date, user, note: str) -> None:
    """The debtor objected at Kronofogden: the claim is disputed, with an objection the
    creditor gives its position on and a handler resolves — to court (tingsrätt) on the
    creditor's request, or withdrawn; never back to a betalningsföreläggande."""
    from claims.models import Dispute

    _set_status(claim, new=Status.DISPUTED, allowed_from=[Status.AT_KRONOFOGDEN])
    Dispute.objects.create(claim=claim, received_on=on, channel=Dispute.Channel.KRONOFOGDEN,
                           reason=Dispute.Reason.OTHER, text=note.strip()[:2000],
                           previous_status=Status.AT_KRONOFOGDEN, registered_by=user)
