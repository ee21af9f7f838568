"""Writes of incoming payments: BgMax files imported once, payments matched and booked on
their claims, the rest queued for case handlers, who assign or refund them."""

from __future__ import annotations

import gc
import hashlib
import logging
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from claims.bulk import insert_rows
from claims.models import Claim
from claims.selectors import one_of
from claims.services import (
    ClaimError,
    IncomingOnClaim,
    claim_payment_receive,
    claim_payments_receive_many,
)
from ekrav.money import ore_to_str
from payments.bgmax import BgmaxError, parse_bgmax
from payments.matching import OCR_CODE, candidates, match_payment
from payments import card, swish, trustly
from payments.models import BgmaxImport, IncomingPayment, PaymentRequest

LOOKUP_CHUNK = 5000


class BgmaxRejected(Exception):
    """The whole file is refused (nothing is imported): a broken record or wrong totals."""

    def __init__(self, reason: str, line: int | None = None):
        super().__init__(reason)
        self.reason, self.line = reason, line

    @property
    def message(self) -> str:
        return f"line {self.line}: {self.reason}" if self.line else self.reason


def bgmax_import(*, data: bytes, filename: str, today: date, user=None) -> dict:
    """Import a BgMax file: every payment recorded once, matched, and booked when matched.

    Returns the summary {"file_sha256", "deposits", "payments", "matched", "unmatched",
    "amount_total", "errors"}; the same file again returns its first summary with
    "already_imported": true and changes nothing. A file that does not add up raises
    ``BgmaxRejected`` and nothing of it is kept.
    """
    sha = hashlib.sha256(data).hexdigest()
    existing = BgmaxImport.objects.filter(sha256=sha).first()
    if existing is not None:
        return {**existing.summary, "already_imported": True}
    with _cycle_collector_paused():
        try:
            parsed = parse_bgmax(data)
        except BgmaxError as exc:
            raise BgmaxRejected(exc.reason, exc.line) from None
        try:
            with transaction.atomic():
                imported = BgmaxImport.objects.create(sha256=sha, filename=filename[:200],
                                                      content=data, imported_by=user)
                summary = _record_and_book(imported, parsed, today=today, user=user)
                imported.summary = summary
                imported.save(update_fields=["summary"])
                transaction.on_commit(_queue_notices)
        except IntegrityError:
            # The same file, imported by someone else at the same moment: theirs stands.
            return {**BgmaxImport.objects.get(sha256=sha).summary, "already_imported": True}
    return summary


@contextmanager
def _cycle_collector_paused():
    """A file's import makes millions of short-lived tuples and records, none of them in a
    reference cycle (reference counting frees them); the cyclic collector's passes over them
    were a quarter of the time (100,000 payments: 15.5 s against 11.5 s without). Whatever
    cyclic garbage there is waits for the next collection after the import."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _queue_notices() -> None:
    """The creditors' e-mails go out from the worker: a file of 100,000 payments must not
    wait for 100,000 e-mails (the beat task also picks up any left behind)."""
    from payments.tasks import payment_notices_task

    payment_notices_task.delay()


class _Incoming:
    """One payment of the file on its way to its IncomingPayment row: plain slots, since a
    file's 100,000 model instances cost more to build than the rows take to write."""

    __slots__ = ("external_id", "amount_ore", "currency", "paid_on", "reference",
                 "reference_code", "texts", "payer_name", "payer_bankgiro", "state", "claim_id",
                 "matched_by", "note", "surplus_ore")

    def __init__(self, external_id, amount_ore, currency, paid_on, reference, reference_code,
                 texts, payer_name, payer_bankgiro):
        self.external_id, self.amount_ore, self.currency = external_id, amount_ore, currency
        self.paid_on, self.reference, self.reference_code = paid_on, reference, reference_code
        self.texts, self.payer_name, self.payer_bankgiro = texts, payer_name, payer_bankgiro
        self.state, self.claim_id = IncomingPayment.State.UNMATCHED, None
        self.matched_by, self.note, self.surplus_ore = "", "", 0


def _record_and_book(imported, parsed, *, today, user) -> dict:
    """Match every new payment, book the matched ones, then write each payment's row once,
    as it ended (booked, or left for a handler with the reason)."""
    rows = _rows(parsed)
    known = _already_recorded(rows)
    if known:
        rows = [row for row in rows if row.external_id not in known]
    _match_all(rows)
    errors = _book_many([row for row in rows if row.claim_id is not None], today=today,
                        user=user)
    _insert_payments(imported, rows)
    matched = sum(1 for row in rows if row.state == IncomingPayment.State.BOOKED)
    return {
        "file_sha256": imported.sha256, "deposits": len(parsed.deposits),
        "payments": len(parsed.payments), "matched": matched, "unmatched": len(rows) - matched,
        "amount_total": ore_to_str(sum(d.total_ore for d in parsed.deposits
                                       if d.currency == "SEK")), "errors": errors,
        **({"already_recorded": len(known)} if known else {}),
    }


