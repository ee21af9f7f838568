"""The statute of limitations: pure rules (claims.limitation), then against the database —
letters, payments and applications to Kronofogden interrupt it, the claim page shows it, the
handlers' list finds claims close to it. Charlie's claims are not alice's."""

from datetime import date, timedelta

import pytest
from hypothesis import given, strategies as st

from claims.limitation import Interruption, add_years, limitation
from claims.models import Claim
from claims.services import claim_report_direct_payment
from letters.selectors import limitation_of
from letters.services import collection_day_run, limitation_refresh
from tests.claims.test_collection import register_on
from tests.conftest import another_debtor, register

INVOICE = date(2026, 2, 1)


@pytest.mark.parametrize("kind, years, expires", [("person", 3, date(2029, 2, 1)),
                                                  ("company", 10, date(2036, 2, 1))])
def test_three_years_for_a_consumer_ten_otherwise(kind, years, expires):
    found = limitation(invoice_dates=[INVOICE], interruptions=[], debtor_kind=kind)
    assert (found.years, found.expires_on, found.last_interruption) == (years, expires, None)


def test_each_interruption_starts_a_new_period_and_the_first_invoice_expires_first():
    later = date(2026, 6, 1)
    found = limitation(invoice_dates=[INVOICE, date(2026, 3, 1)],
                       interruptions=[Interruption(date(2026, 4, 7), "letter"),
                                      Interruption(later, "payment")], debtor_kind="person")
    assert found.expires_on == date(2029, 6, 1) and found.last_interruption.reason == "payment"


def test_the_29th_of_february_ends_on_the_28th():
    assert add_years(date(2028, 2, 29), 3) == date(2031, 2, 28)
    assert add_years(date(2028, 2, 29), 4) == date(2032, 2, 29)


@given(invoices=st.lists(st.dates(date(2000, 1, 1), date(2030, 12, 31)), min_size=1,
                         max_size=4),
       days=st.lists(st.dates(date(2000, 1, 1), date(2035, 12, 31)), max_size=5),
       kind=st.sampled_from(["person", "company"]))
def test_an_interruption_never_brings_the_date_forward(invoices, days, kind):
    without = limitation(invoice_dates=invoices, interruptions=[], debtor_kind=kind)
    found = limitation(invoice_dates=invoices, debtor_kind=kind,
                       interruptions=[Interruption(d, "letter") for d in days])
    assert found.expires_on >= without.expires_on
    assert found.expires_on >= add_years(min(invoices), found.years)


# --- Against the database ------------------------------------------------------------------------

@pytest.mark.django_db
def test_letters_and_payments_interrupt_it(alice_co, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    claim = register_on(alice_co)  # Dan, a person: 3 years; invoice dated 1 February 2026
    assert limitation_of(claim).expires_on == date(2029, 2, 1)
    collection_day_run(until=date(2026, 4, 30))  # the reminder and the demand go out
    claim.refresh_from_db()
    found = limitation_of(claim)
    assert found.last_interruption.reason == "letter"
    assert found.expires_on == add_years(found.last_interruption.on, 3) > date(2029, 4, 1)
    claim_report_direct_payment(claim=claim, amount_ore=1000, paid_on=date(2026, 6, 1),
                                today=date(2026, 6, 1))
    assert limitation_of(claim).expires_on == date(2029, 6, 1)


@pytest.mark.django_db
def test_the_claim_page_shows_it(alice_client, alice_co):
    claim = register_on(alice_co)
    page = alice_client.get(f"/arenden/{claim.pk}/")
    assert 'data-testid="limitation"' in page.content.decode()
    assert "2029-02-01" in page.content.decode()


@pytest.mark.django_db
def test_the_handlers_list_finds_claims_close_to_it(admin_client, alice_co, charlie_co):
    old = register(alice_co, invoice_date="2023-03-01", due_date="2023-04-01",
                   invoice_number="OLD-1")
    young = register_on(charlie_co, invoice_number="NEW-1")
    assert limitation_refresh() == 2
    old.refresh_from_db()
    young.refresh_from_db()
    assert old.limitation_on == date(2026, 3, 1) and young.limitation_on == date(2029, 2, 1)
    passed = admin_client.get("/admin/claims/claim/?limitation=passed").content.decode()
    assert old.case_number in passed and young.case_number not in passed
    Claim.objects.filter(pk=old.pk).update(limitation_on=date.today() + timedelta(days=30))
    soon = admin_client.get("/admin/claims/claim/?limitation=90").content.decode()
    assert old.case_number in soon and young.case_number not in soon


@pytest.mark.django_db
def test_refreshing_takes_the_same_queries_for_more_claims(alice_co):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    register_on(alice_co)
    with CaptureQueriesContext(connection) as one:
        limitation_refresh()
    for n in range(1, 6):
        register_on(alice_co, invoice_number=f"F-{n}", **another_debtor(n))
    with CaptureQueriesContext(connection) as six:
        assert limitation_refresh() == 6
    assert len(six.captured_queries) == len(one.captured_queries)
