"""Money from Kronofogden: what enforcement (utmätning) collects for a claim is paid to the
agency as ingivare, and a handler records each payment from Kronofogden's report. It is an
incoming payment like any other (source "kfm", the exactly-once key Kronofogden's case number
and its payment reference), booked on the claim with interest to its day and allocated costs ->
interest -> capital, then settled to the creditor."""

from __future__ import annotations

from datetime import date

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from claims.models import KronofogdenApplication, Status
from claims.services import ClaimError, claim_payment_receive
from payments.models import IncomingPayment


@transaction.atomic
def kronofogden_payment_record(*, application_id: int, amount_ore: int, paid_on: date,
                               reference: str, today: date, user) -> IncomingPayment:
    application = (KronofogdenApplication.objects.select_related("claim")
                   .get(pk=application_id))
    reference = " ".join((reference or "").split())[:60]
    if amount_ore <= 0:
        raise ClaimError({"amount": [_("Give the amount Kronofogden paid.")]}, code="amount")
    if not reference:
        raise ClaimError({"reference": [_("Give Kronofogden's reference for the payment.")]},
                         code="reference")
    if application.claim.status != Status.AT_KRONOFOGDEN:
        raise ClaimError({"status": [_("The claim is not at Kronofogden.")]},
                         code="not_at_kronofogden")
    external_id = f"{application.kfm_case_number or application.reference}:{reference}"
    try:
        with transaction.atomic():
            payment = IncomingPayment.objects.create(
                source=IncomingPayment.Source.KRONOFOGDEN, external_id=external_id[:100],
                amount_ore=amount_ore, paid_on=paid_on, reference=reference[:35],
                payer_name="Kronofogden", state=IncomingPayment.State.BOOKED,
                claim=application.claim, matched_by=IncomingPayment.MatchedBy.HANDLER,
                handled_by=user)
    except IntegrityError:
        raise ClaimError({"reference": [_("This payment from Kronofogden is recorded "
                                          "already.")]}, code="duplicate") from None
    received = claim_payment_receive(claim=application.claim, amount_ore=amount_ore,
                                     paid_on=paid_on, today=today,
                                     source=IncomingPayment.Source.KRONOFOGDEN,
                                     external_id=payment.external_id, user=user)
    if received.surplus_ore:
        IncomingPayment.objects.filter(pk=payment.pk).update(surplus_ore=received.surplus_ore)
        payment.surplus_ore = received.surplus_ore
    return payment
