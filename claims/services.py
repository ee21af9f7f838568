"""Every write to a claim. Each service checks its guard first and runs in one transaction."""

import secrets
import uuid
from datetime import date

from django.db import IntegrityError, transaction
from django.utils import translation
from django.utils.translation import gettext as _, gettext_lazy

from claims.models import CLOSED_STATUSES, Claim, Event, Invoice, LedgerEntry, Status
from claims.registration import Registration
from claims.selectors import claim_balance
from debtors.services import debtor_upsert
from ekrav.identifiers import ocr_from_base
from ekrav.money import format_sek

CASE_NUMBER_OFFSET = 100000
OCR_BASE_DIGITS = 10


class ClaimError(Exception):
    """A rule of the domain refused the write. ``errors`` maps field -> [reason]."""

    def __init__(self, errors: dict[str, list[str]], code: str = "invalid"):
        self.errors = {k: [str(m) for m in v] for k, v in errors.items()}
        self.code = code
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in self.errors.items()))


def _legal(text, **values) -> str:
    """A ledger row's legal basis is evidence: always in Swedish, whoever booked it."""
    with translation.override("sv"):
        return str(text) % values if values else str(text)


def _new_ocr() -> str:
    # Random, not derived from the case number: case number + OCR open Mitt Ärende.
    first = str(1 + secrets.randbelow(9))
    rest = "".join(str(secrets.randbelow(10)) for _ in range(OCR_BASE_DIGITS - 1))
    return ocr_from_base(first + rest)


def duplicate_invoice_error(creditor, invoice_number: str):
    existing = (Invoice.objects.filter(creditor=creditor, invoice_number=invoice_number)
                .select_related("claim").first())
    if existing is None:
        return None
    return _("Invoice %(number)s is already registered in case %(case)s.") % {
        "number": invoice_number, "case": existing.claim.case_number}


@transaction.atomic
def claim_register(*, creditor, registration: Registration, today: date, user=None,
                   source=Claim.Source.WEB, pdf=None, pdf_name="") -> Claim:
    """Register one overdue invoice as a new claim (ärende) with its capital in the ledger."""
    invoice_in = registration.invoice
    message = duplicate_invoice_error(creditor, invoice_in.invoice_number)
    if message:
        raise ClaimError({"invoice_number": [message]}, code="duplicate_invoice")
    debtor = debtor_upsert(creditor=creditor, data=registration.debtor)
    claim = _claim_create(creditor=creditor, debtor=debtor, today=today, user=user,
                          source=source)
    try:
        with transaction.atomic():
            invoice = Invoice.objects.create(
                claim=claim, creditor=creditor, invoice_number=invoice_in.invoice_number,
                invoice_date=invoice_in.invoice_date, due_date=invoice_in.due_date,
                amount_ore=invoice_in.amount_ore, description=invoice_in.description,
                reminder_fee_agreed=invoice_in.reminder_fee_agreed, pdf_name=pdf_name[:200])
    except IntegrityError:
        # Lost a race with a concurrent registration of the same invoice number.
        raise ClaimError({"invoice_number": [duplicate_invoice_error(
            creditor, invoice_in.invoice_number) or _("This invoice number is already registered.")]},
            code="duplicate_invoice") from None
    if pdf is not None:
        invoice.pdf.save("invoice.pdf", pdf, save=True)
    event = Event.objects.create(
        claim=claim, kind=Event.Kind.REGISTERED, occurred_on=today, actor=user,
        data={"invoice_number": invoice.invoice_number, "amount_ore": invoice.amount_ore,
              "source": source})
    LedgerEntry.objects.create(
        claim=claim, kind=LedgerEntry.Kind.CAPITAL, amount_ore=invoice.amount_ore,
        booked_on=today, key=f"capital:invoice:{invoice.pk}", event=event,
        legal_basis=_legal(gettext_lazy("Invoice %(number)s due %(due)s"),
                           number=invoice.invoice_number, due=invoice.due_date.isoformat()))
    return claim


