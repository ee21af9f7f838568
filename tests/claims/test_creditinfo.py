"""The credit report client (kreditupplysning, REX) against ekrav's credit bureau simulator,
over real HTTP (pytest-django's live server): every outcome, the simulator refusing what a
bureau would, failures the client must tell apart, and the strict reading of a report."""

import base64
import json
import os
import socket
import time
from datetime import date, datetime, timedelta, timezone

import httpx
import pytest
from django.urls import reverse

from claims import creditinfo, decision
from claims.creditinfo import (CreditInfoAuthFailed, CreditInfoClient, CreditInfoError,
                               CreditInfoUnavailable, CreditReport, Outcome,
                               client_from_settings, parse_report)
from claims.models import Outcome as StoredOutcome
from ekrav.identifiers import luhn_check_digit, normalize_debtor_identity
from ekrav.management.commands.seed_demo import DEBTORS
from tests.conftest import another_debtor

USER, PASSWORD = "ekrav-test", "s3cret-never-in-messages"
DAN = "198112289874"  # registration_data's debtor
ALICE_BYGG = "5560360793"


def person(digit: str) -> str:
    """A valid personnummer whose last four start with ``digit`` (the simulator's rule)."""
    born, serial = "19700101", f"{digit}00"
    return f"{born}{serial}{luhn_check_digit(born[2:] + serial)}"


def company(digit: str) -> str:
    first9 = f"556000{digit}00"
    return f"{first9}{luhn_check_digit(first9)}"


@pytest.fixture
def base(live_server, settings):
    settings.CREDITINFO_USERNAME, settings.CREDITINFO_PASSWORD = USER, PASSWORD
    return live_server.url + "/sim/kreditupplysning"


@pytest.fixture
def credit(base):
    credit_client = CreditInfoClient(base, USER, PASSWORD, timeout=5)
    yield credit_client
    credit_client.close()


def behave(base, identity, behaviour, **extra):
    response = httpx.post(f"{base}/_control/subjects/{identity}",
                          json={"behaviour": behaviour, **extra})
    assert response.status_code == 200, response.text


def reports_taken(base, identity):
    return httpx.get(f"{base}/_control/subjects/{identity}").json()["reports"]


# --- Outcomes, over HTTP -----------------------------------------------------------------------

PERSON_OUTCOMES = [
    ("0", Outcome.SOLVENT, 0, 0), ("3", Outcome.SOLVENT, 0, 0), ("9", Outcome.SOLVENT, 0, 0),
    ("4", Outcome.PAYMENT_REMARKS, 2, 0), ("5", Outcome.INSOLVENT, 3, 4_875_000),
    ("6", Outcome.DEBT_RESTRUCTURING, 4, 21_230_000), ("7", Outcome.DECEASED, 0, 0),
    ("8", Outcome.UNKNOWN, 0, 0),
]


@pytest.mark.parametrize("digit, outcome, remarks, debt_ore", PERSON_OUTCOMES)
def test_every_outcome_for_a_person(credit, digit, outcome, remarks, debt_ore):
    before = datetime.now(timezone.utc)
    report = credit.report(identity_number=person(digit), debtor_kind="person")
    assert (report.identity_number, report.outcome, report.payment_remarks,
            report.debt_at_kfm_ore) == (person(digit), outcome, remarks, debt_ore)
    assert report.copy_sent is True  # omfrågandekopia: a person is told
    assert report.reference.startswith("SIM-")
    assert before - timedelta(seconds=1) <= report.taken_at <= datetime.now(timezone.utc)


COMPANY_OUTCOMES = [
    ("1", Outcome.SOLVENT, 0, 0), ("4", Outcome.PAYMENT_REMARKS, 2, 0),
    ("5", Outcome.INSOLVENT, 3, 4_875_000), ("6", Outcome.BANKRUPTCY, 6, 150_000_000),
    ("7", Outcome.BANKRUPTCY, 6, 150_000_000), ("8", Outcome.UNKNOWN, 0, 0),
]