_PAYMENT_FIELDS = ("source", "external_id", "bgmax_import", "amount_ore", "currency", "paid_on",
                   "reference", "reference_code", "texts", "payer_name", "payer_bankgiro",
                   "state", "claim", "matched_by", "note", "surplus_ore", "created_at")


def _insert_payments(imported, rows: list[_Incoming]) -> None:
    """One COPY for a file's payments (``bulk_create`` spent more time preparing 10,000 rows
    than the database took to write them)."""
    now, source = timezone.now(), IncomingPayment.Source.BGMAX
    insert_rows(IncomingPayment, _PAYMENT_FIELDS, [
        (source, r.external_id, imported.pk, r.amount_ore, r.currency, r.paid_on, r.reference,
         r.reference_code, r.texts, r.payer_name, r.payer_bankgiro, r.state, r.claim_id,
         r.matched_by, r.note, r.surplus_ore, now) for r in rows])


def _rows(parsed) -> list[_Incoming]:
    rows = []
    for deposit in parsed.deposits:
        currency, day = deposit.currency or "SEK", deposit.payment_date
        for position, p in enumerate(deposit.payments, start=1):
            texts = [r.reference for r in p.extra_references] + list(p.information)
            rows.append(_Incoming(
                _external_id(deposit, position, p),
                # Negative for a TK21 deduction (the parser signs it).
                p.amount_ore, currency, day, p.reference[:35], p.reference_code, texts,
                p.payer_name[:100], p.sender_bankgiro[:10]))
    return rows


def _external_id(deposit, position: int, payment) -> str:
    """The account, the day, the deposit's serial and the payment's place in it: stable when
    Bankgirot delivers the same deposit again in another file, so it is booked once. (The
    BGC serial is kept for people to read: Bankgirot's own example file repeats one.)"""
    return (f"{deposit.receiver_bankgiro}:{deposit.payment_date}:{deposit.deposit_serial}:"
            f"{position}:{payment.bgc_serial}")


def _chunks(values: list) -> list[list]:
    # PostgreSQL takes them all as one array parameter (one_of); SQLite a few thousand.
    if connection.vendor == "postgresql":
        return [values]
    return [values[start:start + LOOKUP_CHUNK] for start in range(0, len(values), LOOKUP_CHUNK)]


def _already_recorded(rows) -> set[str]:
    found = set()
    for chunk in _chunks([row.external_id for row in rows]):
        found.update(IncomingPayment.objects.filter(
            one_of("external_id", chunk), source=IncomingPayment.Source.BGMAX)
            .order_by().values_list("external_id", flat=True))
    return found


def _claims_by(field: str, numbers) -> dict[str, int]:
    """{OCR or case number: claim id} of those of ``numbers`` that a claim has."""
    found = {}
    for chunk in _chunks(sorted(numbers)):
        found.update(Claim.objects.filter(one_of(field, chunk)).order_by()
                     .values_list(field, "pk"))
    return found


def _match_all(rows: list[_Incoming]) -> None:
    """Match every payment (payments.matching). A valid OCR that is a claim's (most of a file)
    is matched on the spot; only the others have their texts searched for numbers, and only
    their numbers are looked up as case numbers too: what ``match_payment`` would find."""
    bookable = [row for row in rows if not _unbookable(row)]
    by_ocr = _claims_by("ocr", {row.reference.strip() for row in bookable
                                if row.reference_code == OCR_CODE
                                and _number(row.reference.strip())})
    rest = []
    for row in bookable:
        claim_id = (by_ocr.get(row.reference.strip()) if row.reference_code == OCR_CODE
                    else None)
        if claim_id is None:
            rest.append(row)
        else:
            row.claim_id, row.matched_by = claim_id, IncomingPayment.MatchedBy.OCR
    if not rest:
        return
    numbers = set().union(*(candidates(row.reference, row.texts) for row in rest))
    by_ocr.update(_claims_by("ocr", numbers - by_ocr.keys()))
    by_case = _claims_by("case_number", numbers)
    for row in rest:
        found = match_payment(reference=row.reference, reference_code=row.reference_code,
                              texts=row.texts, claims_by_ocr=by_ocr, claims_by_case=by_case)
        row.claim_id, row.matched_by, row.note = found.claim_id, found.by, found.reason


def _number(reference: str) -> bool:
    # What payments.matching.candidates finds in a reference that is one run of digits.
    return reference.isascii() and reference.isdigit() and 2 <= len(reference) <= 25


