"""The portal's webhook pages (Företag → Webhooks): in Swedish; managers change, every member
sees; charlie sees nothing of alice's (404)."""

import pytest
from django.utils import timezone

from webhooks.models import WebhookDelivery, WebhookEndpoint
from webhooks.services import delivery_send, endpoint_ping

pytestmark = pytest.mark.django_db


@pytest.fixture
def delivered(alice_endpoint, receiver):
    delivery = endpoint_ping(endpoint=alice_endpoint, now=timezone.now())
    delivery_send(delivery_id=delivery.pk, now=timezone.now())
    return delivery


def test_the_list_in_swedish_and_linked_from_the_company_menu(alice_client, alice_endpoint):
    page = alice_client.get("/foretag/webhooks/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Lägg till en mottagare" in html and alice_endpoint.url in html
    assert 'href="/foretag/webhooks/"' in alice_client.get("/").content.decode()


def test_adding_an_endpoint(alice_client, alice_co, receiver):
    response = alice_client.post("/foretag/webhooks/", {
        "url": receiver.url, "description": "Affärssystem",
        "event_types": ["payment.received", "letter.sent"]})
    endpoint = WebhookEndpoint.objects.get(creditor=alice_co)
    assert response.status_code == 302
    assert response["Location"] == f"/foretag/webhooks/{endpoint.pk}/"
    assert endpoint.event_types == ["letter.sent", "payment.received"]
    page = alice_client.get(response["Location"]).content.decode()
    assert endpoint.secret in page and "Signeringshemlighet" in page


@pytest.mark.parametrize("url,reason", [
    ("ftp://example.se/x", "https://"),
    ("http://10.0.0.5/hook", "privat eller lokalt"),
    ("http://169.254.169.254/latest/meta-data", "privat eller lokalt"),
    ("https://no-such-host.invalid/x", "kunde inte slås upp"),
])
def test_a_bad_url_is_refused_at_its_field(alice_client, url, reason):
    response = alice_client.post("/foretag/webhooks/", {"url": url})
    assert response.status_code == 200
    assert reason in response.context["form"].errors["url"][0]
    assert not WebhookEndpoint.objects.exists()


def test_production_wants_https_and_no_loopback(alice_client, settings, receiver):
    settings.DEBUG = settings.SIMULATORS_ENABLED = False
    response = alice_client.post("/foretag/webhooks/", {"url": receiver.url})
    assert "https://" in response.context["form"].errors["url"][0]
    response = alice_client.post("/foretag/webhooks/",
                                 {"url": receiver.url.replace("http:", "https:")})
    assert "privat eller lokalt" in response.context["form"].errors["url"][0]
    assert not WebhookEndpoint.objects.exists()


def test_the_delivery_log_and_send_again(alice_client, alice_endpoint, delivered, receiver):
    page = alice_client.get(f"/foretag/webhooks/{alice_endpoint.pk}/").content.decode()
    assert "Leveranslogg" in page and "ping" in page and "Levererad" in page
    assert "Skicka igen" in page
    response = alice_client.post(f"/foretag/webhooks/leveranser/{delivered.pk}/skicka-igen/",
                                 HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "Väntar" in response.content.decode()
    delivered.refresh_from_db()
    assert delivered.state == "pending"


def test_rotate_test_change_and_delete(alice_client, alice_endpoint, receiver):
    base = f"/foretag/webhooks/{alice_endpoint.pk}/"
    old = alice_endpoint.secret
    alice_client.post(base + "ny-hemlighet/")
    alice_endpoint.refresh_from_db()
    assert alice_endpoint.secret != old and alice_endpoint.previous_secret == old
    alice_client.post(base + "testa/")
    assert WebhookDelivery.objects.filter(endpoint=alice_endpoint, event__type="ping").exists()
    alice_client.post(base, {"url": receiver.url, "description": "Nytt", "is_active": ""})
    alice_endpoint.refresh_from_db()
    assert alice_endpoint.description == "Nytt" and not alice_endpoint.is_active
    alice_client.post(base + "ta-bort/")
    assert not WebhookEndpoint.objects.exists()


def test_bob_sees_but_cannot_change(client, bob, alice_endpoint, delivered):
    client.force_login(bob)
    page = client.get(f"/foretag/webhooks/{alice_endpoint.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Leveranslogg" in html and alice_endpoint.secret not in html
    assert "Skicka igen" not in html
    assert client.post("/foretag/webhooks/", {"url": "https://x.se/"}).status_code == 403
    for path in ("", "ny-hemlighet/", "testa/", "ta-bort/"):
        assert client.post(f"/foretag/webhooks/{alice_endpoint.pk}/{path}").status_code == 403
    assert client.post(
        f"/foretag/webhooks/leveranser/{delivered.pk}/skicka-igen/").status_code == 403
    assert WebhookEndpoint.objects.count() == 1


def test_charlie_sees_nothing_of_alices(charlie_client, alice_endpoint, delivered):
    html = charlie_client.get("/foretag/webhooks/").content.decode()
    assert alice_endpoint.url not in html
    base = f"/foretag/webhooks/{alice_endpoint.pk}/"
    assert charlie_client.get(base).status_code == 404
    for path in ("", "ny-hemlighet/", "testa/", "ta-bort/"):
        assert charlie_client.post(base + path, {"url": "https://x.se/"}).status_code == 404
    assert charlie_client.post(
        f"/foretag/webhooks/leveranser/{delivered.pk}/skicka-igen/").status_code == 404
    alice_endpoint.refresh_from_db()
    assert alice_endpoint.is_active and WebhookDelivery.objects.get().state == "delivered"
