"""Celery tasks of the claims app: a few lines each, loading by id and calling a service."""

from celery import shared_task
from django.utils import timezone

from claims.imports import claim_import_run, claim_imports_resume


@shared_task(acks_late=True)
def claim_import_run_task(import_id: int) -> None:
    """Create the rows of a confirmed CSV import; a second delivery changes nothing."""
    claim_import_run(import_id=import_id, today=timezone.localdate())


@shared_task(acks_late=True)
def claim_imports_resume_task() -> None:
    """Beat: confirmed CSV imports whose run was lost are queued again."""
    claim_imports_resume(now=timezone.now())


@shared_task(acks_late=True)
def collection_tick_task() -> None:
    """The daily tick (Celery beat): every day not yet run, up to today."""
    from claims.collection import collect_until

    collect_until(until=timezone.localdate())


@shared_task(acks_late=True)
def solvency_checks_task() -> None:
    """Credit reports on the claims awaiting their decision, and the policies' choices."""
    from claims.creditinfo import client_from_settings
    from claims.decisions import solvency_checks_run

    client = client_from_settings()
    if client is None:  # no bureau configured: the claims wait in the creditors' inboxes
        return
    solvency_checks_run(today=timezone.localdate(), client=client)


@shared_task(acks_late=True)
def decision_reminders_task() -> None:
    from claims.decisions import decision_reminders_send

    decision_reminders_send(today=timezone.localdate())


@shared_task(acks_late=True)
def kfm_application_prepare_task(claim_id: int) -> None:
    """The application for betalningsföreläggande of a claim just sent to Kronofogden."""
    from claims.enforcement import kfm_application_prepare

    kfm_application_prepare(claim_id=claim_id, today=timezone.localdate())


@shared_task(acks_late=True)
def kfm_applications_prepare_task() -> None:
    """Any application a lost task left unmade (beat)."""
    from claims.enforcement import kfm_applications_prepare

    kfm_applications_prepare(today=timezone.localdate())


@shared_task(acks_late=True)
def surveillance_checks_task() -> None:
    """Efterbevakning's periodic solvency checks (the letters go with the daily run)."""
    from claims.creditinfo import client_from_settings
    from claims.surveillance import surveillance_checks_run

    client = client_from_settings()
    if client is not None:
        surveillance_checks_run(today=timezone.localdate(), client=client)


@shared_task(acks_late=True)
def case_messages_notify_task() -> None:
    """The thread's e-mails a failed sending left behind."""
    from claims.messages import case_messages_notify

    case_messages_notify()