@pytest.mark.parametrize("digit, outcome, remarks, debt_ore", COMPANY_OUTCOMES)
def test_every_outcome_for_a_company(credit, digit, outcome, remarks, debt_ore):
    report = credit.report(identity_number=company(digit), debtor_kind="company")
    assert (report.outcome, report.payment_remarks, report.debt_at_kfm_ore) == \
        (outcome, remarks, debt_ore)
    assert report.copy_sent is False


def test_the_tests_debtors_are_solvent(credit):
    numbers = [DAN] + [another_debtor(n)["debtor_identity_number"].replace("-", "")
                       for n in (1, 2, 500)]
    for number in numbers:
        assert credit.report(identity_number=number, debtor_kind="person").outcome == "solvent"
    assert credit.report(identity_number=ALICE_BYGG, debtor_kind="company").outcome == "solvent"


def test_the_demo_debtors_spread_over_the_outcomes(credit):
    expected = {"anna": "solvent", "erik": "solvent", "maria": "payment_remarks",
                "johan": "insolvent", "fatima": "debt_restructuring", "karin": "deceased",
                "kontor": "solvent", "akeri": "solvent", "cafe": "solvent"}
    got = {}
    for name, debtor in DEBTORS.items():
        number = normalize_debtor_identity(debtor["debtor_identity_number"],
                                           debtor["debtor_kind"], today=date.today())
        got[name] = credit.report(identity_number=number,
                                  debtor_kind=debtor["debtor_kind"]).outcome
    assert got == expected


def test_an_enskild_firma_is_reported_on_its_owner(base, credit):
    # A company debtor with a personnummer: the report, and the copy, concern a person.
    report = credit.report(identity_number=person("6"), debtor_kind="company")
    assert report.outcome == Outcome.DEBT_RESTRUCTURING and report.copy_sent
    [taken] = reports_taken(base, person("6"))
    assert taken["subjectType"] == "person" and taken["reportId"] == report.reference


def test_each_report_is_taken_and_recorded_with_its_purpose(base, credit):
    first = credit.report(identity_number=DAN, debtor_kind="person")
    second = credit.report(identity_number=DAN, debtor_kind="person")
    assert first.reference != second.reference  # a report is bought each time
    taken = reports_taken(base, DAN)
    assert [r["reportId"] for r in taken] == [first.reference, second.reference]
    assert {r["purpose"] for r in taken} == {"debt_collection"}
    assert all(r["copySent"] for r in taken)


def test_a_control_overrides_the_outcome(base, credit):
    behave(base, DAN, "bankruptcy")
    report = credit.report(identity_number=DAN, debtor_kind="person")
    assert (report.outcome, report.payment_remarks, report.debt_at_kfm_ore) == \
        (Outcome.BANKRUPTCY, 6, 150_000_000)


# --- Failures, over HTTP -----------------------------------------------------------------------

def test_wrong_credentials_are_an_auth_failure_without_the_password(base):
    wrong = "wrong-password-1234"
    credit_client = CreditInfoClient(base, USER, wrong, timeout=5)
    with pytest.raises(CreditInfoAuthFailed) as failed:
        credit_client.report(identity_number=DAN, debtor_kind="person")
    assert (failed.value.status_code, failed.value.code) == (401, "UNAUTHORIZED")
    assert wrong not in str(failed.value) and wrong not in repr(credit_client)
    assert reports_taken(base, DAN) == []


@pytest.mark.parametrize("number, kind", [
    ("198112289875", "person"),  # wrong check digit
    ("209912289870", "person"),  # born in the future
    ("198113289873", "person"),  # no 13th month
    ("5560360794", "company"),  # wrong check digit
    ("8112289874", "company"),  # a person's ten digits, not an organisationsnummer
])
def test_a_bad_identity_number_is_refused_with_the_bureaus_code(base, credit, number, kind):
    with pytest.raises(CreditInfoError) as refused:
        credit.report(identity_number=number, debtor_kind=kind)
    assert not isinstance(refused.value, CreditInfoUnavailable)  # no retry helps
    assert (refused.value.status_code, refused.value.code) == (400, "INVALID_IDENTITY_NUMBER")
    assert reports_taken(base, number) == []


