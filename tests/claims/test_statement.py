"""The claim as of a day: capital, interest, costs and payments, allocated costs -> interest ->
capital (9 kap. 5 § handelsbalken), overpayment held for refund.

Pure module: no database. Worked examples by hand (10.00 % = 2.00 + 8 from 2025-07-01, so
10 000 kr earn 1 000 000 * 0.10 / 365 = 273.97 öre a day), then properties over random claims.
"""

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from claims.interest import CapitalChange, ReferenceRate, interest_lines, interest_ore
from claims.statement import (
    Allocation, AllocationOrder, Charge, Hold, InvoiceCapital, Payment, RateTable, Statement,
    WriteOff, interest_legal_basis, interest_to_book, owed, same_day_payment, statement,
)

from claims.law_seed import RATES as SEEDED_RATES

ONE_DAY = timedelta(days=1)


# DOMAIN.md's table exactly as the data migration seeds it (claims/law_seed.py): one row per
# half-year, 0.00 % from 2019-07-01 through 2022-01-01, the rows marked "(verify)" as they stand.
DOMAIN_TABLE = [ReferenceRate(day, Decimal(rate)) for day, rate, _verify in SEEDED_RATES]


@pytest.fixture
def rates():
    return list(DOMAIN_TABLE)


def state(invoices, as_of, charges=(), payments=(), rates=DOMAIN_TABLE, **options):
    return statement(invoices=invoices, charges=charges, payments=payments, as_of=as_of,
                     rates=rates, **options)


def periods(result):
    return [(line.start, line.end, line.days, line.capital_ore, line.rate, line.amount_ore)
            for line in result.interest_lines]


def amounts(result):
    return (result.capital_ore, result.interest_accrued_ore, result.interest_owed_ore,
            result.costs_owed_ore, result.paid_ore, result.surplus_ore, result.total_owed_ore)


TEN_THOUSAND = InvoiceCapital(invoice_id=1, due_date=date(2025, 7, 31), amount_ore=1_000_000)
REMINDER_FEE = Charge(date(2025, 8, 1), "reminder_fee", 6_000)
COLLECTION_FEE = Charge(date(2025, 8, 20), "collection_fee", 18_000)
TEN = Decimal("10.00")


# --- worked examples ------------------------------------------------------------------------

def test_one_invoice_no_payment(rates):
    # 10 000 kr due 2025-07-31: interest from 08-01 through 08-31, 31 days at 10.00 %:
    # 1 000 000 * 0.10 * 31/365 = 3 100 000 / 365 = 8493.15 -> 8493. Fees 60 + 180 kr.
    result = state([TEN_THOUSAND], date(2025, 8, 31), [REMINDER_FEE, COLLECTION_FEE], [], rates)
    assert periods(result) == [
        (date(2025, 8, 1), date(2025, 8, 31), 31, 1_000_000, TEN, 8493)]
    # capital, accrued, interest owed, costs, paid, surplus, total
    assert amounts(result) == (1_000_000, 8493, 8493, 24_000, 0, 0, 1_032_493)
    assert result.allocations == ()
    [invoice] = result.invoices
    assert (invoice.invoice_id, invoice.capital_ore, invoice.interest_accrued_ore) == (1, 1_000_000,
                                                                                       8493)


def test_interest_is_itemised_per_rate_period(rates):
    # Due 2025-06-15, as of 07-15: 06-16..06-30 at 2.50 + 8 = 10.50 %: 1 575 000/365 = 4315.07
    # -> 4315; 07-01..07-15 at 10.00 %: 1 500 000/365 = 4109.59 -> 4110. Total 8425.
    invoice = InvoiceCapital(invoice_id=7, due_date=date(2025, 6, 15), amount_ore=1_000_000)
    result = state([invoice], date(2025, 7, 15), rates=rates)
    assert periods(result) == [
        (date(2025, 6, 16), date(2025, 6, 30), 15, 1_000_000, Decimal("10.50"), 4315),
        (date(2025, 7, 1), date(2025, 7, 15), 15, 1_000_000, TEN, 4110)]
    assert result.interest_accrued_ore == result.interest_owed_ore == 8425


def test_before_the_first_interest_day_the_claim_is_its_capital(rates):
    result = state([TEN_THOUSAND], date(2025, 7, 31), [REMINDER_FEE], [], rates)
    assert amounts(result) == (1_000_000, 0, 0, 0, 0, 0, 1_000_000)  # the fee is booked 08-01


def test_a_partial_payment_pays_the_fees_and_part_of_the_interest(rates):
    # 300 kr on 2025-08-31. Owed that day: fees 60 + 180 = 24 000 öre, interest 08-01..08-31
    # (the payment day included) 8493 öre. Costs first: 24 000; interest: 30 000 - 24 000 =
    # 6000 of 8493; capital: nothing. Interest owed 8493 - 6000 = 2493.
    # As of 09-30 the capital is unchanged: 09-01..09-30, 30 days: 3 000 000/365 = 8219.18 ->
    # 8219. Accrued 8493 + 8219 = 16 712, owed 16 712 - 6000 = 10 712.
    payment = Payment(date(2025, 8, 31), 30_000, "bg-1")
    result = state([TEN_THOUSAND], date(2025, 9, 30), [REMINDER_FEE, COLLECTION_FEE], [payment],
                   rates)
    assert result.allocations == (Allocation(
        payment_ref="bg-1", on=date(2025, 8, 31), costs_ore=24_000, interest_ore=6000,
        capital_ore=0, surplus_ore=0, capital_by_invoice=()),)
    assert periods(result) == [
        (date(2025, 8, 1), date(2025, 8, 31), 31, 1_000_000, TEN, 8493),
        (date(2025, 9, 1), date(2025, 9, 30), 30, 1_000_000, TEN, 8219)]
    assert amounts(result) == (1_000_000, 16_712, 10_712, 0, 30_000, 0, 1_010_712)


