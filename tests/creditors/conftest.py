"""Fixtures of the creditors' tests."""

import pytest
from django.test import Client


SIGNATORY = "198112289874"

# A company as a partner knows it (creditors.partners.parse_partner_company): the contact's
# e-mail as typed, which ekrav stores in lower case.
NEW_COMPANY = {
    "organisation_number": "556016-0680", "form": "AB", "name": "Nya Måleri AB",
    "f_tax_confirmed": True, "street": "Nygatan 3", "postal_code": "753 20",
    "city": "Uppsala", "contact_name": "Nina Nilsson", "contact_email": "Nina@NyaMaleri.se",
    "contact_phone": "070-765 43 21", "contact_personnummer": "19811228-9874",
}


@pytest.fixture
def alice_browser(alice, alice_co):
    """Alice logged in, her company's registered signatory (firmatecknare) being Dan's number."""
    alice_co.contact_personnummer = SIGNATORY
    alice_co.save(update_fields=["contact_personnummer"])
    browser = Client()
    browser.force_login(alice)
    return browser
