"""Reads of claims. Creditor-facing reads go through ``Claim.objects.for_creditor``."""

from dataclasses import dataclass
from datetime import date

from django.db import connection
from django.db.models import Exists, F, Lookup, OuterRef, Q, Sum
from django.db.models.expressions import RawSQL
from django.utils import timezone

from claims import interest
from claims.engine import Policy, Snapshot
from claims.fees import FeeCaps
from claims.models import (
    Claim,
    Dispute,
    Invoice,
    LedgerEntry,
    ReferenceRate,
    StatutoryFee,
    Step,
)
from claims.statement import (
    Charge,
    Hold,
    InvoiceCapital,
    Owed,
    Payment,
    RateTable,
    Statement,
    WriteOff,
    interest_to_book,
    owed,
    statement,
)
from creditors.models import CollectionPolicy
from ekrav.memo import memoized

# A fee's ledger key: one of each kind per claim, the exactly-once key of fees.
FEE_PREFIX = "fee:"
# An interest row's: "interest:<day>", the interest accrued up to that day not booked before.
INTEREST_PREFIX = "interest:"
# A write-off's: "write_off:<capital|interest>:invoice:<id>", once per invoice and part.
WRITE_OFF_PREFIX = "write_off:"


def write_off_key(part: str, invoice_id: int) -> str:
    return f"{WRITE_OFF_PREFIX}{part}:invoice:{invoice_id}"


def written_off_invoice(key: str) -> int:
    """The invoice id of a write-off row's key (``write_off_key``)."""
    return int(key.rsplit(":", 1)[1])


@dataclass(frozen=True)
class Balance:
    """What has been charged and paid so far, in öre; a sum of ledger rows, never stored.

    ``paid_*`` are the payments' allocations (costs -> interest -> capital) and ``surplus``
    what was paid beyond the debt, held for refund: the debtor still owes ``remaining_*``.
    """

    capital: int
    interest: int
    fees: int
    paid: int
    paid_capital: int = 0
    paid_interest: int = 0
    paid_costs: int = 0
    surplus: int = 0
    written_off_capital: int = 0  # of invoices withdrawn after a partial objection
    written_off_interest: int = 0

    @property
    def outstanding(self) -> int:
        """What the debtor still owes: every charge less every payment not held for refund
        and what was written off."""
        return (self.capital + self.interest + self.fees - (self.paid - self.surplus)
                - self.written_off_capital - self.written_off_interest)

    @property
    def remaining_capital(self) -> int:
        return self.capital - self.paid_capital - self.written_off_capital

    @property
    def remaining_interest(self) -> int:
        return self.interest - self.paid_interest - self.written_off_interest

    @property
    def remaining_fees(self) -> int:
        return self.fees - self.paid_costs


def _sums():
    K = LedgerEntry.Kind
    return {
        "capital": Sum("amount_ore", filter=Q(kind=K.CAPITAL)),
        "interest": Sum("amount_ore", filter=Q(kind=K.INTEREST)),
        "fees": Sum("amount_ore", filter=Q(kind=K.FEE)),
        "paid": Sum("amount_ore", filter=Q(kind__in=LedgerEntry.PAYMENTS)),
        "paid_capital": Sum("amount_ore", filter=Q(kind=K.PAID_CAPITAL)),
        "paid_interest": Sum("amount_ore", filter=Q(kind=K.PAID_INTEREST)),
        "paid_costs": Sum("amount_ore", filter=Q(kind=K.PAID_COSTS)),
        "surplus": Sum("amount_ore", filter=Q(kind=K.SURPLUS)),
        "written_off_capital": Sum("amount_ore", filter=Q(kind=K.WRITTEN_OFF_CAPITAL)),
        "written_off_interest": Sum("amount_ore", filter=Q(kind=K.WRITTEN_OFF_INTEREST)),
    }


def claim_balance(claim: Claim) -> Balance:
    """The claim's ``Balance``: summed from its ledger when a page prefetched it (the claim
    page), else by the database."""
    if "ledger" in getattr(claim, "_prefetched_objects_cache", {}):
        return _balance_of(claim.ledger.all())
    sums = LedgerEntry.objects.filter(claim=claim).aggregate(**_sums())
    return Balance(**{k: v or 0 for k, v in sums.items()})


