"""Integration partners' services (issue 7): keys, grants, and the onboarding a partner starts.
Alice's company granted the partner access; charlie's did not and must stay out of reach."""

import json
import smtplib
from datetime import timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.db import transaction
from django.utils import timezone

from creditors.models import (
    Creditor,
    Membership,
    Partner,
    PartnerApiKey,
    PartnerGrant,
    PartnerOnboarding,
    token_digest,
)
from creditors.onboarding import parse_onboarding
from creditors.partners import (
    ONBOARDING_DAYS,
    creditor_identity,
    partner_creditor,
    partner_creditors,
    partner_grant_create,
    partner_grant_revoke,
    partner_key_authenticate,
    partner_key_create,
    partner_key_revoke,
    partner_onboarding_complete,
    partner_onboarding_create,
    partner_onboarding_email,
    partner_onboarding_find,
    partner_onboarding_grant,
    partner_onboarding_prefill,
    partner_onboarding_url,
)
from creditors.services import CreditorError
from ekrav.identifiers import IdentifierError
from ekrav.models import AuditEntry
from tests.creditors.conftest import NEW_COMPANY

pytestmark = pytest.mark.django_db


@pytest.fixture
def granted(partner, alice_co, alice):
    return partner_grant_create(creditor=alice_co, partner=partner, granted_by=alice,
                                now=timezone.now())


def start(partner, *, send_email=True, **overrides):
    return partner_onboarding_create(partner=partner, data={**NEW_COMPANY, **overrides},
                                     customer_id="K-1", now=timezone.now(),
                                     send_email=send_email)


def completed_input(onboarding):
    """What Kom igång submits from the prefilled form, with what the company adds."""
    data = {**partner_onboarding_prefill(onboarding), "bankgiro": "5050-1055"}
    parsed, errors = parse_onboarding(data, today=timezone.localdate())
    assert not errors, errors
    return parsed


# --- Keys ------------------------------------------------------------------------------------

def test_a_key_is_shown_once_and_stored_as_a_digest(partner):
    key, secret = partner_key_create(partner=partner, name="Inexchange prod")

    assert secret.startswith("ekp_") and key.prefix == secret[:12]
    assert key.key_hash == token_digest(secret) and secret not in key.key_hash
    assert partner_key_authenticate(secret) == key
    assert partner_key_authenticate(secret + "x") is None
    assert partner_key_authenticate("ek_" + secret[4:]) is None


def test_a_revoked_key_or_an_inactive_partner_gets_nothing(partner):
    key, secret = partner_key_create(partner=partner, name="k")
    partner.is_active = False
    partner.save()
    assert partner_key_authenticate(secret) is None
    partner.is_active = True
    partner.save()
    partner_key_revoke(key=key)
    assert partner_key_authenticate(secret) is None


def test_the_command_prints_the_key_once(partner):
    out = StringIO()
    call_command("partner_key_create", "--partner", "Inexchange", "--name", "prod", stdout=out)
    printed = json.loads(out.getvalue())

    assert printed["partner_id"] == partner.pk
    assert partner_key_authenticate(printed["api_key"]).pk == printed["key_id"]
    with pytest.raises(CommandError):
        call_command("partner_key_create", "--partner", "Nobody", stdout=StringIO())


@pytest.mark.parametrize("value", ["556036-0793", "5560360793", "16556036-0793", " 556036 0793 "])
def test_the_creditor_is_named_with_or_without_hyphen(value):
    assert creditor_identity(value, today=timezone.localdate()) == "5560360793"


def test_a_sole_trader_is_named_by_the_owner_s_personnummer():
    assert creditor_identity("811228-9874", today=timezone.localdate()) == "198112289874"


@pytest.mark.parametrize("value", ["556036-0794", "abc", "12"])
def test_a_malformed_creditor_is_refused(value):
    with pytest.raises(IdentifierError):
        creditor_identity(value, today=timezone.localdate())


# --- Grants ----------------------------------------------------------------------------------

def test_a_grant_lets_the_partner_act_for_that_creditor_only(partner, granted, alice_co,
                                                             charlie_co):
    assert partner_creditor(partner=partner, identity=alice_co.organisation_number) == alice_co
    assert partner_creditor(partner=partner, identity=charlie_co.organisation_number) is None
    assert partner_creditor(partner=partner, identity="5560160680") is None  # no such company
    other = Partner.objects.create(name="Another operator")
    assert partner_creditor(partner=other, identity=alice_co.organisation_number) is None
    assert [g.creditor for g in partner_creditors(partner)] == [alice_co]


def test_granting_twice_keeps_one_grant(partner, granted, alice_co, alice):
    again = partner_grant_create(creditor=alice_co, partner=partner, granted_by=alice,
                                 now=timezone.now())
    assert again == granted and PartnerGrant.objects.count() == 1


