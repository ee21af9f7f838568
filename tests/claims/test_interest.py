"""Dröjsmålsränta (räntelagen 1975:635): reference rate + 8, actual/365, one rounding per line.

Pure module: no database. Worked examples by hand, then properties over random periods, capital
histories and rate tables.
"""

from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from claims.interest import (
    MARGIN, CapitalChange, InterestLine, ReferenceRate, interest_lines, interest_ore, rate_on,
)

from claims.law_seed import RATES as SEEDED_RATES

ONE_DAY = timedelta(days=1)


# DOMAIN.md's table exactly as the data migration seeds it (claims/law_seed.py): one row per
# half-year, 0.00 % from 2019-07-01 through 2022-01-01, the rows marked "(verify)" as they stand.
DOMAIN_TABLE = [ReferenceRate(day, Decimal(rate)) for day, rate, _verify in SEEDED_RATES]


@pytest.fixture
def rates():
    return list(DOMAIN_TABLE)


def capital_from(day, capital_ore):
    return [CapitalChange(day, capital_ore)]


def lines(start, end, capital, rates=DOMAIN_TABLE, margin=MARGIN):
    return interest_lines(start=start, end=end, capital=capital, rates=rates, margin=margin)


def summary(result):
    return [(line.start, line.end, line.days, line.capital_ore, line.rate, line.amount_ore)
            for line in result]


# --- worked examples ------------------------------------------------------------------------

def test_the_fixture_is_domain_md_table(rates):
    assert len(rates) == 16  # every half-year 2019-01-01 .. 2026-07-01
    assert rate_on(date(2021, 12, 31), rates).rate == Decimal("0.00")
    assert rate_on(date(2022, 1, 1), rates).rate == Decimal("0.00")
    assert rate_on(date(2022, 7, 1), rates).rate == Decimal("0.50")


def test_10_000_kr_at_10_percent_for_31_days(rates):
    # August 2025, reference rate 2.00 % -> 10.00 %.
    # 10 000 kr * 0.10 * 31/365 = 3 100 000 öre / 365 = 8493.150... öre -> 8493 öre (84.93 kr)
    [line] = lines(date(2025, 8, 1), date(2025, 8, 31), capital_from(date(2025, 8, 1), 1_000_000),
                   rates)
    assert line == InterestLine(
        start=date(2025, 8, 1), end=date(2025, 8, 31), days=31, capital_ore=1_000_000,
        reference_rate=Decimal("2.00"), rate=Decimal("10.00"), amount_ore=8493,
        exact_ore=Fraction(3_100_000, 365))


def test_a_period_across_1_july_2025_is_two_lines_each_rounded(rates):
    # 2025-06-16 .. 2025-06-30: 15 days at 2.50 + 8 = 10.50 %
    #   1 000 000 * 0.105 * 15/365 = 1 575 000 / 365 = 4315.068... -> 4315
    # 2025-07-01 .. 2025-07-15: 15 days at 2.00 + 8 = 10.00 %
    #   1 000 000 * 0.10 * 15/365 = 1 500 000 / 365 = 4109.589... -> 4110
    # total 8425 öre (the exact sum 8424.657... would also give 8425, by luck, not by rule)
    result = lines(date(2025, 6, 16), date(2025, 7, 15), capital_from(date(2025, 6, 16), 1_000_000),
                   rates)
    assert summary(result) == [
        (date(2025, 6, 16), date(2025, 6, 30), 15, 1_000_000, Decimal("10.50"), 4315),
        (date(2025, 7, 1), date(2025, 7, 15), 15, 1_000_000, Decimal("10.00"), 4110),
    ]
    assert [line.reference_rate for line in result] == [Decimal("2.50"), Decimal("2.00")]
    assert [line.exact_ore for line in result] \
        == [Fraction(1_575_000, 365), Fraction(1_500_000, 365)]
    assert interest_ore(start=date(2025, 6, 16), end=date(2025, 7, 15),
                        capital=capital_from(date(2025, 6, 16), 1_000_000), rates=rates) == 8425


