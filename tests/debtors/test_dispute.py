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


# --- Documents sent with an objection -----------------------------------------------------------

from tests.claims.test_views import pdf_bytes  # noqa: E402  (a real one-page PDF)

PDF = pdf_bytes()
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def upload(name, data, kind):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type=kind)


def test_documents_reach_the_creditor_and_no_one_else(dan_client, dan_claim, alice, charlie,
                                                      charlie_co, settings, tmp_path):
    from django.test import Client

    alice_client, charlie_client = Client(), Client()
    alice_client.force_login(alice)
    charlie_client.force_login(charlie)
    settings.MEDIA_ROOT = tmp_path / "media"
    response = dan_client.post(f"/mitt-arende/arenden/{dan_claim.pk}/bestrid/", {
        "reason": "already_paid", "text": "Kvitto bifogat.",
        "attachments": [upload("../../kvitto.pdf", PDF, "application/pdf"),
                        upload("foto.png", PNG, "image/png")]})
    assert response.status_code == 302
    first, second = Dispute.objects.get().attachments.all()
    assert (first.name, first.content_type) == ("kvitto.pdf", "application/pdf")
    assert second.content_type == "image/png" and "kvitto" not in first.file.name
    page = alice_client.get("/bestridanden/").content.decode()
    assert f"/bestridanden/bilagor/{first.pk}/" in page
    got = alice_client.get(f"/bestridanden/bilagor/{first.pk}/")
    assert got.status_code == 200 and b"".join(got.streaming_content) == PDF
    assert "attachment" in got["Content-Disposition"]
    assert charlie_client.get(f"/bestridanden/bilagor/{first.pk}/").status_code in (302, 404)


