"""Writes for debtors, and what a debtor tells the agency in Mitt Ärende."""

import logging
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

# The claims room imports this module (debtor_upsert) after its models, selectors and engine,
# none of which imports back: Mitt Ärende's writes below can use them without a cycle.
from claims.engine import next_action_on
from claims.models import Claim, Event
from claims.selectors import claim_policy, claim_snapshots
from debtors.models import Debtor, MessageMail
from ekrav.calendar import add_bank_days

log = logging.getLogger(__name__)

# A creditor registers the same debtor again with the address it has now: these are replaced.
_REPLACED = ("kind", "name", "street", "postal_code", "city")
# Optional channels are only overwritten with something, never blanked by an omission.
_OPTIONAL = ("email", "phone")


def _fields(data) -> dict:
    fields = {name: getattr(data, name) for name in _REPLACED}
    fields.update({name: getattr(data, name) for name in _OPTIONAL if getattr(data, name)})
    return fields


def debtor_upsert(*, creditor, data) -> Debtor:
    """The creditor's debtor with this identity number, created or refreshed.

    The latest registration's contact details win; the identity number never changes.
    """
    debtor, _ = Debtor.objects.select_for_update().update_or_create(
        creditor=creditor, identity_number=data.identity_number, defaults=_fields(data))
    return debtor


def debtor_upsert_many(*, creditor, data) -> dict[str, int]:
    """``debtor_upsert`` of every entry in turn, in bulk: ``{identity number: debtor id}``.

    Entries of one identity merge as successive upserts would: the latest wins, and a channel
    it omits keeps the one given before it (or stored).
    """
    latest: dict[str, dict] = {}
    for entry in data:
        latest.setdefault(entry.identity_number, {}).update(_fields(entry))
    # One INSERT ... ON CONFLICT DO UPDATE (locking the row like select_for_update) per set of
    # channels given, so that a debtor given without an e-mail keeps the stored one.
    shapes = defaultdict(list)
    for identity, fields in latest.items():
        given = tuple(name for name in _OPTIONAL if name in fields)
        shapes[given].append(Debtor(creditor=creditor, identity_number=identity, **fields))
    ids = {}
    for given, debtors in shapes.items():
        Debtor.objects.bulk_create(
            debtors, update_conflicts=True, unique_fields=["creditor", "identity_number"],
            update_fields=[*_REPLACED, *given, "updated_at"])
        ids.update((debtor.identity_number, debtor.pk) for debtor in debtors)
    return ids


# --- Mitt Ärende: what the debtor tells us ----------------------------------------------------

ALREADY_PAID = "already_paid"  # Event.data["kind"] of the debtor's notes
MESSAGE = "message"
# "Jag har redan betalat" holds the next step this many bank days while the payment is
# looked for (issue 4), at most once per case in HOLD_ONCE_PER_DAYS; later only a note.
HOLD_BANK_DAYS = 5
HOLD_ONCE_PER_DAYS = 30
NOTE_MAX_LENGTH = 500
MESSAGE_MAX_LENGTH = 2000


class DebtorInputError(Exception):
    """The debtor's input was refused: ``errors`` maps field -> [reason], as a form shows them."""

    def __init__(self, errors: dict[str, list[str]]):
        self.errors = {field: [str(m) for m in messages] for field, messages in errors.items()}
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in self.errors.items()))


@dataclass(frozen=True)
class AlreadyPaid:
    event: Event
    hold_until: date | None  # None: no new hold (a closed case, or one held within 30 days)


@transaction.atomic
def debtor_report_already_paid(*, claim: Claim, paid_on: date, amount_ore: int, note: str,
                               today: date) -> AlreadyPaid:
    """Jag har redan betalat: a note on the claim's timeline for the creditor and the handlers
    and, at most once per case in 30 days, a hold on the collection until the 5th bank day
    after today (``Claim.hold_until``), with the claim's next date moved past it by the engine.
    """
    # Locked: two reports at once must not both take the case's one hold of the month.
    locked = (Claim.objects.select_for_update(of=("self",))
              .select_related("debtor", "creditor__policy").get(pk=claim.pk))
    note = (note or "").strip()
    errors = _already_paid_errors(locked, paid_on=paid_on, amount_ore=amount_ore, note=note,
                                  today=today)
    if errors:
        raise DebtorInputError(errors)
    hold_until = None
    if may_hold(locked, today=today):
        hold_until = add_bank_days(today, HOLD_BANK_DAYS)
    event = Event.objects.create(
        claim=locked, kind=Event.Kind.NOTE, occurred_on=today,
        data={"from": "debtor", "kind": ALREADY_PAID, "paid_on": paid_on.isoformat(),
              "amount_ore": amount_ore, "note": note,
              "hold_until": hold_until.isoformat() if hold_until else None})
    if hold_until is not None:
        _hold(locked, hold_until=hold_until, today=today)
        claim.hold_until = hold_until
    return AlreadyPaid(event=event, hold_until=hold_until)


