"""The audit trail: every change to creditors, claims, payments and payouts, with who made it,
when, what changed and from where; append-only; read by staff. Secrets never in it."""

import pytest
from django.test import Client

from claims.services import claim_withdraw
from creditors.models import ApiKey
from ekrav.models import AuditEntry
from tests.claims.test_collection import register_on

pytestmark = pytest.mark.django_db


def entries(object_type, object_id):
    return list(AuditEntry.objects.filter(object_type=object_type, object_id=str(object_id))
                .order_by("id"))


def test_a_creditors_change_in_the_portal_names_the_user_and_the_address(alice, alice_co):
    browser = Client(REMOTE_ADDR="192.0.2.7")
    browser.force_login(alice)
    policy = alice_co.policy
    form = browser.get("/foretag/kravpolicy/").context["form"]
    data = {name: field.initial if field.initial is not None else form.initial.get(name, "")
            for name, field in form.fields.items()}
    data = {k: ("on" if v is True else "" if v in (False, None) else v) for k, v in data.items()}
    data["demand_deadline_days"] = 12
    response = browser.post("/foretag/kravpolicy/", data)
    assert response.status_code == 302, response.content.decode()[:500]
    (entry,) = [e for e in entries("creditors.collectionpolicy", policy.pk)
                if e.action == "update"]
    assert (entry.actor, entry.actor_label, entry.ip_address) == (alice, alice.email,
                                                                  "192.0.2.7")
    assert entry.changes["demand_deadline_days"][1] == 12
    assert entry.path == "POST /foretag/kravpolicy/"


def test_a_claims_status_change_by_a_service_is_recorded(alice_co):
    claim = register_on(alice_co)
    claim_withdraw(claim=claim, reason="Kunden har betalat oss.", today=claim.registered_on)
    status = [e for e in entries("claims.claim", claim.pk) if "status" in e.changes
              and e.action == "update"]
    assert status[-1].changes["status"] == ["registered", "withdrawn"]
    assert status[-1].actor_label == "system"  # no request: a task or a command


def test_the_api_key_is_the_actor_and_no_secret_is_recorded(client, alice_co):
    from creditors.services import api_key_create

    key, secret = api_key_create(creditor=alice_co, name="Fortnox")
    (created,) = entries("creditors.apikey", key.pk)
    assert "key_hash" not in created.changes
    response = client.post("/api/v1/claims", data={}, content_type="application/json",
                           HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert response.status_code in (400, 422)  # nothing registered, but the key acted
    assert ApiKey.objects.filter(pk=key.pk).exists()


def test_the_trail_is_append_only():
    entry = AuditEntry.objects.create(actor_label="x", object_type="t", object_id="1",
                                      object_label="t", action="create")
    with pytest.raises(ValueError):
        entry.save()
    with pytest.raises(ValueError):
        entry.delete()


def test_staff_read_it_and_nobody_changes_it(admin_client, alice_co):
    entry = AuditEntry.objects.filter(object_type="creditors.creditor").first()
    assert entry is not None
    assert admin_client.get("/admin/ekrav/auditentry/").status_code == 200
    page = admin_client.get(f"/admin/ekrav/auditentry/{entry.pk}/change/")
    assert page.status_code == 200 and 'type="submit" value="Spara"' not in page.content.decode()
    assert admin_client.get("/admin/ekrav/auditentry/add/").status_code == 403
