"""How fast the collection tick moves due claims, against a SQL floor measured in the same run.

    .venv/bin/python bench/collection_tick.py [--claims N] [--creditors C] [--cprofile]

Needs PostgreSQL (the tick's locking is PostgreSQL's): DATABASE_URL, or by default
postgres://postgres@127.0.0.1:5432/postgres. It works in a throwaway database ``ekrav_bench_tick``
created and dropped here (the URL's own database is never touched). It migrates, onboards C
creditors (each with the default kravpolicy), registers N claims through ``claim_register_many``
(real rows: debtor, invoice, capital ledger row, registered event, ``next_action_on``; ~30% of
the debtors have a second invoice, which joins their case: one case per debtor), all registered
on one day and so all due on the next bank day, then:

- the FLOOR: one SQL ``UPDATE claims_claim SET status = 'reminder_sent'`` of exactly the rows the
  tick will take, in a transaction that is rolled back (best of 3, VACUUM between rounds so the
  tick does not trip over the dead row versions);
- the TICK: ``collection_tick(day=...)``, which takes the reminder step for all N claims and
  books each claim's interest to that day (every invoice is overdue: one interest row each).

It prints the tick's claims/second, its queries per 1000 claims, the ratio tick/floor against
the target (issue 3: within 10x), and where the tick's time goes: per phase of a batch (marks at
the entry and exit of the tick's own functions; the gaps between them are the inline code, e.g.
the locking SELECT and the decide loop) and per kind of SQL statement. ``--cprofile`` runs the
tick under cProfile instead and prints the top 15 functions by cumulative time (the profiler
slows the tick down: its seconds are then not the figure to compare).
"""

import argparse
import contextlib
import os
import random
import re
import sys
import time
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

from benchdb import engine, in_throwaway_postgres

ROOT = Path(__file__).resolve().parent.parent
# Its own name: bench/csv_import.py drops "ekrav_bench", and the two may run at once.
BENCH_DATABASE = "ekrav_bench_tick"
TARGET_RATIO = 10.0
# A Monday: every claim is due on Tuesday 3 March 2026, a bank day.
REGISTERED_ON = date(2026, 3, 2)

FIRST_NAMES = ("Anna", "Erik", "Maria", "Lars", "Karin", "Johan", "Eva", "Per", "Sara", "Örjan")
LAST_NAMES = ("Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Larsson", "Åström")
COMPANY_WORDS = ("Bygg", "Måleri", "Konsult", "Transport", "Städ", "Fastighet", "El")
CITIES = ("Stockholm", "Göteborg", "Malmö", "Uppsala", "Västerås", "Örebro", "Linköping")
STREETS = ("Storgatan", "Kyrkvägen", "Skolgatan", "Björkvägen", "Hamngatan", "Ringvägen")


def main() -> int:
    return in_throwaway_postgres(BENCH_DATABASE, bench, parse_args())


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--claims", type=int, default=100_000, help="due claims to move")
    parser.add_argument("--creditors", type=int, default=100, help="creditors owning them")
    parser.add_argument("--seed", type=int, default=1, help="random seed of the generated data")
    parser.add_argument("--cprofile", action="store_true",
                        help="run the tick under cProfile (slower) and print the top 15")
    return parser.parse_args()


