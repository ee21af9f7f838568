"""Celery tasks of the debtors app: a few lines each, calling a service."""

from celery import shared_task

from debtors.services import debtor_message_mails_send


@shared_task(acks_late=True)
def debtor_message_mails_task() -> None:
    """Every ten minutes (beat): the agency's e-mails about debtors' messages whose sending
    failed right after the message was saved, in rounds until none goes out."""
    while debtor_message_mails_send():
        pass
