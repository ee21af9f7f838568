"""The handlers' work queues on the admin's front page: how much waits in each, with a link
to the filtered list. Here, in payments, because it reads the claims, letters and payments
rooms alike (a higher room reads lower ones, never the reverse)."""

from dataclasses import dataclass
from datetime import timedelta

from django import template
from django.utils import timezone
from django.utils.translation import gettext as _

from claims.models import Claim, Dispute, KronofogdenApplication, Status
from letters.models import Letter
from payments.models import IncomingPayment, Refund

register = template.Library()

DECISION_OVERDUE_DAYS = 7
KFM_ANSWER_AWAITED_DAYS = 30


@dataclass(frozen=True)
class Queue:
    name: str
    count: int
    url: str


@register.simple_tag
def work_queues() -> list[Queue]:
    today = timezone.localdate()
    claims = "/admin/claims/claim/"
    return [q for q in (
        Queue(_("Decisions overdue (a week or more)"), Claim.objects.filter(
            status=Status.AWAITING_DECISION, steps__kind="decision",
            steps__taken_on__lte=today - timedelta(days=DECISION_OVERDUE_DAYS)).count(),
            f"{claims}?status__exact=awaiting_decision"),
        Queue(_("Objections to resolve"), Dispute.objects.filter(
            resolved_on__isnull=True).count(), "/admin/claims/dispute/?open=yes"),
        Queue(_("Unmatched payments"), IncomingPayment.objects.filter(
            state=IncomingPayment.State.UNMATCHED).count(),
            "/admin/payments/incomingpayment/?state__exact=unmatched"),
        Queue(_("Refunds to pay by hand"), Refund.objects.due().filter(bankgiro="").count(),
            "/admin/payments/refund/?status__exact=due"),
        Queue(_("Kronofogden applications to send"), KronofogdenApplication.objects.filter(
            state=KronofogdenApplication.State.PREPARED).count(),
            "/admin/claims/kronofogdenapplication/?state__exact=prepared"),
        Queue(_("Kronofogden applications held"), KronofogdenApplication.objects.filter(
            state=KronofogdenApplication.State.HELD).count(),
            "/admin/claims/kronofogdenapplication/?state__exact=held"),
        Queue(_("Kronofogden's answer awaited (30 days or more)"),
              KronofogdenApplication.objects.filter(
                  state=KronofogdenApplication.State.SENT,
                  sent_on__lte=today - timedelta(days=KFM_ANSWER_AWAITED_DAYS)).count(),
              "/admin/claims/kronofogdenapplication/?state__exact=sent"),
        Queue(_("Letters held"), Letter.objects.filter(state=Letter.State.HELD).count(),
              "/admin/letters/letter/?state__exact=held"),
        Queue(_("Statute-barred within 90 days"), Claim.objects.filter(
            limitation_on__gte=today, limitation_on__lte=today + timedelta(days=90))
            .exclude(status__in=[Status.PAID, Status.WITHDRAWN, Status.WRITTEN_OFF]).count(),
            f"{claims}?limitation=90"),
    )]