def test_a_payment_that_reaches_capital_lowers_later_interest(rates):
    # 5000 kr on 2025-08-15. Owed: the 60 kr fee (6000); interest 08-01..08-15, 15 days:
    # 1 500 000/365 = 4109.59 -> 4110. Capital gets 500 000 - 6000 - 4110 = 489 890, leaving
    # 1 000 000 - 489 890 = 510 110 from 08-16. 08-16..08-31, 16 days:
    # 510 110 * 0.10 * 16/365 = 816 176/365 = 2236.1 -> 2236 (on the whole 10 000 kr: 4384).
    payment = Payment(date(2025, 8, 15), 500_000, "swish-1")
    result = state([TEN_THOUSAND], date(2025, 8, 31), [REMINDER_FEE], [payment], rates)
    [allocation] = result.allocations
    assert (allocation.costs_ore, allocation.interest_ore, allocation.capital_ore,
            allocation.surplus_ore, allocation.capital_by_invoice) == (6000, 4110, 489_890, 0,
                                                                       ((1, 489_890),))
    assert periods(result) == [
        (date(2025, 8, 1), date(2025, 8, 15), 15, 1_000_000, TEN, 4110),
        (date(2025, 8, 16), date(2025, 8, 31), 16, 510_110, TEN, 2236)]
    assert amounts(result) == (510_110, 6346, 2236, 0, 500_000, 0, 512_346)


def test_two_invoices_capital_is_paid_oldest_due_date_first(rates):
    # Invoice 1: 3000 kr due 2025-08-10; invoice 2: 5000 kr due 2025-07-31 (older, despite its
    # higher id). 6000 kr paid on 2025-08-20. Interest through the payment day:
    #   invoice 2: 08-01..08-20, 20 days: 500 000 * 0.10 * 20/365 = 2739.73 -> 2740
    #   invoice 1: 08-11..08-20, 10 days: 300 000 * 0.10 * 10/365 =  821.92 ->  822
    # 600 000 - 3562 interest = 596 438 capital: invoice 2 in full (500 000), then 96 438 of
    # invoice 1, which keeps 203 562. As of 08-31 only invoice 1 bears interest:
    #   08-21..08-31, 11 days: 203 562 * 0.10 * 11/365 = 613.47 -> 613
    younger = InvoiceCapital(invoice_id=1, due_date=date(2025, 8, 10), amount_ore=300_000)
    older = InvoiceCapital(invoice_id=2, due_date=date(2025, 7, 31), amount_ore=500_000)
    payment = Payment(date(2025, 8, 20), 600_000, "ocr-1")
    result = state([younger, older], date(2025, 8, 31), [], [payment], rates)
    [allocation] = result.allocations
    assert (allocation.interest_ore, allocation.capital_ore, allocation.capital_by_invoice) \
        == (3562, 596_438, ((2, 500_000), (1, 96_438)))
    assert [(invoice.invoice_id, invoice.capital_ore, invoice.interest_accrued_ore)
            for invoice in result.invoices] == [(2, 0, 2740), (1, 203_562, 822 + 613)]
    assert [(line.start, line.end, line.capital_ore, line.amount_ore)
            for line in result.invoices[1].interest_lines] == [
        (date(2025, 8, 11), date(2025, 8, 20), 300_000, 822),
        (date(2025, 8, 21), date(2025, 8, 31), 203_562, 613)]
    assert amounts(result) == (203_562, 4175, 613, 0, 600_000, 0, 204_175)


def test_an_overpayment_is_held_as_surplus(rates):
    # 1000 kr due 2025-07-31, 60 kr fee, 1200 kr paid on 2025-08-31. Owed that day: 6000 fee,
    # interest 31 days: 100 000 * 0.10 * 31/365 = 849.32 -> 849, capital 100 000: 106 849.
    # Surplus 120 000 - 106 849 = 13 151, held for refund. Nothing accrues afterwards.
    invoice = InvoiceCapital(invoice_id=1, due_date=date(2025, 7, 31), amount_ore=100_000)
    payment = Payment(date(2025, 8, 31), 120_000, "bg-9")
    result = state([invoice], date(2025, 12, 31), [REMINDER_FEE], [payment], rates)
    assert result.allocations == (Allocation(
        payment_ref="bg-9", on=date(2025, 8, 31), costs_ore=6000, interest_ore=849,
        capital_ore=100_000, surplus_ore=13_151, capital_by_invoice=((1, 100_000),)),)
    assert amounts(result) == (0, 849, 0, 0, 120_000, 13_151, 0)


def test_a_surplus_is_not_used_for_a_fee_booked_later(rates):
    # Offsetting an overpayment against a later cost is a handler's decision, not arithmetic.
    invoice = InvoiceCapital(invoice_id=1, due_date=date(2025, 7, 31), amount_ore=100_000)
    payment = Payment(date(2025, 7, 20), 150_000, "bg-1")
    result = state([invoice], date(2025, 8, 31), [REMINDER_FEE], [payment], rates)
    assert (result.surplus_ore, result.costs_owed_ore, result.total_owed_ore) \
        == (50_000, 6000, 6000)