def test_a_purpose_the_bureau_does_not_accept_is_refused(credit):
    with pytest.raises(CreditInfoError) as refused:
        credit.report(identity_number=DAN, debtor_kind="person", purpose="marketing")
    assert refused.value.code == "INVALID_PURPOSE"


def test_a_failing_bureau_is_unavailable(base, credit):
    behave(base, DAN, "fail")
    with pytest.raises(CreditInfoUnavailable) as failed:
        credit.report(identity_number=DAN, debtor_kind="person")
    assert (failed.value.status_code, failed.value.code) == (503, "SERVICE_UNAVAILABLE")


def test_a_slow_bureau_times_out_and_may_still_take_the_report(base):
    behave(base, DAN, "slow", delay=1.0)
    credit_client = CreditInfoClient(base, USER, PASSWORD, timeout=0.3)
    with pytest.raises(CreditInfoUnavailable, match="no answer within 0.3 s"):
        credit_client.report(identity_number=DAN, debtor_kind="person")
    deadline = time.monotonic() + 5
    while not reports_taken(base, DAN) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(reports_taken(base, DAN)) == 1  # why the client never retries by itself


def test_a_malformed_report_is_an_error_never_solvent(base, credit):
    behave(base, DAN, "malformed")
    with pytest.raises(CreditInfoError, match="unknown outcome 'probably_fine'") as failed:
        credit.report(identity_number=DAN, debtor_kind="person")
    assert not isinstance(failed.value, CreditInfoUnavailable)
    assert failed.value.code == "MALFORMED"


def test_an_unreachable_bureau_is_unavailable(db):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    credit_client = CreditInfoClient(f"http://127.0.0.1:{port}", USER, PASSWORD, timeout=5)
    with pytest.raises(CreditInfoUnavailable, match="ConnectError"):
        credit_client.report(identity_number=DAN, debtor_kind="person")


def test_client_from_settings(base, settings):
    settings.CREDITINFO_BASE_URL = ""
    assert client_from_settings() is None
    settings.CREDITINFO_BASE_URL = base
    assert client_from_settings() is client_from_settings()  # its connections are reused
    report = client_from_settings().report(identity_number=DAN, debtor_kind="person")
    assert report.outcome == Outcome.SOLVENT


def test_the_simulator_is_mounted_where_the_default_url_points(settings):
    from ekrav import settings as configured  # as configured: tests/conftest.py blanks it

    assert reverse("creditinfo_sim:reports") == "/sim/kreditupplysning/v1/reports"
    if configured.SIMULATORS_ENABLED and "CREDITINFO_BASE_URL" not in os.environ:
        assert configured.CREDITINFO_BASE_URL == f"{settings.SITE_URL}/sim/kreditupplysning"


# --- The simulator refuses what a bureau would --------------------------------------------------

def raw(base, body, auth=(USER, PASSWORD)):
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return httpx.post(f"{base}/v1/reports", content=content, auth=auth,
                      headers={"Content-Type": "application/json"})


VALID = {"identityNumber": DAN, "subjectType": "person", "purpose": "debt_collection"}


@pytest.mark.parametrize("body, code", [
    (b"{not json", "INVALID_JSON"),
    ([VALID], "INVALID_JSON"),
    ({**VALID, "subjectType": "robot"}, "INVALID_SUBJECT_TYPE"),
    ({**VALID, "subjectType": "company"}, "INVALID_IDENTITY_NUMBER"),
    ({**VALID, "identityNumber": "19811228-9874"}, "INVALID_IDENTITY_NUMBER"),
    ({**VALID, "identityNumber": 198112289874}, "INVALID_IDENTITY_NUMBER"),
    ({**VALID, "purpose": ""}, "PURPOSE_REQUIRED"),
    ({k: v for k, v in VALID.items() if k != "purpose"}, "PURPOSE_REQUIRED"),
])
def test_the_simulator_validates_the_request(base, body, code):
    response = raw(base, body)
    assert (response.status_code, response.json()["code"]) == (400, code)


