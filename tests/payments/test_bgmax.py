"""BgMax parsing. The expected values of Bankgirot's example file were read off the file by hand,
not taken from the parser; the renderer below writes records from the layout table alone, so a
round trip checks the parser against an independent writer."""

import dataclasses
import hashlib
from datetime import date, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from payments.bgmax import BgmaxError, BgmaxFile, Deposit, Payment, Reference, parse_bgmax
from tests.fixtures import BGMAX_EXAMPLE

# Bankgirot's own example file, read-only and as received (tests/fixtures).
FIXTURE = BGMAX_EXAMPLE


# --- a writer of records, straight from the layout table ------------------------------------


def tk01(created_at=datetime(2025, 6, 12, 17, 30, 35, 10331), test=False, name="BGMAX",
         version="01"):
    written = created_at.strftime("%Y%m%d%H%M%S") + f"{created_at.microsecond:06d}"
    return f"01{name:<20}{version}{written}{'T' if test else 'P'}"


def tk05(bankgiro="9912346", plusgiro="", currency="SEK"):
    return f"05{bankgiro:0>10}{plusgiro and f'{plusgiro:0>10}':<10}{currency}"


def transaction(kind, amount, reference="655969", code="2", sender="3783511", channel="1",
                serial="000000000010"):
    # An OCR number stands right-aligned in its field, other references left-aligned.
    field = f"{reference:>25}" if code == "2" else f"{reference:<25}"
    tail = "00" if kind == "21" else "0"  # image mark, and a TK21's deduction code
    return f"{kind}{sender:0>10}{field}{amount:018d}{code}{channel}{serial}{tail}"


def tk20(amount=100000, **fields):
    return transaction("20", amount, **fields)


def tk15(total, count, currency="SEK", serial="00001", paid_on=date(2025, 6, 12)):
    account = "5841000001009823"
    return f"15{account:0>35}{paid_on:%Y%m%d}{serial}{total:018d}{currency}{count:08d}"


def tk70(payments=1, deductions=0, references=0, deposits=1):
    return "70" + "".join(f"{n:08d}" for n in (payments, deductions, references, deposits))


def bgmax(*records, eol="\n") -> bytes:
    return (eol.join(records) + eol).encode("iso-8859-1")


MINIMAL = (tk01(), tk05(), tk20(100000), tk15(100000, 1), tk70())


def sha(data):
    return hashlib.sha256(data).hexdigest()


def rejection(*records) -> BgmaxError:
    with pytest.raises(BgmaxError) as info:
        parse_bgmax(bgmax(*records))
    return info.value


# --- Bankgirot's example file, read as it is ----------------------------------------------------


@pytest.fixture(scope="module")
def example():
    return parse_bgmax(FIXTURE.read_bytes())


def test_example_file_header(example):
    assert example.version == "01"
    assert example.created_at == datetime(2004, 5, 25, 17, 30, 35, 10331)
    assert example.test is False
    assert example.sha256 == hashlib.sha256(FIXTURE.read_bytes()).hexdigest()
    assert example.sha256 == "93a092a889ad97743d102166cf2773133683e5b3fbed94289314bc248d1f0e42"


def test_example_file_deposits(example):
    # Deposit 1 is 1000 + 1400 - 500 (a deduction); the third deposit is in euro.
    assert [(d.receiver_bankgiro, d.receiver_plusgiro, d.currency, d.payment_date,
             d.deposit_serial, d.total_ore, len(d.payments)) for d in example.deposits] == [
        ("9912346", "", "SEK", date(2004, 5, 25), "00074", 190000, 3),
        ("9912346", "", "SEK", date(2004, 5, 25), "00075", 800000, 4),
        ("9912346", "", "EUR", date(2004, 5, 25), "00076", 400000, 2),
    ]
    assert example.amount_total_ore == 1390000


KALLE = ("Kalles Plåt AB", "Storgatan 2", "12345", "Storåker", "", "005500001234")
OLLE = ("Olles färg AB", "Lillagatan 3", "12345", "Storåker", "", "005500004322")
BERIT = ("Berits Garn", "Storgatan 10", "12345", "Storåker", "", "005500002222")


