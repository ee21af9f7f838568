"""How fast a BgMax file is imported end to end, against parsing the same file alone.

    .venv/bin/python bench/bgmax_import.py [--claims N] [--payments P] [--creditors C]

Needs PostgreSQL (DATABASE_URL, or by default postgres://postgres@127.0.0.1:5432/postgres);
it works in a throwaway database ``ekrav_bench_bgmax`` created and dropped here. It onboards C
creditors and registers N claims over them (by default issue 4's scale: 1,000,000 claims,
1,000 creditors, 100,000 payments), the rows written in bulk by bench/bulk_claims.py in the
shape ``claim_register_many`` writes them (``--register`` uses ``claim_register_many`` itself,
as bench/collection_tick.py does: ~1,000 claims/s). It writes a BgMax file of P payments of
which 90% carry an open claim's OCR (reference code 2) and 10% an OCR nobody has, then times:

- the PARSE: ``parse_bgmax`` of the file alone (the floor: nothing is written);
- the IMPORT: ``bgmax_import``, which records every payment, matches it, and books each
  matched one on its claim (interest to the day, the payment, its allocation rows).

It prints payments/second for each, against issue 4's target of 20,000 payments/second end
to end (for 100,000 payments against 1,000,000 claims), and checks the result: every matched
payment booked once with allocations adding up to it.

``--cprofile`` prints where the Python time goes; ``BENCH_SQL_LOG=MS`` has PostgreSQL log
every statement of the run slower than MS milliseconds to its server log (where the
database's time goes: the COPYs, and the COMMIT, which checks the deferred foreign keys).
"""

import argparse
import os
import random
import sys
import time
from datetime import date
from pathlib import Path

from benchdb import engine, in_throwaway_postgres
from bulk_claims import claims_bulk_register
from collection_tick import REGISTERED_ON, make_creditors, register_claims

ROOT = Path(__file__).resolve().parent.parent
BENCH_DATABASE = "ekrav_bench_bgmax"
TARGET = 20_000  # payments/second end to end (issue 4)
PAID_ON = date(2026, 3, 20)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--claims", type=int, default=1_000_000)
    parser.add_argument("--payments", type=int, default=100_000)
    parser.add_argument("--creditors", type=int, default=1_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--register", action="store_true",
                        help="register the claims through claim_register_many (slow)")
    parser.add_argument("--cprofile", action="store_true",
                        help="import under cProfile (slower) and print the top functions "
                             "(BENCH_SORT, default cumulative; BENCH_TOP, default 20)")
    return in_throwaway_postgres(BENCH_DATABASE, bench, parser.parse_args())


def bench(args) -> int:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ekrav.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from claims.models import Claim, LedgerEntry
    from payments.bgmax import parse_bgmax
    from payments.models import IncomingPayment
    from payments.services import bgmax_import

    call_command("migrate", verbosity=0)
    if os.environ.get("BENCH_SQL_LOG"):
        with connection.cursor() as c:
            c.execute("SET log_min_duration_statement = %s" % int(os.environ["BENCH_SQL_LOG"]))
    print(f"engine: {engine(connection)}")
    started = time.perf_counter()
    creditors = make_creditors(args.creditors, random.Random(args.seed))
    if args.register:
        register_claims(creditors, args.claims, random.Random(args.seed + 1))
    else:
        claims_bulk_register(creditor_ids=[c.pk for c in creditors], count=args.claims,
                             registered_on=REGISTERED_ON, rng=random.Random(args.seed + 1))
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")  # as after a day's work: the planner knows the sizes
    ocrs = list(Claim.objects.order_by("pk").values_list("ocr", flat=True))
    data = bgmax_file(ocrs, args.payments, random.Random(args.seed + 2))
    print(f"setup: {len(ocrs)} claims, a BgMax file of {args.payments} payments "
          f"({len(data) / 1e6:.1f} MB) in {time.perf_counter() - started:.1f} s")

    # Two cores: another process busy meanwhile shows in the figures, so say so.
    print("load average (1, 5, 15 min) before timing: "
          + ", ".join(f"{load:.2f}" for load in os.getloadavg()))
    started = time.perf_counter()
    parsed = parse_bgmax(data)
    parse_s = time.perf_counter() - started
    started = time.perf_counter()
    if args.cprofile:
        import cProfile
        import pstats

        profile = cProfile.Profile()
        summary = profile.runcall(bgmax_import, data=data, filename="bench.txt", today=PAID_ON)
        pstats.Stats(profile).sort_stats(os.environ.get("BENCH_SORT", "cumulative")).print_stats(
            int(os.environ.get("BENCH_TOP", "20")))
    else:
        summary = bgmax_import(data=data, filename="bench.txt", today=PAID_ON)
    import_s = time.perf_counter() - started
    n = len(parsed.payments)
    print(f"PARSE parse_bgmax alone: {parse_s:.3f} s, {n / parse_s:.0f} payments/s")
    print(f"IMPORT bgmax_import (record, match, book, allocate): {import_s:.3f} s, "
          f"{n / import_s:.0f} payments/s; matched {summary['matched']}, "
          f"unmatched {summary['unmatched']}")
    rate = n / import_s
    print(f"ratio import/parse: {import_s / parse_s:.1f}x; target {TARGET} payments/s end to "
          f"end: {'MET' if rate >= TARGET else f'NOT MET ({rate / TARGET:.2f} of it)'}")
    booked = IncomingPayment.objects.filter(state="booked").count()
    payments = LedgerEntry.objects.filter(kind="payment").count()
    parts = LedgerEntry.objects.filter(kind__in=LedgerEntry.ALLOCATIONS).values_list(
        "amount_ore", flat=True)
    paid = LedgerEntry.objects.filter(kind="payment").values_list("amount_ore", flat=True)
    ok = booked == payments == summary["matched"] and sum(parts) == sum(paid)
    print(f"check: {booked} booked, {payments} payment rows, allocations add up: "
          f"{'ok' if ok else 'FAILED'}")
    connection.close()
    return 0 if ok else 1


def bgmax_file(ocrs, payments: int, rng: random.Random, per_deposit: int = 500) -> bytes:
    lines = ["01BGMAX               0120260320173035010331P"]
    count = deposits = 0
    for first in range(0, payments, per_deposit):
        lines.append("050009912346          SEK")
        total = size = 0
        for _ in range(min(per_deposit, payments - first)):
            count += 1
            ocr = rng.choice(ocrs) if rng.random() < 0.9 else str(rng.randrange(10**9, 10**12))
            amount = rng.randrange(10_000, 100_000)  # 100–1 000 kr: mostly part payments
            lines.append(f"20{rng.randrange(10**6, 10**8):010d}{ocr:>25}{amount:018d}22"
                         f"{count:012d}0")
            total += amount
            size += 1
        deposits += 1
        lines.append(f"15{'5841000001009823':0>35}{PAID_ON:%Y%m%d}{deposits:05d}{total:018d}"
                     f"SEK{size:08d}")
    lines.append(f"70{count:08d}{0:08d}{0:08d}{deposits:08d}")
    return ("\r\n".join(lines) + "\r\n").encode("iso-8859-1")


if __name__ == "__main__":
    sys.exit(main())
