"""Idempotency-Key on the API's POSTs (issue 7), as payment APIs do it (Stripe's semantics).

A client that sends ``Idempotency-Key: <key>`` with a POST may retry it after a timeout or a
dropped connection: the retry gets the first response again (with ``Idempotent-Replayed: true``)
and writes nothing. Keys belong to a scope (whose keys they are: the creditor the request acts
for, chosen by the API) and live 24 hours.

- The first response (status, content type, body) is stored **in the same transaction** as the
  writes it reports (``IdempotencyKey`` is created inside the savepoint around the view): both
  are there or neither is.
- The same key with another request (method, path and body fingerprint differ): 422
  ``idempotency_key_reused``. The same key while its first request still runs: 409
  ``idempotency_key_in_use`` (a PostgreSQL advisory lock per scope and key, held until the
  request's transaction ends; the unique constraint on (scope, key) is the backstop, and on
  SQLite the transactions are serial anyway). A malformed key: 400 ``idempotency_key_invalid``.
- 2xx and 4xx responses are stored, so a retried bad request gets the same error; 5xx are not
  and their writes are rolled back (the client may retry), nor authentication errors (no scope),
  nor streamed responses (there is no body to keep; no POST of the API streams).

The pure parts (key rule, fingerprint, which responses are kept, the lock number, the OpenAPI
additions) come first; the parts that touch the database follow.
"""

from __future__ import annotations

import copy
import datetime
import functools
import hashlib
import re
from typing import Callable, Iterable, Optional

from django.core.exceptions import SuspiciousOperation
from django.db import IntegrityError, connection, transaction
from django.http import HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.utils import timezone

from ekrav.models import IdempotencyKey

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255
TTL = datetime.timedelta(hours=24)
KEY_PATTERN = r"^[ -~]{1,255}$"  # printable ASCII, space to tilde
_KEY = re.compile(r"[ -~]{1,255}", re.ASCII)

# Never kept: the client could not be identified, or must be free to try again.
_NOT_STORED = {401, 403, 407, 408, 429}


# --- Pure --------------------------------------------------------------------------------------


def key_problem(key: str) -> Optional[str]:
    """Why ``key`` is not a usable Idempotency-Key, or None when it is."""
    if not key:
        return "The Idempotency-Key header is empty."
    if len(key) > MAX_KEY_LENGTH:
        return f"The Idempotency-Key is longer than {MAX_KEY_LENGTH} characters."
    if not _KEY.fullmatch(key):
        return "The Idempotency-Key may contain only printable ASCII characters."
    return None


def form_digest(fields: Iterable[tuple[str, str]],
                files: Iterable[tuple[str, str, bytes]]) -> bytes:
    """A multipart body's digest from what it carries, not its bytes: a client retrying an
    upload draws a new boundary, and the retry must still be the same request."""
    sha = hashlib.sha256()
    for name, value in sorted(fields):
        sha.update(b"F" + _framed(name) + _framed(value))
    for name, filename, content in sorted(files):
        sha.update(b"U" + _framed(name) + _framed(filename) + hashlib.sha256(content).digest())
    return sha.digest()


def _framed(text: str) -> bytes:
    data = text.encode("utf-8", "surrogatepass")
    return len(data).to_bytes(8, "big") + data


def fingerprint(method: str, path: str, body_digest: bytes) -> str:
    """SHA-256 (hex) of what makes two requests the same: method, path (with the query) and
    the body's digest."""
    sha = hashlib.sha256()
    sha.update(_framed(method.upper()) + _framed(path) + body_digest)
    return sha.hexdigest()


def body_digest(body: bytes) -> bytes:
    return hashlib.sha256(body).digest()


def is_stored(status_code: int) -> bool:
    """Whether a response is kept for replay: successes and the client's errors, except those
    that say nothing about the request itself (authentication, throttling)."""
    return 200 <= status_code < 500 and status_code not in _NOT_STORED


def lock_number(scope: str, key: str) -> int:
    """A signed 64-bit number for PostgreSQL's advisory lock on (scope, key). A collision only
    makes an unrelated request wait its turn with a 409, once in 2**64."""
    digest = hashlib.sha256(_framed(scope) + _framed(key)).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def is_expired(created_at: datetime.datetime, now: datetime.datetime) -> bool:
    return created_at <= now - TTL


HEADER_PARAMETER = {
    "in": "header", "name": HEADER, "required": False,
    "description": "Makes a retry safe: a repeated request with the same key gets the first "
                   "response again (header `Idempotent-Replayed: true`) and creates nothing. "
                   "1-255 printable ASCII characters, e.g. a UUID; kept 24 hours.",
    "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH,
               "pattern": KEY_PATTERN},
}


# What the header can answer besides the operation's own responses.
ERROR_RESPONSES = {400: "Bad Request", 409: "Conflict", 422: "Unprocessable Content"}


def openapi_document(schema: dict, *, error_schema: dict) -> dict:
    """``schema`` with the Idempotency-Key header on every POST operation, and the errors it
    can answer (with ``error_schema``) where the operation does not declare them already."""
    for operations in schema.get("paths", {}).values():
        operation = operations.get("post")
        if operation is None:
            continue
        parameters = operation.setdefault("parameters", [])
        if not any(p.get("in") == "header" and p.get("name", "").lower() == HEADER.lower()
                   for p in parameters):
            parameters.append(copy.deepcopy(HEADER_PARAMETER))
        responses = operation.setdefault("responses", {})
        for status, description in ERROR_RESPONSES.items():
            if status not in responses and str(status) not in responses:  # ninja's are ints
                responses[status] = {"description": description, "content": {
                    "application/json": {"schema": copy.deepcopy(error_schema)}}}
    return schema


