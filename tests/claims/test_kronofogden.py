"""The application for betalningsföreläggande: grounds text, XML file, checks. Pure, no database.

Identity numbers are real-shaped (valid checksums), not real people.
"""

import re
import xml.etree.ElementTree as ET
from dataclasses import replace
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from claims.kronofogden import (
    AGENT_FEE, CAPITAL, COLLECTION_FEE, COMPANY, GROUNDS_MAX_CHARS, INTEREST,
    LATE_PAYMENT_COMPENSATION, NAMESPACE, PERSON, REMINDER_FEE, STATUTORY_INTEREST_TEXT, Agent,
    Application, ApplicationError, InvoiceGround, Party, SubClaim, application_xml, check,
    grounds_text, kronor, parse_application_xml, sub_claim_label, totals, validate,
)

LAW = "lag (1981:739) om ersättning för inkassokostnader m.m."
REMINDER_BASIS = f"2 § och 4 § andra stycket 1 {LAW}"
COLLECTION_BASIS = f"3 § 1 och 4 § andra stycket 2 {LAW}"
LATE_BASIS = f"4 a § {LAW}"
APPLIED_ON = date(2026, 5, 10)
DUE = date(2026, 3, 1)

CREDITOR = Party("Målarfirman Åström & Söner AB", "5560160680", COMPANY, "Storgatan 1",
                 "11122", "Stockholm")
AGENCY = Agent(Party("Ekrav Inkasso AB", "5566778899", COMPANY, "Box 12", "10011",
                     "Stockholm"), "Anna Handläggare", "08-123 45 67", "bf@ekrav.se")
DEBTOR = Party("Per Öberg", "191212121212", PERSON, "Vägen 3 lgh 1102", "41301", "Göteborg")
DEBTOR_COMPANY = Party("Öbergs Åkeri AB", "5560360793", COMPANY, "Hamnen 2", "41302",
                       "Göteborg")

INVOICE = InvoiceGround("1001", date(2026, 2, 1), DUE, 1250000, "målning av staket")
CAPITAL_1001 = SubClaim(CAPITAL, 1250000, "Obetalt belopp på faktura nr 1001", DUE, DUE,
                        STATUTORY_INTEREST_TEXT)
REMINDER = SubClaim(REMINDER_FEE, 6000, "betalningspåminnelse skickad 2026-03-05",
                    legal_basis=REMINDER_BASIS)
COLLECTION = SubClaim(COLLECTION_FEE, 18000, "inkassokrav skickat 2026-03-20",
                      legal_basis=COLLECTION_BASIS)
LATE = SubClaim(LATE_PAYMENT_COMPENSATION, 45000, "försenad betalning av faktura nr 1001",
                legal_basis=LATE_BASIS)
ACCRUED = SubClaim(INTEREST, 23456, "dröjsmålsränta på 12 500,00 kr från 2026-03-01 till "
                   "och med 2026-05-10", legal_basis="6 § räntelagen (1975:635)")

APPLICATION = Application(
    reference="K-2026-0042", applied_on=APPLIED_ON, applicant=CREDITOR, agent=AGENCY,
    respondent=DEBTOR, invoices=(INVOICE,), sub_claims=(CAPITAL_1001, REMINDER, COLLECTION),
    original_creditor=None, interest_running=True,
)

PAYMENT_WORDS = re.compile(r"bankgiro|plusgiro|\bocr\b|swish|iban|kontonummer|betala till",
                           re.IGNORECASE)


def invoices(count, *, description=None):
    """``count`` invoices due one day apart, the last on DUE."""
    return tuple(
        InvoiceGround(str(2000 + n), DUE - timedelta(days=30 + n), DUE - timedelta(days=n),
                      10000 + n,
                      description or f"arbete vecka {n + 1} på fastigheten Ekbacken")
        for n in range(count))


def capitals(invoice_grounds, *, running=True):
    return tuple(
        SubClaim(CAPITAL, i.amount_ore, f"Obetalt belopp på faktura nr {i.invoice_number}",
                 i.due_date, i.due_date if running else None,
                 STATUTORY_INTEREST_TEXT if running else None)
        for i in invoice_grounds)