def _unbookable(row: _Incoming) -> bool:
    """A foreign deposit or a deduction: noted for a handler, never matched."""
    if row.currency != "SEK":
        row.state = IncomingPayment.State.FOREIGN
        row.note = f"Insättning i {row.currency}: bokas inte som SEK."
        return True
    if row.amount_ore < 0:
        row.note = "Avdrag (TK21): hanteras manuellt."
        return True
    return False


CLOSED_NOTE = "Ärendet är avslutat: återbetala eller för över manuellt."


def _book_many(rows: list[_Incoming], *, today: date, user) -> list[str]:
    """Book the matched payments of a file in one batch (claims.services); a closed claim's
    payment goes to the handlers' queue instead. Returns the errors for the summary."""
    source = IncomingPayment.Source.BGMAX
    results = claim_payments_receive_many(payments=[
        IncomingOnClaim(claim_id=r.claim_id, amount_ore=r.amount_ore, paid_on=r.paid_on,
                        source=source, external_id=r.external_id) for r in rows],
        today=today, user=user)
    errors = []
    for row, result in zip(rows, results):
        if isinstance(result, ClaimError):
            row.state, row.note = IncomingPayment.State.UNMATCHED, CLOSED_NOTE
            errors.append(f"{row.external_id}: the claim is closed; left for a case handler")
        else:
            row.state, row.surplus_ore = IncomingPayment.State.BOOKED, result.surplus_ore
    return errors


def _book(payment: IncomingPayment, *, today: date, user) -> list[str]:
    """Book a matched payment on its claim; a closed claim's payment goes to a handler."""
    try:
        received = claim_payment_receive(
            claim=Claim(pk=payment.claim_id), amount_ore=payment.amount_ore,
            paid_on=payment.paid_on, today=today, source=payment.source,
            external_id=payment.external_id, user=user)
    except ClaimError:
        IncomingPayment.objects.filter(pk=payment.pk).update(
            state=IncomingPayment.State.UNMATCHED,
            note=CLOSED_NOTE)
        payment.state = IncomingPayment.State.UNMATCHED
        return [f"{payment.external_id}: the claim is closed; left for a case handler"]
    payment.state, payment.surplus_ore = IncomingPayment.State.BOOKED, received.surplus_ore
    IncomingPayment.objects.filter(pk=payment.pk).update(state=payment.state,
                                                         surplus_ore=payment.surplus_ore)
    return []


@transaction.atomic
def payment_assign(*, payment_id: int, claim: Claim, today: date, user) -> IncomingPayment:
    """A case handler books an unmatched payment on a claim they chose."""
    payment = IncomingPayment.objects.select_for_update().get(pk=payment_id)
    if payment.state != IncomingPayment.State.UNMATCHED or payment.amount_ore <= 0:
        raise ClaimError({"state": ["Bara omatchade inbetalningar kan föras till ett ärende."]})
    payment.claim, payment.matched_by, payment.handled_by = claim, \
        IncomingPayment.MatchedBy.HANDLER, user
    payment.save(update_fields=["claim", "matched_by", "handled_by"])
    _book(payment, today=today, user=user)
    transaction.on_commit(_queue_notices)
    if payment.state != IncomingPayment.State.BOOKED:
        raise ClaimError({"claim": ["Ärendet är avslutat och kan inte ta emot betalningen."]})
    return payment


@transaction.atomic
def payment_mark_for_refund(*, payment_id: int, user, note: str = "") -> IncomingPayment:
    payment = IncomingPayment.objects.select_for_update().get(pk=payment_id)
    if payment.state != IncomingPayment.State.UNMATCHED:
        raise ClaimError({"state": ["Bara omatchade inbetalningar kan återbetalas härifrån."]})
    payment.state, payment.handled_by = IncomingPayment.State.REFUND, user
    payment.note = (note or payment.note)[:300]
    payment.save(update_fields=["state", "handled_by", "note"])
    return payment


# --- Swish payments started in Mitt Ärende ---------------------------------------------------
#
# The callback is a trigger, not the truth (payments.swish): it is checked against the request
# as ekrav created it, then the status is read from Swish and only that read is booked. The
# booking's key is the instruction id: IncomingPayment (source "swish", external_id) and the
# claim's ledger key are both unique on it, and the PaymentRequest row is locked while booking,
# so a callback that comes twice and a status poll at the same moment book it once.

STOCKHOLM = ZoneInfo("Europe/Stockholm")
# Swish gives a payer three minutes; a request still CREATED well after that is shown as
# unanswered (a late PAID from Swish is still booked: the status is re-read, never assumed).
SWISH_PAYER_WAIT = timedelta(minutes=3, seconds=30)
SWISH_UNAVAILABLE_CODE = "UNAVAILABLE"