def test_revoking_ends_the_access_and_a_new_grant_is_a_new_row(partner, granted, alice_co,
                                                                alice):
    partner_grant_revoke(grant=granted, by=alice, now=timezone.now())

    granted.refresh_from_db()
    assert granted.revoked_at is not None and granted.revoked_by == alice
    assert partner_creditor(partner=partner, identity=alice_co.organisation_number) is None
    assert list(partner_creditors(partner)) == []
    again = partner_grant_create(creditor=alice_co, partner=partner, granted_by=alice,
                                 now=timezone.now())
    assert again.pk != granted.pk and PartnerGrant.objects.count() == 2


def test_only_a_signatory_or_administrator_revokes(partner, granted, bob, charlie, charlie_co):
    for user in (bob, charlie):
        with pytest.raises(CreditorError) as refused:
            partner_grant_revoke(grant=granted, by=user, now=timezone.now())
        assert refused.value.code == "not_manager"
    granted.refresh_from_db()
    assert granted.revoked_at is None


def test_grants_are_in_the_audit_trail(partner, granted):
    entry = AuditEntry.objects.get(object_type="creditors.partnergrant")
    assert entry.action == "create" and entry.changes["partner_id"] == [None, partner.pk]


# --- Onboarding ------------------------------------------------------------------------------

def test_an_onboarding_keeps_the_partner_s_values_and_expires_in_30_days(partner):
    now = timezone.now()
    onboarding, token = partner_onboarding_create(partner=partner, data=NEW_COMPANY,
                                                  customer_id=" K-1 ", now=now)

    assert onboarding.organisation_number == "5560160680"
    assert onboarding.company["name"] == "Nya Måleri AB"
    assert onboarding.contact_email == "nina@nyamaleri.se" and onboarding.customer_id == "K-1"
    assert onboarding.token_hash == token_digest(token)
    assert onboarding.expires_at == now + timedelta(days=ONBOARDING_DAYS)
    assert onboarding.state_at(now) == "pending"
    assert "token_hash" not in AuditEntry.objects.get(
        object_type="creditors.partneronboarding").changes


def test_the_partner_s_data_is_checked_by_kom_igang_s_rules(partner):
    with pytest.raises(CreditorError) as refused:
        start(partner, organisation_number="556016-0681", postal_code="1", f_tax_confirmed=False,
              contact_email="nope", contact_personnummer="")
    assert set(refused.value.errors) == {"organisation_number", "postal_code",
                                         "f_tax_confirmed", "contact_email",
                                         "contact_personnummer"}
    # What only the company gives (payout bankgiro, report e-mail) is not asked of the partner.
    assert "bankgiro" not in refused.value.errors
    assert not PartnerOnboarding.objects.exists()


# --- The link by e-mail ------------------------------------------------------------------------

