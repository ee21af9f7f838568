"""Swedish identifiers. Valid vectors below were computed by hand with Luhn, not by the code."""

from datetime import date

import pytest
from django import forms
from django.utils import translation
from hypothesis import assume, given
from hypothesis import strategies as st

from ekrav import formfields
from ekrav.identifiers import (
    COMPANY_FORMS,
    IdentifierError,
    format_bankgiro,
    format_identity,
    format_organisationsnummer,
    format_personnummer,
    format_postal_code,
    is_samordningsnummer,
    luhn_check_digit,
    luhn_valid,
    normalize_bankgiro,
    normalize_company_identity,
    normalize_debtor_identity,
    normalize_organisationsnummer,
    normalize_personnummer,
    normalize_phone,
    normalize_postal_code,
    ocr_from_base,
    ocr_valid,
)

TODAY = date(2025, 6, 15)


@pytest.fixture(autouse=True)
def english():
    # Messages are asserted in English; the project default language is Swedish.
    with translation.override("en"):
        yield


def error_of(func, *args, **kwargs) -> str:
    with pytest.raises(IdentifierError) as info:
        func(*args, **kwargs)
    return str(info.value)


# --- Luhn ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "payload, check",
    [
        ("811228987", 4),
        ("556036079", 3),
        ("5050105", 5),  # bankgiro 5050-1055
        ("991234", 6),
        ("123456", 6),
        ("123457", 4),
        ("0", 0),
        ("7992739871", 3),  # the textbook Luhn example
    ],
)
def test_luhn_check_digit(payload, check):
    assert luhn_check_digit(payload) == check
    assert luhn_valid(payload + str(check))


@pytest.mark.parametrize("digits", ["79927398713", "8112289874", "5560360793", "50501055"])
def test_luhn_valid(digits):
    assert luhn_valid(digits)


@pytest.mark.parametrize("digits", ["79927398710", "8112289875", "1234567", "", "7", "12a4", None])
def test_luhn_invalid(digits):
    assert not luhn_valid(digits)


@pytest.mark.parametrize("payload", ["", "12-3", "abc", "١٢٣"])
def test_luhn_check_digit_needs_ascii_digits(payload):
    with pytest.raises(IdentifierError):
        luhn_check_digit(payload)


# --- Personnummer ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, expected",
    [
        ("811228-9874", "198112289874"),
        ("8112289874", "198112289874"),
        ("19811228-9874", "198112289874"),
        ("198112289874", "198112289874"),
        (" 811228 - 9874 ", "198112289874"),
        ("8112 28 9874", "198112289874"),
        ("811288-9863", "198112889863"),  # samordningsnummer: day 28 + 60
        ("19811288-9863", "198112889863"),
        ("121212-1212", "201212121212"),  # the most recent 12-12-12 not in the future
        ("121212+1212", "191212121212"),  # '+': 100 years or older
        ("990101-1230", "199901011230"),
        ("000229-1235", "200002291235"),  # leap day in 2000
        ("20000229-1235", "200002291235"),
        ("250615-1238", "202506151238"),  # born today
        ("250616-1237", "192506161237"),  # tomorrow's date is a birthday a century ago
    ],
)
def test_normalize_personnummer_valid(value, expected):
    assert normalize_personnummer(value, today=TODAY) == expected


@pytest.mark.parametrize(
    "value, reason",
    [
        ("811228-9875", "check digit"),
        ("811228-987", "10 or 12 digits"),
        ("81122898745", "10 or 12 digits"),
        ("811228/9874", "10 or 12 digits"),
        ("abcdef-ghij", "10 or 12 digits"),
        ("\uff18\uff11\uff11\uff12\uff12\uff18-\uff19\uff18\uff17\uff14", "10 or 12 digits"),
        ("", "10 or 12 digits"),
        ("19811228+9874", "'+'"),
        ("000000-0000", "real date"),  # passes Luhn, so only the date catches it
        ("811232-9874", "real date"),
        ("811300-1234", "real date"),
        ("811292-9873", "real date"),  # day 32 + 60
        ("811260-9873", "real date"),  # day 0 + 60
        ("19000229-1235", "real date"),  # 1900 was not a leap year
        ("000229+1235", "real date"),  # '+' puts it in 1900
        ("20250616-1237", "future"),
        ("20991231-1234", "future"),
    ],
)
def test_normalize_personnummer_invalid(value, reason):
    assert reason in error_of(normalize_personnummer, value, today=TODAY)