def test_a_payment_before_any_fee_or_interest_goes_to_capital(rates):
    # 2000 kr on 2025-07-20, before the due date and the fee: all capital, 800 000 left.
    # The 60 kr fee of 08-01 comes after it and stays owed. Interest 08-01..08-31 on 800 000:
    # 800 000 * 0.10 * 31/365 = 6794.52 -> 6795.
    payment = Payment(date(2025, 7, 20), 200_000, "direct-1")
    result = state([TEN_THOUSAND], date(2025, 8, 31), [REMINDER_FEE], [payment], rates)
    assert result.allocations[0].capital_by_invoice == ((1, 200_000),)
    assert (result.allocations[0].costs_ore, result.allocations[0].interest_ore) == (0, 0)
    assert periods(result) == [(date(2025, 8, 1), date(2025, 8, 31), 31, 800_000, TEN, 6795)]
    assert amounts(result) == (800_000, 6795, 6795, 6000, 200_000, 0, 812_795)


def test_interest_switched_off(rates):
    # The partial-payment example without interest: 300 kr pays the 240 kr of fees, then 60 kr
    # of capital.
    payment = Payment(date(2025, 8, 31), 30_000, "bg-1")
    result = state([TEN_THOUSAND], date(2025, 9, 30), [REMINDER_FEE, COLLECTION_FEE], [payment],
                   rates, interest_enabled=False)
    assert result.interest_lines == ()
    assert result.allocations[0].capital_by_invoice == ((1, 6000),)
    assert amounts(result) == (994_000, 0, 0, 0, 30_000, 0, 994_000)


def test_no_rate_table_is_needed_without_interest():
    result = state([TEN_THOUSAND], date(2025, 9, 30), rates=[], interest_enabled=False)
    assert result.total_owed_ore == 1_000_000


# --- the payment day --------------------------------------------------------------------------

def test_paid_on_the_due_date_no_interest(rates):
    result = state([TEN_THOUSAND], date(2025, 12, 31), [],
                   [Payment(date(2025, 7, 31), 1_000_000, "p")], rates)
    assert amounts(result) == (0, 0, 0, 0, 1_000_000, 0, 0)


def test_the_payment_day_bears_interest_on_the_capital_owed_before_it(rates):
    # Paid on 08-01, the first interest day: that day counts on the old capital,
    # 1 000 000 * 0.10 / 365 = 273.97 -> 274. Interest first: 274 of the payment, 999 726 of
    # capital; the 274 öre of capital left bear interest from 08-02.
    payment = Payment(date(2025, 8, 1), 1_000_000, "p")
    result = state([TEN_THOUSAND], date(2025, 8, 1), [], [payment], rates)
    assert periods(result) == [(date(2025, 8, 1), date(2025, 8, 1), 1, 1_000_000, TEN, 274)]
    assert amounts(result) == (274, 274, 0, 0, 1_000_000, 0, 274)
    # 08-02..12-31, 152 days: 274 * 0.10 * 152/365 = 11.41 -> 11
    later = state([TEN_THOUSAND], date(2025, 12, 31), [], [payment], rates)
    assert periods(later)[1:] == [(date(2025, 8, 2), date(2025, 12, 31), 152, 274, TEN, 11)]


def test_paying_the_total_shown_as_of_a_day_on_that_day_settles_exactly(rates):
    # Why the payment day counts: the statement as of 09-15 counts 09-15, and the debtor who
    # pays that total on 09-15 owes nothing and is owed nothing.
    quoted = state([TEN_THOUSAND], date(2025, 9, 15), [REMINDER_FEE, COLLECTION_FEE], [], rates)
    # 08-01..09-15 = 46 days: 4 600 000/365 = 12 602.74 -> 12 603; + 24 000 fees
    assert quoted.total_owed_ore == 1_000_000 + 12_603 + 24_000
    paid = state([TEN_THOUSAND], date(2025, 12, 31), [REMINDER_FEE, COLLECTION_FEE],
                 [Payment(date(2025, 9, 15), quoted.total_owed_ore, "p")], rates)
    assert (paid.total_owed_ore, paid.surplus_ore) == (0, 0)


def test_interest_lines_are_cut_at_every_payment_day(rates):
    # A 60 kr payment on 08-15 only pays the fee, yet the interest of 08-01..08-15 (4110) was
    # owed and booked that day: the line stops there, and no later day re-rounds it. Uncut,
    # 08-01..08-31 would be one line of 8493; cut, it is 4110 + (08-16..08-31, 16 days:
    # 1 600 000/365 = 4383.56 -> 4384) = 8494. The öre is the price of a ledger that never
    # re-rounds what it booked.
    payment = Payment(date(2025, 8, 15), 6000, "p")
    result = state([TEN_THOUSAND], date(2025, 8, 31), [REMINDER_FEE], [payment], rates)
    assert periods(result) == [
        (date(2025, 8, 1), date(2025, 8, 15), 15, 1_000_000, TEN, 4110),
        (date(2025, 8, 16), date(2025, 8, 31), 16, 1_000_000, TEN, 4384)]
    assert (result.allocations[0].costs_ore, result.interest_owed_ore) == (6000, 8494)
    as_of_payment_day = state([TEN_THOUSAND], date(2025, 8, 15), [REMINDER_FEE], [payment], rates)
    assert as_of_payment_day.interest_lines == result.interest_lines[:1]


def test_payments_of_one_day_go_by_ref_and_later_ones_are_not_yet_received(rates):
    payments = [Payment(date(2025, 8, 31), 50_000, "b"), Payment(date(2025, 8, 31), 10_000, "a"),
                Payment(date(2025, 9, 1), 99_999, "later")]
    result = state([TEN_THOUSAND], date(2025, 8, 31), [REMINDER_FEE, COLLECTION_FEE], payments,
                   rates)
    # "a": 10 000 of the 24 000 fees; "b": 14 000 fees, then all 8493 interest, 27 507 capital.
    assert [(row.payment_ref, row.costs_ore, row.interest_ore, row.capital_ore)
            for row in result.allocations] == [("a", 10_000, 0, 0), ("b", 14_000, 8493, 27_507)]
    assert result.paid_ore == 60_000


