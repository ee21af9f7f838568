"""Letters to PDF with WeasyPrint: bundled fonts, one stylesheet, no network.

The font configuration and the stylesheet are built once per process and reused for every
letter (ARCHITECTURE.md: ~58 ms a letter that way with libharfbuzz-subset0). The URL fetcher
serves files from ``static/`` and ``data:`` URIs (the Swish QR code) and refuses everything
else, so a letter never waits on, or leaks to, the network.
"""

from __future__ import annotations

import atexit
import functools
import hashlib
import threading
from dataclasses import dataclass
from pathlib import Path

import segno
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation

from letters.content import LetterContent

STATIC = Path(settings.BASE_DIR) / "static"
STYLESHEET = STATIC / "letters" / "letter.css"
TEMPLATE = "letters/letter.html"


def _fetcher():
    """WeasyPrint's fetcher, limited to ``static/`` and ``data:`` URIs. A refused or missing
    resource stops the rendering: a letter without its font or its QR code is not sent."""
    from weasyprint.urls import URLFetcher

    class LocalOnlyFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            if url.startswith("file://"):
                path = Path(url.removeprefix("file://").split("?")[0]).resolve()
                if not (path.is_relative_to(STATIC.resolve()) and path.is_file()):
                    raise ValueError(f"letters load nothing from outside static/: {url}")
            return super().fetch(url, headers)

    return LocalOnlyFetcher(allowed_protocols={"file", "data"}, fail_on_errors=True)


_cache = threading.local()


@atexit.register
def _drop_styles():
    # FontConfiguration's destructor needs its C library: let it run before shutdown does.
    _cache.styles = None


def _styles():
    """(FontConfiguration, CSS, fetcher): built once per thread, reused for every letter."""
    if getattr(_cache, "styles", None) is None:
        from weasyprint import CSS
        from weasyprint.text.fonts import FontConfiguration

        fonts, fetcher = FontConfiguration(), _fetcher()
        css = CSS(filename=str(STYLESHEET), font_config=fonts, url_fetcher=fetcher)
        _cache.styles = (fonts, css, fetcher)
    return _cache.styles


@functools.lru_cache(maxsize=256)
def swish_qr_svg(text: str) -> str:
    """The Swish QR code as an SVG data URI (segno: pure Python, nothing fetched). Kept for
    the last few hundred texts: a pure function of its text, and ~5 ms of a Mitt Ärende page
    (choosing the mask is most of it), which shows the same code on every visit until the
    amount changes."""
    return segno.make(text, error="m", micro=False).svg_data_uri(scale=4, border=0)


def letter_html(content: LetterContent) -> str:
    with translation.override("sv"):  # letters are Swedish, whoever's request renders them
        return render_to_string(TEMPLATE, {
            "c": content, "qr": swish_qr_svg(content.payment.swish_qr_text)})


@dataclass(frozen=True)
class Rendered:
    pdf: bytes
    pages: int
    sha256: str
    text: str  # the text laid out on the pages: what the compliance check reads


def _render(html: str):
    from weasyprint import HTML

    fonts, css, fetcher = _styles()
    return HTML(string=html, base_url=str(STATIC) + "/",
                url_fetcher=fetcher).render(stylesheets=[css], font_config=fonts)


def _laid_out_text(document) -> str:
    """The text WeasyPrint laid out on the pages, box by box: what the PDF draws. (Reading
    it back from the PDF with pypdf says the same and cost ~40 ms a letter, most of a
    render's budget.)"""
    from weasyprint.formatting_structure.boxes import TextBox

    return "\n".join(" ".join(box.text for box in page._page_box.descendants()
                              if isinstance(box, TextBox)) for page in document.pages)


def render_html(html: str) -> tuple[bytes, int]:
    document = _render(html)
    return document.write_pdf(), len(document.pages)


def render_letter(content: LetterContent) -> Rendered:
    document = _render(letter_html(content))
    pdf = document.write_pdf()
    return Rendered(pdf=pdf, pages=len(document.pages), sha256=hashlib.sha256(pdf).hexdigest(),
                    text=_laid_out_text(document))


@atexit.register
def _drop_documents():
    # As _drop_styles: the parsed stylesheets hold the FontConfiguration too.
    _cache.documents = None


def render_document(*, html: str, stylesheet: Path) -> tuple[bytes, int]:
    """Any other document (a settlement statement, ...) with its own stylesheet from
    ``static/``: the same fonts and the same local-only fetcher as the letters; the
    stylesheet is parsed once per thread. Returns (PDF, pages)."""
    from weasyprint import CSS, HTML

    fonts, _css, fetcher = _styles()
    sheets = getattr(_cache, "documents", None)
    if sheets is None:
        sheets = _cache.documents = {}
    key = str(stylesheet)
    if key not in sheets:
        sheets[key] = CSS(filename=key, font_config=fonts, url_fetcher=fetcher)
    document = HTML(string=html, base_url=str(STATIC) + "/",
                    url_fetcher=fetcher).render(stylesheets=[sheets[key]], font_config=fonts)
    return document.write_pdf(), len(document.pages)
