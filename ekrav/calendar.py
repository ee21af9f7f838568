"""The Swedish bank-day calendar (bankdagar): public holidays, bank holidays and deadline moves.

Pure: no ORM, no clock. Callers pass the date in (firm decision 2), so every rule can be tested
for any day. Holidays are computed from the rules of Lag (1989:253) om allmänna helgdagar, never
listed per year, so the calendar never runs out.

The law as it stands since 2005 (Sveriges nationaldag a holiday, annandag pingst no longer one)
is applied to every year: the portal computes deadlines from today onwards, and a proleptic rule
is simpler to reason about than a history nobody asks for.
"""

from datetime import date, datetime, timedelta
from functools import lru_cache
from types import MappingProxyType

__all__ = [
    "add_bank_days",
    "bank_days_between",
    "bank_holidays",
    "easter_sunday",
    "first_bank_day_after",
    "is_bank_day",
    "next_bank_day",
    "swedish_public_holidays",
]

_ONE_DAY = timedelta(days=1)
_FRIDAY, _SATURDAY = 4, 5


def easter_sunday(year: int) -> date:
    """Påskdagen: Gregorian computus (the anonymous Gregorian algorithm, Meeus/Jones/Butcher)."""
    a = year % 19  # place in the 19-year Metonic cycle of the moon
    century, yy = divmod(year, 100)
    leap_centuries, century_rest = divmod(century, 4)
    f = (century + 8) // 25
    g = (century - f + 1) // 3  # the moon's drift against the Gregorian calendar
    epact = (19 * a + century - leap_centuries - g + 15) % 30
    i, k = divmod(yy, 4)
    weekday_shift = (32 + 2 * century_rest + 2 * i - epact - k) % 7
    m = (a + 11 * epact + 22 * weekday_shift) // 451
    month, day = divmod(epact + weekday_shift - 7 * m + 114, 31)
    return date(year, month, day + 1)


def _saturday_on_or_after(d: date) -> date:
    return d + timedelta(days=(_SATURDAY - d.weekday()) % 7)


def _midsommardagen(year: int) -> date:
    # The law: the Saturday that falls between 20 and 26 June.
    return _saturday_on_or_after(date(year, 6, 20))


def swedish_public_holidays(year: int) -> dict[date, str]:
    """Allmänna helgdagar (Lag 1989:253) of ``year``, date -> Swedish name. Sundays not listed.

    Two can share a date: Kristi himmelsfärdsdag falls on första maj when Easter is on 23 March
    (e.g. 2008), pingstdagen on 6 June when Easter is on 18 April (e.g. 2049). The date then
    carries both names, so such a year has 12 dates rather than 13.
    """
    easter = easter_sunday(year)
    named = [
        (date(year, 1, 1), "nyårsdagen"),
        (date(year, 1, 6), "trettondedag jul"),
        (easter - timedelta(days=2), "långfredagen"),
        (easter, "påskdagen"),
        (easter + timedelta(days=1), "annandag påsk"),
        (date(year, 5, 1), "första maj"),
        (easter + timedelta(days=39), "Kristi himmelsfärdsdag"),
        (easter + timedelta(days=49), "pingstdagen"),
        (date(year, 6, 6), "Sveriges nationaldag"),
        (_midsommardagen(year), "midsommardagen"),
        # The law: the Saturday that falls between 31 October and 6 November.
        (_saturday_on_or_after(date(year, 10, 31)), "alla helgons dag"),
        (date(year, 12, 25), "juldagen"),
        (date(year, 12, 26), "annandag jul"),
    ]
    holidays: dict[date, str] = {}
    for day, name in named:
        # Join rather than overwrite, so a coinciding holiday is not silently lost.
        holidays[day] = f"{holidays[day]}, {name}" if day in holidays else name
    return dict(sorted(holidays.items()))


@lru_cache(maxsize=512)  # bounded: a date typed by a user must not grow the cache forever
def _bank_holidays(year: int) -> MappingProxyType:
    holidays = swedish_public_holidays(year)
    # Not helgdagar by law, but banks and Bankgirot do not settle on them, so a payment
    # deadline or a letter cannot fall on them either.
    holidays[_midsommardagen(year) - _ONE_DAY] = "midsommarafton"
    holidays[date(year, 12, 24)] = "julafton"
    holidays[date(year, 12, 31)] = "nyårsafton"
    # Read-only, because every caller shares the cached mapping.
    return MappingProxyType(dict(sorted(holidays.items())))


def bank_holidays(year: int) -> dict[date, str]:
    """Helgdagar plus the bank-only days (midsommarafton, julafton, nyårsafton) of ``year``.

    Cached per year; the caller gets its own copy, free to change.
    """
    return dict(_bank_holidays(year))


def _require_date(d: date) -> None:
    # A datetime is a date subclass but never equals a date key, so every holiday would
    # silently count as a bank day: refuse it instead.
    if isinstance(d, datetime) or not isinstance(d, date):
        raise TypeError(f"expected a datetime.date, got {type(d).__name__}")


def is_bank_day(d: date) -> bool:
    """Bankdag: Monday to Friday and not a helgdag, midsommarafton, julafton or nyårsafton."""
    _require_date(d)
    return d.weekday() <= _FRIDAY and d not in _bank_holidays(d.year)


def next_bank_day(d: date) -> date:
    """``d`` if it is a bankdag, otherwise the first bankdag after it.

    A deadline that falls on a weekend or a holiday moves to the next bank day.
    """
    while not is_bank_day(d):
        d += _ONE_DAY
    return d


def first_bank_day_after(d: date) -> date:
    """The first bankdag strictly after ``d`` (a påminnelse goes out then after registration)."""
    _require_date(d)
    return next_bank_day(d + _ONE_DAY)


def _weekdays_through(ordinal: int) -> int:
    # Weekdays among the proleptic ordinals 1..ordinal; ordinal 1 (0001-01-01) is a Monday.
    weeks, rest = divmod(ordinal, 7)
    return 5 * weeks + min(rest, 5)


def bank_days_between(start: date, end: date) -> int:
    """The number of bankdagar d with ``start < d <= end`` (0 if ``end <= start``)."""
    _require_date(start)
    _require_date(end)
    if end <= start:
        return 0
    # Closed form for the weekdays, then one look per year at the holidays, so a span of
    # years costs as little as a span of days.
    weekdays = _weekdays_through(end.toordinal()) - _weekdays_through(start.toordinal())
    closed = sum(
        1
        for year in range(start.year, end.year + 1)
        for day in _bank_holidays(year)
        if start < day <= end and day.weekday() <= _FRIDAY
    )
    return weekdays - closed


def add_bank_days(d: date, n: int) -> date:
    """The ``n``-th bankdag after ``d``; ``n == 0`` gives ``next_bank_day(d)``."""
    _require_date(d)
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise ValueError(f"n must be a whole number >= 0, got {n!r}")
    if n == 0:
        return next_bank_day(d)
    for _ in range(n):
        d = first_bank_day_after(d)
    return d
