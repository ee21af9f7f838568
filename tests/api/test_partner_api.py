"""Partner keys (issue 7): a partner acts for the creditors that granted it access, naming one
per request in 'Ekrav-Creditor'; charlie, who granted nothing, is a 404 like an unknown company.
And the partner's own endpoints: starting an onboarding and following it."""

import pytest
from django.core import mail
from django.utils import timezone

from claims.models import Claim
from creditors.models import Creditor, Partner, PartnerGrant, PartnerOnboarding
from creditors.partners import partner_grant_create, partner_grant_revoke, partner_key_create
from ekrav.models import AuditEntry
from tests.conftest import make_user, registration_data

pytestmark = pytest.mark.django_db

ONBOARDING = {
    "organisation_number": "556016-0680", "name": "Nya Måleri AB", "form": "AB",
    "f_tax_confirmed": True,
    "address": {"street": "Nygatan 3", "postal_code": "753 20", "city": "Uppsala"},
    "contact": {"name": "Nina Nilsson", "email": "nina@nyamaleri.se", "phone": "070-765 43 21",
                "personnummer": "19811228-9874"},
    "customer_id": "K-10042",
}


@pytest.fixture
def partner_key(partner):
    return partner_key_create(partner=partner, name="prod")[1]


@pytest.fixture
def granted(partner, alice_co, alice):
    return partner_grant_create(creditor=alice_co, partner=partner, granted_by=alice,
                                now=timezone.now())


def as_partner(key, creditor=None):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    if creditor is not None:
        headers["HTTP_EKRAV_CREDITOR"] = creditor
    return headers


def claim_body():
    data = registration_data()
    return {"debtor": {"kind": "person", "identity_number": data["debtor_identity_number"],
                       "name": data["debtor_name"],
                       "address": {"street": data["debtor_street"],
                                   "postal_code": data["debtor_postal_code"],
                                   "city": data["debtor_city"]}},
            "invoice_number": "P-1", "invoice_date": data["invoice_date"],
            "due_date": data["due_date"], "amount": "500.00", "description": "Målning",
            "reminder_fee_agreed": True}


def assert_error(response, status, code):
    assert response.status_code == status, response.content
    body = response.json()
    assert body["error"] == code and body["message"] and isinstance(body["fields"], dict)
    return body


# --- Acting for a creditor -------------------------------------------------------------------

@pytest.mark.parametrize("named", ["556036-0793", "5560360793"])
def test_a_partner_key_acts_for_the_creditor_that_granted_it(client, partner_key, granted,
                                                             alice_claim, named):
    response = client.get("/api/v1/claims", **as_partner(partner_key, named))

    assert response.status_code == 200
    assert [c["id"] for c in response.json()["items"]] == [alice_claim.pk]
    detail = client.get(f"/api/v1/claims/{alice_claim.pk}", **as_partner(partner_key, named))
    assert detail.status_code == 200


def test_a_partner_registers_a_claim_for_the_creditor_and_the_trail_names_it(
        client, partner_key, granted, alice_co):
    response = client.post("/api/v1/claims", claim_body(), content_type="application/json",
                           **as_partner(partner_key, "556036-0793"))

    assert response.status_code == 201, response.content
    claim = Claim.objects.get(pk=response.json()["id"])
    assert claim.creditor == alice_co
    labels = set(AuditEntry.objects.filter(object_type="claims.claim")
                 .values_list("actor_label", flat=True))
    assert any("Inexchange" in label and "Alice Bygg AB" in label for label in labels), labels


def test_not_for_charlie_who_did_not_grant(client, partner_key, granted, charlie_co):
    not_granted = assert_error(client.get("/api/v1/claims",
                                          **as_partner(partner_key, "556677-8899")),
                               404, "creditor_not_found")
    # An unknown company answers the same: nobody learns who is ekrav's customer.
    unknown = assert_error(client.get("/api/v1/claims",
                                      **as_partner(partner_key, "556016-0680")),
                           404, "creditor_not_found")
    assert not_granted == unknown
    created = client.post("/api/v1/claims", claim_body(), content_type="application/json",
                          **as_partner(partner_key, "556677-8899"))
    assert_error(created, 404, "creditor_not_found")
    assert not Claim.objects.filter(creditor=charlie_co).exists()


