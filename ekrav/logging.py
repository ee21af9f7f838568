"""ekrav's log lines: never a person's identity number (issue 6), and in production one JSON
object per line (issue 7) that a log collector can index without parsing text.

Every record passes ``MaskPersonalNumbers`` and ``RequestId`` on its way to a handler
(ekrav.settings LOGGING; gunicorn.conf.py for gunicorn's own loggers; ekrav.celery hands the
worker's and beat's logging to the same LOGGING). ``LOG_FORMAT`` picks ``JsonFormatter`` or the
plain text one.
"""

import contextvars
import datetime
import json
import logging

from ekrav.identifiers import mask_personnummer_in_text

# The request (or the Celery task a request queued) this thread or task is working for:
# set by ekrav.middleware.RequestIdMiddleware and by ekrav.celery around each task.
_request_id = contextvars.ContextVar("ekrav_request_id", default="")

# The attributes every LogRecord has; anything else on a record is an ``extra`` field.
_RECORD_ATTRIBUTES = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {
    "message", "asctime", "request_id", "taskName"}
# The probes load balancers send every few seconds: their successes are not worth a line.
PROBE_PATHS = frozenset({"/healthz", "/readyz"})


def current_request_id() -> str:
    return _request_id.get()


def set_request_id(value: str) -> contextvars.Token:
    return _request_id.set(value)


def reset_request_id(token: contextvars.Token) -> None:
    _request_id.reset(token)


class MaskPersonalNumbers(logging.Filter):
    """Masks the last four digits of anything that reads as a personnummer in the message and
    its arguments (formatted first, so nothing slips through an argument)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string is logging's own error to report
            return True
        masked = mask_personnummer_in_text(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


class RequestId(logging.Filter):
    """Puts the current request id on the record ("-" outside a request, for text lines)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", None):
            record.request_id = _request_id.get() or "-"
        return True


class GunicornAccess(logging.Filter):
    """gunicorn's access lines: drops the probes' successes, and lifts the request's atoms into
    fields before ``MaskPersonalNumbers`` formats the message (and drops the atoms)."""

    def filter(self, record: logging.LogRecord) -> bool:
        atoms = record.args
        if not isinstance(atoms, dict):
            return True
        status = str(atoms.get("s", ""))
        if atoms.get("U") in PROBE_PATHS and status.startswith("2"):
            return False
        # The id RequestIdMiddleware put on the response: the one the app's own lines carry.
        record.request_id = atoms.get("{x-request-id}o", "-")
        record.http = {
            "method": atoms.get("m"), "path": atoms.get("U"), "query": atoms.get("q") or "",
            "status": int(status) if status.isdigit() else status, "bytes": atoms.get("B"),
            "duration_ms": round(atoms.get("D", 0) / 1000, 1), "remote_addr": atoms.get("h"),
            "user_agent": atoms.get("a"), "referer": atoms.get("f"),
        }
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (ISO 8601, UTC), level, logger, message, request_id,
    the Celery task when in one, the record's ``extra`` fields, and an exception as one field.
    Every string in it is masked as the message is (an exception or an extra field carries a
    personnummer as easily as a message)."""

    def format(self, record: logging.LogRecord) -> str:
        request_id = getattr(record, "request_id", None) or _request_id.get()
        entry = {
            "time": datetime.datetime.fromtimestamp(record.created, datetime.UTC)
            .isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": mask_personnummer_in_text(record.getMessage()),
            "request_id": request_id if request_id and request_id != "-" else None,
        }
        entry.update(_celery_task())
        for key, value in vars(record).items():
            if key not in _RECORD_ATTRIBUTES and not key.startswith("_"):
                entry.setdefault(key, _masked(value))
        if record.exc_info:
            entry["exception"] = mask_personnummer_in_text(self.formatException(record.exc_info))
        elif record.exc_text:
            entry["exception"] = mask_personnummer_in_text(record.exc_text)
        if record.stack_info:
            entry["stack"] = mask_personnummer_in_text(self.formatStack(record.stack_info))
        return json.dumps(entry, ensure_ascii=False, default=str)


def _masked(value):
    if isinstance(value, str):
        return mask_personnummer_in_text(value)
    if value is None or isinstance(value, bool | float):
        return value
    if isinstance(value, int):
        return value if mask_personnummer_in_text(str(value)) == str(value) else \
            mask_personnummer_in_text(str(value))
    if isinstance(value, dict):
        return {str(key): _masked(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_masked(item) for item in value]
    return mask_personnummer_in_text(str(value))


def _celery_task() -> dict:
    from celery import current_task

    task = current_task
    if not task or not getattr(task.request, "id", None):
        return {}
    return {"task_id": task.request.id, "task_name": task.name}


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
