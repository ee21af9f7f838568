"""The pure CSV parser of bulk registration: encodings, separators, headers, rows, limits."""

import string
from datetime import date

import pytest
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from claims.csv_import import (
    COLUMNS,
    ENCODING_CP1252,
    ENCODING_UTF8,
    ENCODING_UTF8_BOM,
    ROW_ERROR,
    CsvFileError,
    decode,
    detect_delimiter,
    header_key,
    map_header,
    parse_csv,
    render_csv,
    row_registration,
    template_csv,
)
from claims.registration import FIELDS

TODAY = date(2025, 6, 2)

SV_HEADER = ("typ;personnummer/orgnr;namn;adress;postnummer;ort;epost;telefon;fakturanummer;"
             "fakturadatum;förfallodatum;belopp;avser;påminnelseavgift")
EN_HEADER = ("debtor_kind,debtor_identity_number,debtor_name,debtor_street,debtor_postal_code,"
             "debtor_city,debtor_country,debtor_email,debtor_phone,invoice_number,invoice_date,"
             "due_date,amount,description,reminder_fee_agreed")


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def values(**overrides):
    row = {
        "debtor_kind": "privatperson", "debtor_identity_number": "19811228-9874",
        "debtor_name": "Dan Gäldenär", "debtor_street": "Lillgatan 2",
        "debtor_postal_code": "123 45", "debtor_city": "Uppsala", "debtor_country": "",
        "debtor_email": "dan@example.se", "debtor_phone": "", "invoice_number": "F-1",
        "invoice_date": "2025-04-01", "due_date": "2025-05-01", "amount": "1 234,50",
        "description": "Målning av staket", "reminder_fee_agreed": "ja",
    }
    row.update(overrides)
    return row


def csv_bytes(rows, *, delimiter=";", english=False, encoding="utf-8"):
    return render_csv(rows, delimiter=delimiter, english=english).encode(encoding)


# --- decoding ----------------------------------------------------------------------------------


@pytest.mark.parametrize("data, text, encoding", [
    (b"\xef\xbb\xbftyp;namn\r\n", "typ;namn\r\n", ENCODING_UTF8_BOM),
    ("typ;namn;Åsa Öberg".encode(), "typ;namn;Åsa Öberg", ENCODING_UTF8),
    ("typ;namn;Åsa Öberg".encode("cp1252"), "typ;namn;Åsa Öberg", ENCODING_CP1252),
    (b"plain ascii", "plain ascii", ENCODING_UTF8),
])
def test_decode_reports_the_encoding(data, text, encoding):
    assert decode(data) == (text, encoding)


@pytest.mark.parametrize("data, words", [
    (b"PK\x03\x04rest-of-a-zip", "Excel workbook"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1", "old Excel"),
    (b"%PDF-1.7", "PDF"),
    ("typ;namn".encode("utf-16"), "UTF-16"),
    (b"typ;na\x00mn", "not a text file"),
    (b"\xef\xbb\xbftyp;\xe5", "says it is UTF-8"),
    (b"typ;\x81\x8d", "cannot be read"),  # neither UTF-8 nor Windows-1252
])
def test_undecodable_and_binary_files_are_refused_with_a_reason(data, words):
    with pytest.raises(CsvFileError) as exc:
        decode(data)
    assert words in str(exc.value)


@pytest.mark.parametrize("line, delimiter", [
    (SV_HEADER, ";"), (EN_HEADER, ","), ("a", ";"), ("belopp;avser,x;y", ";"),
    ("a,b,c;d", ","),
])
def test_detect_delimiter(line, delimiter):
    assert detect_delimiter(line) == delimiter


# --- headers ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name, field", [
    ("typ", "debtor_kind"), ("TYP", "debtor_kind"), ("debtor_kind", "debtor_kind"),
    ("Debtor kind", "debtor_kind"), ("personnummer/orgnr", "debtor_identity_number"),
    ("Personnummer / Orgnr", "debtor_identity_number"), ("orgnr", "debtor_identity_number"),
    ("  Förfallodatum ", "due_date"), ("forfallodatum", "due_date"), ("Due-Date", "due_date"),
    ("E-post", "debtor_email"), ("e-mail", "debtor_email"), ("Påminnelseavgift",
                                                              "reminder_fee_agreed"),
    ("PAMINNELSEAVGIFT", "reminder_fee_agreed"), ("Fakturan avser", "description"),
    ("land", "debtor_country"), ("Postnummer", "debtor_postal_code"),
])
def test_header_names_are_case_space_and_accent_insensitive(name, field):
    cells = [c.swedish for c in COLUMNS if c.field != field] + [name]
    assert map_header(cells)[-1] == field


