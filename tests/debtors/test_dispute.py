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
