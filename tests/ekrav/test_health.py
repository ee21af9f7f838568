"""/healthz and /readyz (ekrav.health): public, cheap, plain HTTP, any host, and a 503 that
says which check failed without a traceback or a secret. (No creditor data is involved: the
probes read none, so there is no charlie here.)"""

import json

import pytest
from django.db import OperationalError, connection
from django.db.migrations.recorder import MigrationRecorder
from django.test import Client

from ekrav import health

pytestmark = pytest.mark.django_db

CHECKS = {"database", "migrations", "broker", "media"}


def body(response) -> dict:
    assert response["Content-Type"] == "application/json"
    return json.loads(response.content)


def test_healthz_answers_without_the_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert body(response) == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"] and "no-store" in response["Cache-Control"]
    assert not response.cookies


def test_readyz_reports_each_check(client):
    response = client.get("/readyz")
    assert response.status_code == 200, response.content
    answer = body(response)
    assert answer["status"] == "ok"
    assert set(answer["checks"]) == CHECKS
    for check in answer["checks"].values():
        assert check["ok"] is True and isinstance(check["ms"], float) and "error" not in check


def test_probes_skip_session_and_audit_even_for_a_logged_in_browser(
        client, alice, django_assert_num_queries):
    client.force_login(alice)
    with django_assert_num_queries(0):  # no session, user or creditor looked up
        assert client.get("/healthz").status_code == 200


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_probes_answer_over_http_and_to_any_host(client, settings, path):
    """Load balancers probe the container's own address over plain HTTP: neither the HTTPS
    redirect nor ALLOWED_HOSTS stands in the way (nothing here builds a URL from the host)."""
    settings.SECURE_SSL_REDIRECT = True
    settings.ALLOWED_HOSTS = ["ekrav.example"]
    response = client.get(path, HTTP_HOST="10.0.3.7:8000")
    assert response.status_code == 200
    # The rest of the site keeps both.
    assert client.get("/", HTTP_HOST="10.0.3.7:8000").status_code == 400
    assert client.get("/", HTTP_HOST="ekrav.example").status_code == 301


def test_head_is_answered_and_other_methods_are_not(client):
    assert client.head("/healthz").status_code == 200
    assert client.head("/readyz").status_code == 200
    assert client.post("/healthz").status_code == 405
    assert Client(enforce_csrf_checks=True).post("/readyz").status_code == 403


def test_a_missing_media_directory_makes_it_unready(client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "gone"
    response = client.get("/readyz")
    assert response.status_code == 503
    answer = body(response)
    assert answer["status"] == "unavailable"
    assert answer["checks"]["media"]["ok"] is False
    assert answer["checks"]["media"]["error"].startswith("FileNotFoundError: ")
    assert all(answer["checks"][name]["ok"] for name in CHECKS - {"media"})
    assert "Traceback" not in response.content.decode()


def test_an_unreachable_broker_makes_it_unready_without_its_password(client, settings):
    settings.CELERY_BROKER_URL = "redis://:hunter2-secret@127.0.0.1:1/0"
    response = client.get("/readyz")
    assert response.status_code == 503
    broker = body(response)["checks"]["broker"]
    assert broker["ok"] is False and "ConnectionError" in broker["error"]
    assert "hunter2" not in response.content.decode()


def test_a_redis_broker_that_answers_is_ready(client, settings):
    import redis

    try:
        redis.Redis.from_url("redis://127.0.0.1:6379/0", socket_connect_timeout=1).ping()
    except redis.RedisError:
        pytest.skip("no Redis at 127.0.0.1:6379")
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:6379/0"
    assert body(client.get("/readyz"))["checks"]["broker"]["ok"] is True


def test_an_unapplied_migration_makes_it_unready(client):
    recorder = MigrationRecorder(connection)
    last = max(name for app, name in recorder.applied_migrations() if app == "claims")
    recorder.record_unapplied("claims", last)  # undone with the test's transaction
    response = client.get("/readyz")
    assert response.status_code == 503
    migrations = body(response)["checks"]["migrations"]
    assert migrations == {"ok": False, "ms": migrations["ms"],
                          "error": f"1 unapplied: claims.{last}"}


def test_a_database_that_is_down_is_named_without_credentials(client, monkeypatch):
    class Down:
        def cursor(self):
            raise OperationalError("connection to postgres://ekrav:hunter2@db:5432/ekrav failed"
                                   "\nTraceback-like second line")

    monkeypatch.setattr(health, "connection", Down())
    response = client.get("/readyz")
    assert response.status_code == 503
    database = body(response)["checks"]["database"]
    assert database["error"] == ("OperationalError: connection to postgres://***@db:5432/ekrav "
                                 "failed")
    assert "hunter2" not in response.content.decode()