def with_invoices(count, **kwargs):
    grounds = invoices(count, **kwargs)
    return replace(APPLICATION, invoices=grounds,
                   sub_claims=capitals(grounds) + (REMINDER, COLLECTION))


# --- Grounds text -----------------------------------------------------------------------------


def test_grounds_for_one_invoice_in_plain_swedish():
    assert grounds_text(APPLICATION) == (
        "Kravet gäller obetald faktura nr 1001 daterad 2026-02-01 avseende målning av staket, "
        "förfallen till betalning 2026-03-01. "
        "Ränta begärs enligt 6 § räntelagen (1975:635) på kapitalet från förfallodagen till "
        "dess betalning sker. "
        "Påminnelseavgift avser betalningspåminnelse skickad 2026-03-05 och begärs enligt "
        f"{REMINDER_BASIS} "
        "Inkassoavgift avser inkassokrav skickat 2026-03-20 och begärs enligt "
        f"{COLLECTION_BASIS}"
    )


def test_grounds_for_several_invoices_lists_each_with_its_due_date():
    text = grounds_text(with_invoices(3))
    assert text.startswith("Kravet gäller 3 obetalda fakturor. Faktura nr 2000 daterad ")
    for n in range(3):
        assert (f"Faktura nr {2000 + n} daterad {(DUE - timedelta(days=30 + n)).isoformat()} "
                f"avseende arbete vecka {n + 1} på fastigheten Ekbacken, förfallen till "
                f"betalning {(DUE - timedelta(days=n)).isoformat()}.") in text
    assert "från respektive förfallodag till dess betalning sker." in text


def test_grounds_name_the_original_creditor_when_the_claim_was_taken_over():
    assert "Ursprunglig fordringsägare" not in grounds_text(APPLICATION)
    taken_over = replace(APPLICATION, original_creditor="Byggservice i Norr AB")
    assert ("förfallen till betalning 2026-03-01. Ursprunglig fordringsägare är Byggservice i "
            "Norr AB. Ränta begärs") in grounds_text(taken_over)


def test_grounds_without_running_interest_state_accrued_interest_and_its_basis():
    app = replace(APPLICATION, interest_running=False,
                  sub_claims=(replace(CAPITAL_1001, interest_from=None,
                                      interest_rate_text=None), ACCRUED))
    text = grounds_text(app)
    assert "Ränta begärs" not in text
    assert text.endswith("Upplupen ränta avser dröjsmålsränta på 12 500,00 kr från 2026-03-01 "
                         "till och med 2026-05-10 och begärs enligt 6 § räntelagen (1975:635).")


def test_accrued_interest_and_running_interest_from_the_day_after_application():
    later = APPLIED_ON + timedelta(days=1)
    app = replace(APPLICATION, sub_claims=(replace(CAPITAL_1001, interest_from=later), ACCRUED))
    assert f"på kapitalet från {later.isoformat()} till dess betalning sker." in grounds_text(app)


def test_trailing_period_of_a_description_does_not_double_but_an_abbreviation_stays():
    app = replace(APPLICATION, invoices=(replace(INVOICE, description="målning av staket."),),
                  original_creditor="Bygg m.m.")
    text = grounds_text(app)
    assert "avseende målning av staket, förfallen" in text
    assert "Ursprunglig fordringsägare är Bygg m.m. Ränta" in text
    assert ".." not in text


@pytest.mark.parametrize("count", [12, 40, 300])
def test_many_invoices_are_summarised_within_the_limit(count):
    text = grounds_text(with_invoices(count))
    assert len(text) <= GROUNDS_MAX_CHARS
    first, last = (DUE - timedelta(days=count - 1)).isoformat(), DUE.isoformat()
    assert f"förfallna till betalning mellan {first} och {last}." in text
    assert f"Kravet gäller {count} obetalda fakturor, " in text
    numbers = _listed_numbers(text)
    assert numbers == [str(2000 + n) for n in range(len(numbers))]
    assert ("bland annat nr" in text) == (len(numbers) < count)
    if len(numbers) < count:  # as many numbers as fit: one more would not
        assert len(text) + len(f", {2000 + len(numbers)}") > GROUNDS_MAX_CHARS


