"""Skriv ett meddelande: a note on the case for the creditor and the handlers, and one e-mail
to the agency, sent once the note is saved."""

import pytest
from django.core import mail

from claims.models import Event
from tests.debtors.conftest import TODAY

pytestmark = pytest.mark.django_db


def post(client, claim, text):
    return client.post(f"/mitt-arende/arenden/{claim.pk}/meddelande/", {"text": text})


def test_a_message_is_noted_and_mailed_once(dan_client, dan_claim, settings,
                                            django_capture_on_commit_callbacks, alice_client):
    text = "Jag bestrider fakturan: staketet målades aldrig. <b>Hälsningar</b> Dan & co"
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = post(dan_client, dan_claim, text)
    assert response.status_code == 302 and len(callbacks) == 1
    event = Event.objects.get(claim=dan_claim, kind="note")
    assert event.data == {"from": "debtor", "kind": "message", "text": text}
    assert event.occurred_on == TODAY
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.to == [settings.AGENCY["email"]]
    assert dan_claim.case_number in sent.subject and "\n" not in sent.subject
    assert text in sent.body  # as written, not HTML-escaped
    assert "Alice Bygg AB" in sent.body and "Dan Gäldenär" in sent.body
    assert f"/admin/claims/claim/{dan_claim.pk}/change/" in sent.body
    # The creditor reads it on the case's timeline.
    assert "staketet målades aldrig" in alice_client.get(
        f"/arenden/{dan_claim.pk}/").content.decode()


def test_no_mail_when_the_message_is_not_saved(dan_client, dan_claim,
                                               django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        for text in ("", "   ", "x" * 2001):
            response = post(dan_client, dan_claim, text)
            assert response.status_code == 400
            assert list(response.context["message_form"].errors) == ["text"]
            assert 'data-field="text"' in response.content.decode()
    assert callbacks == [] and mail.outbox == []
    assert not Event.objects.filter(claim=dan_claim, kind="note").exists()


def test_a_long_message_up_to_the_limit_is_taken(dan_client, dan_claim,
                                                 django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assert post(dan_client, dan_claim, "å" * 2000).status_code == 302
    assert len(mail.outbox) == 1


def test_a_mail_server_down_does_not_lose_the_message(dan_client, dan_claim, monkeypatch,
                                                      django_capture_on_commit_callbacks):
    import smtplib

    def down(*args, **kwargs):
        raise smtplib.SMTPServerDisconnected("down")

    monkeypatch.setattr("debtors.services.send_mail", down)
    with django_capture_on_commit_callbacks(execute=True):
        response = post(dan_client, dan_claim, "Hej, jag har en fråga.")
    assert response.status_code == 302
    assert Event.objects.filter(claim=dan_claim, kind="note").count() == 1


def down(*args, **kwargs):
    import smtplib

    raise smtplib.SMTPServerDisconnected("down")


def test_the_mail_that_failed_goes_out_on_the_next_run_once(dan_client, dan_claim, monkeypatch,
                                                            settings,
                                                            django_capture_on_commit_callbacks):
    from debtors.models import MessageMail
    from debtors.tasks import debtor_message_mails_task

    monkeypatch.setattr("debtors.services.send_mail", down)
    with django_capture_on_commit_callbacks(execute=True):
        post(dan_client, dan_claim, "Hej, jag har en fråga.")
    assert mail.outbox == []
    [due] = MessageMail.objects.filter(mailed_at__isnull=True)
    assert due.event == Event.objects.get(claim=dan_claim, kind="note")
    debtor_message_mails_task()  # still down: still due
    assert MessageMail.objects.get().mailed_at is None

    monkeypatch.undo()
    debtor_message_mails_task()  # as the beat runs it
    assert len(mail.outbox) == 1 and "Hej, jag har en fråga." in mail.outbox[0].body
    assert mail.outbox[0].to == [settings.AGENCY["email"]]
    assert MessageMail.objects.get().mailed_at is not None
    debtor_message_mails_task()
    assert len(mail.outbox) == 1  # never twice
    # The timeline's note is the message as written; the marker is not on it.
    assert Event.objects.get(claim=dan_claim, kind="note").data == {
        "from": "debtor", "kind": "message", "text": "Hej, jag har en fråga."}


def test_a_mail_sent_at_once_is_not_sent_again(dan_client, dan_claim,
                                               django_capture_on_commit_callbacks):
    from debtors.models import MessageMail
    from debtors.services import debtor_message_mail, debtor_message_mails_send

    with django_capture_on_commit_callbacks(execute=True):
        post(dan_client, dan_claim, "Första")
        post(dan_client, dan_claim, "Andra")
    assert len(mail.outbox) == 2
    assert debtor_message_mails_send() == 0
    assert all(debtor_message_mail(mail_id=m.pk) == 0 for m in MessageMail.objects.all())
    assert len(mail.outbox) == 2


def test_a_message_rolled_back_leaves_no_mail_due(dan_claim):
    from django.db import transaction

    from debtors.models import MessageMail
    from debtors.services import debtor_message_mails_send, debtor_send_message

    with pytest.raises(RuntimeError), transaction.atomic():
        debtor_send_message(claim=dan_claim, text="Hej", today=TODAY)
        raise RuntimeError("the request failed after the message")
    assert not MessageMail.objects.exists() and debtor_message_mails_send() == 0


def test_the_beat_retries_message_mails(settings):
    from debtors.tasks import debtor_message_mails_task

    entry = settings.CELERY_BEAT_SCHEDULE["debtor-message-mails"]
    assert entry["task"] == debtor_message_mails_task.name
    assert entry["schedule"].minute == set(range(0, 60, 10))