def _balance_of(entries) -> Balance:
    """``_sums`` in Python, over ledger rows already read."""
    K = LedgerEntry.Kind
    field = {K.CAPITAL: "capital", K.INTEREST: "interest", K.FEE: "fees",
             K.PAID_CAPITAL: "paid_capital", K.PAID_INTEREST: "paid_interest",
             K.PAID_COSTS: "paid_costs", K.SURPLUS: "surplus",
             K.WRITTEN_OFF_CAPITAL: "written_off_capital",
             K.WRITTEN_OFF_INTEREST: "written_off_interest"}
    totals = dict.fromkeys(_sums(), 0)
    for entry in entries:
        if entry.kind in field:
            totals[field[entry.kind]] += entry.amount_ore
        if entry.kind in LedgerEntry.PAYMENTS:
            totals["paid"] += entry.amount_ore
    return Balance(**totals)


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
        # The invoice number as a subquery, not a join: a join repeats a claim per invoice
        # and needs DISTINCT, which sorts the creditor's every match before the page's 25.
        # Both it and the debtors' names are looked for among the creditor's own (their
        # indexes), not among every creditor's: the search must not slow down as ekrav grows.
        match = (Q(debtor__name__icontains=query) | Q(case_number=query) | Q(ocr=query)
                 | Exists(Invoice.objects.filter(creditor=creditor, claim_id=OuterRef("pk"),
                                                 invoice_number__iexact=query)))
        if len(digits) >= 6:
            match |= Q(debtor__identity_number__contains=digits)
        qs = qs.filter(match, debtor__creditor=creditor)
    return qs.prefetch_related("invoices")


class LatePage:
    """A list the paginator slices in two steps: the page's ids in the list's own order (its
    index alone, however deep the page: an OFFSET skips index entries, not joined rows), then
    those rows with everything the page shows (their debtors joined, their prefetches). One
    query more than slicing the list, and a page 40 costs what page 1 does."""

    ordered = True  # the queryset's own order (the paginator warns on an unordered list)

    def __init__(self, queryset):
        self.queryset = queryset

    def count(self) -> int:
        return self.queryset.count()

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index: slice) -> list:
        ids = list(self.queryset.prefetch_related(None).values_list("pk", flat=True)[index])
        rows = {row.pk: row for row in self.queryset.filter(pk__in=ids)}
        return [rows[pk] for pk in ids if pk in rows]


def fee_caps_on(day) -> FeeCaps:
    """The statutory maximum of each fee in force on ``day`` (the latest row not after it);
    read once per request (ekrav.memo)."""
    return memoized(f"fee_caps_on:{day.isoformat()}", lambda: _fee_caps_on(day))


def _fee_caps_on(day) -> FeeCaps:
    kinds = (StatutoryFee.Kind.REMINDER, StatutoryFee.Kind.COLLECTION,
             StatutoryFee.Kind.LATE_PAYMENT_COMPENSATION)
    # No row in force means the law allows nothing yet: charge nothing.
    caps = dict.fromkeys(kinds, 0)
    seen = set()
    # One query for the three (the table holds a few rows per kind): the newest row wins.
    for kind, amount in (StatutoryFee.objects.filter(kind__in=kinds, valid_from__lte=day)
                         .order_by("-valid_from", "-id").values_list("kind", "amount_ore")):
        if kind not in seen:
            seen.add(kind)
            caps[kind] = amount
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


class _EqualsAny(Lookup):
    """``field = ANY(%s)`` with one array parameter: PostgreSQL plans it as one index scan
    over the sorted array, ~3x faster than ``IN (SELECT unnest(%s))`` for 100,000 values."""

    lookup_name = "equals_any"
    prepare_rhs = False

    def get_db_prep_lookup(self, value, connection):
        return "%s", [_array_literal(value)]

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        field = self.lhs.output_field
        # Strings as text[]: a cast to the column's varchar(n)[] would cut longer ones short.
        array_type = ("text" if field.get_internal_type() in ("CharField", "TextField")
                      else field.rel_db_type(connection) if field.is_relation
                      else field.db_type(connection))
        return f"{lhs} = ANY({rhs}::{array_type}[])", [*lhs_params, *rhs_params]


