"""The Swedish bank-day calendar. Every vector below was worked out by hand (weekdays counted
from 1 January, Easter from the published tables), not by running the code."""

from datetime import date, datetime, timedelta

import pytest
from dateutil.easter import EASTER_WESTERN, easter as dateutil_easter
from hypothesis import given
from hypothesis import strategies as st

from ekrav.calendar import (
    add_bank_days,
    bank_days_between,
    bank_holidays,
    easter_sunday,
    first_bank_day_after,
    is_bank_day,
    next_bank_day,
    swedish_public_holidays,
)

D = date
DAY = timedelta(days=1)
dates = st.dates(min_value=D(1900, 1, 1), max_value=D(2200, 12, 31))
years = st.integers(min_value=1900, max_value=2200)

PUBLIC_HOLIDAY_NAMES = {
    "nyårsdagen", "trettondedag jul", "långfredagen", "påskdagen", "annandag påsk", "första maj",
    "Kristi himmelsfärdsdag", "pingstdagen", "Sveriges nationaldag", "midsommardagen",
    "alla helgons dag", "juldagen", "annandag jul",
}
BANK_ONLY_NAMES = {"midsommarafton", "julafton", "nyårsafton"}


def brute_bank_days_between(start, end):
    count, d = 0, start + DAY
    while d <= end:
        count += is_bank_day(d)
        d += DAY
    return count


# --- Easter -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "year, expected",
    [
        (2019, D(2019, 4, 21)),
        (2024, D(2024, 3, 31)),
        (2025, D(2025, 4, 20)),
        (2026, D(2026, 4, 5)),
        (2027, D(2027, 3, 28)),
        (2038, D(2038, 4, 25)),  # the latest possible
        (1943, D(1943, 4, 25)),
        (1818, D(1818, 3, 22)),  # the earliest possible
        (2285, D(2285, 3, 22)),
        (2000, D(2000, 4, 23)),
        (2008, D(2008, 3, 23)),
        (1954, D(1954, 4, 18)),
        (2049, D(2049, 4, 18)),  # Gauss by hand: epact 28, weekday shift 6, m 1 -> 141 -> 18 Apr
    ],
)
def test_easter_sunday_known(year, expected):
    assert easter_sunday(year) == expected


@given(st.integers(min_value=1583, max_value=4099))
def test_easter_is_a_sunday_between_22_march_and_25_april(year):
    easter = easter_sunday(year)
    assert easter.weekday() == 6
    assert D(year, 3, 22) <= easter <= D(year, 4, 25)


@given(st.integers(min_value=1583, max_value=4099))
def test_easter_agrees_with_an_independent_implementation(year):
    # dateutil (a dependency of Celery) implements the same computus separately.
    assert easter_sunday(year) == dateutil_easter(year, EASTER_WESTERN)


# --- Holidays -----------------------------------------------------------------------------


def test_public_holidays_2025():
    assert swedish_public_holidays(2025) == {
        D(2025, 1, 1): "nyårsdagen",
        D(2025, 1, 6): "trettondedag jul",
        D(2025, 4, 18): "långfredagen",
        D(2025, 4, 20): "påskdagen",
        D(2025, 4, 21): "annandag påsk",
        D(2025, 5, 1): "första maj",
        D(2025, 5, 29): "Kristi himmelsfärdsdag",
        D(2025, 6, 6): "Sveriges nationaldag",
        D(2025, 6, 8): "pingstdagen",
        D(2025, 6, 21): "midsommardagen",
        D(2025, 11, 1): "alla helgons dag",
        D(2025, 12, 25): "juldagen",
        D(2025, 12, 26): "annandag jul",
    }


def test_public_holidays_2026():
    assert swedish_public_holidays(2026) == {
        D(2026, 1, 1): "nyårsdagen",
        D(2026, 1, 6): "trettondedag jul",
        D(2026, 4, 3): "långfredagen",
        D(2026, 4, 5): "påskdagen",
        D(2026, 4, 6): "annandag påsk",
        D(2026, 5, 1): "första maj",
        D(2026, 5, 14): "Kristi himmelsfärdsdag",
        D(2026, 5, 24): "pingstdagen",
        D(2026, 6, 6): "Sveriges nationaldag",
        D(2026, 6, 20): "midsommardagen",
        D(2026, 10, 31): "alla helgons dag",
        D(2026, 12, 25): "juldagen",
        D(2026, 12, 26): "annandag jul",
    }


@pytest.mark.parametrize(
    "year, expected",
    [
        (2025, {D(2025, 6, 20): "midsommarafton", D(2025, 12, 24): "julafton",
                D(2025, 12, 31): "nyårsafton"}),
        (2026, {D(2026, 6, 19): "midsommarafton", D(2026, 12, 24): "julafton",
                D(2026, 12, 31): "nyårsafton"}),
    ],
)
def test_bank_only_days(year, expected):
    public = swedish_public_holidays(year)
    assert bank_holidays(year) == {**public, **expected}


