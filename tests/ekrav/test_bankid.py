"""BankID's pure parts: the animated QR code (BankID's own test vector) and the recommended
user message for every documented status, hint code and error code."""

import hashlib
import hmac

import pytest

from ekrav import bankid
from ekrav.bankid import (MESSAGES, error_message, error_message_en, message_code, qr_data,
                          user_message, user_message_en)

SECRET = "d28db9a7-4cde-429e-a983-359be676944c"
TOKEN = "67df3917-fa0d-44e5-b327-edcc928297f8"


def test_qr_code_matches_bankid_s_test_vector():
    assert qr_data(TOKEN, SECRET, 0) == (
        f"bankid.{TOKEN}.0.dc69358e712458a66a7525beef148ae8526b1c71610eff2c16cdffb4cdac9bf8")


def test_qr_code_changes_every_second():
    codes = [qr_data(TOKEN, SECRET, t) for t in range(30)]
    assert len(set(codes)) == 30
    for t, code in enumerate(codes):
        prefix, token, seconds, auth_code = code.split(".")
        assert (prefix, token, seconds) == ("bankid", TOKEN, str(t))
        assert auth_code == hmac.new(SECRET.encode(), str(t).encode(),
                                     hashlib.sha256).hexdigest()


@pytest.mark.parametrize("seconds", [-1, 1.5, "3", True])
def test_qr_time_is_whole_seconds_since_the_order(seconds):
    with pytest.raises(ValueError):
        qr_data(TOKEN, SECRET, seconds)


@pytest.mark.parametrize("status, hint, qr, mobile, code", [
    ("pending", "outstandingTransaction", True, False, "RFA1"),
    ("pending", "outstandingTransaction", False, False, "RFA13"),
    ("pending", "noClient", True, False, "RFA1"),
    ("pending", "noClient", False, False, "RFA1"),
    ("pending", "started", True, False, "RFA15A"),
    ("pending", "started", False, True, "RFA15B"),
    ("pending", "userMrtd", True, False, "RFA23"),
    ("pending", "userCallConfirm", True, False, "RFA21"),
    ("pending", "userSign", True, False, "RFA9"),
    ("pending", "userSign", False, True, "RFA9"),
    ("pending", "unknown", True, False, "RFA21"),
    ("failed", "expiredTransaction", True, False, "RFA8"),
    ("failed", "certificateErr", True, False, "RFA16"),
    ("failed", "userCancel", True, False, "RFA6"),
    ("failed", "cancelled", True, False, "RFA3"),
    ("failed", "startFailed", False, False, "RFA17A"),
    ("failed", "startFailed", True, False, "RFA17B"),
    ("failed", "userDeclinedCall", True, False, "RFA6"),
    ("failed", "unknown", True, False, "RFA22"),
    ("complete", None, True, False, ""),
])
def test_each_hint_code_has_bankid_s_recommended_message(status, hint, qr, mobile, code):
    assert message_code(status, hint, qr=qr, mobile=mobile) == code
    swedish, english = MESSAGES[code] if code else ("", "")
    assert user_message(status, hint, qr=qr, mobile=mobile) == swedish
    assert user_message_en(status, hint, qr=qr, mobile=mobile) == english


@pytest.mark.parametrize("hint", ["someNewHintCode", None, ""])
def test_an_unknown_hint_code_gets_the_documented_default(hint):
    assert user_message("pending", hint, qr=True) == "En identifiering eller underskrift pågår."
    assert user_message("failed", hint, qr=False) == "Något gick fel. Försök igen."
    assert user_message_en("failed", hint, qr=False) == "Something went wrong. Please try again."