def may_hold(claim: Claim, *, today: date) -> bool:
    """Whether an "already paid" today would hold the case: an open case whose last hold was
    granted ``HOLD_ONCE_PER_DAYS`` or more days ago, if ever."""
    if claim.is_closed:
        return False
    since = today - timedelta(days=HOLD_ONCE_PER_DAYS)
    return not any(event.data.get("hold_until") for event in claim.events.filter(
        kind=Event.Kind.NOTE, occurred_on__gt=since, data__kind=ALREADY_PAID))


def _already_paid_errors(claim, *, paid_on, amount_ore, note, today) -> dict[str, list[str]]:
    errors = {}
    first_invoice = min((i.invoice_date for i in claim.invoices.all()), default=None)
    if paid_on > today:
        errors["paid_on"] = [_("The payment date cannot be in the future.")]
    elif first_invoice is not None and paid_on < first_invoice:
        errors["paid_on"] = [_("The payment date cannot be before the invoice date.")]
    if isinstance(amount_ore, bool) or not isinstance(amount_ore, int) or amount_ore <= 0:
        errors["amount"] = [_("The amount must be greater than zero.")]
    if len(note) > NOTE_MAX_LENGTH:
        errors["note"] = [_("At most %(n)d characters.") % {"n": NOTE_MAX_LENGTH}]
    return errors


def _hold(claim: Claim, *, hold_until: date, today: date) -> None:
    """The hold and the engine's next date with it (``engine.next_action_on``: the next bank
    day from the hold, unless the next step was due later anyway), compare-and-set on the
    status the date was computed for."""
    snapshot = replace(claim_snapshots([claim], as_of=today)[claim.pk], hold_until=hold_until)
    moved = Claim.objects.filter(pk=claim.pk, status=claim.status).update(
        hold_until=hold_until, next_action_on=next_action_on(snapshot, claim_policy(claim)))
    if moved != 1:  # the row is locked by this transaction: a mismatch is a bug, not a race
        raise RuntimeError(f"claim {claim.pk} left status {claim.status} under its lock")
    claim.hold_until = hold_until


@transaction.atomic
def debtor_send_message(*, claim: Claim, text: str, today: date) -> Event:
    """Skriv ett meddelande: a note on the claim's timeline, and an e-mail to the agency's
    handlers once the note is saved (never for a note rolled back, never twice)."""
    text = (text or "").strip()
    if not text:
        raise DebtorInputError({"text": [_("Write your message.")]})
    if len(text) > MESSAGE_MAX_LENGTH:
        raise DebtorInputError({"text": [_("At most %(n)d characters.") % {
            "n": MESSAGE_MAX_LENGTH}]})
    event = Event.objects.create(claim=claim, kind=Event.Kind.NOTE, occurred_on=today,
                                 data={"from": "debtor", "kind": MESSAGE, "text": text})
    mail = MessageMail.objects.create(event=event)
    # Sent at once after the commit, through the same exactly-once path as the retries.
    # Robust: whatever goes wrong must not turn a saved message into an error page; the
    # message is on the case's timeline either way, and its e-mail stays due until sent.
    transaction.on_commit(lambda: debtor_message_mail(mail_id=mail.pk), robust=True)
    return event


def debtor_message_mails_send(*, limit: int = 100) -> int:
    """The agency's e-mails about debtors' messages still due (up to ``limit``, oldest
    first), as the beat's retry; returns how many went out."""
    due = (MessageMail.objects.filter(mailed_at__isnull=True).order_by("id")
           .values_list("pk", flat=True)[:limit])
    return sum(debtor_message_mail(mail_id=pk) for pk in due)


def debtor_message_mail(*, mail_id: int) -> int:
    """Send one message's e-mail to the agency's handlers unless it went out before: claimed
    under a row lock (another worker's is skipped) and marked in the same transaction. 1 when
    sent now; 0 when sent before, held elsewhere, or the mail server failed (it stays due)."""
    with transaction.atomic():
        mail = (MessageMail.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("event__claim__creditor", "event__claim__debtor")
                .filter(pk=mail_id, mailed_at__isnull=True).first())
        if mail is None:
            return 0
        subject, body = _message_mail_render(mail.event)
        try:
            send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [settings.AGENCY["email"]])
        except OSError as exc:  # smtplib's errors are OSErrors
            log.warning("e-mail of debtor message %s not sent, will retry: %s",
                        mail.event_id, exc)
            return 0
        MessageMail.objects.filter(pk=mail.pk).update(mailed_at=timezone.now())
    return 1


def _message_mail_render(event: Event) -> tuple[str, str]:
    """In Swedish, the handlers' language, whoever wrote the message."""
    context = {"claim": event.claim, "text": event.data.get("text", ""),
               "occurred_on": event.occurred_on,
               "admin_url": settings.SITE_URL.rstrip("/") + reverse(
                   "admin:claims_claim_change", args=[event.claim_id])}
    with translation.override("sv"):
        subject = " ".join(render_to_string("debtors/email/message_subject.txt",
                                            context).split())
        body = render_to_string("debtors/email/message.txt", context)
    return subject, body
