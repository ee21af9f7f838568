"""Payouts to creditors, pure: what a day's payments owe each creditor (avräkning), and the
files that pay it out — Bankgirot Leverantörsbetalningar (LB) or ISO 20022 pain.001.

No ORM and no clock: the service hands in ledger rows and dates.

Settlement rule (issue 4, "Payouts and reports"): of a payment *to the agency* (ledger kind
"payment"), the capital and the interest it paid go to the creditor; the costs it paid are the
agency's income (statutory fees), except what repays the creditor's outlays (Kronofogden's
fees), which goes back to the creditor; a surplus is held for refund to the payer and is never
paid out. A direct payment (kind "direct_payment") reached the creditor already, so
its allocation rows are never paid out again.

LB record layouts (Bankgirot, "Leverantörsbetalningar, teknisk manual", LB-in, 80 positions,
ISO-8859-1), as followed by open-source writers and parsers (Open End AB's Bankgirot parser
``lbin_fielddefs``/``lbout_fielddefs``, the "bankgirot" TypeScript package's record tests):

TK11 öppningspost   1-2 "11" · 3-12 sender's bankgiro (right-aligned, zero-filled) ·
                    13-18 file date YYMMDD · 19-40 "LEVERANTÖRSBETALNINGAR" ·
                    41-46 payment date YYMMDD, "GENAST" or blank · 47-59 blank ·
                    60-62 currency "SEK" · 63-80 blank
TK14 betalningspost 1-2 "14" · 3-12 receiver's bankgiro (right-aligned, zero-filled) ·
                    13-37 OCR or reference (left-aligned) · 38-49 amount in öre
                    (right-aligned, zero-filled) · 50-55 payment date YYMMDD or "GENAST" ·
                    56-60 blank · 61-80 information to the sender (left-aligned)
TK29 summapost      1-2 "29" · 3-12 sender's bankgiro · 13-20 number of payment records ·
                    21-32 total in öre · 33 "-" when the total is negative, else blank ·
                    34-80 blank
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from xml.etree import ElementTree as ET

PAYMENT = "payment"
DIRECT_PAYMENT = "direct_payment"
# Kronofogden's fees (claims.enforcement): the creditor's outlays, booked as the debtor's
# costs; what payments repay of them goes back to the creditor, not to the agency.
OUTLAY_PREFIX = "fee:kfm_"
PAID_COSTS, PAID_INTEREST, PAID_CAPITAL, SURPLUS = (
    "paid_costs", "paid_interest", "paid_capital", "surplus")
ALLOCATIONS = (PAID_COSTS, PAID_INTEREST, PAID_CAPITAL, SURPLUS)

LB_PRODUCT = "LEVERANTÖRSBETALNINGAR"
LB_ENCODING = "iso-8859-1"
RECORD = 80
MAX_AMOUNT_ORE = 999_999_999_999  # 12 positions
PAIN001_NS = "urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"


# --- Settlement arithmetic ------------------------------------------------------------------

@dataclass(frozen=True)
class LedgerRow:
    """One ledger row of a claim, as the service reads it."""

    claim_id: int
    case_number: str
    debtor: str
    kind: str
    key: str
    amount_ore: int
    booked_on: date


@dataclass(frozen=True)
class CaseLine:
    """What one case's payments to the agency on a day paid, part by part."""

    claim_id: int
    case_number: str
    debtor: str
    paid_on: date
    paid_ore: int
    capital_ore: int
    interest_ore: int
    fees_ore: int  # the agency's: statutory fees
    surplus_ore: int
    outlays_ore: int = 0  # repaid outlays, back to the creditor
    # The agency's commission on the capital collected in efterbevakning (the creditor's
    # price list): kept from the payout.
    commission_ore: int = 0

    @property
    def payout_ore(self) -> int:
        return self.capital_ore + self.interest_ore + self.outlays_ore - self.commission_ore

    def as_json(self) -> dict:
        return {"claim_id": self.claim_id, "case_number": self.case_number,
                "debtor": self.debtor, "paid_on": self.paid_on.isoformat(),
                "paid_ore": self.paid_ore, "capital_ore": self.capital_ore,
                "interest_ore": self.interest_ore, "fees_ore": self.fees_ore,
                "outlays_ore": self.outlays_ore, "commission_ore": self.commission_ore,
                "surplus_ore": self.surplus_ore, "payout_ore": self.payout_ore}