def test_the_swedish_texts_are_bankid_s():
    assert user_message("pending", "outstandingTransaction", qr=True) == "Starta BankID-appen."
    assert user_message("pending", "outstandingTransaction", qr=False) == \
        "Försöker starta BankID-appen."
    assert user_message("pending", "userSign", qr=True) == \
        "Skriv in din säkerhetskod i BankID-appen och välj Identifiera eller Skriv under."
    assert user_message("failed", "userCancel", qr=True) == "Åtgärden avbröts."
    assert user_message("failed", "cancelled", qr=True) == "Åtgärden avbröts. Försök igen."
    assert user_message("failed", "expiredTransaction", qr=True) == (
        "BankID-appen svarar inte. Kontrollera att den är startad och att du har "
        "internetanslutning. Försök sedan igen.")
    assert user_message("failed", "startFailed", qr=True) == (
        "Misslyckades att läsa av QR-koden. Starta BankID-appen och läs av QR-koden.")
    assert user_message("failed", "certificateErr", qr=True) == (
        "Ditt BankID är för gammalt eller spärrat. Använd ett annat BankID eller skaffa ett "
        "nytt hos din bank.")
    assert user_message("pending", "started", qr=True, mobile=True) == (
        "Söker efter BankID. Säkerställ att du har ett giltigt BankID på den här enheten.")
    assert error_message("alreadyInProgress") == (
        "En identifiering eller underskrift pågår redan för ditt personnummer. Försök igen.")
    assert error_message("internalError") == "Något gick fel. Försök igen."


def test_the_english_texts_are_bankid_s():
    assert user_message_en("pending", "outstandingTransaction", qr=True) == \
        "Start your BankID app."
    assert user_message_en("failed", "userCancel", qr=True) == "The action was cancelled."
    assert user_message_en("pending", "started", qr=True, mobile=True) == \
        "Searching for BankID. Make sure you have a valid BankID on this device."
    assert error_message_en("maintenance") == "Something went wrong. Please try again."


def test_every_message_has_swedish_and_english():
    for code, (swedish, english) in MESSAGES.items():
        assert code.startswith("RFA") and swedish and english and swedish != english
        assert swedish == swedish.strip() and english == english.strip()


def test_the_app_is_started_as_bankid_s_sample_code_does():
    assert bankid.launch_url("tok", mobile=False, return_url="https://x/y") == \
        "bankid:///?autostarttoken=tok&redirect=null"
    assert bankid.launch_url("tok", mobile=True, return_url="https://ekrav.se/a/?b=1") == (
        "https://app.bankid.com/?autostarttoken=tok"
        "&redirect=https%3A%2F%2Fekrav.se%2Fa%2F%3Fb%3D1")
    assert bankid.launch_url("tok", mobile=True) == \
        "https://app.bankid.com/?autostarttoken=tok&redirect=null"
    assert bankid.launch_url("", mobile=True) == ""


def test_only_maintenance_is_retried_unseen():
    assert bankid.BankIdUnavailable("x", error_code="maintenance").may_retry
    for code in ("internalError", "requestTimeout", None):
        assert not bankid.BankIdUnavailable("x", error_code=code).may_retry
    assert not bankid.BankIdError("alreadyInProgress", status_code=400).may_retry


@pytest.mark.parametrize("error_code, code", [
    ("alreadyInProgress", "RFA4"), ("requestTimeout", "RFA5"), ("maintenance", "RFA5"),
    ("internalError", "RFA5"), ("invalidParameters", "RFA5"), ("unauthorized", "RFA5"),
    (None, "RFA5"), ("someNewErrorCode", "RFA22"),
])
def test_error_codes_have_their_messages(error_code, code):
    assert error_message(error_code) == MESSAGES[code][0]
    assert error_message_en(error_code) == MESSAGES[code][1]


def test_an_unknown_status_is_a_programming_error():
    with pytest.raises(ValueError):
        message_code("done", None, qr=True)


def test_errors_carry_their_user_message():
    assert bankid.BankIdError("alreadyInProgress", "x", status_code=400).user_message == \
        MESSAGES["RFA4"][0]
    assert bankid.BankIdUnavailable("down").user_message == MESSAGES["RFA5"][0]


@pytest.mark.parametrize("answer", [
    None, [], {}, {"orderRef": "a", "status": "done"},
    {"orderRef": "a", "status": "complete"},
    {"orderRef": "a", "status": "complete", "completionData": {"user": {}, "device": {}}},
    {"orderRef": "a", "status": "pending", "hintCode": 3},
    {"orderRef": 7, "status": "pending", "hintCode": "noClient"},
])
def test_a_malformed_collect_answer_is_refused(answer):
    with pytest.raises(ValueError):
        bankid.parse_collect(answer)


@pytest.mark.parametrize("answer", [None, {}, {"orderRef": "a", "autoStartToken": "b",
                                               "qrStartToken": "c"}])
def test_a_malformed_order_answer_is_refused(answer):
    with pytest.raises(ValueError):
        bankid.parse_order(answer)
