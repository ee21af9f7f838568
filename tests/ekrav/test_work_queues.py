"""The handlers' work queues on the admin's front page: each counts what waits, and links to
the list where it is."""

from datetime import date

import pytest

from claims.disputes import dispute_register
from claims.models import Dispute
from tests.claims.test_collection import register_on

pytestmark = pytest.mark.django_db


def test_the_front_page_counts_what_waits_and_links_there(admin_client, alice_co):
    claim = register_on(alice_co)
    dispute_register(claim_id=claim.pk, channel="phone", reason="not_ordered", text="",
                     received_on=date(2026, 4, 3))
    page = admin_client.get("/admin/")
    html = page.content.decode()
    assert page.status_code == 200 and 'data-testid="work-queues"' in html
    assert "/admin/claims/dispute/?open=yes" in html
    queues = {q.url: q.count for q in page.context["queues"]}
    assert queues["/admin/claims/dispute/?open=yes"] == Dispute.objects.count() == 1
    assert queues["/admin/payments/incomingpayment/?state__exact=unmatched"] == 0
    for url in queues:  # every link leads to a list that exists
        assert admin_client.get(url).status_code == 200, url


def test_the_front_page_is_for_staff(client, alice_client):
    assert client.get("/admin/").status_code == 302
    assert alice_client.get("/admin/").status_code == 302