def test_every_documented_name_is_unique():
    keys = [header_key(n) for c in COLUMNS for n in c.names]
    assert len(keys) == len(set(keys))


def test_missing_required_columns_are_named():
    cells = [c.swedish for c in COLUMNS if c.field not in ("amount", "due_date")]
    with pytest.raises(CsvFileError) as exc:
        map_header(cells)
    [message] = exc.value.messages
    assert "belopp (amount)" in message and "förfallodatum (due_date)" in message


def test_optional_columns_may_be_left_out():
    cells = [c.swedish for c in COLUMNS if c.required]
    assert None not in map_header(cells)


def test_unknown_and_doubled_columns_are_named():
    cells = [c.swedish for c in COLUMNS] + ["kundnummer", "Belopp"]
    with pytest.raises(CsvFileError) as exc:
        map_header(cells)
    text = str(exc.value)
    assert "kundnummer" in text
    assert "belopp and Belopp are the same column" in text


def test_an_empty_trailing_header_cell_is_ignored():
    assert map_header([c.swedish for c in COLUMNS] + ["", " "])[-2:] == [None, None]


# --- whole files --------------------------------------------------------------------------------


def test_swedish_header_semicolon_windows_1252():
    data = (SV_HEADER + "\r\n"
            "privatperson;19811228-9874;Åsa Öberg;Storgatan 1;123 45;Malmö;;;F-1;2025-04-01;"
            "2025-05-01;1 234,50;Målning;ja\r\n"
            "företag;556677-8899;Bygg AB;Väg 2;11122;Göteborg;;;F-2;2025-04-01;2025-05-01;"
            "500;Snickeri;nej\r\n").encode("cp1252")
    parsed = parse_csv(data, today=TODAY)
    assert (parsed.encoding, parsed.delimiter) == (ENCODING_CP1252, ";")
    assert [r["errors"] for r in parsed.rows] == [{}, {}]
    assert parsed.valid_rows == 2
    assert parsed.rows[0]["values"]["debtor_name"] == "Åsa Öberg"
    assert parsed.rows[0]["line"] == 2
    registration, _ = row_registration(parsed.rows[1]["values"], today=TODAY)
    assert registration.debtor.kind == "company"
    assert registration.invoice.reminder_fee_agreed is False
    registration, _ = row_registration(parsed.rows[0]["values"], today=TODAY)
    assert registration.invoice.amount_ore == 123450
    assert registration.invoice.reminder_fee_agreed is True


def test_english_header_comma_utf8_with_bom_and_quoted_amount():
    data = (EN_HEADER + "\n"
            'company,556677-8899,"Bygg AB, filial",Väg 2,111 22,Göteborg,Sweden,,,F-9,'
            '2025-04-01,2025-05-01,"12 500,00","Snickeri, kök",yes\n').encode("utf-8-sig")
    parsed = parse_csv(data, today=TODAY)
    assert (parsed.encoding, parsed.delimiter) == (ENCODING_UTF8_BOM, ",")
    [row] = parsed.rows
    assert row["errors"] == {}
    assert row["values"]["debtor_name"] == "Bygg AB, filial"
    assert row["values"]["amount"] == "12 500,00"
    registration, _ = row_registration(row["values"], today=TODAY)
    assert registration.invoice.amount_ore == 1250000


@pytest.mark.parametrize("kind, expected", [
    ("privatperson", "person"), ("Privatperson", "person"), ("person", "person"),
    ("företag", "company"), ("Foretag", "company"), ("COMPANY", "company"),
])
def test_debtor_kinds_in_swedish_and_english(kind, expected):
    parsed = parse_csv(csv_bytes([values(
        debtor_kind=kind,
        debtor_identity_number="556677-8899" if expected == "company" else "19811228-9874")]),
        today=TODAY)
    registration, errors = row_registration(parsed.rows[0]["values"], today=TODAY)
    assert errors == {}
    assert registration.debtor.kind == expected