def test_a_common_description_survives_the_summary():
    text = grounds_text(with_invoices(60, description="månadshyra för lokal"))
    assert text.startswith("Kravet gäller 60 obetalda fakturor avseende månadshyra för lokal, ")


def test_the_fees_lose_their_descriptions_before_invoice_numbers_are_dropped():
    text = grounds_text(with_invoices(1), limit=450)
    assert len(text) <= 450
    assert f"Påminnelseavgift begärs enligt {REMINDER_BASIS}" in text
    assert "betalningspåminnelse skickad" not in text


def test_grounds_that_cannot_be_shortened_enough_are_refused_not_cut():
    with pytest.raises(ApplicationError) as caught:
        grounds_text(APPLICATION, limit=50)
    assert caught.value.code == "grounds_too_long"


def _listed_numbers(text):
    match = re.search(r"\bnr ((?:\d+, )*\d+), förfallna", text)
    assert match, text
    return match.group(1).split(", ")


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(count=st.integers(1, 120), limit=st.integers(350, 2000))
def test_grounds_always_fit_and_end_on_whole_words(count, limit):
    app = with_invoices(count)
    try:
        text = grounds_text(app, limit=limit)
    except ApplicationError as exc:
        assert exc.code == "grounds_too_long"
        return
    assert len(text) <= limit and text.endswith(".")
    if count > 1 and "Faktura nr" not in text:
        assert set(_listed_numbers(text)) <= {i.invoice_number for i in app.invoices}
        assert (f"mellan {(DUE - timedelta(days=count - 1)).isoformat()} och "
                f"{DUE.isoformat()}") in text


def test_the_grounds_never_carry_payment_instructions():
    for app in (APPLICATION, with_invoices(300),
                replace(APPLICATION, original_creditor="Byggservice i Norr AB")):
        assert not PAYMENT_WORDS.search(grounds_text(app))
        assert not PAYMENT_WORDS.search(application_xml(app).decode())


@pytest.mark.parametrize("text", [
    "målning, betala till bankgiro 5050-1055", "ange OCR 1234574", "Swish 1231234567",
    "IBAN SE45 5000 0000 0583 9825 7466", "betalas senast 2026-03-01", "plusgiro 12345-6",
    "BG 5050-1055",
])
@pytest.mark.parametrize("where", ["invoice", "sub_claim", "original_creditor", "legal_basis"])
def test_payment_instructions_in_any_free_text_are_refused(where, text):
    app = {
        "invoice": replace(APPLICATION, invoices=(replace(INVOICE, description=text),)),
        "sub_claim": replace(APPLICATION, sub_claims=(replace(CAPITAL_1001, description=text),
                                                      REMINDER)),
        "original_creditor": replace(APPLICATION, original_creditor=text),
        "legal_basis": replace(APPLICATION, sub_claims=(CAPITAL_1001,
                                                        replace(REMINDER, legal_basis=text))),
    }[where]
    for build in (grounds_text, application_xml):
        with pytest.raises(ApplicationError) as caught:
            build(app)
        assert caught.value.code == "payment_instructions"


def test_everyday_words_are_not_mistaken_for_payment_instructions():
    app = replace(APPLICATION, invoices=(replace(
        INVOICE, description="reparation av inbyggd brygga, betalas inom 30 dagar enligt avtal"),))
    assert "inbyggd brygga" in grounds_text(app)


# --- Labels and totals ----------------------------------------------------------------------


@pytest.mark.parametrize("kind, label", [
    (CAPITAL, "Kapital"), (INTEREST, "Upplupen ränta"), (REMINDER_FEE, "Påminnelseavgift"),
    (COLLECTION_FEE, "Inkassoavgift"), (LATE_PAYMENT_COMPENSATION, "Förseningsersättning"),
    (AGENT_FEE, "Ombudsarvode"),
])
def test_sub_claim_labels_are_swedish(kind, label):
    assert sub_claim_label(kind) == label


def test_an_unknown_kind_has_no_label():
    with pytest.raises(ValueError):
        sub_claim_label("penalty")