def test_pingstdagen_on_national_day_keeps_both_names():
    # Easter 18 April 2049, so pingstdagen is 6 June.
    holidays = swedish_public_holidays(2049)
    assert holidays[D(2049, 6, 6)] == "pingstdagen, Sveriges nationaldag"
    assert len(holidays) == 12


def test_ascension_on_the_first_of_may_keeps_both_names():
    # Easter 23 March 2008, so Kristi himmelsfärdsdag is 1 May.
    holidays = swedish_public_holidays(2008)
    assert holidays[D(2008, 5, 1)] == "första maj, Kristi himmelsfärdsdag"
    assert len(holidays) == 12


@given(years)
def test_every_year_has_the_thirteen_holidays_of_the_law(year):
    holidays = swedish_public_holidays(year)
    names = [part for name in holidays.values() for part in name.split(", ")]
    assert sorted(names) == sorted(PUBLIC_HOLIDAY_NAMES)
    # The only dates that can coincide: pingstdagen (Easter + 49, 10 May..13 June) and 6 June;
    # Kristi himmelsfärdsdag (Easter + 39, 30 April..3 June) and 1 May. Never both in one year.
    pingst_on_national_day = easter_sunday(year) + timedelta(days=49) == D(year, 6, 6)
    ascension_on_may_day = easter_sunday(year) + timedelta(days=39) == D(year, 5, 1)
    assert len(holidays) == 13 - pingst_on_national_day - ascension_on_may_day
    assert all(day.year == year for day in holidays)


@given(years)
def test_holidays_fall_on_their_weekdays(year):
    by_name = {part: day for day, name in bank_holidays(year).items()
               for part in name.split(", ")}
    assert by_name["långfredagen"].weekday() == 4
    assert by_name["annandag påsk"].weekday() == 0
    assert by_name["Kristi himmelsfärdsdag"].weekday() == 3
    assert by_name["midsommarafton"].weekday() == 4
    assert by_name["midsommardagen"].weekday() == 5
    assert D(year, 6, 20) <= by_name["midsommardagen"] <= D(year, 6, 26)
    assert by_name["alla helgons dag"].weekday() == 5
    assert D(year, 10, 31) <= by_name["alla helgons dag"] <= D(year, 11, 6)
    assert by_name["midsommarafton"] + DAY == by_name["midsommardagen"]


@given(years)
def test_bank_holidays_are_public_holidays_plus_three(year):
    public, bank = swedish_public_holidays(year), bank_holidays(year)
    assert public.items() <= bank.items()
    extra = {day: name for day, name in bank.items() if day not in public}
    assert set(extra.values()) == BANK_ONLY_NAMES


def test_bank_holidays_hands_out_copies_of_the_cache():
    bank_holidays(2026).clear()
    swedish_public_holidays(2026).clear()
    assert len(bank_holidays(2026)) == 16
    assert not is_bank_day(D(2026, 12, 24))


# --- Bank days ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "day, expected",
    [
        (D(2026, 1, 9), D(2026, 1, 9)),  # a Friday is its own bank day
        (D(2026, 1, 10), D(2026, 1, 12)),  # Saturday -> Monday
        (D(2026, 1, 11), D(2026, 1, 12)),  # Sunday -> Monday
        (D(2026, 1, 5), D(2026, 1, 5)),  # trettondagsafton is a bank day
        (D(2026, 1, 6), D(2026, 1, 7)),  # trettondedag jul, a Tuesday
        (D(2026, 4, 2), D(2026, 4, 2)),  # skärtorsdagen is a bank day
        (D(2026, 4, 3), D(2026, 4, 7)),  # långfredagen -> the Tuesday after annandag påsk
        (D(2026, 4, 4), D(2026, 4, 7)),
        (D(2026, 4, 6), D(2026, 4, 7)),
        (D(2025, 4, 18), D(2025, 4, 22)),
        (D(2026, 5, 14), D(2026, 5, 15)),  # Kristi himmelsfärdsdag -> the Friday (klämdag)
        (D(2025, 6, 6), D(2025, 6, 9)),  # nationaldagen on a Friday -> Monday
        (D(2026, 6, 19), D(2026, 6, 22)),  # midsommarafton -> Monday
        (D(2025, 6, 20), D(2025, 6, 23)),
        (D(2026, 12, 24), D(2026, 12, 28)),  # julafton Thursday; 25 Fri, 26 Sat, 27 Sun
        (D(2026, 12, 31), D(2027, 1, 4)),  # nyårsafton Thursday; 1 Jan 2027 is a Friday
        (D(2025, 12, 24), D(2025, 12, 29)),  # julafton Wednesday
        (D(2025, 12, 31), D(2026, 1, 2)),  # 1 Jan 2026 is a Thursday, 2 Jan a bank day
    ],
)
def test_next_bank_day(day, expected):
    assert next_bank_day(day) == expected


