"""gunicorn's settings for ekrav's web container (the Dockerfile's CMD: `gunicorn -c
gunicorn.conf.py ekrav.wsgi`). Sized from the environment; gunicorn's own access and error
lines in the shape of ekrav's (LOG_FORMAT: one JSON object per line in production, ekrav.logging).
"""

import os

from ekrav.logging import TEXT_FORMAT

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
# Processes, each with its own persistent database connection per thread (CONN_MAX_AGE).
# The list pages are CPU-bound in the template: ~2 per core; WeasyPrint's PDFs take memory.
workers = int(os.environ.get("WEB_CONCURRENCY") or 2 * (os.cpu_count() or 1) + 1)
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
# A PDF rendered on request or a 5 MB CSV upload stays well within this.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
keepalive = 5
# A fresh process now and then: memory a long-lived worker gathers (fonts, caches) goes back.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = max_requests // 10
# The workers' heartbeat files in memory, not on the container's overlay filesystem.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None

_EKRAV_ENV = os.environ.get("EKRAV_ENV", "development")
_FORMAT = os.environ.get("LOG_FORMAT") or ("json" if _EKRAV_ENV == "production" else "text")
if _FORMAT == "text":
    access_log_format = '%(h)s "%(r)s" %(s)s %(B)s %(M)sms "%(a)s"'
else:  # the fields are in "http" (ekrav.logging.GunicornAccess); the message stays short
    access_log_format = '"%(r)s" %(s)s'

_FILTERS = ["request_id", "mask_personal_numbers"]
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "ekrav.logging.JsonFormatter"},
                   "text": {"format": TEXT_FORMAT}},
    "filters": {"mask_personal_numbers": {"()": "ekrav.logging.MaskPersonalNumbers"},
                "request_id": {"()": "ekrav.logging.RequestId"},
                "access": {"()": "ekrav.logging.GunicornAccess"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": _FORMAT,
                    "filters": _FILTERS, "stream": "ext://sys.stderr"},
        # The access filter first: it reads the request's atoms before masking formats them.
        "access": {"class": "logging.StreamHandler", "formatter": _FORMAT,
                   "filters": ["access", *_FILTERS], "stream": "ext://sys.stdout"},
    },
    "root": {"level": os.environ.get("LOG_LEVEL", "INFO"), "handlers": ["console"]},
    "loggers": {
        # Their own handlers and no propagation: once Django configures LOGGING in the worker,
        # the root's handler would write each line a second time.
        "gunicorn.error": {"level": "INFO", "handlers": ["console"], "propagate": False},
        "gunicorn.access": {"level": "INFO", "handlers": ["access"], "propagate": False},
        # django-environ's "no .env file" as settings load: the environment is the config.
        "environ": {"level": "WARNING"},
    },
}
