"""The Content-Security-Policy (ekrav.middleware): on every page, strict everywhere but the
admin's styles, and templates written so that they keep to it."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

STRICT = {
    "default-src": "'self'", "script-src": "'self'", "style-src": "'self'",
    "img-src": "'self' data:", "font-src": "'self'", "connect-src": "'self'",
    "frame-ancestors": "'none'", "base-uri": "'none'", "object-src": "'none'",
}


def policy(response) -> dict[str, str]:
    header = response.headers["Content-Security-Policy"]
    return dict(part.strip().split(" ", 1) for part in header.split(";"))


def assert_strict(response):
    assert response.status_code == 200
    directives = policy(response)
    assert {k: directives[k] for k in STRICT} == STRICT
    assert directives["form-action"].split()[0] == "'self'"


def test_a_creditor_page_has_the_policy(alice_client):
    assert_strict(alice_client.get(reverse("claims:overview")))


@pytest.mark.django_db
def test_mitt_arende_has_the_policy(client):
    assert_strict(client.get(reverse("debtors:open")))


@pytest.mark.django_db
def test_the_login_page_has_the_policy(client):
    assert_strict(client.get(reverse("account_login")))


@pytest.mark.django_db
def test_forms_may_go_on_to_the_payment_providers(client, settings):
    # The card and Trustly forms post to ekrav, which redirects to the provider's page.
    settings.CARD_BASE_URL = "https://pay.card.example/v1"
    settings.TRUSTLY_BASE_URL = "https://test.trustly.com"
    targets = policy(client.get(reverse("debtors:open")))["form-action"].split()
    assert {"'self'", "https://pay.card.example", "https://test.trustly.com"} <= set(targets)


@pytest.mark.django_db
def test_the_admin_may_use_inline_styles_but_never_inline_scripts(admin_client):
    directives = policy(admin_client.get("/admin/"))
    assert directives["style-src"] == "'self' 'unsafe-inline'"
    assert directives["script-src"] == "'self'"


@pytest.mark.django_db
def test_no_policy_on_what_is_not_a_page(client):
    response = client.get(reverse("debtors:open"))
    assert "Content-Security-Policy" in response.headers
    assert "Content-Security-Policy" not in client.get("/api/openapi.json").headers


# Letters are rendered to PDF by WeasyPrint (never served as pages), and the admin's own
# templates extend Django's, which the admin's policy allows inline styles for. The letters
# room's own pages (the ones extending base.html) are pages like any other.
TEMPLATES = Path(settings.BASE_DIR) / "templates"
EXEMPT = {TEMPLATES / "letters", TEMPLATES / "admin"}


def exempt(path: Path) -> bool:
    if TEMPLATES / "letters" in path.parents and '{% extends "base.html" %}' in path.read_text():
        return False
    return any(d in path.parents for d in EXEMPT)
FORBIDDEN = {
    "inline <script>": re.compile(r"<script\b(?![^>]*\bsrc=)[^>]*>", re.I),
    "on...= handler": re.compile(r"\son[a-z]+\s*=", re.I),
    "style= attribute": re.compile(r"\sstyle\s*=", re.I),
    "<style> element": re.compile(r"<style\b", re.I),
}


def served_templates():
    return sorted(p for p in TEMPLATES.rglob("*.html") if not exempt(p))


def test_the_scan_sees_the_templates():
    scanned = served_templates()
    assert len(scanned) > 30 and TEMPLATES / "letters" / "templates.html" in scanned
    assert TEMPLATES / "letters" / "letter.html" not in scanned


@pytest.mark.parametrize("what", FORBIDDEN)
def test_no_template_breaks_the_policy(what):
    found = [f"{p.relative_to(TEMPLATES)}:{text[:m.start()].count(chr(10)) + 1}"
             for p in served_templates()
             for text in [p.read_text()]
             for m in FORBIDDEN[what].finditer(text)]
    assert found == [], f"{what} in {found}"
