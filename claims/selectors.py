"""Reads of claims. Creditor-facing reads go through ``Claim.objects.for_creditor``."""

from dataclasses import dataclass

from django.db.models import Q, Sum

from claims.engine import Policy, Snapshot
from claims.fees import FeeCaps, FeeKind
from claims.models import Claim, LedgerEntry, StatutoryFee, Step

# A fee's ledger key: one of each kind per claim, the exactly-once key of fees.
FEE_PREFIX = "fee:"


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


def claim_policy(claim: Claim) -> Policy:
    """The engine's policy for a claim: its creditor's kravpolicy and the claim's own switch."""
    stored = claim.creditor.policy
    return Policy(reminder_deadline_days=stored.reminder_deadline_days,
                  grace_days=stored.grace_days,
                  demand_deadline_days=stored.demand_deadline_days,
                  charge_reminder_fee=stored.charge_reminder_fee,
                  interest_enabled=stored.interest_enabled and claim.interest_enabled)


def claim_snapshots(claims) -> dict[int, Snapshot]:
    """Everything ``decide`` needs, for a whole batch in a handful of queries."""
    ids = [c.pk for c in claims]
    balances = balances_for(claims)
    steps = {}
    for step in Step.objects.filter(claim_id__in=ids):
        steps.setdefault(step.claim_id, {})[step.kind] = step
    fees = {}
    for claim_id, key in LedgerEntry.objects.filter(
            claim_id__in=ids, kind=LedgerEntry.Kind.FEE).values_list("claim_id", "key"):
        fees.setdefault(claim_id, set()).add(FeeKind(key.removeprefix(FEE_PREFIX)))
    agreed = set(Claim.objects.filter(pk__in=ids, invoices__reminder_fee_agreed=True)
                 .values_list("pk", flat=True))
    out = {}
    for claim in claims:
        taken = steps.get(claim.pk, {})
        reminder, demand = taken.get("reminder"), taken.get("demand")
        out[claim.pk] = Snapshot(
            status=claim.status, registered_on=claim.registered_on,
            debtor_kind=claim.debtor.kind, reminder_fee_agreed=claim.pk in agreed,
            outstanding_ore=balances[claim.pk].outstanding,
            reminder_sent_on=reminder.taken_on if reminder else None,
            reminder_deadline=reminder.deadline if reminder else None,
            demand_sent_on=demand.taken_on if demand else None,
            demand_deadline=demand.deadline if demand else None,
            fees_charged=frozenset(fees.get(claim.pk, ())))
    return out