def bench(args) -> int:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ekrav.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from ekrav.calendar import first_bank_day_after

    call_command("migrate", verbosity=0)
    day = first_bank_day_after(REGISTERED_ON)
    print(f"engine: {engine(connection)}, Django {django.get_version()}, "
          f"DEBUG={settings.DEBUG}")

    started = time.perf_counter()
    creditors = make_creditors(args.creditors, random.Random(args.seed))
    registered = register_claims(creditors, args.claims, random.Random(args.seed + 1))
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    print(f"setup: {len(creditors)} creditors, {registered} claims registered on "
          f"{REGISTERED_ON}, due {day} ({time.perf_counter() - started:.1f} s)")
    if registered != args.claims:
        print(f"expected {args.claims} claims, registered {registered}", file=sys.stderr)
        return 1

    floor_s, floor_rows = floor(day)
    if args.cprofile:
        tick_s, queries, result, marks, sql = run_tick_cprofile(day)
    else:
        tick_s, queries, result, marks, sql = run_tick(day)
    checks = check(day, args.claims)
    connection.close()

    n = result.claims_seen
    print(f"claims: {args.claims} due, tick saw {n}, took {result.steps_taken} steps")
    print(f"TICK collection_tick(day={day}){' under cProfile' if args.cprofile else ''}: "
          f"{tick_s:.3f} s, {n / tick_s:.0f} claims/s, "
          f"{queries * 1000 / max(n, 1):.1f} queries per 1000 claims ({queries} queries)")
    print(f"FLOOR one SQL UPDATE of the same {floor_rows} rows (best of 3, rolled back): "
          f"{floor_s:.3f} s, {floor_rows / floor_s:.0f} rows/s")
    ratio = tick_s / floor_s
    print(f"ratio tick/floor: {ratio:.1f}x (target: within {TARGET_RATIO:.0f}x) "
          f"-> {'MET' if ratio <= TARGET_RATIO else 'NOT MET'}")
    if marks is not None:
        print_profile(marks, sql, tick_s)
    for line in checks:
        print(f"check: {line}")
    ok = (result.steps_taken == args.claims and floor_rows == args.claims
          and all(line.endswith("ok") for line in checks))
    return 0 if ok else 1


# --- the data ----------------------------------------------------------------------------------


def make_creditors(count: int, rng: random.Random):
    """``count`` creditors through the real onboarding (each gets the default kravpolicy), one
    user their signatory, each agreement signed."""
    from django.contrib.auth import get_user_model

    from creditors.onboarding import parse_onboarding
    from creditors.services import creditor_onboard

    user = get_user_model().objects.create_user(username="bench@example.se",
                                                email="bench@example.se", password=None)
    creditors, used = [], set()
    for i in range(count):
        while (number := orgnr(rng, first="5")) in used:
            pass
        used.add(number)
        data = {
            "organisation_number": number, "form": "AB", "name": f"Bench {i} AB",
            "street": f"Storgatan {i + 1}", "postal_code": "111 22", "city": "Stockholm",
            "bankgiro": "5050-1055", "report_email": f"ekonomi{i}@bench.se",
            "f_tax_confirmed": True, "default_invoice_text": "Byggarbeten",
            "contact_name": "Bo Bench", "contact_personnummer": "19811228-9874",
            "contact_phone": "070-123 45 67",
        }
        parsed, errors = parse_onboarding(data, today=REGISTERED_ON)
        assert not errors, errors
        creditor = creditor_onboard(data=parsed, signatory=user)
        sign_agreement(creditor, user)
        creditors.append(creditor)
    return creditors


def sign_agreement(creditor, user) -> None:
    """The service agreement signed as BankID's simulator signs it: ekrav collects nothing for
    a company before (creditors.agreement)."""
    from django.utils import timezone

    from creditors.services import agreement_sign, agreement_text_for
    from ekrav.bankid_simulator import signed_completion

    completion = signed_completion(text=agreement_text_for(creditor),
                                   personal_number=creditor.contact_personnummer,
                                   given_name="Bo", surname="Bench")
    agreement_sign(creditor=creditor, user=user, completion=completion, now=timezone.now())


def register_claims(creditors, n: int, rng: random.Random) -> int:
    """n claims spread over the creditors, through the bulk registration the CSV import uses;
    returns the number of cases made."""
    from claims.services import Registered, claim_register_many

    registered = set()
    per_creditor = [n // len(creditors) + (i < n % len(creditors))
                    for i in range(len(creditors))]
    for creditor, count in zip(creditors, per_creditor):
        results = claim_register_many(creditor=creditor, today=REGISTERED_ON,
                                      registrations=make_registrations(count, rng))
        registered.update(r.claim.pk for r in results if isinstance(r, Registered))
    return len(registered)


def make_registrations(count: int, rng: random.Random):
    """One creditor's overdue invoices in ``count`` cases: one debtor each, ~30% of them with
    a second invoice (which joins the case), ~25% of debtors companies, half the invoices with
    the reminder fee agreed (so ~40% of reminders carry a fee)."""
    from claims.registration import InvoiceInput, Registration

    used, out = set(), []
    for _case in range(count):
        debtor = make_debtor(rng, used)
        for _invoice in range(2 if rng.random() < 0.3 else 1):
            invoice_date = REGISTERED_ON - timedelta(days=rng.randint(40, 400))
            out.append(Registration(debtor=debtor, invoice=InvoiceInput(
                invoice_number=f"F-{100000 + len(out)}", invoice_date=invoice_date,
                due_date=invoice_date + timedelta(days=30),
                amount_ore=rng.randint(10_000, 25_000_000),
                description=rng.choice(("Målning", "Konsulttimmar", "Material", "Städning")),
                reminder_fee_agreed=rng.random() < 0.5)))
    return out