# --- Database ----------------------------------------------------------------------------------


ErrorResponse = Callable[..., HttpResponse]  # (request, status, code, message) -> response
Scope = Callable[..., Optional[str]]  # request -> whose keys, or None: not authenticated


def idempotent_posts(*, scope: Scope, error: ErrorResponse):
    """A view decorator (django-ninja: ``api.add_decorator(..., mode="view")``, which wraps each
    operation's authentication, validation and view) giving every POST the Idempotency-Key
    semantics above. ``scope(request)`` says whose keys the request uses; ``error`` builds the
    API's error responses."""

    def decorate(run):
        @functools.wraps(run)
        def wrapper(request, *args, **kwargs):
            key = request.headers.get(HEADER)
            if request.method != "POST" or key is None:
                return run(request, *args, **kwargs)
            owner = scope(request)
            if owner is None:  # the API answers 401 itself; that is never kept
                return run(request, *args, **kwargs)
            problem = key_problem(key)
            if problem:
                return error(request, 400, "idempotency_key_invalid", problem)
            try:
                digest = _request_body_digest(request)
            except (SuspiciousOperation, MultiPartParserError):
                # e.g. a body over DATA_UPLOAD_MAX_MEMORY_SIZE: the API refuses it in its own
                # words, having written nothing.
                return run(request, *args, **kwargs)
            request_fingerprint = fingerprint(request.method, request.get_full_path(), digest)
            return _idempotently(request, owner, key, request_fingerprint, error,
                                 lambda: run(request, *args, **kwargs))

        return wrapper

    return decorate


def _idempotently(request, scope, key, request_fingerprint, error, run):
    now = timezone.now()
    with transaction.atomic():
        if not _try_lock(scope, key):
            return _in_use(request, error)
        stored = _stored(scope, key, now)
        if stored is not None:
            if stored.fingerprint != request_fingerprint:
                return error(request, 422, "idempotency_key_reused",
                             "This Idempotency-Key was used with a different request: use a "
                             "new key for a new request.")
            return replay(stored)
        response = run()
        if response.status_code >= 500:
            # Not kept, so not written either: the retry the client may make must not write
            # a second time.
            transaction.set_rollback(True)
            return response
        if not is_stored(response.status_code) or response.streaming:
            return response
        try:
            with transaction.atomic():
                IdempotencyKey.objects.create(
                    scope=scope, key=key, fingerprint=request_fingerprint, created_at=now,
                    status_code=response.status_code,
                    content_type=response.get("Content-Type", ""), body=response.content)
        except IntegrityError:
            # Only without the advisory lock: another request with this key committed first.
            # Undo this one's writes (the savepoint), as if it had waited for its turn.
            transaction.set_rollback(True)
            return _in_use(request, error)
    return response


def _in_use(request, error):
    return error(request, 409, "idempotency_key_in_use",
                 "A request with this Idempotency-Key is still being processed: retry later.")


def _request_body_digest(request) -> bytes:
    if request.content_type == "multipart/form-data":
        fields = [(name, value) for name, values in request.POST.lists() for value in values]
        files = [(name, f.name or "", _read(f)) for name, uploads in request.FILES.lists()
                 for f in uploads]
        return form_digest(fields, files)
    return body_digest(request.body)


def _read(upload) -> bytes:
    upload.seek(0)
    content = upload.read()
    upload.seek(0)  # the view reads it again
    return content


def _try_lock(scope: str, key: str) -> bool:
    """The advisory lock on (scope, key) until the transaction ends, or False when another
    request holds it. Other databases than PostgreSQL rely on the unique constraint."""
    if connection.vendor != "postgresql":
        return True
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [lock_number(scope, key)])
        return cursor.fetchone()[0]


def _stored(scope: str, key: str, now: datetime.datetime):
    """The key's live stored response; an expired one the clean-up has not reached yet is
    deleted here, and the key is new again."""
    stored = IdempotencyKey.objects.filter(scope=scope, key=key).first()
    if stored is not None and is_expired(stored.created_at, now):
        stored.delete()
        return None
    return stored


def replay(stored) -> HttpResponse:
    response = HttpResponse(bytes(stored.body), status=stored.status_code,
                            content_type=stored.content_type or None)
    response[REPLAYED_HEADER] = "true"
    return response


def idempotency_keys_expire(*, now: datetime.datetime, batch_size: int = 1000) -> int:
    """Delete the keys older than ``TTL``, ``batch_size`` rows a statement (short locks on a
    busy table); returns how many."""
    deleted = 0
    expired = IdempotencyKey.objects.filter(created_at__lte=now - TTL)
    while True:
        ids = list(expired.order_by("created_at").values_list("pk", flat=True)[:batch_size])
        if not ids:
            return deleted
        deleted += IdempotencyKey.objects.filter(pk__in=ids).delete()[0]
        if len(ids) < batch_size:
            return deleted