def test_totals_of_the_sample():
    app = replace(APPLICATION, sub_claims=APPLICATION.sub_claims + (
        SubClaim(AGENT_FEE, 38000, "ombudsarvode för ansökan", legal_basis="(verify)"),))
    assert totals(app) == {"capital_ore": 1250000, "interest_ore": 0, "fees_ore": 62000,
                           "total_ore": 1312000}


@given(st.lists(st.tuples(st.sampled_from([CAPITAL, INTEREST, REMINDER_FEE, COLLECTION_FEE,
                                           LATE_PAYMENT_COMPENSATION, AGENT_FEE]),
                          st.integers(1, 10**10)), max_size=20))
def test_totals_add_up(parts):
    app = replace(APPLICATION, sub_claims=tuple(SubClaim(k, a, "x") for k, a in parts))
    sums = totals(app)
    assert sums["total_ore"] == sum(a for _, a in parts)
    assert sums["capital_ore"] + sums["interest_ore"] + sums["fees_ore"] == sums["total_ore"]
    assert sums["capital_ore"] == sum(a for k, a in parts if k == CAPITAL)
    assert sums["interest_ore"] == sum(a for k, a in parts if k == INTEREST)


@pytest.mark.parametrize("ore, text", [(1, "0.01"), (100, "1.00"), (123450, "1234.50"),
                                       (10000000000, "100000000.00")])
def test_kronor_have_two_decimals_and_a_point(ore, text):
    assert kronor(ore) == text


# --- The XML file ---------------------------------------------------------------------------

NS = {"k": NAMESPACE}


def _root(app):
    return ET.fromstring(application_xml(app))


def test_xml_shape():
    app = replace(APPLICATION, original_creditor="Byggservice i Norr AB")
    data = application_xml(app)
    assert data.startswith(b"<?xml version='1.0' encoding='utf-8'?>")
    root = ET.fromstring(data)
    assert root.tag == f"{{{NAMESPACE}}}AnsokanOmBetalningsforelaggande"
    assert root.findtext("k:IngivarensReferens", namespaces=NS) == "K-2026-0042"
    assert root.findtext("k:Ansokningsdag", namespaces=NS) == "2026-05-10"
    assert root.findtext("k:Sokande/k:Namn", namespaces=NS) == "Målarfirman Åström & Söner AB"
    assert root.findtext("k:Svarande/k:Identitetsnummer", namespaces=NS) == "191212121212"
    assert root.findtext("k:Svarande/k:Partstyp", namespaces=NS) == "Person"
    assert root.findtext("k:Svarande/k:Adress/k:Postnummer", namespaces=NS) == "41301"
    assert root.findtext("k:Ombud/k:Kontaktperson", namespaces=NS) == "Anna Handläggare"
    assert root.findtext("k:UrsprungligFordringsagare", namespaces=NS) == "Byggservice i Norr AB"
    assert root.findtext("k:AnsokanGrundText", namespaces=NS) == grounds_text(app)
    assert root.findtext("k:RantaTillDessBetalningSker", namespaces=NS) == "true"
    delkrav = root.findall("k:Delkravslista/k:Delkrav", NS)
    assert [(d.findtext("k:Delkravstyp", namespaces=NS), d.findtext("k:Belopp", namespaces=NS))
            for d in delkrav] == [("Kapital", "12500.00"), ("Påminnelse", "60.00"),
                                  ("Inkasso", "180.00")]
    capital = delkrav[0]
    assert capital.findtext("k:Forfallodag", namespaces=NS) == "2026-03-01"
    assert capital.findtext("k:Ranta/k:FranOchMed", namespaces=NS) == "2026-03-01"
    assert capital.findtext("k:Ranta/k:Rantesats", namespaces=NS) == STATUTORY_INTEREST_TEXT
    assert delkrav[1].find("k:Ranta", NS) is None
    assert delkrav[1].findtext("k:RattsligGrund", namespaces=NS) == REMINDER_BASIS
    assert [root.findtext(f"k:Summa/k:{n}", namespaces=NS)
            for n in ("Kapital", "Ranta", "Avgifter", "Totalt")] == [
        "12500.00", "0.00", "240.00", "12740.00"]