def make_debtor(rng: random.Random, used: set):
    from claims.registration import DebtorInput

    while True:
        company = rng.random() < 0.25
        identity = orgnr(rng) if company else personnummer(rng)
        if identity not in used:
            used.add(identity)
            break
    name = (f"{rng.choice(LAST_NAMES)}s {rng.choice(COMPANY_WORDS)} AB" if company
            else f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}")
    return DebtorInput(
        kind="company" if company else "person", identity_number=identity, name=name,
        street=f"{rng.choice(STREETS)} {rng.randint(1, 99)}",
        postal_code=f"{rng.randint(100, 999)}{rng.randint(0, 99):02d}", city=rng.choice(CITIES),
        email=f"kund{len(used)}@example.se" if rng.random() < 0.6 else "")


def personnummer(rng: random.Random) -> str:
    """The normalised 12-digit form, with a valid check digit."""
    from ekrav.identifiers import luhn_check_digit

    year, month, day = rng.randint(1940, 2004), rng.randint(1, 12), rng.randint(1, 28)
    payload = f"{year % 100:02d}{month:02d}{day:02d}{rng.randint(0, 999):03d}"
    return f"{year}{payload[2:]}{luhn_check_digit(payload)}"


def orgnr(rng: random.Random, first: str = "") -> str:
    """The normalised NNNNNN-NNNN form, with a valid check digit."""
    from ekrav.identifiers import luhn_check_digit

    # Digits 3-4 of 20 or more are what make it an organisationsnummer, not a personnummer.
    payload = f"{first or 5}{rng.randint(0, 9)}{rng.randint(20, 99)}{rng.randint(0, 99999):05d}"
    return f"{payload[:6]}-{payload[6:]}{luhn_check_digit(payload)}"


# --- the floor ---------------------------------------------------------------------------------

FLOOR_SQL = """
    UPDATE claims_claim SET status = 'reminder_sent'
    WHERE id IN (SELECT id FROM claims_claim
                 WHERE status IN ('registered', 'reminder_sent', 'demand_sent')
                   AND next_action_on <= %s)
"""


def floor(day: date, rounds: int = 3) -> tuple[float, int]:
    """One UPDATE of every row the tick will take, rolled back: the best of ``rounds``."""
    from django.db import connection, transaction

    best = None
    for _round in range(rounds):
        with transaction.atomic(), connection.cursor() as cursor:
            started = time.perf_counter()
            cursor.execute(FLOOR_SQL, [day])
            seconds = time.perf_counter() - started
            rows = cursor.rowcount
            transaction.set_rollback(True)
        with connection.cursor() as cursor:
            # The rolled-back versions would otherwise be in the tick's way (and not in prod's).
            cursor.execute("VACUUM ANALYZE claims_claim")
        best = min(best or (seconds, rows), (seconds, rows))
    return best


# --- the tick, with marks ----------------------------------------------------------------------

# The functions of claims.collection whose entry and exit are marked, when they exist (names of
# the tick before and after its rework, so the bench profiles either). The batch is
# ``_tick_batch`` (its commit included); time between marks is the inline code.
MARKED = ("_tick_batch", "_lock_batch", "claim_snapshots", "snapshots_of", "claim_states_of",
          "_policies", "stored_policies", "_write_steps", "_move_statuses", "_move_next_dates")
BATCH = "_tick_batch"
# What the inline code between two marks is, where it is worth saying.
GAPS = {
    "batch start -> next mark": "locking SELECT + model instances (inline before the rework)",
    "after claim_snapshots() -> next mark": "the decide loop",
    "after claim_states_of() -> next mark": "the decide loop",
    "after _move_statuses() -> next mark": "(before: the next-date UPDATE) and COMMIT",
    "after _move_next_dates() -> next mark": "COMMIT (deferred foreign key checks)",
}


