"""Registering a partial objection in the admin, by invoice number: the named invoices of the
case are held, the claim keeps its status; an unknown number is a form error, nothing written.
The objection's disputed invoices are shown (read-only) in the list and on its page."""

from datetime import date

import pytest

from claims.models import Claim, Dispute, Event, Status
from letters.services import collection_day_run
from tests.claims.test_collection import register_on

pytestmark = pytest.mark.django_db

REMINDED = date(2026, 4, 8)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def two_invoices(alice_co):
    first = register_on(alice_co)
    second = register_on(alice_co, invoice_number="F-1002", amount="500.00")
    assert first.pk == second.pk
    collection_day_run(until=REMINDED)
    first.refresh_from_db()
    assert first.status == Status.REMINDER_SENT
    return first


def register(admin_client, claim, **extra):
    return admin_client.post("/admin/claims/dispute/add/", {
        "case_number": claim.case_number, "received_on": "2026-04-08", "channel": "phone",
        "reason": "not_delivered", "text": "Grinden byttes aldrig.", **extra})


def test_a_partial_objection_by_invoice_number(admin_client, two_invoices):
    response = register(admin_client, two_invoices, invoices=" F-1002 ")
    assert response.status_code == 302
    dispute = Dispute.objects.get()
    assert dispute.is_partial
    assert list(dispute.invoices.values_list("invoice_number", flat=True)) == ["F-1002"]
    assert Claim.objects.get(pk=two_invoices.pk).status == Status.REMINDER_SENT
    listing = admin_client.get("/admin/claims/dispute/").content.decode()
    assert "F-1002" in listing
    page = admin_client.get(f"/admin/claims/dispute/{dispute.pk}/change/")
    assert page.status_code == 200 and "F-1002" in page.content.decode()
    assert 'name="invoices"' not in page.content.decode()  # read-only


def test_blank_is_the_whole_case(admin_client, two_invoices):
    assert register(admin_client, two_invoices, invoices="").status_code == 302
    dispute = Dispute.objects.get()
    assert not dispute.is_partial and not dispute.invoices.exists()
    assert Claim.objects.get(pk=two_invoices.pk).status == Status.DISPUTED


@pytest.mark.parametrize("numbers", ["F-9999", "F-1002, F-9999"])
def test_an_unknown_number_is_a_form_error_and_nothing_is_written(admin_client, two_invoices,
                                                                  numbers):
    events = Event.objects.count()
    response = register(admin_client, two_invoices, invoices=numbers)
    assert response.status_code == 200
    form = response.context["form"]
    assert "F-9999" in " ".join(form.errors["invoices"])
    assert not Dispute.objects.exists() and Event.objects.count() == events
    assert Claim.objects.get(pk=two_invoices.pk).status == Status.REMINDER_SENT


def test_an_invoice_of_another_case_is_unknown_here(admin_client, two_invoices, charlie_co):
    from tests.claims.test_collection import register_on as register_case

    register_case(charlie_co, invoice_number="C-1")
    response = register(admin_client, two_invoices, invoices="C-1")
    assert response.status_code == 200 and "invoices" in response.context["form"].errors
    assert not Dispute.objects.exists()
