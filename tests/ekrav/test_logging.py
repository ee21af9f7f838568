"""Structured logs (ekrav.logging): one JSON object per line in production, every line of a
request with its id, gunicorn's and Celery's lines in the same shape, and never a whole
personnummer, whichever field it hides in. (No creditor data is read here: no charlie.)"""

import io
import json
import logging
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import datetime

import pytest
from django.conf import settings
from django.http import HttpResponse
from django.test import RequestFactory

from ekrav.logging import (JsonFormatter, MaskPersonalNumbers, RequestId, current_request_id,
                           set_request_id)
from ekrav.middleware import RequestIdMiddleware

PNR = "198112289874"


@pytest.fixture(autouse=True)
def no_request_id_left_behind():
    """The id is a context variable of this thread: a test that sets one must not lend it to
    the next test's log lines."""
    yield
    set_request_id("")


@pytest.fixture
def json_log():
    """A logger writing through the production handler's filters and formatter."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RequestId())
    handler.addFilter(MaskPersonalNumbers())
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("ekrav.test.json")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False

    def lines():
        return [json.loads(line) for line in stream.getvalue().splitlines()]

    yield logger, lines
    logger.removeHandler(handler)


def test_a_line_is_one_json_object_with_the_fields(json_log):
    logger, lines = json_log
    logger.info("claim %s opened", 42, extra={"claim_id": 42, "amounts": {"öre": 12500}})
    [line] = lines()
    assert line["level"] == "INFO" and line["logger"] == "ekrav.test.json"
    assert line["message"] == "claim 42 opened"
    assert line["request_id"] is None
    assert line["claim_id"] == 42 and line["amounts"] == {"öre": 12500}
    assert line["time"].endswith("Z")
    assert datetime.fromisoformat(line["time"]).utcoffset().total_seconds() == 0


def test_an_exception_is_one_field(json_log):
    logger, lines = json_log
    try:
        raise ValueError("no such claim")
    except ValueError:
        logger.exception("import failed")
    [line] = lines()
    assert line["message"] == "import failed" and line["level"] == "ERROR"
    assert line["exception"].startswith("Traceback (most recent call last):")
    assert line["exception"].endswith("ValueError: no such claim")


def test_no_field_carries_a_whole_personnummer(json_log):
    logger, lines = json_log
    try:
        raise ValueError(f"debtor {PNR} not found")
    except ValueError:
        logger.exception("lookup of %s failed", PNR,
                         extra={"debtor": PNR, "ids": [int(PNR)], "query": {"q": PNR}})
    [line] = lines()
    raw = json.dumps(line)
    assert "9874" not in raw
    assert line["message"] == "lookup of 19811228**** failed"
    assert line["debtor"] == "19811228****" and line["ids"] == ["19811228****"]
    assert line["query"] == {"q": "19811228****"}
    assert "debtor 19811228**** not found" in line["exception"]


def test_a_request_id_from_the_proxy_is_kept_and_is_on_every_line(json_log):
    logger, lines = json_log

    def view(request):
        logger.info("in the view")
        return HttpResponse("ok")

    middleware = RequestIdMiddleware(view)
    response = middleware(RequestFactory().get("/", HTTP_X_REQUEST_ID="lb-7f3a9c2e-0001"))
    assert response["X-Request-ID"] == "lb-7f3a9c2e-0001"
    assert lines()[0]["request_id"] == "lb-7f3a9c2e-0001"


@pytest.mark.parametrize("offered", ["", "short", "evil\nINFO forged line", "<script>x</script>",
                                     "x" * 200])
def test_an_insane_request_id_is_replaced(offered):
    seen = {}

    def view(request):
        seen["id"] = current_request_id()
        return HttpResponse("ok")

    request = RequestFactory().get("/", HTTP_X_REQUEST_ID=offered)
    response = RequestIdMiddleware(view)(request)
    assert response["X-Request-ID"] == seen["id"] == request.request_id != offered
    assert len(seen["id"]) == 32 and int(seen["id"], 16) >= 0


def test_the_site_answers_with_a_request_id(client, db):
    response = client.get("/healthz", HTTP_X_REQUEST_ID="abc-12345678")
    assert response["X-Request-ID"] == "abc-12345678"
    assert len(client.get("/healthz")["X-Request-ID"]) == 32
    assert current_request_id() == ""  # forgotten once the response is closed


def test_a_task_queued_in_a_request_logs_with_its_id():
    from types import SimpleNamespace

    from ekrav.celery import _drop_request_id, _send_request_id, _take_request_id

    set_request_id("req-12345678")
    headers = {}
    _send_request_id(headers=headers)
    assert headers == {"ekrav_request_id": "req-12345678"}
    set_request_id("")  # the worker, another process
    task = SimpleNamespace(request=SimpleNamespace(ekrav_request_id="req-12345678"))
    _take_request_id(task=task)
    assert current_request_id() == "req-12345678"
    _drop_request_id(task=task)
    assert current_request_id() == ""


# --- The configured processes: Django, gunicorn, the Celery worker --------------------------

def environment(tmp_path, **extra):
    env = {k: v for k, v in os.environ.items() if k not in {"EKRAV_ENV", "LOG_FORMAT", "DEBUG"}}
    env.update({"EKRAV_VAR_DIR": str(tmp_path / "var"), "MEDIA_ROOT": str(tmp_path / "media"),
                "DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}",
                "DJANGO_SETTINGS_MODULE": "ekrav.settings", **extra})
    return env


LOG_A_LINE = ("import django, logging; django.setup(); "
              f"logging.getLogger('claims.services').warning('debtor %s', '{PNR}')")


def test_django_s_logging_is_json_when_asked_and_masks(tmp_path):
    done = subprocess.run([sys.executable, "-c", LOG_A_LINE], cwd=settings.BASE_DIR,
                          env=environment(tmp_path, LOG_FORMAT="json"), capture_output=True,
                          text=True, timeout=60)
    line = json.loads(done.stderr.strip().splitlines()[-1])
    assert line["logger"] == "claims.services" and line["level"] == "WARNING"
    assert line["message"] == "debtor 19811228****"


def test_development_logs_text_by_default(tmp_path):
    done = subprocess.run([sys.executable, "-c", LOG_A_LINE], cwd=settings.BASE_DIR,
                          env=environment(tmp_path), capture_output=True, text=True, timeout=60)
    last = done.stderr.strip().splitlines()[-1]
    assert last.endswith("WARNING claims.services [-] debtor 19811228****")


def test_production_logs_json_by_default_and_refuses_an_unknown_format(tmp_path):
    production = environment(tmp_path, EKRAV_ENV="production", SECRET_KEY=secrets.token_urlsafe(60),
                             ALLOWED_HOSTS="ekrav.example",
                             DATABASE_URL="postgres://ekrav@127.0.0.1:1/ekrav")
    show = "import django; django.setup(); from django.conf import settings as s; " \
           "print(s.LOG_FORMAT)"
    done = subprocess.run([sys.executable, "-c", show], cwd=settings.BASE_DIR, env=production,
                          capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "json", done.stderr
    production["LOG_FORMAT"] = "yaml"
    done = subprocess.run([sys.executable, "-c", show], cwd=settings.BASE_DIR, env=production,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode != 0 and "LOG_FORMAT is 'yaml'" in done.stderr


def test_celery_logs_through_django_s_logging(tmp_path):
    """The worker's and beat's logging set-up (Celery's setup_logging) ends in LOGGING's one
    handler: Celery's own lines in JSON, masked, not a text handler of Celery's."""
    script = ("import django, logging; django.setup(); from ekrav.celery import app; "
              "app.log.setup(loglevel='INFO'); root = logging.getLogger(); "
              "print(len(root.handlers), type(root.handlers[0].formatter).__name__); "
              f"logging.getLogger('celery.app.trace').info('Task x succeeded: {PNR}')")
    done = subprocess.run([sys.executable, "-c", script], cwd=settings.BASE_DIR,
                          env=environment(tmp_path, LOG_FORMAT="json"), capture_output=True,
                          text=True, timeout=60)
    assert done.stdout.split() == ["1", "JsonFormatter"], done.stderr
    line = json.loads(done.stderr.strip().splitlines()[-1])
    assert line["logger"] == "celery.app.trace"
    assert line["message"] == "Task x succeeded: 19811228****"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url, **headers):
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=10) as r:
            return r.status, dict(r.headers)
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers)


def test_gunicorn_access_and_error_lines_are_json(tmp_path):
    port = _free_port()
    env = environment(tmp_path, LOG_FORMAT="json", WEB_CONCURRENCY="1",
                      GUNICORN_BIND=f"127.0.0.1:{port}")
    out, err = open(tmp_path / "out", "w+"), open(tmp_path / "err", "w+")
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py",
                               "ekrav.wsgi"], cwd=settings.BASE_DIR, env=env, stdout=out,
                              stderr=err)
    try:
        for _ in range(100):
            try:
                status, _headers = _get(f"http://127.0.0.1:{port}/healthz")
                break
            except OSError:
                time.sleep(0.2)
        assert status == 200
        status, headers = _get(f"http://127.0.0.1:{port}/nowhere?pnr={PNR}",
                               **{"X-Request-ID": "proxy-0000-1111"})
        assert status == 404 and headers["X-Request-ID"] == "proxy-0000-1111"
    finally:
        server.terminate()
        server.wait(timeout=30)
    access = [json.loads(line) for line in (tmp_path / "out").read_text().splitlines()]
    errors = [json.loads(line) for line in (tmp_path / "err").read_text().splitlines()
              if line.startswith("{")]
    # The probe's success is no line; the 404 is one, with the request id the app's lines have.
    [line] = access
    assert line["logger"] == "gunicorn.access" and line["request_id"] == "proxy-0000-1111"
    assert line["http"]["status"] == 404 and line["http"]["path"] == "/nowhere"
    assert line["http"]["query"] == "pnr=19811228****" and PNR not in json.dumps(line)
    assert any(e["logger"] == "gunicorn.error" and "Booting worker" in e["message"]
               for e in errors)
    [not_found] = [e for e in errors if e["logger"] == "django.request"]
    assert not_found["request_id"] == "proxy-0000-1111" and PNR not in json.dumps(not_found)
