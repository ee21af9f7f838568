"""Every write to a claim. Each service checks its guard first and runs in one transaction."""

import dataclasses
import secrets
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date

from django.db import IntegrityError, transaction
from django.db.models import CharField, F
from django.db.models.functions import Cast
from django.utils import timezone, translation
from django.utils.translation import gettext as _, gettext_lazy

from claims.bulk import insert_rows, reserve_ids, row_stream
from claims.models import CLOSED_STATUSES, Claim, Event, Invoice, LedgerEntry, Status
from claims.registration import Registration
from claims.selectors import (
    claim_books,
    claim_books_of,
    claim_policy,
    interest_key,
    one_of,
    reference_rates,
)
from claims.statement import (
    Payment,
    RateTable,
    Statement,
    interest_legal_basis,
    same_day_payment,
)
from creditors.models import CollectionPolicy
from creditors.services import agreement_signed
from debtors.services import debtor_upsert, debtor_upsert_many
from ekrav import audit
from ekrav.calendar import first_bank_day_after
from ekrav.errors import DomainError
from ekrav.identifiers import ocr_from_base
from ekrav.money import format_sek
from webhooks import services as webhooks  # the outbox: events for the creditor's endpoints

CASE_NUMBER_OFFSET = 100000
OCR_BASE_DIGITS = 10
# Registrations per round of bulk statements, and invoice numbers per lookup: far below
# PostgreSQL's parameter limit (bulk_create splits further for SQLite's).
BULK_CHUNK = 500
# One case per debtor (issue 3): a new invoice joins the debtor's open case until its
# collection demand goes out, so the debtor gets one letter and one fee per step (lag
# 1981:739 expects claims on one debtor merged). After the IK, a new invoice opens a new case.
JOINABLE = (Status.REGISTERED, Status.REMINDER_SENT)


class ClaimError(DomainError):
    """A rule of the domain refused the write. ``errors`` maps field -> [reason]."""


def _legal(text, **values) -> str:
    """A ledger row's legal basis is evidence: always in Swedish, whoever booked it."""
    with translation.override("sv"):
        return str(text) % values if values else str(text)


def _new_ocr() -> str:
    # Random, not derived from the case number: case number + OCR open Mitt Ärende.
    first = str(1 + secrets.randbelow(9))
    rest = "".join(str(secrets.randbelow(10)) for _ in range(OCR_BASE_DIGITS - 1))
    return ocr_from_base(first + rest)


def registered_cases(creditor, invoice_numbers) -> dict[str, str]:
    """``{invoice number: case number}`` of those of ``invoice_numbers`` the creditor has."""
    numbers = sorted(set(invoice_numbers))
    cases = {}
    for start in range(0, len(numbers), BULK_CHUNK):
        cases.update(Invoice.objects.filter(
            creditor=creditor, invoice_number__in=numbers[start:start + BULK_CHUNK])
            .values_list("invoice_number", "claim__case_number"))
    return cases


def duplicate_invoice_message(invoice_number: str, case_number: str) -> str:
    return _("Invoice %(number)s is already registered in case %(case)s.") % {
        "number": invoice_number, "case": case_number}


def duplicate_invoice_error(creditor, invoice_number: str):
    case_number = registered_cases(creditor, [invoice_number]).get(invoice_number)
    if case_number is None:
        return None
    return duplicate_invoice_message(invoice_number, case_number)


def _unsigned() -> ClaimError:
    """An agency collects on the creditor's mandate: no claim before the service agreement is
    signed (creditors.agreement), whichever way it is registered."""
    return ClaimError({"agreement": [_(
        "The service agreement is not signed yet: the company's signatory signs it with BankID "
        "(Service agreement, in the company menu) before ekrav can collect anything.")]},
        code="agreement_not_signed")


def _duplicate(message) -> ClaimError:
    return ClaimError({"invoice_number": [message]}, code="duplicate_invoice")


@dataclass(frozen=True)
class Registered:
    """One invoice registered: the case (ärende) it is in, and whether it joined the debtor's
    open case rather than opening a new one."""

    claim: Claim
    invoice: Invoice
    joined: bool


