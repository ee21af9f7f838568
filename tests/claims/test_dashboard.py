"""The creditor's statistics: months laid out right (pure), and the page's figures equal the
ledger, for its own creditor only, in a constant number of queries."""

from datetime import date

import pytest
from hypothesis import given, strategies as st

from claims.dashboard import bars, monthly, months_back
from claims.registration import parse_registration
from claims.services import claim_payment_receive, claim_register
from tests.conftest import another_debtor, registration_data


def test_months_back_crosses_the_year():
    assert months_back(date(2026, 2, 14), 4) == [date(2025, 11, 1), date(2025, 12, 1),
                                                 date(2026, 1, 1), date(2026, 2, 1)]


def test_outstanding_carries_over_from_month_to_month():
    jan, feb = date(2026, 1, 1), date(2026, 2, 1)
    months = monthly(today=date(2026, 2, 3), count=2, charged_before=1000, paid_before=400,
                     charged={jan: 500}, registered={jan: 500}, paid={feb: 300})
    assert [(m.registered_ore, m.collected_ore, m.outstanding_ore) for m in months] == [
        (500, 0, 1100), (0, 300, 800)]


@given(st.lists(st.integers(min_value=0, max_value=10**12), min_size=1, max_size=24))
def test_bars_fit_the_chart_and_the_largest_is_full_height(values):
    chart = bars([(str(i), v) for i, v in enumerate(values)])
    assert all(0 <= b.height <= 100 and 0 <= b.y <= 100 and b.x + b.width <= 100
               for b in chart)
    if max(values):
        assert max(b.height for b in chart) == 100


@pytest.mark.django_db
def test_the_page_shows_the_ledger(alice_client, alice_co, charlie_co,
                                   django_assert_max_num_queries):
    today = date.today()
    registration, _e = parse_registration(
        registration_data(**another_debtor(1), amount="1000"), today=today)
    claim = claim_register(creditor=alice_co, registration=registration, today=today)
    claim_payment_receive(claim=claim, amount_ore=25000, paid_on=today, today=today,
                          source="bgmax", external_id="d1")
    other, _e = parse_registration(registration_data(**another_debtor(2), amount="99999"),
                                   today=today)
    claim_register(creditor=charlie_co, registration=other, today=today)
    # Session, user, company and menu (with its counts of decisions and objections waiting),
    # then six grouped queries: not one per claim.
    with django_assert_max_num_queries(16):
        page = alice_client.get("/statistik/")
    assert page.status_code == 200
    last = page.context["months"][-1]
    assert (last.registered_ore, last.collected_ore) == (100000, 25000)
    assert last.outstanding_ore == 100000 - 25000 + (claim.ledger.filter(
        kind="interest").values_list("amount_ore", flat=True).first() or 0)
    assert "99 999" not in page.content.decode()  # nothing of charlie's
    assert [n for _stage, n in page.context["stages"]] == [1]


@pytest.mark.django_db
def test_the_page_needs_a_login(client):
    assert client.get("/statistik/").status_code == 302


@pytest.mark.django_db
def test_the_query_count_does_not_grow_with_the_claims(alice_client, alice_co):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    today = date.today()

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert alice_client.get("/statistik/").status_code == 200
        return len(captured)

    queries()  # the first request of a session also writes the session
    counts = []
    for n in (1, 5):
        for i in range(n):
            registration, _e = parse_registration(
                registration_data(**another_debtor(10 * n + i), invoice_number=f"Q-{n}-{i}"),
                today=today)
            claim_register(creditor=alice_co, registration=registration, today=today)
        counts.append(queries())
    assert counts[0] == counts[1]