def test_the_simulator_wants_basic_credentials(base):
    assert raw(base, VALID, auth=None).status_code == 401
    response = raw(base, VALID, auth=(USER, PASSWORD + "x"))
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Basic")
    assert raw(base, VALID).status_code == 201


def test_the_simulator_refuses_a_bad_control(base):
    response = httpx.post(f"{base}/_control/subjects/{DAN}", json={"behaviour": "rich"})
    assert response.status_code == 400
    response = httpx.post(f"{base}/_control/subjects/{DAN}",
                          json={"behaviour": "slow", "delay": 600})
    assert response.status_code == 400


# --- The wire and its strict reading, pure ------------------------------------------------------

def test_the_request_on_the_wire():
    seen = []

    def bureau(request):
        seen.append(request)
        return httpx.Response(201, json=report_json())

    credit_client = CreditInfoClient("https://bureau.invalid/api/", USER, PASSWORD,
                                     transport=httpx.MockTransport(bureau))
    credit_client.report(identity_number=ALICE_BYGG, debtor_kind="company")
    [request] = seen
    assert (request.method, str(request.url)) == ("POST", "https://bureau.invalid/api/v1/reports")
    assert json.loads(request.content) == {"identityNumber": ALICE_BYGG,
                                           "subjectType": "company",
                                           "purpose": "debt_collection"}
    expected = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    assert request.headers["Authorization"] == f"Basic {expected}"


@pytest.mark.parametrize("number, kind", [
    ("8112289874", "person"),  # a person needs all 12 digits
    ("19811228-9874", "person"),  # the stored form has no dash
    ("556036079", "company"),
    (DAN, "estate"),
    (None, "person"),
])
def test_the_client_refuses_a_number_not_in_stored_form(number, kind):
    credit_client = CreditInfoClient("https://bureau.invalid", USER, PASSWORD,
                                     transport=httpx.MockTransport(pytest.fail))
    with pytest.raises(ValueError):
        credit_client.report(identity_number=number, debtor_kind=kind)


def test_the_client_wants_a_purpose():
    with pytest.raises(ValueError, match="purpose"):
        creditinfo.report_request(identity_number=DAN, debtor_kind="person", purpose="")


def report_json(**changes):
    data = {"reportId": "UC-2026-000123", "identityNumber": ALICE_BYGG,
            "subjectType": "company", "takenAt": "2026-11-24T09:15:00+01:00",
            "outcome": "insolvent", "paymentRemarks": 3,
            "kronofogdenDebt": {"amount": "48750.05", "currency": "SEK"}, "copySent": False}
    data.update(changes)
    return {k: v for k, v in data.items() if v is not ...}


def test_a_report_is_read_into_ore_and_an_aware_time():
    report = parse_report(report_json(), identity_number=ALICE_BYGG)
    assert report == CreditReport(
        identity_number=ALICE_BYGG, outcome=Outcome.INSOLVENT, payment_remarks=3,
        debt_at_kfm_ore=4_875_005, reference="UC-2026-000123",
        taken_at=datetime(2026, 11, 24, 8, 15, tzinfo=timezone.utc), copy_sent=False)
    assert report.outcome == "insolvent"  # a StrEnum: stored as is