@dataclass(frozen=True)
class _Expected:
    """What ekrav created, in the shape ``swish.check_same_payment`` compares."""

    id: str
    amount_ore: int
    payee_payment_reference: str | None


def _expected(request: PaymentRequest) -> _Expected:
    return _Expected(id=request.instruction_id, amount_ore=request.amount_ore,
                     payee_payment_reference=request.payee_reference or None)


def swish_message(claim: Claim) -> str:
    """The text the payer sees in the Swish app (Swish allows 50 characters)."""
    return f"OCR {claim.ocr}"[:swish.MESSAGE_MAX]


def swish_payment_start(*, client: swish.SwishClient, claim: Claim, amount_ore: int,
                        payer_alias: str | None, instruction_id: str,
                        callback_url: str) -> PaymentRequest:
    """Ask Swish for ``amount_ore`` on ``claim``: e-commerce with ``payer_alias`` (Swish asks
    that phone), m-commerce without (the row's ``token`` opens Swish on this phone).

    The row is written before Swish is asked, so a callback can never come for a request ekrav
    does not know. Swish's refusal (SwishRejected) or silence (SwishUnavailable) is re-raised
    after the row is marked failed with the codes; nothing is booked. Call it outside a
    transaction: no database lock is held while Swish answers.
    """
    if amount_ore <= 0:
        raise ValueError("a payment request is for a positive amount")
    request = PaymentRequest.objects.create(
        claim=claim, channel=PaymentRequest.Channel.SWISH, instruction_id=instruction_id,
        amount_ore=amount_ore, payee_reference=claim.ocr, payer_alias=payer_alias or "")
    try:
        created = client.create_payment_request(
            instruction_id=instruction_id, payee_payment_reference=claim.ocr,
            callback_url=callback_url, amount_ore=amount_ore, message=swish_message(claim),
            payer_alias=payer_alias or None)
    except swish.SwishError as exc:
        code = ",".join(exc.codes) or (SWISH_UNAVAILABLE_CODE
                                       if isinstance(exc, swish.SwishUnavailable) else "")
        # Only a request still waiting is marked: a callback may already have settled it.
        PaymentRequest.objects.filter(pk=request.pk, status=PaymentRequest.Status.CREATED
                                      ).update(status=PaymentRequest.Status.ERROR,
                                               error_code=code[:40], finished_at=timezone.now())
        raise
    if created.token:
        PaymentRequest.objects.filter(pk=request.pk).update(token=created.token[:100])
        request.token = created.token[:100]
    return request


def swish_callback_receive(*, client: swish.SwishClient, instruction_id: str, body: bytes,
                           today: date) -> PaymentRequest:
    """A callback for ``instruction_id``: PaymentRequest.DoesNotExist for an unknown id,
    SwishCallbackRejected when it does not describe the request as created (nothing booked);
    otherwise the status is read from Swish and settled (SwishUnavailable when Swish cannot be
    asked: the caller answers so that Swish tries again)."""
    request = PaymentRequest.objects.get(instruction_id=instruction_id,
                                         channel=PaymentRequest.Channel.SWISH)
    swish.verify_callback(body=body, expected=_expected(request))
    return _swish_read_and_settle(client, request, today=today)


def swish_payment_refresh(*, client: swish.SwishClient, request: PaymentRequest,
                          today: date) -> PaymentRequest:
    """The request's status, read again from Swish while ekrav still has it waiting: a lost
    callback still completes. A final request is returned as it is."""
    if request.status != PaymentRequest.Status.CREATED:
        return request
    return _swish_read_and_settle(client, request, today=today)


def _swish_read_and_settle(client, request: PaymentRequest, *, today: date) -> PaymentRequest:
    found = swish.check_same_payment(client.get_payment_request(request.instruction_id),
                                     expected=_expected(request))
    return _swish_settle(request.pk, found, today=today)


def _swish_settle(pk: int, found: swish.SwishPaymentRequest, *, today: date) -> PaymentRequest:
    """Write what Swish says (``found``, read from Swish and checked) under the row's lock."""
    S = PaymentRequest.Status
    with transaction.atomic():
        request = (PaymentRequest.objects.select_for_update(of=("self",))
                   .select_related("claim").get(pk=pk))
        if request.status == S.PAID:
            return request  # booked already: a second callback, or the poll came first
        now = timezone.now()
        if found.is_paid:
            request.incoming_payment = _swish_book(request, found, today=today)
            request.status = S.PAID
            request.payment_reference = (found.payment_reference or "")[:100]
            request.error_code = ""
            request.finished_at = now
            transaction.on_commit(_queue_notices)
        elif found.status in (swish.DECLINED, swish.ERROR, swish.CANCELLED):
            request.status = {swish.DECLINED: S.DECLINED, swish.ERROR: S.ERROR,
                              swish.CANCELLED: S.CANCELLED}[found.status]
            request.error_code = (found.error_code or "")[:40]
            request.finished_at = request.finished_at or now
        elif request.status == S.CREATED and now - request.created_at > SWISH_PAYER_WAIT:
            request.status, request.finished_at = S.TIMEOUT, now
        else:
            return request
        request.save(update_fields=["status", "payment_reference", "error_code",
                                    "finished_at", "incoming_payment"])
    return request