def test_delkravstyp_of_every_kind():
    company = replace(APPLICATION, respondent=DEBTOR_COMPANY, interest_running=False,
                      sub_claims=(replace(CAPITAL_1001, interest_from=None,
                                          interest_rate_text=None), ACCRUED, LATE,
                                  SubClaim(AGENT_FEE, 38000, "ansökan om betalningsföreläggande",
                                           legal_basis="uppgift från avgiftstabellen")))
    types = [d.findtext("k:Delkravstyp", namespaces=NS)
             for d in _root(company).findall("k:Delkravslista/k:Delkrav", NS)]
    assert types == ["Kapital", "Ränta", "Förseningsersättning", "Ombudsarvode"]
    assert _root(company).findtext("k:Svarande/k:Partstyp", namespaces=NS) == "Foretag"
    assert parse_application_xml(application_xml(company)) == company


def test_special_characters_are_escaped_not_broken():
    app = replace(APPLICATION, respondent=replace(DEBTOR, name='Åsa "Kalle" <Ö> & Co'),
                  invoices=(replace(INVOICE, description="tak & väggar <utvändigt>"),))
    data = application_xml(app)
    assert "&amp; Co" in data.decode() and "&lt;Ö&gt;" in data.decode()
    assert parse_application_xml(data) == app


# Text with åäö and XML's special characters; without letters that could spell a payment
# word (bankgiro, OCR, ...), which the checks would rightly refuse.
_TEXT = st.text(alphabet="aeåäöÅÄÖémnrtlvyEMN &<>\"';:/#-", min_size=1, max_size=30).filter(
    lambda s: s.strip())
_DAY = st.dates(date(2020, 1, 1), date(2026, 4, 30))


@st.composite
def applications(draw):
    count = draw(st.integers(1, 6))
    grounds = []
    for n in range(count):
        due = draw(_DAY)
        grounds.append(InvoiceGround(f"F{n}-{draw(_TEXT)}", due - timedelta(draw(
            st.integers(0, 60))), due, draw(st.integers(1, 10**10)), draw(_TEXT)))
    running = draw(st.booleans())
    claims = [SubClaim(CAPITAL, draw(st.integers(1, i.amount_ore)), draw(_TEXT), i.due_date,
                       i.due_date if running else None, draw(_TEXT) if running else None)
              for i in grounds]
    for kind in draw(st.sets(st.sampled_from([REMINDER_FEE, COLLECTION_FEE, AGENT_FEE]))):
        claims.append(SubClaim(kind, draw(st.integers(1, 10**6)), draw(_TEXT),
                               draw(st.none() | _DAY), legal_basis=draw(_TEXT)))
    if not running and draw(st.booleans()):
        claims.append(SubClaim(INTEREST, draw(st.integers(1, 10**8)), draw(_TEXT)))
    return Application(
        reference=draw(_TEXT), applied_on=date(2026, 5, 10),
        applicant=replace(CREDITOR, name=draw(_TEXT), street=draw(_TEXT)),
        agent=replace(AGENCY, contact_person=draw(_TEXT), email=draw(st.none() | _TEXT)),
        respondent=replace(DEBTOR, name=draw(_TEXT), city=draw(_TEXT)),
        invoices=tuple(grounds), sub_claims=tuple(draw(st.permutations(claims))),
        original_creditor=draw(st.none() | _TEXT.map(lambda s: f"Fordran {s}")),
        interest_running=running)


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(applications())
def test_xml_round_trip(app):
    assert parse_application_xml(application_xml(app)) == app


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(applications())
def test_generated_grounds_carry_no_payment_instructions(app):
    assert not PAYMENT_WORDS.search(grounds_text(app))


# --- Validation -------------------------------------------------------------------------------

S = APPLICATION.sub_claims


def _sub(**kwargs):
    return replace(APPLICATION, **kwargs)


