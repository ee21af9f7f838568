"""PostgreSQL restarted (``pg_ctl restart -m fast``: every connection cut) while
``manage.py import_bgmax`` books a large BgMax file.

The import is one transaction, so the cut one leaves nothing behind; run again it books the
whole file, and a third run changes nothing (the file's sha256). Every payment is recorded
once, each matched one booked once on its claim, the allocations add up to the payments, and
the claims and ledgers are what one uninterrupted import makes of the same file.
"""

import json
import time

import pytest

from tests.faults.checks import assert_no_duplicates, assert_same, rows, snapshot, value
from tests.faults.conftest import seeded
from payments.bgmax import parse_bgmax
from tests.faults.servers import ROOT, wait_until

pytestmark = pytest.mark.faults

CLAIMS = 1_000
PAYMENTS = 10_000  # a few seconds of import on two busy cores: time to cut it in the middle
PARTS = ("claims", "ledger", "payments")


def import_bgmax(site, path, *, check=True):
    return site.manage("import_bgmax", str(path), check=check, timeout=600)


def test_postgres_restarted_mid_import_books_every_payment_once(make_site, postgres):
    site = seeded(make_site, "restarted", CLAIMS)
    path = site.base / "bgmax.txt"
    site.python("-m", "tests.faults.seed", "bgmax", str(PAYMENTS), str(path), "7")

    running = site.popen(str(ROOT / "manage.py"), "import_bgmax", str(path),
                         log=site.base / "import1.log")
    # Inside the import's transaction (the BgmaxImport row is its first write), and when it
    # can be seen, among its COPYs of the payments' rows: the cut lands mid-import.
    wait_until(lambda: busy(site, "backend_xid IS NOT NULL"), timeout=120,
               what="the import's transaction", interval=0.01)
    started = time.monotonic()
    while not busy(site, "query LIKE 'COPY%'") and time.monotonic() - started < 3:
        time.sleep(0.01)
    postgres.restart("fast")
    assert running.wait(timeout=120) != 0, "the import ended before the restart: make it larger"
    assert value(site, "SELECT count(*) FROM payments_bgmaximport") == 0
    assert value(site, "SELECT count(*) FROM payments_incomingpayment") == 0
    assert value(site, "SELECT count(*) FROM claims_ledgerentry WHERE kind = 'payment'") == 0

    summary = json.loads(import_bgmax(site, path).stdout)
    assert summary["payments"] == PAYMENTS and "already_imported" not in summary
    after = snapshot(site, *PARTS)
    third = json.loads(import_bgmax(site, path).stdout)
    assert third["already_imported"] is True
    assert snapshot(site, *PARTS) == after

    assert_no_duplicates(after)
    assert_books_balance(site, summary, parse_bgmax(path.read_bytes()))
    reference = seeded(make_site, "reference", CLAIMS)
    import_bgmax(reference, path)
    assert_same(after, snapshot(reference, *PARTS))


def busy(site, condition: str) -> bool:
    """Whether another session of the site's database is in the state ``condition`` says."""
    return value(site, "SELECT count(*) FROM pg_stat_activity WHERE datname = "
                       f"current_database() AND pid <> pg_backend_pid() AND {condition}") > 0


def assert_books_balance(site, summary, parsed) -> None:
    """Each payment of the file recorded once; each booked one a payment row on its claim of
    its whole amount, split into allocation rows that add up to it."""
    assert value(site, "SELECT count(*) FROM payments_incomingpayment") == PAYMENTS
    booked = rows(site, "SELECT claim_id, 'payment:bgmax:' || external_id, amount_ore "
                        "FROM payments_incomingpayment WHERE state = 'booked'")
    assert len(booked) == summary["matched"] > PAYMENTS // 2
    ledger = rows(site, "SELECT claim_id, key, amount_ore FROM claims_ledgerentry "
                        "WHERE kind = 'payment'")
    assert sorted(ledger) == sorted(booked)
    allocated = value(site, "SELECT coalesce(sum(amount_ore), 0) FROM claims_ledgerentry "
                            "WHERE kind IN ('paid_costs', 'paid_interest', 'paid_capital', "
                            "'surplus')")
    assert allocated == sum(amount for _claim, _key, amount in booked)
    assert value(site, "SELECT sum(amount_ore) FROM payments_incomingpayment") \
        == sum(deposit.total_ore for deposit in parsed.deposits)
