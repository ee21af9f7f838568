"""GET /api/v1/claims?status=&page=: the key's creditor's claims, a page at a time."""

from datetime import timedelta

import pytest
from django.utils import timezone

import claims.api
from claims.selectors import claim_balance
from claims.services import claim_report_direct_payment, claim_withdraw
from ekrav.money import ore_to_str
from tests.conftest import another_debtor, register

URL = "/api/v1/claims"

# The request's savepoint and its release (ATOMIC_REQUESTS), the API key, the count, the
# page's ids (claims.selectors.LatePage), those claims with their debtors, their invoices,
# events, sent letters and balances: whatever the page.
QUERIES = 10


def get(client, key, **params):
    return client.get(URL, params, HTTP_AUTHORIZATION=f"Bearer {key}")


def register_many(creditor, n, start=1):
    """n claims: n debtors, since one debtor's invoices would join one case."""
    return [register(creditor, invoice_number=f"F-{i}", **another_debtor(i))
            for i in range(start, start + n)]


def test_lists_only_the_keys_creditors_claims(client, alice_co, alice_key, charlie_co):
    mine = register_many(alice_co, 2)
    register(charlie_co, invoice_number="C-1")

    response = get(client, alice_key)

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert body["page"] == 1
    assert body["pages"] == 1
    assert {item["id"] for item in body["items"]} == {c.pk for c in mine}


def test_items_have_the_same_shape_as_get(client, alice_claim, alice_key):
    item = get(client, alice_key).json()["items"][0]
    detail = client.get(f"{URL}/{alice_claim.pk}", HTTP_AUTHORIZATION=f"Bearer {alice_key}")

    assert item == detail.json()


def test_balances_are_per_claim(client, alice_co, alice_key):
    first, second = register_many(alice_co, 2)
    today = timezone.localdate()
    claim_report_direct_payment(claim=first, amount_ore=100_00, paid_on=today, today=today)

    items = {i["id"]: i for i in get(client, alice_key).json()["items"]}

    assert items[first.pk]["balance"]["paid"] == "100.00"
    # The payment booked the interest up to its day (ten days at 10 % on 1 234,50 kr).
    interest = claim_balance(first).interest
    assert interest > 0 and items[first.pk]["balance"]["interest"] == ore_to_str(interest)
    assert items[first.pk]["balance"]["outstanding"] == ore_to_str(113450 + interest)
    assert items[second.pk]["balance"]["paid"] == "0.00"


def test_newest_first(client, alice_co, alice_key):
    claims = register_many(alice_co, 3)

    ids = [item["id"] for item in get(client, alice_key).json()["items"]]

    assert ids == [c.pk for c in reversed(claims)]


def test_filters_by_status(client, alice_co, alice_key):
    kept, withdrawn = register_many(alice_co, 2)
    claim_withdraw(claim=withdrawn, reason="Paid to us", today=timezone.localdate())

    body = get(client, alice_key, status="withdrawn").json()

    assert [item["id"] for item in body["items"]] == [withdrawn.pk]
    assert body["count"] == 1
    assert get(client, alice_key, status="registered").json()["items"][0]["id"] == kept.pk
    assert get(client, alice_key, status="paid").json()["count"] == 0


def test_an_empty_status_means_all(client, alice_co, alice_key):
    register_many(alice_co, 2)

    assert get(client, alice_key, status="").json()["count"] == 2


def test_an_unknown_status_is_a_422_naming_the_field(client, alice_key):
    response = get(client, alice_key, status="sent_to_mars")

    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "validation_error"
    assert list(body["fields"]) == ["status"]
    assert "registered" in body["fields"]["status"][0]


def test_pages(client, alice_co, alice_key, monkeypatch):
    monkeypatch.setattr(claims.api, "PAGE_SIZE", 2)
    claims_ = register_many(alice_co, 5)

    pages = [get(client, alice_key, page=n).json() for n in (1, 2, 3)]

    assert [p["pages"] for p in pages] == [3, 3, 3]
    assert [p["count"] for p in pages] == [5, 5, 5]
    assert [len(p["items"]) for p in pages] == [2, 2, 1]
    assert [i["id"] for p in pages for i in p["items"]] == [c.pk for c in reversed(claims_)]


def test_a_page_past_the_last_is_empty(client, alice_claim, alice_key):
    response = get(client, alice_key, page=7)

    assert response.status_code == 200
    assert response.json() == {"items": [], "page": 7, "pages": 1, "count": 1}


def test_no_claims_is_one_empty_page(client, alice_co, alice_key):
    assert get(client, alice_key).json() == {"items": [], "page": 1, "pages": 1, "count": 0}


@pytest.mark.parametrize("page", ["0", "-1", "two", "1.5", "1000001", "9" * 30])
def test_a_bad_page_is_a_422(client, alice_key, page):
    response = get(client, alice_key, page=page)

    assert response.status_code == 422
    assert list(response.json()["fields"]) == ["page"]


@pytest.mark.parametrize("n", [1, 7])
def test_the_query_count_does_not_grow_with_the_page(client, alice_co, alice_key, n,
                                                     django_assert_num_queries):
    today = timezone.localdate()
    for claim in register_many(alice_co, n):
        claim_report_direct_payment(claim=claim, amount_ore=1_00,
                                    paid_on=today - timedelta(days=1), today=today)
    get(client, alice_key)  # the first use of a key records it; that write is not the list's

    with django_assert_num_queries(QUERIES):
        response = get(client, alice_key)

    assert response.status_code == 200
    assert len(response.json()["items"]) == n