def test_personnummer_century_follows_today():
    assert normalize_personnummer("121212-1212", today=date(2012, 12, 11)) == "191212121212"
    assert normalize_personnummer("121212-1212", today=date(2012, 12, 12)) == "201212121212"


def test_personnummer_error_message_is_lazy_and_translatable():
    with pytest.raises(IdentifierError) as info:
        normalize_personnummer("x", today=TODAY)
    assert not isinstance(info.value.message, str)  # gettext_lazy proxy, resolved per request
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize(
    "pnr12, expected", [("198112889863", True), ("198112289874", False), ("198112919874", True)]
)
def test_is_samordningsnummer(pnr12, expected):
    assert is_samordningsnummer(pnr12) is expected


def test_format_personnummer():
    assert format_personnummer("198112289874") == "19811228-9874"
    with pytest.raises(ValueError):
        format_personnummer("8112289874")


# --- Organisationsnummer ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, expected",
    [
        ("556036-0793", "5560360793"),
        ("5560360793", "5560360793"),
        ("165560360793", "5560360793"),
        ("16556036-0793", "5560360793"),
        (" 556036 - 0793 ", "5560360793"),
        ("969600-1230", "9696001230"),  # handelsbolag / kommanditbolag
        ("802000-1197", "8020001197"),  # ideell förening
        ("702001-7781", "7020017781"),  # ekonomisk förening
        ("202100-5273", "2021005273"),
    ],
)
def test_normalize_organisationsnummer_valid(value, expected):
    assert normalize_organisationsnummer(value) == expected


@pytest.mark.parametrize(
    "value, reason",
    [
        ("556036-0794", "check digit"),
        ("811228-9874", "personnummer"),
        ("198112289874", "personnummer"),
        ("175560360793", "personnummer"),
        ("556036-079", "10 digits"),
        ("55603607933", "10 digits"),
        ("AB556036-0793", "10 digits"),
        ("", "10 digits"),
    ],
)
def test_normalize_organisationsnummer_invalid(value, reason):
    assert reason in error_of(normalize_organisationsnummer, value)


def test_format_organisationsnummer():
    assert format_organisationsnummer("5560360793") == "556036-0793"
    with pytest.raises(ValueError):
        format_organisationsnummer("556036079")


# --- Company identity ------------------------------------------------------------------------


def test_company_forms():
    assert COMPANY_FORMS == ("AB", "HB", "KB", "EF")


@pytest.mark.parametrize(
    "value, form, expected",
    [
        ("556036-0793", "AB", "5560360793"),
        ("165560360793", "AB", "5560360793"),
        ("969600-1230", "HB", "9696001230"),
        ("969600-1230", "KB", "9696001230"),
        ("811228-9874", "EF", "198112289874"),
        ("811288-9863", "EF", "198112889863"),
    ],
)
def test_company_identity_valid(value, form, expected):
    assert normalize_company_identity(value, form, today=TODAY) == expected


