"""CSRF on every POST: with the browser's session but without the token, every route of the
portal, Mitt Ärende, allauth and the admin answers 403 and writes nothing. The exceptions are
routes no browser session can act on, each listed with its reason."""

import pytest
from django.test import Client

from tests.security.conftest import open_case, row_counts
from tests.security.routes import (ACCOUNT, ADMIN, API, CALLBACK, DEBTOR, MANAGE, PORTAL,
                                   PUBLIC, all_routes, fill, kind_of, routes_of)

pytestmark = pytest.mark.django_db

# CSRF-exempt by design: nothing here acts on a browser's cookies.
CSRF_EXEMPT = {
    **{route: "a payment provider posts it; its signature and the request row are checked"
       for route in routes_of(CALLBACK)},
    **{route: "the API authenticates by a bearer key only; a session is not a key "
              "(tests/api/test_auth.py)" for route in routes_of(API)},
    "api/openapi.json": "django-ninja's document; GET only",
    "api/docs": "django-ninja's documentation page; GET only",
    "api/": "django-ninja's root; no view",
    "api/^(?P<rest>.*)$": "the API's JSON 404 for unknown paths; acts on nothing",
}

BODY = {"reason": "x", "amount": "1", "paid_on": "2026-01-01", "text": "x", "email":
        "eve@example.se", "role": "admin", "name": "k", "bankgiro": "991-2346", "months": "3",
        "first_due": "2026-12-01", "case_number": "1", "ocr": "1", "creditor": "1",
        "login": "alice@alicebygg.se", "password": "x", "language": "en"}


def test_the_exempt_views_are_the_allow_listed_ones():
    exempt = {route for route, pattern in all_routes()
              if getattr(pattern.callback, "csrf_exempt", False)
              and kind_of(route) not in ("sim",)}
    assert exempt <= set(CSRF_EXEMPT), sorted(exempt - set(CSRF_EXEMPT))


def _refused_everywhere(client, routes, ids):
    refused = []
    for route in routes:
        if route in CSRF_EXEMPT:
            continue
        response = client.post(fill(route, ids), BODY)
        assert response.status_code == 403, (route, response.status_code)
        refused.append(route)
    return refused


def test_the_portal_refuses_a_post_without_the_token(world, alice):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    before = row_counts()
    refused = _refused_everywhere(client, routes_of(PORTAL, MANAGE, PUBLIC, ACCOUNT), world["ids"])
    assert "arenden/nytt/" in refused and "api-nycklar/" in refused
    assert row_counts() == before
    assert not world["claim"].creditor.invitations.exists()


def test_mitt_arende_refuses_a_post_without_the_token(world, client):
    assert open_case(client, world["claim"]).status_code == 302
    visitor = Client(enforce_csrf_checks=True)
    visitor.cookies = client.cookies  # the same session, the case open in it
    assert visitor.get(f"/mitt-arende/arenden/{world['claim'].pk}/").status_code == 200
    before = row_counts()
    refused = _refused_everywhere(visitor, routes_of(DEBTOR, PUBLIC), world["ids"])
    assert "mitt-arende/arenden/<int:claim_id>/bestrid/" in refused
    assert "mitt-arende/" in refused  # the door too (a login CSRF)
    assert row_counts() == before
    # Still open: the refused "Stäng ärendet" did not close it either.
    assert visitor.get(f"/mitt-arende/arenden/{world['claim'].pk}/").status_code == 200


def test_the_admin_refuses_a_post_without_the_token(world, admin_user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)
    before = row_counts()
    refused = _refused_everywhere(client, routes_of(ADMIN), world["ids"])
    assert len(refused) > 100
    assert row_counts() == before


def test_with_the_token_the_same_post_goes_through(world, alice):
    """The 403s above are CSRF, not something else: with the token, the form is handled."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    client.get("/api-nycklar/")
    token = client.cookies["csrftoken"].value
    response = client.post("/api-nycklar/", {"name": "Ny", "csrfmiddlewaretoken": token})
    assert response.status_code == 200
    assert world["key"].__class__.objects.filter(name="Ny").exists()
