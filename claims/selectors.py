"""Reads of claims. Creditor-facing reads go through ``Claim.objects.for_creditor``."""

from dataclasses import dataclass

from django.db.models import Q, Sum

from claims.fees import FeeCaps
from claims.models import Claim, LedgerEntry, StatutoryFee


@dataclass(frozen=True)
class Balance:
    """What has been charged and paid so far, in öre; a sum of ledger rows, never stored."""

    capital: int
    interest: int
    fees: int
    paid: int

    @property
    def outstanding(self) -> int:
        return self.capital + self.interest + self.fees - self.paid


def _sums():
    K = LedgerEntry.Kind
    return {
        "capital": Sum("amount_ore", filter=Q(kind=K.CAPITAL)),
        "interest": Sum("amount_ore", filter=Q(kind=K.INTEREST)),
        "fees": Sum("amount_ore", filter=Q(kind=K.FEE)),
        "paid": Sum("amount_ore", filter=Q(kind__in=LedgerEntry.PAYMENTS)),
    }


def claim_balance(claim: Claim) -> Balance:
    sums = LedgerEntry.objects.filter(claim=claim).aggregate(**_sums())
    return Balance(**{k: v or 0 for k, v in sums.items()})


def balances_for(claims) -> dict[int, Balance]:
    """Balances of a page of claims in one grouped query (the list page must not grow)."""
    ids = [c.pk for c in claims]
    rows = (LedgerEntry.objects.filter(claim_id__in=ids).values("claim_id")
            .annotate(**_sums()))
    found = {r.pop("claim_id"): Balance(**{k: v or 0 for k, v in r.items()}) for r in rows}
    return {pk: found.get(pk, Balance(0, 0, 0, 0)) for pk in ids}


def claim_list(*, creditor, status: str = "", query: str = ""):
    qs = Claim.objects.for_creditor(creditor).select_related("debtor")
    if status:
        qs = qs.filter(status=status)
    query = query.strip()
    if query:
        digits = "".join(c for c in query if c.isdigit())
        match = (Q(debtor__name__icontains=query) | Q(invoices__invoice_number__iexact=query)
                 | Q(case_number=query) | Q(ocr=query))
        if len(digits) >= 6:
            match |= Q(debtor__identity_number__contains=digits)
        qs = qs.filter(match).distinct()
    return qs.prefetch_related("invoices")


def fee_caps_on(day) -> FeeCaps:
    """The statutory maximum of each fee in force on ``day`` (the latest row not after it)."""
    caps = {}
    for kind in (StatutoryFee.Kind.REMINDER, StatutoryFee.Kind.COLLECTION,
                 StatutoryFee.Kind.LATE_PAYMENT_COMPENSATION):
        row = (StatutoryFee.objects.filter(kind=kind, valid_from__lte=day)
               .order_by("-valid_from").first())
        # No row in force means the law allows nothing yet: charge nothing.
        caps[kind] = row.amount_ore if row else 0
    return FeeCaps(reminder_ore=caps[StatutoryFee.Kind.REMINDER],
                   collection_ore=caps[StatutoryFee.Kind.COLLECTION],
                   late_payment_compensation_ore=caps[
                       StatutoryFee.Kind.LATE_PAYMENT_COMPENSATION])