def _swish_book(request: PaymentRequest, found: swish.SwishPaymentRequest, *,
                today: date) -> IncomingPayment:
    """The incoming payment of a PAID request, booked on its claim; a claim closed meanwhile
    (paid another way, withdrawn) leaves it for a case handler to refund or move."""
    paid_at = found.date_paid or timezone.now()
    payment, created = IncomingPayment.objects.get_or_create(
        source=IncomingPayment.Source.SWISH, external_id=request.instruction_id,
        defaults={"amount_ore": request.amount_ore, "currency": swish.CURRENCY,
                  "paid_on": paid_at.astimezone(STOCKHOLM).date(),
                  "reference": (request.payee_reference or "")[:35], "reference_code": "",
                  "texts": [t for t in [found.payment_reference] if t],
                  "state": IncomingPayment.State.UNMATCHED, "claim": request.claim,
                  "matched_by": IncomingPayment.MatchedBy.OCR})
    if not created:
        return payment  # recorded before (the row was settled by another path): book nothing
    try:
        with transaction.atomic():
            received = claim_payment_receive(
                claim=request.claim, amount_ore=payment.amount_ore, paid_on=payment.paid_on,
                today=today, source=payment.source, external_id=payment.external_id)
    except ClaimError:
        payment.note = "Ärendet var avslutat när Swish-betalningen kom: återbetala eller för över."
        payment.save(update_fields=["note"])
        return payment
    payment.state, payment.surplus_ore = IncomingPayment.State.BOOKED, received.surplus_ore
    payment.save(update_fields=["state", "surplus_ore"])
    return payment


# --- Card and Trustly: the same shape as Swish ------------------------------------------------
#
# The PaymentRequest row is written before the provider is asked; the provider's webhook or
# notification is checked against the row (id, amount) and booked once under the row's lock,
# keyed by the provider's id (card: the session id; Trustly: the credit's order id).

PROVIDER_UNAVAILABLE_CODE = "UNAVAILABLE"
# A waiting Trustly request's error_code once Trustly has sent "pending": no error, but the
# provider's own word for the state, which is what the field holds (Swish's codes likewise).
TRUSTLY_PENDING_CODE = "PENDING"
CARD_STATUS = {card.DECLINED: PaymentRequest.Status.DECLINED,
               card.EXPIRED: PaymentRequest.Status.TIMEOUT}


def _provider_start_failed(request: PaymentRequest, code: str) -> None:
    # Only a request still waiting is marked: a webhook may already have settled it.
    PaymentRequest.objects.filter(pk=request.pk, status=PaymentRequest.Status.CREATED
                                  ).update(status=PaymentRequest.Status.ERROR,
                                           error_code=(code or "")[:40],
                                           finished_at=timezone.now())


def card_payment_start(*, client: card.CardClient, claim: Claim, amount_ore: int,
                       instruction_id: str, success_url: str, cancel_url: str,
                       webhook_url: str) -> tuple[PaymentRequest, card.CardSession]:
    """Open a hosted card payment session for ``amount_ore`` on ``claim``: the row first, then
    the provider (idempotency key: ``instruction_id``). The provider's refusal (CardRejected)
    or silence (CardUnavailable) is re-raised after the row is marked failed. Call it outside
    a transaction: no lock is held while the provider answers."""
    if amount_ore <= 0:
        raise ValueError("a payment request is for a positive amount")
    request = PaymentRequest.objects.create(
        claim=claim, channel=PaymentRequest.Channel.CARD, instruction_id=instruction_id,
        amount_ore=amount_ore, payee_reference=claim.ocr)
    try:
        session = client.create_session(reference=claim.ocr, amount_ore=amount_ore,
                                         success_url=success_url, cancel_url=cancel_url,
                                         webhook_url=webhook_url, idempotency_key=instruction_id)
    except card.CardError as exc:
        _provider_start_failed(request, exc.code or (
            PROVIDER_UNAVAILABLE_CODE if isinstance(exc, card.CardUnavailable) else ""))
        raise
    PaymentRequest.objects.filter(pk=request.pk).update(provider_id=session.id[:100])
    request.provider_id = session.id[:100]
    return request, session


