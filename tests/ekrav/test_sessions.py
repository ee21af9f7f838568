"""Sessions in the database, read through the cache (ekrav.sessions): read from the cache
without a query; and with the cache away (Redis restarting) everything still works from the
database, as it did before the cache was put in front."""

import socket

import pytest
from django.contrib.sessions.models import Session
from django.core.cache import cache, caches
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ekrav.sessions import SessionStore

pytestmark = pytest.mark.django_db


@pytest.fixture
def cache_away(settings):
    """Redis at a port nothing listens on: every cache call fails at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    working = settings.CACHES
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": f"redis://127.0.0.1:{port}/0"}}
    with pytest.raises(Exception):
        caches["default"].get("anything")
    yield
    settings.CACHES = working  # back, for the test's own cache to be cleared


def test_a_session_is_read_from_the_cache_without_a_query():
    session = SessionStore()
    session["who"] = "alice"
    session.create()
    with CaptureQueriesContext(connection) as queries:
        assert SessionStore(session.session_key)["who"] == "alice"
    assert queries.captured_queries == []


def test_a_session_the_cache_lost_is_read_from_the_database_and_cached_again():
    session = SessionStore()
    session["who"] = "alice"
    session.create()
    cache.clear()
    assert SessionStore(session.session_key)["who"] == "alice"
    with CaptureQueriesContext(connection) as queries:
        assert SessionStore(session.session_key)["who"] == "alice"
    assert queries.captured_queries == []


def test_with_the_cache_away_a_creditor_logs_in_works_and_logs_out(client, alice, alice_co,
                                                                   cache_away):
    client.force_login(alice)
    assert client.get("/").status_code == 200  # the overview, its session from the database
    assert client.get("/").status_code == 200
    key = client.session.session_key
    assert Session.objects.filter(session_key=key).exists()
    assert client.post("/konto/logout/").status_code == 302
    assert not Session.objects.filter(session_key=key).exists()
    assert client.get("/").status_code == 302  # logged out: to the login page


def test_with_the_cache_away_a_stored_session_is_read_from_the_database(cache_away):
    session = SessionStore()
    session["who"] = "alice"
    session.create()  # Django logs the cache's failure; the database has it
    assert SessionStore(session.session_key)["who"] == "alice"
    SessionStore(session.session_key).delete()
    assert SessionStore(session.session_key).load() == {}