def test_the_order_is_a_policy_given_by_name(rates):
    payment = Payment(date(2025, 8, 31), 30_000, "p")
    by_name = state([TEN_THOUSAND], date(2025, 8, 31), [REMINDER_FEE], [payment], rates,
                    order="costs_interest_capital")
    assert by_name == state([TEN_THOUSAND], date(2025, 8, 31), [REMINDER_FEE], [payment], rates,
                            order=AllocationOrder.COSTS_INTEREST_CAPITAL)
    with pytest.raises(ValueError):
        state([TEN_THOUSAND], date(2025, 8, 31), [], [], rates, order="capital_first")


def test_an_agreed_margin_replaces_the_statutory_8(rates):
    # 2.00 + 12 = 14.00 %: 1 000 000 * 0.14 * 31/365 = 11 890.41 -> 11 890
    result = state([TEN_THOUSAND], date(2025, 8, 31), rates=rates, margin=Decimal("12"))
    assert result.interest_accrued_ore == 11_890


# --- validation -------------------------------------------------------------------------------

@pytest.mark.parametrize("make", [
    lambda: InvoiceCapital(1, date(2025, 1, 1), -1),
    lambda: InvoiceCapital(1, date(2025, 1, 1), 1.5),
    lambda: InvoiceCapital(True, date(2025, 1, 1), 100),
    lambda: InvoiceCapital(1, "2025-01-01", 100),
    lambda: Charge(date(2025, 1, 1), "fee", -1),
    lambda: Charge(date(2025, 1, 1), "fee", True),
    lambda: Payment(date(2025, 1, 1), 0, "p"),
    lambda: Payment(date(2025, 1, 1), Decimal("10"), "p"),
    lambda: Payment(date(2025, 1, 1), 100, ""),
    lambda: Payment(date(2025, 1, 1), 100, 7),
])
def test_rows_refuse_what_is_not_whole_ore_on_a_day(make):
    with pytest.raises(ValueError):
        make()


def test_times_are_not_days(rates):
    from datetime import datetime
    with pytest.raises(ValueError, match="must be a date"):
        Payment(datetime(2025, 8, 1, 12), 100, "p")
    with pytest.raises(ValueError, match="as_of"):
        state([TEN_THOUSAND], datetime(2025, 8, 31, 12), rates=rates)


def test_duplicate_invoice_ids_and_payment_refs_are_refused(rates):
    with pytest.raises(ValueError, match="invoice id appears twice"):
        state([TEN_THOUSAND, TEN_THOUSAND], date(2025, 8, 31), rates=rates)
    twice = [Payment(date(2025, 8, 1), 100, "p"), Payment(date(2025, 8, 2), 100, "p")]
    with pytest.raises(ValueError, match="payment ref appears twice"):
        state([TEN_THOUSAND], date(2025, 8, 31), [], twice, rates)
    with pytest.raises(ValueError, match="Payment rows"):
        state([TEN_THOUSAND], date(2025, 8, 31), [], [(date(2025, 8, 1), 100, "p")], rates)


def test_a_day_without_a_rate_is_an_error(rates):
    early = InvoiceCapital(1, date(2018, 12, 1), 100_000)
    with pytest.raises(ValueError, match="no reference rate in force on 2018-12-02"):
        state([early], date(2019, 1, 31), rates=rates)


# --- properties -------------------------------------------------------------------------------

LOW, HIGH = date(2024, 10, 1), date(2026, 9, 30)


def days_between(low=LOW, high=HIGH):
    return st.integers(0, (high - low).days).map(lambda n: low + n * ONE_DAY)


ore = st.one_of(st.integers(0, 1000), st.integers(0, 100_000), st.integers(0, 5_000_000))
payment_ore = st.one_of(st.integers(1, 1000), st.integers(1, 200_000), st.integers(1, 8_000_000))


@st.composite
def claims(draw):
    """Keyword arguments for ``statement``: 1-3 invoices, fees and payments around them."""
    ids = draw(st.lists(st.integers(1, 50), unique=True, min_size=1, max_size=3))
    invoices = [InvoiceCapital(invoice_id, draw(days_between()), draw(ore)) for invoice_id in ids]
    charges = [Charge(day, kind, amount) for day, kind, amount in draw(st.lists(st.tuples(
        days_between(), st.sampled_from(["reminder_fee", "collection_fee", "plan_fee"]),
        st.integers(0, 45_000)), max_size=4))]
    refs = draw(st.lists(st.text("abc", min_size=1, max_size=3), unique=True, max_size=5))
    payments = [Payment(draw(days_between()), draw(payment_ore), ref) for ref in refs]
    return dict(invoices=invoices, charges=charges, payments=payments,
                as_of=draw(days_between()), rates=DOMAIN_TABLE,
                interest_enabled=draw(st.sampled_from([True, True, True, False])))


def received(claim, as_of=None):
    as_of = as_of or claim["as_of"]
    return sorted((row for row in claim["payments"] if row.on <= as_of),
                  key=lambda row: (row.on, row.ref))


def capital_order(claim):
    return sorted(claim["invoices"], key=lambda row: (row.due_date, row.invoice_id))


