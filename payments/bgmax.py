"""BgMax: Bankgirot's file of incoming bankgiro payments (Bankgiro Inbetalningar), parsed.

Pure: no ORM, no clock. ``parse_bgmax(bytes)`` returns a ``BgmaxFile`` or raises ``BgmaxError``
naming the line and the reason; a file whose totals or counts do not add up is rejected whole,
because booking half a file would leave money we cannot account for.

Record layout: 80 characters, ISO-8859-1, positions 1-based as Bankgirot's technical manual for
Bankgiro Inbetalningar numbers them (and as its example file, read in the tests, bears out):

    TK01 start     3-22 layout name "BGMAX", 23-24 version "01", 25-44 written at
                   (YYYYMMDDHHMMSS + 6 digits of microseconds), 45 test mark T/P
    TK05 opening   3-12 receiver bankgiro, 13-22 receiver plusgiro, 23-25 currency
    TK20 payment, TK21 deduction, TK22/TK23 extra reference (+/-) share one layout:
                   3-12 sender bankgiro, 13-37 reference (OCR right-aligned), 38-55 amount
                   in öre, 56 reference code 0-5, 57 channel, 58-69 BGC serial, 70 image
                   mark, 71 deduction code (TK21 only)
    TK25 info      3-52 text
    TK26 name      3-37 name, 38-72 extra name
    TK27 address   3-37 address, 38-46 postal code
    TK28 address   3-37 city, 38-72 country, 73-74 country code
    TK29 orgnr     3-14 organisation or personal number
    TK15 deposit   3-37 receiver bank account, 38-45 payment date, 46-50 deposit serial,
                   51-68 deposit total in öre (payments less deductions), 69-71 currency,
                   72-79 number of payment records (TK20 and TK21), 80 deposit type
    TK70 end       3-10 TK20 records, 11-18 TK21 records, 19-26 TK22/23 records,
                   27-34 deposits

Real files are not always clean 80-column records: lines are right-trimmed, some end in CRLF,
and Bankgirot's own example file has runs of spaces compressed to tabs. A tab is expanded to
the next multiple of 8 (the inverse of ``unexpand``), which puts every field back in its column.
"""

import hashlib
from dataclasses import dataclass
from datetime import date, datetime

from ekrav.money import ore_to_str

RECORD_LENGTH = 80
REFERENCE_CODES = frozenset("012345")
RECORD_TYPES = frozenset(("01", "05", "20", "21", "22", "23", "25", "26", "27", "28", "29",
                          "15", "70"))


class BgmaxError(ValueError):
    """A file we refuse. ``line`` is 1-based, or None when the fault is the file as a whole."""

    def __init__(self, line: int | None, reason: str):
        super().__init__(reason if line is None else f"line {line}: {reason}")
        self.line = line
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Reference:
    """An extra reference (TK22, or TK23 = negative) that a payer gave with one payment."""

    reference: str
    amount_ore: int  # negative for a TK23
    reference_code: str
    deduction: bool


@dataclass(frozen=True, slots=True)
class Payment:
    """One payment (TK20) or deduction (TK21, amount negative) with the records that follow it."""

    sender_bankgiro: str  # without leading zeros; "" when Bankgirot does not know it
    reference: str
    amount_ore: int
    reference_code: str  # 2 = valid OCR, 3 = several references, 5 = faulty reference
    channel: str
    bgc_serial: str  # Bankgirot's own number for the payment, unique per payment
    deduction: bool
    extra_references: tuple[Reference, ...]
    information: tuple[str, ...]
    payer_name: str
    payer_address: str
    payer_postal_code: str
    payer_city: str
    payer_country: str
    payer_organisation_number: str  # as written, 12 digits zero-filled
    line: int


@dataclass(frozen=True, slots=True)
class Deposit:
    """One deposit (insättning) to the receiver's account: TK05, its payments, TK15."""

    receiver_bankgiro: str
    receiver_plusgiro: str
    currency: str
    payment_date: date
    deposit_serial: str
    total_ore: int
    payments: tuple[Payment, ...]