def test_a_leap_year_is_366_days_over_365(rates):
    # All of 2024: 4.00 % in both halves, so one line (the 2024-07-01 row repeats the rate).
    # 1 000 000 * 0.12 * 366/365 = 43 920 000 / 365 = 120 328.767... -> 120 329 öre,
    # i.e. a year and a day's worth: more than 12 % of the capital (120 000).
    [line] = lines(date(2024, 1, 1), date(2024, 12, 31), capital_from(date(2024, 1, 1), 1_000_000),
                   rates)
    assert (line.days, line.rate, line.amount_ore) == (366, Decimal("12.00"), 120_329)
    assert line.exact_ore == Fraction(1_000_000 * 12 * 366, 100 * 365)


def test_a_row_repeating_the_rate_does_not_split_the_line(rates):
    # 2019-07-01 .. 2022-06-30 is 0.00 % through six rows: one line at 8.00 %, 1096 days.
    # 1 000 000 * 0.08 * 1096/365 = 87 680 000 / 365 = 240 219.178... -> 240 219
    [line] = lines(date(2019, 7, 1), date(2022, 6, 30), capital_from(date(2019, 7, 1), 1_000_000),
                   rates)
    assert (line.days, line.rate, line.amount_ore) == (1096, Decimal("8.00"), 240_219)


def test_a_partial_payment_splits_the_line(rates):
    # 10 000 kr from 2025-08-01; 4 000 kr paid, 6 000 kr outstanding from 2025-08-16.
    # 08-01 .. 08-15: 1 000 000 * 0.10 * 15/365 = 1 500 000 / 365 = 4109.589... -> 4110
    # 08-16 .. 08-31:   600 000 * 0.10 * 16/365 =   960 000 / 365 = 2630.136... -> 2630
    capital = [CapitalChange(date(2025, 8, 1), 1_000_000),
               CapitalChange(date(2025, 8, 16), 600_000)]
    assert summary(lines(date(2025, 8, 1), date(2025, 8, 31), capital, rates)) == [
        (date(2025, 8, 1), date(2025, 8, 15), 15, 1_000_000, Decimal("10.00"), 4110),
        (date(2025, 8, 16), date(2025, 8, 31), 16, 600_000, Decimal("10.00"), 2630),
    ]


def test_exactly_half_an_ore_rounds_up(rates):
    # 2019-02-01 .. 2019-02-20: 20 days at -0.50 + 8 = 7.50 %, capital 999 735 öre (= 365 * 2739)
    # 999 735 * 0.075 * 20/365 = 2739 * 1.5 = 4108.5 öre exactly -> 4109 (half-even would say 4108)
    [line] = lines(date(2019, 2, 1), date(2019, 2, 20), capital_from(date(2019, 2, 1), 999_735),
                   rates)
    assert (line.rate, line.exact_ore, line.amount_ore) \
        == (Decimal("7.50"), Fraction(8217, 2), 4109)


def test_a_negative_reference_rate_still_charges_7_50_percent(rates):
    # 2019 H1: -0.50 + 8 = 7.50 %. 100 000 öre * 0.075 * 181/365 = 1 357 500 / 365 = 3719.17 -> 3719
    [line] = lines(date(2019, 1, 1), date(2019, 6, 30), capital_from(date(2019, 1, 1), 100_000),
                   rates)
    assert (line.reference_rate, line.rate, line.days, line.amount_ore) \
        == (Decimal("-0.50"), Decimal("7.50"), 181, 3719)


def test_a_single_day(rates):
    # 1 000 000 * 0.10 / 365 = 273.97 -> 274
    day = date(2025, 8, 1)
    assert summary(lines(day, day, capital_from(day, 1_000_000), rates)) \
        == [(day, day, 1, 1_000_000, Decimal("10.00"), 274)]


