"""payments.refunds: what the agency holds for a payer (an unmatched payment, a booked
payment's surplus) is paid back once, by the day's payout file or by hand, to the bankgiro or
bank account a handler gives."""

from xml.etree import ElementTree as ET

import pytest
from django.utils import timezone

from claims.models import LedgerEntry
from claims.selectors import claim_balance
from ekrav.money import format_sek
from payments import payouts
from payments.models import IncomingPayment, PayoutFile, Refund
from payments.refunds import RefundError, refund_create, refund_mark_paid, refundable_ore
from payments.services import bgmax_import
from payments.settlements import payout_day, settlements_run
from tests.conftest import register
from tests.payments.bgmax_files import bgmax_file

pytestmark = pytest.mark.django_db

NS = {"p": payouts.PAIN001_NS}


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def today():
    return timezone.localdate()


def import_payments(*payments, serial=1):
    bgmax_import(data=bgmax_file(list(payments), paid_on=today(), serial=serial),
                 filename="bg.txt", today=today())


@pytest.fixture
def overpaid(alice_co, alice):
    """A case paid about 1 000 kr beyond what is owed (the interest to the day is owed too),
    by bankgiro."""
    claim = register(alice_co, alice)
    owed = claim_balance(claim).outstanding
    import_payments((claim.ocr, owed + 100000))
    return IncomingPayment.objects.get(claim=claim)


@pytest.fixture
def unmatched(db):
    import_payments(("9999999999", 25000), serial=2)
    return IncomingPayment.objects.get(reference="9999999999")


def test_a_booked_payments_surplus_is_what_is_refunded(overpaid):
    surplus = LedgerEntry.objects.get(claim=overpaid.claim, kind="surplus").amount_ore
    assert overpaid.state == "booked" and overpaid.surplus_ore == surplus > 90000
    refund = refund_create(payment_id=overpaid.pk, payee_name="Kim Andersson",
                           bankgiro="5050-1055")
    assert (refund.amount_ore, refund.bankgiro, refund.status) == (surplus, "50501055", "due")
    assert refund.destination == "Bankgiro 5050-1055"


def test_an_unmatched_payment_is_refunded_whole_and_leaves_the_queue(unmatched, admin_user):
    refund = refund_create(payment_id=unmatched.pk, payee_name="Okänd betalare",
                           clearing="8327-9", account="123 456 789-0", user=admin_user)
    unmatched.refresh_from_db()
    assert (unmatched.state, unmatched.handled_by) == ("refund", admin_user)
    assert (refund.amount_ore, refund.clearing, refund.account) == (25000, "83279", "1234567890")


def test_a_payment_is_refunded_once(unmatched):
    refund_create(payment_id=unmatched.pk, payee_name="A", bankgiro="5050-1055")
    with pytest.raises(RefundError) as info:
        refund_create(payment_id=unmatched.pk, payee_name="A", bankgiro="5050-1055")
    assert "payment" in info.value.errors
    assert Refund.objects.count() == 1


def test_a_payment_that_holds_nothing_is_not_refunded(alice_co, alice):
    claim = register(alice_co, alice)
    import_payments((claim.ocr, 10000))
    payment = IncomingPayment.objects.get(claim=claim)
    assert refundable_ore(payment) == 0
    with pytest.raises(RefundError) as info:
        refund_create(payment_id=payment.pk, payee_name="A", bankgiro="5050-1055")
    assert "payment" in info.value.errors and not Refund.objects.exists()


@pytest.mark.parametrize("destination, field", [
    ({}, "account"),
    ({"bankgiro": "5050-1055", "clearing": "8327", "account": "1"}, "bankgiro"),
    ({"bankgiro": "5050-1056"}, "bankgiro"),  # check digit
    ({"clearing": "0123", "account": "1234"}, "clearing"),
    ({"clearing": "83", "account": "1234"}, "clearing"),
    ({"clearing": "8327", "account": ""}, "account"),
    ({"clearing": "8327", "account": "1234567890123"}, "account"),
    ({"clearing": "8327", "account": "12x4"}, "account"),
])
def test_a_bad_destination_is_refused_at_its_field(unmatched, destination, field):
    with pytest.raises(RefundError) as info:
        refund_create(payment_id=unmatched.pk, payee_name="A", **destination)
    assert field in info.value.errors
    unmatched.refresh_from_db()
    assert unmatched.state == "unmatched" and not Refund.objects.exists()


def test_the_payee_is_named(unmatched):
    with pytest.raises(RefundError) as info:
        refund_create(payment_id=unmatched.pk, payee_name="  ", bankgiro="5050-1055")
    assert "payee_name" in info.value.errors


def test_the_payout_file_pays_due_refunds_once(overpaid, settings):
    settings.PAYOUT_FORMAT = "lb"
    refund = refund_create(payment_id=overpaid.pk, payee_name="Kim", bankgiro="5050-1055")
    settlements_run(day=today())
    refund.refresh_from_db()
    assert (refund.status, refund.paid_on) == ("paid", payout_day(today()))
    lb = payouts.parse_lb(bytes(refund.payout_file.content))
    paid_back = [p for p in lb.payments if p.reference == f"EKRAV-R{refund.pk}"]
    assert [(p.bankgiro, p.amount_ore) for p in paid_back] == [("50501055", overpaid.surplus_ore)]
    assert paid_back[0].information == f"Återbet. {overpaid.claim.case_number}"
    # The creditor's payout is in the same file, without the surplus.
    assert lb.total_ore == refund.payout_file.total_ore == sum(p.amount_ore for p in lb.payments)
    settlements_run(day=today())
    assert PayoutFile.objects.count() == 1