@transaction.atomic
def invoice_register(*, creditor, registration: Registration, today: date, user=None,
                     source=Claim.Source.WEB, pdf=None, pdf_name="") -> Registered:
    """Register one overdue invoice with its capital in the ledger: it joins the debtor's open
    case that has not had its collection demand yet (``JOINABLE``), or opens a new case."""
    if not agreement_signed(creditor):
        raise _unsigned()
    invoice_in = registration.invoice
    message = duplicate_invoice_error(creditor, invoice_in.invoice_number)
    if message:
        raise _duplicate(message)
    # The debtor's row stays locked until commit: two registrations for one debtor queue here,
    # so the second sees the case the first opened and joins it rather than open another.
    debtor = debtor_upsert(creditor=creditor, data=registration.debtor)
    claim = _joinable_case(creditor=creditor, debtor=debtor)
    joined = claim is not None
    if not joined:
        claim = _claim_create(creditor=creditor, debtor=debtor, today=today, user=user,
                              source=source)
    try:
        with transaction.atomic():
            invoice = _invoice_new(claim, invoice_in, pdf_name=pdf_name)
            invoice.save(force_insert=True)
    except IntegrityError:
        # Lost a race with a concurrent registration of the same invoice number.
        raise _duplicate(duplicate_invoice_error(creditor, invoice_in.invoice_number)
                         or _("This invoice number is already registered.")) from None
    if pdf is not None:
        invoice.pdf.save("invoice.pdf", pdf, save=True)
    event = _registration_event(claim, invoice, joined=joined, today=today, user=user,
                                source=source)
    event.save(force_insert=True)
    _capital_entry(claim, invoice, event, today=today).save(force_insert=True)
    registered = Registered(claim=claim, invoice=invoice, joined=joined)
    webhooks.registrations_emit(creditor=creditor, registered=[registered])
    return registered


def claim_register(*, creditor, registration: Registration, today: date, user=None,
                   source=Claim.Source.WEB, pdf=None, pdf_name="") -> Claim:
    """``invoice_register`` for callers that need only the case the invoice is now in."""
    return invoice_register(creditor=creditor, registration=registration, today=today,
                            user=user, source=source, pdf=pdf, pdf_name=pdf_name).claim


def _joinable_case(*, creditor, debtor) -> Claim | None:
    """The debtor's open case that may still take an invoice, locked until commit.

    Locked so the tick cannot send the case's IK while the invoice joins (the tick skips a
    locked claim; it takes it on its next run). The status is checked under the lock: when the
    tick holds the row, PostgreSQL waits for it and then re-checks the WHERE on the row as the
    tick left it, so a case whose IK has just gone out is not returned and a new case opens.
    """
    claim = (Claim.objects.select_for_update()
             .filter(creditor=creditor, debtor=debtor, status__in=JOINABLE).order_by("id")
             .first())
    if claim is not None:
        claim.creditor, claim.debtor = creditor, debtor
    return claim


def _claim_create(*, creditor, debtor, today, user, source) -> Claim:
    for _attempt in range(5):
        claim = _claim_new(creditor=creditor, debtor_id=debtor.pk, today=today, user=user,
                           source=source)
        claim.debtor = debtor
        try:
            with transaction.atomic():
                claim.save(force_insert=True)
        except IntegrityError:
            continue  # an OCR collision: one in ten billion, draw again
        claim.case_number = _case_number(claim.pk)
        Claim.objects.filter(pk=claim.pk).update(case_number=claim.case_number)
        return claim
    raise RuntimeError("could not draw a unique OCR reference")


# --- the rows of a registration, built once for claim_register and claim_register_many -------


def _case_number(pk: int) -> str:
    # Unique because the pk is; short enough to read out on the phone. Set after the insert.
    return str(CASE_NUMBER_OFFSET + pk)


def _claim_new(*, creditor, debtor_id, today, user, source) -> Claim:
    # The reminder goes out on the first bank day after registration: the tick looks then.
    return Claim(creditor=creditor, debtor_id=debtor_id, ocr=_new_ocr(), registered_on=today,
                 created_by=user, source=source, next_action_on=first_bank_day_after(today))


def _invoice_new(claim, invoice_in, pdf_name="") -> Invoice:
    return Invoice(
        claim=claim, creditor=claim.creditor, invoice_number=invoice_in.invoice_number,
        invoice_date=invoice_in.invoice_date, due_date=invoice_in.due_date,
        amount_ore=invoice_in.amount_ore, description=invoice_in.description,
        reminder_fee_agreed=invoice_in.reminder_fee_agreed, pdf_name=pdf_name[:200],
        payment_reference=invoice_in.payment_reference,
        payee_bankgiro=invoice_in.payee_bankgiro)