def _array_literal(values) -> str:
    """PostgreSQL's text form of an array, every element quoted ('{"1","2"}'): built in one
    join, where psycopg's list dumper looked at each element with a regular expression (~1 s
    for a file's 100,000 references and claims)."""
    return "{%s}" % ",".join(
        '"%s"' % str(value).replace("\\", "\\\\").replace('"', '\\"') for value in values)


def one_of(field: str, values):
    """A filter, ``field`` is one of ``values``, for a batch of thousands (a BgMax file's
    OCRs, its claims' ids): on PostgreSQL one array parameter (see ``_EqualsAny``);
    elsewhere ``field__in``, which the caller keeps to a few thousand values (SQLite's limit
    on parameters)."""
    if connection.vendor == "postgresql":
        return _EqualsAny(F(field), values)
    return Q(**{f"{field}__in": list(values)})


def reference_rates() -> tuple[interest.ReferenceRate, ...]:
    """The dated reference-rate table, as ``claims.interest`` takes it: one query, once per
    request (ekrav.memo)."""
    return memoized("reference_rates", lambda: tuple(
        interest.ReferenceRate(valid_from=r.valid_from, rate=r.rate)
        for r in ReferenceRate.objects.all()))


def interest_key(day: date) -> str:
    """An interest row's ledger key: interest to ``day``, booked at most once per claim."""
    return f"{INTEREST_PREFIX}{day.isoformat()}"


@dataclass(frozen=True)
class ClaimBooks:
    """A claim's invoices and ledger, as the pure statement (``claims.statement``) takes them,
    and what the ledger already holds of interest and fees."""

    invoices: tuple[InvoiceCapital, ...]
    charges: tuple[Charge, ...]  # the fees booked
    payments: tuple[Payment, ...]
    interest_booked_ore: int
    interest_days: frozenset[date]  # the days an interest row was booked for
    fees_charged: frozenset[str]  # FeeKind values
    reminder_fee_agreed: bool  # on any of its invoices
    ledger_outstanding_ore: int  # Balance.outstanding: charges less payments
    payment_keys: frozenset[str] = frozenset()  # the payments' ledger keys (exactly once)
    holds: tuple[Hold, ...] = ()  # invoices under a partial objection
    write_offs: tuple[WriteOff, ...] = ()  # invoices withdrawn after one

    @property
    def plain(self) -> bool:
        """No partial objection: the quick sums of ``claims.statement`` hold."""
        return not self.holds and not self.write_offs

    def statement(self, *, as_of: date, rates, interest_enabled: bool,
                  extra_payments=()) -> Statement:
        """The claim as of ``as_of``, with ``extra_payments`` not yet booked (e.g. the one
        being reported). ValueError when the rate table does not reach back."""
        return statement(invoices=self.invoices, charges=self.charges,
                         payments=(*self.payments, *extra_payments), as_of=as_of, rates=rates,
                         interest_enabled=interest_enabled, holds=self.holds,
                         write_offs=self.write_offs)

    def owed(self, *, as_of: date, rates: RateTable, interest_enabled: bool) -> Owed:
        """What the claim owes as of ``as_of`` (``claims.statement.owed``); ValueError when
        the rate table does not reach back."""
        return owed(invoices=self.invoices, charges=self.charges, payments=self.payments,
                    as_of=as_of, rates=rates, interest_enabled=interest_enabled,
                    holds=self.holds, write_offs=self.write_offs)

    def interest_to_book(self, accrued: Statement | Owed | None) -> int:
        """What to book as interest on ``accrued.as_of``: 0 without a statement, or when that
        day's interest row exists (a payment and a step on one day book one row)."""
        if accrued is None or accrued.as_of in self.interest_days:
            return 0
        return interest_to_book(accrued, self.interest_booked_ore)