class Marks:
    """Where a batch's time goes: time inside each marked function (exclusive of nested marked
    ones) and in the gaps after each mark, plus the SQL run in each of them."""

    def __init__(self):
        self.stack = []  # open marked functions
        self.last = "start"  # the label of the interval now running
        self.since = None
        self.phase_s = defaultdict(float)
        self.phase_sql_s = defaultdict(float)
        self.phase_order = []

    def _switch(self, label):
        now = time.perf_counter()
        if self.since is not None:
            self.phase_s[self.last] += now - self.since
            if self.last not in self.phase_order:
                self.phase_order.append(self.last)
        self.last, self.since = label, now

    def wrap(self, name, fn):
        def marked(*args, **kwargs):
            self.stack.append(name)
            self._switch(f"in {name}()" if name != BATCH else "batch start -> next mark")
            try:
                return fn(*args, **kwargs)
            finally:
                self.stack.pop()
                if self.stack:
                    inner = self.stack[-1]
                    self._switch(f"after {name}() -> next mark" if inner == BATCH
                                 else f"in {inner}()")
                else:
                    self._switch("between batches")
        return marked


def sql_kind(sql: str) -> str:
    text = sql.lstrip().upper()
    verb = text.split(None, 1)[0] if text else "?"
    if "NEXTVAL(" in text:
        return f"{verb} nextval (ids drawn for a COPY)"
    table = re.search(r'(?:FROM|INTO|UPDATE|COPY)\s+"?(\w+)"?', sql, re.IGNORECASE)
    kind = f"{verb} {table.group(1) if table else ''}".strip()
    if verb == "COPY":
        kind += " (the block, writing the rows included)"
    if "FOR UPDATE" in text:
        kind += " FOR UPDATE"
    if verb == "UPDATE":
        column = re.search(r'SET\s+"?(\w+)"?', sql, re.IGNORECASE)
        kind += f" SET {column.group(1)}" if column else ""
        if " CASE " in text:
            kind += " (CASE)"
    return kind


def run_tick(day: date):
    import psycopg
    from django.db import connection

    from claims import collection

    marks = Marks()
    sql = defaultdict(lambda: [0, 0.0])  # kind -> [count, seconds]
    queries = 0

    def timed_execute(execute, sql_text, params, many, context):
        nonlocal queries
        queries += 1
        started = time.perf_counter()
        try:
            return execute(sql_text, params, many, context)
        finally:
            seconds = time.perf_counter() - started
            entry = sql[sql_kind(sql_text)]
            entry[0] += 1
            entry[1] += seconds
            marks.phase_sql_s[marks.last] += seconds

    originals = {name: getattr(collection, name) for name in MARKED if hasattr(collection, name)}
    connection.ensure_connection()
    commit = connection.connection.commit  # the psycopg connection's: the COMMIT round trip

    def timed_commit():
        started = time.perf_counter()
        try:
            return commit()
        finally:
            seconds = time.perf_counter() - started
            entry = sql["COMMIT"]
            entry[0] += 1
            entry[1] += seconds
            marks.phase_sql_s[marks.last] += seconds

    copy = psycopg.Cursor.copy  # COPY does not go through Django's execute wrappers

    @contextlib.contextmanager
    def timed_copy(cursor, statement, *args, **kwargs):
        nonlocal queries
        queries += 1
        started = time.perf_counter()
        try:
            with copy(cursor, statement, *args, **kwargs) as block:
                yield block
        finally:
            seconds = time.perf_counter() - started
            entry = sql[sql_kind(str(statement))]
            entry[0] += 1
            entry[1] += seconds
            marks.phase_sql_s[marks.last] += seconds

    for name, fn in originals.items():
        setattr(collection, name, marks.wrap(name, fn))
    connection.connection.commit = timed_commit
    psycopg.Cursor.copy = timed_copy
    try:
        with connection.execute_wrapper(timed_execute):
            started = time.perf_counter()
            result = collection.collection_tick(day=day)
            seconds = time.perf_counter() - started
        marks._switch("done")
    finally:
        for name, fn in originals.items():
            setattr(collection, name, fn)
        connection.connection.commit = commit
        psycopg.Cursor.copy = copy
    return seconds, queries, result, marks, sql