@pytest.mark.parametrize(
    "day, expected",
    [
        (D(2026, 1, 8), D(2026, 1, 9)),
        (D(2026, 1, 9), D(2026, 1, 12)),  # registered on a Friday: the reminder goes Monday
        (D(2026, 4, 2), D(2026, 4, 7)),
        (D(2026, 12, 23), D(2026, 12, 28)),
        (D(2026, 12, 30), D(2027, 1, 4)),
    ],
)
def test_first_bank_day_after(day, expected):
    assert first_bank_day_after(day) == expected


@pytest.mark.parametrize(
    "start, n, expected",
    [
        (D(2026, 12, 21), 0, D(2026, 12, 21)),
        (D(2026, 1, 10), 0, D(2026, 1, 12)),  # 0 from a Saturday is the next bank day
        (D(2026, 1, 10), 1, D(2026, 1, 12)),
        (D(2026, 12, 21), 3, D(2026, 12, 28)),  # 22, 23, then over the Christmas weekend
        (D(2026, 4, 1), 2, D(2026, 4, 7)),  # 2 Apr, then over Easter
        (D(2026, 12, 23), 4, D(2027, 1, 4)),  # 28, 29, 30, then over nyårsafton/nyårsdagen
    ],
)
def test_add_bank_days(start, n, expected):
    assert add_bank_days(start, n) == expected


@pytest.mark.parametrize(
    "start, end, expected",
    [
        (D(2026, 12, 23), D(2027, 1, 4), 4),  # 28, 29, 30 Dec and 4 Jan
        (D(2026, 4, 2), D(2026, 4, 7), 1),
        (D(2026, 1, 9), D(2026, 1, 9), 0),
        (D(2026, 1, 12), D(2026, 1, 9), 0),
        (D(2026, 1, 9), D(2026, 1, 12), 1),  # the start is excluded, the end included
        (D(2025, 12, 31), D(2026, 12, 31), 251),  # all of 2026: 261 weekdays less 10 closed ones
    ],
)
def test_bank_days_between(start, end, expected):
    assert bank_days_between(start, end) == expected


@pytest.mark.parametrize(
    "call",
    [
        lambda: is_bank_day(datetime(2026, 12, 24, 9, 0)),
        lambda: next_bank_day(datetime(2026, 12, 24)),
        lambda: first_bank_day_after("2026-12-24"),
        lambda: bank_days_between(D(2026, 1, 1), datetime(2026, 2, 1)),
        lambda: add_bank_days(datetime(2026, 1, 1), 1),
    ],
)
def test_a_datetime_is_refused_not_silently_misread(call):
    # datetime(2026, 12, 24) != date(2026, 12, 24): it would miss every holiday.
    with pytest.raises(TypeError):
        call()


@pytest.mark.parametrize("n", [-1, 1.0, True])
def test_add_bank_days_needs_a_whole_number_from_zero(n):
    with pytest.raises(ValueError):
        add_bank_days(D(2026, 1, 1), n)


@given(dates)
def test_next_bank_day_is_the_first_bank_day_from_d(d):
    result = next_bank_day(d)
    assert result >= d
    assert is_bank_day(result)
    day = d
    while day < result:
        assert not is_bank_day(day)
        day += DAY


@given(dates)
def test_first_bank_day_after_is_strictly_later(d):
    result = first_bank_day_after(d)
    assert result > d
    assert result == next_bank_day(d + DAY)


@given(dates)
def test_a_bank_day_is_a_weekday_that_is_no_bank_holiday(d):
    if d.weekday() >= 5:
        assert not is_bank_day(d)
    if d in bank_holidays(d.year):
        assert not is_bank_day(d)
    if d.weekday() < 5 and d not in bank_holidays(d.year):
        assert is_bank_day(d)


@given(dates, st.integers(min_value=0, max_value=40))
def test_add_bank_days_counts_exactly_n(d, n):
    result = add_bank_days(d, n)
    assert is_bank_day(result)
    if n >= 1 or is_bank_day(d):
        assert bank_days_between(d, result) == n
    if n >= 1:
        # and it is the first day that reaches n, not a later one
        assert bank_days_between(d, result - DAY) == n - 1


@given(dates, st.integers(min_value=-40, max_value=1200))
def test_bank_days_between_agrees_with_counting_day_by_day(start, span):
    end = start + timedelta(days=span)
    assert bank_days_between(start, end) == brute_bank_days_between(start, end)
