"""SQL and template injection strings in every free-text field a creditor or debtor fills:
stored exactly as typed, shown escaped (no live ``<script>``, ``{{ 7*7 }}`` as typed, never
evaluated), and the tables are all still there."""

import html

import pytest
from django.db import connection

from claims.messages import thread_of
from claims.models import Claim, Dispute, Invoice
from debtors.models import Debtor
from tests.conftest import registration_data

pytestmark = pytest.mark.django_db

INJECTIONS = ["' OR 1=1 --", '"; DROP TABLE claims_claim; --', "{{ 7*7 }}", "{% debug %}",
              "<script>alert(1)</script>", "${7*7}"]
# Every one in one text (fields are short): each is then looked for on its own.
PAYLOAD = " ".join(INJECTIONS)
SHORT = "<b>{{ 7*7 }}</b>' OR 1=1 --"  # for fields of a few dozen characters


def assert_escaped(response, *typed):
    """Each typed string is on the page as text (HTML-escaped), none of it live."""
    page = response.content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "<b>{{" not in page
    assert "sql_queries" not in page  # what {% debug %} would print
    for text in typed:
        assert html.escape(text, quote=False) in page.replace("&#x27;", "'").replace(
            "&quot;", '"').replace("&#39;", "'"), text


def assert_tables_intact():
    tables = connection.introspection.table_names()
    assert {"claims_claim", "claims_invoice", "debtors_debtor"} <= set(tables)
    assert Claim.objects.count() >= 1


def test_registration_fields_are_stored_and_shown_as_typed(alice_client, alice_co,
                                                           charlie_co, admin_client):
    data = registration_data(debtor_name=PAYLOAD, debtor_street=PAYLOAD, debtor_city=PAYLOAD,
                             description=PAYLOAD[:200], invoice_number="F-<i>1</i>'--")
    response = alice_client.post("/arenden/nytt/", data)
    assert response.status_code == 302, response.context["form"].errors
    claim = Claim.objects.get()
    debtor, invoice = Debtor.objects.get(), Invoice.objects.get()
    assert (debtor.name, debtor.street, debtor.city) == (PAYLOAD, PAYLOAD, PAYLOAD)
    assert (invoice.description, invoice.invoice_number) == (PAYLOAD[:200], "F-<i>1</i>'--")
    assert_tables_intact()

    detail = alice_client.get(f"/arenden/{claim.pk}/")
    assert detail.status_code == 200
    assert_escaped(detail, PAYLOAD, "F-<i>1</i>'--")
    assert "<i>1</i>" not in detail.content.decode()
    listing = alice_client.get("/")
    assert_escaped(listing, PAYLOAD)
    # The handlers' admin shows them escaped too.
    change = admin_client.get(f"/admin/claims/claim/{claim.pk}/change/")
    assert change.status_code == 200
    assert "<script>alert(1)</script>" not in change.content.decode()


@pytest.mark.parametrize("query", INJECTIONS + ["%", "_", "\\", "' UNION SELECT password FROM "
                                                "auth_user --"])
def test_the_search_box_is_a_search(alice_client, world, query):
    response = alice_client.get("/", {"q": query})
    assert response.status_code == 200
    assert response.context["rows"] == []  # nothing matches, so nothing came back
    assert_escaped(response, query)
    assert_tables_intact()


def test_the_search_finds_what_was_typed_literally(alice_client, alice, alice_co):
    from tests.conftest import register
    claim = register(alice_co, alice, debtor_name="O'Brien %_ Dan")
    for query in ("O'Brien", "%_", "Brien %"):
        rows = alice_client.get("/", {"q": query}).context["rows"]
        assert [c.pk for c, _balance in rows] == [claim.pk], query


def test_the_creditor_s_thread(alice_client, world):
    claim = world["claim"]
    response = alice_client.post(f"/arenden/{claim.pk}/meddelanden/", {"text": PAYLOAD})
    assert response.status_code == 302
    assert [m["text"] for m in thread_of(claim)] == [PAYLOAD]
    assert_escaped(alice_client.get(f"/arenden/{claim.pk}/"), PAYLOAD)
    assert_tables_intact()


def test_mitt_arende_texts(visitor, world, alice_client):
    claim = world["claim"]
    base = f"/mitt-arende/arenden/{claim.pk}"
    assert visitor.post(f"{base}/meddelande/", {"text": PAYLOAD}).status_code == 302
    assert visitor.post(f"{base}/bestrid/", {"reason": "other", "text": PAYLOAD}) \
        .status_code == 302
    dispute = Dispute.objects.get(claim=claim)
    assert dispute.text == PAYLOAD
    assert PAYLOAD in [m["text"] for m in thread_of(claim)]
    # The case page does not echo what the debtor wrote; whatever it shows is escaped.
    assert_escaped(visitor.get(f"{base}/"))
    # ...and where the creditor reads them.
    assert_escaped(alice_client.get(f"/arenden/{claim.pk}/"), PAYLOAD)
    assert_escaped(alice_client.get("/bestridanden/"), PAYLOAD)
    assert_tables_intact()


def test_already_paid_note(visitor, world):
    claim = world["claim"]
    response = visitor.post(f"/mitt-arende/arenden/{claim.pk}/redan-betalat/", {
        "paid_on": claim.registered_on.isoformat(), "amount": "10", "note": PAYLOAD[:200]})
    assert response.status_code in (302, 400)
    assert_escaped(visitor.get(f"/mitt-arende/arenden/{claim.pk}/"))
    assert_tables_intact()


@pytest.mark.parametrize("case_number, ocr", [(SHORT, "1"), ("1", "' OR 1=1 --"),
                                               ("' OR '1'='1", "' OR '1'='1")])
def test_the_door_takes_digits_only(client, world, case_number, ocr):
    response = client.post("/mitt-arende/", {"case_number": case_number, "ocr": ocr})
    assert response.status_code == 400
    assert "mitt_arende" not in client.session
    assert "<b>{{" not in response.content.decode()
    assert_tables_intact()


def test_the_api_stores_and_returns_text_as_sent(client, alice_co, alice_key):
    payload = {
        "debtor": {"kind": "person", "identity_number": "19811228-9874", "name": PAYLOAD,
                   "address": {"street": PAYLOAD, "postal_code": "123 45", "city": "Uppsala"}},
        "invoice_number": "F-1'--", "invoice_date": registration_data()["invoice_date"],
        "due_date": registration_data()["due_date"], "amount": "100.00",
        "description": PAYLOAD, "reminder_fee_agreed": True}
    response = client.post("/api/v1/claims", payload, content_type="application/json",
                           HTTP_AUTHORIZATION=f"Bearer {alice_key}")
    assert response.status_code == 201, response.content
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["debtor"]["name"] == PAYLOAD
    assert Debtor.objects.get().name == PAYLOAD
    assert Invoice.objects.get().invoice_number == "F-1'--"
    assert_tables_intact()