def card_webhook_receive(*, instruction_id: str, body: bytes, header: str | None, secret: str,
                         tolerance_seconds: int, today: date) -> PaymentRequest:
    """A webhook for ``instruction_id``: PaymentRequest.DoesNotExist for an unknown id,
    CardWebhookRejected for one not signed with ``secret`` within the tolerance or about
    another session or amount (nothing booked); otherwise its outcome is settled."""
    request = PaymentRequest.objects.get(instruction_id=instruction_id,
                                         channel=PaymentRequest.Channel.CARD)
    if not request.provider_id:
        raise card.CardWebhookRejected("the request has no session yet")
    event = card.verify_webhook(body=body, header=header, secret=secret,
                                expected_id=request.provider_id,
                                expected_amount_ore=request.amount_ore,
                                tolerance_seconds=tolerance_seconds)
    paid_on = datetime.fromtimestamp(event.created, tz=STOCKHOLM).date() if event.created \
        else today
    return _card_settle(request.pk, status=event.status, paid_on=paid_on, today=today,
                        event_id=event.id)


def card_payment_refresh(*, client: card.CardClient, request: PaymentRequest,
                         today: date) -> PaymentRequest:
    """The session's status, read again from the provider while ekrav has it waiting (a lost
    webhook still completes). A final request, or one without a session, is returned as is.
    CardWebhookRejected when the provider describes another session or amount."""
    if request.status != PaymentRequest.Status.CREATED or not request.provider_id:
        return request
    session = client.get_session(request.provider_id)
    if session.id != request.provider_id or session.amount_ore != request.amount_ore:
        raise card.CardWebhookRejected(
            f"the provider describes session {session.id} for {session.amount_ore} öre, not "
            f"{request.provider_id} for {request.amount_ore}")
    return _card_settle(request.pk, status=session.status, paid_on=today, today=today,
                        event_id="")


def _card_settle(pk: int, *, status: str, paid_on: date, today: date,
                 event_id: str) -> PaymentRequest:
    """Write the session's outcome (checked) under the row's lock: paid books once."""
    S = PaymentRequest.Status
    with transaction.atomic():
        request = (PaymentRequest.objects.select_for_update(of=("self",))
                   .select_related("claim").get(pk=pk))
        if request.status == S.PAID:
            return request  # booked already: a webhook again, or the poll came first
        now = timezone.now()
        if status == card.PAID:
            request.incoming_payment = _provider_book(
                request, source=IncomingPayment.Source.CARD, external_id=request.provider_id,
                paid_on=paid_on, texts=[t for t in [event_id] if t], today=today,
                closed_note="Ärendet var avslutat när kortbetalningen kom: återbetala eller "
                            "för över.")
            request.status, request.error_code, request.finished_at = S.PAID, "", now
            request.payment_reference = request.provider_id
            transaction.on_commit(_queue_notices)
        elif status in CARD_STATUS and request.status == S.CREATED:
            request.status, request.finished_at = CARD_STATUS[status], now
        else:
            return request
        request.save(update_fields=["status", "payment_reference", "error_code",
                                    "finished_at", "incoming_payment"])
    return request


def trustly_payment_start(*, client: trustly.TrustlyClient, claim: Claim, amount_ore: int,
                          message_id: str, success_url: str, fail_url: str,
                          notification_url: str) -> tuple[PaymentRequest,
                                                          trustly.TrustlyDeposit]:
    """Start a Trustly Deposit of ``amount_ore`` on ``claim``: the row first (``message_id``
    is its instruction id and Trustly's MessageID), then Trustly. TrustlyRejected or
    TrustlyUnavailable is re-raised after the row is marked failed. Call it outside a
    transaction."""
    if amount_ore <= 0:
        raise ValueError("a payment request is for a positive amount")
    request = PaymentRequest.objects.create(
        claim=claim, channel=PaymentRequest.Channel.TRUSTLY, instruction_id=message_id,
        amount_ore=amount_ore, payee_reference=claim.ocr)
    try:
        deposit = client.deposit(message_id=message_id, amount_ore=amount_ore,
                                 end_user_id=f"claim-{claim.pk}",
                                 notification_url=notification_url, success_url=success_url,
                                 fail_url=fail_url, shopper_statement=f"OCR {claim.ocr}"[:35])
    except trustly.TrustlyError as exc:
        _provider_start_failed(request, str(exc.code) if exc.code else (
            PROVIDER_UNAVAILABLE_CODE if isinstance(exc, trustly.TrustlyUnavailable) else ""))
        raise
    PaymentRequest.objects.filter(pk=request.pk).update(provider_id=deposit.order_id[:100])
    request.provider_id = deposit.order_id[:100]
    return request, deposit


