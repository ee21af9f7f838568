"""How fast a CSV bulk import registers claims, against a floor measured in the same run.

    .venv/bin/python bench/csv_import.py [--rows N] [--seed S]

Runs against the configured database: SQLite (the embedded default, in a temporary
EKRAV_VAR_DIR made here) or, with DATABASE_URL set, PostgreSQL, in a throwaway database
``ekrav_bench`` created and dropped here (the URL's own database is never touched). It migrates,
onboards a creditor, generates an N-row CSV of overdue invoices (about 30% of rows reuse a debtor,
identity numbers with valid check digits), then times the preview and the run
(``claim_import_run`` called directly, not through Celery) and counts the run's queries.

The BASELINE is the floor for the same number of claims: ``bulk_create`` of bare Claim, Invoice,
Event and LedgerEntry rows in one transaction, no rules, no debtors, no case numbers. The ratio
run/baseline says how far the import is from what the database can take.
"""

import argparse
import os
import random
import sys
import tempfile
import time
from collections import deque
from datetime import timedelta
from pathlib import Path

from benchdb import engine, postgres_create, postgres_drop
from collection_tick import sign_agreement

ROOT = Path(__file__).resolve().parent.parent
BENCH_DATABASE = "ekrav_bench"

CREDITOR = {
    "organisation_number": "556036-0793", "form": "AB", "name": "Bench Bygg AB",
    "street": "Storgatan 1", "postal_code": "111 22", "city": "Stockholm",
    "bankgiro": "5050-1055", "report_email": "ekonomi@benchbygg.se", "f_tax_confirmed": True,
    "default_invoice_text": "Byggarbeten", "contact_name": "Bo Bench",
    "contact_personnummer": "19811228-9874", "contact_phone": "070-123 45 67",
}
FIRST_NAMES = ("Anna", "Erik", "Maria", "Lars", "Karin", "Johan", "Eva", "Per", "Sara", "Örjan")
LAST_NAMES = ("Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Larsson", "Åström")
COMPANY_WORDS = ("Bygg", "Måleri", "Konsult", "Transport", "Städ", "Fastighet", "El")
CITIES = ("Stockholm", "Göteborg", "Malmö", "Uppsala", "Västerås", "Örebro", "Linköping")
STREETS = ("Storgatan", "Kyrkvägen", "Skolgatan", "Björkvägen", "Hamngatan", "Ringvägen")


def main() -> int:
    args = parse_args()
    database_url = os.environ.get("DATABASE_URL", "")
    with tempfile.TemporaryDirectory(prefix="ekrav-bench-") as var_dir:
        # Before Django loads its settings: they read these once.
        os.environ["EKRAV_VAR_DIR"] = var_dir
        if database_url:
            os.environ["DATABASE_URL"] = postgres_create(database_url, BENCH_DATABASE)
        try:
            return bench(args)
        finally:
            if database_url:
                postgres_drop(database_url, BENCH_DATABASE)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=2000, help="rows in the CSV (at most 5000)")
    parser.add_argument("--seed", type=int, default=1, help="random seed of the generated file")
    return parser.parse_args()


def bench(args) -> int:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ekrav.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    # CaptureQueriesContext keeps Django's last 9000 queries only; the slow path makes more.
    connection.queries_log = deque(maxlen=10**6)
    creditor, user = make_creditor()
    data, debtors = make_csv(args.rows, random.Random(args.seed))
    print(f"engine: {engine(connection)}")
    print(f"rows: {args.rows} ({debtors} debtors, {args.rows - debtors} rows reuse one)")

    imported, preview_s, run_s, run_queries = import_file(creditor, user, data)
    base_s, base_queries = baseline(creditor, args.rows)
    connection.close()

    print(f"preview: {preview_s:.3f} s ({args.rows / preview_s:.0f} rows/s)")
    print(f"run: {run_s:.3f} s, {imported / run_s:.0f} rows/s, "
          f"{run_queries / max(imported, 1):.2f} queries/row ({run_queries} queries), "
          f"{imported} invoices registered")
    print(f"BASELINE bulk_create of bare Claim+Invoice+Event+LedgerEntry (best of 3): "
          f"{base_s:.3f} s, {args.rows / base_s:.0f} rows/s, {base_queries} queries")
    print(f"ratio run/baseline: {run_s / base_s:.1f}x")
    return 0 if imported == args.rows else 1


def make_creditor():
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from creditors.onboarding import parse_onboarding
    from creditors.services import creditor_onboard

    user = get_user_model().objects.create_user(username="bench@example.se",
                                                email="bench@example.se", password=None)
    parsed, errors = parse_onboarding(CREDITOR, today=timezone.localdate())
    assert not errors, errors
    creditor = creditor_onboard(data=parsed, signatory=user)
    sign_agreement(creditor, user)
    return creditor, user


