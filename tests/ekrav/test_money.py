"""Money is integer öre; parsing user text and formatting for the API and for people."""

from decimal import Decimal

import pytest
from django import forms
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from ekrav.formfields import SekAmountField
from ekrav.money import MAX_ORE, MoneyError, format_sek, ore_to_decimal, ore_to_str, parse_sek

NBSP = "\u00a0"


@pytest.fixture(autouse=True)
def english():
    # Messages are asserted in English; the project default language is Swedish.
    with translation.override("en"):
        yield


def test_max_ore_is_100_million_kronor():
    assert MAX_ORE == 100_000_000 * 100


@pytest.mark.parametrize(
    "value, expected",
    [
        ("1234.50", 123450),
        ("1234,50", 123450),
        ("1 234,50", 123450),
        ("1\u00a0234,5", 123450),
        ("1\u202f234,50", 123450),
        ("12 345 678,9", 1234567890),
        ("1234", 123400),
        (" 1234 ", 123400),
        ("0,01", 1),
        ("0.1", 10),
        ("1,5", 150),
        ("007", 700),
        ("1 234,50 kr", 123450),
        ("1 234,50 SEK", 123450),
        ("100:-", 10000),
        ("100000000", MAX_ORE),
        ("100 000 000,00", MAX_ORE),
        (Decimal("1234.50"), 123450),
        (Decimal("12.3"), 1230),
        (Decimal("1.500"), 150),  # the value has two decimals; only typed text is strict
        (Decimal("1E+2"), 10000),
        (1234, 123400),  # an int is whole kronor
    ],
)
def test_parse_sek_valid(value, expected):
    assert parse_sek(value) == expected


@pytest.mark.parametrize(
    "value, reason",
    [
        ("1234.505", "two decimals"),
        ("1.500", "two decimals"),  # a Swedish thousands point, or three decimals: refuse
        ("12,345", "two decimals"),
        (Decimal("1.005"), "two decimals"),
        (Decimal("0.001"), "two decimals"),
        ("-5", "negative"),
        ("-0,50", "negative"),
        (Decimal("-1"), "negative"),
        (-1, "negative"),
        ("0", "greater than zero"),
        ("0,00", "greater than zero"),
        (Decimal("0"), "greater than zero"),
        (0, "greater than zero"),
        ("100000000,01", "too large"),
        ("1" * 5000, "too large"),
        (Decimal("1E+999999"), "too large"),
        (10**9, "too large"),
        ("NaN", "number"),
        ("inf", "number"),
        ("Infinity", "number"),
        (Decimal("NaN"), "number"),
        (Decimal("sNaN"), "number"),
        (Decimal("Infinity"), "number"),
        (Decimal("-Infinity"), "number"),
        ("", "number"),
        ("abc", "number"),
        ("12abc", "number"),
        ("1.234,50", "number"),
        ("1,234.50", "number"),
        ("1e3", "number"),
        ("+5", "number"),
        (",50", "number"),
        ("5,", "number"),
        ("1 2 3,4 5", "number"),  # spaces only between groups of three
        ("12 3456", "number"),
        ("1  234", "number"),
        ("\u0661\u0662", "number"),  # non-ASCII digits
        (1.5, "number"),  # floats are inexact and refused outright
        (True, "number"),
        (None, "number"),
    ],
)
def test_parse_sek_invalid(value, reason):
    with pytest.raises(MoneyError) as info:
        parse_sek(value)
    assert reason in str(info.value)
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize("value", ["0", "0,00", Decimal("0.00"), 0, Decimal("-0")])
def test_parse_sek_allow_zero(value):
    assert parse_sek(value, allow_zero=True) == 0


def test_allow_zero_still_refuses_negatives():
    with pytest.raises(MoneyError):
        parse_sek("-0,01", allow_zero=True)


def test_money_error_message_is_lazy_and_translatable():
    with pytest.raises(MoneyError) as info:
        parse_sek("abc")
    assert not isinstance(info.value.message, str)


@pytest.mark.parametrize(
    "ore, expected",
    [
        (0, "0.00"),
        (5, "0.05"),
        (50, "0.50"),
        (123450, "1234.50"),
        (MAX_ORE, "100000000.00"),
        (-500, "-5.00"),
        (-5, "-0.05"),
    ],
)
def test_ore_to_str(ore, expected):
    assert ore_to_str(ore) == expected


