"""Celery tasks of the webhooks room: a few lines each, loading by id and calling a service."""

from celery import shared_task
from django.utils import timezone

from webhooks.services import (
    deliveries_due,
    deliveries_queue,
    delivery_send,
    http_client,
)


@shared_task(acks_late=True)
def deliveries_send_task(delivery_ids: list[int]) -> None:
    """POST these deliveries (queued on commit); one not due or taken by another is skipped."""
    with http_client() as client:
        for delivery_id in delivery_ids:
            delivery_send(delivery_id=delivery_id, now=timezone.now(), client=client)


@shared_task(acks_late=True)
def webhook_deliveries_due_task() -> None:
    """Beat: the retries whose time has come, and deliveries a lost task left."""
    deliveries_queue(deliveries_due(now=timezone.now()))
