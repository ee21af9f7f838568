"""Delivery over real HTTP to a local receiver: signed, retried with backoff, given up,
redelivered, signed twice during a rotation, never sent twice at once."""

import json
import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from webhooks import signing
from webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from webhooks.services import (
    BACKOFF,
    EXCERPT_BYTES,
    MAX_ATTEMPTS,
    WebhookError,
    deliveries_due,
    delivery_redeliver,
    delivery_send,
    endpoint_ping,
    endpoint_rotate_secret,
)
from tests.conftest import register

NOW = timezone.now().replace(microsecond=0)


def delivery_of(endpoint) -> WebhookDelivery:
    return WebhookDelivery.objects.filter(endpoint=endpoint).latest("id")


@pytest.mark.django_db
def test_a_registration_is_posted_signed_and_delivered(alice_endpoint, alice_co, alice,
                                                       receiver):
    claim = register(alice_co, alice)
    delivery = delivery_of(alice_endpoint)
    now = timezone.now()
    assert delivery_send(delivery_id=delivery.pk, now=now) == "delivered"
    [(path, headers, body)] = receiver.requests
    assert path == "/hook"
    assert headers["Ekrav-Event"] == "claim.registered"
    assert headers["Ekrav-Delivery"] == str(delivery.pk)
    assert headers["Content-Type"] == "application/json"
    signing.verify(alice_endpoint.secret, headers["Ekrav-Signature"], body,
                   now=int(now.timestamp()))
    payload = json.loads(body)
    assert payload["data"]["claim"]["id"] == claim.pk
    assert headers["Ekrav-Event-Id"] == payload["id"]
    delivery.refresh_from_db()
    assert delivery.state == "delivered" and delivery.attempts == 1
    assert delivery.last_status_code == 200 and delivery.next_attempt_at is None
    attempt = WebhookAttempt.objects.get(delivery=delivery)
    assert attempt.status_code == 200 and len(attempt.response_excerpt) == EXCERPT_BYTES


@pytest.mark.django_db
def test_a_failing_receiver_is_retried_with_backoff_then_given_up(alice_endpoint, receiver):
    receiver.status = 500
    delivery = endpoint_ping(endpoint=alice_endpoint, now=NOW)
    at = NOW
    for n in range(1, MAX_ATTEMPTS):
        assert delivery_send(delivery_id=delivery.pk, now=at) == "pending"
        delivery.refresh_from_db()
        assert delivery.attempts == n and delivery.last_status_code == 500
        assert delivery.next_attempt_at == at + BACKOFF[n - 1]
        # Not due before its time: neither the sweep nor a task sends it early.
        assert delivery.pk not in deliveries_due(now=delivery.next_attempt_at - timedelta(1))
        assert delivery_send(delivery_id=delivery.pk,
                             now=delivery.next_attempt_at - timedelta(seconds=1)) == "skipped"
        at = delivery.next_attempt_at
        assert delivery.pk in deliveries_due(now=at)
    assert delivery_send(delivery_id=delivery.pk, now=at) == "failed"
    delivery.refresh_from_db()
    assert delivery.state == "failed" and delivery.next_attempt_at is None
    assert len(receiver.requests) == MAX_ATTEMPTS == WebhookAttempt.objects.count()
    assert [b.total_seconds() for b in BACKOFF] == [60, 300, 1800, 7200, 21600, 86400]


@pytest.mark.django_db
def test_a_receiver_that_recovers_gets_it(alice_endpoint, receiver):
    receiver.status = 503
    delivery = endpoint_ping(endpoint=alice_endpoint, now=NOW)
    delivery_send(delivery_id=delivery.pk, now=NOW)
    receiver.status = 204
    assert delivery_send(delivery_id=delivery.pk, now=NOW + BACKOFF[0]) == "delivered"


