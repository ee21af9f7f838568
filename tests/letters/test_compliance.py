"""The compliance check and the letter's text, on sample letters: a complete letter passes,
and each missing piece of inkassolagen's content is named."""

import dataclasses
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, strategies as st

from claims import interest
from claims.law_seed import RATES
from letters.compliance import content_problems, required_phrases, text_problems
from letters.content import DEMAND, REMINDER
from letters.render import letter_html, render_html, render_letter
from letters.samples import agency_party, sample_letter
from letters.swish import swish_qr_text

AGENCY = {"name": "ekrav Inkasso AB", "organisation_number": "5599990008", "street": "Box 123",
          "postal_code": "11122", "city": "Stockholm", "phone": "08-123 456 00",
          "email": "kundtjanst@ekrav.se", "bankgiro": "50501055",
          "swish_number": "1231181189", "licence": "Tillstånd från Finansinspektionen"}
RATE_TABLE = [interest.ReferenceRate(valid_from=d, rate=Decimal(r)) for d, r, _v in RATES]
MONDAY = date(2026, 11, 23)


def sample(kind=DEMAND, **changes):
    letter = sample_letter(kind=kind, today=MONDAY, agency=agency_party(AGENCY),
                           agency_bankgiro=AGENCY["bankgiro"],
                           swish_number=AGENCY["swish_number"],
                           mitt_arende_url="https://ekrav.se/mitt-arende/", rates=RATE_TABLE)
    letter = dataclasses.replace(letter, samples=False)
    return dataclasses.replace(letter, **changes)


def test_swish_qr_text_follows_the_c2b_specification():
    # Swish QR-code specification 6.1: C<payee>;<amount, decimal comma>;<message>;<mask>
    assert swish_qr_text(payee="1237856901", amount_ore=10000, ocr="12229445") == \
        "C1237856901;100,00;12229445;0"
    assert swish_qr_text(payee="1231181189", amount_ore=276740, ocr="4711") == \
        "C1231181189;2767,40;4711;0"


@pytest.mark.parametrize("bad", [dict(payee="123-456", amount_ore=1, ocr="1"),
                                 dict(payee="123", amount_ore=0, ocr="1"),
                                 dict(payee="123", amount_ore=1, ocr="1", mask=8)])
def test_swish_qr_text_refuses_what_the_app_cannot_read(bad):
    with pytest.raises(ValueError):
        swish_qr_text(**bad)


@given(st.integers(min_value=1, max_value=10**11))
def test_swish_amount_is_the_letters_amount_to_the_ore(ore):
    amount = swish_qr_text(payee="1231181189", amount_ore=ore, ocr="18").split(";")[1]
    kronor, rest = amount.split(",")
    assert int(kronor) * 100 + int(rest) == ore and len(rest) == 2


@pytest.mark.parametrize("kind", [REMINDER, DEMAND])
def test_a_complete_sample_letter_passes(kind):
    assert content_problems(sample(kind)) == []


def _agency(**changes):
    return dataclasses.replace(agency_party(AGENCY), **changes)


@pytest.mark.parametrize("changes, expected", [
    ({"creditor": None}, "Borgenärens namn"),
    ({"invoices": ()}, "Grunden för kravet"),
    ({"deadline": date(2026, 11, 30)}, "kortare än 8 dagar"),  # a demand: at least 8 days
    ({"deadline": date(2026, 12, 6)}, "inte en bankdag"),  # a Sunday
    ({"letter_date": date(2026, 11, 22)}, "bara på bankdagar"),
    ({"total_ore": 1}, "summerar inte"),
    ({"capital_ore": 1}, "Kapitalet stämmer inte"),
    ({"agency": "no phone"}, "kontaktuppgifter"),
    ({"payment": "bad ocr"}, "OCR-numret"),
    ({"payment": "bad bankgiro"}, "Bankgironumret"),
    ({"payment": "swish for another ocr"}, "Swish-uppgifterna"),
    ({"fees": "no legal basis"}, "lagstöd"),
    ({"interest": "no rate"}, "saknar sats"),
])
def test_each_missing_piece_is_named(changes, expected):
    letter = sample(DEMAND)
    value = next(iter(changes.values()))
    name = next(iter(changes))
    if name == "creditor":
        value = dataclasses.replace(letter.creditor, organisation_number="")
    elif value == "no phone":
        value = _agency(phone="")
    elif value == "bad ocr":
        value = dataclasses.replace(letter.payment, ocr="12345")
    elif value == "bad bankgiro":
        value = dataclasses.replace(letter.payment, bankgiro="123-4567")
    elif value == "swish for another ocr":
        value = dataclasses.replace(letter.payment, swish_qr_text="C1231181189;1,00;99;0")
    elif value == "no legal basis":
        value = (dataclasses.replace(letter.fees[0], legal_basis=""),) + letter.fees[1:]
    elif value == "no rate":
        value = (dataclasses.replace(letter.interest[0], rate=Decimal(0)),)
    problems = content_problems(dataclasses.replace(letter, **{name: value}))
    assert any(expected in p for p in problems), problems


@pytest.mark.parametrize("kind", [REMINDER, DEMAND])
def test_the_rendered_letter_shows_everything_and_fits_one_page(kind):
    letter = sample(kind)
    rendered = render_letter(letter)
    assert rendered.pdf.startswith(b"%PDF") and rendered.pages == 1
    assert text_problems(letter, rendered.text) == []
    # Capital, each interest period and each fee separately, with the total.
    assert "Påminnelseavgift" in rendered.text
    assert ("27,40" in rendered.text) == (kind == DEMAND)  # 40 days at 10 % on 2 500 kr
    assert ("Inkassoavgift" in rendered.text) == (kind == DEMAND)


def test_a_template_that_drops_a_block_is_caught():
    letter = sample(DEMAND)
    html = letter_html(letter).replace("Kronofogden", "K.").replace(letter.payment.ocr, "")
    pdf, _pages = render_html(html)
    from io import BytesIO

    from pypdf import PdfReader
    text = "".join(p.extract_text() for p in PdfReader(BytesIO(pdf)).pages)
    problems = text_problems(letter, text)
    assert any("Kronofogden" in p for p in problems) and any("OCR" in p for p in problems)


def test_every_required_phrase_names_what_it_stands_for():
    phrases = required_phrases(sample(DEMAND))
    assert all(phrase and what for phrase, what in phrases.items())


def test_letters_fetch_nothing_from_the_network():
    html = letter_html(sample(DEMAND)).replace(
        "</body>", '<img src="http://127.0.0.1:9/tracker.png"></body>')
    with pytest.raises(BaseException, match="tracker|fetch|disallowed"):
        render_html(html)
