"""The creditor's e-mail when debtors pay: which cases, how much, what is left.

One e-mail per creditor per run lists every payment of theirs not yet told (a BgMax file of
100,000 payments must not send a creditor thousands of e-mails). Sent after the booking has
committed: the creditor's due payments are claimed under a row lock (skip locked, so two
workers never list the same payment) and marked told in the same transaction; an e-mail whose
sending failed leaves them all due for the next run (beat, every ten minutes).
"""

import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from claims.models import Status
from claims.selectors import Balance, balances_for
from payments.models import IncomingPayment

log = logging.getLogger(__name__)

# At most this many payments in one e-mail: a creditor with more gets the rest in the next
# e-mail of the same run, so no e-mail (nor the transaction holding its rows) grows unbounded.
NOTICE_MAX_PAYMENTS = 500


@dataclass(frozen=True)
class NoticeLine:
    """One payment as the e-mail shows it, with what is left on its case now."""

    payment: IncomingPayment
    balance: Balance  # of the case, when the e-mail is written

    @property
    def claim_paid(self) -> bool:
        """The case is paid in full and closed."""
        return self.payment.claim.status == Status.PAID


def _due():
    return IncomingPayment.objects.filter(state=IncomingPayment.State.BOOKED,
                                          creditor_notified_at__isnull=True)


def payment_notices_send(*, limit: int = NOTICE_MAX_PAYMENTS) -> int:
    """One e-mail to each creditor with payments due (up to ``limit`` payments each);
    returns how many payments were told. Run it again while it returns more than none."""
    told = 0
    for creditor_id in _due().order_by().values_list("claim__creditor_id", flat=True).distinct():
        told += _send_digest(creditor_id, limit=limit)
    return told


def _send_digest(creditor_id: int, *, limit: int) -> int:
    with transaction.atomic():
        payments = list(_due().select_for_update(skip_locked=True, of=("self",))
                        .filter(claim__creditor_id=creditor_id)
                        .select_related("claim__creditor", "claim__debtor")
                        .order_by("id")[:limit])
        if not payments:
            return 0  # another worker holds them, or told them meanwhile
        subject, body = _render(payments)
        try:
            send_mail(subject, body, settings.DEFAULT_FROM_EMAIL,
                      [payments[0].claim.creditor.report_email])
        except OSError as exc:  # smtplib's errors are OSErrors
            log.warning("payment notice to creditor %s (%d payments) not sent, will retry: %s",
                        creditor_id, len(payments), exc)
            return 0
        IncomingPayment.objects.filter(pk__in=[p.pk for p in payments]).update(
            creditor_notified_at=timezone.now())
        return len(payments)


def _render(payments: list[IncomingPayment]) -> tuple[str, str]:
    # One grouped query for every case in the e-mail, not one per payment.
    balances = balances_for({p.claim_id: p.claim for p in payments}.values())
    lines = [NoticeLine(payment=p, balance=balances[p.claim_id]) for p in payments]
    context = {"creditor": payments[0].claim.creditor, "lines": lines, "count": len(lines),
               "one": lines[0] if len(lines) == 1 else None,
               "total_ore": sum(p.amount_ore for p in payments),
               "surplus_ore": sum(p.surplus_ore for p in payments),
               # One case: that case's page; several: the overview of every case.
               "url": f"{settings.SITE_URL}/arenden/{payments[0].claim_id}/"
               if len({p.claim_id for p in payments}) == 1 else f"{settings.SITE_URL}/"}
    with translation.override("sv"):
        subject = render_to_string("payments/email/payment_received_subject.txt",
                                   context).strip()
        body = render_to_string("payments/email/payment_received.txt", context)
    return subject, body