@dataclass(frozen=True, slots=True)
class BgmaxFile:
    version: str
    created_at: datetime
    test: bool
    deposits: tuple[Deposit, ...]
    sha256: str

    @property
    def payments(self) -> tuple[Payment, ...]:
        return tuple(p for deposit in self.deposits for p in deposit.payments)

    @property
    def amount_total_ore(self) -> int:
        # Summed as written: a file may hold a EUR deposit, and Deposit.currency says which.
        return sum(deposit.total_ore for deposit in self.deposits)


def parse_bgmax(data: bytes) -> BgmaxFile:
    parser = _Parser()
    feed = parser.feed
    for number, line in enumerate(_lines(data), 1):
        feed(number, line)
    return parser.finish(hashlib.sha256(data).hexdigest())


def _lines(data: bytes) -> list[str]:
    """The file's lines, CR, CRLF or LF, without the blank lines at its end."""
    if not data.isascii() and _is_utf8(data):
        raise BgmaxError(None, "The file is UTF-8, not ISO-8859-1 as Bankgirot writes BgMax; "
                               "someone has re-saved it, and its names would come out garbled.")
    text = data.decode("iso-8859-1")
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    while lines and not lines[-1].strip():
        lines.pop()
    if not lines:
        raise BgmaxError(None, "The file is empty.")
    return lines


def _is_utf8(data: bytes) -> bool:
    # Bankgirot's å, ä and ö are single bytes that are never valid UTF-8 on their own, so a
    # file with letters beyond ASCII that decodes as UTF-8 was re-encoded on the way here.
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


class _PaymentDraft:
    """A payment still collecting its TK22-TK29 records; frozen into a Payment when done."""

    __slots__ = ("head", "extra_references", "information", "name", "address", "city",
                 "organisation_number")

    def __init__(self, head: tuple):
        self.head = head
        self.extra_references = []
        self.information = []
        self.name = self.address = self.city = self.organisation_number = None

    def freeze(self) -> Payment:
        sender, reference, amount, code, channel, serial, deduction, line = self.head
        address, postal_code = self.address or ("", "")
        city, country = self.city or ("", "")
        return Payment(
            sender, reference, amount, code, channel, serial, deduction,
            tuple(self.extra_references), tuple(self.information), self.name or "",
            address, postal_code, city, country, self.organisation_number or "", line,
        )


class _DepositDraft:
    __slots__ = ("line", "receiver_bankgiro", "receiver_plusgiro", "currency", "payments")

    def __init__(self, line, receiver_bankgiro, receiver_plusgiro, currency):
        self.line = line
        self.receiver_bankgiro = receiver_bankgiro
        self.receiver_plusgiro = receiver_plusgiro
        self.currency = currency
        self.payments = []


