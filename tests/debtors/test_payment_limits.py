"""Starting payments from one case is limited per hour: each start asks a provider (Swish,
card, Trustly) for a payment, and a script must not flood a debtor's Swish with requests."""

import pytest

from debtors import portal, views
from payments.models import PaymentRequest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("channel", ["swish", "kort", "trustly"])
def test_too_many_payment_starts_are_refused_politely(dan_client, dan_claim, channel,
                                                      monkeypatch):
    monkeypatch.setattr(portal, "MAX_PAYMENT_STARTS_PER_HOUR", 0)
    response = dan_client.post(f"/mitt-arende/arenden/{dan_claim.pk}/{channel}/",
                               {"amount": "100", "phone": "070-123 45 67",
                                "mode": views.SWISH_BY_NUMBER})
    assert response.status_code == 429
    assert "många betalningar" in response.content.decode()
    assert not PaymentRequest.objects.exists()  # no provider was asked
