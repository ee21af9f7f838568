"""The CSV import through the real broker and a real Celery worker.

Locally the broker is the embedded default's filesystem queue; in CI (REDIS_URL) it is Redis.
This is the one test that proves a confirmed import actually travels to a worker and back.
"""

import time

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.utils import timezone

from claims.csv_import import render_csv
from claims.imports import claim_import_confirm, claim_import_preview
from claims.models import Claim, ClaimImport
from ekrav.celery import app as celery_app
from tests.conftest import another_debtor, registration_data


def csv_row(number, **debtor):
    data = registration_data(invoice_number=number, **debtor)
    return {**data, "reminder_fee_agreed": "ja"}


@pytest.mark.django_db(transaction=True)
def test_a_confirmed_import_is_run_by_a_worker(alice_co, alice):
    broker = settings.CELERY_BROKER_URL.split(":")[0]
    assert broker == ("redis" if settings.REDIS_URL else "filesystem")
    imp = claim_import_preview(creditor=alice_co, user=alice, filename="f.csv",
                               data=render_csv([csv_row("W-1"),
                                                 csv_row("W-2", **another_debtor(1))]).encode(),
                               today=timezone.localdate())
    with start_worker(celery_app, pool="solo", perform_ping_check=False,
                      shutdown_timeout=30):
        claim_import_confirm(claim_import=imp)  # autocommit: on_commit sends at once
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            imp.refresh_from_db()
            if imp.state in (ClaimImport.State.DONE, ClaimImport.State.FAILED):
                break
            time.sleep(0.2)
    assert imp.state == ClaimImport.State.DONE, imp.failure
    assert Claim.objects.for_creditor(alice_co).count() == 2
