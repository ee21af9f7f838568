"""Writes of objections (bestridanden): registered from Mitt Ärende or by a handler (a letter,
a call), answered by the creditor, resolved by a handler.

Inkassolagen and good collection practice: a substantiated objection stops collection at
once — no letter, no step (the claim is "disputed": the engine takes no step, the letters room
holds its letters) — it is looked into, the creditor's position is asked for, the debtor is
told; a disputed claim never goes to Kronofogden for a betalningsföreläggande but, if the
creditor holds to it, to court. Inability to pay is no objection.

An objection covers the whole claim, or some of its invoices (a partial objection): then
the claim keeps its status and collection goes on for the rest, while the disputed invoices
are held (``claims.statement`` rule 6: no payment reaches them, no letter asks for them, the
engine takes no step when only they are left). Upheld, they are asked for again, with their
interest from the due date; withdrawn, what they still owe is written off; to court, they stay
held.
"""

from __future__ import annotations

import dataclasses
import hashlib
from datetime import date, timedelta

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from claims.documents import ATTACHMENTS_MAX, attachment_type
from claims.engine import next_action_on
from claims.models import Claim, Dispute, DisputeAttachment, Event, LedgerEntry, Status
from claims.selectors import (
    claim_books,
    claim_policy,
    claim_snapshots,
    reference_rates,
    write_off_key,
)
from claims.services import (
    ClaimError,
    _close_paid,
    _set_status,
    claim_withdraw,
    interest_entry,
)
from claims.statement import WriteOff

TEXT_MAX = 2000
# Objections are taken while the agency still collects: not once the claim is closed, and not
# twice (a second one joins the open one's text, by a handler).
OPEN = [s for s in Status.values if s not in (Status.PAID, Status.WITHDRAWN,
                                               Status.WRITTEN_OFF, Status.DISPUTED)]


def _text(value: str, field: str, required: bool = False) -> str:
    value = (value or "").strip()
    if required and not value:
        raise ClaimError({field: [_("Tell us why.")]}, code="required")
    if len(value) > TEXT_MAX:
        raise ClaimError({field: [_("At most %(n)d characters.") % {"n": TEXT_MAX}]},
                         code="too_long")
    return value


@transaction.atomic
def dispute_register(*, claim_id: int, channel: str, reason: str, text: str,
                     received_on: date, user=None, attachments=(),
                     invoice_ids=None) -> Dispute:
    """Register an objection: the claim is disputed from this moment, every step and letter
    stops, and the creditor is asked for its position (the portal's objections list).

    ``invoice_ids``, some of the claim's open invoices, make it partial: only they are held,
    the rest is collected as before. None, or every open invoice, is the whole claim."""
    if reason not in Dispute.Reason.values:
        raise ClaimError({"reason": [_("Choose a reason.")]}, code="reason")
    kinds = _attachment_kinds(attachments)
    if channel not in Dispute.Channel.values:
        raise ClaimError({"channel": [_("Unknown channel.")]}, code="channel")
    text = _text(text, "text", required=reason == Dispute.Reason.OTHER)
    claim = Claim.objects.select_for_update(of=("self",)).get(pk=claim_id)
    if claim.status not in OPEN:
        raise ClaimError({"status": [_("This claim cannot be objected to now: it is %(status)s.")
                                     % {"status": claim.get_status_display().lower()}]},
                         code="not_open")
    if claim.disputes.filter(resolved_on__isnull=True).exists():
        raise ClaimError({"status": [_("An objection is already open on this case: add to it "
                                       "by a message instead.")]}, code="open_dispute")
    books = claim_books(claim)
    disputed = _disputed_invoices(claim, books, invoice_ids)
    previous = claim.status
    held_from = None
    if disputed:  # partial: the claim stays where it is; the invoices are held
        held_from = _after_booked_payments(books, received_on)
    else:
        _set_status(claim, new=Status.DISPUTED, allowed_from=[previous])
        Claim.objects.filter(pk=claim.pk).update(next_action_on=None)
    try:
        with transaction.atomic():
            dispute = Dispute.objects.create(
                claim=claim, received_on=received_on, channel=channel, reason=reason,
                text=text, previous_status=previous, registered_by=user, held_from=held_from)
    except IntegrityError:  # cannot happen under the claim's lock; never two open ones
        raise ClaimError({"status": [_("An objection is already open.")]},
                         code="open_dispute") from None
    if disputed:
        dispute.invoices.set(disputed)
        _next_action_again(claim, held_from)
    for upload, kind in zip(attachments, kinds):
        data = upload.read()
        attachment = DisputeAttachment(dispute=dispute, name=_file_name(upload.name),
                                       content_type=kind, size=len(data),
                                       sha256=hashlib.sha256(data).hexdigest())
        attachment.file.save("attachment", ContentFile(data), save=True)
    Event.objects.create(claim=claim, kind=Event.Kind.DISPUTE, occurred_on=received_on,
                         actor=user, data={"state": "registered", "channel": channel,
                                           "reason": reason, "text": text,
                                           "attachments": len(kinds),
                                           "invoices": [i.invoice_number for i in disputed]})
    return dispute


