"""The daily settlement (avräkning) to creditors: what the day's payments to the agency owe
each creditor, its statement as a PDF, the day's payout file, and the creditor's e-mail.

Exactly once: a Settlement per (creditor, day), a PayoutFile per (day, format, sequence);
running the day again changes nothing. The e-mail is sent after commit, once per settlement:
claimed under a row lock and marked in the same transaction (as payments.notices), so a
sending that failed stays due and goes out on the next run.
"""

from __future__ import annotations

import hashlib
import logging
from collections import defaultdict
from datetime import date
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.template.loader import render_to_string
from django.utils import timezone, translation

from claims.models import LedgerEntry
from creditors.models import Creditor
from ekrav.calendar import first_bank_day_after
from payments import payouts
from payments.models import OutlayCharge, PayoutFile, Refund, SettledPayment, Settlement
from payments.refunds import refunds_for_file
from webhooks import payloads as webhook_payloads
from webhooks.models import EventType
from webhooks.services import event_emit

log = logging.getLogger(__name__)

STYLESHEET = Path(settings.BASE_DIR) / "static" / "letters" / "settlement.css"


def payout_day(day: date) -> date:
    """The bank day the day's payout reaches the creditors: the run is after the bank's
    same-day cut-off, so the next bank day."""
    return first_bank_day_after(day)


def settlements_run(*, day: date) -> dict:
    """Settle ``day`` for every creditor with payments to the agency booked on it, write the
    day's payout file, and e-mail the statements after commit.

    Due refunds go in the same file (payments.refunds).

    Returns {"settlements": created, "payout_file": id or None}; a second run of the same
    day creates nothing (and a payment of the day booked after the first run is settled,
    for a creditor not settled yet, in a second payout file of the day).
    """
    created = 0
    for creditor_id in _creditors_paid_on(day):
        created += _settle(creditor_id, day)
    payout_file = _payout_file(day)
    transaction.on_commit(settlement_emails_send)
    return {"settlements": created, "payout_file": payout_file.pk if payout_file else None}


def _unsettled(day: date):
    """Payments to the agency paid up to ``day`` and not paid out yet: a payment recorded
    after its day's run (the BgMax file of the day before, say) goes with the next run."""
    return LedgerEntry.objects.filter(kind=LedgerEntry.Kind.PAYMENT, booked_on__lte=day,
                                      settled__isnull=True)


def _creditors_paid_on(day: date) -> list[int]:
    return sorted(set(_unsettled(day).values_list("claim__creditor_id", flat=True)))


def _rows(creditor_id: int, day: date) -> tuple[list[payouts.LedgerRow], list[int]]:
    """The creditor's unsettled payments with their allocation rows, and the payments' ids."""
    fields = ("claim_id", "claim__case_number", "claim__debtor__name", "kind", "key",
              "amount_ore", "booked_on")
    payments = list(_unsettled(day).filter(claim__creditor_id=creditor_id).order_by("id")
                    .values_list("id", *fields))
    keys = {row[5] for row in payments}
    parts = (LedgerEntry.objects.filter(claim_id__in={row[1] for row in payments},
                                        kind__in=LedgerEntry.ALLOCATIONS)
             .order_by("id").values_list(*fields))
    rows = [payouts.LedgerRow(*row[1:]) for row in payments]
    rows += [payouts.LedgerRow(*row) for row in parts if payouts.payment_key_of(row[4]) in keys]
    return rows, [row[0] for row in payments]


def _outlays_repaid(claim_ids) -> dict[str, int]:
    """{paid-costs key: öre} of what each payment's costs repaid of the claims' outlays:
    costs are paid in the order they were booked (payouts.outlay_parts)."""
    K = LedgerEntry.Kind
    charges, paid = defaultdict(list), defaultdict(list)
    for claim_id, kind, key, amount in (
            LedgerEntry.objects.filter(claim_id__in=claim_ids, kind__in=(K.FEE, K.PAID_COSTS))
            .order_by("booked_on", "id").values_list("claim_id", "kind", "key", "amount_ore")):
        (charges if kind == K.FEE else paid)[claim_id].append((key, amount))
    repaid = {}
    for claim_id in charges:
        if any(payouts.is_outlay(key) for key, _amount in charges[claim_id]):
            repaid.update(payouts.outlay_parts(charges[claim_id], paid[claim_id]))
    return repaid