def import_file(creditor, user, data: bytes):
    """Preview, confirm and run one file; returns (created, preview s, run s, run queries)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from claims import tasks
    from claims.imports import claim_import_confirm, claim_import_preview, claim_import_run
    from claims.models import ClaimImport

    today = timezone.localdate()
    started = time.perf_counter()
    claim_import = claim_import_preview(creditor=creditor, user=user, filename="bench.csv",
                                        data=data, today=today)
    preview_s = time.perf_counter() - started
    assert claim_import.valid_rows == claim_import.total_rows, "the generator made a bad row"
    # The bench runs the import itself, timed; the confirmation must not also queue it.
    tasks.claim_import_run_task.delay = lambda import_id: None
    claim_import_confirm(claim_import=claim_import)

    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        done = claim_import_run(import_id=claim_import.pk, today=today)
        run_s = time.perf_counter() - started
    if done.state != ClaimImport.State.DONE:
        print(f"the import did not finish: {done.state} {done.failure}", file=sys.stderr)
    return done.created_count, preview_s, run_s, len(queries)


def baseline(creditor, n: int, rounds: int = 3):
    """The floor: the same number of claims as bare rows, bulk_create in one transaction.

    The best of a few rounds, so that one noisy moment on the machine does not move the floor.
    """
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    best = None
    for round_ in range(rounds):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            _bare_rows(creditor, n, prefix=f"B{round_}-")
            seconds = time.perf_counter() - started
        best = min(best or (seconds, len(queries)), (seconds, len(queries)))
    return best


def _bare_rows(creditor, n: int, prefix: str) -> None:
    from django.db import transaction
    from django.utils import timezone

    from claims.models import Claim, Event, Invoice, LedgerEntry
    from debtors.models import Debtor

    today = timezone.localdate()
    debtor = Debtor.objects.for_creditor(creditor).first()
    with transaction.atomic():
        claims = Claim.objects.bulk_create(
            [Claim(creditor=creditor, debtor=debtor, ocr=f"{prefix}{i}", registered_on=today)
             for i in range(n)], batch_size=1000)
        invoices = Invoice.objects.bulk_create(
            [Invoice(claim=c, creditor=creditor, invoice_number=f"{prefix}{i}",
                     invoice_date=today, due_date=today, amount_ore=100, description="x")
             for i, c in enumerate(claims)], batch_size=1000)
        events = Event.objects.bulk_create(
            [Event(claim=c, kind=Event.Kind.REGISTERED, occurred_on=today) for c in claims],
            batch_size=1000)
        LedgerEntry.objects.bulk_create(
            [LedgerEntry(claim=c, kind=LedgerEntry.Kind.CAPITAL, amount_ore=100,
                         booked_on=today, key=f"capital:invoice:{i.pk}", event=e)
             for c, i, e in zip(claims, invoices, events)], batch_size=1000)


# --- the generated file ------------------------------------------------------------------------


def make_csv(n: int, rng: random.Random) -> tuple[bytes, int]:
    """An n-row CSV as Swedish Excel saves it; returns (bytes, number of distinct debtors)."""
    from django.utils import timezone

    from claims.csv_import import render_csv

    today = timezone.localdate()
    debtors, used = [], set()
    rows = []
    for i in range(n):
        if debtors and rng.random() < 0.3:
            debtor = rng.choice(debtors)  # a customer with more than one unpaid invoice
        else:
            debtor = make_debtor(rng, used)
            debtors.append(debtor)
        invoice_date = today - timedelta(days=rng.randint(40, 400))
        rows.append({
            **debtor, "invoice_number": f"F-{100000 + i}",
            "invoice_date": invoice_date.isoformat(),
            "due_date": (invoice_date + timedelta(days=30)).isoformat(),
            "amount": f"{rng.randint(100, 250000)},{rng.randint(0, 99):02d}",
            "description": rng.choice(("Målning", "Konsulttimmar", "Material", "Städning")),
            "reminder_fee_agreed": rng.choice(("ja", "nej")),
        })
    return render_csv(rows).encode("utf-8-sig"), len(debtors)


def make_debtor(rng: random.Random, used: set) -> dict:
    while True:
        company = rng.random() < 0.25
        identity = orgnr(rng) if company else personnummer(rng)
        if identity not in used:
            used.add(identity)
            break
    name = (f"{rng.choice(LAST_NAMES)}s {rng.choice(COMPANY_WORDS)} AB" if company
            else f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}")
    return {
        "debtor_kind": "företag" if company else "privatperson",
        "debtor_identity_number": identity, "debtor_name": name,
        "debtor_street": f"{rng.choice(STREETS)} {rng.randint(1, 99)}",
        "debtor_postal_code": f"{rng.randint(100, 999)} {rng.randint(0, 99):02d}",
        "debtor_city": rng.choice(CITIES), "debtor_country": "",
        "debtor_email": f"kund{len(used)}@example.se" if rng.random() < 0.6 else "",
        "debtor_phone": f"070-{rng.randint(100, 999)} {rng.randint(10, 99)} {rng.randint(10, 99)}"
        if rng.random() < 0.4 else "",
    }


def personnummer(rng: random.Random) -> str:
    from ekrav.identifiers import luhn_check_digit

    year, month, day = rng.randint(1940, 2004), rng.randint(1, 12), rng.randint(1, 28)
    payload = f"{year % 100:02d}{month:02d}{day:02d}{rng.randint(0, 999):03d}"
    return f"{year}{payload[2:6]}-{payload[6:]}{luhn_check_digit(payload)}"


def orgnr(rng: random.Random) -> str:
    from ekrav.identifiers import luhn_check_digit

    # Digits 3-4 of 20 or more are what make it an organisationsnummer, not a personnummer.
    payload = f"5{rng.randint(0, 9)}{rng.randint(20, 99)}{rng.randint(0, 99999):05d}"
    return f"{payload[:6]}-{payload[6:]}{luhn_check_digit(payload)}"


# --- the database ------------------------------------------------------------------------------



if __name__ == "__main__":
    sys.exit(main())