@pytest.mark.parametrize("overrides, field, words", [
    ({"debtor_postal_code": "1234"}, "debtor_postal_code", ""),
    ({"due_date": "2025-06-02"}, "due_date", "before today"),
    ({"due_date": "1/5/2025"}, "due_date", "YYYY-MM-DD"),
    ({"amount": "0"}, "amount", "greater than zero"),
    ({"amount": "12,345"}, "amount", "two decimals"),
    ({"debtor_country": "Norge"}, "debtor_country", "abroad"),
    ({"debtor_kind": "förening"}, "debtor_kind", "person or company"),
    ({"debtor_identity_number": "19811228-9875"}, "debtor_identity_number", ""),
    ({"debtor_name": ""}, "debtor_name", "required"),
    ({"reminder_fee_agreed": "kanske"}, "reminder_fee_agreed", "yes or no"),
    ({"debtor_email": "not-an-email"}, "debtor_email", "e-mail"),
])
def test_each_row_says_which_field_is_wrong(overrides, field, words):
    good = values(invoice_number="F-OK")
    bad = values(invoice_number="F-BAD", **overrides)
    parsed = parse_csv(csv_bytes([good, bad]), today=TODAY)
    assert parsed.rows[0]["errors"] == {}
    errors = parsed.rows[1]["errors"]
    assert list(errors) == [field]
    assert words in " ".join(errors[field])
    assert parsed.valid_rows == 1


def test_all_errors_of_a_row_at_once():
    parsed = parse_csv(csv_bytes([values(debtor_postal_code="x", amount="-5", debtor_name="")]),
                       today=TODAY)
    assert set(parsed.rows[0]["errors"]) == {"debtor_postal_code", "amount", "debtor_name"}


def test_duplicate_invoice_numbers_in_the_file_are_flagged_on_the_later_lines():
    rows = [values(invoice_number="F-1"), values(invoice_number="F-2"),
            values(invoice_number="F-1"), values(invoice_number="F-1")]
    parsed = parse_csv(csv_bytes(rows), today=TODAY)
    assert [bool(r["errors"]) for r in parsed.rows] == [False, False, True, True]
    assert parsed.rows[2]["errors"]["invoice_number"] == [
        "Invoice number F-1 also appears on line 2 of this file."]
    assert "line 2" in parsed.rows[3]["errors"]["invoice_number"][0]


def test_empty_lines_are_skipped_and_lines_are_counted_as_in_the_file():
    text = render_csv([values(invoice_number="F-1")])
    body = render_csv([values(invoice_number="F-2", description="två\nrader"),
                       values(invoice_number="F-3")]).split("\r\n", 1)[1]
    data = ("\r\n" + text + "\r\n;;;;\r\n" + body + "\r\n\r\n").encode()
    parsed = parse_csv(data, today=TODAY)
    assert [(r["line"], r["values"]["invoice_number"]) for r in parsed.rows] == [
        (3, "F-1"), (6, "F-2"), (8, "F-3")]
    assert parsed.rows[1]["values"]["description"] == "två\nrader"


def test_optional_columns_left_out_and_short_rows_are_filled_with_empty_values():
    header = ";".join(c.swedish for c in COLUMNS if c.required)
    row = values()
    line = ";".join(row[c.field] for c in COLUMNS if c.required)
    parsed = parse_csv(f"{header}\n{line}\n".encode(), today=TODAY)
    assert parsed.rows[0]["errors"] == {}
    assert parsed.rows[0]["values"]["debtor_email"] == ""


def test_a_row_with_more_values_than_columns_is_an_error_of_that_row():
    text = render_csv([values()]).rstrip("\r\n") + ";surplus\r\n"
    parsed = parse_csv(text.encode(), today=TODAY)
    assert ROW_ERROR in parsed.rows[0]["errors"]
    assert "column 16" in parsed.rows[0]["errors"][ROW_ERROR][0]


