"""Opening a case in Mitt Ärende: the case number and OCR of one letter, nothing else; one
answer for every wrong guess, and guessing slowed to a halt; the session sees that one case."""

from datetime import timedelta

import pytest

from claims.models import Claim, Status
from claims.services import claim_withdraw
from debtors import portal
from debtors.portal import MAX_FAILURES
from letters.models import Letter
from tests.debtors.conftest import TODAY, open_case

pytestmark = pytest.mark.django_db

NO_SUCH_CASE = "Vi kunde inte öppna något ärende med de här numren."
TOO_MANY = "För många försök."


def test_the_door_asks_for_both_numbers(client):
    response = client.get("/mitt-arende/")
    assert response.status_code == 200
    body = response.content.decode()
    assert 'name="case_number"' in body and 'name="ocr"' in body
    assert response["Cache-Control"].startswith("max-age=0")


def test_the_right_numbers_open_the_case_for_this_browser_only(client, dan_claim, today):
    response = open_case(client, dan_claim)
    assert response.status_code == 302
    assert response["Location"] == f"/mitt-arende/arenden/{dan_claim.pk}/"
    access = client.session[portal.SESSION_KEY]
    assert access["method"] == "case+ocr" and access["claims"] == [dan_claim.pk]
    # Ends with the browser, and the visitor got a new session key (no fixation).
    assert client.session.get_expire_at_browser_close()
    page = client.get(response["Location"])
    assert page.status_code == 200 and dan_claim.case_number in page.content.decode()


def test_numbers_typed_with_spaces_and_dashes_open_it_too(client, dan_claim, today):
    spaced = " ".join(dan_claim.ocr[i:i + 4] for i in range(0, len(dan_claim.ocr), 4))
    response = open_case(client, dan_claim, case_number=f" {dan_claim.case_number} ",
                         ocr=spaced.replace(" ", "-", 1))
    assert response.status_code == 302


def test_a_wrong_ocr_and_an_unknown_case_get_the_same_answer(client, dan_claim, other_claim,
                                                             today):
    wrong_ocr = open_case(client, dan_claim, ocr=other_claim.ocr)
    no_case = open_case(client, dan_claim, case_number="999999")
    crossed = open_case(client, dan_claim, case_number=other_claim.case_number)
    assert wrong_ocr.status_code == no_case.status_code == crossed.status_code == 400
    errors = [r.context["form"].non_field_errors() for r in (wrong_ocr, no_case, crossed)]
    assert errors[0] == errors[1] == errors[2] and NO_SUCH_CASE in errors[0][0]
    assert [r.context["form"].errors.keys() - {"__all__"} for r in (wrong_ocr, no_case)] == [
        set(), set()]
    assert portal.SESSION_KEY not in client.session


def test_letters_in_the_numbers_are_a_field_error_not_a_guess(client, dan_claim, today):
    response = open_case(client, dan_claim, ocr="12AB")
    assert response.status_code == 400
    assert "ocr" in response.context["form"].errors
    for _ in range(MAX_FAILURES + 2):
        open_case(client, dan_claim, ocr="12AB")
    assert open_case(client, dan_claim).status_code == 302  # none counted as a guess


def test_five_wrong_guesses_from_one_address_then_a_polite_wait(client, dan_claim, other_claim,
                                                               today):
    for n in range(MAX_FAILURES):
        assert open_case(client, dan_claim, case_number=str(900000 + n)).status_code == 400
    # Even the right numbers, and for another case: this address is not even looked at.
    refused = open_case(client, other_claim)
    assert refused.status_code == 429
    assert TOO_MANY in refused.context["form"].non_field_errors()[0]
    assert portal.SESSION_KEY not in client.session
    # After the window the door opens again.
    today.shift(timedelta(seconds=portal.FAILURE_WINDOW + 1))
    assert open_case(client, other_claim).status_code == 302


def test_five_wrong_guesses_at_one_case_from_many_addresses_then_a_wait(client, dan_claim,
                                                                       other_claim, today):
    for n in range(MAX_FAILURES):
        response = open_case(client, dan_claim, ocr="1234567890", REMOTE_ADDR=f"10.0.0.{n}")
        assert response.status_code == 400
    assert open_case(client, dan_claim, REMOTE_ADDR="10.0.1.1").status_code == 429
    # Another case from a fresh address is not held up by it.
    assert open_case(client, other_claim, REMOTE_ADDR="10.0.1.2").status_code == 302


def test_ipv6_guesses_count_per_64(client, dan_claim, today):
    for n in range(MAX_FAILURES):
        open_case(client, dan_claim, case_number=str(900000 + n),
                  REMOTE_ADDR=f"2001:db8:1:2::{n + 1}")
    assert open_case(client, dan_claim, REMOTE_ADDR="2001:db8:1:2:ffff::9").status_code == 429


def test_a_case_closed_long_ago_no_longer_opens(client, dan_claim, today):
    claim_withdraw(claim=dan_claim, reason="Betald direkt", today=TODAY)
    assert open_case(client, dan_claim).status_code == 302  # recently closed: still opens
    client.post("/mitt-arende/stang/")
    today.shift(timedelta(days=91))
    response = open_case(client, dan_claim)
    assert response.status_code == 400 and NO_SUCH_CASE in response.content.decode()


