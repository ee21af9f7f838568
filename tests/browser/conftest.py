"""Browser tests: pytest-playwright driving Debian's Chromium against Django's live server.

Never `playwright install`: the browser is the Debian package at /usr/bin/chromium. Without it
every test here is skipped (and reported as skipped), never silently passed.
"""

import os
import re
from pathlib import Path

import pytest
from django.core import mail

from tests.conftest import PASSWORD

# Playwright's sync API runs an event loop in this thread; Django would otherwise refuse the
# ORM calls the tests make to arrange data and check what was (not) written.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--no-first-run",
]
# Short enough that a missing element fails the test quickly, long enough for a slow CI box.
ACTION_TIMEOUT_MS = 10_000


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.path).parents:
            item.add_marker(pytest.mark.browser)
            if not CHROMIUM.exists():
                item.add_marker(pytest.mark.skip(
                    reason=f"{CHROMIUM} is missing: install Debian's chromium package "
                           "(the README's test command does)"))


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": str(CHROMIUM),
            "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def live_server(django_db_setup, live_server):
    """The live server, started only after the test database exists.

    pytest-django starts the session-scoped server before the function-scoped transactional_db
    creates the test database; with in-memory SQLite the server thread must be handed the test
    database's connection, which exists only once django_db_setup has run.
    """
    return live_server


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args, live_server):
    return {**browser_context_args, "base_url": live_server.url,
            "viewport": {"width": 1280, "height": 900}}


@pytest.fixture
def fresh_context(new_context):
    """A factory for browser contexts with their own cookies (a second person)."""

    def make():
        context = new_context()
        context.set_default_timeout(ACTION_TIMEOUT_MS)
        return context

    return make


@pytest.fixture
def context(fresh_context):
    return fresh_context()


@pytest.fixture(autouse=True)
def _isolated_side_effects(settings, tmp_path):
    """Uploaded PDFs go to a temporary folder and rate-limit counters to a private cache,
    not into the developer's var/ (which a run of the app shares)."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                   "LOCATION": f"browser-{os.getpid()}-{tmp_path.name}"}}
    mail.outbox = []


def log_in(page, email, password=PASSWORD):
    """Log in through the real login form."""
    page.goto("/konto/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", password)
    page.click("main form[action='/konto/login/'] button[type=submit]")
    page.wait_for_url(lambda url: "/konto/login/" not in url)


def at(path_pattern: str) -> re.Pattern:
    """A URL whose path is exactly ``path_pattern`` (a regex), with any query string."""
    return re.compile(rf"^https?://[^/]+{path_pattern}(\?.*)?$")


def submit(page, form_selector="main form[method=post]"):
    """Press the submit button of the page's main form (never the header's language switch)."""
    page.locator(form_selector).locator("button[type=submit]").click()
