"""Every endpoint wants 'Authorization: Bearer <key>'; anything else is a 401 with a JSON body."""

import pytest

from creditors.models import ApiKey
from creditors.services import api_key_revoke

ENDPOINTS = [
    ("get", "/api/v1/claims"),
    ("post", "/api/v1/claims"),
    ("get", "/api/v1/claims/{id}"),
    ("post", "/api/v1/claims/{id}/withdraw"),
    ("post", "/api/v1/claims/{id}/payments"),
]


def call(client, method, url, claim, **headers):
    return getattr(client, method)(url.format(id=claim.pk), "{}" if method == "post" else None,
                                   content_type="application/json", **headers)


def assert_unauthorized(response):
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"
    body = response.json()
    assert body["error"] == "unauthorized"
    assert "Bearer" in body["message"]
    assert body["fields"] == {}


@pytest.mark.parametrize("method, url", ENDPOINTS)
def test_no_key(client, alice_claim, method, url):
    assert_unauthorized(call(client, method, url, alice_claim))


@pytest.mark.parametrize("method, url", ENDPOINTS)
@pytest.mark.parametrize("header", [
    "Bearer ek_not-a-key", "Bearer ", "Bearer", "ek_not-a-key", "Token ek_x", "Basic YTpi",
])
def test_a_wrong_key(client, alice_claim, alice_key, method, url, header):
    assert_unauthorized(call(client, method, url, alice_claim, HTTP_AUTHORIZATION=header))


def test_the_key_without_the_bearer_scheme(client, alice_claim, alice_key):
    assert_unauthorized(client.get("/api/v1/claims", HTTP_AUTHORIZATION=alice_key))


@pytest.mark.parametrize("method, url", ENDPOINTS)
def test_a_revoked_key(client, alice_claim, alice_key, method, url):
    api_key_revoke(key=ApiKey.objects.get())

    assert_unauthorized(call(client, method, url, alice_claim,
                             HTTP_AUTHORIZATION=f"Bearer {alice_key}"))


def test_a_valid_key_gets_in(client, alice_claim, alice_key):
    response = client.get("/api/v1/claims", HTTP_AUTHORIZATION=f"Bearer {alice_key}")

    assert response.status_code == 200


def test_a_portal_session_is_not_an_api_key(alice_client, alice_claim):
    assert_unauthorized(alice_client.get("/api/v1/claims"))


def test_the_openapi_document_is_public_and_declares_bearer_auth(client, db):
    response = client.get("/api/openapi.json")

    assert response.status_code == 200
    schema = response.json()
    schemes = schema["components"]["securitySchemes"]
    assert {"type": "http", "scheme": "bearer"}.items() <= next(iter(schemes.values())).items()
    for path in schema["paths"].values():
        for operation in path.values():
            assert operation["security"]
            assert "401" in operation["responses"]


def test_a_keys_use_is_noted_after_the_request_not_within_it(client, alice_key, alice_co,
                                                             django_capture_on_commit_callbacks):
    """Noted within the request's transaction, the key's row would stay locked until the
    request ended, and every other request with that key would wait for it."""
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.get("/api/v1/claims", HTTP_AUTHORIZATION=f"Bearer {alice_key}")
    assert response.status_code == 200
    key = ApiKey.objects.get(creditor=alice_co)
    assert key.last_used_at is None and callbacks
    for callback in callbacks:
        callback()
    key.refresh_from_db()
    assert key.last_used_at is not None
    # Used again within the minute: nothing more to note.
    with django_capture_on_commit_callbacks(execute=True) as again:
        client.get("/api/v1/claims", HTTP_AUTHORIZATION=f"Bearer {alice_key}")
    assert not again
