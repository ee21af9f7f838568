"""The creditor's e-mail when a debtor pays: which case, how much, what is left.

Sent after the booking has committed, once per payment: each notice is claimed under a row
lock and marked sent in the same transaction, so two workers never send the same one; a notice
whose sending failed stays due and goes out on the next run (beat, every ten minutes).
"""

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from claims.selectors import claim_balance
from payments.models import IncomingPayment

log = logging.getLogger(__name__)


def payment_notices_send(*, limit: int = 200) -> int:
    """Send the due notices (up to ``limit``); returns how many went out."""
    sent = 0
    for pk in (IncomingPayment.objects.filter(state=IncomingPayment.State.BOOKED,
                                              creditor_notified_at__isnull=True)
               .order_by("id").values_list("pk", flat=True)[:limit]):
        sent += _send_one(pk)
    return sent


def _send_one(pk: int) -> int:
    with transaction.atomic():
        payment = (IncomingPayment.objects.select_for_update(skip_locked=True, of=("self",))
                   .select_related("claim__creditor", "claim__debtor")
                   .filter(pk=pk, creditor_notified_at__isnull=True).first())
        if payment is None:
            return 0
        claim = payment.claim
        with translation.override("sv"):
            context = {"payment": payment, "claim": claim, "balance": claim_balance(claim),
                       "url": f"{settings.SITE_URL}/arenden/{claim.pk}/"}
            subject = render_to_string("payments/email/payment_received_subject.txt",
                                       context).strip()
            body = render_to_string("payments/email/payment_received.txt", context)
        try:
            send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [claim.creditor.report_email])
        except OSError as exc:
            log.warning("payment notice %s not sent, will retry: %s", pk, exc)
            return 0
        IncomingPayment.objects.filter(pk=pk).update(creditor_notified_at=timezone.now())
        return 1