def test_example_file_payments(example):
    assert [(p.line, p.sender_bankgiro, p.reference, p.amount_ore, p.reference_code, p.channel,
             p.bgc_serial, p.deduction) for p in example.payments] == [
        (3, "3783511", "655969", 100000, "2", "2", "000000000010", False),
        (8, "3783511", "89853", -50000, "3", "2", "000230000111", True),
        (13, "3783511", "657866 658765 657767", 140000, "3", "2", "000000000014", False),
        (25, "9701233", "650861", 110000, "2", "1", "000000000012", False),
        (30, "1234567", "", 120000, "1", "3", "000000000013", False),
        (35, "1234567", "659763", 70000, "2", "3", "000000000016", False),
        (40, "3783511", "658260", 500000, "2", "2", "000000000016", False),
        (51, "9701233", "801266,801365,801464", 300000, "3", "2", "000000000018", False),
        (60, "1234567", "659763", 100000, "2", "1", "000000000019", False),
    ]


def test_example_file_payers(example):
    payers = [(p.payer_name, p.payer_address, p.payer_postal_code, p.payer_city,
               p.payer_country, p.payer_organisation_number) for p in example.payments]
    assert payers == [KALLE, KALLE, KALLE, OLLE, BERIT, BERIT, KALLE, OLLE, BERIT]


def test_example_file_extra_references_and_texts(example):
    payments = {p.line: p for p in example.payments}
    # Line 17 has its spaces compressed to tabs; expanded to 8-column stops, 657965 is in place.
    assert payments[13].extra_references == tuple(
        Reference(ref, 0, "2", False) for ref in ("657866", "658765", "657767", "657965"))
    assert payments[13].information == ("Betalning med extra refnr 657965",)
    assert [r.reference for r in payments[40].extra_references] == ["658369", "658468"]
    assert payments[40].information == ("Faktura 658369", "Faktura 658468")
    assert [r.reference for r in payments[51].extra_references] == [
        "801266", "801365", "801464"]
    assert payments[51].information == ("Faktura801465",)
    others = [p for line, p in payments.items() if line not in (13, 40, 51)]
    assert all(p.extra_references == () and p.information == () for p in others)


# --- what real files look like: accepted ------------------------------------------------------


def parsed_minimal():
    return parse_bgmax(bgmax(*MINIMAL))


@pytest.mark.parametrize("data", [
    bgmax(*MINIMAL, eol="\r\n"),
    bgmax(*MINIMAL, eol="\r"),
    bgmax(*MINIMAL) + b"\n\n   \r\n",
    bgmax(*MINIMAL)[:-1],  # no newline after TK70
    bgmax(*(record.ljust(80) for record in MINIMAL)),
    bgmax(*(record.ljust(95) for record in MINIMAL)),  # spaces beyond column 80
    bgmax(*MINIMAL).replace(b"0003783511" + b" " * 19, b"0003783511\t\t" + b" " * 7),
], ids=["crlf", "cr", "blank-tail", "no-final-eol", "padded", "over-padded", "tabs"])
def test_real_world_whitespace_changes_nothing(data):
    parsed = parse_bgmax(data)
    assert dataclasses.replace(parsed, sha256="") == dataclasses.replace(
        parsed_minimal(), sha256="")
    assert parsed.sha256 == sha(data)


def test_foreign_currency_is_kept_not_refused():
    parsed = parse_bgmax(bgmax(tk01(), tk05(currency="EUR"), tk20(100000),
                               tk15(100000, 1, currency="EUR"), tk70()))
    assert parsed.deposits[0].currency == "EUR"


def test_a_file_without_deposits_is_empty_not_wrong():
    parsed = parse_bgmax(bgmax(tk01(test=True), tk70(0, 0, 0, 0)))
    assert parsed.deposits == () and parsed.payments == () and parsed.test is True


