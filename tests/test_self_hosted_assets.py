"""Static assets are self-hosted: no page loads a script, style or icon from another host."""

import re

import pytest

pytestmark = pytest.mark.django_db

ASSET = re.compile(r'<(?:script|link|img)\b[^>]*\b(?:src|href)="([^"]+)"', re.I)


@pytest.mark.parametrize("path", ["/api/docs", "/konto/login/", "/konto/signup/"])
def test_public_pages_load_nothing_from_elsewhere(client, path):
    assets = ASSET.findall(client.get(path).content.decode())
    assert assets, path
    assert [a for a in assets if a.startswith(("http:", "https:", "//"))] == []


def test_portal_pages_load_nothing_from_elsewhere(alice_client, alice_claim):
    for path in ("/", "/arenden/nytt/", f"/arenden/{alice_claim.pk}/", "/import/"):
        assets = ASSET.findall(alice_client.get(path).content.decode())
        assert [a for a in assets if a.startswith(("http:", "https:", "//"))] == [], path
