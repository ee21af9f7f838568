"""Reads of claims. Creditor-facing reads go through ``Claim.objects.for_creditor``."""

from dataclasses import dataclass

from django.db import connection
from django.db.models import Q, Sum
from django.db.models.expressions import RawSQL

from claims.engine import Policy, Snapshot
from claims.fees import FeeCaps, FeeKind
from claims.models import Claim, Invoice, LedgerEntry, ReferenceRate, StatutoryFee, Step
from creditors.models import CollectionPolicy

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
    return policy_of(claim.creditor.policy, interest_enabled=claim.interest_enabled)


def policy_of(stored: CollectionPolicy, *, interest_enabled: bool) -> Policy:
    """The engine's policy from a stored kravpolicy and a claim's interest switch."""
    return Policy(reminder_deadline_days=stored.reminder_deadline_days,
                  grace_days=stored.grace_days,
                  demand_deadline_days=stored.demand_deadline_days,
                  charge_reminder_fee=stored.charge_reminder_fee,
                  interest_enabled=stored.interest_enabled and interest_enabled)


def stored_policies(creditor_ids) -> dict[int, CollectionPolicy]:
    """``{creditor id: kravpolicy}`` in one query: the tick reads a batch's creditors at once."""
    return {p.creditor_id: p
            for p in CollectionPolicy.objects.filter(creditor_id__in=set(creditor_ids))}


def ids_in(ids):
    """The right side of an ``__in`` filter on a batch of ids (e.g. the tick's 1000 claims).

    On PostgreSQL one array parameter, ``IN (SELECT unnest(%s))``: Django's ``IN (%s, %s, ...)``
    costs ~5 ms of Python per 1000 ids in every query. Elsewhere the list itself.
    """
    if connection.vendor == "postgresql":
        return RawSQL("SELECT unnest(%s::bigint[])", [list(ids)])
    return ids


def claim_snapshots(claims) -> dict[int, Snapshot]:
    """Everything ``decide`` needs, for a whole batch in a handful of queries."""
    return snapshots_of([(c.pk, c.status, c.registered_on, c.debtor.kind) for c in claims])


def snapshots_of(rows) -> dict[int, Snapshot]:
    """``claim_snapshots`` from plain rows ``(id, status, registered_on, debtor kind)``, as the
    tick's locking query reads them (no model instances: the tick reads 1000 claims a batch).

    Three queries whatever the batch size: the ledger (balance and fees charged), the steps
    taken and the invoices with the reminder fee agreed.
    """
    ids = [row[0] for row in rows]
    # Balance.outstanding: charges less payments.
    sign = {**dict.fromkeys(LedgerEntry.CHARGES, 1), **dict.fromkeys(LedgerEntry.PAYMENTS, -1)}
    outstanding, fees = dict.fromkeys(ids, 0), {}
    # Summed here rather than by a GROUP BY: the fee keys need the rows anyway, and a claim
    # the tick moves has a handful of ledger rows.
    ledger = LedgerEntry.objects.filter(claim_id__in=ids_in(ids)).order_by()
    for claim_id, kind, key, amount in ledger.values_list("claim_id", "kind", "key",
                                                          "amount_ore"):
        outstanding[claim_id] += sign.get(kind, 0) * amount
        if kind == LedgerEntry.Kind.FEE:
            fees.setdefault(claim_id, set()).add(FeeKind(key.removeprefix(FEE_PREFIX)))
    steps = {}
    taken = Step.objects.filter(claim_id__in=ids_in(ids)).order_by()
    for claim_id, kind, taken_on, deadline in taken.values_list("claim_id", "kind", "taken_on",
                                                                "deadline"):
        steps[claim_id, kind] = (taken_on, deadline)
    agreed = set(Invoice.objects.filter(claim_id__in=ids_in(ids), reminder_fee_agreed=True)
                 .values_list("claim_id", flat=True).order_by())
    out = {}
    for pk, status, registered_on, debtor_kind in rows:
        reminder_sent_on, reminder_deadline = steps.get((pk, "reminder"), (None, None))
        demand_sent_on, demand_deadline = steps.get((pk, "demand"), (None, None))
        out[pk] = Snapshot(
            status=status, registered_on=registered_on, debtor_kind=debtor_kind,
            reminder_fee_agreed=pk in agreed, outstanding_ore=outstanding[pk],
            reminder_sent_on=reminder_sent_on, reminder_deadline=reminder_deadline,
            demand_sent_on=demand_sent_on, demand_deadline=demand_deadline,
            fees_charged=frozenset(fees.get(pk, ())))
    return out


def claim_statement(claim: Claim, *, as_of):
    """The claim as of a day, itemised (claims.statement): interest on the capital still owed,
    payments allocated costs -> interest -> capital. None, with the reason, when the rate table
    does not reach back to an interest day (staff add the missing reference rates)."""
    from claims import interest, statement  # pure modules

    entries = list(claim.ledger.all())
    invoices = [statement.InvoiceCapital(invoice_id=i.pk, due_date=i.due_date,
                                         amount_ore=i.amount_ore) for i in claim.invoices.all()]
    charges = [statement.Charge(on=e.booked_on, kind=e.key, amount_ore=e.amount_ore)
               for e in entries if e.kind == LedgerEntry.Kind.FEE]
    payments = [statement.Payment(on=e.booked_on, amount_ore=e.amount_ore, ref=str(e.pk))
                for e in entries if e.kind in LedgerEntry.PAYMENTS]
    rates = [interest.ReferenceRate(valid_from=r.valid_from, rate=r.rate)
             for r in ReferenceRate.objects.all()]
    try:
        return statement.statement(invoices=invoices, charges=charges, payments=payments,
                                   as_of=as_of, rates=rates,
                                   interest_enabled=claim_policy(claim).interest_enabled), ""
    except ValueError as exc:
        return None, str(exc)
