"""Checks on uploaded documents: an invoice PDF must really be a PDF, judged by its content."""

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
