"""Webhooks cannot be steered inside: no redirects, one DNS look-up whose every address is
checked, the connection to exactly that address (Host, SNI and certificate for the name),
and no internal error text shown to the writer. Real HTTP(S) servers on loopback; only the
OS resolver is replaced, to play a DNS server that changes its answer."""

from __future__ import annotations

import logging
import socket
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import trustme
from django.core.management import call_command
from django.urls import reverse

from tandem.notifications.models import DeliveryStatus, Kind, Webhook, WebhookDelivery
from tandem.threads import services as threads

pytestmark = pytest.mark.django_db(transaction=True)

real_getaddrinfo = socket.getaddrinfo


class Receiver:
    """An HTTP(S) server that records each request (headers, and the address it was
    reached on) and answers with `status`, plus a Location header when given."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        status: int = 204,
        location: str = "",
        tls: ssl.SSLContext | None = None,
    ):
        self.requests: list[dict] = []
        self.server_names: list[str | None] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # the stdlib calls this by name
                self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append(dict(self.headers))
                self.send_response(status)
                if location:
                    self.send_header("Location", location)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer((host, port), Handler)
        self.port = self.server.server_address[1]
        scheme = "http"
        if tls is not None:
            tls.sni_callback = lambda sock, name, ctx: self.server_names.append(name)
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
            scheme = "https"
        self.url = f"{scheme}://{host}:{self.port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receivers():
    started: list[Receiver] = []

    def start(**kwargs) -> Receiver:
        receiver = Receiver(**kwargs)
        started.append(receiver)
        return receiver

    yield start
    for receiver in started:
        receiver.close()


@pytest.fixture
def hook_settings(settings):
    settings.TANDEM_WEBHOOK_ALLOW_PRIVATE = True
    settings.TANDEM_WEBHOOK_RETRY_BASE_SECONDS = 0
    settings.TANDEM_WEBHOOK_MAX_ATTEMPTS = 1
    settings.TANDEM_WEBHOOK_DISABLE_AFTER = 5
    settings.TANDEM_WEBHOOK_TIMEOUT = 5
    return settings


class FakeDns:
    """Stands in for the OS resolver for names under .test: each look-up of a name gets the
    next answer in its list (the last one repeats). Numeric look-ups listed in `routes`
    are answered with another address: "the network routes this public address to that
    loopback server", so a test can tell which address a connection was made to."""

    def __init__(self, answers: dict[str, list[list[str]]], routes: dict[str, str] | None = None):
        self.answers = answers
        self.routes = routes or {}
        self.lookups: list[str] = []

    def __call__(self, host, port, *args, **kwargs):
        if isinstance(host, bytes):
            host = host.decode()
        if host in self.answers:
            self.lookups.append(host)
            queue = self.answers[host]
            addresses = queue.pop(0) if len(queue) > 1 else queue[0]
            return [self._info(address, port) for address in addresses]
        if host in self.routes:
            return [self._info(self.routes[host], port)]
        if host.endswith(".test"):
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real_getaddrinfo(host, port, *args, **kwargs)

    @staticmethod
    def _info(address: str, port):
        if ":" in address:
            return (socket.AF_INET6, socket.SOCK_STREAM, 6, "", (address, int(port), 0, 0))
        return (socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, int(port)))


def deliver_one(writer_a, writer_b, thread, muse, url: str) -> Webhook:
    """bram's hook for "your turn", then alice posts and the worker runs the delivery."""
    hook = Webhook.objects.create(writer=writer_b, url=url, kinds=[Kind.YOUR_TURN], secret="s" * 64)
    threads.post_create(thread=thread, writer=writer_a, muse=muse, body="ivy lifts the shutter.")
    call_command("db_worker", batch=True, no_startup_delay=True, verbosity=0)
    hook.refresh_from_db()
    return hook


def test_a_redirect_is_not_followed_and_counts_as_a_failure(
    hook_settings, receivers, writer_a, writer_b, coffee_cart, ivy
):
    inside = receivers()
    outside = receivers(status=302, location=inside.url)
    hook = deliver_one(writer_a, writer_b, coffee_cart, ivy, outside.url)
    assert len(outside.requests) == 1
    assert inside.requests == []  # the redirect target was never asked
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.last_status_code == 302
    assert delivery.last_error == "Could not deliver (status 302)"
    assert hook.last_error == "Could not deliver (status 302)"


def test_a_name_resolving_to_loopback_is_refused_at_send_time(
    hook_settings, receivers, writer_a, writer_b, coffee_cart, ivy
):
    receiver = receivers()
    hook_settings.TANDEM_WEBHOOK_ALLOW_PRIVATE = False
    # Stored as if it had been accepted when the name still pointed elsewhere.
    hook = deliver_one(
        writer_a, writer_b, coffee_cart, ivy, f"http://localhost:{receiver.port}/hook"
    )
    assert receiver.requests == []
    assert hook.last_error == "Could not deliver: the address is not public"


