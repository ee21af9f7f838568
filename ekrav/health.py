"""Liveness and readiness for load balancers, orchestrators and docker-compose (issue 7).

- ``GET /healthz``: the process answers (no database): restart it when this fails.
- ``GET /readyz``: it can serve: the database answers and has every migration applied, the
  Celery broker is reachable, the media directory is writable. Take it out of the load
  balancer's pool (do not restart it) while this answers 503.

Both are public, cheap and say nothing secret: which check failed and the error's first line
(with any credentials in a URL blanked), never a traceback; the full error is logged.
``HealthCheckMiddleware`` answers them ahead of the rest of the middleware, because probes come
over plain HTTP (no HTTPS redirect), carry no session or CSRF token (nothing to look up or
audit), and name the container's own address as the host (no ALLOWED_HOSTS check: nothing here
builds a URL from the host).
"""

import logging
import re
import tempfile
import time
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

logger = logging.getLogger(__name__)

BROKER_TIMEOUT = 2.0  # seconds: a probe answers well within its own timeout
_CREDENTIALS_IN_URL = re.compile(r"(\w+://)[^@/\s]+@")


@require_safe
@never_cache
def healthz(request):
    return JsonResponse({"status": "ok"})


@require_safe
@never_cache
@transaction.non_atomic_requests
def readyz(request):
    checks = {name: _timed(name, check) for name, check in CHECKS.items()}
    ready = all(result["ok"] for result in checks.values())
    response = JsonResponse({"status": "ok" if ready else "unavailable", "checks": checks},
                            status=200 if ready else 503)
    # Each failed check is logged once (_timed); not again as django.request's "Service
    # Unavailable" error for every probe while a dependency is down.
    response._has_been_logged = True
    return response


def _timed(name, check) -> dict:
    started = time.perf_counter()
    try:
        problem = check()
        if problem:
            logger.warning("readiness check %s failed: %s", name, problem)
    except Exception as exc:
        logger.warning("readiness check %s failed", name, exc_info=True)
        first_line = (str(exc).strip().splitlines() or [""])[0]
        problem = _CREDENTIALS_IN_URL.sub(r"\1***@", f"{type(exc).__name__}: {first_line}")[:300]
    result = {"ok": not problem, "ms": round((time.perf_counter() - started) * 1000, 1)}
    if problem:
        result["error"] = problem
    return result


def check_database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return ""


def check_migrations() -> str:
    """As ``migrate --check`` decides: the migrations in the code not yet applied."""
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if not plan:
        return ""
    names = [f"{migration.app_label}.{migration.name}" for migration, _backwards in plan]
    return f"{len(names)} unapplied: {', '.join(names[:5])}{' …' if len(names) > 5 else ''}"


def check_broker() -> str:
    url = settings.CELERY_BROKER_URL
    if url.startswith("filesystem://"):
        # The embedded default's broker is a folder: reachable means it is there and writable.
        folder = Path(settings.CELERY_BROKER_TRANSPORT_OPTIONS["data_folder_in"])
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".readyz-"):
            return ""
    if url.startswith(("redis://", "rediss://")):
        import redis

        client = redis.Redis.from_url(url, socket_connect_timeout=BROKER_TIMEOUT,
                                      socket_timeout=BROKER_TIMEOUT)
        try:
            client.ping()
        finally:
            client.close()
        return ""
    from ekrav.celery import app

    with app.connection_for_write() as broker:
        broker.ensure_connection(max_retries=1, timeout=BROKER_TIMEOUT)
    return ""


def check_media() -> str:
    with tempfile.NamedTemporaryFile(dir=settings.MEDIA_ROOT, prefix=".readyz-") as probe:
        probe.write(b"ok")
        probe.flush()
    return ""


CHECKS = {"database": check_database, "migrations": check_migrations,
          "broker": check_broker, "media": check_media}
PROBES = {"/healthz": healthz, "/readyz": readyz}


class HealthCheckMiddleware:
    """Answers GET/HEAD of the probes before the rest of MIDDLEWARE (the module's docstring
    says why); every other method goes on to the URL's view like any request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        probe = PROBES.get(request.path_info)
        if probe is None or request.method not in ("GET", "HEAD"):
            return self.get_response(request)
        response = probe(request)
        response["X-Content-Type-Options"] = "nosniff"
        return response