def _commissions(creditor: Creditor, rows) -> dict:
    """{(claim id, day): percent} for the case-days paid while under efterbevakning, at the
    creditor's price list's commission (none when it has none)."""
    from claims.surveillance import in_surveillance_on

    percent = creditor.policy.surveillance_commission_percent
    if not percent:
        return {}
    found = {}
    for day in {row.booked_on for row in rows}:
        claims = {row.claim_id for row in rows if row.booked_on == day}
        found.update({(pk, day): percent for pk in in_surveillance_on(claims, day)})
    return found


def _outlays_to_charge(creditor_id: int, payout_ore: int) -> list[dict]:
    """The creditor's outlays not charged yet that the payout covers, oldest first (the
    rest waits for a later payout)."""
    charged, left = [], payout_ore
    for pk, claim_id, case_number, key, booked_on, amount in (
            LedgerEntry.objects.filter(claim__creditor_id=creditor_id,
                                       kind=LedgerEntry.Kind.FEE,
                                       key__startswith=payouts.OUTLAY_PREFIX,
                                       outlay_charge__isnull=True)
            .order_by("booked_on", "id")
            .values_list("pk", "claim_id", "claim__case_number", "key", "booked_on",
                         "amount_ore")):
        if amount > left:
            break
        left -= amount
        charged.append({"entry_id": pk, "claim_id": claim_id, "case_number": case_number,
                        "key": key, "booked_on": booked_on.isoformat(), "amount_ore": amount})
    return charged


def _settle(creditor_id: int, day: date) -> int:
    if Settlement.objects.filter(creditor_id=creditor_id, day=day).exists():
        return 0
    creditor = Creditor.objects.get(pk=creditor_id)
    rows, payment_ids = _rows(creditor_id, day)
    settled = payouts.settle(rows, outlays=_outlays_repaid({row.claim_id for row in rows}),
                             commissions=_commissions(creditor, rows))
    if not settled.lines:
        return 0
    charged = _outlays_to_charge(creditor_id, settled.payout_ore)
    charged_ore = sum(outlay["amount_ore"] for outlay in charged)
    settlement = Settlement(
        creditor=creditor, day=day, capital_ore=settled.capital_ore,
        interest_ore=settled.interest_ore, fees_ore=settled.fees_ore,
        surplus_ore=settled.surplus_ore, outlays_repaid_ore=settled.outlays_ore,
        commission_ore=settled.commission_ore,
        outlays_charged_ore=charged_ore, outlays=charged,
        payout_ore=settled.payout_ore - charged_ore,
        bankgiro=payouts.bankgiro_digits(creditor.bankgiro),
        lines=[line.as_json() for line in settled.lines])
    pdf, _pages = _render(settlement)
    settlement.sha256 = hashlib.sha256(pdf).hexdigest()
    try:
        with transaction.atomic():
            settlement.pdf.save(f"avrakning-{day:%Y%m%d}-{creditor_id}.pdf", ContentFile(pdf),
                                save=False)
            settlement.save()
            # The one-to-ones: no payment is paid out twice, no outlay deducted twice.
            SettledPayment.objects.bulk_create(
                [SettledPayment(payment_id=pk, settlement=settlement) for pk in payment_ids])
            OutlayCharge.objects.bulk_create(
                [OutlayCharge(outlay_id=o["entry_id"], settlement=settlement) for o in charged])
            event_emit(creditor=creditor, type=EventType.SETTLEMENT_PAID,
                       key=str(settlement.pk), data=webhook_payloads.settlement_paid(
                           settlement, payout_on=payout_day(day)))
    except IntegrityError:
        return 0  # another run settled these payments at the same moment: theirs stands
    return 1


def settlement_html(settlement: Settlement) -> str:
    with translation.override("sv"):  # statements are Swedish, like the letters
        return render_to_string("payments/settlement.html", {
            "s": settlement, "creditor": settlement.creditor, "lines": settlement.lines,
            "agency": settings.AGENCY, "pay_on": payout_day(settlement.day),
            "paid_ore": sum(line["paid_ore"] for line in settlement.lines),
            "lines_payout_ore": sum(line["payout_ore"] for line in settlement.lines)})


def _render(settlement: Settlement) -> tuple[bytes, int]:
    # letters is a sibling room (ARCHITECTURE.md: letters, payments): imported where used so
    # that importing payments never pulls WeasyPrint into a process that renders nothing.
    from letters.render import render_document

    return render_document(html=settlement_html(settlement), stylesheet=STYLESHEET)


