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