class _Parser:
    """The file's grammar: 01 (05 (20|21 (22|23|25..29)*)* 15)* 70, one record at a time.

    Which records may come next is the table ``expected``: only TK01 at first, every other
    record type after it, nothing after TK70. Records that need an open deposit or payment check
    for it themselves.
    """

    def __init__(self):
        self.header = None
        self.deposit = None
        self.payment = None
        self.deposits = []
        # What TK70 must agree with: TK20s, TK21s, TK22/23s, deposits.
        self.counts = [0, 0, 0, 0]
        self.body = {
            "05": self.opening, "20": self.payment_record, "21": self.payment_record,
            "22": self.extra_reference, "23": self.extra_reference, "25": self.information,
            "26": self.name, "27": self.address, "28": self.city,
            "29": self.organisation_number, "15": self.deposit_record, "70": self.end,
        }
        self.expected = {"01": self.start}

    def feed(self, number: int, line: str) -> None:
        if "\t" in line:
            line = line.expandtabs(8)  # back to the columns the tabs compressed
        record = line.rstrip()
        if len(record) != RECORD_LENGTH:
            if not record:
                raise BgmaxError(number, "A blank line stands where a record was expected.")
            if len(record) > RECORD_LENGTH:
                raise BgmaxError(number, f"The record is {len(record)} characters long, "
                                         f"more than 80.")
            record = record.ljust(RECORD_LENGTH)
        handler = self.expected.get(record[:2])
        if handler is None:
            raise self._misplaced(number, record[:2])
        handler(number, record)

    def _misplaced(self, number, kind) -> BgmaxError:
        if kind not in RECORD_TYPES:
            return BgmaxError(number, f"Record type {kind!r} is not a BgMax record type.")
        if self.header is None:
            return BgmaxError(number, f"The file starts with TK{kind}, not a TK01 start record.")
        if kind == "01":
            return BgmaxError(number, "A second TK01 start record.")
        return BgmaxError(number, f"A TK{kind} record follows the TK70 end record.")

    def finish(self, sha256: str) -> BgmaxFile:
        if self.expected:
            raise BgmaxError(None, "The file ends without a TK70 end record.")
        version, created_at, test = self.header
        return BgmaxFile(version, created_at, test, tuple(self.deposits), sha256)

    # --- the frame: start, opening, deposit, end ----------------------------------------------

    def start(self, number, record):
        if record[2:22].rstrip() != "BGMAX":
            raise BgmaxError(number, f"The layout name is {record[2:22].strip()!r}, not BGMAX.")
        if record[22:24] != "01":
            raise BgmaxError(number, f"BgMax version {record[22:24]!r} is not supported, only 01.")
        if record[44] not in ("T", "P"):
            raise BgmaxError(number, f"The test mark is {record[44]!r}, neither T nor P.")
        self.header = ("01", _timestamp(number, record[24:44]), record[44] == "T")
        self.expected = self.body

    def opening(self, number, record):
        if self.deposit is not None:
            raise BgmaxError(number, f"TK05 opens a deposit while the one opened on line "
                                     f"{self.deposit.line} has no TK15 deposit record.")
        bankgiro = _digits(number, record[2:12], "receiver bankgiro").lstrip("0")
        self.deposit = _DepositDraft(number, bankgiro, record[12:22].strip().lstrip("0"),
                                     record[22:25].strip())

    def deposit_record(self, number, record):
        deposit = self._deposit_for(number, "15")
        self._close_payment()
        if record[68:71].strip() != deposit.currency:
            raise BgmaxError(number, f"TK15 closes a {record[68:71].strip()} deposit that TK05 "
                                     f"on line {deposit.line} opened in {deposit.currency}.")
        total = int(_digits(number, record[50:68], "deposit total"))
        _check_deposit(number, record, deposit, total)
        self.deposits.append(Deposit(
            deposit.receiver_bankgiro, deposit.receiver_plusgiro, deposit.currency,
            _date(number, record[37:45]), _digits(number, record[45:50], "deposit serial"),
            total, tuple(deposit.payments),
        ))
        self.counts[3] += 1
        self.deposit = None

    def end(self, number, record):
        if self.deposit is not None:
            raise BgmaxError(number, f"TK70 ends the file while the deposit opened on line "
                                     f"{self.deposit.line} has no TK15 deposit record.")
        names = ("payment records", "deduction records", "extra reference records", "deposits")
        for index, (name, counted) in enumerate(zip(names, self.counts)):
            field = record[2 + 8 * index:10 + 8 * index]
            written = int(_digits(number, field, f"count of {name}"))
            if written != counted:
                raise BgmaxError(number, f"TK70 counts {written} {name} but the file has "
                                         f"{counted}.")
        self.expected = {}

    # --- a payment and what follows it ----------------------------------------------------------

    def payment_record(self, number, record):
        self._deposit_for(number, record[:2])
        self._close_payment()
        deduction = record[1] == "1"
        sender, reference, amount, code, channel, serial = _transaction(number, record, deduction)
        self.payment = _PaymentDraft(
            (sender, reference, amount, code, channel, serial, deduction, number))
        self.counts[deduction] += 1  # TK20s at 0, TK21s at 1

    def extra_reference(self, number, record):
        payment = self._payment_for(number, record[:2])
        deduction = record[1] == "3"
        _, reference, amount, code, _, _ = _transaction(number, record, deduction)
        payment.extra_references.append(Reference(reference, amount, code, deduction))
        self.counts[2] += 1

    def information(self, number, record):
        self._payment_for(number, "25").information.append(record[2:52].strip())

    def name(self, number, record):
        payment = self._payment_for(number, "26")
        _once(number, "26", payment.name)
        payment.name = record[2:37].strip()

    def address(self, number, record):
        payment = self._payment_for(number, "27")
        _once(number, "27", payment.address)
        payment.address = (record[2:37].strip(), record[37:46].strip())

    def city(self, number, record):
        payment = self._payment_for(number, "28")
        _once(number, "28", payment.city)
        payment.city = (record[2:37].strip(), record[37:72].strip())

    def organisation_number(self, number, record):
        payment = self._payment_for(number, "29")
        _once(number, "29", payment.organisation_number)
        payment.organisation_number = record[2:14].strip()

    # --- where a record may stand ---------------------------------------------------------------

    def _deposit_for(self, number, kind) -> _DepositDraft:
        if self.deposit is None:
            raise BgmaxError(number, f"TK{kind} stands outside a deposit: no TK05 opening "
                                     f"record comes before it.")
        return self.deposit

    def _payment_for(self, number, kind) -> _PaymentDraft:
        if self.payment is None:
            self._deposit_for(number, kind)
            raise BgmaxError(number, f"TK{kind} does not follow a TK20 payment or TK21 "
                                     f"deduction record.")
        return self.payment

    def _close_payment(self):
        if self.payment is not None:
            self.deposit.payments.append(self.payment.freeze())
            self.payment = None