def test_trailing_empty_values_are_fine():
    text = render_csv([values()]).rstrip("\r\n") + ";;\r\n"
    assert parse_csv(text.encode(), today=TODAY).rows[0]["errors"] == {}


@pytest.mark.parametrize("data, words", [
    (b"", "empty"),
    (b"\r\n  \r\n", "empty"),
    ((SV_HEADER + "\r\n").encode(), "no rows"),
    (b"typ\tnamn\tort\n", "tabs"),
    (b"fakturanummer;belopp\nF-1;100\n", "Required columns are missing"),
    ((SV_HEADER + '\r\n"privatperson;unterminated\r\n').encode(), "Line 2"),
])
def test_file_level_errors(data, words):
    with pytest.raises(CsvFileError) as exc:
        parse_csv(data, today=TODAY)
    assert words in str(exc.value)


def test_too_many_rows():
    rows = [values(invoice_number=f"F-{i}") for i in range(6)]
    assert len(parse_csv(csv_bytes(rows), today=TODAY, max_rows=6).rows) == 6
    with pytest.raises(CsvFileError) as exc:
        parse_csv(csv_bytes(rows), today=TODAY, max_rows=5)
    assert "The file has 6 rows; at most 5" in str(exc.value)


@pytest.mark.parametrize("english", [False, True])
def test_the_template_file_parses_without_errors(english):
    data = template_csv(today=TODAY, english=english)
    assert data.startswith(b"\xef\xbb\xbf")  # so that Excel reads it as UTF-8
    parsed = parse_csv(data, today=TODAY)
    assert parsed.delimiter == ";"
    assert [r["errors"] for r in parsed.rows] == [{}, {}]


# --- properties ---------------------------------------------------------------------------------

# Any text but control characters (a CSV cell holds no NUL; CR/LF are tested above).
_any_text = st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=30)
# Windows-1252 files: ASCII plus the Latin-1 letters. The bytes 0x80-0xBF are left out because
# a run like "Ã¥" in Windows-1252 is also valid UTF-8 and would rightly be read as UTF-8.
_LATIN1_LETTERS = "".join(map(chr, range(0xC0, 0x100)))
_cp1252_text = st.text(st.sampled_from(
    string.ascii_letters + string.digits + " .,;:-+/@\"'()" + _LATIN1_LETTERS), max_size=30)


def _rows(text):
    row = st.fixed_dictionaries({f: text for f in FIELDS}).filter(
        lambda r: r["invoice_number"].strip())
    return st.lists(row, min_size=1, max_size=4, unique_by=lambda r: r["invoice_number"].strip())


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(rows=_rows(_any_text), delimiter=st.sampled_from([";", ","]),
       english=st.booleans(), bom=st.booleans())
def test_any_rows_written_then_parsed_round_trip_utf8(rows, delimiter, english, bom):
    data = csv_bytes(rows, delimiter=delimiter, english=english,
                     encoding="utf-8-sig" if bom else "utf-8")
    parsed = parse_csv(data, today=TODAY)
    assert parsed.delimiter == delimiter
    assert [r["values"] for r in parsed.rows] == [
        {f: v.strip() for f, v in row.items()} for row in rows]


@settings(max_examples=100, suppress_health_check=[HealthCheck.too_slow])
@given(rows=_rows(_cp1252_text), delimiter=st.sampled_from([";", ","]))
def test_any_rows_written_then_parsed_round_trip_windows_1252(rows, delimiter):
    data = csv_bytes(rows, delimiter=delimiter, encoding="cp1252")
    parsed = parse_csv(data, today=TODAY)
    assert parsed.encoding in (ENCODING_CP1252, ENCODING_UTF8)  # UTF-8 when it is all ASCII
    assert [r["values"] for r in parsed.rows] == [
        {f: v.strip() for f, v in row.items()} for row in rows]


@settings(max_examples=300)
@given(data=st.binary(max_size=400) | st.text(max_size=300).map(str.encode))
def test_any_bytes_give_rows_or_a_file_error_never_a_crash(data):
    try:
        parsed = parse_csv(data, today=TODAY)
    except CsvFileError as exc:
        assert exc.messages
    else:
        assert all(set(r["values"]) == set(FIELDS) for r in parsed.rows)