def trustly_notification_receive(*, instruction_id: str, body: bytes,
                                 today: date) -> tuple[PaymentRequest,
                                                       trustly.TrustlyNotification]:
    """A notification for ``instruction_id``: PaymentRequest.DoesNotExist for an unknown id,
    TrustlyNotificationRejected for one not signed by Trustly or about another message, order
    or amount (nothing booked). A credit books once; pending only records (the row waits);
    cancel marks a waiting request declined; debit and account change nothing here."""
    request = PaymentRequest.objects.get(instruction_id=instruction_id,
                                         channel=PaymentRequest.Channel.TRUSTLY)
    notification = trustly.verify_notification(body=body, expected_message_id=instruction_id,
                                               expected_amount_ore=request.amount_ore)
    if request.provider_id and notification.order_id != request.provider_id:
        raise trustly.TrustlyNotificationRejected(
            f"the notification is about order {notification.order_id}, not "
            f"{request.provider_id}")
    return _trustly_settle(request.pk, notification, today=today), notification


def _trustly_settle(pk: int, notification: trustly.TrustlyNotification, *,
                    today: date) -> PaymentRequest:
    S = PaymentRequest.Status
    with transaction.atomic():
        request = (PaymentRequest.objects.select_for_update(of=("self",))
                   .select_related("claim").get(pk=pk))
        if request.status == S.PAID:
            return request  # booked already: Trustly sends a notification again
        now = timezone.now()
        if notification.is_credit:
            request.incoming_payment = _provider_book(
                request, source=IncomingPayment.Source.TRUSTLY,
                external_id=notification.order_id, paid_on=_trustly_day(notification, today),
                texts=[f"notification {notification.notification_id}"], today=today,
                closed_note="Ärendet var avslutat när Trustly-betalningen kom: återbetala "
                            "eller för över.")
            request.status, request.error_code, request.finished_at = S.PAID, "", now
            request.payment_reference = notification.order_id[:100]
            transaction.on_commit(_queue_notices)
        elif notification.method == "cancel" and request.status == S.CREATED:
            request.status, request.finished_at = S.DECLINED, now
        elif notification.method == "pending" and (
                request.status == S.TIMEOUT or (request.status == S.CREATED and
                                                request.error_code != TRUSTLY_PENDING_CODE)):
            # The payer has done their part and the bank has not confirmed yet: the row waits
            # (a given-up one too: Trustly's word beats our guess), marked so that Mitt Ärende
            # says so and the expiry gives it days, not an hour.
            request.status, request.finished_at = S.CREATED, None
            request.error_code = TRUSTLY_PENDING_CODE
        else:
            return request  # a pending told again, debit, account: recorded
        request.save(update_fields=["status", "payment_reference", "error_code",
                                    "finished_at", "incoming_payment"])
    return request


def _trustly_day(notification: trustly.TrustlyNotification, today: date) -> date:
    """The credit's day in Stockholm, from Trustly's "2024-01-02 13:14:15.123456+00"."""
    text = (notification.timestamp or "").strip()
    try:
        moment = datetime.fromisoformat(text + (":00" if text[-3:-2] in "+-" else ""))
    except ValueError:
        return today
    if moment.tzinfo is None:
        return today
    return moment.astimezone(STOCKHOLM).date()


def _provider_book(request: PaymentRequest, *, source: str, external_id: str, paid_on: date,
                   texts: list[str], today: date, closed_note: str) -> IncomingPayment:
    """The incoming payment of a paid card or Trustly request, booked on its claim once
    (``source``, ``external_id``); a claim closed meanwhile leaves it for a case handler."""
    payment, created = IncomingPayment.objects.get_or_create(
        source=source, external_id=external_id,
        defaults={"amount_ore": request.amount_ore, "currency": "SEK", "paid_on": paid_on,
                  "reference": (request.payee_reference or "")[:35], "reference_code": "",
                  "texts": texts, "state": IncomingPayment.State.UNMATCHED,
                  "claim": request.claim, "matched_by": IncomingPayment.MatchedBy.OCR})
    if not created:
        return payment  # recorded before: book nothing
    try:
        with transaction.atomic():
            received = claim_payment_receive(
                claim=request.claim, amount_ore=payment.amount_ore, paid_on=payment.paid_on,
                today=today, source=payment.source, external_id=payment.external_id)
    except ClaimError:
        payment.note = closed_note
        payment.save(update_fields=["note"])
        return payment
    payment.state, payment.surplus_ore = IncomingPayment.State.BOOKED, received.surplus_ore
    payment.save(update_fields=["state", "surplus_ore"])
    return payment