def _books(ledger_rows, invoice_rows, holds=()) -> ClaimBooks:
    """``ClaimBooks`` from one claim's ledger rows ``(id, kind, key, amount, booked_on)``,
    invoice rows ``(id, due_date, amount, reminder_fee_agreed)`` and partial objections'
    ``Hold``s."""
    K = LedgerEntry.Kind
    charges, payments, fees, days, keys, write_offs = [], [], set(), set(), set(), {}
    interest_booked = outstanding = 0
    for pk, kind, key, amount, booked_on in ledger_rows:
        if kind in LedgerEntry.ALLOCATIONS:
            continue  # the detail of a payment, already counted as the payment
        if kind in LedgerEntry.WRITE_OFFS:
            outstanding -= amount
            invoice_id = written_off_invoice(key)
            write_offs[invoice_id] = WriteOff(invoice_id=invoice_id, on=booked_on)
            continue
        if kind in LedgerEntry.PAYMENTS:
            outstanding -= amount
            # Zero-padded: the statement orders one day's payments by ref, as they were booked.
            payments.append(Payment(on=booked_on, amount_ore=amount, ref=f"{pk:020d}"))
            keys.add(key)
            continue
        outstanding += amount
        if kind == K.FEE:
            charges.append(Charge(on=booked_on, kind=key, amount_ore=amount))
            # A plain string equals its FeeKind (StrEnum); a kind the engine does not charge
            # (an amorteringsplan's, say) is simply not one of its fees.
            fees.add(key.removeprefix(FEE_PREFIX))
        elif kind == K.INTEREST:
            interest_booked += amount
            if key.startswith(INTEREST_PREFIX):
                days.add(date.fromisoformat(key.removeprefix(INTEREST_PREFIX)))
    return ClaimBooks(
        invoices=tuple([InvoiceCapital(pk, due, amount) for pk, due, amount, _ in invoice_rows]),
        charges=tuple(charges), payments=tuple(payments), interest_booked_ore=interest_booked,
        interest_days=frozenset(days) if days else _NONE,
        fees_charged=frozenset(fees) if fees else _NONE,
        reminder_fee_agreed=any([row[3] for row in invoice_rows]),
        ledger_outstanding_ore=outstanding, payment_keys=frozenset(keys) if keys else _NONE,
        holds=tuple(holds), write_offs=tuple(write_offs.values()))


_NONE = frozenset()  # shared by the many claims without fees, interest days or payments

_LEDGER_FIELDS = ("id", "kind", "key", "amount_ore", "booked_on")
_INVOICE_FIELDS = ("id", "due_date", "amount_ore", "reminder_fee_agreed")


def claim_books_of(ids) -> dict[int, ClaimBooks]:
    """``ClaimBooks`` of a batch of claims in three queries (the ledger, the invoices, partial
    objections; a fourth for their invoices when there are any)."""
    ledger, invoices = {pk: [] for pk in ids}, {pk: [] for pk in ids}
    for claim_id, *row in (LedgerEntry.objects.filter(one_of("claim_id", ids)).order_by()
                           .values_list("claim_id", *_LEDGER_FIELDS)):
        ledger[claim_id].append(row)
    for claim_id, *row in (Invoice.objects.filter(one_of("claim_id", ids)).order_by()
                           .values_list("claim_id", *_INVOICE_FIELDS)):
        invoices[claim_id].append(row)
    holds = claims_holds(Dispute.objects.filter(one_of("claim_id", ids)))
    return {pk: _books(ledger[pk], invoices[pk], holds.get(pk, ())) for pk in ids}


def claims_holds(disputes) -> dict[int, list[Hold]]:
    """{claim id: [Hold]} of the partial objections among ``disputes`` (a queryset): one
    query, and one more for their invoices when there are any."""
    partial = {pk: (claim_id, start, end) for pk, claim_id, start, end in disputes.filter(
        held_from__isnull=False).order_by().values_list("pk", "claim_id", "held_from",
                                                        "held_until")}
    found = {}
    if partial:
        for dispute_id, invoice_id in (Dispute.invoices.through.objects
                                       .filter(dispute_id__in=list(partial)).order_by()
                                       .values_list("dispute_id", "invoice_id")):
            claim_id, start, end = partial[dispute_id]
            found.setdefault(claim_id, []).append(Hold(invoice_id=invoice_id, start=start,
                                                       end=end))
    return found


