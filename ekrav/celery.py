"""The Celery application: worker and beat share Django's settings (CELERY_* names) and its
LOGGING (the same JSON lines as the web, ekrav.logging)."""

import os

from celery import Celery, Task, signals
from django.db.utils import InterfaceError, OperationalError

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ekrav.settings")


class EkravTask(Task):
    """Every task: the database gone for a moment (a restart, a failover) is tried again with
    backoff, rather than the task being lost until beat sends it next (tests/faults). Safe,
    since every task takes ids, re-reads its state and does each thing once (decision 5)."""

    autoretry_for = (OperationalError, InterfaceError)
    retry_backoff = 2
    retry_backoff_max = 300
    retry_jitter = True
    max_retries = 8


app = Celery("ekrav", task_cls=EkravTask)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.setup_logging.connect
def use_django_logging(**kwargs):
    """With a receiver here Celery configures no logging of its own (no hijacked root logger,
    no text handlers of its own): worker and beat log through settings.LOGGING."""
    import logging.config

    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)


# A task queued by a request logs with that request's id: it travels in the message's headers.
_REQUEST_ID_HEADER = "ekrav_request_id"


@signals.before_task_publish.connect
def _send_request_id(headers=None, **kwargs):
    from ekrav.logging import current_request_id

    if headers is not None and current_request_id():
        headers.setdefault(_REQUEST_ID_HEADER, current_request_id())


@signals.task_prerun.connect
def _take_request_id(task=None, **kwargs):
    from ekrav.logging import set_request_id

    # (A task run eagerly, in the request's own thread, keeps the request's id as it is.)
    request_id = getattr(task.request, _REQUEST_ID_HEADER, None) if task else None
    if request_id:
        task.request.ekrav_request_id_token = set_request_id(request_id)


@signals.task_postrun.connect
def _drop_request_id(task=None, **kwargs):
    from ekrav.logging import reset_request_id

    token = getattr(task.request, "ekrav_request_id_token", None) if task else None
    if token is not None:
        reset_request_id(token)