def test_end_before_start_is_no_interest(rates):
    assert lines(date(2025, 8, 2), date(2025, 8, 1), capital_from(date(2025, 8, 1), 1_000_000),
                 rates) == []
    assert interest_ore(start=date(2025, 8, 2), end=date(2025, 8, 1),
                        capital=capital_from(date(2025, 8, 1), 1_000_000), rates=rates) == 0


def test_zero_capital_is_no_lines(rates):
    assert lines(date(2025, 1, 1), date(2025, 12, 31), capital_from(date(2025, 1, 1), 0),
                 rates) == []
    assert lines(date(2025, 1, 1), date(2025, 12, 31), [], rates) == []


def test_capital_before_the_first_change_is_zero(rates):
    # The invoice joins on 2025-08-11: interest only from then.
    # 1 000 000 * 0.10 * 21/365 = 2 100 000 / 365 = 5753.42 -> 5753
    assert summary(lines(date(2025, 8, 1), date(2025, 8, 31),
                         capital_from(date(2025, 8, 11), 1_000_000), rates)) == [
        (date(2025, 8, 11), date(2025, 8, 31), 21, 1_000_000, Decimal("10.00"), 5753)]


def test_a_period_of_zero_capital_leaves_a_gap(rates):
    capital = [CapitalChange(date(2025, 8, 1), 100_000), CapitalChange(date(2025, 8, 5), 0),
               CapitalChange(date(2025, 8, 10), 100_000)]
    assert [(line.start, line.end) for line in lines(date(2025, 8, 1), date(2025, 8, 20), capital,
                                                     rates)] \
        == [(date(2025, 8, 1), date(2025, 8, 4)), (date(2025, 8, 10), date(2025, 8, 20))]


def test_capital_rows_repeating_the_amount_do_not_split_the_line(rates):
    capital = [CapitalChange(date(2025, 8, 1), 100_000), CapitalChange(date(2025, 8, 10), 100_000)]
    assert len(lines(date(2025, 8, 1), date(2025, 8, 31), capital, rates)) == 1


def test_an_agreed_margin_replaces_the_statutory_8(rates):
    # 2.00 + 12 = 14.00 %: 1 000 000 * 0.14 * 31/365 = 4 340 000 / 365 = 11 890.41 -> 11 890
    [line] = lines(date(2025, 8, 1), date(2025, 8, 31), capital_from(date(2025, 8, 1), 1_000_000),
                   rates, margin=Decimal("12"))
    assert (line.rate, line.amount_ore) == (Decimal("14.00"), 11_890)


def test_the_table_may_come_in_any_order(rates):
    args = dict(start=date(2022, 3, 1), end=date(2025, 9, 30),
                capital=capital_from(date(2022, 3, 1), 1_234_567))
    assert interest_lines(rates=list(reversed(rates)), **args) \
        == interest_lines(rates=rates, **args)


def test_splitting_inside_a_line_can_cost_one_ore():
    # 3.65 kr at 10 % for 5 days: 365 * 0.10 * 5/365 = 0.5 -> 1 öre; split after day 1 it is
    # 0.1 -> 0 plus 0.4 -> 0. The exact amounts still add up (0.1 + 0.4 = 0.5).
    table = [ReferenceRate(date(2025, 7, 1), Decimal("2.00"))]
    capital = capital_from(date(2025, 8, 1), 365)
    whole = lines(date(2025, 8, 1), date(2025, 8, 5), capital, table)
    parts = lines(date(2025, 8, 1), date(2025, 8, 1), capital, table) \
        + lines(date(2025, 8, 2), date(2025, 8, 5), capital, table)
    assert sum(line.exact_ore for line in whole) == sum(line.exact_ore for line in parts)
    assert (rounded(whole), rounded(parts)) == (1, 0)


def test_daily_increments_rounded_each_day_drift_from_the_whole(rates):
    # Why callers should not book interest one rounded day at a time: 10 000 kr at 10 % is
    # 273.97 öre a day -> 274, and 31 of those are 8494, where the month is 8493.
    capital = capital_from(date(2025, 8, 1), 1_000_000)
    daily = sum(interest_ore(start=day, end=day, capital=capital, rates=rates)
                for day in (date(2025, 8, 1) + n * ONE_DAY for n in range(31)))
    whole = interest_ore(start=date(2025, 8, 1), end=date(2025, 8, 31), capital=capital,
                         rates=rates)
    assert (daily, whole) == (8494, 8493)


