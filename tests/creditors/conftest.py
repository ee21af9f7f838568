"""Fixtures of the creditors' tests."""

import pytest
from django.test import Client


SIGNATORY = "198112289874"


@pytest.fixture
def alice_browser(alice, alice_co):
    """Alice logged in, her company's registered signatory (firmatecknare) being Dan's number."""
    alice_co.contact_personnummer = SIGNATORY
    alice_co.save(update_fields=["contact_personnummer"])
    browser = Client()
    browser.force_login(alice)
    return browser