INVALID = [
    # (application, field, code)
    (_sub(reference=" "), "reference", "reference_missing"),
    (_sub(respondent=replace(DEBTOR, identity_number="191212121213")),
     "respondent.identity_number", "identity_malformed"),
    (_sub(respondent=replace(DEBTOR, identity_number="19121212-1212")),
     "respondent.identity_number", "identity_malformed"),
    (_sub(respondent=replace(DEBTOR, identity_number="1212121212")),
     "respondent.identity_number", "identity_malformed"),  # a person needs 12 digits
    (_sub(respondent=replace(DEBTOR, identity_number="191302301234")),
     "respondent.identity_number", "identity_malformed"),  # no 30 February
    (_sub(respondent=replace(DEBTOR, identity_number="203001011234")),
     "respondent.identity_number", "identity_malformed"),  # born after the application
    (_sub(respondent=replace(DEBTOR_COMPANY, identity_number="5512121212")),
     "respondent.identity_number", "identity_malformed"),  # digits 3-4 below 20
    (_sub(respondent=replace(DEBTOR_COMPANY, identity_number="5560360794")),
     "respondent.identity_number", "identity_malformed"),
    (_sub(respondent=replace(DEBTOR, kind="estate")), "respondent.kind", "party_kind_unknown"),
    (_sub(respondent=replace(DEBTOR, name="")), "respondent.name", "name_missing"),
    (_sub(respondent=replace(DEBTOR, street=" ")), "respondent.street", "address_missing"),
    (_sub(respondent=replace(DEBTOR, postal_code="01234")), "respondent.postal_code",
     "postal_code_malformed"),
    (_sub(applicant=replace(CREDITOR, identity_number="5560160681")),
     "applicant.identity_number", "identity_malformed"),
    (_sub(respondent=replace(CREDITOR, name="Samma AB")), "respondent.identity_number",
     "respondent_is_applicant"),
    (_sub(agent=replace(AGENCY, contact_person="")), "agent.contact_person",
     "agent_contact_missing"),
    (_sub(agent=replace(AGENCY, phone=None, email="")), "agent.phone", "agent_contact_missing"),
    (_sub(agent=replace(AGENCY, party=replace(AGENCY.party, postal_code="1234"))),
     "agent.party.postal_code", "postal_code_malformed"),
    (_sub(original_creditor=" "), "original_creditor", "original_creditor_missing"),
    (_sub(original_creditor="målarfirman  Åström & Söner AB"), "original_creditor",
     "original_creditor_is_applicant"),
    (_sub(invoices=()), "invoices", "invoices_missing"),
    (_sub(invoices=(INVOICE, replace(INVOICE, amount_ore=5))), "invoices[1].invoice_number",
     "invoice_duplicate"),
    (_sub(invoices=(replace(INVOICE, invoice_number=""),)), "invoices[0].invoice_number",
     "invoice_number_missing"),
    (_sub(invoices=(replace(INVOICE, description=""),)), "invoices[0].description",
     "description_missing"),
    (_sub(invoices=(replace(INVOICE, invoice_date=date(2026, 3, 2)),)), "invoices[0].due_date",
     "due_before_invoice"),
    (_sub(applied_on=DUE), "invoices[0].due_date", "not_overdue"),
    (_sub(invoices=(replace(INVOICE, due_date=None),)), "invoices[0].due_date", "not_a_date"),
    (_sub(invoices=(replace(INVOICE, amount_ore=0),)), "invoices[0].amount_ore",
     "amount_not_positive"),
    (_sub(applied_on="2026-05-10"), "applied_on", "not_a_date"),
    (_sub(interest_running="yes"), "interest_running", "not_a_bool"),
    (_sub(sub_claims=(replace(S[0], amount_ore=-1), *S[1:])), "sub_claims[0].amount_ore",
     "amount_not_positive"),
    (_sub(sub_claims=(replace(S[0], amount_ore=0), *S[1:])), "sub_claims[0].amount_ore",
     "amount_not_positive"),
    (_sub(sub_claims=(replace(S[0], amount_ore=12.5), *S[1:])), "sub_claims[0].amount_ore",
     "amount_not_whole_ore"),
    (_sub(sub_claims=(replace(S[0], amount_ore=True), *S[1:])), "sub_claims[0].amount_ore",
     "amount_not_whole_ore"),
    (_sub(sub_claims=(replace(S[0], amount_ore=10**10 + 1), *S[1:])),
     "sub_claims[0].amount_ore", "amount_too_large"),
    (_sub(sub_claims=(S[0], replace(REMINDER, amount_ore=0))), "sub_claims[1].amount_ore",
     "fee_zero"),
    (_sub(sub_claims=(S[0], replace(COLLECTION, amount_ore=0))), "sub_claims[1].amount_ore",
     "fee_zero"),
    (_sub(sub_claims=(REMINDER, COLLECTION), interest_running=False), "sub_claims",
     "capital_missing"),
    (_sub(sub_claims=(S[0], SubClaim("penalty", 100, "vite"))), "sub_claims[1].kind",
     "sub_claim_kind_unknown"),
    (_sub(sub_claims=(replace(S[0], description=" "), *S[1:])), "sub_claims[0].description",
     "description_missing"),
    (_sub(sub_claims=(S[0], replace(REMINDER, legal_basis=None))), "sub_claims[1].legal_basis",
     "legal_basis_missing"),
    (_sub(sub_claims=(S[0], replace(REMINDER, interest_from=DUE,
                                    interest_rate_text=STATUTORY_INTEREST_TEXT))),
     "sub_claims[1].interest_from", "interest_not_on_capital"),
    (_sub(sub_claims=(S[0], replace(ACCRUED, interest_rate_text="8 %"))),
     "sub_claims[1].interest_from", "interest_not_on_capital"),
    (_sub(sub_claims=(replace(S[0], due_date=None), *S[1:])), "sub_claims[0].due_date",
     "due_date_missing"),
    (_sub(sub_claims=(replace(S[0], due_date=DUE - timedelta(1), interest_from=DUE), *S[1:])),
     "sub_claims[0].due_date", "due_date_not_an_invoice"),
    (_sub(sub_claims=(S[0], replace(REMINDER, due_date="2026-03-01"))),
     "sub_claims[1].due_date", "not_a_date"),
    (_sub(sub_claims=(replace(S[0], interest_rate_text=None), *S[1:])),
     "sub_claims[0].interest_from", "interest_incomplete"),
    (_sub(sub_claims=(replace(S[0], interest_rate_text=" "), *S[1:])),
     "sub_claims[0].interest_rate_text", "interest_incomplete"),
    (_sub(sub_claims=(replace(S[0], interest_from=DUE - timedelta(1)), *S[1:])),
     "sub_claims[0].interest_from", "interest_before_due_date"),
    (_sub(sub_claims=(replace(S[0], interest_from="2026-03-01"), *S[1:])),
     "sub_claims[0].interest_from", "not_a_date"),
    (_sub(sub_claims=(S[0], REMINDER, REMINDER)), "sub_claims", "fee_repeated"),
    (_sub(sub_claims=(S[0], LATE)), "sub_claims", "late_payment_compensation_consumer"),
    (_sub(respondent=DEBTOR_COMPANY, sub_claims=(S[0], LATE, COLLECTION)), "sub_claims",
     "late_payment_compensation_with_fees"),
    (_sub(interest_running=False), "interest_running", "interest_running_mismatch"),
    (_sub(sub_claims=(replace(S[0], interest_from=None, interest_rate_text=None), *S[1:])),
     "interest_running", "interest_running_mismatch"),
    (_sub(sub_claims=(S[0], ACCRUED)), "interest_running", "interest_claimed_twice"),
    (_sub(sub_claims=(replace(S[0], amount_ore=INVOICE.amount_ore + 1), *S[1:])),
     "sub_claims", "capital_exceeds_invoices"),
    (_sub(respondent=replace(DEBTOR, name="Per\nÖberg")), "respondent.name",
     "invalid_characters"),
    (_sub(invoices=(replace(INVOICE, description="staket\x00"),)), "invoices[0].description",
     "invalid_characters"),
    (_sub(reference="K-1\ufffe"), "reference", "invalid_characters"),
]


