"""Redis restarted with SHUTDOWN NOSAVE while the worker renders the day's letters: the worst
case, where the broker comes back empty (docker-compose's Redis keeps an append-only file, so
there queued tasks would survive; .ci/run's does not).

What was queued in Redis is gone; nothing of the state is, since it lives in PostgreSQL. The
worker reconnects by itself, and the next run beat sends finishes the day: every letter exists
once, none is missing, and the claims are where an uninterrupted run leaves them.
"""

import pytest

from tests.faults.checks import assert_as_if_uninterrupted, value
from tests.faults.conftest import DAY_RUN, day_run_uninterrupted, seeded
from tests.faults.servers import wait_until

pytestmark = pytest.mark.faults

CLAIMS = 30


def test_redis_restarted_mid_run_loses_no_letter(make_site, redis):
    site = seeded(make_site, "restarted", CLAIMS)
    worker = site.worker().start()
    site.send_task("letters.tasks.collection_day_task")
    wait_until(lambda: value(site, "SELECT count(*) FROM letters_letter") >= 3, timeout=180,
               what="the first letters")
    redis.restart()
    assert value(site, "SELECT count(*) FROM letters_letter") < CLAIMS, \
        "the letters were done before the restart: give it more claims"

    # Whatever the task in flight did, beat sends the run again (collection-day, then
    # letters-dispatch through the day): the worker, reconnected, must take it.
    wait_until(lambda: worker.text().count("Connected to redis://") >= 2, timeout=120,
               what="the worker to reconnect to Redis")
    site.send_task("letters.tasks.collection_day_task")
    wait_until(lambda: value(site, "SELECT count(*) FROM letters_printbatch") == 1
               and value(site, "SELECT count(*) FROM letters_letter WHERE state = 'sent'")
               == CLAIMS, timeout=300, what="the day's letters, after the restart")
    assert worker.process.poll() is None

    reference = day_run_uninterrupted(make_site, CLAIMS, DAY_RUN)
    assert_as_if_uninterrupted(site, reference, "claims", "steps", "ledger", "letters",
                               "tick_runs")
