"""BankID for creditors' users, against ekrav's BankID simulator over real HTTP: a user links
BankID to their account once (logged in by e-mail), then logs in with it; a BankID nobody
linked logs nobody in; a personnummer links to one account only; the page says BankID's own
words when the order fails, and what to do when BankID is off."""

from django.test import Client

from creditors.models import UserIdentity
from tests.bankid import HX, complete_as, next_order

ALICE_PNR, OTHER_PNR = "198112289874", "195001010008"


def bankid(client, url, sim=None):
    """Start an order on ``url`` and ask once where it stands, as the page does."""
    started = client.post(url)
    assert started.status_code == 200
    assert 'data-status="pending"' in started.content.decode()
    assert "<svg" in started.content.decode()  # the QR code
    return client.get(url, **HX)


def test_a_user_links_bankid_then_logs_in_with_it(sim, alice, alice_co, transactional_db):
    browser = Client()
    browser.force_login(alice)
    complete_as(sim, ALICE_PNR)
    linked = bankid(browser, "/konto/bankid/koppla/")
    assert linked["HX-Redirect"] == "/konto/bankid/koppla/"
    identity = UserIdentity.objects.get(user=alice)
    assert (identity.personal_number, identity.name) == (ALICE_PNR, "Alice Bygg")
    assert 'data-testid="bankid-linked"' in browser.get("/konto/bankid/koppla/").content.decode()

    visitor = Client()
    complete_as(sim, ALICE_PNR)
    done = bankid(visitor, "/konto/bankid/?next=/arenden/")
    assert done["HX-Redirect"] == "/arenden/"
    page = visitor.get("/")
    assert page.status_code == 200 and page.wsgi_request.user == alice


def test_a_bankid_nobody_linked_logs_nobody_in(sim, alice, transactional_db):
    visitor = Client()
    complete_as(sim, OTHER_PNR, name="Olle Okänd")
    answer = bankid(visitor, "/konto/bankid/")
    assert "HX-Redirect" not in answer
    body = answer.content.decode()
    assert 'data-testid="bankid-problem"' in body and "Inget konto" in body
    assert not visitor.get("/").wsgi_request.user.is_authenticated


def test_a_personnummer_links_to_one_account_only(sim, alice, charlie, transactional_db):
    UserIdentity.objects.create(user=charlie, personal_number=ALICE_PNR, name="Charlie",
                                verified_at="2026-11-01T10:00:00Z")
    browser = Client()
    browser.force_login(alice)
    complete_as(sim, ALICE_PNR)
    answer = bankid(browser, "/konto/bankid/koppla/")
    assert "redan kopplat till ett annat konto" in answer.content.decode()
    assert not UserIdentity.objects.filter(user=alice).exists()


def test_a_cancelled_order_says_so_in_bankids_words(sim, alice, transactional_db):
    visitor = Client()
    next_order(sim, outcome="failed", hintCode="userCancel")
    answer = bankid(visitor, "/konto/bankid/")
    body = answer.content.decode()
    assert 'data-status="failed"' in body and "Åtgärden avbröts." in body
    # The visitor may start again.
    assert 'data-testid="bankid-start"' in body


def test_the_user_may_cancel_a_pending_order(sim, transactional_db):
    visitor = Client()
    started = visitor.post("/konto/bankid/")
    assert 'data-status="pending"' in started.content.decode()
    cancelled = visitor.post("/konto/bankid/", {"cancel": "1"})
    assert 'data-status="none"' in cancelled.content.decode()
    assert 'data-status="none"' in visitor.get("/konto/bankid/", **HX).content.decode()


def test_linking_needs_a_login(client, db):
    response = client.get("/konto/bankid/koppla/")
    assert response.status_code == 302 and "/konto/login/" in response["Location"]


def test_without_bankid_the_page_says_so(client, settings, db):
    settings.BANKID_BASE_URL = ""
    answer = client.post("/konto/bankid/")
    assert answer.status_code == 200
    assert "BankID kan inte användas just nu" in answer.content.decode()


def test_the_login_page_offers_bankid(client, db):
    body = client.get("/konto/login/?next=/arenden/").content.decode()
    assert 'data-testid="login-bankid"' in body and "/konto/bankid/?next=/arenden/" in body
