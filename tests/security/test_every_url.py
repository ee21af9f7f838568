"""Every route, from the URL resolver, requested by everyone who must not have it: anonymous,
charlie (another creditor) with alice's ids, bob (an ordinary user of alice's) on management
routes, and a Mitt Ärende visitor of one case on another case's routes.

Nothing answers 200 with data, nothing answers 500, and nothing is written. The classification
lives in ``tests.security.routes``; a route missing there fails here first.
"""

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from claims.models import Step
from letters.models import Letter

from creditors.models import ApiKey, Membership
from tests.security.conftest import SECRET_NAME, row_counts
from tests.security.routes import (ACCOUNT, ADMIN, API, CALLBACK, DEBTOR, EXPLICIT, MANAGE,
                                   MANAGE_METHODS, PORTAL, PUBLIC, SIMULATOR, all_routes, fill,
                                   kind_of, param_names, routes_of)

pytestmark = pytest.mark.django_db

LOGIN = reverse("account_login")
# A POST body with something for every form, so a view that forgets its guard would act.
BODY = {"reason": "x", "amount": "1", "paid_on": "2026-01-01", "text": "x", "email":
        "eve@example.se", "role": "admin", "name": "k", "bankgiro": "991-2346",
        "decision": "withdraw", "position": "accept", "answer": "accept", "creditor": "1"}

API_BODY = {"reason": "x", "amount": "1", "paid_on": "2026-01-01"}


def _leaks(response, world) -> list[str]:
    """alice's data in a page: the case number, the debtors' names, the invoice number."""
    if response.get("Content-Type", "").startswith("application/pdf") or \
            getattr(response, "streaming", False):
        return ["a file"]
    body = response.content.decode(errors="replace")
    secrets = [world["claim"].case_number, world["claim"].ocr, SECRET_NAME,
               "Gäldenär nummer 1"]
    return [s for s in secrets if s in body]


def test_every_route_is_classified():
    unclassified = sorted({route for route, _p in all_routes() if kind_of(route) is None})
    assert not unclassified, (
        "New routes: classify them in tests/security/routes.py (who may reach them)",
        unclassified)
    # And no classified route is stale (the lists stay the site's).
    existing = {route for route, _p in all_routes()}
    assert not set(EXPLICIT) - existing, set(EXPLICIT) - existing


def test_anonymous_is_sent_to_the_door(client, world):
    before = row_counts()
    checked = 0
    for route in routes_of(PORTAL, MANAGE, DEBTOR, API, ADMIN, ACCOUNT, PUBLIC):
        kind = kind_of(route)
        url = fill(route, world["ids"])
        for method in ("get", "post"):
            if kind == API:
                response = getattr(client, method)(url, "{}" if method == "post" else None,
                                                   content_type="application/json")
            else:
                response = getattr(client, method)(url, BODY if method == "post" else None)
            status, where = response.status_code, response.get("Location", "")
            answer = (route, method, status, where)
            assert status < 500, answer
            assert not _leaks(response, world), (answer, _leaks(response, world))
            if kind in (PORTAL, MANAGE):
                # To the login (and back), or a method the route does not have.
                assert (status == 302 and where.startswith(LOGIN)) or status == 405, answer
            elif kind == DEBTOR:
                # The door itself as a 404, the answer for a case that is not the visitor's.
                assert status in (404, 405), answer
            elif kind == API:
                assert status in (401, 405), answer
            elif kind == ADMIN:
                # The admin's login hands over to allauth's; nothing else opens.
                assert status in (302, 405), answer
                if status == 302:  # (logging out sends to the admin's index, then login)
                    assert "login" in where or where == reverse("admin:index"), answer
            checked += 1
    assert checked > 200
    assert row_counts() == before


def test_charlie_gets_404_for_everything_of_alices(client, world, charlie, charlie_key):
    """Every route that names an object of alice's, as charlie (portal login, his API key)."""
    client.force_login(charlie)
    before = row_counts()
    checked = []
    for route in routes_of(PORTAL, MANAGE, DEBTOR, API):
        if not param_names(route):
            continue
        url = fill(route, world["ids"])
        auth = {"HTTP_AUTHORIZATION": f"Bearer {charlie_key}"} if url.startswith("/api/") else {}
        answers = {}
        for method in ("get", "post"):
            if auth:
                response = getattr(client, method)(url, API_BODY if method == "post" else None,
                                                   content_type="application/json", **auth)
            else:
                response = getattr(client, method)(url, BODY if method == "post" else None)
            answers[method] = response.status_code
            assert not _leaks(response, world), (route, method, _leaks(response, world))
        # A method the route does not have (405) reveals nothing; any other answer is a 404.
        assert set(answers.values()) <= {404, 405} and 404 in answers.values(), (url, answers)
        checked.append(route)
    assert len(checked) > 30
    assert row_counts() == before
    assert not ApiKey.objects.filter(revoked_at__isnull=False).exists()
    assert Membership.objects.get(pk=world["ids"]["membership_id"]).is_active