def test_a_deduction_is_negative_and_subtracts():
    parsed = parse_bgmax(bgmax(
        tk01(), tk05(), tk20(100000), transaction("21", 30000, "89853", code="3"),
        transaction("23", 30000, "1234", code="4"), tk15(70000, 2), tk70(1, 1, 1, 1)))
    first, deduction = parsed.payments
    assert (first.amount_ore, deduction.amount_ore, deduction.deduction) == (100000, -30000, True)
    assert deduction.extra_references == (Reference("1234", -30000, "4", True),)
    assert parsed.amount_total_ore == 70000


def test_error_names_line_and_reason():
    error = rejection(tk01(), tk05(), tk20(100000), tk15(100001, 1), tk70())
    assert (error.line, str(error)) == (4, f"line 4: {error.reason}")
    assert error.reason == ("TK15 says the deposit totals 1000.01 but its payments less "
                            "deductions come to 1000.00.")
    assert isinstance(error, ValueError)


# --- what is refused, each with the smallest file that shows it --------------------------------

BAD_AMOUNT = tk20(0).replace("0" * 18, "00000000000001000X")
SUPERSCRIPT = tk20(0).replace("0" * 18, "00000000000001000\xb2")  # "²" passes str.isdigit


@pytest.mark.parametrize("records, line, reason", [
    ((tk05(), tk20(), tk15(100000, 1), tk70()), 1, "starts with TK05, not a TK01"),
    ((tk01(), tk01(), tk70(0, 0, 0, 0)), 2, "second TK01"),
    ((tk01(name="BGMIN"), tk70(0, 0, 0, 0)), 1, "layout name is 'BGMIN'"),
    ((tk01(version="02"), tk70(0, 0, 0, 0)), 1, "version '02' is not supported"),
    ((tk01()[:44] + "X", tk70(0, 0, 0, 0)), 1, "test mark is 'X'"),
    ((tk01()[:24] + "2025061317303" + "X" * 7 + "P", tk70(0, 0, 0, 0)), 1, "is not a number"),
    ((tk01()[:24] + "20251332173035000000P", tk70(0, 0, 0, 0)), 1, "is not a time"),
    ((tk01(), "99" + "0" * 40, tk70(0, 0, 0, 0)), 2, "'99' is not a BgMax record type"),
    ((tk01(), tk05(), tk20(), "2A", tk15(100000, 1), tk70()), 4, "'2A' is not a BgMax"),
    ((" " + tk01(), tk70(0, 0, 0, 0)), 1, "Record type ' 0' is not a BgMax record type"),
    ((tk01(), tk20(), tk70()), 2, "TK20 stands outside a deposit"),
    ((tk01(), tk05(), "26Kalle", tk15(0, 0), tk70(0)), 3, "TK26 does not follow a TK20"),
    ((tk01(), tk05(), transaction("22", 0), tk15(0, 0), tk70(0)), 3, "TK22 does not follow"),
    ((tk01(), "25Faktura 1", tk70(0, 0, 0, 0)), 2, "TK25 stands outside a deposit"),
    ((tk01(), tk15(0, 0), tk70(0, 0, 0, 0)), 2, "TK15 stands outside a deposit"),
    ((tk01(), tk05(), tk05(), tk15(0, 0), tk70(0)), 3, "opened on line 2 has no TK15"),
    ((tk01(), tk05(), tk20(), tk70()), 4, "TK70 ends the file while the deposit opened on line 2"),
    ((*MINIMAL, tk05()), 6, "TK05 record follows the TK70"),
    ((tk01(), tk05(), BAD_AMOUNT, tk15(100000, 1), tk70()), 3, "amount '00000000000001000X'"),
    ((tk01(), tk05(), SUPERSCRIPT, tk15(100000, 1), tk70()), 3, "amount"),
    ((tk01(), tk05(), tk20(), transaction("22", 0)[:40] + "X" * 15, tk15(100000, 1),
      tk70(1, 0, 1)), 4, "amount"),
    ((tk01(), tk05(), tk20(sender="37835X1"), tk15(100000, 1), tk70()), 3, "sender bankgiro"),
    ((tk01(), tk05(), tk20(code="7"), tk15(100000, 1), tk70()), 3, "reference code '7'"),
    ((tk01(), tk05(), tk20()[:56], tk15(100000, 1), tk70()), 3, "payment channel"),
    ((tk01(), tk05(), tk20(serial="0000000000 1"), tk15(100000, 1), tk70()), 3, "BGC serial"),
    ((tk01(), tk05("99123X6"), tk20(), tk15(100000, 1), tk70()), 2, "receiver bankgiro"),
    ((tk01(), tk05(), tk20(), tk15(100000, 1)[:60] + "X" * 8 + "SEK00000001", tk70()), 4,
     "deposit total"),
    ((tk01(), tk05(), tk20(), tk15(100000, 1, paid_on=date(2025, 2, 1)).replace(
        "20250201", "20250230"), tk70()), 4, "payment date '20250230' is not a date"),
    ((tk01(), tk05(), tk20(), tk15(100000, 1, currency="EUR"), tk70()), 4,
     "closes a EUR deposit that TK05 on line 2 opened in SEK"),
    ((tk01(), tk05(), tk20(), tk15(100000, 2), tk70()), 4, "TK15 counts 2 payments"),
    ((tk01(), tk05(), tk20(), tk15(90000, 1), tk70()), 4, "totals 900.00 but"),
    # The deduction subtracts: a TK15 that adds it instead is wrong.
    ((tk01(), tk05(), tk20(), transaction("21", 30000), tk15(130000, 2), tk70(1, 1)), 5,
     "totals 1300.00 but its payments less deductions come to 700.00"),
    ((*MINIMAL[:-1], tk70(2, 0, 0, 1)), 5, "TK70 counts 2 payment records but the file has 1"),
    ((*MINIMAL[:-1], tk70(1, 1, 0, 1)), 5, "counts 1 deduction records but the file has 0"),
    ((*MINIMAL[:-1], tk70(1, 0, 3, 1)), 5, "counts 3 extra reference records"),
    ((*MINIMAL[:-1], tk70(1, 0, 0, 2)), 5, "counts 2 deposits but the file has 1"),
    ((*MINIMAL[:-1], tk70()[:10] + "0000000X" + tk70()[18:]), 5, "count of deduction records"),
    ((tk01(), tk05(), tk20(), "26Kalle", "26Kalle", tk15(100000, 1), tk70()), 5,
     "second TK26"),
    ((tk01(), tk05(), tk20() + " " * 10 + "X", tk15(100000, 1), tk70()), 3, "81 characters"),
    ((tk01(), "", tk05(), tk20(), tk15(100000, 1), tk70()), 2, "blank line"),
])
def test_refused(records, line, reason):
    error = rejection(*records)
    assert error.line == line
    assert reason in error.reason