@pytest.mark.parametrize(
    "value, form, reason",
    [
        ("969600-1230", "AB", "An AB's organisationsnummer starts with 5"),
        ("802000-1197", "AB", "An AB's organisationsnummer starts with 5"),
        ("811228-9874", "AB", "An AB's organisationsnummer starts with 5"),
        ("556036-0793", "HB", "An HB's organisationsnummer starts with 9"),
        ("556036-0793", "KB", "A KB's organisationsnummer starts with 9"),
        ("702001-7781", "KB", "A KB's organisationsnummer starts with 9"),
        ("556036-0793", "EF", "owner's personnummer"),
        ("556036-0794", "AB", "check digit"),
        ("811228-9875", "EF", "check digit"),
        ("702001-7781", "EK", "can be customers"),
        ("802000-1197", "IF", "can be customers"),
        ("556036-0793", "", "can be customers"),
        ("556036-0793", "ab", "can be customers"),
    ],
)
def test_company_identity_invalid(value, form, reason):
    assert reason in error_of(normalize_company_identity, value, form, today=TODAY)


# --- Debtor identity -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, kind, expected",
    [
        ("811228-9874", "person", "198112289874"),
        ("811288-9863", "person", "198112889863"),
        ("121212+1212", "person", "191212121212"),
        ("556036-0793", "company", "5560360793"),
        ("802000-1197", "company", "8020001197"),
        ("702001-7781", "company", "7020017781"),
        ("202100-5273", "company", "2021005273"),
        ("165560360793", "company", "5560360793"),
        ("811228-9874", "company", "198112289874"),  # enskild firma
        ("19811228-9874", "company", "198112289874"),
    ],
)
def test_debtor_identity_valid(value, kind, expected):
    assert normalize_debtor_identity(value, kind, today=TODAY) == expected


@pytest.mark.parametrize(
    "value, kind, reason",
    [
        ("811228-9875", "person", "check digit"),
        ("811232-9874", "person", "real date"),
        ("556036-0794", "company", "check digit"),
        ("811228-9875", "company", "check digit"),
    ],
)
def test_a_swedish_number_with_a_typo_is_a_typo_not_a_foreign_case(value, kind, reason):
    message = error_of(normalize_debtor_identity, value, kind, today=TODAY)
    assert reason in message
    assert "foreign" not in message


@pytest.mark.parametrize(
    "value, kind, reason",
    [
        ("GB 123 4567 89", "person", "10 or 12 digits"),
        ("1985-03-12", "person", "10 or 12 digits"),
        ("DE123456789", "company", "10 digits"),
        ("NO 923 609 016 MVA", "company", "10 digits"),
        ("", "company", "10 digits"),
    ],
)
def test_debtor_identity_refuses_non_swedish(value, kind, reason):
    message = error_of(normalize_debtor_identity, value, kind, today=TODAY)
    assert "utländska ärenden" in message
    assert "foreign" in message
    assert reason in message


def test_debtor_person_given_orgnr_is_a_kind_mistake_not_foreign():
    message = error_of(normalize_debtor_identity, "556036-0793", "person", today=TODAY)
    assert "company" in message
    assert "utländska" not in message


def test_debtor_unknown_kind_is_a_programming_error():
    with pytest.raises(ValueError) as info:
        normalize_debtor_identity("556036-0793", "firm", today=TODAY)
    assert not isinstance(info.value, IdentifierError)


@pytest.mark.parametrize(
    "value, expected", [("198112289874", "19811228-9874"), ("5560360793", "556036-0793")]
)
def test_format_identity(value, expected):
    assert format_identity(value) == expected


@pytest.mark.parametrize("value", ["", "12345", "81122898745"])
def test_format_identity_rejects_other_lengths(value):
    with pytest.raises(ValueError):
        format_identity(value)


# --- Bankgiro --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, expected",
    [
        ("5050-1055", "50501055"),
        ("50501055", "50501055"),
        ("5050 1055", "50501055"),
        ("991-2346", "9912346"),
        (" 991 2346 ", "9912346"),
        ("9912346", "9912346"),
    ],
)
def test_normalize_bankgiro_valid(value, expected):
    assert normalize_bankgiro(value) == expected


