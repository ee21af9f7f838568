"""A claim's message thread: the creditor writes in the portal and the handlers are told by
e-mail; a handler answers in the admin and the creditor is told; the debtor's messages from
Mitt Ärende are in the same thread. Once each, retried when the mail server was down.
Charlie reads and writes nothing of alice's."""

import pytest
from django.core import mail

from claims.messages import case_message_notify, case_messages_notify
from claims.models import CaseMessage, Event
from tests.conftest import register

pytestmark = pytest.mark.django_db


@pytest.fixture
def claim(alice_co, alice):
    return register(alice_co, alice)


def test_the_creditor_writes_and_the_handlers_are_told_once(alice_client, claim, settings,
                                                             django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post(f"/arenden/{claim.pk}/meddelanden/",
                                     {"text": "Gäldenären ringde & lovade betala på fredag."})
    assert response.status_code == 302 and response.url.endswith("#meddelanden")
    message = CaseMessage.objects.get()
    assert (message.sender, message.notified_at is not None) == ("creditor", True)
    (sent,) = mail.outbox
    assert sent.to == [settings.AGENCY["email"]] and claim.case_number in sent.subject
    assert "lovade betala på fredag" in sent.body and "&amp;" not in sent.body
    assert f"/admin/claims/claim/{claim.pk}/change/" in sent.body
    assert case_message_notify(message_id=message.pk) == 0  # never twice
    page = alice_client.get(f"/arenden/{claim.pk}/").content.decode()
    assert "lovade betala på fredag" in page


def test_a_handler_answers_in_the_admin_and_the_creditor_is_told(admin_client, claim, alice_co,
                                                                 django_capture_on_commit_callbacks):
    Event.objects.create(claim=claim, kind="note", occurred_on=claim.registered_on,
                         data={"from": "debtor", "kind": "message", "text": "Jag har betalat."})
    page = admin_client.get(f"/admin/claims/claim/{claim.pk}/meddelande/")
    assert "Jag har betalat." in page.content.decode()  # the debtor's message, in the thread
    with django_capture_on_commit_callbacks(execute=True):
        done = admin_client.post(f"/admin/claims/claim/{claim.pk}/meddelande/",
                                 {"text": "Vi har pausat ärendet medan vi letar betalningen."})
    assert done.status_code == 302
    assert CaseMessage.objects.get().sender == "agency"
    (sent,) = mail.outbox
    assert sent.to == [alice_co.report_email] and "pausat ärendet" in sent.body


def test_a_mail_server_down_loses_nothing(alice_client, claim, monkeypatch,
                                          django_capture_on_commit_callbacks):
    def down(*args, **kwargs):
        raise OSError("smtp down")

    monkeypatch.setattr("claims.messages.send_mail", down)
    with django_capture_on_commit_callbacks(execute=True):
        alice_client.post(f"/arenden/{claim.pk}/meddelanden/", {"text": "Hej"})
    assert CaseMessage.objects.get().notified_at is None
    monkeypatch.undo()
    assert case_messages_notify() == 1 and len(mail.outbox) == 1


@pytest.mark.parametrize("text", ["", "   ", "x" * 4001])
def test_an_empty_or_long_message_is_refused(alice_client, claim, text):
    alice_client.post(f"/arenden/{claim.pk}/meddelanden/", {"text": text})
    assert not CaseMessage.objects.exists()


def test_charlie_cannot_write_on_alices_claim(charlie_client, claim):
    response = charlie_client.post(f"/arenden/{claim.pk}/meddelanden/", {"text": "hej"})
    assert response.status_code == 404 and not CaseMessage.objects.exists()
