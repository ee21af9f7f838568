"""Matching a payment to a claim (pure): OCR first, then any reference, never a guess."""

import pytest
from hypothesis import given, strategies as st

from ekrav.identifiers import ocr_from_base
from payments.matching import candidates, match_payment

OCR_A, OCR_B = ocr_from_base("4711000"), ocr_from_base("4711001")
BY_OCR = {OCR_A: 1, OCR_B: 2, "655969": 3}
BY_CASE = {"100007": 7}


def match(reference="", code="2", texts=()):
    return match_payment(reference=reference, reference_code=code, texts=texts,
                         claims_by_ocr=BY_OCR, claims_by_case=BY_CASE)


@pytest.mark.parametrize("reference, code, texts, expected", [
    (OCR_A, "2", (), (1, "ocr")),
    ("655969", "2", (), (3, "ocr")),  # as Bankgirot validated it, even without a length digit
    (OCR_A, "3", (), (1, "reference")),  # not validated by Bankgirot: found as a reference
    ("", "1", (f"Faktura {OCR_B}",), (2, "reference")),  # in a TK25 text
    ("", "1", ("Ärende 100007",), (7, "reference")),  # the case number
    (f"{OCR_A[:4]} {OCR_A[4:]}", "3", (), (1, "reference")),  # typed with a space
    ("", "1", (), (None, "")),
    ("999999", "2", (), (None, "")),  # a valid-looking OCR that is nobody's
])
def test_match(reference, code, texts, expected):
    found = match(reference, code, texts)
    assert (found.claim_id, found.by) == expected
    assert bool(found.reason) == (found.claim_id is None)


def test_two_claims_in_one_payment_go_to_a_handler():
    found = match(f"{OCR_A} {OCR_B}", "3")
    assert found.claim_id is None and "flera" in found.reason


def test_a_number_failing_its_check_digit_is_not_an_ocr():
    broken = OCR_A[:-1] + str((int(OCR_A[-1]) + 1) % 10)
    assert match(broken, "3").claim_id is None


@given(st.text(max_size=80))
def test_candidates_are_digit_strings_of_ocr_length(text):
    assert all(c.isdigit() and 2 <= len(c) <= 25 for c in candidates(text, [text]))


@given(st.sampled_from([OCR_A, OCR_B]), st.text(alphabet=" abcåäöABC:-,.", max_size=20),
       st.text(alphabet=" abcåäöABC:-,.", max_size=20))
def test_an_ocr_anywhere_in_the_text_is_found(ocr, before, after):
    found = match("", "1", (f"{before} {ocr} {after}",))
    assert found.claim_id == BY_OCR[ocr]
