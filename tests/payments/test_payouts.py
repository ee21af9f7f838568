"""payments.payouts, pure: the settlement arithmetic and the LB and pain.001 writers."""

from datetime import date, datetime
from xml.etree import ElementTree as ET

import pytest
from hypothesis import given, settings as hsettings, strategies as st

from payments import payouts
from payments.payouts import LedgerRow, Payout, PayoutFileError

DAY = date(2026, 11, 23)
NS = {"p": payouts.PAIN001_NS}


def row(kind, key, amount, claim=1, case="K-1", day=DAY):
    return LedgerRow(claim_id=claim, case_number=case, debtor="Dan", kind=kind, key=key,
                     amount_ore=amount, booked_on=day)


def payment_rows(key, *, costs=0, interest=0, capital=0, surplus=0, claim=1, case="K-1",
                 kind="payment"):
    rows = [row(kind, key, costs + interest + capital + surplus, claim, case)]
    for part, amount in (("costs", costs), ("interest", interest), ("capital", capital),
                         ("surplus", surplus)):
        if amount:
            rows.append(row(f"paid_{part}" if part != "surplus" else "surplus",
                            f"{key}>{part}", amount, claim, case))
    return rows


def test_capital_and_interest_are_paid_out_fees_and_surplus_are_not():
    settled = payouts.settle(payment_rows("payment:bgmax:1", costs=18000, interest=1234,
                                          capital=100000, surplus=500))
    assert settled.payout_ore == 101234
    assert (settled.capital_ore, settled.interest_ore, settled.fees_ore,
            settled.surplus_ore, settled.paid_ore) == (100000, 1234, 18000, 500, 119734)
    (line,) = settled.lines
    assert line.case_number == "K-1" and line.paid_on == DAY and line.payout_ore == 101234


def test_direct_payments_are_never_paid_out():
    settled = payouts.settle(payment_rows("direct:abc", capital=5000, kind="direct_payment"))
    assert settled.lines == () and settled.payout_ore == 0


def test_allocation_rows_without_their_payment_row_are_ignored():
    rows = payment_rows("payment:swish:9", capital=5000)[1:]
    assert payouts.settle(rows).lines == ()


def test_cases_are_lines_sorted_by_case_number_and_payments_of_a_case_add_up():
    rows = (payment_rows("payment:bgmax:2", capital=300, claim=2, case="K-2")
            + payment_rows("payment:bgmax:1", capital=100, interest=5, claim=1, case="K-1")
            + payment_rows("payment:swish:3", capital=200, claim=1, case="K-1"))
    settled = payouts.settle(rows)
    assert [line.case_number for line in settled.lines] == ["K-1", "K-2"]
    assert settled.lines[0].capital_ore == 300 and settled.lines[0].paid_ore == 305
    assert settled.lines[0].as_json()["payout_ore"] == 305


@given(st.lists(st.tuples(st.integers(0, 10**7), st.integers(0, 10**6), st.integers(0, 10**8),
                          st.integers(0, 10**6), st.booleans()), max_size=20))
def test_settle_totals_are_the_sum_of_agency_payments(parts):
    rows, expected = [], 0
    for n, (costs, interest, capital, surplus, direct) in enumerate(parts):
        if costs + interest + capital + surplus == 0:
            continue
        kind = "direct_payment" if direct else "payment"
        rows += payment_rows(f"{'direct' if direct else 'payment:bgmax'}:{n}", costs=costs,
                             interest=interest, capital=capital, surplus=surplus, kind=kind,
                             claim=n % 3, case=f"K-{n % 3}")
        expected += 0 if direct else capital + interest
    settled = payouts.settle(rows)
    assert settled.payout_ore == expected
    assert settled.payout_ore == sum(line.payout_ore for line in settled.lines)
    assert all(line.payout_ore >= 0 for line in settled.lines)


# --- LB ---

def pay(amount=12345, bankgiro="991-2346", reference="EKRAV-20261123-7", info="Avräkning"):
    return Payout(bankgiro=bankgiro, amount_ore=amount, pay_on=date(2026, 11, 24),
                  reference=reference, information=info, name="Charlie AB")