@pytest.mark.parametrize("data, reason", [
    (b"", "The file is empty."),
    (b"\r\n \n\t\n", "The file is empty."),
    (bgmax(*MINIMAL[:-1]), "The file ends without a TK70 end record."),
    (bgmax(tk01()), "The file ends without a TK70 end record."),
    (bgmax(*MINIMAL[:3], "26Kalles Plåt AB", *MINIMAL[3:]).decode("iso-8859-1").encode(),
     "The file is UTF-8, not ISO-8859-1 as Bankgirot writes BgMax; someone has re-saved it, "
     "and its names would come out garbled."),
])
def test_refused_as_a_whole(data, reason):
    with pytest.raises(BgmaxError) as info:
        parse_bgmax(data)
    assert (info.value.line, info.value.reason) == (None, reason)


def test_every_field_read_to_its_last_column():
    # Every field filled to its width: a slice that ends one column early loses a character.
    payment = Payment(
        "1234567890", "R" * 25, 10**18 - 1, "4", "3", "987654321098", False,
        (Reference("9" * 25, 1, "2", False),), ("I" * 50,), "N" * 35, "A" * 35, "P" * 9,
        "C" * 35, "L" * 35, "123456789012", line=3)
    deposit = Deposit("9999999999", "8888888888", "SEK", date(2025, 12, 31), "99999",
                      10**18 - 1, (payment,))
    model = BgmaxFile("01", datetime(2025, 12, 31, 23, 59, 59, 999999), True, (deposit,), "")
    records, expected = render(model)
    data = bgmax(*records)
    assert parse_bgmax(data) == dataclasses.replace(expected, sha256=sha(data))