@pytest.mark.parametrize("files", [
    [("faktura.pdf", b"MZ\x90\x00 not a pdf", "application/pdf")],  # a program named .pdf
    [("a.png", PNG, "image/png")] * 4,  # too many
    [("big.pdf", PDF + b"0" * (5 * 1024 * 1024), "application/pdf")],  # too large
])
def test_a_bad_document_refuses_the_objection_whole(dan_client, dan_claim, files, settings,
                                                    tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    response = dan_client.post(f"/mitt-arende/arenden/{dan_claim.pk}/bestrid/", {
        "reason": "already_paid", "attachments": [upload(*f) for f in files]})
    assert response.status_code == 400
    assert 'data-field="attachments"' in response.content.decode()
    assert not Dispute.objects.exists()
    assert Claim.objects.get(pk=dan_claim.pk).status == Status.DEMAND_SENT


# --- A partial objection: some of the case's invoices ---------------------------------------------


@pytest.fixture
def two_invoice_claim(alice_co):
    """Dan's case with a second invoice joined before the reminder, both letters sent."""
    from claims.registration import parse_registration
    from claims.services import invoice_register
    from letters.services import collection_day_run
    from tests.conftest import registration_data
    from tests.debtors.conftest import DEMAND_DAY, REGISTERED, register_on

    claim = register_on(alice_co)
    registration, errors = parse_registration(registration_data(
        invoice_number="F-1002", invoice_date="2026-02-10", due_date="2026-03-10",
        amount="500.00", description="Byte av grind"), today=REGISTERED)
    assert not errors, errors
    joined = invoice_register(creditor=alice_co, registration=registration, today=REGISTERED)
    assert joined.joined and joined.claim.pk == claim.pk
    collection_day_run(until=DEMAND_DAY)
    claim.refresh_from_db()
    assert claim.invoices.count() == 2
    return claim


@pytest.fixture
def two_invoice_client(client, two_invoice_claim, today):
    from tests.debtors.conftest import open_case

    assert open_case(client, two_invoice_claim).status_code == 302
    return client


def test_the_form_asks_which_invoices_all_ticked(two_invoice_client, two_invoice_claim):
    body = two_invoice_client.get(f"/mitt-arende/arenden/{two_invoice_claim.pk}/").content.decode()
    assert "Vilka fakturor bestrider du?" in body
    for invoice in two_invoice_claim.invoices.all():
        assert f'value="{invoice.pk}"' in body and invoice.invoice_number in body
    assert body.count('name="invoices"') == body.count('name="invoices" value=') == 2
    assert body.count("checked") >= 2


def test_one_invoice_has_no_choice(dan_client, dan_claim):
    body = dan_client.get(f"/mitt-arende/arenden/{dan_claim.pk}/").content.decode()
    assert 'name="invoices"' not in body and "Vilka fakturor" not in body


def test_a_partial_objection_holds_the_ticked_invoice_only(two_invoice_client,
                                                          two_invoice_claim):
    from claims.selectors import claim_statement
    from tests.debtors.conftest import TODAY, amount

    second = two_invoice_claim.invoices.get(invoice_number="F-1002")
    response = post(two_invoice_client, two_invoice_claim, reason="wrong_amount",
                    text="Grinden byttes aldrig.", invoices=[second.pk])
    assert response.status_code == 302
    dispute = Dispute.objects.get()
    assert dispute.is_partial and list(dispute.invoices.all()) == [second]
    claim = Claim.objects.get(pk=two_invoice_claim.pk)
    assert claim.status == Status.DEMAND_SENT  # collection goes on for the rest
    page = two_invoice_client.get(f"/mitt-arende/arenden/{claim.pk}/")
    body = page.content.decode()
    assert "Bestridd – krävs inte medan vi utreder" in body
    assert body.count('data-testid="invoice-held"') == 1
    assert 'data-testid="disputed"' in body and 'data-testid="dispute"' not in body
    assert 'action="/mitt-arende/arenden/%d/bestrid/"' % claim.pk not in body
    now, _ = claim_statement(claim, as_of=TODAY)
    assert now.held_ore > 0
    assert amount(page, "total") == amount(page, "pay-amount") == now.collectible_ore
    assert amount(page, "held") == amount(page, "invoice-held-owed") == now.held_ore
    # A second objection is not taken while this one is open.
    again = post(two_invoice_client, claim, reason="not_ordered")
    assert again.status_code == 400 and Dispute.objects.count() == 1


def test_no_invoice_ticked_is_refused_at_the_field(two_invoice_client, two_invoice_claim):
    response = post(two_invoice_client, two_invoice_claim, reason="not_ordered")
    assert response.status_code == 400
    assert 'data-field="invoices"' in response.content.decode()
    assert not Dispute.objects.exists()


def test_a_foreign_invoice_is_refused_at_the_field(two_invoice_client, two_invoice_claim,
                                                   charlie_claim):
    foreign = charlie_claim.invoices.get()
    response = post(two_invoice_client, two_invoice_claim, reason="not_ordered",
                    invoices=[foreign.pk])
    assert response.status_code == 400
    assert 'data-field="invoices"' in response.content.decode()
    assert not Dispute.objects.exists()


def test_all_invoices_ticked_is_the_whole_claim(two_invoice_client, two_invoice_claim):
    ids = [i.pk for i in two_invoice_claim.invoices.all()]
    assert post(two_invoice_client, two_invoice_claim, reason="not_ordered",
                invoices=ids).status_code == 302
    dispute = Dispute.objects.get()
    assert not dispute.is_partial
    assert Claim.objects.get(pk=two_invoice_claim.pk).status == Status.DISPUTED


def test_the_creditor_sees_the_held_invoice_and_amount(two_invoice_client, two_invoice_claim,
                                                       alice_client):
    from claims.selectors import claim_statement
    from ekrav.money import format_sek
    from tests.debtors.conftest import TODAY

    second = two_invoice_claim.invoices.get(invoice_number="F-1002")
    assert post(two_invoice_client, two_invoice_claim, reason="wrong_amount",
                invoices=[second.pk]).status_code == 302
    now, _ = claim_statement(two_invoice_claim, as_of=TODAY)
    body = alice_client.get(f"/arenden/{two_invoice_claim.pk}/").content.decode()
    assert "Bestritt, hålls" in body and body.count('data-testid="invoice-held"') == 1
    assert format_sek(now.held_ore) in body and format_sek(now.collectible_ore) in body


def test_a_withdrawn_invoice_is_marked_and_not_offered_again(two_invoice_client,
                                                             two_invoice_claim):
    from claims.disputes import dispute_resolve
    from claims.selectors import claim_statement
    from tests.debtors.conftest import TODAY, amount

    second = two_invoice_claim.invoices.get(invoice_number="F-1002")
    assert post(two_invoice_client, two_invoice_claim, reason="wrong_amount",
                invoices=[second.pk]).status_code == 302
    dispute_resolve(dispute_id=Dispute.objects.get().pk, resolution="withdrawn",
                    reason="Borgenären återkallar fakturan.", today=TODAY, user=None)
    page = two_invoice_client.get(f"/mitt-arende/arenden/{two_invoice_claim.pk}/")
    body = page.content.decode()
    assert "Återkallad av borgenären" in body and 'data-testid="invoice-held"' not in body
    now, _ = claim_statement(two_invoice_claim, as_of=TODAY)
    assert amount(page, "total") == now.collectible_ore == now.total_owed_ore
    assert (amount(page, "capital") + amount(page, "interest") + amount(page, "fees")
            - amount(page, "written-off")) == amount(page, "total")
    # The objection is resolved: a new one may be made, of the one invoice left (no choice).
    assert 'data-testid="dispute"' in body and 'name="invoices"' not in body
