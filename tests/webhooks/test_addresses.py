"""DNS rebinding: a delivery connects to the very address its host name was checked at, with
one lookup per connection, and TLS still verifies the certificate for the host name itself.

The names below exist only in a resolver of the test's own (``socket.getaddrinfo`` answering
for them alone); the connections are real, to receivers on loopback, or recorded and refused.
"""

import datetime
import socket
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpcore
import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.utils import timezone
from django.utils.translation import gettext

from webhooks.addresses import AddressError, CheckedBackend, CheckedTransport
from webhooks.models import WebhookEndpoint
from webhooks.services import delivery_send, endpoint_create, endpoint_ping, http_client

NOW = timezone.now().replace(microsecond=0)
PUBLIC = "93.184.215.14"  # a public address nothing here ever reaches (connections recorded)


class Rebinding:
    """A name server that answers ``first`` to the first lookup of ``name`` and ``then`` to
    every later one; other names go to the real resolver."""

    def __init__(self, monkeypatch, name, first, then):
        self.name, self.answers, self.lookups = name, [first, then], []
        self._real = socket.getaddrinfo
        monkeypatch.setattr(socket, "getaddrinfo", self)

    def __call__(self, host, port, *args, **kwargs):
        if host != self.name:
            return self._real(host, port, *args, **kwargs)
        self.lookups.append(host)
        addresses = self.answers[0] if len(self.lookups) == 1 else self.answers[1]
        return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (a, int(port)))
                for a in addresses]


@pytest.fixture
def connections(monkeypatch):
    """Every TCP connection asked for, refused instead of made (no real network)."""
    asked = []

    def refuse(address, *args, **kwargs):
        asked.append(address)
        raise ConnectionRefusedError(f"refused by the test: {address}")

    monkeypatch.setattr(socket, "create_connection", refuse)
    return asked


@pytest.fixture
def production(settings):
    settings.DEBUG = settings.SIMULATORS_ENABLED = False  # https and public addresses only


@pytest.mark.django_db
def test_a_delivery_goes_to_the_checked_address_not_to_a_second_answer(alice_co, receiver,
                                                                      monkeypatch):
    port = receiver.server.server_address[1]
    # The receiver listens on 127.0.0.1 only: at 127.0.0.2 the connection is refused.
    dns = Rebinding(monkeypatch, "hooks.example.test", ["127.0.0.1"], ["127.0.0.2"])
    endpoint = WebhookEndpoint.objects.create(creditor=alice_co,
                                              url=f"http://hooks.example.test:{port}/hook")
    delivery = endpoint_ping(endpoint=endpoint, now=NOW)
    assert delivery_send(delivery_id=delivery.pk, now=NOW) == "delivered"
    [(path, headers, _body)] = receiver.requests
    assert headers["Host"] == f"hooks.example.test:{port}" and path == "/hook"
    assert dns.lookups == ["hooks.example.test"]  # checked and connected on one answer
    # What a second lookup, as httpx's own, would have connected to:
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("hooks.example.test", port), timeout=2).close()


@pytest.mark.django_db
def test_production_rules_connect_to_the_public_answer_never_the_rebound_loopback(
        production, monkeypatch, connections):
    dns = Rebinding(monkeypatch, "hooks.example.test", [PUBLIC], ["127.0.0.1"])
    with http_client() as client, pytest.raises(httpx.ConnectError):
        client.post("https://hooks.example.test/hook", content=b"{}")
    assert connections == [(PUBLIC, 443)] and len(dns.lookups) == 1


@pytest.mark.django_db
def test_a_name_with_any_private_address_is_refused_before_connecting(production, monkeypatch,
                                                                      connections):
    Rebinding(monkeypatch, "hooks.example.test", [PUBLIC, "10.0.0.5"], [PUBLIC])
    with pytest.raises(AddressError):
        CheckedBackend().connect_tcp("hooks.example.test", 443, timeout=1)
    assert connections == []