def claim_books(claim: Claim) -> ClaimBooks:
    """One claim's ``ClaimBooks`` (from its prefetched ledger and invoices, if they are). Its
    partial objections are read once per instance, like a prefetch: a page builds the books
    several times; a service that changes them reads the claim again."""
    holds = getattr(claim, "_holds_read", None)
    if holds is None:
        holds = claim._holds_read = tuple(
            claims_holds(Dispute.objects.filter(claim_id=claim.pk)).get(claim.pk, ()))
    return _books([tuple(getattr(e, f) for f in _LEDGER_FIELDS) for e in claim.ledger.all()],
                  [tuple(getattr(i, f) for f in _INVOICE_FIELDS) for i in claim.invoices.all()],
                  holds)


@dataclass(frozen=True)
class ClaimState:
    """One claim on a day, as the tick looks at it: the engine's snapshot, what it owes as of
    the day (None when the rate table does not reach back) and its books."""

    snapshot: Snapshot
    owed: Owed | None
    books: ClaimBooks

    @property
    def interest_to_book_ore(self) -> int:
        return self.books.interest_to_book(self.owed)


def claim_snapshots(claims, *, as_of: date | None = None,
                    prefetched: bool = False) -> dict[int, Snapshot]:
    """Everything ``decide`` needs, as of a day (today by default), for a few claims; with
    ``prefetched``, from the books the claims were read with (a page), not read again."""
    as_of = as_of or timezone.localdate()
    rows = [(c.pk, c.status, c.registered_on, c.debtor.kind, claim_policy(c).interest_enabled,
             c.hold_until) for c in claims]
    # A page that read its claim's ledger and invoices (prefetched) says so: its books from
    # them. A service reads them afresh: it may have written since they were read.
    read = {c.pk: claim_books(c) for c in claims
            if prefetched and _prefetched(c, "ledger", "invoices")}
    states = claim_states_of(rows, as_of=as_of, rates=RateTable(reference_rates()),
                             books=read if len(read) == len(rows) else None)
    return {pk: state.snapshot for pk, state in states.items()}


def _prefetched(instance, *names) -> bool:
    cache = getattr(instance, "_prefetched_objects_cache", {})
    return all(name in cache for name in names)


def claim_states_of(rows, *, as_of: date, rates: RateTable,
                    books: dict[int, ClaimBooks] | None = None) -> dict[int, ClaimState]:
    """``ClaimState`` of every claim of plain rows ``(id, status, registered_on, debtor kind,
    interest on[, hold until])``, as the tick's locking query reads them (no model instances:
    the tick reads 1000 claims a batch), with ``rates`` read and prepared once by the caller,
    and ``books`` when the caller has them (``claim_books`` of claims read with their ledger
    and invoices). A row without the hold gives a snapshot without one.

    A few queries whatever the batch size: the books (``claim_books_of``) and the steps taken.
    The snapshot's ``outstanding_ore`` is what is asked of the debtor as of ``as_of``, interest
    to that day included (a debtor who paid the capital only has not paid), less what a partial
    objection holds (the engine takes no step for nothing); without a statement, the ledger's
    balance.
    """
    ids = [row[0] for row in rows]
    books = books if books is not None else claim_books_of(ids)
    steps = {}
    taken = Step.objects.filter(claim_id__in=ids_in(ids)).order_by()
    for claim_id, kind, taken_on, deadline in taken.values_list("claim_id", "kind", "taken_on",
                                                                "deadline"):
        steps[claim_id, kind] = (taken_on, deadline)
    out = {}
    for pk, status, registered_on, debtor_kind, interest_enabled, *hold in rows:
        try:
            owes = books[pk].owed(as_of=as_of, rates=rates, interest_enabled=interest_enabled)
        except ValueError:  # shown on the claim page; the claim still moves on, on its capital
            owes = None
        reminder_sent_on, reminder_deadline = steps.get((pk, "reminder"), (None, None))
        demand_sent_on, demand_deadline = steps.get((pk, "demand"), (None, None))
        snapshot = Snapshot(
            status=status, registered_on=registered_on, debtor_kind=debtor_kind,
            reminder_fee_agreed=books[pk].reminder_fee_agreed,
            outstanding_ore=(owes.collectible_ore if owes
                             else books[pk].ledger_outstanding_ore),
            reminder_sent_on=reminder_sent_on, reminder_deadline=reminder_deadline,
            demand_sent_on=demand_sent_on, demand_deadline=demand_deadline,
            hold_until=hold[0] if hold else None, fees_charged=books[pk].fees_charged)
        out[pk] = ClaimState(snapshot=snapshot, owed=owes, books=books[pk])
    return out


