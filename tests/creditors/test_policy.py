"""Kravpolicy in the portal: everyone of the company sees it, a signatory or administrator
changes it, within what the law allows. Charlie's policy is his own."""

import pytest

from creditors.models import CollectionPolicy

pytestmark = pytest.mark.django_db

VALID = {"reminder_deadline_days": "12", "demand_deadline_days": "10", "grace_days": "3",
         "charge_reminder_fee": "on", "decide_automatically": "on",
         "kronofogden_min_capital": "2 500,00", "plan_max_months": "12",
         "plan_min_instalment": "150"}


def policy(creditor):
    return CollectionPolicy.objects.get(creditor=creditor)


def test_the_signatory_changes_the_policy(alice_client, alice_co, charlie_co):
    page = alice_client.get("/foretag/kravpolicy/")
    assert page.status_code == 200 and b'name="decide_automatically"' in page.content
    response = alice_client.post("/foretag/kravpolicy/", VALID)
    assert response.status_code == 302
    saved = policy(alice_co)
    assert (saved.reminder_deadline_days, saved.demand_deadline_days, saved.grace_days) == (
        12, 10, 3)
    assert saved.charge_reminder_fee and not saved.interest_enabled
    assert saved.decide_automatically and saved.kronofogden_min_capital_ore == 250000
    assert (saved.plan_max_months, saved.plan_min_instalment_ore) == (12, 15000)
    assert not policy(charlie_co).decide_automatically


@pytest.mark.parametrize("field, value", [
    ("demand_deadline_days", "7"),  # good collection practice: at least 8 days
    ("reminder_deadline_days", "0"),
    ("grace_days", "-1"),
    ("kronofogden_min_capital", "mycket"),
    ("kronofogden_min_capital", "-100"),
    ("plan_max_months", "37"),
    ("plan_min_instalment", "x"),
])
def test_a_bad_value_is_refused_at_its_field_and_nothing_changes(alice_client, alice_co, field,
                                                                 value):
    before = policy(alice_co).updated_at
    response = alice_client.post("/foretag/kravpolicy/", {**VALID, field: value})
    assert response.status_code == 200
    assert f'data-field="{field}"'.encode() in response.content
    assert policy(alice_co).updated_at == before


def test_a_user_sees_the_policy_but_cannot_change_it(client, bob, alice_co):
    client.force_login(bob)
    page = client.get("/foretag/kravpolicy/")
    assert page.status_code == 200 and b"<fieldset disabled" in page.content
    assert client.post("/foretag/kravpolicy/", VALID).status_code == 403
    assert not policy(alice_co).decide_automatically
