"""A webhook receiver over real HTTP: a threaded ``http.server`` on 127.0.0.1 that records
every request and answers with the status the test sets (loopback is allowed because the tests
run with SIMULATORS_ENABLED, as a development set-up does)."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from webhooks.services import endpoint_create


class Receiver:
    def __init__(self):
        self.requests = []  # (path, headers, body)
        self.status = 200
        self.delay = 0.0
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def _handler(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if receiver.delay:
                    threading.Event().wait(receiver.delay)
                with receiver.lock:
                    receiver.requests.append((self.path, dict(self.headers), body))
                self.send_response(receiver.status)
                self.send_header("Content-Type", "text/plain")
                self.end_headers()
                self.wfile.write(b"ok " * 1000 if receiver.status == 200 else b"nope")

            def log_message(self, *args):
                pass

        return Handler

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def alice_endpoint(alice_co, alice, receiver):
    return endpoint_create(creditor=alice_co, url=receiver.url, description="ERP",
                           created_by=alice)