# --- any valid file: parse(render(model)) == model -------------------------------------------

LETTERS = st.sampled_from("ABCabcxyz019 -.,/&'ÅÄÖåäöéü")
DIGITS = st.text(st.sampled_from("0123456789"), min_size=1, max_size=10).map(
    lambda s: s.lstrip("0"))


def text(max_size):
    return st.text(LETTERS, max_size=max_size).map(str.strip)


@st.composite
def references(draw, code):
    if code == "2":
        return draw(st.text(st.sampled_from("0123456789"), min_size=2, max_size=25))
    return draw(text(25))


@st.composite
def extra_references(draw):
    code, deduction = draw(st.sampled_from("012345")), draw(st.booleans())
    amount = draw(st.integers(0, 10**9))
    return Reference(draw(references(code)), -amount if deduction else amount, code, deduction)


@st.composite
def payments(draw):
    code, deduction = draw(st.sampled_from("012345")), draw(st.booleans())
    amount = draw(st.integers(0, 10**12))
    return Payment(
        sender_bankgiro=draw(DIGITS), reference=draw(references(code)),
        amount_ore=-amount if deduction else amount, reference_code=code,
        channel=draw(st.sampled_from("1234")),
        bgc_serial=draw(st.text(st.sampled_from("0123456789"), min_size=12, max_size=12)),
        deduction=deduction, extra_references=tuple(draw(st.lists(extra_references(),
                                                                  max_size=3))),
        information=tuple(draw(st.lists(text(50), max_size=2))), payer_name=draw(text(35)),
        payer_address=draw(text(35)), payer_postal_code=draw(text(9)),
        payer_city=draw(text(35)), payer_country=draw(text(35)),
        payer_organisation_number=draw(st.sampled_from(["", "005500001234", "195505051234"])),
        line=0,  # the renderer knows where it lands
    )


@st.composite
def deposits(draw):
    # A deposit puts money in: its deductions never outweigh its payments.
    listed = draw(st.lists(payments(), max_size=4).filter(
        lambda ps: sum(p.amount_ore for p in ps) >= 0))
    return Deposit(
        receiver_bankgiro=draw(DIGITS.filter(bool)), receiver_plusgiro=draw(DIGITS),
        currency=draw(st.sampled_from(["SEK", "EUR", "NOK"])),
        payment_date=draw(st.dates(date(2000, 1, 1), date(2099, 12, 31))),
        deposit_serial=draw(st.integers(0, 99999).map("{:05d}".format)),
        total_ore=sum(p.amount_ore for p in listed), payments=tuple(listed),
    )


bgmax_files = st.builds(
    BgmaxFile, version=st.just("01"),
    created_at=st.datetimes(datetime(2000, 1, 1), datetime(2099, 12, 31)), test=st.booleans(),
    deposits=st.lists(deposits(), max_size=3).map(tuple), sha256=st.just(""))


def render(model: BgmaxFile) -> tuple[list[str], BgmaxFile]:
    """The file's records, and the model as the parser must see it (lines filled in)."""
    records, counts, deposits_seen = [tk01(model.created_at, model.test)], [0, 0, 0], []
    for deposit in model.deposits:
        records.append(tk05(deposit.receiver_bankgiro, deposit.receiver_plusgiro,
                            deposit.currency))
        seen = [render_payment(payment, records, counts) for payment in deposit.payments]
        records.append(tk15(deposit.total_ore, len(seen), deposit.currency,
                            deposit.deposit_serial, deposit.payment_date))
        deposits_seen.append(dataclasses.replace(deposit, payments=tuple(seen)))
    records.append(tk70(*counts, len(model.deposits)))
    return records, dataclasses.replace(model, deposits=tuple(deposits_seen))


