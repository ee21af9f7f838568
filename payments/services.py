"""Writes of incoming payments: BgMax files imported once, payments matched and booked on
their claims, the rest queued for case handlers, who assign or refund them."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date

from django.db import IntegrityError, transaction

from claims.models import Claim
from claims.services import ClaimError, claim_payment_receive
from ekrav.money import ore_to_str
from payments.bgmax import BgmaxError, parse_bgmax
from payments.matching import candidates, match_payment
from payments.models import BgmaxImport, IncomingPayment
from payments.notices import payment_notices_send

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
            transaction.on_commit(payment_notices_send)
    except IntegrityError:
        # The same file, imported by someone else at the same moment: theirs stands.
        return {**BgmaxImport.objects.get(sha256=sha).summary, "already_imported": True}
    return summary


@dataclass
class _Row:
    payment: IncomingPayment
    texts: list[str]


def _record_and_book(imported, parsed, *, today, user) -> dict:
    rows = _rows(imported, parsed)
    known = _already_recorded(rows)
    rows = [row for row in rows if row.payment.external_id not in known]
    by_ocr, by_case = _lookups(rows)
    for row in rows:
        _match(row.payment, row.texts, by_ocr, by_case)
    IncomingPayment.objects.bulk_create([row.payment for row in rows])
    errors = []
    for row in rows:
        if row.payment.claim_id is not None:
            errors += _book(row.payment, today=today, user=user)
    return {
        "file_sha256": imported.sha256, "deposits": len(parsed.deposits),
        "payments": len(parsed.payments),
        "matched": sum(1 for row in rows if row.payment.state == IncomingPayment.State.BOOKED),
        "unmatched": sum(1 for row in rows
                         if row.payment.state != IncomingPayment.State.BOOKED),
        "amount_total": ore_to_str(sum(d.total_ore for d in parsed.deposits
                                       if d.currency == "SEK")), "errors": errors,
        **({"already_recorded": len(known)} if known else {}),
    }


def _rows(imported, parsed) -> list[_Row]:
    rows = []
    for deposit in parsed.deposits:
        for position, p in enumerate(deposit.payments, start=1):
            texts = [r.reference for r in p.extra_references] + list(p.information)
            payment = IncomingPayment(
                source=IncomingPayment.Source.BGMAX,
                external_id=_external_id(deposit, position, p),
                # Negative for a TK21 deduction (the parser signs it).
                bgmax_import=imported, amount_ore=p.amount_ore,
                currency=deposit.currency or "SEK", paid_on=deposit.payment_date,
                reference=p.reference[:35], reference_code=p.reference_code, texts=texts,
                payer_name=p.payer_name[:100], payer_bankgiro=p.sender_bankgiro[:10],
                state=IncomingPayment.State.UNMATCHED)
            rows.append(_Row(payment, texts))
    return rows


def _external_id(deposit, position: int, payment) -> str:
    """The account, the day, the deposit's serial and the payment's place in it: stable when
    Bankgirot delivers the same deposit again in another file, so it is booked once. (The
    BGC serial is kept for people to read: Bankgirot's own example file repeats one.)"""
    return (f"{deposit.receiver_bankgiro}:{deposit.payment_date}:{deposit.deposit_serial}:"
            f"{position}:{payment.bgc_serial}")


def _already_recorded(rows) -> set[str]:
    ids = [row.payment.external_id for row in rows]
    found = set()
    for start in range(0, len(ids), LOOKUP_CHUNK):
        found |= set(IncomingPayment.objects.filter(
            source=IncomingPayment.Source.BGMAX,
            external_id__in=ids[start:start + LOOKUP_CHUNK]).values_list("external_id",
                                                                          flat=True))
    return found


def _lookups(rows) -> tuple[dict[str, int], dict[str, int]]:
    """{OCR: claim id} and {case number: claim id} of every number the payments mention."""
    numbers = sorted(set().union(*(candidates(r.payment.reference, r.texts) for r in rows)))
    by_ocr, by_case = {}, {}
    for start in range(0, len(numbers), LOOKUP_CHUNK):
        chunk = numbers[start:start + LOOKUP_CHUNK]
        by_ocr.update(Claim.objects.filter(ocr__in=chunk).values_list("ocr", "pk"))
        by_case.update(Claim.objects.filter(case_number__in=chunk)
                       .values_list("case_number", "pk"))
    return by_ocr, by_case


def _match(payment, texts, by_ocr, by_case) -> None:
    if payment.currency != "SEK":
        payment.state, payment.note = IncomingPayment.State.FOREIGN, (
            f"Insättning i {payment.currency}: bokas inte som SEK.")
        return
    if payment.amount_ore < 0:
        payment.note = "Avdrag (TK21): hanteras manuellt."
        return
    found = match_payment(reference=payment.reference, reference_code=payment.reference_code,
                          texts=texts, claims_by_ocr=by_ocr, claims_by_case=by_case)
    payment.claim_id, payment.matched_by, payment.note = found.claim_id, found.by, found.reason


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
            note="Ärendet är avslutat: återbetala eller för över manuellt.")
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
    transaction.on_commit(payment_notices_send)
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