@pytest.mark.django_db
def test_a_refused_connection_is_an_error_and_retried(alice_co):
    endpoint = WebhookEndpoint.objects.create(creditor=alice_co, url="http://127.0.0.1:9/x")
    delivery = endpoint_ping(endpoint=endpoint, now=NOW)
    assert delivery_send(delivery_id=delivery.pk, now=NOW) == "pending"
    delivery.refresh_from_db()
    assert delivery.last_status_code is None and delivery.last_error


@pytest.mark.django_db
def test_redirects_are_not_followed(alice_endpoint, receiver):
    receiver.status = 302
    delivery = endpoint_ping(endpoint=alice_endpoint, now=NOW)
    assert delivery_send(delivery_id=delivery.pk, now=NOW) == "pending"
    assert len(receiver.requests) == 1


@pytest.mark.django_db
def test_redeliver_sends_again_and_keeps_the_log(alice_endpoint, receiver):
    delivery = endpoint_ping(endpoint=alice_endpoint, now=NOW)
    delivery_send(delivery_id=delivery.pk, now=NOW)
    later = NOW + timedelta(hours=1)
    delivery_redeliver(delivery=delivery, now=later)
    delivery.refresh_from_db()
    assert delivery.state == "pending" and delivery.attempts == 0
    assert delivery_send(delivery_id=delivery.pk, now=later) == "delivered"
    assert len(receiver.requests) == 2 and delivery.attempt_log.count() == 2
    bodies = {body for _path, _headers, body in receiver.requests}
    assert len(bodies) == 1  # the same event, the same id


@pytest.mark.django_db
def test_a_pending_delivery_cannot_be_redelivered(alice_endpoint):
    delivery = endpoint_ping(endpoint=alice_endpoint, now=NOW)
    with pytest.raises(WebhookError):
        delivery_redeliver(delivery=delivery, now=NOW)


@pytest.mark.django_db
def test_after_rotation_both_secrets_sign_for_a_day(alice_endpoint, receiver):
    old = alice_endpoint.secret
    endpoint_rotate_secret(endpoint=alice_endpoint, now=NOW)
    new = alice_endpoint.secret
    assert new != old and new.startswith("whsec_")
    for at in (NOW + timedelta(hours=23), NOW + timedelta(hours=25)):
        delivery = endpoint_ping(endpoint=alice_endpoint, now=at)
        delivery_send(delivery_id=delivery.pk, now=at)
    (_p, during, body1), (_q, after, body2) = receiver.requests
    for secret in (old, new):
        signing.verify(secret, during["Ekrav-Signature"], body1,
                       now=int((NOW + timedelta(hours=23)).timestamp()))
    assert during["Ekrav-Signature"].count("v1=") == 2
    assert after["Ekrav-Signature"].count("v1=") == 1
    signing.verify(new, after["Ekrav-Signature"], body2,
                   now=int((NOW + timedelta(hours=25)).timestamp()))
    with pytest.raises(signing.SignatureError):
        signing.verify(old, after["Ekrav-Signature"], body2,
                       now=int((NOW + timedelta(hours=25)).timestamp()))


@pytest.mark.django_db
def test_a_disabled_endpoint_is_not_posted_to(alice_endpoint, receiver):
    delivery = endpoint_ping(endpoint=alice_endpoint, now=NOW)
    WebhookEndpoint.objects.filter(pk=alice_endpoint.pk).update(is_active=False)
    assert delivery_send(delivery_id=delivery.pk, now=NOW) == "failed"
    assert receiver.requests == []


@pytest.mark.django_db
def test_the_production_rules_refuse_private_addresses_at_send_time(alice_endpoint, receiver,
                                                                     settings):
    delivery = endpoint_ping(endpoint=alice_endpoint, now=NOW)
    settings.DEBUG = settings.SIMULATORS_ENABLED = False  # http and loopback now refused
    assert delivery_send(delivery_id=delivery.pk, now=NOW) == "pending"
    assert receiver.requests == []
    delivery.refresh_from_db()
    assert "https" in delivery.last_error