def _disputed_invoices(claim, books, invoice_ids) -> list:
    """The invoices a partial objection holds, or [] for the whole claim (no choice, or every
    invoice still owing)."""
    if not invoice_ids:
        return []
    gone = {row.invoice_id for row in books.write_offs}
    owing = {i.pk: i for i in claim.invoices.all() if i.pk not in gone}
    try:
        chosen = {int(pk) for pk in invoice_ids}
    except (TypeError, ValueError):
        chosen = {None}
    if not chosen <= set(owing):
        raise ClaimError({"invoices": [_("Choose among the invoices of this case.")]},
                         code="invoices")
    if chosen == set(owing):
        return []
    return sorted((owing[pk] for pk in chosen), key=lambda i: (i.due_date, i.pk))


def _after_booked_payments(books, day: date) -> date:
    """``day``, or the day after the latest payment booked on or after it: a hold starts or
    ends where it changes no allocation already in the ledger (claims.statement rule 6)."""
    latest = max((p.on for p in books.payments if p.on >= day), default=None)
    return day if latest is None else latest + timedelta(days=1)


def _next_action_again(claim: Claim, today: date) -> None:
    """Date the engine's next step again: what is asked for changed (none if only held
    invoices are left)."""
    snapshot = claim_snapshots([claim], as_of=today)[claim.pk]
    Claim.objects.filter(pk=claim.pk).update(
        next_action_on=next_action_on(snapshot, claim_policy(claim)))


def _attachment_kinds(attachments) -> list[str]:
    """Each attachment's content type; every bad one refused at once, before anything is
    written."""
    if len(attachments) > ATTACHMENTS_MAX:
        raise ClaimError({"attachments": [_("At most %(n)d files.") % {
            "n": ATTACHMENTS_MAX}]}, code="attachments")
    kinds, errors = [], []
    for upload in attachments:
        kind, error = attachment_type(upload)
        kinds.append(kind)
        if error:
            errors.append(error)
    if errors:
        raise ClaimError({"attachments": errors}, code="attachments")
    return kinds


def _file_name(name: str) -> str:
    """The name as sent, for people to read: no path, no control characters."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    return "".join(c for c in base if c.isprintable())[:100] or "bilaga"


@transaction.atomic
def dispute_answer(*, dispute_id: int, position: str, text: str, today: date,
                   user) -> Dispute:
    """The creditor's position on an open objection (it may change it until resolved)."""
    if position not in Dispute.Position.values:
        raise ClaimError({"position": [_("Choose your position.")]}, code="position")
    text = _text(text, "position_text", required=position != Dispute.Position.WITHDRAW)
    dispute = Dispute.objects.select_for_update().get(pk=dispute_id)
    if not dispute.is_open:
        raise ClaimError({"position": [_("The objection is resolved already.")]},
                         code="resolved")
    dispute.position, dispute.position_text = position, text
    dispute.position_on, dispute.position_by = today, user
    dispute.save(update_fields=["position", "position_text", "position_on", "position_by"])
    Event.objects.create(claim_id=dispute.claim_id, kind=Event.Kind.DISPUTE, occurred_on=today,
                         actor=user, data={"state": "answered", "position": position,
                                           "text": text})
    return dispute