def _registration_event(claim, invoice, *, joined, today, user, source) -> Event:
    """"Registered" for the invoice that opens a case, "invoice added" for one that joins."""
    return Event(claim=claim, kind=Event.Kind.INVOICE_ADDED if joined else Event.Kind.REGISTERED,
                 occurred_on=today, actor=user,
                 data={"invoice_number": invoice.invoice_number,
                       "amount_ore": invoice.amount_ore, "source": source})


def _capital_entry(claim, invoice, event, *, today) -> LedgerEntry:
    return LedgerEntry(
        claim=claim, kind=LedgerEntry.Kind.CAPITAL, amount_ore=invoice.amount_ore,
        booked_on=today, key=f"capital:invoice:{invoice.pk}", event=event,
        legal_basis=_legal(gettext_lazy("Invoice %(number)s due %(due)s"),
                           number=invoice.invoice_number, due=invoice.due_date.isoformat()))


# --- many at once (the CSV import) ---------------------------------------------------------


@transaction.atomic
def claim_register_many(*, creditor, registrations: list[Registration], today: date,
                        user=None, source=Claim.Source.CSV) -> list[Registered | ClaimError]:
    """``invoice_register`` of every registration in turn, in a few statements per chunk.

    Returns, in order, each registration's ``Registered`` (the case it opened or joined) or the
    ``ClaimError`` that refused it: a registration the domain refuses is refused alone.
    Anything else (a bug, the database going away) raises, and as one transaction nothing is
    created. Same rules, same rows as one ``invoice_register`` per registration (invoices of
    one debtor in the list join one case), in ~11 statements per ``BULK_CHUNK`` instead of
    ~18 per registration.
    """
    if not agreement_signed(creditor):
        return [_unsigned() for _registration in registrations]
    results = []
    for start in range(0, len(registrations), BULK_CHUNK):
        results += _register_chunk(creditor=creditor, today=today, user=user, source=source,
                                   registrations=registrations[start:start + BULK_CHUNK])
    return results


def _register_chunk(*, creditor, registrations, today, user, source) -> list:
    try:
        with transaction.atomic():
            return _register_chunk_bulk(creditor=creditor, registrations=registrations,
                                        today=today, user=user, source=source)
    except IntegrityError:
        # Someone registered one of these invoice numbers between our check and our insert
        # (or, once in ten billion, a drawn OCR collided). Redo this chunk one registration at
        # a time, where the one that lost is refused alone and the others are created.
        return [_register_one(creditor=creditor, registration=registration, today=today,
                              user=user, source=source) for registration in registrations]


def _register_one(**arguments) -> Registered | ClaimError:
    try:
        return invoice_register(**arguments)
    except ClaimError as exc:
        return exc


def _register_chunk_bulk(*, creditor, registrations, today, user, source) -> list:
    cases = registered_cases(creditor, [r.invoice.invoice_number for r in registrations])
    results: list = [None] * len(registrations)
    fresh, repeated, seen = [], [], set()
    for i, registration in enumerate(registrations):
        number = registration.invoice.invoice_number
        if number in cases:
            results[i] = _duplicate(duplicate_invoice_message(number, cases[number]))
        elif number in seen:
            repeated.append(i)  # refused once the first is created, naming its case
        else:
            seen.add(number)
            fresh.append(i)
    registered = _invoices_register(creditor=creditor, today=today, user=user, source=source,
                                    registrations=[registrations[i] for i in fresh])
    for i, one in zip(fresh, registered):
        results[i] = one
    for i in repeated:
        results[i] = _register_one(creditor=creditor, registration=registrations[i],
                                   today=today, user=user, source=source)
    return results