@given(claims())
def test_every_ore_is_accounted_for_and_nothing_is_negative(claim):
    result = statement(**claim)
    payments = received(claim)
    assert [row.payment_ref for row in result.allocations] == [row.ref for row in payments]
    for allocation, payment in zip(result.allocations, payments):
        assert allocation.on == payment.on
        assert allocation.costs_ore + allocation.interest_ore + allocation.capital_ore \
            + allocation.surplus_ore == payment.amount_ore
        assert sum(part for _, part in allocation.capital_by_invoice) == allocation.capital_ore
        assert all(part > 0 for _, part in allocation.capital_by_invoice)
        assert min(allocation.costs_ore, allocation.interest_ore, allocation.capital_ore,
                   allocation.surplus_ore) >= 0

    allocations = result.allocations
    assert result.paid_ore == sum(row.amount_ore for row in payments) == sum(
        row.costs_ore + row.interest_ore + row.capital_ore for row in allocations
    ) + result.surplus_ore
    assert result.surplus_ore == sum(row.surplus_ore for row in allocations)
    assert result.interest_accrued_ore == sum(line.amount_ore for line in result.interest_lines)
    assert result.interest_owed_ore \
        == result.interest_accrued_ore - sum(row.interest_ore for row in allocations)
    assert result.costs_owed_ore == sum(
        row.amount_ore for row in claim["charges"] if row.on <= claim["as_of"]
    ) - sum(row.costs_ore for row in allocations)
    assert result.capital_ore == sum(row.capital_ore for row in result.invoices) == sum(
        row.amount_ore for row in claim["invoices"]) - sum(row.capital_ore for row in allocations)
    for invoice in result.invoices:
        repaid = sum(part for row in allocations for invoice_id, part in row.capital_by_invoice
                     if invoice_id == invoice.invoice_id)
        assert invoice.capital_ore == invoice.amount_ore - repaid >= 0
    assert result.total_owed_ore \
        == result.capital_ore + result.interest_owed_ore + result.costs_owed_ore
    assert min(result.capital_ore, result.interest_accrued_ore, result.interest_owed_ore,
               result.costs_owed_ore, result.paid_ore, result.surplus_ore) >= 0
    assert all(line.amount_ore >= 0 and line.capital_ore > 0 for line in result.interest_lines)
    if not claim["interest_enabled"]:
        assert result.interest_lines == () and result.interest_accrued_ore == 0


@given(claims())
def test_each_payment_pays_costs_then_interest_then_capital_oldest_first(claim):
    # Replayed from the outside: what was owed at each payment, and the greedy split of it.
    result = statement(**claim)
    lines = result.interest_lines
    owed_capital = {row.invoice_id: row.amount_ore for row in claim["invoices"]}
    costs_paid = interest_paid = 0
    for allocation, payment in zip(result.allocations, received(claim)):
        day = payment.on
        # Lines are cut at every payment day: each ends on or before it or starts after it.
        assert all(line.end <= day or line.start > day for line in lines)
        costs = sum(row.amount_ore for row in claim["charges"] if row.on <= day) - costs_paid
        interest = sum(line.amount_ore for line in lines if line.end <= day) - interest_paid
        capital = sum(owed_capital.values())

        left = payment.amount_ore
        assert allocation.costs_ore == min(left, costs)
        left -= allocation.costs_ore
        assert allocation.interest_ore == min(left, interest)
        left -= allocation.interest_ore
        assert allocation.capital_ore == min(left, capital)
        assert allocation.surplus_ore == left - allocation.capital_ore
        if allocation.capital_ore:  # no capital while costs or interest are owed
            assert (allocation.costs_ore, allocation.interest_ore) == (costs, interest)
        if allocation.surplus_ore:  # surplus only once everything owed is paid
            assert allocation.capital_ore == capital

        expected, rest = [], allocation.capital_ore
        for invoice in capital_order(claim):
            part = min(rest, owed_capital[invoice.invoice_id])
            if part:
                expected.append((invoice.invoice_id, part))
                owed_capital[invoice.invoice_id] -= part
                rest -= part
        assert allocation.capital_by_invoice == tuple(expected)
        costs_paid += allocation.costs_ore
        interest_paid += allocation.interest_ore


@given(claims())
def test_interest_runs_day_by_day_on_the_capital_owed_before_each_days_payments(claim):
    claim["interest_enabled"] = True
    result = statement(**claim)
    for invoice in result.invoices:
        def capital_on(day, invoice_id=invoice.invoice_id, amount=invoice.amount_ore):
            # the payment day still bears interest on the capital owed before the payment
            return amount - sum(part for row in result.allocations if row.on < day
                                for paid_id, part in row.capital_by_invoice
                                if paid_id == invoice_id)

        first = invoice.due_date + ONE_DAY
        days = [first + n * ONE_DAY for n in range((claim["as_of"] - first).days + 1)]
        covered = [line.start + n * ONE_DAY for line in invoice.interest_lines
                   for n in range(line.days)]
        assert covered == [day for day in days if capital_on(day)]
        for line in invoice.interest_lines:
            assert {capital_on(line.start + n * ONE_DAY) for n in range(line.days)} \
                == {line.capital_ore}


@given(claims())
def test_the_past_never_changes(claim):
    # What was accrued and allocated at a payment stays as it was on every later day: the
    # append-only ledger can book it once and the itemised letter still adds up.
    result = statement(**claim)
    for payment in received(claim):
        then = statement(**{**claim, "as_of": payment.on})
        assert then.allocations == result.allocations[:len(received(claim, payment.on))]
        for earlier, later in zip(then.invoices, result.invoices):
            assert earlier.interest_lines \
                == tuple(line for line in later.interest_lines if line.end <= payment.on)