@pytest.mark.parametrize(
    "ore, expected",
    [
        (0, f"0,00{NBSP}kr"),
        (5, f"0,05{NBSP}kr"),
        (99900, f"999,00{NBSP}kr"),
        (100000, f"1{NBSP}000,00{NBSP}kr"),
        (123450, f"1{NBSP}234,50{NBSP}kr"),
        (MAX_ORE, f"100{NBSP}000{NBSP}000,00{NBSP}kr"),
        (-123450, f"-1{NBSP}234,50{NBSP}kr"),
    ],
)
def test_format_sek(ore, expected):
    assert format_sek(ore) == expected


@pytest.mark.parametrize(
    "ore, expected",
    [(123450, "1234.50"), (0, "0.00"), (-5, "-0.05"), (MAX_ORE, "100000000.00")],
)
def test_ore_to_decimal(ore, expected):
    amount = ore_to_decimal(ore)
    assert isinstance(amount, Decimal)
    assert amount == Decimal(expected)
    assert str(amount) == expected


amounts = st.integers(1, MAX_ORE)


@given(amounts)
def test_parse_sek_inverts_ore_to_str(ore):
    assert parse_sek(ore_to_str(ore)) == ore


@given(amounts)
def test_parse_sek_inverts_format_sek(ore):
    assert parse_sek(format_sek(ore)) == ore


@given(amounts)
def test_parse_sek_inverts_ore_to_decimal(ore):
    assert parse_sek(ore_to_decimal(ore)) == ore


@given(amounts)
def test_comma_and_point_mean_the_same(ore):
    text = ore_to_str(ore)
    assert parse_sek(text.replace(".", ",")) == parse_sek(text)


@given(st.integers(-MAX_ORE, MAX_ORE))
def test_ore_to_str_always_two_decimals(ore):
    text = ore_to_str(ore)
    assert text.split(".")[1].isdigit() and len(text.split(".")[1]) == 2
    assert Decimal(text) * 100 == ore


@given(st.integers(MAX_ORE + 1, MAX_ORE * 1000))
def test_above_max_is_refused(ore):
    with pytest.raises(MoneyError):
        parse_sek(ore_to_str(ore))


# --- Form field ------------------------------------------------------------------------------


class AmountForm(forms.Form):
    amount = SekAmountField()
    fee = SekAmountField(min_ore=0, required=False)
    minimum = SekAmountField(min_ore=10000, required=False)


def test_amount_field_cleans_to_ore():
    form = AmountForm(data={"amount": "1 234,50", "fee": "0", "minimum": "100"})
    assert form.is_valid(), form.errors
    assert form.cleaned_data == {"amount": 123450, "fee": 0, "minimum": 10000}


def test_amount_field_empty_optional_is_none():
    form = AmountForm(data={"amount": "1", "fee": "", "minimum": ""})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["fee"] is None


@pytest.mark.parametrize(
    "data, field, reason",
    [
        ({"amount": "0"}, "amount", "greater than zero"),
        ({"amount": ""}, "amount", "required"),
        ({"amount": "12,345"}, "amount", "two decimals"),
        ({"amount": "-1"}, "amount", "negative"),
        ({"amount": "abc"}, "amount", "number"),
        ({"amount": "1", "minimum": "99,99"}, "minimum", f"100,00{NBSP}kr"),
        ({"amount": "100000001"}, "amount", "too large"),
    ],
)
def test_amount_field_errors(data, field, reason):
    form = AmountForm(data=data)
    assert not form.is_valid()
    assert reason in form.errors[field][0]


def test_amount_field_displays_initial_ore_as_kronor_and_detects_no_change():
    form = AmountForm(
        initial={"amount": 123450},
        data={"amount": "1234,50", "fee": "", "minimum": ""},
    )
    assert 'value="1234,50"' in str(AmountForm(initial={"amount": 123450})["amount"])
    assert "amount" not in form.changed_data


@pytest.mark.parametrize("ore,language,text", [
    (123450, "sv", "1\u00a0234,50\u00a0kr"),
    (123450, "en", "SEK\u00a01,234.50"),
    (-500, "en", "-SEK\u00a05.00"),
    (0, "en-gb", "SEK\u00a00.00"),
])
def test_format_amount_follows_the_language(ore, language, text):
    from ekrav.money import format_amount

    assert format_amount(ore, language=language) == text