def _invoices_register(*, creditor, registrations, today, user, source) -> list[Registered]:
    """The rows ``invoice_register`` writes, for many registrations: one statement per table.

    Each invoice joins its debtor's open case; the first invoice of a debtor without one opens
    a case, which that debtor's later invoices in the list join.
    """
    if not registrations:
        return []
    # Locks the debtors' rows until commit, as debtor_upsert does (see invoice_register).
    ids = debtor_upsert_many(creditor=creditor, data=[r.debtor for r in registrations])
    debtor_ids = [ids[r.debtor.identity_number] for r in registrations]
    cases = _joinable_cases(creditor=creditor, debtor_ids=set(debtor_ids))
    opening = list(dict.fromkeys(d for d in debtor_ids if d not in cases))
    for claim in _claims_create(creditor=creditor, debtor_ids=opening, today=today, user=user,
                                source=source):
        cases[claim.debtor_id] = claim
    opened = set(opening)
    joined = []
    for debtor_id in debtor_ids:
        joined.append(debtor_id not in opened)
        opened.discard(debtor_id)  # the debtor's first invoice opened its case; the rest join
    claims = [cases[d] for d in debtor_ids]
    invoices = Invoice.objects.bulk_create(
        [_invoice_new(c, r.invoice) for c, r in zip(claims, registrations)])
    events = Event.objects.bulk_create(
        [_registration_event(c, i, joined=j, today=today, user=user, source=source)
         for c, i, j in zip(claims, invoices, joined)])
    LedgerEntry.objects.bulk_create(
        [_capital_entry(c, i, e, today=today) for c, i, e in zip(claims, invoices, events)])
    registered = [Registered(claim=c, invoice=i, joined=j)
                  for c, i, j in zip(claims, invoices, joined)]
    webhooks.registrations_emit(creditor=creditor, registered=registered)
    return registered


def _joinable_cases(*, creditor, debtor_ids) -> dict[int, Claim]:
    """``_joinable_case`` of many debtors, in one locking query: ``{debtor id: case}``."""
    cases = {}
    for claim in (Claim.objects.select_for_update()
                  .filter(creditor=creditor, debtor_id__in=debtor_ids, status__in=JOINABLE)
                  .order_by("id")):
        claim.creditor = creditor
        cases.setdefault(claim.debtor_id, claim)
    return cases


def _claims_create(*, creditor, debtor_ids, today, user, source) -> list[Claim]:
    """New cases for ``debtor_ids``, with their case numbers: two statements."""
    if not debtor_ids:
        return []
    claims = Claim.objects.bulk_create([
        _claim_new(creditor=creditor, debtor_id=debtor_id, today=today, user=user,
                   source=source) for debtor_id in debtor_ids])
    # _case_number's rule, computed by the database for the whole chunk in one UPDATE.
    Claim.objects.filter(pk__in=[c.pk for c in claims]).update(
        case_number=Cast(F("pk") + CASE_NUMBER_OFFSET, output_field=CharField()))
    for claim in claims:
        claim.case_number = _case_number(claim.pk)
    return claims


def _set_status(claim, *, new, allowed_from) -> None:
    """Compare-and-set: the row moves only if it is still in a state we checked. An
    ``update()`` sends no model signal: the audit trail is told here."""
    moved = (Claim.objects.filter(pk=claim.pk, status__in=allowed_from)
             .update(status=new))
    if moved != 1:
        raise ClaimError({"status": [_("The claim is closed and can no longer be changed.")]},
                         code="claim_closed")
    audit.record(claim, "update", {"status": (claim.status, new)})
    previous, claim.status = claim.status, new
    webhooks.status_change_emit(claim=claim, previous=previous)


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
    """The debtor paid the creditor directly: book it with the interest accrued up to its day,
    and close the claim if nothing is owed any more.

    What is owed is the statement's (``claims.statement``): capital, fees and interest up to
    the payment day, so a debtor who paid the capital alone has not paid in full.
    """
    locked = (Claim.objects.select_for_update(of=("self",))
              .select_related("creditor__policy").get(pk=claim.pk))
    if locked.is_closed:
        raise ClaimError({"status": [_("The claim is closed and can no longer be changed.")]},
                         code="claim_closed")
    errors = {}
    if paid_on > today:
        errors["paid_on"] = [_("The payment date cannot be in the future.")]
    elif paid_on < min(i.invoice_date for i in locked.invoices.all()):
        errors["paid_on"] = [_("The payment date cannot be before the invoice date.")]
    if amount_ore <= 0:
        errors["amount"] = [_("The amount must be greater than zero.")]
    if errors:
        raise ClaimError(errors)
    books = claim_books(locked)
    owed = _owed_with_payment(locked, books, amount_ore=amount_ore, paid_on=paid_on)
    if owed.surplus:
        raise ClaimError({"amount": [_("The amount is more than the %(outstanding)s "
                                       "outstanding.") % {"outstanding": format_sek(owed.before)}]})
    event = Event.objects.create(
        claim=locked, kind=Event.Kind.DIRECT_PAYMENT, occurred_on=today, actor=user,
        data={"amount_ore": amount_ore, "paid_on": paid_on.isoformat()})
    _book_payment(locked, books, owed, kind=LedgerEntry.Kind.DIRECT_PAYMENT,
                  key=f"direct:{uuid.uuid4().hex}", amount_ore=amount_ore, paid_on=paid_on,
                  event=event, today=today, user=user,
                  legal_basis=_legal(gettext_lazy("Paid directly to the creditor, reported by "
                                                  "the creditor")))
    claim.status = locked.status
    return claim


