"""The creditor's pages: sign-up, company registration, switching, users, API keys."""

import re

import pytest
from django.core import mail

from creditors.middleware import SESSION_KEY
from creditors.models import ApiKey, Creditor, Invitation, Membership, token_digest
from creditors.services import api_key_authenticate
from tests.conftest import ALICE_COMPANY, CHARLIE_COMPANY, PASSWORD, make_creditor

pytestmark = pytest.mark.django_db


def en(client):
    client.cookies["django_language"] = "en"
    return client


def test_signup_leads_to_company_registration(client):
    response = client.post("/konto/signup/", {"email": "ny@firma.se", "password1": PASSWORD,
                                              "password2": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/foretag/nytt/"
    # Without a company every creditor page sends the user to register one.
    assert client.get("/")["Location"] == "/foretag/nytt/"
    response = client.post("/foretag/nytt/", ALICE_COMPANY)
    assert response.status_code == 302
    creditor = Creditor.objects.get()
    assert creditor.name == "Alice Bygg AB"
    page = client.get("/")
    assert b"Alice Bygg AB" in page.content


def test_the_company_form_names_bad_fields_in_swedish(alice, client):
    client.force_login(alice)
    response = client.post("/foretag/nytt/", {**ALICE_COMPANY, "bankgiro": "123-4567",
                                               "f_tax_confirmed": ""})
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert set(errors) == {"bankgiro", "f_tax_confirmed"}
    assert "F-skatt" in errors["f_tax_confirmed"][0]
    assert not Creditor.objects.exists()


def test_the_company_form_in_english(alice, client):
    client.force_login(alice)
    response = en(client).post("/foretag/nytt/", {**ALICE_COMPANY, "f_tax_confirmed": ""})
    assert "F-tax" in response.context["form"].errors["f_tax_confirmed"][0]


def test_an_already_registered_company_is_refused(alice_co, charlie, client):
    client.force_login(charlie)
    response = client.post("/foretag/nytt/", ALICE_COMPANY)
    assert response.status_code == 200
    assert "organisation_number" in response.context["form"].errors
    assert Creditor.objects.count() == 1


def test_switching_company_takes_effect_at_once(alice, alice_co, client):
    second = make_creditor(CHARLIE_COMPANY, signatory=alice)
    client.force_login(alice)
    client.get("/")
    first_active = client.session[SESSION_KEY]
    other = second if first_active == alice_co.pk else alice_co
    response = client.post("/foretag/byt/", {"creditor": other.pk}, follow=True)
    assert response.context["active_creditor"] == other
    assert other.name.encode() in response.content


def test_switching_to_a_company_you_do_not_belong_to_is_404(alice_client, charlie_co):
    assert alice_client.post("/foretag/byt/", {"creditor": charlie_co.pk}).status_code == 404
    assert alice_client.post("/foretag/byt/", {"creditor": "x"}).status_code == 404


def invite(client, email="ny@alicebygg.se", role="user"):
    return client.post("/anvandare/", {"email": email, "role": role})


def test_signatory_invites_and_the_invitee_joins(alice_client, alice_co, client,
                                                 django_user_model, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assert invite(alice_client).status_code == 302
    [message] = mail.outbox
    assert message.to == ["ny@alicebygg.se"]
    link = re.search(r"/inbjudan/[\w-]+/", message.body).group(0)
    invitation = Invitation.objects.get()
    assert invitation.token_hash != link.split("/")[2]  # stored hashed
    alice_client.logout()
    # The invitee has no account: the link remembers the invitation through sign-up.
    assert client.get(link).status_code == 200
    response = client.post("/konto/signup/", {"email": "ny@alicebygg.se", "password1": PASSWORD,
                                              "password2": PASSWORD})
    assert response["Location"] == link
    client.post(link)
    user = django_user_model.objects.get(email="ny@alicebygg.se")
    assert Membership.objects.get(user=user, creditor=alice_co).role == "user"
    assert client.get(link).status_code == 404  # used once


def test_an_invitation_is_for_its_own_address(alice_client, charlie, client,
                                              django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        invite(alice_client, email="someone@else.se")
    link = re.search(r"/inbjudan/[\w-]+/", mail.outbox[0].body).group(0)
    client.force_login(charlie)
    client.post(link)
    assert not Membership.objects.filter(user=charlie, creditor__name="Alice Bygg AB").exists()


def test_an_ordinary_user_cannot_invite(bob, client):
    client.force_login(bob)
    assert invite(client).status_code == 404
    assert not Invitation.objects.exists()


def test_inviting_an_existing_member_says_so(alice_client, bob):
    response = invite(alice_client, email="bob@alicebygg.se")
    assert "email" in response.context["form"].errors


def test_api_key_is_shown_once_and_stored_hashed(alice_client, alice_co):
    response = alice_client.post("/api-nycklar/", {"name": "Fortnox"})
    secret = response.context["secret"]
    key = ApiKey.objects.get()
    assert key.key_hash == token_digest(secret) and secret not in key.key_hash
    assert api_key_authenticate(secret) == alice_co
    assert secret.encode() not in alice_client.get("/api-nycklar/").content
    alice_client.post(f"/api-nycklar/{key.pk}/aterkalla/")
    assert api_key_authenticate(secret) is None


def test_an_ordinary_user_has_no_api_keys_page(bob, client):
    client.force_login(bob)
    assert client.get("/api-nycklar/").status_code == 403