@pytest.mark.parametrize("data, reason", [
    ([], "not a JSON object"),
    (report_json(identityNumber="5566778899"), "not on the number asked about"),
    (report_json(identityNumber=...), "not on the number asked about"),
    (report_json(outcome="good"), "unknown outcome"),
    (report_json(outcome="SOLVENT"), "unknown outcome"),
    (report_json(outcome=None), "unknown outcome"),
    (report_json(paymentRemarks=-1), "paymentRemarks"),
    (report_json(paymentRemarks=True), "paymentRemarks"),
    (report_json(paymentRemarks="3"), "paymentRemarks"),
    (report_json(kronofogdenDebt=48750.05), "kronofogdenDebt"),
    (report_json(kronofogdenDebt={"amount": 48750.05, "currency": "SEK"}), "kronofogdenDebt"),
    (report_json(kronofogdenDebt={"amount": "48750", "currency": "SEK"}), "kronofogdenDebt"),
    (report_json(kronofogdenDebt={"amount": "48 750,05", "currency": "SEK"}),
     "kronofogdenDebt"),
    (report_json(kronofogdenDebt={"amount": "-1.00", "currency": "SEK"}), "kronofogdenDebt"),
    (report_json(kronofogdenDebt={"amount": "1.00", "currency": "EUR"}), "kronofogdenDebt"),
    (report_json(kronofogdenDebt=...), "kronofogdenDebt"),
    (report_json(reportId=""), "reportId"),
    (report_json(reportId="x" * 101), "reportId"),
    (report_json(reportId=123), "reportId"),
    (report_json(takenAt="2026-11-24T09:15:00"), "offset"),
    (report_json(takenAt="yesterday"), "takenAt"),
    (report_json(takenAt=...), "takenAt"),
    (report_json(copySent="true"), "copySent"),
    (report_json(copySent=...), "copySent"),
])
def test_anything_off_in_a_report_is_an_error(data, reason):
    with pytest.raises(CreditInfoError, match=reason) as failed:
        parse_report(data, identity_number=ALICE_BYGG)
    assert failed.value.code == "MALFORMED"
    assert not isinstance(failed.value, CreditInfoUnavailable)


def answering(response):
    return CreditInfoClient("https://bureau.invalid", USER, PASSWORD,
                            transport=httpx.MockTransport(lambda request: response))


@pytest.mark.parametrize("response, error, code", [
    (httpx.Response(201, text="<html>Welcome</html>"), CreditInfoError, "MALFORMED"),
    (httpx.Response(500, text="<html>Oops</html>"), CreditInfoUnavailable, None),
    (httpx.Response(502, json={"code": "UPSTREAM", "message": "KFM down"}),
     CreditInfoUnavailable, "UPSTREAM"),
    (httpx.Response(429, json={"code": "RATE_LIMITED"}), CreditInfoUnavailable, "RATE_LIMITED"),
    (httpx.Response(403, json={"code": "NOT_LICENSED"}), CreditInfoAuthFailed, "NOT_LICENSED"),
    (httpx.Response(404, json={"code": "NOT_FOUND", "message": "No such subject"}),
     CreditInfoError, "NOT_FOUND"),
    (httpx.Response(422, json=["not", "an", "object"]), CreditInfoError, None),
])
def test_answers_that_are_not_reports(response, error, code):
    with pytest.raises(error) as failed:
        answering(response).report(identity_number=ALICE_BYGG, debtor_kind="company")
    assert type(failed.value) is error
    assert failed.value.code == code


def test_the_bureaus_words_never_carry_the_password():
    response = httpx.Response(400, json={"code": "BAD", "message": f"bad login {PASSWORD}"})
    with pytest.raises(CreditInfoError) as failed:
        answering(response).report(identity_number=ALICE_BYGG, debtor_kind="company")
    assert PASSWORD not in str(failed.value)


def test_a_timeout_is_unavailable():
    def slow(request):
        raise httpx.ReadTimeout("timed out", request=request)

    credit_client = CreditInfoClient("https://bureau.invalid", USER, PASSWORD, timeout=2,
                                     transport=httpx.MockTransport(slow))
    with pytest.raises(CreditInfoUnavailable, match="no answer within 2 s"):
        credit_client.report(identity_number=DAN, debtor_kind="person")


def test_the_outcomes_are_the_ones_ekrav_stores_and_decides_on():
    assert creditinfo.OUTCOMES == tuple(StoredOutcome.values) == decision.OUTCOMES
