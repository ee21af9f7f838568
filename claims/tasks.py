"""Celery tasks of the claims app: a few lines each, loading by id and calling a service."""

from celery import shared_task
from django.utils import timezone

from claims.imports import claim_import_run


@shared_task(acks_late=True)
def claim_import_run_task(import_id: int) -> None:
    """Create the rows of a confirmed CSV import; a second delivery changes nothing."""
    claim_import_run(import_id=import_id, today=timezone.localdate())


@shared_task(acks_late=True)
def collection_tick_task() -> None:
    """The daily tick (Celery beat): every day not yet run, up to today."""
    from claims.collection import collect_until

    collect_until(until=timezone.localdate())