def run_tick_cprofile(day: date):
    import cProfile
    import pstats

    from claims.collection import collection_tick

    profiler = cProfile.Profile()
    started = time.perf_counter()
    result = profiler.runcall(collection_tick, day=day)
    seconds = time.perf_counter() - started
    print("cProfile of the tick, top 15 by cumulative time:")
    pstats.Stats(profiler, stream=sys.stdout).sort_stats("cumulative").print_stats(15)
    return seconds, 0, result, None, None


def print_profile(marks: Marks, sql, tick_s: float) -> None:
    print("where the tick's time goes, per phase of a batch (SQL = time inside execute, COPY "
          "and commit; the rest is Python):")
    for label in marks.phase_order:
        if label in ("start", "done"):
            continue
        seconds, in_sql = marks.phase_s[label], marks.phase_sql_s[label]
        note = f"  <- {GAPS[label]}" if label in GAPS and seconds > 0.0005 * tick_s else ""
        print(f"  {label:<42} {seconds:7.3f} s {seconds / tick_s:6.1%}   "
              f"SQL {in_sql:6.3f} s, Python {seconds - in_sql:6.3f} s{note}")
    print("  per kind of statement:")
    for kind, (count, seconds) in sorted(sql.items(), key=lambda kv: -kv[1][1]):
        print(f"    {kind[:60]:<60} {count:5d} x {seconds:7.3f} s {seconds / tick_s:6.1%}")
    total_sql = sum(seconds for _count, seconds in sql.values())
    print(f"  total: SQL {total_sql:.3f} s ({total_sql / tick_s:.0%}), "
          f"Python {tick_s - total_sql:.3f} s ({1 - total_sql / tick_s:.0%})")


def check(day: date, n: int) -> list[str]:
    """The tick did what it must: one reminder per claim, fees once, the next date set."""
    from django.db.models import Count

    from claims.models import Claim, Event, LedgerEntry, Status, Step
    from ekrav.calendar import first_bank_day_after, next_bank_day

    deadline = next_bank_day(day + timedelta(days=10))
    next_on = first_bank_day_after(deadline + timedelta(days=5))
    statuses = dict(Claim.objects.values_list("status").annotate(n=Count("id")))
    steps = Step.objects.filter(kind="reminder", taken_on=day, deadline=deadline).count()
    events = Event.objects.filter(kind=Event.Kind.STEP_REMINDER, occurred_on=day).count()
    fees = LedgerEntry.objects.filter(kind=LedgerEntry.Kind.FEE, key="fee:reminder_fee").count()
    due_next = Claim.objects.filter(next_action_on=next_on).count()
    interest = LedgerEntry.objects.filter(kind=LedgerEntry.Kind.INTEREST,
                                          key=f"interest:{day.isoformat()}").count()
    return [
        f"statuses {statuses}: {'ok' if statuses == {Status.REMINDER_SENT: n} else 'WRONG'}",
        f"{steps} reminder steps with deadline {deadline}: {'ok' if steps == n else 'WRONG'}",
        f"{events} reminder events: {'ok' if events == n else 'WRONG'}",
        f"{fees} reminder fees ({fees / n:.0%} of claims): {'ok' if 0 < fees < n else 'WRONG'}",
        f"{due_next} claims next due {next_on}: {'ok' if due_next == n else 'WRONG'}",
        f"{interest} interest rows to {day}: {'ok' if interest == n else 'WRONG'}",
        check_interest(day),
    ]


def check_interest(day: date, sample: int = 200) -> str:
    """The interest booked equals the statement's interest to the day, on a sample of claims
    (two-invoice cases among them)."""
    from django.db.models import Count

    from claims.models import Claim, LedgerEntry
    from claims.selectors import claim_statement

    claims = list(Claim.objects.annotate(n=Count("invoices")).select_related("creditor__policy")
                  .order_by("id")[::max(1, Claim.objects.count() // sample)])
    wrong = [c.pk for c in claims
             if claim_statement(c, as_of=day)[0].interest_accrued_ore != sum(
                 LedgerEntry.objects.filter(claim=c, kind=LedgerEntry.Kind.INTEREST)
                 .values_list("amount_ore", flat=True))]
    merged = sum(c.n > 1 for c in claims)
    return (f"interest booked = statement's on {len(claims)} claims ({merged} with two "
            f"invoices): {'ok' if not wrong and merged else f'WRONG {wrong[:5]}'}")


# --- the database ------------------------------------------------------------------------------



if __name__ == "__main__":
    sys.exit(main())