@pytest.mark.django_db
def test_a_delivery_being_sent_is_not_taken_by_another_worker(alice_endpoint, receiver,
                                                              monkeypatch):
    """While one worker waits for the receiver, a second (a sweep, a duplicate task) skips it:
    the delivery is leased until the first has recorded its attempt."""
    from webhooks import services

    delivery = endpoint_ping(endpoint=alice_endpoint, now=NOW)
    post, seen = services._post, []

    def post_while_another_tries(*args, **kwargs):
        seen.append(delivery_send(delivery_id=delivery.pk, now=NOW + timedelta(seconds=1)))
        return post(*args, **kwargs)

    monkeypatch.setattr(services, "_post", post_while_another_tries)
    assert delivery_send(delivery_id=delivery.pk, now=NOW) == "delivered"
    assert seen == ["skipped"] and len(receiver.requests) == 1


@pytest.mark.skipif(connection.vendor != "postgresql",
                    reason="row locks with SKIP LOCKED need PostgreSQL (CI)")
@pytest.mark.django_db(transaction=True)
def test_two_workers_never_send_the_same_delivery(alice_endpoint, receiver):
    receiver.delay = 0.3
    delivery = endpoint_ping(endpoint=alice_endpoint, now=NOW)
    results, start = [], threading.Barrier(2)

    def worker():
        start.wait()
        try:
            results.append(delivery_send(delivery_id=delivery.pk, now=NOW))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["delivered", "skipped"]
    assert len(receiver.requests) == 1


@pytest.mark.django_db
def test_the_development_receiver_records_what_arrives(live_server, alice_co):
    """/sim/webhooks/<name>/ (SIMULATORS_ENABLED): what a developer points an endpoint at."""
    import httpx

    url = f"{live_server.url}/sim/webhooks/dev/"
    endpoint = WebhookEndpoint.objects.create(creditor=alice_co, url=url)
    delivery = endpoint_ping(endpoint=endpoint, now=NOW)
    assert delivery_send(delivery_id=delivery.pk, now=NOW) == "delivered"
    [received] = httpx.get(url, timeout=5).json()["received"]
    assert received["headers"]["Ekrav-Event"] == "ping"
    assert received["body"]["data"]["endpoint"]["id"] == endpoint.pk
    failing = WebhookEndpoint.objects.create(creditor=alice_co, url=url + "?status=503")
    delivery = endpoint_ping(endpoint=failing, now=NOW)
    assert delivery_send(delivery_id=delivery.pk, now=NOW) == "pending"


@pytest.mark.django_db
def test_the_beat_sweep_queues_the_due_retries(alice_endpoint, receiver, monkeypatch,
                                               settings):
    from webhooks import tasks

    assert settings.CELERY_BEAT_SCHEDULE["webhook-deliveries"]["task"] == \
        "webhooks.tasks.webhook_deliveries_due_task"
    due = endpoint_ping(endpoint=alice_endpoint, now=timezone.now() - timedelta(minutes=1))
    later = endpoint_ping(endpoint=alice_endpoint, now=timezone.now() + timedelta(hours=1))
    queued = []
    monkeypatch.setattr(tasks.deliveries_send_task, "delay", queued.append)
    tasks.webhook_deliveries_due_task()
    assert queued == [[due.pk]] and later.pk not in queued[0]
    tasks.deliveries_send_task(queued[0])  # what the worker then runs
    due.refresh_from_db()
    assert due.state == "delivered" and len(receiver.requests) == 1


@pytest.mark.django_db
def test_an_endpoint_deleted_while_its_delivery_was_posted(alice_endpoint, receiver,
                                                           monkeypatch):
    from webhooks import services

    delivery = endpoint_ping(endpoint=alice_endpoint, now=NOW)
    post = services._post

    def post_then_delete(*args, **kwargs):
        outcome = post(*args, **kwargs)
        WebhookEndpoint.objects.filter(pk=alice_endpoint.pk).delete()
        return outcome

    monkeypatch.setattr(services, "_post", post_then_delete)
    assert delivery_send(delivery_id=delivery.pk, now=NOW) == "deleted"
    assert not WebhookAttempt.objects.exists()