def _claim_create(*, creditor, debtor, today, user, source) -> Claim:
    for _attempt in range(5):
        try:
            with transaction.atomic():
                claim = Claim.objects.create(creditor=creditor, debtor=debtor, ocr=_new_ocr(),
                                             registered_on=today, created_by=user,
                                             source=source)
        except IntegrityError:
            continue  # an OCR collision: one in ten billion, draw again
        claim.case_number = str(CASE_NUMBER_OFFSET + claim.pk)
        Claim.objects.filter(pk=claim.pk).update(case_number=claim.case_number)
        return claim
    raise RuntimeError("could not draw a unique OCR reference")


def _set_status(claim, *, new, allowed_from) -> None:
    """Compare-and-set: the row moves only if it is still in a state we checked."""
    moved = (Claim.objects.filter(pk=claim.pk, status__in=allowed_from)
             .update(status=new))
    if moved != 1:
        raise ClaimError({"status": [_("The claim is closed and can no longer be changed.")]},
                         code="claim_closed")
    claim.status = new


def _open_statuses():
    return [s for s in Status.values if s not in CLOSED_STATUSES]


@transaction.atomic
def claim_withdraw(*, claim: Claim, reason: str, today: date, user=None) -> Claim:
    """Återkalla: the creditor takes the claim back; every further step stops."""
    reason = (reason or "").strip()
    if not reason:
        raise ClaimError({"reason": [_("Say why the claim is withdrawn.")]})
    if len(reason) > 500:
        raise ClaimError({"reason": [_("At most %(n)d characters.") % {"n": 500}]})
    _set_status(claim, new=Status.WITHDRAWN, allowed_from=_open_statuses())
    Event.objects.create(claim=claim, kind=Event.Kind.WITHDRAWN, occurred_on=today, actor=user,
                         data={"reason": reason})
    Claim.objects.filter(pk=claim.pk).update(next_action_on=None)
    return claim


@transaction.atomic
def claim_report_direct_payment(*, claim: Claim, amount_ore: int, paid_on: date, today: date,
                                user=None) -> Claim:
    """The debtor paid the creditor directly: book it, and close the claim if it is now paid."""
    locked = Claim.objects.select_for_update().get(pk=claim.pk)
    if locked.is_closed:
        raise ClaimError({"status": [_("The claim is closed and can no longer be changed.")]},
                         code="claim_closed")
    errors = {}
    if paid_on > today:
        errors["paid_on"] = [_("The payment date cannot be in the future.")]
    elif paid_on < min(i.invoice_date for i in locked.invoices.all()):
        errors["paid_on"] = [_("The payment date cannot be before the invoice date.")]
    outstanding = claim_balance(locked).outstanding
    if amount_ore <= 0:
        errors["amount"] = [_("The amount must be greater than zero.")]
    elif amount_ore > outstanding:
        errors["amount"] = [_("The amount is more than the %(outstanding)s outstanding.") % {
            "outstanding": format_sek(outstanding)}]
    if errors:
        raise ClaimError(errors)
    event = Event.objects.create(
        claim=locked, kind=Event.Kind.DIRECT_PAYMENT, occurred_on=today, actor=user,
        data={"amount_ore": amount_ore, "paid_on": paid_on.isoformat()})
    LedgerEntry.objects.create(
        claim=locked, kind=LedgerEntry.Kind.DIRECT_PAYMENT, amount_ore=amount_ore,
        booked_on=paid_on, key=f"direct:{uuid.uuid4().hex}", event=event,
        legal_basis=_legal(gettext_lazy("Paid directly to the creditor, reported by the "
                                        "creditor")))
    if amount_ore == outstanding:
        _set_status(locked, new=Status.PAID, allowed_from=_open_statuses())
        Claim.objects.filter(pk=locked.pk).update(next_action_on=None)
        Event.objects.create(claim=locked, kind=Event.Kind.PAID, occurred_on=today, actor=user)
    claim.status = locked.status
    return claim