@dataclass(frozen=True)
class Received:
    """A payment to the agency on a claim: whether this call booked it, and what is left."""

    claim_id: int
    status: str  # the claim's status after the payment
    booked: bool  # False when the payment was booked before (exactly once)
    surplus_ore: int  # paid beyond the debt: held for refund
    closed: bool  # the claim is paid in full now

    @property
    def claim(self) -> Claim:
        # Built when asked: a file's 100,000 payments would cost more as model instances
        # than their booking does.
        return Claim(pk=self.claim_id, status=self.status)


@dataclass(frozen=True)
class IncomingOnClaim:
    """A payment to the agency matched to a claim, as the batch booking takes it."""

    claim_id: int
    amount_ore: int
    paid_on: date
    source: str  # "bgmax", "swish", "card", "trustly"
    external_id: str  # with the source, the exactly-once key

    @property
    def key(self) -> str:
        return f"payment:{self.source}:{self.external_id}"


def claim_payment_receive(*, claim: Claim, amount_ore: int, paid_on: date, today: date,
                          source: str, external_id: str, user=None) -> Received:
    """A payment to the agency (bankgiro/BgMax, Swish, card, Trustly) matched to ``claim``.

    Booked once per (source, external id), with the interest accrued up to its day, and
    allocated costs -> interest -> capital in allocation rows; a payment beyond the debt is
    held for refund (never kept), and a claim paid in full is closed and stops all steps.
    """
    result = claim_payments_receive_many(
        payments=[IncomingOnClaim(claim_id=claim.pk, amount_ore=amount_ore, paid_on=paid_on,
                                  source=source, external_id=external_id)],
        today=today, user=user)[0]
    if isinstance(result, ClaimError):
        raise result
    return result


def _closed_error() -> ClaimError:
    return ClaimError({"status": [_("The claim is closed and can no longer be changed.")]},
                      code="claim_closed")


@transaction.atomic
def claim_payments_receive_many(*, payments: list[IncomingOnClaim], today: date,
                                user=None) -> list[Received | ClaimError]:
    """``claim_payment_receive`` of many payments (a BgMax file's), in a few statements.

    The claims are locked in id order, read once (ledger, invoices, the rate table), each
    payment is allocated in memory in date order per claim, and the rows are written per
    table in one go (COPY on PostgreSQL). Returns, in order, each payment's ``Received`` or
    the ``ClaimError`` that refused it (a closed claim), which then wrote nothing.
    """
    if not payments:
        return []
    ids = sorted({p.claim_id for p in payments})
    status, interest_on = _claims_lock(ids)
    before = dict(status)  # for the webhooks' status changes
    books, rates = claim_books_of(ids), RateTable(reference_rates())
    batch = _PaymentBatch(today=today, user=user, rates=rates, size=len(payments))
    results: list = [None] * len(payments)
    order = sorted(range(len(payments)), key=lambda i: (payments[i].claim_id,
                                                         payments[i].paid_on, i))
    with batch.booking():
        _book_in_order(payments, order, batch, status=status, books=books,
                       interest_on=interest_on, results=results)
    batch.write()
    webhooks.payments_received_emit(claims=Claim.objects.filter(one_of("pk", ids)),
                                    payments=payments, results=results, before=before, on=today)
    return results