def lines_of(data: bytes) -> list[str]:
    text = data.decode("iso-8859-1")
    assert text.endswith("\r\n") and "\n" not in text.replace("\r\n", "")
    return text.split("\r\n")[:-1]


def test_lb_records_follow_the_layout():
    data = payouts.lb_file(sender_bankgiro="5050-1055", created_on=DAY, payments=[pay()])
    tk11, tk14, tk29 = lines_of(data)
    assert tk11[0:2] == "11" and tk11[2:12] == "0050501055" and tk11[12:18] == "261123"
    assert tk11[18:40] == "LEVERANTÖRSBETALNINGAR" and tk11[40:59] == " " * 19
    assert tk11[59:62] == "SEK" and tk11[62:80] == " " * 18
    assert tk14[0:2] == "14" and tk14[2:12] == "0009912346"
    assert tk14[12:37] == "EKRAV-20261123-7".ljust(25) and tk14[37:49] == "000000012345"
    assert tk14[49:55] == "261124" and tk14[55:60] == " " * 5
    assert tk14[60:80] == "Avräkning".ljust(20)
    assert tk29[0:2] == "29" and tk29[2:12] == "0050501055" and tk29[12:20] == "00000001"
    assert tk29[20:32] == "000000012345" and tk29[32:80] == " " * 48
    assert "ä".encode("iso-8859-1") in data  # ISO-8859-1, not UTF-8
    assert "Ö".encode("iso-8859-1") in data


@pytest.mark.parametrize("bad", [
    {"amount": 0}, {"amount": -1}, {"amount": 10**12}, {"bankgiro": "12-34"},
    {"bankgiro": "abc1234"}, {"bankgiro": ""}, {"bankgiro": "\u0661234567"}])
def test_lb_refuses_what_it_cannot_write(bad):
    with pytest.raises(PayoutFileError):
        payouts.lb_file(sender_bankgiro="5050-1055", created_on=DAY, payments=[pay(**bad)])


def test_lb_refuses_an_empty_file_and_a_bad_sender():
    with pytest.raises(PayoutFileError):
        payouts.lb_file(sender_bankgiro="5050-1055", created_on=DAY, payments=[])
    with pytest.raises(PayoutFileError):
        payouts.lb_file(sender_bankgiro="x", created_on=DAY, payments=[pay()])


def test_lb_cuts_long_texts_and_replaces_what_latin1_cannot_carry():
    data = payouts.lb_file(sender_bankgiro="5050-1055", created_on=DAY, payments=[
        pay(reference="R" * 40, info="Łódź\r\nrad två och mer text")])
    tk14 = lines_of(data)[1]
    assert len(tk14) == 80 and tk14[12:37] == "R" * 25 and tk14[60:80] == "?ód?  rad två och me"


texts = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40)