def test_a_revoked_grant_is_a_404(client, partner_key, granted, alice, alice_claim):
    partner_grant_revoke(grant=granted, by=alice, now=timezone.now())

    assert_error(client.get("/api/v1/claims", **as_partner(partner_key, "556036-0793")),
                 404, "creditor_not_found")
    assert_error(client.get(f"/api/v1/claims/{alice_claim.pk}",
                            **as_partner(partner_key, "556036-0793")),
                 404, "creditor_not_found")


def test_another_partner_s_grant_is_not_yours(client, granted):
    other_key = partner_key_create(partner=Partner.objects.create(name="Other"), name="k")[1]
    assert_error(client.get("/api/v1/claims", **as_partner(other_key, "556036-0793")),
                 404, "creditor_not_found")


def test_without_the_header_a_partner_key_is_a_400(client, partner_key, granted):
    body = assert_error(client.get("/api/v1/claims", **as_partner(partner_key)),
                        400, "creditor_required")
    assert "Ekrav-Creditor" in body["message"]


def test_a_malformed_header_is_a_400(client, partner_key, granted):
    body = assert_error(client.get("/api/v1/claims", **as_partner(partner_key, "hello")),
                        400, "creditor_invalid")
    assert list(body["fields"]) == ["Ekrav-Creditor"]


def test_a_revoked_or_wrong_partner_key_is_a_401(client, partner, partner_key, granted):
    partner.api_keys.update(revoked_at=timezone.now())
    for key in (partner_key, "ekp_not-a-key"):
        response = client.get("/api/v1/claims", **as_partner(key, "556036-0793"))
        assert_error(response, 401, "unauthorized")


def test_a_creditor_s_own_key_cannot_act_for_another_company(client, alice_key, charlie_co,
                                                             alice_claim):
    assert_error(client.get("/api/v1/claims", **as_partner(alice_key, "556677-8899")),
                 404, "creditor_not_found")
    created = client.post("/api/v1/claims", claim_body(), content_type="application/json",
                          **as_partner(alice_key, "556677-8899"))
    assert_error(created, 404, "creditor_not_found")
    assert not Claim.objects.filter(creditor=charlie_co).exists()
    # Naming its own company (any spelling), or nothing, is fine.
    for named in ("556036-0793", "5560360793", None):
        assert client.get("/api/v1/claims", **as_partner(alice_key, named)).status_code == 200


# --- The partner's own endpoints -------------------------------------------------------------

def test_onboarding_link_completion_and_grant(client, partner_key, django_user_model):
    created = client.post("/api/v1/partner/onboardings", ONBOARDING,
                          content_type="application/json", **as_partner(partner_key))
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["status"] == "pending" and body["creditor"] is None
    assert body["organisation_number"] == "556016-0680" and body["customer_id"] == "K-10042"
    assert "/partner/anslut/" in body["url"]

    # The company opens the link, logs in and completes Kom igång with the prefilled values.
    nina = make_user(django_user_model, "nina@nyamaleri.se")
    client.force_login(nina)
    path = body["url"].split("127.0.0.1:8000", 1)[-1]
    form = client.get(path).context["form"]
    data = {name: value for name, value in form.initial.items() if value is not None}
    response = client.post(path, {**data, "bankgiro": "5050-1055", "f_tax_confirmed": "on"})
    assert response.status_code == 302 and response["Location"] == "/foretag/avtal/"
    client.logout()

    status = client.get(f"/api/v1/partner/onboardings/{body['id']}", **as_partner(partner_key))
    assert status.status_code == 200
    assert status.json()["status"] == "completed"
    assert status.json()["creditor"] == "556016-0680"
    listed = client.get("/api/v1/partner/creditors", **as_partner(partner_key)).json()
    assert [(c["organisation_number"], c["customer_id"], c["agreement_signed"])
            for c in listed] == [("556016-0680", "K-10042", False)]
    # And the key acts for the new creditor.
    claims = client.get("/api/v1/claims", **as_partner(partner_key, "556016-0680"))
    assert claims.status_code == 200 and claims.json()["count"] == 0