def _book_in_order(payments, order, batch, *, status, books, interest_on, results) -> None:
    """Each payment in ``order`` (by claim, then day): booked once on an open claim."""
    for at, i in enumerate(order):
        p = payments[i]
        pk, key = p.claim_id, p.key
        if pk in status and key in books[pk].payment_keys:
            results[i] = Received(claim_id=pk, status=status[pk], booked=False, surplus_ore=0,
                                  closed=status[pk] in CLOSED_STATUSES)
        elif pk not in status or status[pk] in CLOSED_STATUSES:
            results[i] = _closed_error()
        else:
            # The claim's books change only for its next payment in this batch.
            more = at + 1 < len(order) and payments[order[at + 1]].claim_id == pk
            books[pk], surplus, closed = batch.add(pk, books[pk], p, key=key, n=i, more=more,
                                                   interest_enabled=interest_on[pk])
            if closed:
                status[pk] = Status.PAID
            results[i] = Received(claim_id=pk, status=status[pk], booked=True,
                                  surplus_ore=surplus, closed=closed)


def _claims_lock(ids) -> tuple[dict[int, str], dict[int, bool]]:
    """Lock the claims in id order (against a collection tick moving them meanwhile):
    ``{id: status}`` and ``{id: interest on}``, the claim's switch and its creditor's."""
    # Plain rows, not model instances with their creditor and policy: a file's 100,000
    # claims would cost more to build as objects than to lock. The policies are read apart:
    # joined, PostgreSQL sorted the locked rows again instead of taking them in index order.
    rows = list(Claim.objects.select_for_update(of=("self",)).filter(one_of("pk", ids))
                .order_by("pk").values_list("pk", "status", "interest_enabled", "creditor_id"))
    policies = dict(CollectionPolicy.objects.filter(creditor_id__in={row[3] for row in rows})
                    .values_list("creditor_id", "interest_enabled"))
    status, interest_on = {}, {}
    for pk, state, claim_switch, creditor_id in rows:
        status[pk] = state
        interest_on[pk] = bool(claim_switch and policies.get(creditor_id))
    return status, interest_on


_EVENT_FIELDS = ("claim", "kind", "occurred_on", "data", "actor", "created_at")
_LEDGER_FIELDS = ("claim", "kind", "amount_ore", "booked_on", "key", "legal_basis", "event",
                  "created_at")