def test_the_link_is_e_mailed_once_to_the_contact_in_swedish(partner,
                                                             django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        onboarding, token = start(partner)

    [message] = mail.outbox
    assert message.to == ["nina@nyamaleri.se"] and not message.cc and not message.bcc
    assert message.subject == "Inexchange har bjudit in er till ekrav"
    body = message.body
    assert "Hej Nina Nilsson," in body
    assert "Inexchange har bjudit in Nya Måleri AB (556016-0680) till ekrav" in body
    assert "bankgirot" in body and "BankID" in body
    assert partner_onboarding_url(token) in body
    assert partner_onboarding_url(token).startswith("http://127.0.0.1:8000/partner/anslut/")
    expires = timezone.localtime(onboarding.expires_at)
    months = ["januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti",
              "september", "oktober", "november", "december"]
    assert (f"gäller till {expires.day} {months[expires.month - 1]} {expires.year} "
            f"kl. {expires:%H:%M}") in body
    onboarding.refresh_from_db()
    assert onboarding.emailed_at is not None
    # Once: a second call (a retried callback) sends nothing.
    assert partner_onboarding_email(onboarding_id=onboarding.pk, token=token) == 0
    assert len(mail.outbox) == 1


def test_a_sole_trader_s_personnummer_is_masked_in_the_e_mail(
        partner, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        start(partner, organisation_number="19811228-9874", form="EF", name="Nina Nilsson")
    [message] = mail.outbox
    assert "19811228-****" in message.body and "9874" not in message.body


def test_the_partner_may_deliver_the_link_itself(partner, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        onboarding, _token = start(partner, send_email=False)
    assert callbacks == [] and mail.outbox == []
    onboarding.refresh_from_db()
    assert onboarding.emailed_at is None


def test_the_token_goes_only_with_its_own_onboarding(partner):
    first, first_token = start(partner, send_email=False)
    second, _token = start(partner, send_email=False)

    assert partner_onboarding_email(onboarding_id=second.pk, token=first_token) == 0
    assert partner_onboarding_email(onboarding_id=first.pk, token="guessed") == 0
    assert mail.outbox == []
    assert partner_onboarding_email(onboarding_id=first.pk, token=first_token) == 1
    assert [m.to for m in mail.outbox] == [["nina@nyamaleri.se"]]


def test_an_onboarding_rolled_back_sends_nothing(partner, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError), transaction.atomic():
            start(partner)
            raise RuntimeError("the request failed after the onboarding was made")
    assert mail.outbox == [] and not PartnerOnboarding.objects.exists()


def test_a_mail_server_failure_keeps_the_onboarding_and_logs_no_token(
        partner, monkeypatch, caplog, django_capture_on_commit_callbacks):
    def refuse(*args, **kwargs):
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")

    monkeypatch.setattr("creditors.partners.send_mail", refuse)
    with django_capture_on_commit_callbacks(execute=True):
        onboarding, token = start(partner)

    onboarding.refresh_from_db()
    assert onboarding.emailed_at is None
    assert partner_onboarding_find(token, now=timezone.now()) == onboarding
    assert "not e-mailed" in caplog.text and token not in caplog.text


def test_the_link_expires(partner):
    onboarding, token = start(partner)
    later = onboarding.expires_at + timedelta(seconds=1)

    assert partner_onboarding_find(token, now=timezone.now()) == onboarding
    assert partner_onboarding_find(token, now=later) is None
    assert partner_onboarding_find("not-the-token", now=timezone.now()) is None
    assert onboarding.state_at(later) == "expired"


def test_completing_registers_the_company_and_grants_the_partner(partner, alice):
    onboarding, token = start(partner)
    creditor = partner_onboarding_complete(onboarding=onboarding,
                                           data=completed_input(onboarding), user=alice,
                                           now=timezone.now())

    assert creditor.organisation_number == "5560160680" and creditor.bankgiro == "50501055"
    assert Membership.objects.get(creditor=creditor).role == Membership.Role.SIGNATORY
    grant = PartnerGrant.objects.get(creditor=creditor)
    assert grant.partner == partner and grant.granted_by == alice and grant.customer_id == "K-1"
    onboarding.refresh_from_db()
    assert onboarding.state_at(timezone.now()) == "completed" and onboarding.creditor == creditor
    assert partner_onboarding_find(token, now=timezone.now()) is None


def test_a_link_is_used_once(partner, alice, charlie):
    """The same link opened twice: the second registration (another company) is undone."""
    onboarding, _token = start(partner)
    stale = PartnerOnboarding.objects.get(pk=onboarding.pk)
    partner_onboarding_complete(onboarding=onboarding, data=completed_input(onboarding),
                                user=alice, now=timezone.now())
    other = {**partner_onboarding_prefill(onboarding), "bankgiro": "5050-1055",
             "organisation_number": "556677-8899"}
    parsed, _errors = parse_onboarding(other, today=timezone.localdate())

    with pytest.raises(CreditorError) as refused:
        partner_onboarding_complete(onboarding=stale, data=parsed, user=charlie,
                                    now=timezone.now())
    assert refused.value.code == "onboarding_used"
    assert not Creditor.objects.filter(organisation_number="5566778899").exists()


def test_an_expired_link_cannot_be_completed(partner, alice):
    onboarding, _token = start(partner)
    with pytest.raises(CreditorError):
        partner_onboarding_complete(onboarding=onboarding, data=completed_input(onboarding),
                                    user=alice, now=onboarding.expires_at)
    assert not Creditor.objects.exists()


def test_a_customer_already_grants_access_by_its_signatory(partner, alice_co, alice, bob):
    onboarding, _token = start(partner, organisation_number="556036-0793")

    with pytest.raises(CreditorError):
        partner_onboarding_grant(onboarding=onboarding, user=bob, now=timezone.now())
    grant = partner_onboarding_grant(onboarding=onboarding, user=alice, now=timezone.now())

    assert grant.creditor == alice_co and grant.partner == partner
    onboarding.refresh_from_db()
    assert onboarding.creditor == alice_co and onboarding.completed_by == alice


def test_a_company_cannot_be_granted_by_someone_of_another(partner, alice_co, charlie,
                                                           charlie_co):
    onboarding, _token = start(partner, organisation_number="556036-0793")
    with pytest.raises(CreditorError):
        partner_onboarding_grant(onboarding=onboarding, user=charlie, now=timezone.now())
    assert not PartnerGrant.objects.exists()


def test_the_partner_key_model_has_a_distinct_prefix():
    from creditors.models import ApiKey

    assert not PartnerApiKey.PREFIX.startswith(ApiKey.PREFIX)


def test_staff_see_partners_grants_and_onboardings_in_the_admin(admin_client, partner, granted):
    start(partner)
    for page in ("partner", "partnergrant", "partneronboarding", "partnerapikey"):
        response = admin_client.get(f"/admin/creditors/{page}/")
        expected = 404 if page == "partnerapikey" else 200  # keys: on the partner's page
        assert response.status_code == expected, page
    assert admin_client.get(f"/admin/creditors/partner/{partner.pk}/change/").status_code == 200
    assert admin_client.get("/admin/creditors/partner/add/").status_code == 200