def test_the_session_sees_its_one_case_and_no_other(dan_client, dan_claim, other_claim,
                                                    charlie_claim):
    assert dan_client.get(f"/mitt-arende/arenden/{dan_claim.pk}/").status_code == 200
    for claim in (other_claim, charlie_claim):
        assert dan_client.get(f"/mitt-arende/arenden/{claim.pk}/").status_code == 404
    for path in ("redan-betalat/", "meddelande/"):
        response = dan_client.post(f"/mitt-arende/arenden/{other_claim.pk}/{path}",
                                   {"paid_on": "2026-04-20", "amount": "100", "text": "Hej"})
        assert response.status_code == 404
    assert other_claim.events.filter(kind="note").count() == 0


def test_letters_are_served_only_for_the_case_in_the_session(dan_client, dan_claim,
                                                             other_claim):
    mine = Letter.objects.filter(claim=dan_claim).order_by("id")
    assert [letter.kind for letter in mine] == ["reminder", "demand"]
    response = dan_client.get(f"/mitt-arende/arenden/{dan_claim.pk}/brev/{mine[0].pk}/pdf/")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    theirs = Letter.objects.filter(claim=other_claim).first()
    # Their letter under their case, and under mine: not there either way.
    assert dan_client.get(
        f"/mitt-arende/arenden/{other_claim.pk}/brev/{theirs.pk}/pdf/").status_code == 404
    assert dan_client.get(
        f"/mitt-arende/arenden/{dan_claim.pk}/brev/{theirs.pk}/pdf/").status_code == 404


def test_a_letter_not_sent_is_not_there(dan_client, dan_claim):
    letter = Letter.objects.filter(claim=dan_claim).first()
    Letter.objects.filter(pk=letter.pk).update(state=Letter.State.HELD)
    assert dan_client.get(
        f"/mitt-arende/arenden/{dan_claim.pk}/brev/{letter.pk}/pdf/").status_code == 404


def test_opening_another_case_replaces_the_first(dan_client, dan_claim, other_claim):
    assert open_case(dan_client, other_claim).status_code == 302
    assert dan_client.session[portal.SESSION_KEY]["claims"] == [other_claim.pk]
    assert dan_client.get(f"/mitt-arende/arenden/{dan_claim.pk}/").status_code == 404


def test_without_access_a_case_is_not_there_and_the_door_is_shown(client, dan_claim, today):
    letter = Letter.objects.filter(claim=dan_claim).first()
    for path in ("", f"brev/{letter.pk}/pdf/"):
        response = client.get(f"/mitt-arende/arenden/{dan_claim.pk}/{path}")
        assert response.status_code == 404
        assert 'name="ocr"' in response.content.decode()  # where to go instead
    assert client.post(f"/mitt-arende/arenden/{dan_claim.pk}/meddelande/",
                       {"text": "Hej"}).status_code == 404
    assert not dan_claim.events.filter(kind="note").exists()


def test_idle_too_long_closes_the_case(dan_client, dan_claim, today):
    page = f"/mitt-arende/arenden/{dan_claim.pk}/"
    today.shift(timedelta(seconds=portal.IDLE_SECONDS - 10))
    assert dan_client.get(page).status_code == 200  # each request counts as activity
    today.shift(timedelta(seconds=portal.IDLE_SECONDS - 10))
    assert dan_client.get(page).status_code == 200
    today.shift(timedelta(seconds=portal.IDLE_SECONDS + 1))
    response = dan_client.get(page, follow=True)
    assert response.redirect_chain == [("/mitt-arende/", 302)]
    assert "stängdes ärendet efter en stund utan aktivitet" in response.content.decode()
    assert portal.SESSION_KEY not in dan_client.session


def test_activity_is_written_to_the_session_at_most_every_half_minute(dan_client, dan_claim,
                                                                      today):
    page = f"/mitt-arende/arenden/{dan_claim.pk}/"
    seen = dan_client.session[portal.SESSION_KEY]["seen"]
    today.shift(timedelta(seconds=portal.TOUCH_SECONDS - 5))
    assert dan_client.get(page).status_code == 200
    assert dan_client.session[portal.SESSION_KEY]["seen"] == seen  # not written again
    today.shift(timedelta(seconds=10))
    assert dan_client.get(page).status_code == 200
    assert dan_client.session[portal.SESSION_KEY]["seen"] == seen + portal.TOUCH_SECONDS + 5
    # The timeout counts from the last write: at most TOUCH_SECONDS early, never late.
    today.shift(timedelta(seconds=portal.IDLE_SECONDS + 1))
    assert dan_client.get(page, follow=True).redirect_chain == [("/mitt-arende/", 302)]


def test_close_the_case(dan_client, dan_claim):
    response = dan_client.post("/mitt-arende/stang/")
    assert response.status_code == 302 and response["Location"] == "/mitt-arende/"
    assert portal.SESSION_KEY not in dan_client.session
    assert dan_client.get(f"/mitt-arende/arenden/{dan_claim.pk}/").status_code == 404
    assert dan_client.get("/mitt-arende/stang/").status_code == 405  # never by a link


def test_closing_leaves_a_creditors_login_alone(alice_client, dan_claim, today):
    assert open_case(alice_client, dan_claim).status_code == 302
    alice_client.post("/mitt-arende/stang/")
    assert portal.SESSION_KEY not in alice_client.session
    assert alice_client.get("/").status_code == 200  # still logged in to the creditor portal


def test_the_claim_is_not_changed_by_looking(dan_client, dan_claim):
    before = Claim.objects.values().get(pk=dan_claim.pk)
    dan_client.get(f"/mitt-arende/arenden/{dan_claim.pk}/")
    assert Claim.objects.values().get(pk=dan_claim.pk) == before
    assert dan_claim.status == Status.DEMAND_SENT