@pytest.mark.django_db
def test_every_checked_address_is_tried_in_turn(production, monkeypatch, connections):
    Rebinding(monkeypatch, "hooks.example.test", [PUBLIC, "93.184.215.15"], ["127.0.0.1"])
    with pytest.raises(httpcore.ConnectError):
        CheckedBackend().connect_tcp("hooks.example.test", 443, timeout=1)
    assert connections == [(PUBLIC, 443), ("93.184.215.15", 443)]


@pytest.mark.django_db
def test_a_rebound_name_is_refused_at_send_time_under_production_rules(
        production, alice_co, monkeypatch, connections):
    """Saved when the name was public; resolved to loopback by the time it is posted."""
    Rebinding(monkeypatch, "hooks.example.test", [PUBLIC], ["127.0.0.1"])
    endpoint = endpoint_create(creditor=alice_co, url="https://hooks.example.test/hook")
    delivery = endpoint_ping(endpoint=endpoint, now=NOW)
    assert delivery_send(delivery_id=delivery.pk, now=NOW) == "pending"
    delivery.refresh_from_db()
    assert delivery.last_error == gettext("The URL points to a private or local network address.")
    assert connections == []


# --- TLS: the certificate is verified for the endpoint's host name ------------------------------

def _certificate(name, key, issuer_name, issuer_key, *, ca):
    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (x509.CertificateBuilder()
               .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
               .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer_name)]))
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now - datetime.timedelta(hours=1))
               .not_valid_after(now + datetime.timedelta(hours=1))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if not ca:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]),
                                        critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


@pytest.fixture
def tls_receiver(tmp_path):
    """An HTTPS receiver on 127.0.0.1 with a certificate for hooks.example.test from a test
    CA; yields (port, the CA's PEM, the SNI names it was asked for)."""
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = _certificate("ekrav test CA", ca_key, "ekrav test CA", ca_key, ca=True)
    key = ec.generate_private_key(ec.SECP256R1())
    cert = _certificate("hooks.example.test", key, "ekrav test CA", ca_key, ca=False)
    (tmp_path / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "key.pem").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
    sni = []
    server_context.sni_callback = lambda sock, name, context: sni.append(name)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's name
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    class Server(ThreadingHTTPServer):
        def handle_error(self, request, client_address):
            pass  # a client that refused the certificate

    server = Server(("127.0.0.1", 0), Handler)
    server.socket = server_context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1], ca.public_bytes(serialization.Encoding.PEM).decode(), sni
    server.shutdown()
    server.server_close()


def _client(ca_pem=None):
    verify = ssl.create_default_context(cadata=ca_pem) if ca_pem else True
    return httpx.Client(transport=CheckedTransport(verify=verify), timeout=5,
                        trust_env=False, follow_redirects=False)


def test_tls_is_verified_for_the_host_name_over_the_pinned_address(tls_receiver, monkeypatch,
                                                                   settings):
    settings.SIMULATORS_ENABLED = True  # loopback allowed, as in development
    port, ca_pem, sni = tls_receiver
    Rebinding(monkeypatch, "hooks.example.test", ["127.0.0.1"], ["127.0.0.2"])
    with _client(ca_pem) as client:
        response = client.post(f"https://hooks.example.test:{port}/hook", content=b"{}")
    assert response.status_code == 200 and sni == ["hooks.example.test"]


def test_tls_refuses_a_certificate_for_another_name_or_from_an_unknown_ca(tls_receiver,
                                                                          monkeypatch, settings):
    settings.SIMULATORS_ENABLED = True
    port, ca_pem, _sni = tls_receiver
    Rebinding(monkeypatch, "other.example.test", ["127.0.0.1"], ["127.0.0.1"])
    with _client(ca_pem) as client, pytest.raises(httpx.ConnectError, match="certificate"):
        client.post(f"https://other.example.test:{port}/hook", content=b"{}")
    Rebinding(monkeypatch, "hooks.example.test", ["127.0.0.1"], ["127.0.0.1"])
    with http_client() as client, pytest.raises(httpx.ConnectError, match="certificate"):
        client.post(f"https://hooks.example.test:{port}/hook", content=b"{}")
