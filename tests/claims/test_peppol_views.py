"""Skapa nytt krav -> E-faktura (Peppol): upload e-invoice files, see the preview per file,
confirm, and only the valid ones are registered; charlie sees nothing of alice's uploads."""

import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from claims.models import Claim, Invoice
from tests.conftest import register

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "peppol"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def xml(name: str, *, rename: str = "", text: str | None = None) -> SimpleUploadedFile:
    data = text.encode() if text is not None else (FIXTURES / name).read_bytes()
    return SimpleUploadedFile(rename or name, data, content_type="application/xml")


def upload(client, *files):
    return client.post(reverse("claims:peppol"), {"files": list(files)})


def files_of(html: str) -> dict:
    """The preview's file cards: {file number: (valid, card html)}."""
    return {int(n): (valid == "1", body) for n, valid, body in re.findall(
        r'data-testid="peppol-file" data-file="(\d+)" data-valid="(\d)">(.*?)</section>',
        html, re.S)}


def test_the_new_claim_page_offers_the_e_invoice_way(alice_client):
    html = alice_client.get(reverse("claims:new")).content.decode()
    assert f'href="{reverse("claims:peppol")}"' in html
    assert "E-faktura (Peppol)" in html


def test_the_upload_page_is_swedish(alice_client):
    response = alice_client.get(reverse("claims:peppol"))
    assert response.status_code == 200
    assert "Registrera krav från e-fakturor (Peppol)" in response.content.decode()


def test_preview_shows_each_file_then_confirm_registers_the_valid_ones(
        alice_client, alice_co, django_capture_on_commit_callbacks):
    response = upload(alice_client, xml("se-company.xml"), xml("se-person.xml"),
                      xml("base-example.xml"), xml("base-creditnote-correction.xml"))
    assert response.status_code == 302
    preview = response["Location"]
    html = alice_client.get(preview).content.decode()
    cards = files_of(html)
    assert {n: valid for n, (valid, _b) in cards.items()} == {1: True, 2: True, 3: False,
                                                              4: False}
    company = cards[1][1]
    assert "Kund Fastigheter AB" in company and "5561234567" in company
    assert "12\xa0500,00\xa0kr" in company and "2025-10-01" in company
    assert "202510095" in company and "50501055" in company
    assert 'data-testid="plan-steps"' in company and 'data-testid="plan-fee"' in company
    assert "faktura-EF-2025-101.pdf" in cards[2][1]
    assert 'data-rule="EKRAV-SELLER"' in cards[3][1] and "EKRAV-CURRENCY" in cards[3][1]
    assert 'data-rule="EKRAV-CREDIT-NOTE"' in cards[4][1]
    assert Invoice.objects.count() == 0  # nothing before the confirmation

    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post(preview + "bekrafta/")
    assert response.status_code == 302
    invoices = {i.invoice_number: i for i in Invoice.objects.filter(creditor=alice_co)}
    assert set(invoices) == {"EF-2025-100", "EF-2025-101"}
    assert invoices["EF-2025-100"].amount_ore == 1_250_000
    assert invoices["EF-2025-100"].reminder_fee_agreed
    assert invoices["EF-2025-101"].pdf and invoices["EF-2025-101"].pdf.read().startswith(b"%PDF-")
    assert invoices["EF-2025-101"].claim.debtor.identity_number == "198112289874"
    assert not invoices["EF-2025-100"].pdf

    result = alice_client.get(preview).content.decode()
    assert 'data-testid="peppol-created">2<' in result
    assert 'data-testid="peppol-refused">2<' in result
    assert "EKRAV-CREDIT-NOTE" in result
    # Confirming again registers nothing twice.
    alice_client.post(preview + "bekrafta/")
    assert Invoice.objects.filter(creditor=alice_co).count() == 2


def test_an_invoice_number_already_registered_is_refused(alice_client, alice_co, alice):
    register(alice_co, alice, invoice_number="EF-2025-100")
    html = alice_client.get(upload(alice_client, xml("se-company.xml"))["Location"]).content
    (valid, card), = files_of(html.decode()).values()
    assert not valid
    assert "EF-2025-100 finns redan registrerad i ärende" in card or "redan" in card


def test_the_same_invoice_twice_in_one_upload_is_registered_once(
        alice_client, alice_co, django_capture_on_commit_callbacks):
    preview = upload(alice_client, xml("se-company.xml"),
                     xml("se-company.xml", rename="kopia.xml"))["Location"]
    cards = files_of(alice_client.get(preview).content.decode())
    assert [valid for valid, _b in cards.values()] == [True, False]
    with django_capture_on_commit_callbacks(execute=True):
        alice_client.post(preview + "bekrafta/")
    assert Invoice.objects.filter(creditor=alice_co).count() == 1


def test_too_many_or_too_large_files_are_refused_at_the_upload(alice_client, settings):
    from claims import views_peppol

    response = upload(alice_client, *[xml("se-company.xml", rename=f"{n}.xml")
                                      for n in range(views_peppol.MAX_FILES + 1)])
    assert response.status_code == 400
    big = SimpleUploadedFile("stor.xml", b" " * (views_peppol.MAX_BYTES + 1))
    response = upload(alice_client, big)
    assert response.status_code == 400 and "stor.xml" in response.content.decode()
    assert upload(alice_client).status_code == 400  # no file at all


def test_charlie_sees_nothing_of_alices_upload(alice_client, client, charlie, charlie_co,
                                               alice_co, django_capture_on_commit_callbacks):
    preview = upload(alice_client, xml("se-company.xml"))["Location"]
    client.force_login(charlie)
    assert client.get(preview).status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(preview + "bekrafta/").status_code == 404
    assert not Claim.objects.exists()
    # His own upload of alice's invoice: not his company's, so not registrable.
    html = client.get(upload(client, xml("se-company.xml"))["Location"]).content.decode()
    (valid, card), = files_of(html).values()
    assert not valid and 'data-rule="EKRAV-SELLER"' in card


@pytest.mark.parametrize("batch", ["../../etc", "0" * 31, "g" * 32])
def test_a_batch_that_is_no_token_is_a_404(alice_client, batch):
    assert alice_client.get(f"/e-faktura/{batch}/").status_code == 404


def test_the_anonymous_visitor_is_sent_to_the_login(client):
    response = client.get(reverse("claims:peppol"))
    assert response.status_code == 302 and "login" in response["Location"]
