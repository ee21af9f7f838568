"""A claim's message thread (ärendets meddelanden) between the creditor and the agency's
case handlers: written in the portal or the admin, the other side told by e-mail once, after
commit, a failed e-mail retried by beat (the outbox is the message's ``notified_at``)."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from claims.models import CaseMessage, Claim
from claims.services import ClaimError

log = logging.getLogger(__name__)
TEXT_MAX = 4000


@transaction.atomic
def case_message_send(*, claim: Claim, sender: str, text: str, user) -> CaseMessage:
    text = (text or "").strip()
    if not text:
        raise ClaimError({"text": [_("Write your message.")]}, code="required")
    if len(text) > TEXT_MAX:
        raise ClaimError({"text": [_("At most %(n)d characters.") % {"n": TEXT_MAX}]},
                         code="too_long")
    if sender not in CaseMessage.Sender.values:
        raise ClaimError({"sender": [_("Unknown sender.")]}, code="sender")
    message = CaseMessage.objects.create(claim=claim, sender=sender, author=user, text=text)
    transaction.on_commit(lambda: case_message_notify(message_id=message.pk), robust=True)
    return message


def case_message_notify(*, message_id: int) -> int:
    """Tell the other side, once: the agency's handlers of a creditor's message, the
    creditor's report address of a handler's. Returns 1 if an e-mail went."""
    with transaction.atomic():
        message = (CaseMessage.objects.select_for_update(skip_locked=True, of=("self",))
                   .select_related("claim__creditor", "claim__debtor")
                   .filter(pk=message_id, notified_at__isnull=True).first())
        if message is None:
            return 0
        claim, site = message.claim, settings.SITE_URL.rstrip("/")
        to_agency = message.sender == CaseMessage.Sender.CREDITOR
        context = {"message": message, "claim": claim, "to_agency": to_agency,
                   "url": site + (reverse("admin:claims_claim_change", args=[claim.pk])
                                  if to_agency else f"/arenden/{claim.pk}/#meddelanden")}
        with translation.override("sv"):
            subject = " ".join(render_to_string("claims/email/case_message_subject.txt",
                                                context).split())
            body = render_to_string("claims/email/case_message.txt", context)
        recipient = settings.AGENCY["email"] if to_agency else claim.creditor.report_email
        try:
            send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [recipient])
        except OSError as exc:
            log.warning("case message %s not e-mailed, will retry: %s", message_id, exc)
            return 0
        CaseMessage.objects.filter(pk=message_id).update(notified_at=timezone.now())
        return 1


def case_messages_notify(*, limit: int = 100) -> int:
    """The e-mails a failed sending left (beat)."""
    return sum(case_message_notify(message_id=pk) for pk in
               CaseMessage.objects.filter(notified_at__isnull=True).order_by("id")
               .values_list("pk", flat=True)[:limit])


def thread_of(claim: Claim, *, events=None) -> list[dict]:
    """The thread as the portal shows it, oldest first: the creditor's and the handlers'
    messages, and the debtor's messages from Mitt Ärende (timeline notes), picked from
    ``events`` (the claim's timeline, newest first, as the claim page reads it) when the caller
    has read it."""
    entries = [{"at": m.created_at, "sender": m.sender, "label": m.get_sender_display(),
                "text": m.text} for m in claim.messages.all()]
    if events is None:
        notes = claim.events.filter(kind="note", data__from="debtor", data__kind="message")
    else:
        notes = [e for e in reversed(events) if e.kind == "note" and isinstance(e.data, dict)
                 and e.data.get("from") == "debtor" and e.data.get("kind") == "message"]
    entries += [{"at": e.created_at, "sender": "debtor", "label": _("Debtor (Mitt Ärende)"),
                 "text": e.data.get("text", "")} for e in notes]
    return sorted(entries, key=lambda entry: entry["at"])