def test_more_capital_on_some_days_can_merge_lines_and_round_to_less():
    # Monotonicity in capital holds for exact amounts and for a uniform increase, not for any
    # pointwise increase: 18.25 kr then 18.26 kr is two lines of 0.5 and 0.50027 öre (1 + 1),
    # 18.26 kr on both days is one line of 1.0005 öre (1).
    table = [ReferenceRate(date(2025, 7, 1), Decimal("2.00"))]
    less = [CapitalChange(date(2025, 8, 1), 1825), CapitalChange(date(2025, 8, 2), 1826)]
    more = [CapitalChange(date(2025, 8, 1), 1826)]
    args = dict(start=date(2025, 8, 1), end=date(2025, 8, 2), rates=table)
    assert (interest_ore(capital=less, **args), interest_ore(capital=more, **args)) == (2, 1)


# --- validation -----------------------------------------------------------------------------

@pytest.mark.parametrize("capital_ore", [-1, 1.5, True, "100", Decimal("100")])
def test_capital_must_be_whole_non_negative_ore(capital_ore):
    with pytest.raises(ValueError, match="capital_ore"):
        CapitalChange(date(2025, 1, 1), capital_ore)


@pytest.mark.parametrize("rate", [2.0, 2, "2.00", Decimal("NaN"), Decimal("Infinity")])
def test_a_rate_must_be_a_finite_decimal(rate):
    with pytest.raises(ValueError, match="rate"):
        ReferenceRate(date(2025, 1, 1), rate)


def test_duplicate_rate_rows_are_refused(rates):
    table = [*rates, ReferenceRate(date(2025, 7, 1), Decimal("2.25"))]
    with pytest.raises(ValueError, match="two reference rates valid from 2025-07-01"):
        rate_on(date(2025, 8, 1), table)
    with pytest.raises(ValueError, match="two reference rates valid from 2025-07-01"):
        lines(date(2025, 8, 1), date(2025, 8, 31), capital_from(date(2025, 8, 1), 100), table)


def test_duplicate_capital_rows_are_refused(rates):
    capital = [CapitalChange(date(2025, 8, 1), 100), CapitalChange(date(2025, 8, 1), 200)]
    with pytest.raises(ValueError, match="two capital amounts from 2025-08-01"):
        lines(date(2025, 8, 1), date(2025, 8, 31), capital, rates)


def test_a_day_before_the_table_has_no_rate(rates):
    with pytest.raises(ValueError, match="no reference rate in force on 2018-12-31"):
        rate_on(date(2018, 12, 31), rates)
    with pytest.raises(ValueError, match="no reference rate in force on 2018-12-20"):
        lines(date(2018, 12, 20), date(2019, 1, 10), capital_from(date(2018, 12, 20), 100), rates)
    with pytest.raises(ValueError, match="the table is empty"):
        rate_on(date(2025, 1, 1), [])


def test_a_negative_total_rate_is_refused():
    table = [ReferenceRate(date(2025, 1, 1), Decimal("-9.00"))]
    with pytest.raises(ValueError, match="negative"):
        lines(date(2025, 1, 1), date(2025, 1, 31), capital_from(date(2025, 1, 1), 100), table)


def test_times_are_not_days(rates):
    from datetime import datetime
    with pytest.raises(ValueError, match="start must be a date"):
        lines(datetime(2025, 8, 1, 12), date(2025, 8, 31), capital_from(date(2025, 8, 1), 100),
              rates)


# --- properties -----------------------------------------------------------------------------

FIRST, LAST = date(2019, 1, 1), date(2027, 12, 31)


def days_between(low=FIRST, high=LAST):
    return st.integers(0, (high - low).days).map(lambda n: low + n * ONE_DAY)


