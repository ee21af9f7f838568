"""Celery tasks of the letters app: a few lines each, calling a service."""

from celery import shared_task
from django.utils import timezone

from letters.services import collection_day_run, letters_dispatch, print_batch_close


@shared_task(acks_late=True)
def collection_day_task() -> None:
    """Each morning (beat): the tick for every day not yet run, then those days' letters."""
    collection_day_run(until=timezone.localdate())


@shared_task(acks_late=True)
def letters_dispatch_task() -> None:
    """Through the day (beat): letters still to send, and failed deliveries retried."""
    letters_dispatch(today=timezone.localdate())


@shared_task(acks_late=True)
def print_batch_task() -> None:
    """In the afternoon (beat): today's print letters as one batch for the printer."""
    print_batch_close(day=timezone.localdate())


@shared_task(acks_late=True)
def kfm_application_pdfs_task() -> None:
    """The readable copies of Kronofogden applications prepared since the last run."""
    from letters.services import kfm_application_pdfs_render

    kfm_application_pdfs_render()


@shared_task(acks_late=True)
def limitation_refresh_task() -> None:
    """Each open claim's limitation date, for the handlers' list (beat, nightly)."""
    from letters.services import limitation_refresh

    limitation_refresh()