def test_charlie_s_own_pages_show_nothing_of_alices(client, world, charlie):
    """The routes without an id (lists, dashboards, forms) as charlie: none of alice's data."""
    client.force_login(charlie)
    for route in routes_of(PORTAL, MANAGE):
        if param_names(route):
            continue
        response = client.get(fill(route, world["ids"]))
        assert response.status_code < 500, route
        if response["Content-Type"] == "application/pdf":
            continue  # the sample letters (brev/exempel/), made of example data and his name
        assert not _leaks(response, world), (route, _leaks(response, world))
    # The search box too.
    for query in (world["claim"].case_number, "Ebba", "F-1001"):
        response = client.get("/", {"q": query})
        # (the query itself is shown back in the search box)
        assert response.context["rows"] == [], query
        assert not [s for s in _leaks(response, world) if query not in s], query


def test_a_creditor_user_is_no_case_handler(client, world, alice, charlie):
    """The admin as the company's own signatory and as charlie: the login, never a page."""
    for user in (alice, charlie):
        client.force_login(user)
        for route in routes_of(ADMIN):
            url = fill(route, world["ids"])
            response = client.get(url)
            assert response.status_code in (302, 403, 404), (user, route, response.status_code)
            assert response.status_code != 200 and not _leaks(response, world), (user, route)


def test_bob_cannot_manage(client, world, bob):
    client.force_login(bob)
    creditor = world["claim"].creditor
    before, bankgiro = row_counts(), creditor.bankgiro
    policy = creditor.policy.__class__.objects.filter(pk=creditor.policy.pk).values().get()
    checked = 0
    for route in routes_of(MANAGE):
        url = fill(route, world["ids"])
        for method in MANAGE_METHODS[route]:
            response = getattr(client, method)(url, BODY if method == "post" else None)
            assert response.status_code in (403, 404), (route, method, response.status_code)
            checked += 1
    assert checked == sum(len(m) for m in MANAGE_METHODS.values())
    # Nothing written: no key made or revoked, nobody invited or removed, nothing changed.
    assert row_counts() == before
    assert not creditor.invitations.exists()
    assert not ApiKey.objects.filter(revoked_at__isnull=False).exists()
    assert Membership.objects.filter(creditor=creditor, is_active=True).count() == 2
    creditor.refresh_from_db()
    assert creditor.bankgiro == bankgiro
    assert creditor.policy.__class__.objects.filter(pk=creditor.policy.pk).values().get() \
        == policy


def test_a_visitor_of_one_case_sees_no_other(visitor, world):
    """Opened with the numbers of alice's first case: the other case's routes are not there."""
    before = row_counts()
    other = world["other"]
    ids = {**world["ids"], "claim_id": other.pk}
    checked = 0
    for route in routes_of(DEBTOR):
        if "claim_id" not in param_names(route):
            continue
        url = fill(route, ids)
        for method in ("get", "post"):
            response = getattr(visitor, method)(url, BODY if method == "post" else None)
            assert response.status_code in (404, 405), (route, method, response.status_code)
            assert other.case_number not in response.content.decode(errors="replace")
            checked += 1
    assert checked > 20
    # A letter of the visitor's own case under the other case's number is not there either.
    own = world["claim"]
    assert visitor.get(f"/mitt-arende/arenden/{other.pk}/brev/{world['letter'].pk}/pdf/") \
        .status_code == 404
    assert visitor.get(f"/mitt-arende/arenden/{own.pk}/").status_code == 200
    # Nor the other case's letter under the visitor's own case number.
    step = Step.objects.create(claim=other, kind="reminder", taken_on=other.registered_on,
                               deadline=other.registered_on)
    letter = Letter.objects.create(claim=other, step=step, kind="reminder", state="sent",
                                   channel="print", letter_date=other.registered_on,
                                   sent_on=other.registered_on,
                                   pdf=ContentFile(b"%PDF-1.4 other", name="o.pdf"))
    assert visitor.get(f"/mitt-arende/arenden/{own.pk}/brev/{letter.pk}/pdf/").status_code \
        == 404
    assert row_counts()["Claim"] == before["Claim"]


def test_alice_cannot_switch_to_charlie_s_company(alice_client, world, charlie_co):
    response = alice_client.post("/foretag/byt/", {"creditor": charlie_co.pk})
    assert response.status_code == 404
    page = alice_client.get("/")
    assert page.status_code == 200 and world["claim"].case_number in page.content.decode()
    assert charlie_co.name not in page.content.decode()


def test_callbacks_without_a_signature_write_nothing(client, world):
    before = row_counts()
    for route in routes_of(CALLBACK):
        url = fill(route, world["ids"])
        response = client.post(url, b'{"status": "PAID"}', content_type="application/json")
        assert response.status_code in (400, 404), (route, response.status_code)
        assert client.get(url).status_code == 405
    assert row_counts() == before
    world["payment_request"].refresh_from_db()
    assert world["payment_request"].status == "created"


def test_the_simulators_are_only_mounted_with_simulators_enabled():
    # They hold no creditor's data and are never part of production (SIMULATORS_ENABLED off):
    # listed here so their presence is a decision, not an accident.
    assert all(route.startswith("sim/") for route in routes_of(SIMULATOR))