# Any table starting on FIRST: rates from -8.00 % (total rate 0) to 20.00 %, on any days.
random_tables = st.lists(
    st.tuples(days_between(FIRST + ONE_DAY), st.integers(-800, 2000)),
    unique_by=lambda row: row[0], max_size=12,
).flatmap(lambda rows: st.integers(-800, 2000).flatmap(lambda first_rate: st.permutations(
    [ReferenceRate(FIRST, Decimal(first_rate).scaleb(-2)),
     *(ReferenceRate(day, Decimal(rate).scaleb(-2)) for day, rate in rows)])))

tables = st.one_of(st.just(DOMAIN_TABLE), random_tables)
amounts = st.one_of(st.just(0), st.integers(1, 100_000), st.integers(1, 10**11))


@st.composite
def periods(draw, max_days=1200):
    """(start, end, capital changes); end may precede start, changes may precede start."""
    start = draw(days_between(FIRST, LAST - max_days * ONE_DAY))
    end = start + draw(st.integers(-3, max_days)) * ONE_DAY
    offsets = draw(st.lists(st.integers(-30, max_days), unique=True, max_size=8))
    if draw(st.booleans()):
        offsets = [0, *(offset for offset in offsets if offset != 0)]
    capital = [CapitalChange(start + offset * ONE_DAY, draw(amounts)) for offset in offsets]
    return start, end, capital


def brute_rate(day, table):
    return max((row for row in table if row.valid_from <= day), key=lambda row: row.valid_from)


def brute_capital(day, capital):
    earlier = [row for row in capital if row.on <= day]
    return max(earlier, key=lambda row: row.on).capital_ore if earlier else 0


def exact(result):
    return sum((line.exact_ore for line in result), Fraction(0))


def rounded(result):
    return sum(line.amount_ore for line in result)


@given(periods(), tables)
def test_lines_cover_exactly_the_interest_days_with_capital(period, table):
    start, end, capital = period
    result = lines(start, end, capital, table)
    days = [start + n * ONE_DAY for n in range((end - start).days + 1)]
    charged = [day for day in days if brute_capital(day, capital)]

    covered = [line.start + n * ONE_DAY for line in result for n in range(line.days)]
    assert covered == charged  # in order, no overlap, no gap where capital is owed
    assert sum(line.days for line in result) == len(charged)
    for line in result:
        assert line.start <= line.end and line.days == (line.end - line.start).days + 1
        assert line.capital_ore > 0
        assert line.rate == line.reference_rate + MARGIN
        for n in range(line.days):  # one rate and one capital per line
            day = line.start + n * ONE_DAY
            assert brute_rate(day, table).rate == line.reference_rate
            assert brute_capital(day, capital) == line.capital_ore
        assert line.exact_ore == Fraction(line.capital_ore) * Fraction(line.rate) \
            * line.days / (100 * 365)
        assert abs(line.amount_ore - line.exact_ore) <= Fraction(1, 2)
        assert line.amount_ore - line.exact_ore != Fraction(-1, 2)  # halves go up
    for before, after in zip(result, result[1:]):  # maximal: touching lines differ
        if after.start == before.end + ONE_DAY:
            assert (before.reference_rate, before.capital_ore) \
                != (after.reference_rate, after.capital_ore)
    assert interest_ore(start=start, end=end, capital=capital, rates=table) == rounded(result)


@given(periods(), tables, st.data())
def test_interest_is_additive_over_any_split(period, table, data):
    start, end, capital = period
    assume(start < end)
    split = data.draw(days_between(start + ONE_DAY, end), label="split")  # start < split <= end
    whole = lines(start, end, capital, table)
    first, second = lines(start, split - ONE_DAY, capital, table), lines(split, end, capital, table)

    assert exact(first) + exact(second) == exact(whole)

    # Each rounding error e = amount - exact lies in (-1/2, 1/2]. A split cuts at most one line L
    # of the whole in two (L1, L2); every other line comes out unchanged. So
    #   rounded(whole) - rounded(first) - rounded(second) = e(L) - e(L1) - e(L2)  in (-3/2, 3/2),
    # an integer: at most 1 öre, and exactly 0 when the split creates no extra line.
    extra_lines = len(first) + len(second) - len(whole)
    assert extra_lines in (0, 1)
    difference = rounded(whole) - rounded(first) - rounded(second)
    assert abs(difference) <= extra_lines
    if not extra_lines:
        assert first + second == whole


