"""Checks on uploaded documents, judged by their content, never by their names: an invoice PDF
must really be a PDF; an objection's attachment a PDF, JPEG or PNG."""

import io

from django.conf import settings
from django.utils.translation import gettext as _
from pypdf import PdfReader
from pypdf.errors import PdfReadError


def invoice_pdf_error(upload) -> str | None:
    """Why this upload is not acceptable as an invoice PDF, or None when it is."""
    if upload.size > settings.INVOICE_PDF_MAX_BYTES:
        return _("The PDF is larger than 10 MB.")
    upload.seek(0)
    data = upload.read()
    upload.seek(0)
    # The header may sit anywhere in the first kilobyte (PDF 1.7, 7.5.2).
    if b"%PDF-" not in data[:1024]:
        return _("The file is not a PDF.")
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            return _("The PDF is password protected; upload it without a password.")
        if len(reader.pages) < 1:
            return _("The PDF has no pages.")
    except (PdfReadError, ValueError, KeyError, TypeError, OSError, RecursionError):
        return _("The PDF is damaged and cannot be read.")
    return None


ATTACHMENT_MAX_BYTES = 5 * 1024 * 1024
ATTACHMENTS_MAX = 3
# What an attachment's first bytes say it is (PDF may start anywhere in the first kilobyte).
_SIGNATURES = ((b"\xff\xd8\xff", "image/jpeg"), (b"\x89PNG\r\n\x1a\n", "image/png"))


def attachment_type(upload) -> tuple[str | None, str | None]:
    """(content type, None) for an acceptable attachment, (None, why not) otherwise."""
    if upload.size > ATTACHMENT_MAX_BYTES:
        return None, _("%(name)s is larger than 5 MB.") % {"name": upload.name[:60]}
    upload.seek(0)
    head = upload.read(1024)
    upload.seek(0)
    for signature, kind in _SIGNATURES:
        if head.startswith(signature):
            return kind, None
    if b"%PDF-" in head and invoice_pdf_error(upload) is None:
        return "application/pdf", None
    return None, _("%(name)s is not a PDF, JPEG or PNG file.") % {"name": upload.name[:60]}
