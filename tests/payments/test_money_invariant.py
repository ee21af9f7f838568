"""Every öre that reaches the agency is accounted for (issue 4): over random sequences of
bankgiro payments (matched, stray, to a closed case), collection steps, direct payments,
withdrawals, handlers' bookings and refunds, and the daily settlements,

    money in = paid out to creditors + fees and commission earned + outlays recovered + refunds
               + money held,

where each term is read from its own records: the incoming payments; the settlements'
payouts, fees and the outlays (Kronofogden's fees the agency paid) they deducted; the refunds; and what is held, payment by payment (a booked payment not
settled yet, the surplus of a settled one, a payment nobody was found for), less what of it
a refund pays back. A refund never pays back more than the payment holds."""

from datetime import date, timedelta

import pytest
from django.db import transaction
from django.db.models import Sum
from hypothesis import HealthCheck, example, given, settings, strategies as st

from claims.collection import collect_until
from claims.models import Claim, LedgerEntry
from claims.services import ClaimError, claim_report_direct_payment, claim_withdraw
from payments.models import IncomingPayment, Refund, SettledPayment, Settlement
from payments.refunds import RefundError, refund_create, refundable_ore
from payments.services import bgmax_import, payment_assign
from payments.settlements import settlements_run
from tests.conftest import another_debtor, register
from tests.payments.bgmax_files import bgmax_file

pytestmark = pytest.mark.django_db

START = date(2026, 4, 1)

_pay = st.tuples(st.just("pay"), st.integers(0, 1),
                 st.one_of(st.integers(1, 150_000), st.integers(150_000, 2_000_000)))
# Payments and settlements weigh more than the steps that end a case early.
actions = st.lists(st.one_of(
    _pay, _pay, _pay,
    st.tuples(st.just("stray"), st.integers(1, 50_000)),
    st.tuples(st.just("days"), st.integers(1, 25)),
    st.tuples(st.just("settle")), st.tuples(st.just("settle")),
    st.tuples(st.just("refund"), st.booleans()), st.tuples(st.just("refund"), st.booleans()),
    st.tuples(st.just("assign"), st.integers(0, 1)),
    st.tuples(st.just("direct"), st.integers(0, 1), st.integers(1, 100_000)),
    st.tuples(st.just("withdraw"), st.integers(0, 1)),
), min_size=3, max_size=14)

# A day that has everything: an overpaid case settled, then refunded to a bankgiro; a stray
# payment refunded to a bank account; a payment on a withdrawn case booked by a handler.
EVERYTHING = [("pay", 0, 2_000_000), ("pay", 1, 40_000), ("stray", 12_345), ("settle",),
              ("refund", True), ("refund", False), ("days", 3), ("withdraw", 1),
              ("pay", 1, 5_000), ("assign", 0), ("settle",), ("days", 2), ("settle",)]


class Rollback(Exception):
    pass


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@settings(max_examples=50, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=actions)
@example(steps=EVERYTHING)
def test_every_ore_in_is_paid_out_earned_refunded_or_held(alice_co, charlie_co, steps):
    try:
        with transaction.atomic():
            _play([alice_co, charlie_co], steps)
            raise Rollback
    except Rollback:
        pass


def _play(creditors, steps):
    claims = [register(creditor, invoice_date="2026-02-01", due_date="2026-03-01",
                       invoice_number=f"F-{n}", **another_debtor(n))
              for n, creditor in enumerate(creditors)]
    world = {"day": START, "files": 0}
    for step in steps:
        try:
            _do(world, claims, *step)
        except (ClaimError, RefundError):
            pass  # refused: must have written nothing
        _check()


def _do(world, claims, kind, *args):
    day = world["day"]
    if kind == "pay":
        _import(world, [(claims[args[0]].ocr, args[1])])
    elif kind == "stray":
        _import(world, [("4444444444", args[0])])
    elif kind == "days":
        world["day"] = day + timedelta(days=args[0])
        collect_until(until=world["day"])
    elif kind == "settle":
        settlements_run(day=day)
    elif kind == "refund":
        held = [p for p in IncomingPayment.objects.filter(refund__isnull=True).order_by("pk")
                if refundable_ore(p)]
        if held:
            refund_create(payment_id=held[0].pk, payee_name="Betalaren",
                          **({"bankgiro": "5050-1055"} if args[0]
                             else {"clearing": "8327-9", "account": "1234567890"}))
    elif kind == "assign":
        waiting = IncomingPayment.objects.filter(state="unmatched", amount_ore__gt=0).first()
        if waiting:
            payment_assign(payment_id=waiting.pk, claim=Claim.objects.get(pk=claims[args[0]].pk),
                           today=day, user=None)
    elif kind == "direct":
        claim_report_direct_payment(claim=Claim.objects.get(pk=claims[args[0]].pk),
                                    amount_ore=args[1], paid_on=day, today=day)
    else:
        claim_withdraw(claim=Claim.objects.get(pk=claims[args[0]].pk), reason="test",
                       today=day)


def _import(world, payments):
    world["files"] += 1
    bgmax_import(data=bgmax_file(payments, paid_on=world["day"], serial=world["files"]),
                 filename="bg.txt", today=world["day"])


def _check():
    money_in = _sum(IncomingPayment.objects.filter(currency="SEK", amount_ore__gt=0))
    paid_out = _sum(Settlement.objects.all(), "payout_ore")
    fees = _sum(Settlement.objects.all(), "fees_ore")
    outlays = _sum(Settlement.objects.all(), "outlays_charged_ore")
    commission = _sum(Settlement.objects.all(), "commission_ore")
    refunds = _sum(Refund.objects.all())
    assert money_in == paid_out + fees + commission + outlays + refunds + _held()


def _held() -> int:
    settled = set(SettledPayment.objects.values_list("payment__key", flat=True))
    held = 0
    for payment in IncomingPayment.objects.filter(currency="SEK", amount_ore__gt=0):
        refunded = getattr(getattr(payment, "refund", None), "amount_ore", 0)
        if payment.state == "booked":
            key = f"payment:{payment.source}:{payment.external_id}"
            surplus = _sum(LedgerEntry.objects.filter(claim=payment.claim, kind="surplus",
                                                      key=f"{key}>surplus"))
            assert surplus == payment.surplus_ore
            holds = surplus if key in settled else payment.amount_ore
        else:
            holds = payment.amount_ore  # nobody's yet: unmatched, or marked for refund
        assert 0 <= refunded <= holds, payment
        held += holds - refunded
    return held


def _sum(queryset, field="amount_ore") -> int:
    return queryset.aggregate(total=Sum(field))["total"] or 0