def render_payment(payment, records, counts) -> Payment:
    line = len(records) + 1
    fields = dict(reference=payment.reference, code=payment.reference_code,
                  sender=payment.sender_bankgiro, channel=payment.channel,
                  serial=payment.bgc_serial)
    records.append(transaction("21" if payment.deduction else "20", abs(payment.amount_ore),
                               **fields))
    counts[payment.deduction] += 1
    for extra in payment.extra_references:
        records.append(transaction("23" if extra.deduction else "22", abs(extra.amount_ore),
                                   **{**fields, "reference": extra.reference,
                                      "code": extra.reference_code}))
        counts[2] += 1
    records.extend(f"25{info}" for info in payment.information)
    payer = (f"26{payment.payer_name}",
             f"27{payment.payer_address:<35}{payment.payer_postal_code}",
             f"28{payment.payer_city:<35}{payment.payer_country}",
             f"29{payment.payer_organisation_number}")
    records.extend(record for record in payer if record[2:].strip())  # absent when empty
    return dataclasses.replace(payment, line=line)


def compress_tabs(record: str, chunks: list[bool]) -> str:
    """What ``unexpand`` does: spaces that end at a multiple of 8 become one tab."""
    out = []
    for index in range(0, len(record), 8):
        chunk = record[index:index + 8]
        full = len(chunk) == 8 and index + 8 < len(record)
        if full and chunk.endswith(" ") and chunks[(index // 8) % len(chunks)]:
            chunk = chunk.rstrip(" ") + "\t"
        out.append(chunk)
    return "".join(out)


layouts = st.fixed_dictionaries({
    "eol": st.sampled_from(["\n", "\r\n"]),
    "width": st.sampled_from([0, 80, 84]),  # 0 = right-trimmed, like Bankgirot's example
    "tabs": st.lists(st.booleans(), min_size=1, max_size=10),
    "blank_tail": st.integers(0, 2),
})


def write(records, layout) -> bytes:
    lines = [compress_tabs(record.rstrip(), layout["tabs"]).ljust(layout["width"])
             for record in records]
    return bgmax(*lines, *[""] * layout["blank_tail"], eol=layout["eol"])


@settings(max_examples=200, deadline=None)
@given(model=bgmax_files, layout=layouts)
def test_parse_reads_what_render_wrote(model, layout):
    records, expected = render(model)
    data = write(records, layout)
    parsed = parse_bgmax(data)
    assert parsed == dataclasses.replace(expected, sha256=sha(data))
    for deposit in parsed.deposits:
        assert deposit.total_ore == sum(p.amount_ore for p in deposit.payments) >= 0
    assert parsed.amount_total_ore == sum(p.amount_ore for p in parsed.payments)


def count_fields(records):
    """(line, first, last) of every TK15 total and count and every TK70 count."""
    for line, record in enumerate(records, 1):
        if record.startswith("15"):
            yield from ((line, 50, 68), (line, 71, 79))
        elif record.startswith("70"):
            yield from ((line, start, start + 8) for start in (2, 10, 18, 26))


@settings(max_examples=200, deadline=None)
@given(model=bgmax_files, data=st.data())
def test_a_wrong_count_or_total_names_its_line(model, data):
    records, _ = render(model)
    line, first, last = data.draw(st.sampled_from(list(count_fields(records))))
    record = records[line - 1]
    written = int(record[first:last])
    wrong = data.draw(st.integers(0, 10 ** (last - first) - 1).filter(lambda n: n != written))
    records[line - 1] = f"{record[:first]}{wrong:0{last - first}d}{record[last:]}"
    with pytest.raises(BgmaxError) as info:
        parse_bgmax(bgmax(*records))
    assert info.value.line == line


@settings(max_examples=100, deadline=None)
@given(model=bgmax_files.filter(lambda f: f.payments), data=st.data())
def test_a_changed_payment_amount_fails_its_deposit(model, data):
    records, expected = render(model)
    payment = data.draw(st.sampled_from(expected.payments))
    record = records[payment.line - 1]
    amount = int(record[37:55])
    changed = data.draw(st.integers(0, 10**12).filter(lambda n: n != amount))
    records[payment.line - 1] = f"{record[:37]}{changed:018d}{record[55:]}"
    closing = next(line for line, record in enumerate(records, 1)
                   if line > payment.line and record.startswith("15"))
    with pytest.raises(BgmaxError) as info:
        parse_bgmax(bgmax(*records))
    assert info.value.line == closing
