"""Case handlers (staff) use two-step verification (issue 6): without an activated authenticator
app every admin page sends them to its activation; with one, the login asks for its code after
the password. Creditors may turn it on, but are never made to."""

import time
from io import StringIO
from urllib.parse import parse_qs, quote, urlsplit

import pytest
import time_machine
from allauth.mfa.models import Authenticator
from django.contrib.messages import get_messages
from django.core.management import call_command
from django.urls import reverse

from claims.models import CaseMessage
from tests.conftest import PASSWORD, activate_totp, make_user, totp_code

pytestmark = pytest.mark.django_db

ACTIVATE = "/konto/2fa/totp/activate/"
REAUTHENTICATE = "/konto/reauthenticate/"


@pytest.fixture(autouse=True)
def still_clock():
    """A code is valid for its 30-second step only: the clock stands still, so no test's code
    turns stale between being read off the "app" and being typed in."""
    with time_machine.travel(time.time(), tick=False):
        yield


@pytest.fixture
def handler(django_user_model):
    """A case handler who has not activated an authenticator app yet."""
    user = make_user(django_user_model, "handlaggare@ekrav.se")
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    return user


def test_the_activation_page_is_allauths():
    assert reverse("mfa_activate_totp") == ACTIVATE


@pytest.mark.parametrize("url", ["/admin/", "/admin/claims/claim/", "/admin/claims/claim/1/change/",
                                 "/admin/payments/incomingpayment/", "/admin/login/"])
def test_a_handler_without_totp_is_sent_to_activate_it(client, handler, url):
    client.force_login(handler)
    response = client.get(url)
    assert response.status_code == 302 and response.url == ACTIVATE
    told = [str(m) for m in get_messages(response.wsgi_request)]
    assert told == ["Handläggare måste använda tvåstegsverifiering."]


def test_a_post_to_the_handlers_own_views_is_refused_too(client, handler, alice_claim):
    handler.is_superuser = True
    handler.save(update_fields=["is_superuser"])
    client.force_login(handler)
    response = client.post(f"/admin/claims/claim/{alice_claim.pk}/meddelande/",
                           {"text": "Hej, vi har fått er fråga."})
    assert response.status_code == 302 and response.url == ACTIVATE
    assert not CaseMessage.objects.exists()


def test_the_message_is_english_for_english_handlers(client, handler, settings):
    client.force_login(handler)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get("/admin/")
    told = [str(m) for m in get_messages(response.wsgi_request)]
    assert told == ["Case handlers must use two-step verification."]


def test_a_handler_with_totp_gets_the_admin(client, handler, alice_claim):
    activate_totp(handler)
    client.force_login(handler)
    handler.is_superuser = True  # the change page needs the permission, not just is_staff
    handler.save(update_fields=["is_superuser"])
    assert client.get("/admin/").status_code == 200
    assert client.get(f"/admin/claims/claim/{alice_claim.pk}/change/").status_code == 200


def test_a_handler_activates_totp_from_the_admin_after_a_real_login(client, handler):
    client.post("/konto/login/", {"login": handler.email, "password": PASSWORD})
    response = client.get("/admin/", follow=True)
    # allauth asks for the password once more before an authenticator is added.
    assert response.redirect_chain[-1][0] == f"{REAUTHENTICATE}?next={quote(ACTIVATE, safe='')}"
    assert "Handläggare måste använda tvåstegsverifiering." in response.content.decode()
    page = client.post(REAUTHENTICATE, {"password": PASSWORD, "next": ACTIVATE}, follow=True)
    assert page.redirect_chain[-1][0] == ACTIVATE
    assert b'name="code"' in page.content  # the form that takes the app's first code
    assert "issuer=ekrav" in page.context["totp_url"]  # the name the app shows

    done = client.post(ACTIVATE, {"code": totp_code(page.context["form"].secret)})
    # Next, the recovery codes allauth made alongside: the way in when the phone is lost.
    assert done.status_code == 302 and done.url == reverse("mfa_view_recovery_codes")
    assert client.get(done.url).status_code == 200
    assert client.get("/admin/").status_code == 200


def test_a_creditor_is_not_made_to_use_totp(alice_client):
    response = alice_client.get("/", follow=True)
    assert response.status_code == 200
    assert ACTIVATE not in [url for url, _ in response.redirect_chain]
    # ... and the admin stays closed to them, as before.
    assert alice_client.get("/admin/").status_code == 302
    assert alice_client.get("/admin/login/").status_code == 403


