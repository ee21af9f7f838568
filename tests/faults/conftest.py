"""Fixtures of the fault tests: private PostgreSQL and Redis servers, and ekrav sites on them.

One PostgreSQL cluster per pytest process (each xdist worker has its own), migrated once into a
template database; each test gets fresh databases copied from it, its own Redis, its own var/
directory and its own Celery workers. The tests in a process run one after the other, so a
test that restarts the cluster disturbs nobody.
"""

import itertools
import os
import shutil
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.faults.servers import Postgres, Redis, Site, missing_tools, tmp_base

TEMPLATE = "ekrav_template"
_tests = itertools.count()


def pytest_collection_modifyitems(config, items):
    """Not in the everyday run (minutes of servers and workers on two cores), only when asked
    for: ``-m faults``, as .ci/run's second step does."""
    if "faults" in (config.option.markexpr or ""):
        return
    skip = pytest.mark.skip(reason="the fault tests run on their own: "
                                   "bin/test -n 0 -m faults tests/faults")
    for item in items:
        if item.get_closest_marker("faults"):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def postgres():
    reason = missing_tools()
    if reason:
        # CI (.ci/run) has both servers installed: there a missing tool is a failure.
        (pytest.fail if os.environ.get("CI") else pytest.skip)(
            f"fault tests need a private PostgreSQL and Redis: {reason}")
    base = tmp_base()
    pg = Postgres(base)
    try:
        pg.start()
        redis = Redis(base)
        redis.start()
        try:
            Site(base, database_url=pg.create_database(TEMPLATE),
                 redis_url=redis.url()).manage("migrate", "--no-input")
        finally:
            redis.stop()
        yield pg
    finally:
        pg.stop()
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def redis(postgres):
    base = tmp_base()
    server = Redis(base)
    server.start()
    yield server
    server.stop()
    shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def make_site(postgres, redis):
    """``make_site(name)``: a migrated database of its own and a var/ directory, on the
    test's Redis (each site its own Redis database number)."""
    sites, bases = [], []
    prefix = f"t{next(_tests)}"

    def make(name: str, template: str = TEMPLATE) -> Site:
        base = tmp_base()
        bases.append(base)
        database = f"{prefix}_{name}"
        site = Site(base, database_url=postgres.create_database(database, template=template),
                    redis_url=redis.url(len(sites)))
        site.database, site.postgres = database, postgres
        sites.append(site)
        return site

    make.postgres, make.redis = postgres, redis
    yield make
    for site in sites:
        site.close()
    # The databases go with the cluster at the end (dropping each forced a checkpoint).
    for base in bases:
        shutil.rmtree(base, ignore_errors=True)


def due_registration_day(today: date) -> date:
    """A registration day whose claims are due today or on the bank day before: the tick has
    a day or two to run, not months (the tasks use the real date)."""
    from ekrav.calendar import first_bank_day_after

    day = today - timedelta(days=1)
    while first_bank_day_after(day) > today:
        day -= timedelta(days=1)
    return day


def today() -> date:
    """The day the tasks run for (``timezone.localdate()`` in the worker)."""
    return datetime.now(ZoneInfo("Europe/Stockholm")).date()


def seeded(make_site, name: str, claims: int):
    """A site with ``claims`` claims due today, copied from a database seeded once per count:
    the test's site and its reference start from the very same rows."""
    template = f"{TEMPLATE}_{claims}"
    with make_site.postgres.connect("postgres") as conn:
        found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                             [template]).fetchone()
    if not found:
        seeder = Site(tmp_base(), database_url=make_site.postgres.create_database(
            template, template=TEMPLATE), redis_url=make_site.redis.url(15))
        seeder.python("-m", "tests.faults.seed", "claims", str(claims),
                      due_registration_day(today()).isoformat(), "7")
        shutil.rmtree(seeder.base, ignore_errors=True)
    return make_site(name, template=template)


# The daily run of the letters room (the tick, then the day's letters), for run_inline.
DAY_RUN = "from letters.services import collection_day_run; collection_day_run"


def day_run_uninterrupted(make_site, claims: int, code: str):
    """A reference site seeded as the test's and ``code`` (a service, as ``run_inline`` takes
    it) run up to today without interruption: what an interrupted run must end up as."""
    reference = seeded(make_site, "reference", claims)
    run_inline(reference, f"{code}(until=date.fromisoformat('{today()}'))")
    return reference


def run_inline(site, code: str) -> None:
    """A service in a ``manage.py shell`` (``date`` imported): the run nothing interrupts."""
    site.manage("shell", "-c", f"from datetime import date; {code}", timeout=600)
