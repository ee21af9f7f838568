"""CSV bulk registration (massregistrering): the file's bytes in, a preview of every row out.

Pure: no ORM, no clock. ``parse_csv`` either raises ``CsvFileError`` (the file as a whole cannot
be used: undecodable, not CSV, unknown or missing columns, too many rows) or returns every data
row with its errors. Rules that need the database (an invoice number already registered) are
added by ``claims.imports``; the per-row rules are ``claims.registration``'s, so the CSV, the
form and the API refuse exactly the same things.

The documented columns are ``COLUMNS``: each has a Swedish and an English name plus a few
aliases; header matching ignores case, spaces, ``_``, ``-``, ``.`` and diacritics, so
``Förfallodatum``, ``forfallodatum`` and ``due_date`` are the same column.
"""

import csv
import io
import unicodedata
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Mapping

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from claims.registration import FIELDS, parse_registration

MAX_ROWS = 5000
ROW_ERROR = "row"  # errors of a whole line (too many values), not of one column
ENCODING_UTF8 = "utf-8"
ENCODING_UTF8_BOM = "utf-8-sig"
ENCODING_CP1252 = "windows-1252"
DELIMITERS = (";", ",")

# Values of the typ column; anything else reaches parse_registration and is refused there.
KINDS = {
    "privatperson": "person", "person": "person", "privat": "person", "p": "person",
    "foretag": "company", "company": "company", "organisation": "company", "f": "company",
    "c": "company",
}

# Signatures of files people upload by mistake instead of exporting CSV.
_BINARY_SIGNATURES = (
    (b"PK\x03\x04", gettext_lazy("This is an Excel workbook (or another zip file), not CSV. In "
                                 "Excel choose Save as > CSV (semicolon or comma separated).")),
    (b"\xd0\xcf\x11\xe0", gettext_lazy("This is an old Excel workbook (.xls), not CSV. In Excel "
                                       "choose Save as > CSV (semicolon or comma separated).")),
    (b"%PDF", gettext_lazy("This is a PDF, not CSV.")),
    (b"\xff\xfe", gettext_lazy("The file is saved as UTF-16 (\"Unicode text\"). Save it as "
                               "CSV UTF-8 instead.")),
    (b"\xfe\xff", gettext_lazy("The file is saved as UTF-16 (\"Unicode text\"). Save it as "
                               "CSV UTF-8 instead.")),
)