@pytest.mark.parametrize("app, field, code", INVALID, ids=[c for _, _, c in INVALID])
def test_every_problem_is_named_with_field_code_and_a_message(app, field, code):
    problems = check(app)
    assert (field, code) in [(p.field, p.code) for p in problems]
    for problem in problems:
        assert problem.message and str(problem).startswith(f"{problem.field}: ")
    for build in (validate, application_xml, grounds_text):
        with pytest.raises(ApplicationError):
            build(app)


def test_the_sample_has_no_problems():
    assert check(APPLICATION) == ()
    validate(APPLICATION)


@pytest.mark.parametrize("app", [
    _sub(respondent=replace(DEBTOR, identity_number="191212720005")),  # samordningsnummer
    _sub(respondent=replace(DEBTOR_COMPANY, identity_number="198112189876")),  # enskild firma
    _sub(respondent=DEBTOR_COMPANY, sub_claims=(S[0], LATE)),
    _sub(invoices=(replace(INVOICE, invoice_date=DUE),)),  # invoice due the day it is dated
    _sub(sub_claims=(replace(S[0], amount_ore=1), *S[1:])),  # partly paid capital
    _sub(agent=replace(AGENCY, phone=None)),
])
def test_what_is_allowed(app):
    assert check(app) == ()
    assert parse_application_xml(application_xml(app)) == app


