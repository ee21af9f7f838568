"""Celery tasks of the ekrav app: a few lines each, calling a service."""

from celery import shared_task
from django.utils import timezone


@shared_task(acks_late=True)
def idempotency_keys_expire_task() -> None:
    """The API's Idempotency-Keys older than 24 hours (beat)."""
    from ekrav.idempotency import idempotency_keys_expire

    idempotency_keys_expire(now=timezone.now())