@dataclass(frozen=True)
class Column:
    field: str
    swedish: str
    english: str
    required: bool
    example: str
    help: str
    aliases: tuple[str, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        return (self.swedish, self.english, *self.aliases)


COLUMNS = (
    Column("debtor_kind", "typ", "debtor_kind", True, "privatperson",
           gettext_lazy("privatperson (person) or företag (company)"),
           ("kind", "type", "gäldenärstyp", "debtor type")),
    Column("debtor_identity_number", "personnummer/orgnr", "debtor_identity_number", True,
           "19811228-9874",
           gettext_lazy("Personnummer (samordningsnummer accepted) or organisation number"),
           ("personnummer", "orgnr", "organisationsnummer", "personnummer/organisationsnummer",
            "identitetsnummer", "identity_number")),
    Column("debtor_name", "namn", "debtor_name", True, "Dan Gäldenär",
           gettext_lazy("The debtor's name"), ("name",)),
    Column("debtor_street", "adress", "debtor_street", True, "Lillgatan 2",
           gettext_lazy("Street address"), ("gatuadress", "utdelningsadress", "street",
                                             "address")),
    Column("debtor_postal_code", "postnummer", "debtor_postal_code", True, "123 45",
           gettext_lazy("Five digits"), ("postal_code", "postcode", "zip")),
    Column("debtor_city", "ort", "debtor_city", True, "Uppsala", gettext_lazy("City"),
           ("postort", "city")),
    Column("debtor_country", "land", "debtor_country", False, "Sverige",
           gettext_lazy("Optional; only Sweden (debtors abroad are not handled)"),
           ("country",)),
    Column("debtor_email", "epost", "debtor_email", False, "dan@example.se",
           gettext_lazy("Optional e-mail address"), ("mejl", "email")),
    Column("debtor_phone", "telefon", "debtor_phone", False, "070-123 45 67",
           gettext_lazy("Optional phone number"), ("telefonnummer", "mobil", "phone")),
    Column("invoice_number", "fakturanummer", "invoice_number", True, "F-1001",
           gettext_lazy("Unique per company: an invoice number already registered is refused"),
           ("fakturanr", "invoice_no")),
    Column("invoice_date", "fakturadatum", "invoice_date", True, "2025-01-15",
           gettext_lazy("YYYY-MM-DD"), ()),
    Column("due_date", "förfallodatum", "due_date", True, "2025-02-14",
           gettext_lazy("YYYY-MM-DD, before today"), ("förfallodag",)),
    Column("amount", "belopp", "amount", True, "1 234,50",
           gettext_lazy("Kronor to be paid, after any ROT/RUT deduction, e.g. 1 234,50 or "
                        "1234.50"), ("belopp kr", "belopp sek")),
    Column("description", "avser", "description", True, "Målning av staket",
           gettext_lazy("What the invoice concerns"), ("fakturan avser", "beskrivning")),
    Column("reminder_fee_agreed", "påminnelseavgift", "reminder_fee_agreed", True, "ja",
           gettext_lazy("ja or nej (yes or no): was a reminder fee agreed in the invoice terms?"),
           ("reminder fee",)),
)
assert {c.field for c in COLUMNS} == set(FIELDS)


class CsvFileError(ValueError):
    """The file as a whole cannot be used; ``messages`` say why, for the upload form."""

    def __init__(self, messages):
        self.messages = [str(m) for m in messages]
        super().__init__(" ".join(self.messages))


@dataclass
class ParsedFile:
    encoding: str
    delimiter: str
    # [{"line": 2, "values": {field: text}, "errors": {field: [reason]}}, ...]
    rows: list[dict] = field(default_factory=list)

    @property
    def valid_rows(self) -> int:
        return sum(1 for row in self.rows if not row["errors"])


def header_key(name: str) -> str:
    """Case, spacing, punctuation and diacritics do not matter in a column name."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    return "".join(ch for ch in decomposed
                   if not unicodedata.combining(ch) and ch not in " \u00a0\t_-.")


_COLUMN_BY_KEY = {header_key(name): column for column in COLUMNS for name in column.names}


def decode(data: bytes) -> tuple[str, str]:
    """Return ``(text, encoding)``: UTF-8 (with or without BOM), else Windows-1252."""
    for signature, message in _BINARY_SIGNATURES:
        if data.startswith(signature):
            raise CsvFileError([message])
    if b"\x00" in data:
        raise CsvFileError([_("This is not a text file. Export the list as CSV.")])
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8"), ENCODING_UTF8_BOM
        except UnicodeDecodeError:
            raise CsvFileError([_("The file says it is UTF-8 but is not. Save it again as "
                                  "CSV UTF-8.")]) from None
    try:
        return data.decode("utf-8"), ENCODING_UTF8
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), ENCODING_CP1252
    except UnicodeDecodeError:
        raise CsvFileError([_("The characters in the file cannot be read. Save it as CSV UTF-8 "
                              "or as CSV in Windows-1252 (Excel's ordinary CSV).")]) from None


def detect_delimiter(header_line: str) -> str:
    """``;`` (Swedish Excel) or ``,``: whichever the header line has more of."""
    if header_line.count(",") > header_line.count(";"):
        return ","
    return ";"


def map_header(cells: list[str]) -> list[str | None]:
    """The field of every column (None for an empty trailing column); raises ``CsvFileError``."""
    fields: list[str | None] = []
    errors, unknown, seen = [], [], {}
    for cell in cells:
        name = cell.strip()
        if not name:
            fields.append(None)
            continue
        column = _COLUMN_BY_KEY.get(header_key(name))
        if column is None:
            unknown.append(name)
            fields.append(None)
            continue
        if column.field in seen:
            errors.append(_("The columns %(first)s and %(second)s are the same column; keep "
                            "one.") % {"first": seen[column.field], "second": name})
        seen[column.field] = name
        fields.append(column.field)
    if unknown:
        errors.append(_("Unknown columns: %(names)s. Use the column names listed on the upload "
                        "page (Swedish or English).") % {"names": ", ".join(unknown)})
    missing = [c for c in COLUMNS if c.required and c.field not in seen]
    if missing:
        errors.append(_("Required columns are missing: %(names)s.") % {
            "names": ", ".join(f"{c.swedish} ({c.english})" for c in missing)})
    if errors:
        raise CsvFileError(errors)
    return fields


def parse_csv(data: bytes, *, today: date, max_rows: int = MAX_ROWS) -> ParsedFile:
    """Every data row of the file with its values and its errors; empty lines are skipped."""
    text, encoding = decode(data)
    first_line = next((line for line in text.splitlines() if line.strip()), "")
    if not first_line:
        raise CsvFileError([_("The file is empty.")])
    if "\t" in first_line and ";" not in first_line and "," not in first_line:
        raise CsvFileError([_("The columns are separated by tabs. Separate them with ; or , "
                              "(save as CSV).")])
    delimiter = detect_delimiter(first_line)
    parsed = ParsedFile(encoding=encoding, delimiter=delimiter)
    records = list(_records(text, delimiter))
    if not records:
        raise CsvFileError([_("The file is empty.")])
    _header_line, header = records[0]
    fields = map_header(header)
    if len(records) - 1 > max_rows:
        raise CsvFileError([_("The file has %(count)d rows; at most %(max)d can be imported at "
                              "once. Split it into smaller files.") % {
            "count": len(records) - 1, "max": max_rows}])
    first_line_of = {}
    for line, cells in records[1:]:
        row = _row(line, cells, fields, delimiter, today)
        number = row["values"]["invoice_number"]
        if number in first_line_of:
            # The first line keeps the number; the later ones are the suspicious copies.
            row["errors"].setdefault("invoice_number", []).append(
                _("Invoice number %(number)s also appears on line %(line)d of this file.") % {
                    "number": number, "line": first_line_of[number]})
        elif number:
            first_line_of[number] = line
        parsed.rows.append(row)
    if not parsed.rows:
        raise CsvFileError([_("The file has a header but no rows.")])
    return parsed


def _records(text: str, delimiter: str):
    """``(line number, cells)`` of every non-empty record; a line number is where it starts."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    next_line = 1
    try:
        for cells in reader:
            line, next_line = next_line, reader.line_num + 1
            if any(cell.strip() for cell in cells):
                yield line, cells
    except csv.Error as exc:
        raise CsvFileError([_("Line %(line)d cannot be read as CSV (%(why)s). Check the "
                              "quotation marks.") % {"line": next_line, "why": exc}]) from None


def _row(line: int, cells: list[str], fields: list[str | None], delimiter: str,
         today: date) -> dict:
    values = dict.fromkeys(FIELDS, "")
    errors: dict[str, list[str]] = {}
    for position, cell in enumerate(cells):
        if position < len(fields) and fields[position] is not None:
            values[fields[position]] = cell.strip()
        elif cell.strip():
            errors[ROW_ERROR] = [_("The line has more values than the header has columns (a "
                                   "value in column %(n)d). Check for an unquoted %(sep)s.") % {
                "n": position + 1, "sep": delimiter}]
            break
    _registration, field_errors = row_registration(values, today=today)
    for name, messages in field_errors.items():
        errors.setdefault(name, []).extend(messages)
    return {"line": line, "values": values, "errors": errors}


def row_registration(values: Mapping[str, str], *, today: date):
    """``parse_registration`` of one CSV row, after the CSV's own words are translated."""
    data = dict(values)
    kind = header_key(data.get("debtor_kind") or "")
    data["debtor_kind"] = KINDS.get(kind, data.get("debtor_kind") or "")
    return parse_registration(data, today=today)


def render_csv(rows: list[Mapping[str, str]], *, delimiter: str = ";",
               english: bool = False) -> str:
    """A CSV text with the documented header, in COLUMNS order; what parse_csv reads back."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow([c.english if english else c.swedish for c in COLUMNS])
    for row in rows:
        writer.writerow([row.get(c.field, "") for c in COLUMNS])
    return out.getvalue()


def template_csv(*, today: date, english: bool = False) -> bytes:
    """The downloadable example file: UTF-8 with BOM and ``;`` so Swedish Excel opens it."""
    example = {c.field: c.example for c in COLUMNS}
    example["invoice_date"] = (today - timedelta(days=45)).isoformat()
    example["due_date"] = (today - timedelta(days=15)).isoformat()
    company = {**example, "debtor_kind": "företag" if not english else "company",
               "debtor_identity_number": "556677-8899", "debtor_name": "Exempel AB",
               "debtor_country": "", "debtor_email": "", "debtor_phone": "",
               "invoice_number": "F-1002",
               "amount": "12500", "reminder_fee_agreed": "nej" if not english else "no",
               "description": "Konsulttjänster"}
    if english:
        example.update({"debtor_kind": "person", "reminder_fee_agreed": "yes",
                        "debtor_country": "Sweden"})
    return render_csv([example, company], english=english).encode("utf-8-sig")