@pytest.mark.parametrize(
    "value, reason",
    [
        ("123-4567", "check digit"),  # the usual placeholder
        ("5050-1056", "check digit"),
        ("000-0000", "placeholder"),  # passes Luhn
        ("0000-0000", "placeholder"),
        ("12-3456", "7 or 8 digits"),
        ("12345-6789", "7 or 8 digits"),
        ("991-23466", "7 or 8 digits"),
        ("99-12346", "7 or 8 digits"),
        ("bg 991-2346", "7 or 8 digits"),
        ("", "7 or 8 digits"),
    ],
)
def test_normalize_bankgiro_invalid(value, reason):
    assert reason in error_of(normalize_bankgiro, value)


@pytest.mark.parametrize("digits, expected", [("9912346", "991-2346"), ("50501055", "5050-1055")])
def test_format_bankgiro(digits, expected):
    assert format_bankgiro(digits) == expected


@pytest.mark.parametrize("digits", ["991234", "505010555", "991-2346"])
def test_format_bankgiro_rejects_non_canonical(digits):
    with pytest.raises(ValueError):
        format_bankgiro(digits)


# --- OCR -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "base, length_digit, expected",
    [
        ("12345", True, "1234574"),
        ("12345", False, "123455"),
        ("1", True, "133"),  # length 3
        ("1", False, "18"),
        ("12345678", True, "1234567806"),  # length 10: only the ones digit
    ],
)
def test_ocr_from_base(base, length_digit, expected):
    assert ocr_from_base(base, length_digit=length_digit) == expected


@pytest.mark.parametrize("base", ["", "12a45", "12 345", "1" * 24])
def test_ocr_from_base_refuses(base):
    with pytest.raises(IdentifierError):
        ocr_from_base(base)


def test_ocr_from_base_longest():
    assert len(ocr_from_base("1" * 23)) == 25
    assert len(ocr_from_base("1" * 24, length_digit=False)) == 25


@pytest.mark.parametrize(
    "ocr, require_length_digit, expected",
    [
        ("1234574", True, True),
        ("1234574", False, True),
        ("123455", False, True),
        ("123455", True, False),  # Luhn fine, but 5 is not its length
        ("1234575", False, False),
        ("18", False, True),
        ("8", False, False),
        ("", False, False),
        ("0" * 26, False, False),
        ("12345 74", False, False),
        ("1234567806", True, True),
    ],
)
def test_ocr_valid(ocr, require_length_digit, expected):
    assert ocr_valid(ocr, require_length_digit=require_length_digit) is expected


# --- Postal code -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, expected",
    [("123 45", "12345"), ("12345", "12345"), (" 114 55 ", "11455"), ("981\u00a038", "98138")],
)
def test_normalize_postal_code_valid(value, expected):
    assert normalize_postal_code(value) == expected


@pytest.mark.parametrize(
    "value", ["012 34", "1234", "123456", "12 345", "123-45", "SE-123 45", "1 2 3 4 5", ""]
)
def test_normalize_postal_code_invalid(value):
    assert "5 digits" in error_of(normalize_postal_code, value)


def test_format_postal_code():
    assert format_postal_code("12345") == "123 45"


# --- Phone -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, expected",
    [
        ("070-123 45 67", "+46701234567"),
        ("0701234567", "+46701234567"),
        ("+46701234567", "+46701234567"),
        ("+46 70 123 45 67", "+46701234567"),
        ("0046 70 123 45 67", "+46701234567"),
        ("+46 (0)70-123 45 67", "+46701234567"),
        ("+460701234567", "+46701234567"),
        ("08-123 456 78", "+46812345678"),
        ("08-12 34 56", "+468123456"),
        ("031-123456", "+4631123456"),
    ],
)
def test_normalize_phone_valid(value, expected):
    assert normalize_phone(value) == expected


@pytest.mark.parametrize(
    "value, reason",
    [
        ("+47 912 34 567", "Swedish"),
        ("0047 912 34 567", "Swedish"),
        ("+1 212 555 0100", "Swedish"),
        ("701234567", "Start"),
        ("070-123", "8 to 10 digits"),
        ("070-123 45 67 89", "8 to 10 digits"),
        ("070-ABC 45 67", "digits"),
        ("+46 00 123 45 67", "0 too many"),
        ("0070 123 45 67", "Swedish"),
        ("", "Start"),
    ],
)
def test_normalize_phone_invalid(value, reason):
    assert reason in error_of(normalize_phone, value)


