"""Celery tasks of the payments app: a few lines each, calling a service."""

from celery import shared_task

from payments.notices import payment_notices_send


@shared_task(acks_late=True)
def payment_notices_task() -> None:
    """After a booking (queued on commit) and every ten minutes (beat): creditors' payment
    e-mails still due, in rounds until none is left."""
    while payment_notices_send():
        pass


@shared_task(acks_late=True)
def settlements_run_task(day: str | None = None) -> None:
    """Daily at 17:00 (beat), after the print batch: settle today's payments to the agency,
    write the payout file and e-mail the statements (payments.settlements)."""
    from datetime import date

    from django.utils import timezone

    from payments.settlements import settlement_emails_send, settlements_run

    settlements_run(day=date.fromisoformat(day) if day else timezone.localdate())
    settlement_emails_send()  # statements whose sending failed before
