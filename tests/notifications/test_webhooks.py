"""Webhooks against a real HTTP server on loopback: payload, signature, retries, switching off."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from tandem.notifications import webhooks
from tandem.notifications.models import DeliveryStatus, Kind, Notification, WebhookDelivery
from tandem.threads import services as threads

# The worker reopens database connections, so these tests commit for real.
pytestmark = pytest.mark.django_db(transaction=True)


class Receiver:
    """An HTTP server that records requests and answers with the next queued status."""

    def __init__(self, statuses: list[int]):
        self.statuses = list(statuses)
        self.requests: list[tuple[dict, bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # the stdlib calls this by name
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append((dict(self.headers), body))
                status = receiver.statuses.pop(0) if receiver.statuses else 204
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def hook_settings(settings):
    settings.TANDEM_WEBHOOK_ALLOW_PRIVATE = True
    settings.TANDEM_WEBHOOK_RETRY_BASE_SECONDS = 0  # retry at once, so one worker run sees all
    settings.TANDEM_WEBHOOK_MAX_ATTEMPTS = 3
    settings.TANDEM_WEBHOOK_DISABLE_AFTER = 2
    return settings


def run_worker() -> None:
    call_command("db_worker", batch=True, no_startup_delay=True, verbosity=0)


def opening_post(thread, writer, muse):
    threads.post_create(thread=thread, writer=writer, muse=muse, body="ivy opens the shop.")


def test_your_turn_reaches_the_webhook_signed_and_discord_shaped(
    hook_settings, writer_a, writer_b, coffee_cart, ivy
):
    receiver = Receiver([204])
    try:
        hook = webhooks.webhook_add(writer=writer_b, url=receiver.url, kinds=[Kind.YOUR_TURN])
        opening_post(coffee_cart, writer_a, ivy)
        run_worker()
    finally:
        receiver.close()
    assert len(receiver.requests) == 1
    headers, body = receiver.requests[0]
    expected = "sha256=" + hmac.new(hook.secret.encode(), body, hashlib.sha256).hexdigest()
    assert headers["X-Tandem-Signature"] == expected
    assert headers["X-Tandem-Event"] == "your_turn"
    data = json.loads(body)
    assert data["username"] == "Tandem"
    assert data["content"].startswith("Your turn as Hale in “Coffee cart”.")
    assert data["embeds"][0]["title"] == "Coffee cart"
    assert WebhookDelivery.objects.get().status == DeliveryStatus.SENT


def test_failures_are_retried_then_the_hook_is_switched_off_with_a_notice(
    hook_settings, writer_a, writer_b, coffee_cart, ivy, hale
):
    receiver = Receiver([500] * 20)
    try:
        hook = webhooks.webhook_add(writer=writer_b, url=receiver.url, kinds=[Kind.YOUR_TURN])
        opening_post(coffee_cart, writer_a, ivy)
        run_worker()
        assert len(receiver.requests) == 3  # max attempts
        hook.refresh_from_db()
        assert hook.consecutive_failures == 1 and hook.is_active
        Notification.objects.update(read_at=timezone.now())  # bram has seen the first one
        threads.post_create(thread=coffee_cart, writer=writer_b, muse=hale, body="hale replies")
        threads.post_create(thread=coffee_cart, writer=writer_a, muse=ivy, body="ivy again")
        run_worker()
    finally:
        receiver.close()
    hook.refresh_from_db()
    assert not hook.is_active
    assert hook.last_error == "Could not deliver (status 500)"
    notice = Notification.objects.get(recipient=writer_b, kind=Kind.WEBHOOK_DISABLED)
    assert "switched off" in notice.text


def test_a_retry_that_succeeds_resets_the_failure_count(
    hook_settings, writer_a, writer_b, coffee_cart, ivy
):
    receiver = Receiver([503, 200])
    try:
        hook = webhooks.webhook_add(writer=writer_b, url=receiver.url, kinds=[Kind.YOUR_TURN])
        opening_post(coffee_cart, writer_a, ivy)
        run_worker()
    finally:
        receiver.close()
    assert len(receiver.requests) == 2
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.SENT, 2)
    hook.refresh_from_db()
    assert hook.consecutive_failures == 0


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/hook",
        "http://localhost/hook",
        "http://10.1.2.3/hook",
        "http://192.168.0.10/hook",
        "http://[::1]/hook",
        "http://169.254.169.254/latest/meta-data",
        "ftp://example.org/hook",
        "javascript:alert(1)",
    ],
)
def test_private_and_odd_urls_are_refused_in_production(settings, writer_b, url):
    settings.TANDEM_WEBHOOK_ALLOW_PRIVATE = False
    with pytest.raises(ValidationError):
        webhooks.webhook_add(writer=writer_b, url=url, kinds=[Kind.YOUR_TURN])


def test_webhook_page_adds_and_explains_a_refusal(as_bram, settings):
    settings.TANDEM_WEBHOOK_ALLOW_PRIVATE = False
    response = as_bram.post(
        reverse("webhooks"), {"url": "http://127.0.0.1/x", "kinds": [Kind.YOUR_TURN]}
    )
    assert response.status_code == 200
    assert "private network" in response.content.decode()
    response = as_bram.post(reverse("webhooks"), {"url": "not a url", "kinds": []})
    assert response.status_code == 200
    assert "Enter a valid URL" in response.content.decode()