def test_a_creditor_may_activate_totp(client, alice, alice_co):
    client.post("/konto/login/", {"login": alice.email, "password": PASSWORD})
    client.post(REAUTHENTICATE, {"password": PASSWORD})
    page = client.get(ACTIVATE)
    assert page.status_code == 200
    done = client.post(ACTIVATE, {"code": totp_code(page.context["form"].secret)})
    assert done.status_code == 302
    assert Authenticator.objects.filter(user=alice, type=Authenticator.Type.TOTP).exists()


def login_next(response) -> str:
    """Where allauth's login will send the visitor on: the ``next`` of a redirect to it."""
    url = urlsplit(response.url)
    assert url.path == "/konto/login/", response.url
    return parse_qs(url.query)["next"][0]


def test_the_admin_login_is_allauths(client):
    response = client.get("/admin/login/?next=/admin/claims/claim/")
    assert response.status_code == 302 and login_next(response) == "/admin/claims/claim/"
    # An anonymous visit to the admin ends on allauth's login with the way back.
    page = client.get("/admin/claims/claim/", follow=True)
    assert page.status_code == 200 and page.request["PATH_INFO"] == "/konto/login/"
    assert b"/admin/claims/claim/" in page.content
    # The admin's own password-only form is gone: a POST logs no one in.
    client.post("/admin/login/", {"username": "x", "password": PASSWORD})
    assert "_auth_user_id" not in client.session


def test_the_admin_login_sends_no_one_elsewhere(client, admin_user):
    response = client.get("/admin/login/?next=https://evil.example/")
    assert login_next(response).startswith("/admin/login/")  # checked again on the way back
    client.force_login(admin_user)
    assert client.get("/admin/login/?next=https://evil.example/").url == "/admin/"
    assert client.get("/admin/login/?next=/admin/claims/").url == "/admin/claims/"


def test_a_handler_with_totp_logs_in_with_password_and_code(client, handler):
    secret = activate_totp(handler)
    response = client.post("/konto/login/?next=/admin/",
                           {"login": handler.email, "password": PASSWORD, "next": "/admin/"})
    assert response.status_code == 302 and response.url == reverse("mfa_authenticate")
    assert "_auth_user_id" not in client.session  # the password alone is not enough
    assert client.get("/admin/").status_code == 302

    wrong_code = f"{(int(totp_code(secret)) + 1) % 1_000_000:06d}"
    wrong = client.post(reverse("mfa_authenticate"), {"code": wrong_code})
    assert wrong.status_code == 200 and wrong.context["form"].errors["code"]
    assert "_auth_user_id" not in client.session

    right = client.post(reverse("mfa_authenticate"), {"code": totp_code(secret)})
    assert right.status_code == 302 and right.url == "/admin/"
    assert client.session["_auth_user_id"] == str(handler.pk)
    assert client.get("/admin/").status_code == 200


def test_a_code_is_used_once(client, handler):
    secret = activate_totp(handler)
    code = totp_code(secret)
    client.post("/konto/login/", {"login": handler.email, "password": PASSWORD})
    client.post(reverse("mfa_authenticate"), {"code": code})
    assert client.session["_auth_user_id"] == str(handler.pk)
    client.post(reverse("account_logout"))

    client.post("/konto/login/", {"login": handler.email, "password": PASSWORD})
    again = client.post(reverse("mfa_authenticate"), {"code": code})
    assert again.status_code == 200 and "_auth_user_id" not in client.session


def test_the_login_rate_limit_stays(client, handler):
    activate_totp(handler)
    for _ in range(5):
        client.post("/konto/login/", {"login": handler.email, "password": "fel-lösenord-123"})
    response = client.post("/konto/login/", {"login": handler.email, "password": PASSWORD})
    assert response.status_code == 200  # the right password, refused all the same
    assert "För många misslyckade inloggningsförsök" in str(response.context["form"].errors)
    assert "_auth_user_id" not in client.session


def test_the_demo_handler_is_not_exempt_and_is_told(client, monkeypatch):
    from ekrav.management.commands import seed_demo

    monkeypatch.delenv("SECRET_KEY", raising=False)
    out = StringIO()
    call_command("seed_demo", stdout=out)
    assert "Case handlers use two-step verification" in out.getvalue()
    client.post("/konto/login/", {"login": seed_demo.STAFF_EMAIL,
                                  "password": seed_demo.STAFF_PASSWORD})
    response = client.get("/admin/")
    assert response.status_code == 302 and response.url == ACTIVATE