class _PaymentBatch:
    """The rows of a batch of payments, gathered in memory and written per table at the end;
    on PostgreSQL the ledger rows go out while the batch is made (``booking``)."""

    def __init__(self, *, today, user, rates, size: int):
        self.today, self.user, self.rates = today, user, rates
        self.events, self.entries, self.paid = [], [], []  # entries: (event index, row)
        self.basis = {}  # the payment row's legal basis per source, translated once
        self.interest = {}  # the interest row's key and legal basis per day
        self.now, self.stream = timezone.now(), None
        # One id per payment that may be booked: its ledger rows can name its event at once.
        self.event_ids = reserve_ids(Event, size)

    @contextmanager
    def booking(self):
        """Around the ``add`` calls. On PostgreSQL the ledger rows are sent as they are made,
        one COPY that the server takes in while the next payments are allocated (no other
        query may run meanwhile); elsewhere they wait for ``write``."""
        if self.event_ids is None:
            yield
            return
        with row_stream(LedgerEntry, _LEDGER_FIELDS) as self.stream:
            yield
        self.stream = None

    def add(self, pk, books, p: IncomingOnClaim, *, key: str, n: int, more: bool,
            interest_enabled: bool):
        """Book ``p`` on claim ``pk``: returns the claim's books with it (when ``more``
        payments follow on the claim; otherwise as they were), its surplus and whether it
        paid the claim in full."""
        # "~" sorts after the booked payments' zero-padded ids: later in the same day.
        ref = f"~{n:09d}"
        owed = _owed_with_payment(None, books, amount_ore=p.amount_ore, paid_on=p.paid_on,
                                  rates=self.rates, ref=ref, need_before=False,
                                  interest_enabled=interest_enabled)
        event = len(self.events)
        self.events.append((pk, Event.Kind.PAYMENT, self.today,
                            {"amount_ore": p.amount_ore, "paid_on": p.paid_on.isoformat(),
                             "source": p.source}))
        interest = books.interest_to_book(owed.on_payment_day)
        allocation = owed.allocation or _fallback_allocation(p.amount_ore, owed.before)
        self._rows(event, pk, p, key=key, interest=interest, allocation=allocation)
        closed = owed.after == 0
        if closed:
            self.paid.append(pk)
        if more:
            books = dataclasses.replace(
                books, payments=(*books.payments, Payment(on=p.paid_on, amount_ore=p.amount_ore,
                                                          ref=ref)),
                interest_booked_ore=books.interest_booked_ore + interest,
                interest_days=books.interest_days | ({p.paid_on} if interest else set()),
                payment_keys=books.payment_keys | {key})
        return books, allocation.surplus_ore, closed

    def _rows(self, event, pk, p, *, key, interest, allocation) -> None:
        """The payment row, the interest accrued to its day, one row per allocation part."""
        K, day = LedgerEntry.Kind, p.paid_on
        basis = self.basis.get(p.source)
        if basis is None:
            basis = self.basis[p.source] = _legal(
                gettext_lazy("Payment to the agency (%(source)s)"), source=p.source)
        rows = [(pk, K.PAYMENT, p.amount_ore, day, key, basis)]
        if interest:
            if day not in self.interest:
                self.interest[day] = (interest_key(day), interest_legal_basis(day))
            rows.append((pk, K.INTEREST, interest, day, *self.interest[day]))
        for kind, name, amount in _allocation_parts(allocation):
            rows.append((pk, kind, amount, day, f"{key}>{name}", ALLOCATION_BASIS))
        if self.stream is None:
            self.entries += [(event, row) for row in rows]
        else:
            ids = (self.event_ids[event], self.now)
            self.stream([(*row, *ids) for row in rows])

    def write(self) -> None:
        """The events (and on SQLite the ledger rows), and the claims paid in full."""
        actor, now = self.user.pk if self.user else None, self.now
        events = [(*e, actor, now) for e in self.events]
        events += [(pk, Event.Kind.PAID, self.today, {}, actor, now) for pk in self.paid]
        if self.event_ids is None:
            event_ids = insert_rows(Event, _EVENT_FIELDS, events, return_ids=True)
            insert_rows(LedgerEntry, _LEDGER_FIELDS,
                        [(*row, event_ids[event], now) for event, row in self.entries])
        else:
            ids = self.event_ids[:len(self.events)] + reserve_ids(Event, len(self.paid))
            insert_rows(Event, ("id", *_EVENT_FIELDS),
                        [(pk, *event) for pk, event in zip(ids, events)])
        if self.paid:
            moved = Claim.objects.filter(one_of("pk", self.paid),
                                         status__in=_open_statuses()).update(
                status=Status.PAID, next_action_on=None)
            if moved != len(self.paid):
                raise RuntimeError("a locked claim left its open status during the batch")


def _allocation_parts(allocation):
    K = LedgerEntry.Kind
    parts = ((K.PAID_COSTS, "costs", allocation.costs_ore),
             (K.PAID_INTEREST, "interest", allocation.interest_ore),
             (K.PAID_CAPITAL, "capital", allocation.capital_ore),
             (K.SURPLUS, "surplus", allocation.surplus_ore))
    return [part for part in parts if part[2] > 0]


def _book_payment(locked, books, owed, *, kind, key, amount_ore, paid_on, event, today, user,
                  legal_basis) -> tuple[LedgerEntry, int]:
    """The payment row, the interest accrued to its day, its allocation rows; the claim
    closed when nothing is owed any more. Returns (payment row, surplus)."""
    entry = LedgerEntry.objects.create(claim=locked, kind=kind, amount_ore=amount_ore,
                                       booked_on=paid_on, key=key, event=event,
                                       legal_basis=legal_basis)
    interest = books.interest_to_book(owed.on_payment_day)
    if interest:
        interest_entry(locked, interest, paid_on, event).save()
    allocation = owed.allocation or _fallback_allocation(amount_ore, owed.before)
    LedgerEntry.objects.bulk_create([
        LedgerEntry(claim=locked, kind=part_kind, amount_ore=amount, booked_on=paid_on,
                    key=f"{key}>{name}", event=event, legal_basis=ALLOCATION_BASIS)
        for part_kind, name, amount in _allocation_parts(allocation)])
    if owed.after == 0:
        _close_paid(locked, today=today, user=user)
    return entry, allocation.surplus_ore