def _check_deposit(number, record, deposit, total):
    """TK15 repeats what the deposit should hold; a difference means a damaged file."""
    count = int(_digits(number, record[71:79], "number of payments"))
    if count != len(deposit.payments):
        raise BgmaxError(number, f"TK15 counts {count} payments but the deposit opened on line "
                                 f"{deposit.line} has {len(deposit.payments)}.")
    paid = sum(payment.amount_ore for payment in deposit.payments)
    if total != paid:
        raise BgmaxError(number, f"TK15 says the deposit totals {ore_to_str(total)} but its "
                                 f"payments less deductions come to {ore_to_str(paid)}.")


def _transaction(number, record, negative):
    """The fields TK20-TK23 share: sender, reference, signed amount, code, channel, serial."""
    # One look at the numeric columns (sender, then amount to serial) is the fast path; only a
    # bad record pays for finding out which field is wrong.
    sender, numbers = record[2:12], record[37:69]
    if not (sender.isascii() and sender.isdigit() and numbers.isascii() and numbers.isdigit()
            and record[55] in REFERENCE_CODES):
        raise _bad_transaction(number, record)
    amount = int(numbers[:18])
    return (sender.lstrip("0"), record[12:37].strip(), -amount if negative else amount,
            record[55], record[56], record[57:69])


def _bad_transaction(number, record) -> BgmaxError:
    fields = (("sender bankgiro", 2, 12), ("amount", 37, 55), ("reference code", 55, 56),
              ("payment channel", 56, 57), ("BGC serial number", 57, 69))
    for what, first, last in fields:
        try:
            _digits(number, record[first:last], what)
        except BgmaxError as error:
            return error
    return BgmaxError(number, f"The reference code {record[55]!r} is not one of 0 to 5.")


def _digits(number, field, what) -> str:
    # isdigit alone would let "²" (a Latin-1 superscript) through to int().
    if not (field.isascii() and field.isdigit()):
        raise BgmaxError(number, f"The {what} {field.strip()!r} is not a number.")
    return field


def _once(number, kind, value):
    if value is not None:
        raise BgmaxError(number, f"A second TK{kind} record for the same payment.")


def _date(number, field) -> date:
    digits = _digits(number, field, "payment date")
    try:
        return date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError:
        raise BgmaxError(number, f"The payment date {field!r} is not a date.") from None


def _timestamp(number, field) -> datetime:
    digits = _digits(number, field, "time the file was written")
    try:
        moment = datetime.strptime(digits[:14], "%Y%m%d%H%M%S")
    except ValueError:
        raise BgmaxError(number, f"The time the file was written, {field!r}, is not a time.") \
            from None
    return moment.replace(microsecond=int(digits[14:]))