def claim_statement(claim: Claim, *, as_of):
    """The claim as of a day, itemised (claims.statement): interest on the capital still owed,
    payments allocated costs -> interest -> capital. None, with the reason, when the rate table
    does not reach back to an interest day (staff add the missing reference rates)."""
    try:
        return claim_books(claim).statement(
            as_of=as_of, rates=reference_rates(),
            interest_enabled=claim_policy(claim).interest_enabled), ""
    except ValueError as exc:
        return None, str(exc)


def open_case_for(creditor, identity_number: str) -> Claim | None:
    """The creditor's open case for the debtor with this identity number (normalised, as
    ``Debtor.identity_number`` stores it) that a new invoice would join, or None.

    The rule of ``claims.services.invoice_register`` (its ``JOINABLE`` statuses, the oldest such
    case), read without a lock: a preview of where an invoice would go, which the registration
    itself checks again under its lock. Only ``creditor``'s own debtors and cases are looked at.
    """
    from claims.services import JOINABLE  # services reads through this module

    if not identity_number:
        return None
    return (Claim.objects.for_creditor(creditor)
            .filter(debtor__creditor=creditor, debtor__identity_number=identity_number,
                    status__in=JOINABLE)
            .select_related("debtor", "creditor__policy").prefetch_related("invoices")
            .order_by("id").first())


def dashboard_months(*, creditor, today: date, count: int = 12):
    """The creditor's registered, collected and outstanding amounts per month (the dashboard):
    three grouped queries over the ledger, whatever the number of claims."""
    from django.db.models import Case, When
    from django.db.models.functions import TruncMonth

    from claims.dashboard import monthly, months_back

    first = months_back(today, count)[0]
    K = LedgerEntry.Kind
    ledger = LedgerEntry.objects.filter(claim__creditor=creditor)

    def per_month(kinds) -> dict[date, int]:
        rows = (ledger.filter(kind__in=kinds, booked_on__gte=first, booked_on__lte=today)
                .annotate(month=TruncMonth("booked_on")).values("month")
                .annotate(total=Sum("amount_ore")).order_by())
        return {row["month"]: row["total"] for row in rows}

    before = ledger.filter(booked_on__lt=first).aggregate(
        charged=Sum("amount_ore", filter=Q(kind__in=LedgerEntry.CHARGES)),
        written_off=Sum("amount_ore", filter=Q(kind__in=LedgerEntry.WRITE_OFFS)),
        paid=Sum("amount_ore", filter=Q(kind__in=LedgerEntry.PAYMENTS)),
        surplus=Sum("amount_ore", filter=Q(kind=K.SURPLUS)))
    paid = per_month(LedgerEntry.PAYMENTS)
    for month, surplus in per_month([K.SURPLUS]).items():  # held for refund: not collected
        paid[month] = paid.get(month, 0) - surplus
    # Charged less withdrawn (an invoice written off after a partial objection), one query.
    charged = {row["month"]: row["total"] for row in (
        ledger.filter(kind__in=[*LedgerEntry.CHARGES, *LedgerEntry.WRITE_OFFS],
                      booked_on__gte=first, booked_on__lte=today)
        .annotate(month=TruncMonth("booked_on")).values("month")
        .annotate(total=Sum(Case(When(kind__in=LedgerEntry.WRITE_OFFS,
                                      then=-F("amount_ore")), default=F("amount_ore"),
                                 output_field=LedgerEntry._meta.get_field("amount_ore"))))
        .order_by())}
    return monthly(today=today, count=count,
                   charged_before=(before["charged"] or 0) - (before["written_off"] or 0),
                   paid_before=(before["paid"] or 0) - (before["surplus"] or 0),
                   charged=charged, registered=per_month([K.CAPITAL]), paid=paid)


