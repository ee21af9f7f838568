"""The partner's onboarding link (/partner/anslut/<token>/) and the grants on the company page,
without a browser: a new company registers through it, an existing customer's signatory gives
access, an ordinary user and charlie can do neither, and a used link is gone."""

import pytest
from django.utils import timezone

from creditors.middleware import SESSION_KEY
from creditors.models import Creditor, Membership, PartnerGrant, PartnerOnboarding
from creditors.partners import partner_grant_create, partner_onboarding_create
from tests.conftest import PASSWORD
from tests.creditors.conftest import NEW_COMPANY

pytestmark = pytest.mark.django_db


def link(partner, **overrides):
    _onboarding, token = partner_onboarding_create(
        partner=partner, data={**NEW_COMPANY, **overrides}, now=timezone.now())
    return f"/partner/anslut/{token}/"


def submitted(form, **extra):
    """The prefilled Kom igång form as the browser would post it, plus what the user adds."""
    data = {name: value for name, value in form.initial.items() if value not in (None, False)}
    data["f_tax_confirmed"] = "on"
    return {**data, **extra}


def test_logged_out_the_link_shows_the_partner_and_its_data(client, partner):
    url = link(partner)
    page = client.get(url)

    assert page.status_code == 200
    text = page.content.decode()
    assert "Inexchange ansluter dig till ekrav" in text
    assert "Nya Måleri AB" in text and "556016-0680" in text
    assert f"next={url}" in text  # login and sign-up come back here
    assert client.post(url, {"name": "x"}).status_code == 200
    assert not Creditor.objects.exists()


def test_an_unknown_link_is_a_404(client, db):
    page = client.get("/partner/anslut/no-such-token/")
    assert page.status_code == 404 and "Länken kan inte användas" in page.content.decode()


def test_sign_up_from_the_link_registers_the_company_and_grants_the_partner(client, partner):
    url = link(partner)
    response = client.post(f"/konto/signup/?next={url}", {
        "email": "nina@nyamaleri.se", "password1": PASSWORD, "password2": PASSWORD,
        "next": url})
    assert response.status_code == 302 and response["Location"] == url

    page = client.get(url)
    assert "Inexchange har fyllt i" in page.content.decode()
    form = page.context["form"]
    assert form.initial["name"] == "Nya Måleri AB"
    assert form.initial["report_email"] == "nina@nyamaleri.se"
    response = client.post(url, submitted(form, bankgiro="5050-1055"))

    assert response.status_code == 302 and response["Location"] == "/foretag/avtal/"
    creditor = Creditor.objects.get()
    assert creditor.name == "Nya Måleri AB" and creditor.bankgiro == "50501055"
    assert client.session[SESSION_KEY] == creditor.pk
    assert Membership.objects.get(creditor=creditor).role == Membership.Role.SIGNATORY
    assert PartnerGrant.objects.get().creditor == creditor
    # The agreement page follows, for the signatory's BankID signature; the link is used up.
    assert client.get("/foretag/avtal/").status_code == 200
    assert client.get(url).status_code == 404


def test_the_form_keeps_its_errors_and_writes_nothing(alice, client, partner):
    url = link(partner)
    client.force_login(alice)
    form = client.get(url).context["form"]
    response = client.post(url, submitted(form))  # no bankgiro

    assert response.status_code == 200
    assert "bankgiro" in response.context["form"].errors
    assert Creditor.objects.count() == 0 and not PartnerGrant.objects.exists()
    assert PartnerOnboarding.objects.get().completed_at is None


def test_an_existing_customer_s_signatory_gives_access(alice_client, alice_co, partner):
    url = link(partner, organisation_number="556036-0793", name="Alice Bygg AB")
    page = alice_client.get(url)
    assert "Ge Inexchange åtkomst till Alice Bygg AB" in page.content.decode()

    response = alice_client.post(url)

    assert response.status_code == 302 and response["Location"] == "/foretag/"
    grant = PartnerGrant.objects.get()
    assert grant.creditor == alice_co and grant.granted_by.email == "alice@alicebygg.se"
    assert Creditor.objects.count() == 1
    company = alice_client.get("/foretag/").content.decode()
    assert "Inexchange" in company and f"/foretag/partner/{grant.pk}/aterkalla/" in company


def test_an_ordinary_user_cannot_give_access(client, bob, alice_co, partner):
    url = link(partner, organisation_number="556036-0793")
    client.force_login(bob)
    assert 'data-testid="partner-ask-manager"' in client.get(url).content.decode()
    assert client.post(url).status_code == 403
    assert not PartnerGrant.objects.exists()


def test_charlie_cannot_register_alice_s_company_through_the_link(charlie_client, alice_co,
                                                                  partner):
    url = link(partner, organisation_number="556036-0793")
    form = charlie_client.get(url).context["form"]  # not hers: Kom igång, which refuses it
    response = charlie_client.post(url, submitted(form, bankgiro="5050-1055"))

    assert response.status_code == 200
    assert "organisation_number" in response.context["form"].errors
    assert not PartnerGrant.objects.exists() and Creditor.objects.count() == 2
    assert not Membership.objects.filter(creditor=alice_co, user__email="charlie@example.se")


@pytest.fixture
def grant(partner, alice_co, alice):
    return partner_grant_create(creditor=alice_co, partner=partner, granted_by=alice,
                                now=timezone.now())


def test_the_signatory_revokes_a_partner(alice_client, grant):
    response = alice_client.post(f"/foretag/partner/{grant.pk}/aterkalla/")

    assert response.status_code == 302
    grant.refresh_from_db()
    assert grant.revoked_at is not None
    assert "Ingen partner har åtkomst." in alice_client.get("/foretag/").content.decode()


def test_bob_sees_the_partner_but_cannot_revoke(client, bob, grant):
    client.force_login(bob)
    page = client.get("/foretag/").content.decode()
    assert "Inexchange" in page and "/aterkalla/" not in page
    assert client.post(f"/foretag/partner/{grant.pk}/aterkalla/").status_code == 403
    grant.refresh_from_db()
    assert grant.revoked_at is None


def test_charlie_cannot_revoke_alice_s_partner(charlie_client, grant):
    assert charlie_client.post(f"/foretag/partner/{grant.pk}/aterkalla/").status_code == 404
    assert "Inexchange" not in charlie_client.get("/foretag/").content.decode()
    grant.refresh_from_db()
    assert grant.revoked_at is None

