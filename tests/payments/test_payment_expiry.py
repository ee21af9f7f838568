"""Mitt Ärende's payment requests left waiting: the beat ends each one well after its channel's
window (read again where the provider can be asked, given up otherwise), by compare-and-set, so
a request a provider settled meanwhile is never overwritten. The flows over real HTTP are in
test_swish_flow, test_card_flow and test_trustly_flow."""

from datetime import timedelta

import pytest
from django.utils import timezone

from payments import services, tasks
from payments.models import PaymentRequest
from tests.conftest import register

pytestmark = pytest.mark.django_db


@pytest.fixture
def waiting(alice_co):
    """A request of each channel and state, made two hours ago."""
    claim = register(alice_co)
    rows = {}
    for n, (channel, status, code) in enumerate([
            ("trustly", "created", ""), ("trustly", "created", "PENDING"),
            ("trustly", "paid", ""), ("trustly", "declined", ""),
            ("card", "created", ""), ("card", "paid", ""), ("swish", "created", "")]):
        rows[channel, status, code] = PaymentRequest.objects.create(
            claim=claim, channel=channel, instruction_id=f"{n:032X}", amount_ore=10_000,
            status=status, error_code=code, provider_id=f"p{n}" if channel != "swish" else "")
    PaymentRequest.objects.update(created_at=timezone.now() - timedelta(hours=2))
    return rows


def status(row) -> str:
    row.refresh_from_db()
    return row.status


def test_without_a_status_read_the_waiting_are_given_up(waiting):
    ended = services.payment_requests_expire(now=timezone.now(), today=timezone.localdate(),
                                             swish_client=None, card_client=None)
    assert ended == 3
    assert {key: status(row) for key, row in waiting.items()} == {
        ("trustly", "created", ""): "timeout",
        ("trustly", "created", "PENDING"): "created",  # the bank may take days
        ("trustly", "paid", ""): "paid", ("trustly", "declined", ""): "declined",
        ("card", "created", ""): "timeout", ("card", "paid", ""): "paid",
        ("swish", "created", ""): "timeout"}
    assert all(row.finished_at for row in PaymentRequest.objects.filter(status="timeout"))


def test_a_request_settled_meanwhile_is_not_overwritten(waiting):
    row = waiting["card", "created", ""]
    PaymentRequest.objects.filter(pk=row.pk).update(status="paid")  # the webhook came first
    assert services._waiting_give_up(row, now=timezone.now()) == 0
    assert status(row) == "paid"


def test_the_beat_runs_it_every_ten_minutes(waiting, settings):
    settings.CARD_BASE_URL = settings.SWISH_BASE_URL = ""  # both off: nothing can be read
    entry = settings.CELERY_BEAT_SCHEDULE["payment-requests-expire"]
    assert entry["task"] == tasks.payment_requests_expire_task.name
    assert len(entry["schedule"].minute) == 6
    tasks.payment_requests_expire_task()
    assert PaymentRequest.objects.filter(status="timeout").count() == 3
    tasks.payment_requests_expire_task()  # again: nothing more
    assert PaymentRequest.objects.filter(status="timeout").count() == 3
