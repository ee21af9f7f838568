"""Mass assignment: forms and the API posted with fields they do not have (the claim's status,
another creditor, a bankgiro, staff rights, a role, the OCR and case number). The extra fields
change nothing: what is stored is what the form or schema itself takes."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django.contrib.auth import get_user_model

from claims.models import Claim, Dispute, PaymentPlan
from creditors.models import ApiKey, Creditor, Invitation, Membership
from tests.conftest import ALICE_COMPANY, another_debtor, registration_data
from tests.security.conftest import row_counts

pytestmark = pytest.mark.django_db

OCR, CASE = "99999999999999", "999999"


def extras(charlie_co) -> dict:
    return {"status": "paid", "creditor": charlie_co.pk, "creditor_id": charlie_co.pk,
            "bankgiro": "991-2346", "is_staff": "1", "is_superuser": "1", "role": "signatory",
            "ocr": OCR, "case_number": CASE, "next_action_on": "2000-01-01",
            "registered_by": "1", "source": "api", "id": "424242"}


def company(creditor) -> dict:
    return Creditor.objects.filter(pk=creditor.pk).values().get()


def assert_alice_unchanged(alice, alice_co, before):
    alice.refresh_from_db()
    assert not (alice.is_staff or alice.is_superuser)
    assert company(alice_co) == before
    assert Membership.objects.get(user=alice, creditor=alice_co).role == "signatory"


def test_the_registration_form_takes_only_its_fields(alice_client, alice, alice_co, charlie_co):
    before = company(alice_co)
    response = alice_client.post("/arenden/nytt/", {**registration_data(), **extras(charlie_co)})
    assert response.status_code == 302
    claim = Claim.objects.get()
    assert claim.creditor == alice_co and claim.status == "registered"
    assert claim.ocr != OCR and claim.case_number != CASE and claim.pk != 424242
    assert claim.source == Claim.Source.WEB
    assert not Claim.objects.filter(creditor=charlie_co).exists()
    assert_alice_unchanged(alice, alice_co, before)


def test_the_api_takes_only_its_schema(client, alice, alice_co, alice_key, charlie_co):
    before = company(alice_co)
    payload = {
        "debtor": {"kind": "person", "identity_number": "19811228-9874", "name": "Dan",
                   "address": {"street": "Lillgatan 2", "postal_code": "123 45",
                               "city": "Uppsala"},
                   "creditor": charlie_co.pk, "id": 1},
        "invoice_number": "F-1", "invoice_date": registration_data()["invoice_date"],
        "due_date": registration_data()["due_date"], "amount": "100.00",
        "description": "x", "reminder_fee_agreed": True, **extras(charlie_co),
    }
    response = client.post("/api/v1/claims", payload, content_type="application/json",
                           HTTP_AUTHORIZATION=f"Bearer {alice_key}")
    if response.status_code == 422:  # refused outright: just as good, and nothing written
        assert not Claim.objects.exists()
        return
    assert response.status_code == 201, response.content
    claim = Claim.objects.get()
    assert claim.creditor == alice_co and claim.status == "registered"
    assert claim.ocr != OCR and claim.case_number != CASE and claim.pk != 424242
    assert response.json()["status"] == "registered"
    assert_alice_unchanged(alice, alice_co, before)


def test_the_policy_form_changes_only_the_policy(alice_client, alice, alice_co, charlie_co):
    before, charlies = company(alice_co), charlie_co.policy.__class__.objects.filter(
        creditor=charlie_co).values().get()
    commission = alice_co.policy.surveillance_commission_percent
    valid = {"reminder_deadline_days": "12", "demand_deadline_days": "10", "grace_days": "3",
             "charge_reminder_fee": "on", "kronofogden_min_capital": "2 500,00",
             "plan_max_months": "12", "plan_min_instalment": "150"}
    response = alice_client.post("/foretag/kravpolicy/", {
        **valid, **extras(charlie_co), "name": "Eve AB", "surveillance_commission_percent": "90",
        "organisation_number": "556677-8899"})
    assert response.status_code == 302
    alice_co.refresh_from_db()
    assert alice_co.policy.reminder_deadline_days == 12
    # The commission is the agency's to set (the admin), not the creditor's.
    assert alice_co.policy.surveillance_commission_percent == commission
    assert_alice_unchanged(alice, alice_co, before)
    assert charlie_co.policy.__class__.objects.filter(creditor=charlie_co).values().get() \
        == charlies


def test_onboarding_makes_the_user_no_staff(client, django_user_model, charlie_co):
    eve = django_user_model.objects.create_user(username="eve@example.se",
                                                email="eve@example.se", password="x")
    client.force_login(eve)
    company = {**ALICE_COMPANY, "organisation_number": "556016-0680", "name": "Eve AB",
               "f_tax_confirmed": "on"}
    response = client.post("/foretag/nytt/", {**company, **extras(charlie_co), "role": "user",
                                              "is_active": "1"})
    assert response.status_code == 302, response.content.decode()[:3000]
    eve.refresh_from_db()
    assert not (eve.is_staff or eve.is_superuser)
    created = Creditor.objects.get(name="Eve AB")
    assert Membership.objects.get(user=eve, creditor=created).role == "signatory"
    assert not Membership.objects.filter(user=eve, creditor=charlie_co).exists()
    assert created.pk != 424242


def test_an_invitation_cannot_make_a_signatory(alice_client, alice_co, charlie_co):
    response = alice_client.post("/anvandare/", {"email": "eve@example.se", "role": "signatory",
                                                 "creditor": charlie_co.pk})
    assert response.status_code == 200  # the form again, with the role refused
    assert not Invitation.objects.exists()
    response = alice_client.post("/anvandare/", {"email": "eve@example.se", "role": "user",
                                                 "creditor": charlie_co.pk, "is_staff": "1"})
    assert response.status_code == 302
    invitation = Invitation.objects.get()
    assert (invitation.creditor, invitation.role) == (alice_co, "user")


def test_an_api_key_form_takes_only_a_name(alice_client, alice_co, charlie_co):
    alice_client.post("/api-nycklar/", {"name": "Ny", "creditor": charlie_co.pk,
                                        "revoked_at": "", "prefix": "ek_x"})
    key = ApiKey.objects.get(name="Ny")
    assert key.creditor == alice_co


# --- Mitt Ärende -----------------------------------------------------------------------------


def test_mitt_arende_forms_act_on_the_open_case_only(visitor, world, charlie_co):
    claim, other = world["claim"], world["other"]
    status = claim.status
    counts = row_counts()
    bad = {**extras(charlie_co), "claim": other.pk, "claim_id": other.pk, "debtor": "1",
           "total_ore": "1", "months": "3", "instalments": "[]"}
    url = f"/mitt-arende/arenden/{claim.pk}"
    assert visitor.post(f"{url}/meddelande/", {**bad, "text": "Hej"}).status_code == 302
    claim.refresh_from_db()
    assert claim.status == status and claim.ocr != OCR and claim.case_number != CASE

    assert visitor.post(f"{url}/bestrid/", {**bad, "reason": "other", "text": "Nej",
                                             "status": "resolved", "position": "accept",
                                             "resolved_on": "2026-01-01"}).status_code == 302
    dispute = Dispute.objects.exclude(pk=world["dispute"].pk).get()
    assert dispute.claim == claim and dispute.channel == Dispute.Channel.MITT_ARENDE
    assert dispute.resolved_on is None and dispute.position == ""
    # The other case's objection is as it was.
    world["dispute"].refresh_from_db()
    assert world["dispute"].resolved_on is None and world["dispute"].position == ""
    assert Dispute.objects.filter(claim=other).count() == 1
    assert PaymentPlan.objects.filter(claim=other).count() == 1
    assert row_counts()["Claim"] == counts["Claim"]
    assert row_counts()["Debtor"] == counts["Debtor"]
    claim.refresh_from_db()
    assert claim.creditor_id != charlie_co.pk


def test_the_plan_form_sets_no_status_or_total(visitor, world, charlie_co):
    claim = world["claim"]
    first_due = (timezone.localdate() + timedelta(days=14)).isoformat()
    response = visitor.post(f"/mitt-arende/arenden/{claim.pk}/avbetalningsplan/", {
        "months": "3", "first_due": first_due, "status": "active", "total_ore": "1",
        "instalments": "[]", "claim": world["other"].pk, **another_debtor(2)})
    # (A case before its reminder may not be plannable yet: refused, or made; either way
    # from the form's own fields only.)
    assert response.status_code in (302, 400)
    assert not PaymentPlan.objects.filter(total_ore=1).exists()
    for plan in PaymentPlan.objects.filter(claim=claim):
        assert plan.total_ore != 1 and plan.months == 3
    assert PaymentPlan.objects.filter(claim=world["other"]).count() == 1
    assert not get_user_model().objects.filter(is_staff=True).exists()
