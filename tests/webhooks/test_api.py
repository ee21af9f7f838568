"""/api/v1/webhooks: a creditor's system manages its endpoints with its API key; charlie's key
sees nothing of alice's (404, as for a missing one)."""

import json

import pytest

from webhooks.models import WebhookEndpoint

pytestmark = pytest.mark.django_db


def call(client, key, method, url, body=None):
    kwargs = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    if body is not None:
        kwargs.update(data=json.dumps(body), content_type="application/json")
    return getattr(client, method)(url, **kwargs)


def test_create_list_get_delete(client, alice_key, alice_co, receiver):
    created = call(client, alice_key, "post", "/api/v1/webhooks",
                   {"url": receiver.url, "event_types": ["payment.received"]})
    assert created.status_code == 201, created.content
    body = created.json()
    endpoint = WebhookEndpoint.objects.get(creditor=alice_co)
    assert body["secret"] == endpoint.secret and body["event_types"] == ["payment.received"]
    listed = call(client, alice_key, "get", "/api/v1/webhooks").json()
    assert [e["id"] for e in listed] == [endpoint.pk] and "secret" not in listed[0]
    assert call(client, alice_key, "get", f"/api/v1/webhooks/{endpoint.pk}").json()["url"] \
        == receiver.url
    assert call(client, alice_key, "delete", f"/api/v1/webhooks/{endpoint.pk}").status_code \
        == 204
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.parametrize("body,field", [
    ({"url": "ftp://x.se/"}, "url"),
    ({"url": "http://10.1.2.3/x"}, "url"),
    ({"url": "https://x.se/", "event_types": ["claim.eaten"]}, "event_types.0"),
    ({}, "url"),
])
def test_bad_input_is_a_422_in_the_envelope(client, alice_key, body, field):
    response = call(client, alice_key, "post", "/api/v1/webhooks", body)
    assert response.status_code == 422
    assert response.json()["error"] == "validation_error"
    assert field in response.json()["fields"]
    assert not WebhookEndpoint.objects.exists()


def test_charlie_sees_nothing_of_alices(client, alice_key, charlie_key, alice_endpoint):
    assert call(client, charlie_key, "get", "/api/v1/webhooks").json() == []
    for method in ("get", "delete"):
        theirs = call(client, charlie_key, method, f"/api/v1/webhooks/{alice_endpoint.pk}")
        missing = call(client, charlie_key, method, f"/api/v1/webhooks/{alice_endpoint.pk + 99}")
        assert theirs.status_code == missing.status_code == 404
        assert theirs.json() == missing.json()
    assert WebhookEndpoint.objects.filter(pk=alice_endpoint.pk).exists()


def test_without_a_key_a_401(client):
    assert client.get("/api/v1/webhooks").status_code == 401