# --- Requests left waiting ----------------------------------------------------------------------
#
# A payer who closes the provider's page leaves the request CREATED, and so does a webhook or
# notification that never arrives. The beat (payments.tasks, every ten minutes) reads again each
# request still waiting well after its channel's window where the provider has a status read
# (Swish, card) and gives up on the rest: TIMEOUT by compare-and-set on CREATED, so a request a
# notification settled meanwhile is never overwritten. A payment that still comes later is
# booked all the same: the settle functions book on any status but PAID.

# Trustly sends "cancel" after 10-30 minutes of the payer's inactivity (Trustly's API
# documentation, cancel notification): a Deposit still waiting after an hour has lost it.
TRUSTLY_WAIT = timedelta(hours=1)
# After "pending" the credit, or a cancel, comes when the payer's bank settles, which Trustly
# says may take days and payment services put at up to 7 days after the payer approved.
TRUSTLY_PENDING_WAIT = timedelta(days=7)
# Hosted card pages expire an unpaid session within an hour (Adyen's default session validity)
# to a day (Stripe Checkout's): an hour on, the session is read and an open one given up.
CARD_WAIT = timedelta(hours=1)
# A status that cannot be read (the provider down, a session it no longer knows) is read again
# on the next run, and the request given up this long after it was made.
STATUS_READ_GIVE_UP = timedelta(days=7)
_READ_ERRORS = (swish.SwishError, swish.SwishCallbackRejected, card.CardError,
                card.CardWebhookRejected, ValueError)


log = logging.getLogger(__name__)


class _ProviderDown(Exception):
    """The provider does not answer: the channel's other requests wait for the next run."""


def payment_requests_expire(*, now: datetime, today: date, swish_client, card_client,
                            limit: int = 200) -> int:
    """End the requests still waiting well after their channel's window: read again from
    Swish or the card provider (a client None: that channel is off, nothing can be read),
    given up (TIMEOUT) when still unpaid; Trustly's, which has no status read here, given up
    after an hour, or a week once Trustly said pending. Returns how many ended."""
    S, C = PaymentRequest.Status, PaymentRequest.Channel
    waiting = PaymentRequest.objects.filter(status=S.CREATED)
    trustly_waiting = waiting.filter(channel=C.TRUSTLY)
    # One UPDATE each, and still a compare-and-set: a row a notification holds locked is
    # re-checked against the WHERE once it is released, so a settled one is left alone.
    ended = (trustly_waiting.filter(created_at__lt=now - TRUSTLY_WAIT)
             .exclude(error_code=TRUSTLY_PENDING_CODE)
             .update(status=S.TIMEOUT, finished_at=now))
    ended += (trustly_waiting.filter(created_at__lt=now - TRUSTLY_PENDING_WAIT,
                                     error_code=TRUSTLY_PENDING_CODE)
              .update(status=S.TIMEOUT, finished_at=now))
    for channel, client, wait in ((C.SWISH, swish_client, SWISH_PAYER_WAIT),
                                  (C.CARD, card_client, CARD_WAIT)):
        due = (waiting.filter(channel=channel, created_at__lt=now - wait)
               .select_related("claim").order_by("id")[:limit])
        try:
            for request in due:
                ended += _waiting_reread(request, client=client, now=now, today=today)
        except _ProviderDown:
            pass
    return ended


def _waiting_reread(request: PaymentRequest, *, client, now: datetime, today: date) -> int:
    """1 when ``request`` has ended: settled from the provider's status, or given up."""
    if client is None or (request.channel == PaymentRequest.Channel.CARD
                          and not request.provider_id):
        return _waiting_give_up(request, now=now)  # nothing the provider could be asked
    refresh = (swish_payment_refresh if request.channel == PaymentRequest.Channel.SWISH
               else card_payment_refresh)
    try:
        found = refresh(client=client, request=request, today=today)
    except _READ_ERRORS as exc:
        log.warning("%s request %s: status not read: %s", request.channel,
                    request.instruction_id, exc)
        if now - request.created_at >= STATUS_READ_GIVE_UP:
            return _waiting_give_up(request, now=now)
        if isinstance(exc, (swish.SwishUnavailable, card.CardUnavailable)):
            raise _ProviderDown from exc
        return 0
    return 1 if found.is_final else _waiting_give_up(found, now=now)


def _waiting_give_up(request: PaymentRequest, *, now: datetime) -> int:
    return PaymentRequest.objects.filter(pk=request.pk, status=PaymentRequest.Status.CREATED
                                         ).update(status=PaymentRequest.Status.TIMEOUT,
                                                  finished_at=now)