def _close_paid(claim: Claim, *, today: date, user=None) -> None:
    """Nothing is owed any more: the claim is paid, and every step stops."""
    _set_status(claim, new=Status.PAID, allowed_from=_open_statuses())
    Claim.objects.filter(pk=claim.pk).update(next_action_on=None)
    Event.objects.create(claim=claim, kind=Event.Kind.PAID, occurred_on=today, actor=user)


def interest_entry(claim, amount_ore: int, day, event) -> LedgerEntry:
    """The ledger row of the interest accrued up to ``day`` not booked before (unsaved)."""
    return LedgerEntry(claim=claim, kind=LedgerEntry.Kind.INTEREST, amount_ore=amount_ore,
                       booked_on=day, key=interest_key(day), event=event,
                       legal_basis=interest_legal_basis(day))


# 9 kap. 5 § handelsbalken: a payment pays costs, then interest, then capital (DOMAIN.md).
ALLOCATION_BASIS = "Avräkning kostnader, ränta, kapital (9 kap. 5 § handelsbalken)"


def _fallback_allocation(amount_ore: int, owed_ore: int):
    """Without a statement (the rate table does not reach back): all to what the ledger
    says is owed, the rest held for refund. The parts still add up to the payment."""
    from claims.statement import Allocation

    paid = min(amount_ore, owed_ore)
    return Allocation(payment_ref="reported", on=date.min, costs_ore=0, interest_ore=0,
                      capital_ore=paid, surplus_ore=amount_ore - paid, capital_by_invoice=())


@dataclass(frozen=True)
class _Owed:
    before: int  # owed before the payment
    after: int  # owed after it
    surplus: bool  # the payment is more than was owed
    on_payment_day: Statement | None  # as of the payment day, with the payment
    allocation: object | None = None  # how the payment is used (claims.statement.Allocation)


def _owed_with_payment(claim, books, *, amount_ore, paid_on, rates=None,
                       ref="reported", need_before=True, interest_enabled=None) -> _Owed:
    """What the debtor owes before and after a payment, as of its day or, when a payment dated
    later is booked already, as of that later day (every payment counts once)."""
    as_of = max([paid_on, *(p.on for p in books.payments)]) if books.payments else paid_on
    payment = Payment(on=paid_on, amount_ore=amount_ore, ref=ref)
    arguments = {"rates": rates if rates is not None else RateTable(reference_rates()),
                 "interest_enabled": (claim_policy(claim).interest_enabled
                                      if interest_enabled is None else interest_enabled)}
    try:
        if not need_before and books.plain and (
                not books.payments or all(p.on == paid_on for p in books.payments)):
            # The claim's first payment, or another of the same day (most of a BgMax file's):
            # the statement's figures without itemising it (claims.statement).
            allocation, on_day = same_day_payment(
                invoices=books.invoices, charges=books.charges, payment=payment,
                paid_before_ore=sum(p.amount_ore for p in books.payments), **arguments)
            return _Owed(before=on_day.total_ore + amount_ore - allocation.surplus_ore,
                         after=on_day.total_ore, surplus=allocation.surplus_ore > 0,
                         on_payment_day=on_day, allocation=allocation)
        after = books.statement(as_of=as_of, extra_payments=[payment], **arguments)
        # Without a later payment the statement before this one is not needed: the payment's
        # own allocation says whether it paid more than was owed (its surplus).
        before = books.statement(as_of=as_of, **arguments) if need_before else None
        on_day = after if as_of == paid_on else books.statement(
            as_of=paid_on, extra_payments=[payment], **arguments)
    except ValueError:
        # The rate table does not reach back (the claim page says so): owed is what the ledger
        # holds, without interest, until staff add the missing rates.
        owed = books.ledger_outstanding_ore
        return _Owed(before=owed, after=max(0, owed - amount_ore), surplus=amount_ore > owed,
                     on_payment_day=None)
    allocation = next(a for a in on_day.allocations if a.payment_ref == payment.ref)
    if before is None:
        return _Owed(before=after.total_owed_ore + amount_ore - allocation.surplus_ore,
                     after=after.total_owed_ore, surplus=allocation.surplus_ore > 0,
                     on_payment_day=on_day, allocation=allocation)
    return _Owed(before=before.total_owed_ore, after=after.total_owed_ore,
                 surplus=after.surplus_ore > before.surplus_ore, on_payment_day=on_day,
                 allocation=allocation)