def _payout_file(day: date) -> PayoutFile | None:
    """The day's payout file: the settlements not in a file yet (payout > 0) and the due
    refunds its format can carry (payments.refunds), which are paid by it."""
    fmt = settings.PAYOUT_FORMAT
    if fmt not in PayoutFile.Format.values:
        raise ValueError(f"PAYOUT_FORMAT must be one of {PayoutFile.Format.values}: {fmt!r}")
    pay_on = payout_day(day)
    with transaction.atomic():
        due = list(Settlement.objects.select_for_update().select_related("creditor")
                   .filter(day=day, payout_ore__gt=0, payout_file__isnull=True)
                   .order_by("creditor__name", "id"))
        refunds = refunds_for_file(fmt)
        if not due and not refunds:
            return None
        payments = [payouts.Payout(
            bankgiro=s.bankgiro, amount_ore=s.payout_ore, pay_on=pay_on,
            reference=f"EKRAV-{day:%Y%m%d}-{s.creditor_id}",
            information=f"Avräkning {day:%Y-%m-%d}", name=s.creditor.name) for s in due]
        payments += [_refund_payout(refund, pay_on) for refund in refunds]
        sequence = (PayoutFile.objects.filter(day=day, format=fmt)
                    .aggregate(n=Max("sequence"))["n"] or 0) + 1
        content = _write(fmt, day=day, sequence=sequence, payments=payments)
        payout_file = PayoutFile.objects.create(
            day=day, format=fmt, sequence=sequence, content=content,
            sha256=hashlib.sha256(content).hexdigest(), count=len(payments),
            total_ore=sum(p.amount_ore for p in payments))
        Settlement.objects.filter(pk__in=[s.pk for s in due]).update(payout_file=payout_file)
        Refund.objects.filter(pk__in=[r.pk for r in refunds], status=Refund.Status.DUE).update(
            payout_file=payout_file, status=Refund.Status.PAID, paid_on=pay_on)
    return payout_file


def _refund_payout(refund: Refund, pay_on: date) -> payouts.Payout:
    """The payer's bank shows what the money is: the case (or the reference they paid with)."""
    claim = refund.payment.claim
    about = claim.case_number if claim else refund.payment.reference
    return payouts.Payout(
        bankgiro=refund.bankgiro, clearing=refund.clearing, account=refund.account,
        amount_ore=refund.amount_ore, pay_on=pay_on, reference=f"EKRAV-R{refund.pk}",
        information=f"Återbet. {about}".strip(), name=refund.payee_name)


def _write(fmt: str, *, day: date, sequence: int, payments) -> bytes:
    bankgiro = settings.PAYOUT_BANKGIRO or settings.AGENCY["bankgiro"]
    if fmt == PayoutFile.Format.LB:
        return payouts.lb_file(sender_bankgiro=bankgiro, created_on=day, payments=payments)
    return payouts.pain001(
        message_id=f"EKRAV-{day:%Y%m%d}-{sequence}", created_at=timezone.localtime(),
        debtor_name=settings.AGENCY["name"],
        debtor_organisation_number=settings.AGENCY["organisation_number"],
        debtor_bankgiro=bankgiro, debtor_bic=settings.PAYOUT_BANK_BIC, pay_on=payout_day(day),
        payments=payments)


def settlement_emails_send(*, limit: int = 200) -> int:
    """E-mail the due statements (up to ``limit``) with their PDF; returns how many went."""
    sent = 0
    for pk in (Settlement.objects.filter(emailed_at__isnull=True).order_by("id")
               .values_list("pk", flat=True)[:limit]):
        sent += _email_one(pk)
    return sent


def _email_one(pk: int) -> int:
    with transaction.atomic():
        settlement = (Settlement.objects.select_for_update(skip_locked=True, of=("self",))
                      .select_related("creditor").filter(pk=pk, emailed_at__isnull=True).first())
        if settlement is None:
            return 0
        with translation.override("sv"):
            context = {"s": settlement, "creditor": settlement.creditor,
                       "pay_on": payout_day(settlement.day),
                       "url": f"{settings.SITE_URL}/avrakningar/"}
            subject = render_to_string("payments/email/settlement_subject.txt", context).strip()
            body = render_to_string("payments/email/settlement.txt", context)
        message = EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL,
                               [settlement.creditor.report_email])
        with settlement.pdf.open("rb") as pdf:
            message.attach(f"avrakning-{settlement.day:%Y-%m-%d}.pdf", pdf.read(),
                           "application/pdf")
        try:
            message.send()
        except OSError as exc:
            log.warning("settlement %s not e-mailed, will retry: %s", pk, exc)
            return 0
        Settlement.objects.filter(pk=pk).update(emailed_at=timezone.now())
        return 1