@given(claims(), st.data())
def test_more_payment_never_increases_what_is_owed(claim, data):
    base = statement(**claim)
    payments = list(claim["payments"])
    if payments and data.draw(st.booleans(), label="raise one"):
        index = data.draw(st.integers(0, len(payments) - 1), label="which")
        old = payments[index]
        payments[index] = Payment(old.on, old.amount_ore + data.draw(payment_ore), old.ref)
    else:
        # A payment on a day that already cuts the interest (a payment day or as_of); a new
        # day would cut a line in two, and that rounding may cost an öre.
        day = data.draw(st.sampled_from([claim["as_of"], *(row.on for row in payments)]))
        payments.append(Payment(day, data.draw(payment_ore), "extra"))
    more = statement(**{**claim, "payments": payments})
    assert more.capital_ore <= base.capital_ore
    assert more.interest_owed_ore <= base.interest_owed_ore
    assert more.costs_owed_ore <= base.costs_owed_ore
    assert more.total_owed_ore <= base.total_owed_ore
    for mine, theirs in zip(more.invoices, base.invoices):
        assert mine.capital_ore <= theirs.capital_ore


@given(claims(), st.integers(1, 400))
def test_a_later_day_never_has_less_interest(claim, days):
    earlier = statement(**claim)
    later = statement(**{**claim, "as_of": claim["as_of"] + days * ONE_DAY})
    assert later.interest_accrued_ore >= earlier.interest_accrued_ore
    assert later.paid_ore >= earlier.paid_ore
    for mine, theirs in zip(later.invoices, earlier.invoices):
        assert mine.interest_accrued_ore >= theirs.interest_accrued_ore


@given(claims())
def test_without_payments_interest_is_interest_ore_per_invoice(claim):
    claim = {**claim, "payments": [], "interest_enabled": True}
    result = statement(**claim)
    assert result.interest_accrued_ore == result.interest_owed_ore == sum(
        interest_ore(start=row.due_date + ONE_DAY, end=claim["as_of"],
                     capital=[CapitalChange(row.due_date + ONE_DAY, row.amount_ore)],
                     rates=DOMAIN_TABLE)
        for row in claim["invoices"])
    assert result.capital_ore == sum(row.amount_ore for row in claim["invoices"])


@given(claims(), st.integers(0, 100_000))
def test_paying_the_total_on_the_day_settles_and_any_more_is_surplus(claim, extra):
    quoted = statement(**claim)
    assume(quoted.total_owed_ore + extra > 0)
    settle = Payment(claim["as_of"], quoted.total_owed_ore + extra, "~settle")  # last that day
    paid = statement(**{**claim, "payments": [*claim["payments"], settle]})
    assert paid.total_owed_ore == 0
    assert paid.surplus_ore == quoted.surplus_ore + extra
    assert paid.interest_lines == quoted.interest_lines


@given(claims())
def test_interest_off_is_the_claim_without_interest(claim):
    result = statement(**{**claim, "interest_enabled": False})
    assert isinstance(result, Statement)
    assert result.interest_lines == () and result.interest_owed_ore == 0
    assert all(row.interest_ore == 0 for row in result.allocations)
    assert result.total_owed_ore == result.capital_ore + result.costs_owed_ore


# --- the prepared rate table and interest booking (the tick's) ------------------------------


@given(days_between(), days_between(), st.integers(0, 25_000_000_00),
       st.sampled_from([Decimal("8"), Decimal("9.5"), Decimal("0")]))
def test_a_prepared_table_itemises_exactly_as_interest_lines(first, through, capital, margin):
    table = RateTable(DOMAIN_TABLE)
    for _again in range(2):  # computed once, then from the table's memory: the same lines
        assert table.lines(first, through, capital, margin) == interest_lines(
            start=first, end=through, capital=[CapitalChange(first, capital)],
            rates=DOMAIN_TABLE, margin=margin)


@given(days_between(), days_between(), st.integers(0, 25_000_000_00))
def test_a_prepared_tables_interest_is_the_sum_of_its_lines(first, through, capital):
    table = RateTable(DOMAIN_TABLE)
    assert table.interest_ore(first, through, capital, Decimal("8")) == sum(
        line.amount_ore for line in table.lines(first, through, capital, Decimal("8")))


@given(claims(), st.booleans())
def test_what_is_owed_is_the_statements_with_or_without_payments(claim, without_payments):
    if without_payments:
        claim = {**claim, "payments": []}
    full = statement(**claim)
    owes = owed(**{**claim, "rates": RateTable(DOMAIN_TABLE)})
    assert (owes.as_of, owes.total_ore, owes.interest_accrued_ore) == (
        claim["as_of"], full.total_owed_ore, full.interest_accrued_ore)


@given(claims())
def test_one_prepared_table_for_many_statements_changes_nothing(claim):
    shared = RateTable(DOMAIN_TABLE)
    assert statement(**{**claim, "rates": shared}) == statement(**claim)
    assert statement(**{**claim, "rates": shared}) == statement(**claim)


def test_a_prepared_table_says_when_a_day_has_no_rate():
    table = RateTable(DOMAIN_TABLE[3:])
    with pytest.raises(ValueError, match="no reference rate in force on 2019-07-01"):
        statement(invoices=[InvoiceCapital(1, date(2019, 6, 30), 100)], charges=[], payments=[],
                  as_of=date(2020, 1, 1), rates=table)


@pytest.mark.parametrize("booked, expected", [(0, 8493), (8000, 493), (8493, 0), (9000, 0)])
def test_interest_to_book_is_what_the_ledger_lacks_never_negative(booked, expected):
    accrued = state([TEN_THOUSAND], date(2025, 8, 31))  # 8493 öre accrued (worked above)
    assert interest_to_book(accrued, booked) == expected