# --- Properties ------------------------------------------------------------------------------

digit_strings = st.text(alphabet="0123456789", min_size=1, max_size=23)


@given(digit_strings)
def test_ocr_from_base_is_valid_with_length_digit(base):
    ocr = ocr_from_base(base)
    assert ocr.startswith(base)
    assert ocr_valid(ocr, require_length_digit=True)


@given(st.text(alphabet="0123456789", min_size=1, max_size=24))
def test_ocr_from_base_without_length_digit_is_valid(base):
    assert ocr_valid(ocr_from_base(base, length_digit=False))


@given(digit_strings, st.data())
def test_any_single_digit_change_breaks_luhn(base, data):
    ocr = ocr_from_base(base)
    position = data.draw(st.integers(0, len(ocr) - 1))
    replacement = data.draw(st.sampled_from("0123456789"))
    assume(replacement != ocr[position])
    changed = ocr[:position] + replacement + ocr[position + 1 :]
    assert not luhn_valid(changed)
    assert not ocr_valid(changed)


@st.composite
def personnummer(draw, samordning=False):
    born = draw(st.dates(min_value=date(1890, 1, 1), max_value=TODAY))
    serial = draw(st.text(alphabet="0123456789", min_size=3, max_size=3))
    day = born.day + (60 if samordning else 0)
    nine = f"{born:%y%m}{day:02d}{serial}"
    return f"{born.year}{nine[2:]}{luhn_check_digit(nine)}", born


@given(st.one_of(personnummer(), personnummer(samordning=True)))
def test_personnummer_round_trips(generated):
    pnr12, born = generated
    assert normalize_personnummer(pnr12, today=TODAY) == pnr12
    assert normalize_personnummer(format_personnummer(pnr12), today=TODAY) == pnr12
    assert normalize_personnummer(format_identity(pnr12), today=TODAY) == pnr12


@given(personnummer())
def test_ten_digit_personnummer_gets_its_century_back(generated):
    pnr12, born = generated
    turned_100 = (born.year + 100, born.month, born.day) <= (TODAY.year, TODAY.month, TODAY.day)
    ten = f"{pnr12[2:8]}{'+' if turned_100 else '-'}{pnr12[8:]}"
    assert normalize_personnummer(ten, today=TODAY) == pnr12


@st.composite
def organisationsnummer(draw):
    first_two = draw(st.text(alphabet="0123456789", min_size=2, max_size=2))
    group = draw(st.integers(20, 99))
    rest = draw(st.text(alphabet="0123456789", min_size=5, max_size=5))
    nine = f"{first_two}{group}{rest}"
    return nine + str(luhn_check_digit(nine))


@given(organisationsnummer())
def test_organisationsnummer_round_trips(orgnr):
    assert normalize_organisationsnummer(orgnr) == orgnr
    assert normalize_organisationsnummer(format_organisationsnummer(orgnr)) == orgnr
    assert normalize_organisationsnummer("16" + orgnr) == orgnr
    assert normalize_debtor_identity(format_identity(orgnr), "company", today=TODAY) == orgnr


@given(st.text(alphabet="0123456789", min_size=6, max_size=7))
def test_bankgiro_round_trips(payload):
    bankgiro = payload + str(luhn_check_digit(payload))
    assume(bankgiro.strip("0"))
    assert normalize_bankgiro(bankgiro) == bankgiro
    assert normalize_bankgiro(format_bankgiro(bankgiro)) == bankgiro


@given(st.integers(10000, 99999))
def test_postal_code_round_trips(number):
    code = str(number)
    assert normalize_postal_code(code) == code
    assert normalize_postal_code(format_postal_code(code)) == code