@transaction.atomic
def dispute_resolve(*, dispute_id: int, resolution: str, reason: str, today: date,
                    user) -> Dispute:
    """A handler resolves the objection: the claim is withdrawn; or collection continues
    from where it stopped; or it goes to court (it stays disputed, never to Kronofogden)."""
    if resolution not in Dispute.Resolution.values:
        raise ClaimError({"resolution": [_("Choose a resolution.")]}, code="resolution")
    reason = _text(reason, "resolution_reason", required=True)
    dispute = Dispute.objects.select_for_update().select_related("claim").get(pk=dispute_id)
    if not dispute.is_open:
        raise ClaimError({"resolution": [_("The objection is resolved already.")]},
                         code="resolved")
    claim = Claim.objects.select_for_update(of=("self",)).select_related(
        "creditor__policy", "debtor").get(pk=dispute.claim_id)
    if (resolution == Dispute.Resolution.CONTINUED
            and dispute.previous_status == Status.AT_KRONOFOGDEN):
        raise ClaimError({"resolution": [_("Objected to at Kronofogden: the claim goes to court "
                                           "or is withdrawn, never back to a "
                                           "betalningsföreläggande.")]}, code="kfm_objection")
    dispute.resolution, dispute.resolution_reason = resolution, reason
    dispute.resolved_on, dispute.resolved_by = today, user
    dispute.save(update_fields=["resolution", "resolution_reason", "resolved_on",
                                "resolved_by"])
    event = Event.objects.create(claim=claim, kind=Event.Kind.DISPUTE, occurred_on=today,
                                 actor=user, data={"state": "resolved", "resolution": resolution,
                                                   "text": reason})
    if dispute.is_partial:
        _resolve_partial(claim, dispute, event, today, user)
    elif resolution == Dispute.Resolution.WITHDRAWN:
        claim_withdraw(claim=claim, reason=reason, today=today, user=user)
    elif resolution == Dispute.Resolution.CONTINUED:
        _resume(claim, dispute.previous_status, today)
    return dispute


def _resolve_partial(claim: Claim, dispute: Dispute, event: Event, today: date, user) -> None:
    """Upheld: the held invoices are asked for again from today (their interest too). Withdrawn:
    what they still owe is written off today, and a claim owing nothing more is paid. To court:
    they stay held; the rest goes on."""
    if dispute.resolution == Dispute.Resolution.CONTINUED:
        dispute.held_until = max(_after_booked_payments(claim_books(claim), today),
                                 dispute.held_from + timedelta(days=1))
        dispute.save(update_fields=["held_until"])
    elif dispute.resolution == Dispute.Resolution.WITHDRAWN:
        _write_off(claim, dispute, event, today)
    _next_action_again(claim, today)


def _write_off(claim: Claim, dispute: Dispute, event: Event, today: date) -> None:
    """Book the interest accrued to today, then write off what the disputed invoices still owe
    (claims.statement's WriteOff); nothing owed any more closes the claim as paid."""
    books = claim_books(claim)
    # After every payment booked (their days' allocations stay as they are).
    day = max([today, *(p.on for p in books.payments)])
    ids = set(dispute.invoices.values_list("pk", flat=True))
    books = dataclasses.replace(books, write_offs=(*books.write_offs, *(
        WriteOff(invoice_id=pk, on=day) for pk in sorted(ids))))
    try:
        statement = books.statement(as_of=day, rates=reference_rates(),
                                    interest_enabled=claim_policy(claim).interest_enabled)
    except ValueError as exc:  # the rate table does not reach back: staff add the rates
        raise ClaimError({"resolution": [str(exc)]}, code="no_statement") from None
    K, rows = LedgerEntry.Kind, []
    interest = books.interest_to_book(statement)
    if interest:
        rows.append(interest_entry(claim, interest, day, event))
    numbers = dict(dispute.invoices.values_list("pk", "invoice_number"))
    for gone in statement.written_off:
        if gone.invoice_id not in ids:
            continue
        basis = f"Faktura {numbers[gone.invoice_id]} återkallad efter bestridande"
        for kind, part, amount in ((K.WRITTEN_OFF_CAPITAL, "capital", gone.capital_ore),
                                   (K.WRITTEN_OFF_INTEREST, "interest", gone.interest_ore)):
            if amount:
                rows.append(LedgerEntry(claim=claim, kind=kind, amount_ore=amount,
                                        booked_on=day, event=event, legal_basis=basis,
                                        key=write_off_key(part, gone.invoice_id)))
    LedgerEntry.objects.bulk_create(rows)
    if statement.total_owed_ore == 0:
        _close_paid(claim, today=today, user=dispute.resolved_by)


def _resume(claim: Claim, status: str, today: date) -> None:
    """Back to where collection stopped; the engine dates the next step from there (a
    deadline that ran out while disputed is due at once, on the next bank day's tick)."""
    _set_status(claim, new=status, allowed_from=[Status.DISPUTED])
    snapshot = claim_snapshots([claim], as_of=today)[claim.pk]
    Claim.objects.filter(pk=claim.pk).update(
        next_action_on=next_action_on(snapshot, claim_policy(claim)))
