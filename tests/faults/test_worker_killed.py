"""A Celery worker killed in the middle of its work: the task comes back, and afterwards every
claim, step, fee, interest row and letter is as a run that was never interrupted left them.

- The whole worker (main process and pool) SIGKILLed mid-tick, as when its machine dies: the
  message was never acknowledged (acks_late), so Redis gives it to the next worker once the
  visibility timeout has passed, and the tick goes on from the batches already committed.
- Only the pool process SIGKILLed mid-letters (the OOM killer): the worker itself sees it die
  and, with ``task_reject_on_worker_lost``, queues the task again at once. Without that setting
  Celery acknowledged the message as failed and the day's letters waited for the next beat.
"""

import pytest

from tests.faults.checks import assert_as_if_uninterrupted, value
from tests.faults.conftest import DAY_RUN, day_run_uninterrupted, seeded
from tests.faults.servers import wait_until

pytestmark = pytest.mark.faults

TICK_CLAIMS = 8_000  # eight batches of claims.collection.BATCH: the kill lands between two
LETTER_CLAIMS = 30


def test_worker_killed_mid_tick_resumes_on_redelivery(make_site):
    site = seeded(make_site, "killed", TICK_CLAIMS)
    first = site.worker().start()
    site.send_task("claims.tasks.collection_tick_task")
    wait_until(lambda: value(site, "SELECT count(*) FROM claims_step") >= 1000, timeout=120,
               what="the tick's first batches", interval=0.01)
    first.kill()
    assert value(site, "SELECT count(*) FROM claims_step") < TICK_CLAIMS, \
        "the tick ended before the kill: give it more claims"
    assert value(site, "SELECT count(*) FROM claims_tickrun WHERE finished_at IS NULL") == 1

    second = site.worker().start()  # nothing sent again: the same message comes back
    wait_until(lambda: second.succeeded("claims.tasks.collection_tick_task"), timeout=180,
               what="the tick, redelivered, to finish")

    reference = day_run_uninterrupted(
        make_site, TICK_CLAIMS, "from claims.collection import collect_until; collect_until")
    assert_as_if_uninterrupted(site, reference, "claims", "steps", "ledger", "tick_runs")
    assert value(site, "SELECT count(*) FROM claims_step WHERE kind = 'reminder'") == TICK_CLAIMS


def test_pool_process_killed_mid_letters_is_queued_again(make_site):
    site = seeded(make_site, "killed", LETTER_CLAIMS)
    # An hour, as in production: only the rejection can bring the task back within the test.
    site.env["CELERY_VISIBILITY_TIMEOUT"] = "3600"
    worker = site.worker().start()
    site.send_task("letters.tasks.collection_day_task")
    wait_until(lambda: value(site, "SELECT count(*) FROM letters_letter") >= 3, timeout=180,
               what="the first letters")
    worker.kill_child()
    letters = value(site, "SELECT count(*) FROM letters_letter")
    assert letters < LETTER_CLAIMS, "the letters were done before the kill: give it more claims"

    wait_until(lambda: worker.succeeded("letters.tasks.collection_day_task"), timeout=300,
               what="the daily run, queued again, to finish")
    assert "WorkerLostError" in worker.text()

    reference = day_run_uninterrupted(make_site, LETTER_CLAIMS, DAY_RUN)
    assert_as_if_uninterrupted(site, reference, "claims", "steps", "ledger", "letters",
                               "tick_runs")
    # Every claim's reminder letter exists, once, and went out (to print: no Kivra here).
    assert value(site, "SELECT count(*) FROM letters_letter WHERE state = 'sent'") \
        == LETTER_CLAIMS