def test_interest_has_its_legal_basis_in_swedish():
    assert interest_legal_basis(date(2026, 3, 3)) == (
        "Dröjsmålsränta t.o.m. 2026-03-03, 3 och 6 §§ räntelagen (1975:635)")


@given(claims(), st.integers(1, 60))
def test_booking_at_each_step_day_adds_up_to_the_statement(claim, step):
    """The tick books, each step day, the accrued interest less what is booked: since a later
    day never has less interest, the ledger then holds exactly the last day's statement's."""
    claim = {**claim, "interest_enabled": True}
    first = min(row.due_date for row in claim["invoices"])
    assume(first <= claim["as_of"])
    days = [first + n * step * ONE_DAY for n in range((claim["as_of"] - first).days // step + 1)]
    booked = 0
    for day in days:
        booked += interest_to_book(statement(**{**claim, "as_of": day}), booked)
    assert booked == statement(**{**claim, "as_of": days[-1]}).interest_accrued_ore


@given(claims(), st.lists(payment_ore, max_size=3), payment_ore, st.booleans())
def test_a_payment_after_none_but_its_days_is_the_statements(claim, earlier, amount,
                                                             interest_enabled):
    day = claim["as_of"]
    payments = [Payment(day, ore, f"a{n}") for n, ore in enumerate(earlier)]
    payment = Payment(day, amount, "b")
    arguments = dict(invoices=claim["invoices"], charges=claim["charges"],
                     interest_enabled=interest_enabled)
    fast = dict(arguments, payment=payment, rates=RateTable(DOMAIN_TABLE),
                paid_before_ore=sum(earlier))
    try:
        full = statement(**arguments, payments=[*payments, payment], as_of=day,
                         rates=DOMAIN_TABLE)
    except ValueError as exc:
        with pytest.raises(ValueError, match=re.escape(str(exc))):
            same_day_payment(**fast)
        return
    allocation, owes = same_day_payment(**fast)
    assert allocation == full.allocations[-1]
    assert (owes.as_of, owes.total_ore, owes.interest_accrued_ore) == (
        day, full.total_owed_ore, full.interest_accrued_ore)


# --- partial objections: holds and write-offs (rule 6) ------------------------------------------

FIVE_THOUSAND = InvoiceCapital(invoice_id=2, due_date=date(2025, 7, 31), amount_ore=500_000)


def accrued(capital_ore, first, through):
    return RateTable(DOMAIN_TABLE).interest_ore(first, through, capital_ore, Decimal("8"))


# August 2025 at 10 %: 30 days on 10 000 kr are 82.19 kr; on 5 000 kr, 41.10 kr.
TEN_30, FIVE_30 = 8_219, 4_110


def test_a_held_invoice_is_not_asked_for_but_still_bears_interest(rates):
    hold = Hold(invoice_id=2, start=date(2025, 8, 10))
    result = state([TEN_THOUSAND, FIVE_THOUSAND], date(2025, 8, 30), holds=[hold])
    ten, five = result.invoices
    assert (ten.held, five.held) == (False, True)
    assert ten.interest_owed_ore == accrued(1_000_000, date(2025, 8, 1), date(2025, 8, 30)) \
        == TEN_30
    assert accrued(500_000, date(2025, 8, 1), date(2025, 8, 30)) == FIVE_30
    assert five.interest_owed_ore == FIVE_30
    assert result.total_owed_ore == 1_000_000 + 500_000 + TEN_30 + FIVE_30
    assert result.held_ore == 500_000 + FIVE_30
    assert result.collectible_ore == 1_000_000 + TEN_30
    # Before the hold began the invoice was asked for like the others.
    assert state([TEN_THOUSAND, FIVE_THOUSAND], date(2025, 8, 9), holds=[hold]).held_ore == 0


def test_a_payment_while_held_pays_only_the_undisputed_invoices(rates):
    hold = Hold(invoice_id=2, start=date(2025, 8, 10))
    paid = Payment(date(2025, 8, 30), 1_100_000, "p")
    result = state([TEN_THOUSAND, FIVE_THOUSAND], date(2025, 8, 30), charges=[REMINDER_FEE],
                   payments=[paid], holds=[hold])
    (allocation,) = result.allocations
    # The fee, the undisputed invoice's interest and its capital; the rest is surplus.
    assert (allocation.costs_ore, allocation.interest_ore, allocation.capital_ore) \
        == (6_000, TEN_30, 1_000_000)
    assert allocation.surplus_ore == 1_100_000 - 6_000 - TEN_30 - 1_000_000
    assert allocation.capital_by_invoice == ((1, 1_000_000),)
    ten, five = result.invoices
    assert (ten.capital_ore, ten.interest_owed_ore) == (0, 0)
    assert (five.capital_ore, five.interest_owed_ore) == (500_000, FIVE_30)
    assert result.collectible_ore == 0 and result.held_ore == result.total_owed_ore == 500_000 + FIVE_30


def test_once_the_hold_ends_the_invoice_and_its_interest_are_asked_for_again(rates):
    hold = Hold(invoice_id=2, start=date(2025, 8, 10), end=date(2025, 9, 10))
    paid = Payment(date(2025, 9, 10), 600_000, "p")
    result = state([TEN_THOUSAND, FIVE_THOUSAND], date(2025, 9, 10), payments=[paid],
                   holds=[hold])
    assert result.held_ore == 0
    (allocation,) = result.allocations
    # Interest of both invoices first (41 days each), then the oldest capital (id 1 first).
    interest = (accrued(1_000_000, date(2025, 8, 1), date(2025, 9, 10))
                + accrued(500_000, date(2025, 8, 1), date(2025, 9, 10)))
    assert allocation.interest_ore == interest
    assert allocation.capital_by_invoice == ((1, 600_000 - interest),)


def test_a_write_off_takes_what_the_invoice_still_owes_and_stops_its_interest(rates):
    hold = Hold(invoice_id=2, start=date(2025, 8, 10))
    write_off = WriteOff(invoice_id=2, on=date(2025, 8, 30))
    result = state([TEN_THOUSAND, FIVE_THOUSAND], date(2025, 9, 29), holds=[hold],
                   write_offs=[write_off])
    (gone,) = result.written_off
    assert (gone.invoice_id, gone.on, gone.capital_ore, gone.interest_ore) \
        == (2, date(2025, 8, 30), 500_000, FIVE_30)
    ten, five = result.invoices
    assert (five.capital_ore, five.interest_owed_ore, five.written_off_on) \
        == (0, 0, date(2025, 8, 30))
    assert five.interest_accrued_ore == FIVE_30  # what it accrued stays, itemised
    assert result.interest_accrued_ore == ten.interest_accrued_ore + FIVE_30
    assert result.total_owed_ore == 1_000_000 + ten.interest_owed_ore
    assert result.held_ore == 0


def test_a_write_off_comes_after_the_days_payments(rates):
    write_off = WriteOff(invoice_id=1, on=date(2025, 8, 30))
    paid = Payment(date(2025, 8, 30), 100_000, "p")
    result = state([TEN_THOUSAND], date(2025, 8, 30), payments=[paid], write_offs=[write_off])
    assert result.allocations[0].capital_ore == 100_000 - TEN_30
    assert result.written_off[0].capital_ore == 1_000_000 - (100_000 - TEN_30)
    assert result.total_owed_ore == 0


def test_holds_and_write_offs_must_be_of_the_claims_invoices(rates):
    with pytest.raises(ValueError):
        state([TEN_THOUSAND], date(2025, 8, 30), holds=[Hold(invoice_id=9, start=LOW)])
    with pytest.raises(ValueError):
        state([TEN_THOUSAND], date(2025, 8, 30), write_offs=[WriteOff(invoice_id=9, on=LOW)])
    with pytest.raises(ValueError):
        state([TEN_THOUSAND], date(2025, 8, 30),
              write_offs=[WriteOff(invoice_id=1, on=LOW), WriteOff(invoice_id=1, on=HIGH)])
    with pytest.raises(ValueError):
        Hold(invoice_id=1, start=HIGH, end=LOW)


@st.composite
def disputed_claims(draw):
    """``claims()`` with holds on some of its invoices and maybe a write-off of one of them."""
    claim = draw(claims())
    holds, write_offs = [], []
    for invoice in claim["invoices"]:
        if draw(st.booleans()):
            start = draw(days_between())
            end = draw(st.one_of(st.none(), days_between(start + ONE_DAY, HIGH + ONE_DAY)))
            holds.append(Hold(invoice.invoice_id, start, end))
            if draw(st.booleans()):
                write_offs.append(WriteOff(invoice.invoice_id, draw(days_between(start))))
    return {**claim, "holds": holds, "write_offs": write_offs}


@given(disputed_claims())
def test_partial_objections_keep_every_ore_accounted_for(claim):
    result = statement(**claim)
    payments = received(claim)
    holds = claim["holds"]
    for allocation, payment in zip(result.allocations, payments, strict=True):
        assert allocation.amount_ore == payment.amount_ore
        held = {hold.invoice_id for hold in holds if hold.covers(payment.on)}
        assert not held & {invoice_id for invoice_id, _ in allocation.capital_by_invoice}
    written = {row.invoice_id: row for row in result.written_off}
    assert set(written) == {row.invoice_id for row in claim["write_offs"]
                            if row.on <= claim["as_of"]}
    for invoice in result.invoices:
        repaid = sum(part for row in result.allocations
                     for invoice_id, part in row.capital_by_invoice
                     if invoice_id == invoice.invoice_id)
        gone = written[invoice.invoice_id].capital_ore if invoice.invoice_id in written else 0
        assert invoice.capital_ore == invoice.amount_ore - repaid - gone >= 0
        assert 0 <= invoice.interest_owed_ore <= invoice.interest_accrued_ore
        if invoice.invoice_id in written:
            assert invoice.capital_ore == invoice.interest_owed_ore == 0
    assert result.interest_owed_ore == sum(row.interest_owed_ore for row in result.invoices) \
        == result.interest_accrued_ore - sum(row.interest_ore for row in result.allocations) \
        - sum(row.interest_ore for row in result.written_off)
    assert result.held_ore == sum(row.capital_ore + row.interest_owed_ore
                                  for row in result.invoices if row.held)
    assert 0 <= result.held_ore <= result.total_owed_ore
    assert result.collectible_ore >= 0
    quick = owed(**claim)
    assert (quick.total_ore, quick.held_ore, quick.interest_accrued_ore) \
        == (result.total_owed_ore, result.held_ore, result.interest_accrued_ore)


@given(disputed_claims())
def test_partial_objections_never_change_the_past(claim):
    # The ledger books each payment's allocation and each write-off once: a later statement
    # must repeat them.
    result = statement(**claim)
    for payment in received(claim):
        then = statement(**{**claim, "as_of": payment.on})
        assert then.allocations == result.allocations[:len(then.allocations)]
    for row in result.written_off:
        assert row in statement(**{**claim, "as_of": row.on}).written_off


@given(claims())
def test_without_objections_interest_owed_per_invoice_adds_up(claim):
    result = statement(**claim)
    assert sum(row.interest_owed_ore for row in result.invoices) == result.interest_owed_ore
    assert result.held_ore == 0 and result.written_off == ()