@given(st.from_regex(r"[1-9][0-9]{6,8}", fullmatch=True))
def test_phone_round_trips(national):
    e164 = "+46" + national
    assert normalize_phone("0" + national) == e164
    assert normalize_phone(e164) == e164


# --- Form fields -----------------------------------------------------------------------------


class IdentityForm(forms.Form):
    pnr = formfields.PersonnummerField()
    orgnr = formfields.OrganisationsnummerField()
    bankgiro = formfields.BankgiroField()
    postal_code = formfields.PostalCodeField()
    phone = formfields.PhoneField(required=False)


VALID_FORM_DATA = {
    "pnr": "811228-9874",
    "orgnr": "556036-0793",
    "bankgiro": "991-2346",
    "postal_code": "123 45",
    "phone": "070-123 45 67",
}


def test_form_fields_clean_to_canonical_forms():
    form = IdentityForm(data=VALID_FORM_DATA)
    assert form.is_valid(), form.errors
    assert form.cleaned_data == {
        "pnr": "198112289874",
        "orgnr": "5560360793",
        "bankgiro": "9912346",
        "postal_code": "12345",
        "phone": "+46701234567",
    }


def test_form_fields_show_the_specific_message():
    data = dict(VALID_FORM_DATA, pnr="811228-9875", bankgiro="123-4567", phone="+4791234567")
    form = IdentityForm(data=data)
    assert not form.is_valid()
    assert "check digit" in form.errors["pnr"][0]
    assert "check digit" in form.errors["bankgiro"][0]
    assert "Swedish" in form.errors["phone"][0]
    assert set(form.errors) == {"pnr", "bankgiro", "phone"}


def test_optional_phone_may_be_empty_and_required_fields_may_not():
    form = IdentityForm(data=dict(VALID_FORM_DATA, phone="", orgnr=""))
    assert not form.is_valid()
    assert set(form.errors) == {"orgnr"}


def test_form_fields_display_stored_values_formatted():
    form = IdentityForm(initial={
        "pnr": "198112289874", "orgnr": "5560360793", "bankgiro": "9912346",
        "postal_code": "12345",
    })
    html = str(form)
    for shown in ("19811228-9874", "556036-0793", "991-2346", "123 45"):
        assert f'value="{shown}"' in html


def test_form_field_echoes_invalid_input_unchanged():
    form = IdentityForm(data=dict(VALID_FORM_DATA, pnr="nonsense"))
    assert 'value="nonsense"' in str(form["pnr"])


# --- masking (issue 6: no personnummer in lists and logs) -----------------------------------

from ekrav.identifiers import mask_identity, mask_personnummer_in_text  # noqa: E402


@pytest.mark.parametrize("value, shown", [
    ("198112289874", "19811228-****"), ("5560360793", "556036-0793")])
def test_lists_show_a_personnummer_without_its_last_four(value, shown):
    assert mask_identity(value) == shown


@pytest.mark.parametrize("text, logged", [
    ("debtor 19811228-9874 opened", "debtor 19811228-**** opened"),
    ("pnr=198112289874", "pnr=19811228****"),
    ("811228-9874 and 8112289874", "811228-**** and 811228****"),
    ("samordningsnummer 19811288-9872", "samordningsnummer 19811288-****"),
    ("OCR 411255458126 stays", "OCR 411255458126 stays"),  # month 25: not a date
    ("amount 1234,50 kr, case 100012", "amount 1234,50 kr, case 100012"),
])
def test_log_text_never_carries_a_personnummer(text, logged):
    assert mask_personnummer_in_text(text) == logged


def test_the_log_filter_masks_the_formatted_message(caplog):
    import logging

    from ekrav.logging import MaskPersonalNumbers

    logger = logging.getLogger("ekrav.test.masking")
    logger.addFilter(MaskPersonalNumbers())
    with caplog.at_level(logging.INFO, logger="ekrav.test.masking"):
        logger.info("opened by %s", "198112289874")
    assert "19811228****" in caplog.text and "9874" not in caplog.text