@hsettings(max_examples=200)
@given(st.lists(st.tuples(st.integers(1, payouts.MAX_AMOUNT_ORE // 100),
                          st.from_regex(r"[1-9][0-9]{6,7}", fullmatch=True), texts, texts),
                min_size=1, max_size=30))
def test_lb_round_trip(items):
    payments = [Payout(bankgiro=bg, amount_ore=amount, pay_on=DAY, reference=ref,
                       information=info) for amount, bg, ref, info in items]
    data = payouts.lb_file(sender_bankgiro="50501055", created_on=DAY, payments=payments)
    assert all(len(line) == 80 for line in lines_of(data))
    parsed = payouts.parse_lb(data)
    assert parsed.count == len(payments) == len(parsed.payments)
    assert parsed.total_ore == sum(p.amount_ore for p in payments)
    assert [p.amount_ore for p in parsed.payments] == [p.amount_ore for p in payments]
    assert [p.bankgiro for p in parsed.payments] == [p.bankgiro for p in payments]
    assert parsed.sender_bankgiro == "50501055" and parsed.created_on == DAY


# --- pain.001 ---

def pain(payments, **kw):
    return payouts.pain001(message_id="EKRAV-20261123-1", created_at=datetime(2026, 11, 23, 17),
                           debtor_name="ekrav Inkasso AB", debtor_organisation_number="559999-0008",
                           debtor_bankgiro="5050-1055", pay_on=date(2026, 11, 24),
                           payments=payments, **kw)


def test_pain001_structure():
    root = ET.fromstring(pain([pay(), pay(amount=5, bankgiro="5050-1055")]))
    assert root.tag == f"{{{payouts.PAIN001_NS}}}Document"
    header = root.find("p:CstmrCdtTrfInitn/p:GrpHdr", NS)
    assert header.find("p:NbOfTxs", NS).text == "2"
    assert header.find("p:CtrlSum", NS).text == "123.50"
    (info,) = root.findall("p:CstmrCdtTrfInitn/p:PmtInf", NS)
    assert info.find("p:ReqdExctnDt", NS).text == "2026-11-24"
    assert info.find("p:DbtrAcct/p:Id/p:Othr/p:Id", NS).text == "50501055"
    assert info.find("p:DbtrAcct/p:Id/p:Othr/p:SchmeNm/p:Prtry", NS).text == "BGNR"
    assert info.find("p:DbtrAgt/p:FinInstnId/p:Othr/p:Id", NS).text == "NOTPROVIDED"
    txs = info.findall("p:CdtTrfTxInf", NS)
    assert [t.find("p:PmtId/p:EndToEndId", NS).text for t in txs] == ["EKRAV-20261123-7"] * 2
    first = txs[0]
    amount = first.find("p:Amt/p:InstdAmt", NS)
    assert (amount.text, amount.get("Ccy")) == ("123.45", "SEK")
    assert first.find("p:CdtrAcct/p:Id/p:Othr/p:Id", NS).text == "9912346"
    assert first.find("p:CdtrAcct/p:Id/p:Othr/p:SchmeNm/p:Prtry", NS).text == "BGNR"
    assert first.find("p:CdtrAgt/p:FinInstnId/p:ClrSysMmbId/p:MmbId", NS).text == "9900"
    assert first.find("p:RmtInf/p:Ustrd", NS).text == "Avräkning"
    assert first.find("p:Cdtr/p:Nm", NS).text == "Charlie AB"


def test_pain001_with_bic():
    root = ET.fromstring(pain([pay()], debtor_bic="ESSESESS"))
    assert root.find("p:CstmrCdtTrfInitn/p:PmtInf/p:DbtrAgt/p:FinInstnId/p:BIC",
                     NS).text == "ESSESESS"


@given(st.lists(st.integers(1, 10**11), min_size=1, max_size=25))
def test_pain001_sums_round_trip(amounts):
    root = ET.fromstring(pain([pay(amount=a) for a in amounts]))
    got = [int(e.text.replace(".", "")) for e in root.iter(f"{{{payouts.PAIN001_NS}}}InstdAmt")]
    assert got == amounts
    ctrl = root.find("p:CstmrCdtTrfInitn/p:GrpHdr/p:CtrlSum", NS).text
    assert int(ctrl.replace(".", "")) == sum(amounts)
    assert root.find("p:CstmrCdtTrfInitn/p:PmtInf/p:NbOfTxs", NS).text == str(len(amounts))


# --- Bank accounts (refunds to people) ---------------------------------------------------------

def to_account(clearing="8327-9", account="123 456 789-0"):
    return Payout(bankgiro="", clearing=clearing, account=account, amount_ore=2500,
                  pay_on=DAY, reference="EKRAV-R1", name="Kim")


@pytest.mark.parametrize("clearing, expected", [
    ("3300", "3300"), ("8327-9", "83279"), ("8327 9", "83279"), ("6000", "6000")])
def test_clearing_numbers(clearing, expected):
    assert payouts.clearing_digits(clearing) == expected


@pytest.mark.parametrize("clearing", ["", "330", "0300", "33000", "83279-1", "33a0"])
def test_bad_clearing_numbers(clearing):
    with pytest.raises(PayoutFileError):
        payouts.clearing_digits(clearing)


@pytest.mark.parametrize("account", ["", "1234567890123", "12a4"])
def test_bad_account_numbers(account):
    with pytest.raises(PayoutFileError):
        payouts.account_digits(account)


def test_lb_pays_bankgiro_numbers_only():
    with pytest.raises(PayoutFileError, match="bankgiro numbers only"):
        payouts.lb_file(sender_bankgiro="991-2346", created_on=DAY,
                        payments=[pay(), to_account()])


def test_pain001_pays_a_bank_account_as_its_bban():
    root = ET.fromstring(pain([pay(), to_account()]))
    giro, account = root.findall(".//p:CdtTrfTxInf", NS)
    assert giro.find("p:CdtrAgt/p:FinInstnId/p:ClrSysMmbId/p:MmbId", NS).text == "9900"
    assert account.find("p:CdtrAgt/p:FinInstnId/p:ClrSysMmbId/p:MmbId", NS).text == "83279"
    other = account.find("p:CdtrAcct/p:Id/p:Othr", NS)
    assert other.find("p:Id", NS).text == "832791234567890"
    assert other.find("p:SchmeNm/p:Cd", NS).text == "BBAN"
    assert root.find(".//p:GrpHdr/p:CtrlSum", NS).text == "148.45"


def test_pain001_refuses_a_bad_bank_account():
    with pytest.raises(PayoutFileError):
        pain([to_account(clearing="12")])


# --- Outlays: Kronofogden's fees, repaid to the creditor ----------------------------------------

CHARGES = [("fee:reminder_fee", 6000), ("fee:collection_fee", 18000),
           ("fee:kfm_application_fee:1", 30000)]


def test_costs_are_paid_oldest_first_so_the_outlay_is_repaid_last():
    parts = payouts.outlay_parts(CHARGES, [("p1>costs", 10000), ("p2>costs", 20000),
                                           ("p3>costs", 24000)])
    assert parts == {"p2>costs": 6000, "p3>costs": 24000}


@given(st.lists(st.tuples(st.sampled_from(["fee:reminder_fee", "fee:collection_fee",
                                           "fee:kfm_application_fee:1",
                                           "fee:kfm_enforcement_fee:1"]),
                          st.integers(1, 100_000)), max_size=6),
       st.lists(st.integers(1, 100_000), max_size=6))
def test_outlay_parts_never_exceed_the_outlays_or_the_rows(charges, amounts):
    total = sum(amount for _key, amount in charges)
    paid, left = [], total
    for n, amount in enumerate(amounts):  # payments never pay more costs than were charged
        amount = min(amount, left)
        if amount:
            paid.append((f"p{n}>costs", amount))
            left -= amount
    parts = payouts.outlay_parts(charges, paid)
    assert all(0 < parts[key] <= amount for key, amount in paid if key in parts)
    outlays = sum(amount for key, amount in charges if payouts.is_outlay(key))
    assert sum(parts.values()) <= outlays
    if left == 0:  # every cost paid: every outlay repaid
        assert sum(parts.values()) == outlays


def test_a_repaid_outlay_goes_to_the_creditor_not_the_agency():
    rows = payment_rows("payment:bgmax:1", costs=54000, interest=100, capital=1000)
    settled = payouts.settle(rows, outlays={"payment:bgmax:1>costs": 30000})
    (line,) = settled.lines
    assert (line.fees_ore, line.outlays_ore, line.payout_ore) == (24000, 30000, 31100)
    assert settled.outlays_ore == 30000 and settled.payout_ore == 31100
    assert line.as_json()["outlays_ore"] == 30000


@pytest.mark.parametrize("capital, percent, expected", [
    (10000, "15", 1500), (333, "10", 33), (335, "10", 34), (12345, "0", 0), (999, "100", 999)])
def test_commission_is_whole_ore_half_up(capital, percent, expected):
    from decimal import Decimal

    assert payouts.commission(capital, Decimal(percent)) == expected


def test_the_commission_is_kept_from_the_payout():
    from decimal import Decimal

    rows = payment_rows("payment:bgmax:1", interest=100, capital=10000)
    settled = payouts.settle(rows, commissions={(1, DAY): Decimal("20")})
    (line,) = settled.lines
    assert (line.commission_ore, line.payout_ore) == (2000, 8100)
    assert settled.payout_ore == 8100 and line.as_json()["commission_ore"] == 2000