def test_every_resolved_address_is_checked(
    hook_settings, receivers, monkeypatch, writer_a, writer_b, coffee_cart, ivy
):
    receiver = receivers()
    hook_settings.TANDEM_WEBHOOK_ALLOW_PRIVATE = False
    # One public address first, the loopback server second: refused as a whole.
    dns = FakeDns({"mixed.test": [["8.8.8.8", "127.0.0.1"]]})
    monkeypatch.setattr(socket, "getaddrinfo", dns)
    hook = deliver_one(
        writer_a, writer_b, coffee_cart, ivy, f"http://mixed.test:{receiver.port}/hook"
    )
    assert receiver.requests == []
    assert hook.last_error == "Could not deliver: the address is not public"


def test_the_connection_goes_to_the_address_that_was_checked(
    hook_settings, receivers, monkeypatch, writer_a, writer_b, coffee_cart, ivy
):
    """DNS rebinding: the name answers a public address to the check, then a loopback one.
    Only one look-up is made and the request reaches the checked address."""
    checked = receivers()  # reached through the public address 8.8.4.4 (see routes)
    rebound = receivers(host="127.0.0.2", port=checked.port)
    hook_settings.TANDEM_WEBHOOK_ALLOW_PRIVATE = False
    dns = FakeDns(
        {"rebind.test": [["8.8.4.4"], ["127.0.0.2"]]},
        routes={"8.8.4.4": "127.0.0.1"},
    )
    monkeypatch.setattr(socket, "getaddrinfo", dns)
    hook = deliver_one(
        writer_a, writer_b, coffee_cart, ivy, f"http://rebind.test:{checked.port}/hook"
    )
    assert rebound.requests == []
    assert len(checked.requests) == 1
    assert checked.requests[0]["Host"] == f"rebind.test:{checked.port}"
    assert dns.lookups == ["rebind.test"]
    assert hook.last_error == "" and hook.last_success_at is not None


@pytest.fixture
def tls_ca(tmp_path, monkeypatch):
    """A private CA that this process trusts (OpenSSL reads SSL_CERT_FILE)."""
    ca = trustme.CA()
    path = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    monkeypatch.setenv("SSL_CERT_FILE", str(path))
    return ca


def server_context(ca: trustme.CA, name: str) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert(name).configure_cert(context)
    return context


def test_https_sends_the_name_in_sni_and_checks_the_certificate_for_it(
    hook_settings, receivers, monkeypatch, tls_ca, writer_a, writer_b, coffee_cart, ivy
):
    receiver = receivers(tls=server_context(tls_ca, "hooks.test"))
    monkeypatch.setattr(socket, "getaddrinfo", FakeDns({"hooks.test": [["127.0.0.1"]]}))
    hook = deliver_one(
        writer_a, writer_b, coffee_cart, ivy, f"https://hooks.test:{receiver.port}/hook"
    )
    assert hook.last_error == "" and hook.last_success_at is not None
    assert receiver.server_names == ["hooks.test"]
    assert receiver.requests[0]["Host"] == f"hooks.test:{receiver.port}"


def test_https_refuses_a_certificate_for_another_name(
    hook_settings, receivers, monkeypatch, tls_ca, writer_a, writer_b, coffee_cart, ivy
):
    receiver = receivers(tls=server_context(tls_ca, "elsewhere.test"))
    monkeypatch.setattr(socket, "getaddrinfo", FakeDns({"hooks.test": [["127.0.0.1"]]}))
    hook = deliver_one(
        writer_a, writer_b, coffee_cart, ivy, f"https://hooks.test:{receiver.port}/hook"
    )
    assert receiver.requests == []
    assert hook.last_error == "Could not connect"


def test_the_writer_sees_no_internal_error_details(
    hook_settings, caplog, as_bram, writer_a, writer_b, coffee_cart, ivy
):
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()  # nothing listens there now: "connection refused"
    with caplog.at_level(logging.WARNING, logger="tandem.notifications.webhooks"):
        hook = deliver_one(writer_a, writer_b, coffee_cart, ivy, f"http://127.0.0.1:{port}/hook")
    assert hook.last_error == "Could not connect"
    assert WebhookDelivery.objects.get().last_error == "Could not connect"
    page = as_bram.get(reverse("webhooks")).content.decode()
    assert "last error: Could not connect" in page
    for detail in ("Errno", "refused", "NewConnectionError", "urllib3"):
        assert detail not in page
    assert "refused" in caplog.text.lower()  # the details went to the server log


def test_an_unknown_host_is_a_plain_could_not_connect(
    hook_settings, monkeypatch, writer_a, writer_b, coffee_cart, ivy
):
    monkeypatch.setattr(socket, "getaddrinfo", FakeDns({}))
    hook = deliver_one(writer_a, writer_b, coffee_cart, ivy, "http://nowhere.test/hook")
    assert hook.last_error == "Could not connect"