@dataclass(frozen=True)
class Settled:
    """A creditor's settlement (avräkning) of a day: its cases and totals."""

    lines: tuple[CaseLine, ...]

    @property
    def capital_ore(self) -> int:
        return sum(line.capital_ore for line in self.lines)

    @property
    def interest_ore(self) -> int:
        return sum(line.interest_ore for line in self.lines)

    @property
    def fees_ore(self) -> int:
        return sum(line.fees_ore for line in self.lines)

    @property
    def surplus_ore(self) -> int:
        return sum(line.surplus_ore for line in self.lines)

    @property
    def paid_ore(self) -> int:
        return sum(line.paid_ore for line in self.lines)

    @property
    def outlays_ore(self) -> int:
        return sum(line.outlays_ore for line in self.lines)

    @property
    def commission_ore(self) -> int:
        return sum(line.commission_ore for line in self.lines)

    @property
    def payout_ore(self) -> int:
        """Capital, interest and repaid outlays, less the commission: what the payments owe
        the creditor."""
        return self.capital_ore + self.interest_ore + self.outlays_ore - self.commission_ore


def payment_key_of(allocation_key: str) -> str:
    """"payment:bgmax:X>capital" -> "payment:bgmax:X": the payment an allocation row details."""
    return allocation_key.rsplit(">", 1)[0]


def is_outlay(key: str) -> bool:
    return key.startswith(OUTLAY_PREFIX)


def outlay_parts(charges, paid) -> dict[str, int]:
    """Which part of each paid-costs row repaid an outlay.

    ``charges``: a claim's costs as (ledger key, öre), in the order payments pay them (oldest
    first); ``paid``: its paid-costs rows as (allocation key, öre), in the order they were
    booked. Each row pays the costs the rows before it left, so the answer is the overlap of
    its span with the outlays' spans. Returns {allocation key: öre of outlays} (rows that
    repaid none are left out)."""
    spans, start = [], 0
    for key, amount in charges:
        if is_outlay(key):
            spans.append((start, start + amount))
        start += amount
    parts, position = {}, 0
    for key, amount in paid:
        low, high = position, position + amount
        part = sum(max(0, min(high, end) - max(low, begin)) for begin, end in spans)
        if part:
            parts[key] = part
        position = high
    return parts


def commission(capital_ore: int, percent) -> int:
    """The commission on ``capital_ore`` at ``percent`` (a Decimal), whole öre, half up."""
    from decimal import ROUND_HALF_UP, Decimal

    return int((Decimal(capital_ore) * Decimal(percent) / 100).quantize(
        Decimal(1), rounding=ROUND_HALF_UP))