@given(periods(max_days=400), tables, st.data())
def test_increments_over_many_disjoint_ranges(period, table, data):
    start, end, capital = period
    assume(start <= end)
    cuts = sorted(data.draw(st.sets(days_between(start + ONE_DAY, end), max_size=10)
                            if start < end else st.just(set()), label="cuts"))
    bounds = [start, *cuts, end + ONE_DAY]
    pieces = [lines(a, b - ONE_DAY, capital, table) for a, b in zip(bounds, bounds[1:])]
    whole = lines(start, end, capital, table)

    assert sum(exact(piece) for piece in pieces) == exact(whole)
    # |e| <= 1/2 per line, and lines common to both sides cancel.
    parts = [line for piece in pieces for line in piece]
    changed = len([line for line in whole if line not in parts]) \
        + len([line for line in parts if line not in whole])
    assert 2 * abs(rounded(whole) - rounded(parts)) <= changed


@given(periods(), tables, st.integers(0, 400), st.integers(0, 400))
def test_more_days_never_give_less_interest(period, table, earlier, later):
    start, end, capital = period
    assume(start - earlier * ONE_DAY >= FIRST)
    base = lines(start, end, capital, table)
    longer = lines(start - earlier * ONE_DAY, end + later * ONE_DAY, capital, table)
    assert exact(longer) >= exact(base)
    assert rounded(longer) >= rounded(base)


@given(periods(), tables, st.integers(0, 10**9))
def test_more_capital_never_gives_less_interest(period, table, more):
    start, end, capital = period
    raised = [CapitalChange(row.on, row.capital_ore + more) for row in capital]
    base, bigger = lines(start, end, capital, table), lines(start, end, raised, table)
    assert exact(bigger) >= exact(base)
    # Adding the same amount everywhere keeps every line boundary, so each line can only grow.
    assert rounded(bigger) >= rounded(base)


@given(periods(), tables, st.lists(st.integers(0, 10**9), min_size=9, max_size=9))
def test_more_capital_on_some_days_never_gives_less_exact_interest(period, table, mores):
    start, end, capital = period
    raised = [CapitalChange(row.on, row.capital_ore + more) for row, more in zip(capital, mores)]
    base, bigger = lines(start, end, capital, table), lines(start, end, raised, table)
    assert exact(bigger) >= exact(base)
    # Rounded, lines may merge (see the 18.25 kr example): never less by more than half an öre
    # per line on either side.
    assert 2 * (rounded(base) - rounded(bigger)) <= len(base) + len(bigger)


@given(random_tables, days_between(FIRST - 10 * ONE_DAY, LAST))
def test_rate_on_picks_the_latest_row_on_or_before_the_day(table, day):
    if day < FIRST:
        with pytest.raises(ValueError, match="no reference rate"):
            rate_on(day, table)
        return
    chosen = rate_on(day, table)
    assert chosen in table and chosen.valid_from <= day
    assert not any(chosen.valid_from < row.valid_from <= day for row in table)


@given(periods(max_days=400), random_tables)
def test_lines_depend_only_on_the_rate_of_each_day(period, table):
    # Adding a row that repeats the rate in force changes nothing (the seeded table has many).
    start, end, capital = period
    extra = [ReferenceRate(row.valid_from + 40 * ONE_DAY, rate_on(row.valid_from + 40 * ONE_DAY,
                                                                  table).rate)
             for row in table
             if not any(other.valid_from == row.valid_from + 40 * ONE_DAY for other in table)]
    assert lines(start, end, capital, [*table, *extra]) == lines(start, end, capital, table)
