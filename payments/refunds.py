"""Refunds (återbetalningar): money the agency holds that belongs to whoever paid it.

Two kinds of money are held for refund, never silently kept (issue 4): a payment nobody owes
(unmatched, marked for refund by a handler) and the part of a booked payment beyond the debt
(its surplus, ledger kind "surplus"). A handler decides the refund with the payer's bankgiro
or bank account; the next payout run pays it in the day's payout file (payments.settlements),
or, where the file's format cannot carry the account (LB pays bankgiro numbers), a handler
pays it by hand and records that here.

Exactly once: one Refund per payment (one-to-one), for exactly what the payment holds, decided
under the payment's row lock; a refund leaves the "due" status once, by compare-and-set.
"""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils.translation import gettext as _

from ekrav.errors import DomainError
from ekrav.identifiers import IdentifierError, normalize_bankgiro
from payments.models import IncomingPayment, Refund
from payments.payouts import PayoutFileError, account_digits, clearing_digits


class RefundError(DomainError):
    """A refund that cannot be made as asked: ``errors`` maps a field to its messages."""


def refundable_ore(payment: IncomingPayment) -> int:
    """What of ``payment`` the agency holds for the payer: all of an unmatched SEK payment a
    handler may refund, the surplus of a booked one, nothing otherwise."""
    State = IncomingPayment.State
    if payment.currency != "SEK" or payment.amount_ore <= 0:
        return 0
    if payment.state in (State.UNMATCHED, State.REFUND):
        return payment.amount_ore
    if payment.state == State.BOOKED:
        return payment.surplus_ore
    return 0


def _destination(bankgiro: str, clearing: str, account: str) -> dict[str, str]:
    bankgiro, clearing, account = (v.strip() for v in (bankgiro or "", clearing or "",
                                                        account or ""))
    if bankgiro and (clearing or account):
        raise RefundError({"bankgiro": [_("Give a bankgiro number or a bank account, not "
                                          "both.")]})
    if bankgiro:
        try:
            return {"bankgiro": normalize_bankgiro(bankgiro)}
        except IdentifierError as exc:
            raise RefundError({"bankgiro": [str(exc.message)]}) from None
    if not (clearing or account):
        raise RefundError({"account": [_("Give the payer's bankgiro number or bank account "
                                         "(clearing number and account number).")]})
    try:
        clearing = clearing_digits(clearing)
    except PayoutFileError:
        raise RefundError({"clearing": [_("A clearing number has four digits (five for "
                                          "Swedbank, 8xxx-x).")]}) from None
    try:
        account = account_digits(account)
    except PayoutFileError:
        raise RefundError({"account": [_("An account number has at most twelve digits.")]}
                          ) from None
    return {"clearing": clearing, "account": account}


@transaction.atomic
def refund_create(*, payment_id: int, payee_name: str, bankgiro: str = "", clearing: str = "",
                  account: str = "", user=None) -> Refund:
    """Decide the refund of what ``payment_id`` holds, to a bankgiro or a bank account. An
    unmatched payment is marked for refund on the way; the payout run pays it."""
    payment = IncomingPayment.objects.select_for_update().get(pk=payment_id)
    if Refund.objects.filter(payment=payment).exists():
        raise RefundError({"payment": [_("This payment is already being refunded.")]})
    amount = refundable_ore(payment)
    if amount <= 0:
        raise RefundError({"payment": [_("Nothing of this payment is held for refund.")]})
    payee_name = " ".join((payee_name or "").split())
    if not payee_name:
        raise RefundError({"payee_name": [_("Whom is the money paid back to?")]})
    destination = _destination(bankgiro, clearing, account)
    if payment.state == IncomingPayment.State.UNMATCHED:
        payment.state, payment.handled_by = IncomingPayment.State.REFUND, user
        payment.save(update_fields=["state", "handled_by"])
    return Refund.objects.create(payment=payment, amount_ore=amount,
                                 payee_name=payee_name[:70], created_by=user, **destination)


def refund_mark_paid(*, refund_id: int, paid_on: date, user) -> Refund:
    """A handler paid a refund by hand (from the bank, outside the payout file)."""
    moved = Refund.objects.filter(pk=refund_id, status=Refund.Status.DUE,
                                  payout_file__isnull=True).update(
        status=Refund.Status.PAID, paid_on=paid_on, paid_by=user)
    if moved != 1:
        raise RefundError({"status": [_("This refund is paid already.")]})
    return Refund.objects.get(pk=refund_id)


def refunds_for_file(fmt: str):
    """The due refunds the next payout file in ``fmt`` can pay, locked (the caller is in a
    transaction): LB pays bankgiro numbers only; pain.001 pays bank accounts too."""
    from payments.models import PayoutFile

    due = Refund.objects.select_for_update(of=("self",)).due().filter(payout_file__isnull=True)
    if fmt == PayoutFile.Format.LB:
        due = due.exclude(bankgiro="")
    return list(due.select_related("payment", "payment__claim").order_by("id"))
