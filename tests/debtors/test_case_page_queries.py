"""Mitt Ärende's case page reads a fixed number of queries however many invoices, payments,
fees and events the case holds (issue 7; tests/debtors/test_case_page.py pins the number for
Dan's one-invoice case, bench/load_test.py measures the page's latency under load)."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from claims.services import claim_report_direct_payment
from tests.conftest import another_debtor
from tests.debtors.conftest import TODAY, open_case, register_on
from tests.debtors.test_case_page import QUERIES

pytestmark = pytest.mark.django_db


def page_queries(client, claim) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(f"/mitt-arende/arenden/{claim.pk}/")
    assert response.status_code == 200
    return [query["sql"] for query in captured.captured_queries]


@pytest.fixture
def big(alice_co):
    """Six invoices of one debtor, registered with Dan's (they join one case until its
    collection demand): the letters go out to both in dan_claim's run."""
    for i in range(6):
        claim = register_on(alice_co, invoice_number=f"F-9{i}", **another_debtor(7))
    return claim


def test_a_case_of_many_invoices_and_payments_reads_as_many_queries_as_one(
        client, big, dan_client, dan_claim, charlie_claim):
    one = page_queries(dan_client, dan_claim)
    for days in (3, 2, 1):
        claim_report_direct_payment(claim=big, amount_ore=10000,
                                    paid_on=TODAY - timedelta(days=days), today=TODAY)
    big.refresh_from_db()
    assert big.invoices.count() == 6 and big.status == dan_claim.status
    assert open_case(client, big).status_code == 302  # the visitor opens the other case
    many = page_queries(client, big)
    assert len(one) == len(many) == QUERIES, "\n".join(many)
    # The visitor sees that case only: Dan's and charlie's are not there for them.
    for other in (dan_claim, charlie_claim):
        assert client.get(f"/mitt-arende/arenden/{other.pk}/").status_code == 404