def settle(rows, outlays: dict[str, int] | None = None,
           commissions: dict[tuple[int, date], object] | None = None) -> Settled:
    """The settlement of one creditor's ledger rows of a day (payments and allocation rows).

    Only allocation rows of payments to the agency count: their payment row must be among
    ``rows`` with kind "payment". Everything else (direct payments, charges) is ignored.
    ``outlays`` ({paid-costs key: öre}, from ``outlay_parts``) moves what repaid the
    creditor's outlays from the agency's fees to the creditor; ``commissions`` ({(claim id,
    day): percent}) keeps the agency's commission on the capital a case paid that day.
    """
    rows, outlays, commissions = list(rows), outlays or {}, commissions or {}
    to_agency = {row.key: row for row in rows if row.kind == PAYMENT}
    parts: dict[tuple[int, date], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    cases: dict[tuple[int, date], LedgerRow] = {}
    for row in rows:
        if row.kind not in ALLOCATIONS or payment_key_of(row.key) not in to_agency:
            continue
        at = (row.claim_id, row.booked_on)
        parts[at][row.kind] += row.amount_ore
        if row.kind == PAID_COSTS:
            parts[at]["outlays"] += min(outlays.get(row.key, 0), row.amount_ore)
        cases.setdefault(at, row)
    paid: dict[tuple[int, date], int] = defaultdict(int)
    for row in to_agency.values():
        paid[(row.claim_id, row.booked_on)] += row.amount_ore
    lines = []
    for at, by_kind in parts.items():
        case = cases[at]
        lines.append(CaseLine(
            claim_id=case.claim_id, case_number=case.case_number, debtor=case.debtor,
            paid_on=case.booked_on, paid_ore=paid[at], capital_ore=by_kind[PAID_CAPITAL],
            interest_ore=by_kind[PAID_INTEREST],
            fees_ore=by_kind[PAID_COSTS] - by_kind["outlays"], outlays_ore=by_kind["outlays"],
            surplus_ore=by_kind[SURPLUS],
            commission_ore=commission(by_kind[PAID_CAPITAL], commissions[at])
            if at in commissions else 0))
    lines.sort(key=lambda line: (line.case_number, line.paid_on, line.claim_id))
    return Settled(lines=tuple(lines))


# --- Payout files -------------------------------------------------------------------------

@dataclass(frozen=True)
class Payout:
    """One transfer: to a bankgiro (a creditor's payout, a refund to a company), or to a
    Swedish bank account, clearing number and account (a refund to a person; pain.001 only:
    the LB records here pay bankgiro numbers)."""

    bankgiro: str
    amount_ore: int
    pay_on: date
    reference: str  # TK14 13-37 / pain.001 EndToEndId: ours, to find the payout again
    information: str = ""  # TK14 61-80 / pain.001 RmtInf: what the receiver's bank shows
    name: str = ""  # pain.001 Cdtr/Nm
    clearing: str = ""
    account: str = ""

    @property
    def to_account(self) -> bool:
        return not self.bankgiro


class PayoutFileError(ValueError):
    """A payout that cannot be written as asked (a programming or data error)."""


def bankgiro_digits(bankgiro: str) -> str:
    """"5050-1055" -> "50501055"; a bankgiro number has 7 or 8 digits."""
    digits = re.sub(r"[\s-]", "", bankgiro or "")
    if not re.fullmatch(r"[0-9]{7,8}", digits):
        raise PayoutFileError(f"not a bankgiro number: {bankgiro!r}")
    return digits


def clearing_digits(clearing: str) -> str:
    """A Swedish clearing number, digits only: four digits (five with Swedbank's check digit,
    8xxx-x)."""
    digits = re.sub(r"[\s.-]", "", clearing or "")
    if not re.fullmatch(r"[1-9][0-9]{3}|8[0-9]{4}", digits):
        raise PayoutFileError(f"not a clearing number: {clearing!r}")
    return digits


def account_digits(account: str) -> str:
    """A Swedish account number, digits only: at most twelve (each bank's own rules for its
    ranges are the bank's to check)."""
    digits = re.sub(r"[\s.-]", "", account or "")
    if not re.fullmatch(r"[0-9]{1,12}", digits):
        raise PayoutFileError(f"not an account number: {account!r}")
    return digits


def bank_account_digits(clearing: str, account: str) -> tuple[str, str]:
    return clearing_digits(clearing), account_digits(account)


def _check(payments, *, accounts: bool) -> list[Payout]:
    payments = list(payments)
    if not payments:
        raise PayoutFileError("a payout file needs at least one payment")
    for p in payments:
        if not 0 < p.amount_ore <= MAX_AMOUNT_ORE:
            raise PayoutFileError(f"amount out of range: {p.amount_ore}")
        if p.to_account and not accounts:
            raise PayoutFileError(f"{p.reference}: this file pays bankgiro numbers only")
        if p.to_account:
            bank_account_digits(p.clearing, p.account)
        else:
            bankgiro_digits(p.bankgiro)
    return payments


def _text(value: str, width: int) -> str:
    """Left-aligned, cut to the field and to what ISO-8859-1 can carry (no line breaks)."""
    clean = re.sub(r"[\r\n\t]", " ", value or "")
    clean = clean.encode(LB_ENCODING, "replace").decode(LB_ENCODING)
    return clean[:width].ljust(width)


def _number(value: int, width: int) -> str:
    text = str(value)
    if value < 0 or len(text) > width:
        raise PayoutFileError(f"{value} does not fit {width} positions")
    return text.zfill(width)


def _yymmdd(day: date) -> str:
    return day.strftime("%y%m%d")


def lb_opening(*, sender_bankgiro: str, created_on: date) -> str:
    # 41-46 blank: each TK14 carries its own payment date.
    return ("11" + bankgiro_digits(sender_bankgiro).zfill(10) + _yymmdd(created_on)
            + LB_PRODUCT + " " * 6 + " " * 13 + "SEK" + " " * 18)


def lb_payment(p: Payout) -> str:
    return ("14" + bankgiro_digits(p.bankgiro).zfill(10) + _text(p.reference, 25)
            + _number(p.amount_ore, 12) + _yymmdd(p.pay_on) + " " * 5
            + _text(p.information, 20))


def lb_sum(*, sender_bankgiro: str, count: int, total_ore: int) -> str:
    return ("29" + bankgiro_digits(sender_bankgiro).zfill(10) + _number(count, 8)
            + _number(abs(total_ore), 12) + ("-" if total_ore < 0 else " ") + " " * 47)


def lb_file(*, sender_bankgiro: str, created_on: date, payments) -> bytes:
    """An LB file (one section: TK11, a TK14 per payment, TK29), ISO-8859-1, CRLF."""
    payments = _check(payments, accounts=False)
    records = [lb_opening(sender_bankgiro=sender_bankgiro, created_on=created_on),
               *(lb_payment(p) for p in payments),
               lb_sum(sender_bankgiro=sender_bankgiro, count=len(payments),
                      total_ore=sum(p.amount_ore for p in payments))]
    for record in records:
        assert len(record) == RECORD, (len(record), record)
    return "".join(record + "\r\n" for record in records).encode(LB_ENCODING)


@dataclass(frozen=True)
class LbPayment:
    bankgiro: str
    reference: str
    amount_ore: int
    pay_on: date
    information: str


@dataclass(frozen=True)
class LbFile:
    sender_bankgiro: str
    created_on: date
    payments: tuple[LbPayment, ...]
    count: int
    total_ore: int


def parse_lb(data: bytes) -> LbFile:
    """Read back an LB file as written here (the tests' round trip, and the admin's check)."""
    lines = data.decode(LB_ENCODING).split("\r\n")
    if lines[-1] == "":
        lines.pop()
    if any(len(line) != RECORD for line in lines):
        raise PayoutFileError("every record has 80 positions")
    head, *body, tail = lines
    if head[:2] != "11" or head[18:40] != LB_PRODUCT or head[59:62] != "SEK":
        raise PayoutFileError("no TK11 opening record")
    if tail[:2] != "29":
        raise PayoutFileError("no TK29 sum record")
    payments = []
    for line in body:
        if line[:2] != "14":
            raise PayoutFileError(f"unexpected record {line[:2]}")
        payments.append(LbPayment(
            bankgiro=line[2:12].lstrip("0"), reference=line[12:37].rstrip(),
            amount_ore=int(line[37:49]), pay_on=datetime.strptime(line[49:55], "%y%m%d").date(),
            information=line[60:80].rstrip()))
    total = int(tail[20:32]) * (-1 if tail[32] == "-" else 1)
    return LbFile(sender_bankgiro=head[2:12].lstrip("0"),
                  created_on=datetime.strptime(head[12:18], "%y%m%d").date(),
                  payments=tuple(payments), count=int(tail[12:20]), total_ore=total)


def _sek(ore: int) -> str:
    return f"{ore // 100}.{ore % 100:02d}"


def _sub(parent, tag: str, text: str | None = None, **attrs):
    element = ET.SubElement(parent, tag, attrs)
    if text is not None:
        element.text = text
    return element


def _bankgiro_account(parent, tag: str, bankgiro: str, currency: bool = False):
    account = _sub(parent, tag)
    other = _sub(_sub(account, "Id"), "Othr")
    _sub(other, "Id", bankgiro_digits(bankgiro))
    _sub(_sub(other, "SchmeNm"), "Prtry", "BGNR")
    if currency:
        _sub(account, "Ccy", "SEK")


def pain001(*, message_id: str, created_at: datetime, debtor_name: str,
            debtor_organisation_number: str, debtor_bankgiro: str, debtor_bic: str = "",
            pay_on: date, payments) -> bytes:
    """ISO 20022 CustomerCreditTransferInitiation (pain.001.001.03): one PmtInf from the
    agency's bankgiro, one CdtTrfTxInf per payout to a creditor's bankgiro (BGNR, routed
    through Bankgirot: clearing SESBA 9900; a bank account as its BBAN, routed by its
    clearing number, as the Swedish common interpretation of ISO 20022 has it)."""
    payments = _check(payments, accounts=True)
    total = sum(p.amount_ore for p in payments)
    document = ET.Element("Document", {"xmlns": PAIN001_NS})
    root = _sub(document, "CstmrCdtTrfInitn")
    header = _sub(root, "GrpHdr")
    _sub(header, "MsgId", message_id[:35])
    _sub(header, "CreDtTm", created_at.replace(microsecond=0).isoformat())
    _sub(header, "NbOfTxs", str(len(payments)))
    _sub(header, "CtrlSum", _sek(total))
    initiator = _sub(header, "InitgPty")
    _sub(initiator, "Nm", debtor_name[:70])
    org = _sub(_sub(_sub(initiator, "Id"), "OrgId"), "Othr")
    _sub(org, "Id", re.sub(r"\D", "", debtor_organisation_number))
    _sub(_sub(org, "SchmeNm"), "Cd", "BANK")
    info = _sub(root, "PmtInf")
    _sub(info, "PmtInfId", message_id[:35])
    _sub(info, "PmtMtd", "TRF")
    _sub(info, "NbOfTxs", str(len(payments)))
    _sub(info, "CtrlSum", _sek(total))
    _sub(_sub(_sub(info, "PmtTpInf"), "SvcLvl"), "Cd", "NURG")
    _sub(info, "ReqdExctnDt", pay_on.isoformat())
    _sub(_sub(info, "Dbtr"), "Nm", debtor_name[:70])
    _bankgiro_account(info, "DbtrAcct", debtor_bankgiro, currency=True)
    institution = _sub(_sub(info, "DbtrAgt"), "FinInstnId")
    if debtor_bic:
        _sub(institution, "BIC", debtor_bic)
    else:  # DbtrAgt is mandatory; the bank knows its own customer's account
        _sub(_sub(institution, "Othr"), "Id", "NOTPROVIDED")
    _sub(info, "ChrgBr", "SLEV")
    for p in payments:
        tx = _sub(info, "CdtTrfTxInf")
        _sub(_sub(tx, "PmtId"), "EndToEndId", p.reference[:35])
        _sub(_sub(tx, "Amt"), "InstdAmt", _sek(p.amount_ore), Ccy="SEK")
        clearing, account = (bank_account_digits(p.clearing, p.account) if p.to_account
                             else ("9900", ""))
        member = _sub(_sub(_sub(tx, "CdtrAgt"), "FinInstnId"), "ClrSysMmbId")
        _sub(_sub(member, "ClrSysId"), "Cd", "SESBA")
        _sub(member, "MmbId", clearing)
        _sub(_sub(tx, "Cdtr"), "Nm", (p.name or p.reference)[:70])
        if p.to_account:
            other = _sub(_sub(_sub(tx, "CdtrAcct"), "Id"), "Othr")
            _sub(other, "Id", clearing + account)
            _sub(_sub(other, "SchmeNm"), "Cd", "BBAN")
        else:
            _bankgiro_account(tx, "CdtrAcct", p.bankgiro)
        _sub(_sub(tx, "RmtInf"), "Ustrd", (p.information or p.reference)[:140])
    ET.indent(document)
    return ET.tostring(document, encoding="utf-8", xml_declaration=True)
