"""Celery tasks of the payments app: a few lines each, calling a service."""

from celery import shared_task

from payments.notices import payment_notices_send


@shared_task(acks_late=True)
def payment_notices_task() -> None:
    """Every ten minutes (beat): creditors' payment e-mails that are still due."""
    payment_notices_send()
