"""Which claim an incoming payment is for. Pure: the caller looks the candidates up.

The order (issue 4): the OCR reference when Bankgirot says it is a valid OCR (reference code
2); then any reference the payer gave (the reference field whatever its code, the extra
references of TK22/23, the information texts of TK25) that is a claim's OCR or case number;
otherwise the payment is left for a case handler. Two different claims named by one payment
is not a guess ekrav makes: that too goes to a handler.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from ekrav.identifiers import ocr_valid

OCR_CODE = "2"
# Digit runs, and the same allowing the spaces and dashes people type inside a number
# ("1234 5678-9"): both, since "4711 4712" may be one OCR or two.
_DIGITS = re.compile(r"\d+")
_SPACED = re.compile(r"\d[\d \-]*\d")


@dataclass(frozen=True)
class Match:
    claim_id: int | None
    by: str  # "ocr", "reference" or "" (unmatched)
    reason: str = ""  # why a payment was left for a handler


def candidates(reference: str, texts: Iterable[str]) -> set[str]:
    """Every number in the payer's texts that could be an OCR or a case number."""
    found = set()
    for text in (reference, *texts):
        runs = _DIGITS.findall(text or "") + [re.sub(r"[ \-]", "", run)
                                              for run in _SPACED.findall(text or "")]
        found.update(digits for digits in runs if 2 <= len(digits) <= 25)
    return found


def match_payment(*, reference: str, reference_code: str, texts: Iterable[str],
                  claims_by_ocr: Mapping[str, int],
                  claims_by_case: Mapping[str, int]) -> Match:
    reference = (reference or "").strip()
    if reference_code == OCR_CODE and reference in claims_by_ocr:
        return Match(claim_id=claims_by_ocr[reference], by="ocr")
    found = set()
    for number in candidates(reference, texts):
        if ocr_valid(number) and number in claims_by_ocr:
            found.add(claims_by_ocr[number])
        elif number in claims_by_case:
            found.add(claims_by_case[number])
    if len(found) == 1:
        return Match(claim_id=found.pop(), by="reference")
    if found:
        return Match(claim_id=None, by="",
                     reason="Betalningen anger flera ärenden; fördela den manuellt.")
    return Match(claim_id=None, by="", reason="Ingen OCR eller referens som hör till ett ärende.")