# --- The decision inbox (claims.decision, claims.decisions) -----------------------------------

def decision_tracks() -> dict:
    """{(choice, outcome): Track}: how claims decided each way, by their check's outcome, have
    ended at ekrav so far (all creditors' claims, counted, never shown one by one)."""
    from django.db.models import Count, Value
    from django.db.models.functions import Coalesce

    from claims.decision import UNKNOWN, Track
    from claims.models import CLOSED_STATUSES, Decision

    rows = (Decision.objects.annotate(outcome=Coalesce("solvency_check__outcome",
                                                       Value(UNKNOWN)))
            .values("choice", "outcome").order_by()
            .annotate(decided=Count("id"), paid=Count("id", filter=Q(claim__status="paid")),
                      closed=Count("id", filter=Q(claim__status__in=CLOSED_STATUSES))))
    return {(r["choice"], r["outcome"]): Track(decided=r["decided"], paid=r["paid"],
                                               closed=r["closed"]) for r in rows}


def decision_inbox(*, creditor):
    """The creditor's claims waiting for their decision, oldest wait first, each with its
    checks (newest first) and its decision step, in a fixed number of queries."""
    from django.db.models import OuterRef, Prefetch, Subquery

    from claims.models import SolvencyCheck

    return (Claim.objects.for_creditor(creditor).filter(status="awaiting_decision")
            .select_related("debtor")
            .prefetch_related(Prefetch("solvency_checks",
                                       queryset=SolvencyCheck.objects.order_by("-taken_on",
                                                                               "-id")),
                              Prefetch("steps", queryset=Step.objects.filter(kind="decision")),
                              "invoices")
            .annotate(waiting_since=Subquery(
                Step.objects.filter(claim=OuterRef("pk"), kind="decision").values("taken_on")[:1]))
            .order_by("waiting_since", "pk"))


def kronofogden_fee_on(day) -> int:
    """Kronofogden's application fee for a betalningsföreläggande in force on ``day``."""
    row = (StatutoryFee.objects.filter(kind=StatutoryFee.Kind.KFM_APPLICATION,
                                       valid_from__lte=day).order_by("-valid_from").first())
    return row.amount_ore if row else 0


def claims_interruptions(claim_ids, *, ledgers=None) -> dict[int, list]:
    """{claim id: what interrupted its limitation}, as the claims room knows it: payments (to
    the agency, or reported as paid to the creditor) and applications sent to Kronofogden; in
    two queries for a batch, one when ``ledgers`` ({claim id: its ledger rows}) has been read.
    The letters room adds its letters (letters.selectors)."""
    from claims.limitation import Interruption
    from claims.models import KronofogdenApplication

    found = {pk: [] for pk in claim_ids}
    payments = ((pk, e.booked_on) for pk, rows in ledgers.items() for e in rows
                if e.kind in LedgerEntry.PAYMENTS) if ledgers is not None else (
        LedgerEntry.objects.filter(claim_id__in=claim_ids, kind__in=LedgerEntry.PAYMENTS)
        .values_list("claim_id", "booked_on"))
    for pk, day in payments:
        found[pk].append(Interruption(on=day, reason="payment"))
    for pk, day in (KronofogdenApplication.objects.filter(claim_id__in=claim_ids,
                                                         sent_on__isnull=False)
                    .values_list("claim_id", "sent_on")):
        found[pk].append(Interruption(on=day, reason="kronofogden"))
    return found