def test_ekrav_e_mails_the_link_to_the_contact_and_it_works(
        client, partner_key, django_user_model, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        created = client.post("/api/v1/partner/onboardings", ONBOARDING,
                              content_type="application/json", **as_partner(partner_key))
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["email_sent"] is True

    [message] = mail.outbox
    assert message.to == ["nina@nyamaleri.se"] and not message.cc and not message.bcc
    assert message.subject == "Inexchange har bjudit in er till ekrav"
    assert body["url"] in message.body
    status = client.get(f"/api/v1/partner/onboardings/{body['id']}", **as_partner(partner_key))
    assert status.json()["emailed_at"] is not None

    # The contact follows the e-mail's link, logs in and finds Kom igång prefilled.
    [url] = [line for line in message.body.splitlines() if "/partner/anslut/" in line]
    client.force_login(make_user(django_user_model, "nina@nyamaleri.se"))
    page = client.get(url.strip().removeprefix("http://127.0.0.1:8000"))
    assert page.status_code == 200
    assert page.context["form"].initial["name"] == "Nya Måleri AB"
    assert page.context["form"].initial["report_email"] == "nina@nyamaleri.se"


def test_a_partner_may_deliver_the_link_itself(client, partner_key,
                                               django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        created = client.post("/api/v1/partner/onboardings", {**ONBOARDING, "send_email": False},
                              content_type="application/json", **as_partner(partner_key))
    assert created.status_code == 201, created.content
    assert created.json()["email_sent"] is False and created.json()["emailed_at"] is None
    assert mail.outbox == []
    assert PartnerOnboarding.objects.get().emailed_at is None


def test_send_email_must_be_a_boolean(client, partner_key):
    body = assert_error(client.post("/api/v1/partner/onboardings",
                                    {**ONBOARDING, "send_email": "no"},
                                    content_type="application/json", **as_partner(partner_key)),
                        422, "validation_error")
    assert "send_email" in body["fields"]
    assert not PartnerOnboarding.objects.exists()


def test_an_onboarding_is_checked_like_kom_igang(client, partner_key):
    bad = {**ONBOARDING, "organisation_number": "556016-0681",
           "address": {**ONBOARDING["address"], "postal_code": "1"},
           "contact": {**ONBOARDING["contact"], "email": "nope"}}
    body = assert_error(client.post("/api/v1/partner/onboardings", bad,
                                    content_type="application/json", **as_partner(partner_key)),
                        422, "validation_error")
    assert set(body["fields"]) == {"organisation_number", "address.postal_code",
                                   "contact.email"}


def test_an_existing_customer_gets_the_same_answer(client, partner_key, alice_co):
    new = client.post("/api/v1/partner/onboardings", ONBOARDING,
                      content_type="application/json", **as_partner(partner_key)).json()
    existing = client.post("/api/v1/partner/onboardings",
                           {**ONBOARDING, "organisation_number": "556036-0793"},
                           content_type="application/json", **as_partner(partner_key))
    assert existing.status_code == 201
    assert set(existing.json()) == set(new) and existing.json()["status"] == "pending"


def test_another_partner_s_onboarding_is_a_404(client, partner_key):
    created = client.post("/api/v1/partner/onboardings", ONBOARDING,
                          content_type="application/json", **as_partner(partner_key)).json()
    other_key = partner_key_create(partner=Partner.objects.create(name="Other"), name="k")[1]
    assert_error(client.get(f"/api/v1/partner/onboardings/{created['id']}",
                            **as_partner(other_key)), 404, "not_found")
    assert client.get("/api/v1/partner/creditors", **as_partner(other_key)).json() == []


def test_the_partner_list_shows_only_granted_creditors(client, partner_key, granted,
                                                       charlie_co, alice):
    listed = client.get("/api/v1/partner/creditors", **as_partner(partner_key)).json()
    assert [(c["name"], c["agreement_signed"]) for c in listed] == [("Alice Bygg AB", True)]
    partner_grant_revoke(grant=granted, by=alice, now=timezone.now())
    assert client.get("/api/v1/partner/creditors", **as_partner(partner_key)).json() == []


@pytest.mark.parametrize("method, url", [("get", "/api/v1/partner/creditors"),
                                         ("post", "/api/v1/partner/onboardings"),
                                         ("get", "/api/v1/partner/onboardings/1")])
def test_the_partner_endpoints_want_a_partner_key(client, alice_key, method, url):
    call = getattr(client, method)
    body = ONBOARDING if method == "post" else None
    assert_error(call(url, body, content_type="application/json"), 401, "unauthorized")
    assert_error(call(url, body, content_type="application/json",
                      HTTP_AUTHORIZATION=f"Bearer {alice_key}"), 404, "not_found")
    assert not PartnerGrant.objects.exists() and Creditor.objects.count() == 1


def test_the_openapi_document_has_the_partners_tag(client, db):
    schema = client.get("/api/openapi.json").json()
    operation = schema["paths"]["/api/v1/partner/onboardings"]["post"]
    assert operation["tags"] == ["Partners"] and operation["security"]
    assert "Ekrav-Creditor" in schema["info"]["description"]


# --- Retries (Idempotency-Key) ---------------------------------------------------------------

def test_a_partner_s_retried_claim_is_registered_once(client, partner_key, granted):
    headers = {**as_partner(partner_key, "556036-0793"), "HTTP_IDEMPOTENCY_KEY": "retry-1"}
    first = client.post("/api/v1/claims", claim_body(), content_type="application/json",
                        **headers)
    again = client.post("/api/v1/claims", claim_body(), content_type="application/json",
                        **headers)

    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true" and again.json()["id"] == first.json()["id"]
    assert Claim.objects.count() == 1


def test_a_retried_onboarding_is_started_and_e_mailed_once(client, partner_key,
                                                           django_capture_on_commit_callbacks):
    headers = {**as_partner(partner_key), "HTTP_IDEMPOTENCY_KEY": "onboard-1"}
    with django_capture_on_commit_callbacks(execute=True):
        first = client.post("/api/v1/partner/onboardings", ONBOARDING,
                            content_type="application/json", **headers)
    with django_capture_on_commit_callbacks(execute=True):
        again = client.post("/api/v1/partner/onboardings", ONBOARDING,
                            content_type="application/json", **headers)

    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again.json()["url"] == first.json()["url"] and again.json()["email_sent"] is True
    assert PartnerOnboarding.objects.count() == 1
    assert [m.to for m in mail.outbox] == [["nina@nyamaleri.se"]]


def test_a_refused_partner_request_is_not_kept_for_a_retry(client, partner_key, granted):
    """Without the header the request is refused before any key is kept: sent again with it,
    it registers the claim."""
    headers = {**as_partner(partner_key), "HTTP_IDEMPOTENCY_KEY": "retry-2"}
    refused = client.post("/api/v1/claims", claim_body(), content_type="application/json",
                          **headers)
    assert_error(refused, 400, "creditor_required")
    fixed = client.post("/api/v1/claims", claim_body(), content_type="application/json",
                        **{**headers, "HTTP_EKRAV_CREDITOR": "556036-0793"})
    assert fixed.status_code == 201 and Claim.objects.count() == 1


def test_every_claim_endpoint_documents_the_creditor_header(client, db):
    schema = client.get("/api/openapi.json").json()
    for path, operations in schema["paths"].items():
        for operation in operations.values():
            names = [p["name"] for p in operation.get("parameters", [])]
            assert ("Ekrav-Creditor" in names) != path.startswith("/api/v1/partner/"), path
            if not path.startswith("/api/v1/partner/"):
                assert {"400", "404"} <= set(operation["responses"]), path
