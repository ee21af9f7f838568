"""Ansök om avbetalningsplan in Mitt Ärende: within the company's limits it is agreed at once
and shown; beyond them the company is asked; bad input is refused at its field."""

from datetime import timedelta

import pytest

from claims.models import Claim, PaymentPlan, Status
from tests.debtors.conftest import TODAY

pytestmark = pytest.mark.django_db


def post(client, claim, **data):
    return client.post(f"/mitt-arende/arenden/{claim.pk}/avbetalningsplan/", data)


def test_a_plan_within_the_limits_is_agreed_at_once(dan_client, dan_claim):
    page = dan_client.get(f"/mitt-arende/arenden/{dan_claim.pk}/")
    assert 'data-testid="plan-request"' in page.content.decode()
    response = post(dan_client, dan_claim, months="3",
                    first_due=(TODAY + timedelta(days=14)).isoformat())
    assert response.status_code == 302
    plan = PaymentPlan.objects.get()
    assert plan.status == "active" and plan.months == 3
    assert Claim.objects.get(pk=dan_claim.pk).status == Status.PAYMENT_PLAN
    after = dan_client.get(f"/mitt-arende/arenden/{dan_claim.pk}/").content.decode()
    assert 'data-testid="plan"' in after and 'data-testid="plan-request"' not in after


def test_a_longer_plan_goes_to_the_company(dan_client, dan_claim, alice_client):
    post(dan_client, dan_claim, months="12", first_due=(TODAY + timedelta(days=14)).isoformat())
    plan = PaymentPlan.objects.get()
    assert plan.status == "requested"
    assert Claim.objects.get(pk=dan_claim.pk).status == Status.DEMAND_SENT
    page = alice_client.get("/beslut/").content.decode()
    assert f'data-testid="plan-{plan.pk}"' in page
    alice_client.post(f"/beslut/avbetalningsplan/{plan.pk}/", {"approve": "yes"})
    plan.refresh_from_db()
    assert plan.status == "active"


@pytest.mark.parametrize("data, field", [
    ({"months": "0", "first_due": "2026-05-10"}, "months"),
    ({"months": "3", "first_due": "2026-04-27"}, "first_due"),  # today: not in the future
    ({"months": "3", "first_due": "someday"}, "first_due"),
])
def test_bad_input_is_refused_at_its_field(dan_client, dan_claim, data, field):
    response = post(dan_client, dan_claim, **data)
    assert response.status_code == 400
    assert f'data-field="{field}"' in response.content.decode()
    assert not PaymentPlan.objects.exists()


def test_another_case_is_not_there(dan_client, other_claim, charlie_claim):
    for claim in (other_claim, charlie_claim):
        assert post(dan_client, claim, months="3", first_due="2026-05-10").status_code == 404
    assert not PaymentPlan.objects.exists()
