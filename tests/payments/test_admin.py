"""The handlers' side: a BgMax file uploaded in the admin, the unmatched queue, booking a
payment on a case and marking one for refund."""


import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from claims.selectors import claim_balance
from payments.models import BgmaxImport, IncomingPayment
from tests.conftest import register
from tests.fixtures import BGMAX_EXAMPLE

pytestmark = pytest.mark.django_db

FIXTURE = BGMAX_EXAMPLE  # Bankgirot's own example file, as received (tests/fixtures)


def upload(admin_client, data, name="bg.txt"):
    return admin_client.post("/admin/payments/bgmaximport/add/",
                             {"file": SimpleUploadedFile(name, data)})


def test_upload_a_file_then_see_the_queue(admin_client, alice_co):
    response = upload(admin_client, FIXTURE.read_bytes())
    assert response.status_code == 302 and BgmaxImport.objects.count() == 1
    queue = admin_client.get("/admin/payments/incomingpayment/?state__exact=unmatched")
    assert queue.status_code == 200 and "Kalles" in queue.content.decode()
    again = upload(admin_client, FIXTURE.read_bytes(), name="again.txt")
    assert again.status_code == 302 and BgmaxImport.objects.count() == 1


def test_a_broken_file_is_refused_at_the_field_and_nothing_is_kept(admin_client):
    response = upload(admin_client, b"01BGMAX\r\n20garbage\r\n")
    assert response.status_code == 200
    assert response.context["form"].errors["file"]
    assert not BgmaxImport.objects.exists() and not IncomingPayment.objects.exists()


def test_book_an_unmatched_payment_on_a_case_from_the_admin(admin_client, alice_co):
    claim = register(alice_co)
    upload(admin_client, FIXTURE.read_bytes())
    payment = IncomingPayment.objects.filter(state="unmatched", amount_ore__gt=0).first()
    page = admin_client.get(f"/admin/payments/incomingpayment/{payment.pk}/change/")
    assert f"/admin/payments/incomingpayment/{payment.pk}/assign/" in page.content.decode()
    refused = admin_client.post(f"/admin/payments/incomingpayment/{payment.pk}/assign/",
                                {"case_number": "999999"})
    assert refused.status_code == 200 and refused.context["form"].errors["case_number"]
    done = admin_client.post(f"/admin/payments/incomingpayment/{payment.pk}/assign/",
                             {"case_number": claim.case_number})
    assert done.status_code == 302
    payment.refresh_from_db()
    assert (payment.state, payment.claim) == ("booked", claim)
    assert claim_balance(claim).paid == payment.amount_ore
    assert admin_client.get("/admin/payments/incomingpayment/999999/assign/").status_code == 404


def test_mark_for_refund(admin_client):
    upload(admin_client, FIXTURE.read_bytes())
    payment = IncomingPayment.objects.filter(state="unmatched", amount_ore__gt=0).first()
    admin_client.post("/admin/payments/incomingpayment/",
                      {"action": "mark_for_refund", "_selected_action": [payment.pk]})
    payment.refresh_from_db()
    assert payment.state == "refund"
    # The rest of the queue is untouched.
    assert IncomingPayment.objects.filter(state="unmatched").exists()
