"""Bestrid kravet in Mitt Ärende: the debtor objects with a reason and their words, collection
stops at once, the creditor is asked for its position. Bad input loses nothing; another
visitor's case is not there."""

import pytest

from claims.models import Claim, Dispute, Status

pytestmark = pytest.mark.django_db


def post(client, claim, **data):
    return client.post(f"/mitt-arende/arenden/{claim.pk}/bestrid/", data)


def test_an_objection_stops_collection_and_reaches_the_creditor(dan_client, dan_claim,
                                                               alice_client):
    page = dan_client.get(f"/mitt-arende/arenden/{dan_claim.pk}/")
    assert 'data-testid="dispute"' in page.content.decode()
    response = post(dan_client, dan_claim, reason="not_delivered",
                    text="Staketet målades aldrig. <b>Dan</b>")
    assert response.status_code == 302
    dispute = Dispute.objects.get()
    assert (dispute.channel, dispute.reason, dispute.previous_status) == (
        "mitt_arende", "not_delivered", "demand_sent")
    assert Claim.objects.get(pk=dan_claim.pk).status == Status.DISPUTED
    after = dan_client.get(f"/mitt-arende/arenden/{dan_claim.pk}/").content.decode()
    assert 'data-testid="disputed"' in after and 'data-testid="dispute"' not in after
    assert f"dispute-{dispute.pk}" in alice_client.get("/bestridanden/").content.decode()


@pytest.mark.parametrize("data, field", [({}, "reason"), ({"reason": "poor"}, "reason"),
                                         ({"reason": "other", "text": " "}, "text"),
                                         ({"reason": "other", "text": "x" * 2001}, "text")])
def test_a_bad_objection_is_refused_at_its_field(dan_client, dan_claim, data, field):
    response = post(dan_client, dan_claim, **data)
    assert response.status_code == 400
    assert f'data-field="{field}"' in response.content.decode()
    assert not Dispute.objects.exists()
    assert Claim.objects.get(pk=dan_claim.pk).status == Status.DEMAND_SENT


def test_another_case_cannot_be_objected_to(dan_client, other_claim, charlie_claim):
    for claim in (other_claim, charlie_claim):
        assert post(dan_client, claim, reason="not_ordered").status_code == 404
    assert not Dispute.objects.exists()