def test_check_lists_every_problem_at_once():
    app = _sub(reference="", respondent=replace(DEBTOR, postal_code="x"),
               sub_claims=(S[0], replace(REMINDER, amount_ore=0)))
    assert {p.code for p in check(app)} == {"reference_missing", "postal_code_malformed",
                                            "fee_zero"}


def test_lists_become_tuples_so_the_application_is_hashable():
    app = _sub(invoices=[INVOICE], sub_claims=list(S))
    assert app == APPLICATION and hash(app) == hash(APPLICATION)


# --- Reading a file ---------------------------------------------------------------------------

GOOD = application_xml(APPLICATION)


@pytest.mark.parametrize("data, code", [
    (b"<not xml", "malformed_xml"),
    ("<?xml version='1.0'?><a/>", "malformed_xml"),  # str, not bytes
    (b'<!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>', "malformed_xml"),
    (b"<AnsokanOmBetalningsforelaggande/>", "wrong_document"),  # no namespace
    (GOOD.replace(b"<Formatversion>1<", b"<Formatversion>2<"), "wrong_version"),
    (GOOD.replace(b"<Belopp>60.00<", b"<Belopp>60,00<"), "amount_malformed"),
    (GOOD.replace(b"<Belopp>60.00<", b"<Belopp>60<"), "amount_malformed"),
    (GOOD.replace(b"<Ansokningsdag>2026-05-10<", b"<Ansokningsdag>2026-02-30<"),
     "not_a_date"),
    (GOOD.replace(b"<Ansokningsdag>2026-05-10<", b"<Ansokningsdag>10/5/2026<"), "not_a_date"),
    (GOOD.replace("Påminnelse<".encode(), b"Vite<"), "unknown_value"),
    (GOOD.replace(b"<Partstyp>Person<", b"<Partstyp>Dodsbo<"), "unknown_value"),
    (GOOD.replace(b">true<", b">ja<"), "not_a_bool"),
    (GOOD.replace(b"<Postort>Stockholm</Postort>", b"", 1), "element_missing"),
    (GOOD.replace(b"avseende m", b"avseende M"), "grounds_mismatch"),
    (GOOD.replace(b"<Avgifter>240.00<", b"<Avgifter>250.00<"), "totals_mismatch"),
    (GOOD.replace(b"<Belopp>60.00<", b"<Belopp>70.00<"), "totals_mismatch"),
    (GOOD.replace(b"191212121212", b"191212121213"), "identity_malformed"),
])
def test_a_bad_or_tampered_file_is_refused(data, code):
    with pytest.raises(ApplicationError) as caught:
        parse_application_xml(data)
    assert caught.value.code == code


def test_the_sample_file_reads_back():
    assert parse_application_xml(GOOD) == APPLICATION


@pytest.mark.parametrize("bad", [-1, 1.5, True, "100"])
def test_kronor_refuses_what_is_not_ore(bad):
    with pytest.raises(ValueError):
        kronor(bad)