def test_a_refund_alone_makes_a_payout_file(unmatched, settings):
    settings.PAYOUT_FORMAT = "lb"
    refund_create(payment_id=unmatched.pk, payee_name="Okänd", bankgiro="5050-1055")
    summary = settlements_run(day=today())
    assert summary["settlements"] == 0
    payout_file = PayoutFile.objects.get(pk=summary["payout_file"])
    assert (payout_file.count, payout_file.total_ore) == (1, 25000)


def test_lb_leaves_a_bank_account_refund_to_be_paid_by_hand(unmatched, settings, admin_user):
    settings.PAYOUT_FORMAT = "lb"
    refund = refund_create(payment_id=unmatched.pk, payee_name="Okänd", clearing="8327-9",
                           account="1234567890")
    assert settlements_run(day=today())["payout_file"] is None
    refund.refresh_from_db()
    assert refund.status == "due"
    paid = refund_mark_paid(refund_id=refund.pk, paid_on=today(), user=admin_user)
    assert (paid.status, paid.paid_on, paid.paid_by) == ("paid", today(), admin_user)
    with pytest.raises(RefundError):
        refund_mark_paid(refund_id=refund.pk, paid_on=today(), user=admin_user)


def test_pain001_pays_a_bank_account_by_its_clearing_number(unmatched, settings):
    settings.PAYOUT_FORMAT = "pain001"
    refund = refund_create(payment_id=unmatched.pk, payee_name="Okänd Betalare",
                           clearing="8327-9", account="1234567890")
    settlements_run(day=today())
    refund.refresh_from_db()
    assert refund.status == "paid"
    root = ET.fromstring(bytes(refund.payout_file.content))
    tx = root.find(".//p:CdtTrfTxInf", NS)
    assert tx.find("p:PmtId/p:EndToEndId", NS).text == f"EKRAV-R{refund.pk}"
    assert tx.find("p:Amt/p:InstdAmt", NS).text == "250.00"
    assert tx.find("p:CdtrAgt/p:FinInstnId/p:ClrSysMmbId/p:MmbId", NS).text == "83279"
    assert tx.find("p:CdtrAcct/p:Id/p:Othr/p:Id", NS).text == "832791234567890"
    assert tx.find("p:CdtrAcct/p:Id/p:Othr/p:SchmeNm/p:Cd", NS).text == "BBAN"
    assert tx.find("p:Cdtr/p:Nm", NS).text == "Okänd Betalare"


# --- The handlers' admin ----------------------------------------------------------------------

def test_a_handler_pays_back_a_surplus_from_the_payment_page(admin_client, overpaid):
    page = admin_client.get(f"/admin/payments/incomingpayment/{overpaid.pk}/change/")
    assert f"/admin/payments/incomingpayment/{overpaid.pk}/refund/" in page.content.decode()
    url = f"/admin/payments/incomingpayment/{overpaid.pk}/refund/"
    form = admin_client.get(url)
    assert form.status_code == 200 and format_sek(overpaid.surplus_ore) in form.content.decode()
    bad = admin_client.post(url, {"payee_name": "Kim", "bankgiro": "5050-1056"})
    assert bad.status_code == 200 and b"errorlist" in bad.content
    assert not Refund.objects.exists()
    done = admin_client.post(url, {"payee_name": "Kim", "bankgiro": "5050-1055"})
    assert done.status_code == 302 and done.url == "/admin/payments/refund/"
    assert Refund.objects.get().amount_ore == overpaid.surplus_ore
    again = admin_client.get(f"/admin/payments/incomingpayment/{overpaid.pk}/change/")
    assert f"{overpaid.pk}/refund/" not in again.content.decode()
    listing = admin_client.get("/admin/payments/refund/")
    assert listing.status_code == 200 and "5050-1055" in listing.content.decode()


def test_a_handler_marks_a_refund_paid_by_hand(admin_client, unmatched):
    refund = refund_create(payment_id=unmatched.pk, payee_name="A", clearing="8327",
                           account="1234")
    response = admin_client.post("/admin/payments/refund/", {
        "action": "mark_paid_by_hand", "_selected_action": [refund.pk]})
    assert response.status_code == 302
    refund.refresh_from_db()
    assert refund.status == "paid" and refund.paid_on == today()


def test_refund_pages_are_for_staff_only(client, alice_client, unmatched):
    url = f"/admin/payments/incomingpayment/{unmatched.pk}/refund/"
    for visitor in (client, alice_client):
        response = visitor.post(url, {"payee_name": "A", "bankgiro": "5050-1055"})
        assert response.status_code == 302 and "/admin/login/" in response.url
    assert not Refund.objects.exists()

