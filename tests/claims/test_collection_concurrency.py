"""Two workers running the same day's tick at once never take a step twice (PostgreSQL).

SKIP LOCKED hands each batch to one worker; the unique (claim, kind) key would turn a double
step into an error. The test runs two ticks in threads, each with its own connection.
"""

import threading
from datetime import date

import pytest
from django.db import connection

from claims import collection
from claims.models import LedgerEntry, Status, Step
from claims.registration import parse_registration
from claims.services import claim_register_many
from tests.conftest import another_debtor, registration_data

DAY = date(2026, 4, 7)  # the first bank day after Skärtorsdag 2026
CLAIMS = 240

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql",
                                reason="row locks with SKIP LOCKED need PostgreSQL (CI)")


def registrations(n):
    out = []
    for i in range(n):
        reg, errors = parse_registration(
            registration_data(invoice_number=f"C-{i}", invoice_date="2026-02-01",
                              due_date="2026-03-01", **another_debtor(i + 1)),
            today=date(2026, 4, 2))
        assert not errors
        out.append(reg)
    return out


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_ticks_take_each_step_once(alice_co, monkeypatch):
    claim_register_many(creditor=alice_co, registrations=registrations(CLAIMS),
                        today=date(2026, 4, 2))
    monkeypatch.setattr(collection, "BATCH", 20)  # many small batches: the workers interleave
    start = threading.Barrier(2)
    results, errors = [], []

    def worker():
        try:
            start.wait()
            results.append(collection.collection_tick(day=DAY))
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    assert sum(r.steps_taken for r in results) == CLAIMS
    assert Step.objects.filter(kind="reminder").count() == CLAIMS
    assert LedgerEntry.objects.filter(key="fee:reminder_fee").count() == CLAIMS
    assert LedgerEntry.objects.filter(key=f"interest:{DAY.isoformat()}").count() == CLAIMS
    assert set(alice_co.claims.values_list("status", flat=True)) == {Status.REMINDER_SENT}
    # Both workers did part of the work (otherwise this test would prove nothing).
    assert all(r.steps_taken > 0 for r in results), [r.steps_taken for r in results]
