"""The creditor's claim list and claim page read a fixed number of queries, however many
claims, invoices, payments, events and letters they show (issue 7: a page's cost must not grow
with the claims; bench/load_test.py measures their latency under load)."""

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from claims.services import claim_report_direct_payment
from letters.services import collection_day_run
from tests.conftest import another_debtor
from tests.debtors.conftest import DEMAND_DAY, TODAY, register_on

pytestmark = pytest.mark.django_db

# The user and the membership (the session is read from the cache), the savepoints of
# ATOMIC_REQUESTS included.
# The list: the page's ids, then those claims with debtors, their invoices and their
# balances (claims.selectors.LatePage), the count per status (which is the page's count too,
# but for a search: one more), the agreement, the menu's other companies, and the decisions
# waiting.
LIST_QUERIES = 11
DETAIL_QUERIES = 16  # the reference rates and fee caps once (ekrav.memo), the plan's books
# from the prefetched ledger, the session from the cache, the thread and the limitation from
# the timeline, letters and ledger the page read (was 24)


def queries(client, url) -> list[str]:
    """The queries of a GET of ``url``; not the first of the session, which also saves the
    creditor it acts for (creditors.middleware)."""
    client.get("/statistik/")
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return [query["sql"] for query in captured.captured_queries]


def assert_count(sql: list[str], expected: int) -> None:
    assert len(sql) == expected, "\n".join(f"{n}. {q}" for n, q in enumerate(sql, 1))


def case(creditor, n: int, *, invoices: int = 1):
    """Debtor n's case with ``invoices`` invoices (they join the open case)."""
    claim = None
    for i in range(invoices):
        claim = register_on(creditor, invoice_number=f"F-{n}-{i}", **another_debtor(n))
    return claim


@pytest.fixture
def today():
    with time_machine.travel(TODAY, tick=False):
        yield


def test_the_list_reads_the_same_queries_for_one_claim_and_a_full_page(
        alice_client, alice_co, charlie_co, today):
    case(charlie_co, 99)  # another creditor's claims are neither shown nor counted
    case(alice_co, 1)
    assert len(alice_client.get("/").context["rows"]) == 1
    one = queries(alice_client, "/")
    for n in range(2, 31):
        case(alice_co, n, invoices=1 + n % 3)
    many = queries(alice_client, "/")
    assert len(alice_client.get("/").context["rows"]) == 25  # claims.views.PAGE_SIZE
    assert_count(one, LIST_QUERIES)
    assert_count(many, LIST_QUERIES)
    for url in ("/?page=2", "/?status=registered"):
        assert_count(queries(alice_client, url), LIST_QUERIES)
    for url in ("/?q=F-7-0", "/?q=Gäldenär", "/?q=F-7-0&status=registered"):
        assert_count(queries(alice_client, url), LIST_QUERIES + 1)
    assert alice_client.get("/?q=F-99-0").context["rows"] == []  # charlie's


def test_the_claim_page_reads_the_same_queries_whatever_the_claim_holds(
        alice_client, alice_co, charlie_co, today):
    charlies = case(charlie_co, 99)
    small = case(alice_co, 1)
    big = case(alice_co, 2, invoices=6)
    collection_day_run(until=DEMAND_DAY)  # the reminder and the demand: letters on both
    claim_report_direct_payment(claim=small, amount_ore=10000, paid_on=TODAY, today=TODAY)
    for days in (3, 2, 1):
        claim_report_direct_payment(claim=big, amount_ore=10000,
                                    paid_on=TODAY - timedelta(days=days), today=TODAY)
    big.refresh_from_db()
    small.refresh_from_db()
    assert big.status == small.status and big.invoices.count() == 6
    assert_count(queries(alice_client, f"/arenden/{small.pk}/"), DETAIL_QUERIES)
    assert_count(queries(alice_client, f"/arenden/{big.pk}/"), DETAIL_QUERIES)
    assert alice_client.get(f"/arenden/{charlies.pk}/").status_code == 404
    # What the page picks from what it read is what the selectors read on their own.
    from claims.messages import case_message_send, thread_of
    from claims.models import Claim
    from debtors.services import debtor_send_message
    from letters.selectors import letters_of, limitation_of, limitations_of

    case_message_send(claim=big, sender="creditor", text="Hej", user=None)
    debtor_send_message(claim=big, text="Jag betalar fredag", today=TODAY)
    response = alice_client.get(f"/arenden/{big.pk}/")
    read = Claim.objects.prefetch_related("invoices", "ledger").get(pk=big.pk)
    assert response.context["limitation"] == limitations_of([read])[big.pk] == limitation_of(
        read, sent_letters=letters_of(read))
    assert response.context["limitation"].last_interruption.reason == "payment"
    assert response.context["thread"] == thread_of(read)
    assert [entry["sender"] for entry in response.context["thread"]] == ["creditor", "debtor"]


def test_the_balance_summed_from_a_prefetched_ledger_is_the_databases(alice_co, today):
    """The claim page sums its prefetched ledger in Python (claim_balance): the same figures."""
    from claims.models import Claim, LedgerEntry
    from claims.selectors import claim_balance

    claim = case(alice_co, 3, invoices=3)
    collection_day_run(until=DEMAND_DAY)
    for days, amount in ((3, 10000), (2, 250), (1, 500)):
        claim_report_direct_payment(claim=claim, amount_ore=amount,
                                    paid_on=TODAY - timedelta(days=days), today=TODAY)
    kinds = set(LedgerEntry.objects.filter(claim=claim).values_list("kind", flat=True))
    assert {"capital", "fee", "interest", "direct_payment"} <= kinds
    prefetched = Claim.objects.prefetch_related("ledger").get(pk=claim.pk)
    assert claim_balance(prefetched) == claim_balance(Claim.objects.get(pk=claim.pk))


@pytest.mark.parametrize("status, query", [("", ""), ("registered", ""), ("", "Gäldenär")])
def test_a_late_page_holds_what_slicing_the_list_holds(alice_co, charlie_co, today, status,
                                                       query):
    from claims.selectors import LatePage, claim_list

    case(charlie_co, 99)
    for n in range(1, 13):
        case(alice_co, n, invoices=1 + n % 2)
    listed = claim_list(creditor=alice_co, status=status, query=query)
    late = LatePage(listed)
    assert late.count() == listed.count() == 12
    for start in range(0, 13, 5):  # pages of 5, the last one short, and past the end
        page = late[start:start + 5]
        assert [c.pk for c in page] == [c.pk for c in listed[start:start + 5]]
        assert all("debtor" in c._state.fields_cache for c in page)  # joined, as the list's
        assert all("invoices" in c._prefetched_objects_cache for c in page)
