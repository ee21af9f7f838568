"""Celery tasks of the payments app: a few lines each, calling a service."""

from celery import shared_task

from payments.notices import payment_notices_send


@shared_task(acks_late=True)
def payment_notices_task() -> None:
    """After a booking (queued on commit) and every ten minutes (beat): the creditors' payment
    e-mails still due (one per creditor per round, listing their payments), in rounds until
    none is left."""
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


@shared_task(acks_late=True)
def payment_requests_expire_task() -> None:
    """Every ten minutes (beat): Mitt Ärende's payment requests still waiting well after the
    provider's window, read again from the provider or given up (payments.services)."""
    from django.utils import timezone

    from payments import card, swish
    from payments.services import payment_requests_expire

    card_client = card.CardClient.from_settings()
    try:
        payment_requests_expire(now=timezone.now(), today=timezone.localdate(),
                                swish_client=swish.SwishClient.from_settings(),
                                card_client=card_client)
    finally:
        if card_client is not None:
            card_client.close()
