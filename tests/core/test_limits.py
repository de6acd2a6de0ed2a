"""Issue 9: request body limits (ASGI and Django), privacy headers, the 429 page and
one-line 403 logs."""

from __future__ import annotations

import logging
import os
import select
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.urls import reverse

from tests.browser.conftest import _tandem_command
from tests.live.servers import server_env, tandem_serve

# ---------------------------------------------------------------------------- headers


@pytest.mark.django_db
def test_pages_for_signed_in_readers_are_private(client, writer_a, coffee_cart):
    client.force_login(writer_a)
    for url in ("/", coffee_cart.get_absolute_url(), reverse("profile")):
        response = client.get(url)
        assert "private" in response["Cache-Control"], url


@pytest.mark.django_db
def test_anonymous_pages_are_not_marked_private(client):
    response = client.get(reverse("sign-up"))
    assert "private" not in response.get("Cache-Control", "")


@pytest.mark.django_db
def test_every_page_has_a_permissions_policy(client):
    policy = client.get(reverse("login"))["Permissions-Policy"]
    for feature in ("camera", "microphone", "geolocation", "payment", "usb"):
        assert f"{feature}=()" in policy


def _setting_with(env: dict, name: str) -> str:
    code = f"import django; django.setup(); from django.conf import settings; print(getattr(settings, {name!r}, 0))"
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "tandem.settings", **env}
    result = subprocess.run(
        [sys.executable, "-c", code], env=environment, capture_output=True, text=True, check=True
    )
    return result.stdout.strip()


def test_hsts_is_on_with_secure_cookies_and_off_without(tmp_path):
    base = {"TANDEM_DATA_DIR": str(tmp_path)}
    assert int(_setting_with({**base, "TANDEM_SECURE_COOKIES": "1"}, "SECURE_HSTS_SECONDS")) > 0
    assert _setting_with({**base, "TANDEM_SECURE_COOKIES": ""}, "SECURE_HSTS_SECONDS") == "0"


@pytest.mark.django_db
def test_hsts_header_is_sent_over_https_when_configured(client, settings):
    settings.SECURE_HSTS_SECONDS = 31_536_000
    response = client.get(reverse("login"), secure=True)
    assert response["Strict-Transport-Security"] == "max-age=31536000"


# ---------------------------------------------------------------------------- 403 logging


@pytest.mark.django_db
def test_a_403_is_logged_as_one_line_without_a_traceback(client, writer_b, coffee_cart, caplog):
    client.force_login(writer_b)  # a participant, not the owner
    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = client.post(
            reverse("thread-settings", args=[coffee_cart.public_id]), {"title": "Mine now"}
        )
    assert response.status_code == 403
    records = [r for r in caplog.records if getattr(r, "status_code", None) == 403]
    assert records
    for record in records:
        line = logging.Formatter("%(levelname)s %(name)s %(message)s").format(record)
        assert "Traceback" not in line
        assert "\n" not in line
        assert line.startswith("WARNING django.request Forbidden")


# ---------------------------------------------------------------------------- 429 page


@pytest.mark.django_db
def test_the_429_page_has_the_site_look_and_says_when(as_alice, coffee_cart, settings):
    settings.TANDEM_RATE_LIMIT_SCALE = 0.01  # 120/min becomes 1/min
    url = reverse("composer-preview", args=[coffee_cart.public_id])
    as_alice.post(url, {"body": "x"})
    response = as_alice.post(url, {"body": "x"})
    assert response.status_code == 429
    page = response.content.decode()
    assert "site-footer" in page  # the base template
    assert "Try again in" in page
    assert response["Retry-After"].isdigit()


# ---------------------------------------------------------------------------- bodies


@pytest.mark.django_db
def test_an_upload_over_the_request_limit_is_stopped_with_a_sentence(as_alice, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.TANDEM_MAX_REQUEST_BYTES = 1024 * 1024
    big = SimpleUploadedFile("big.txt", b"x" * (2 * 1024 * 1024), "text/plain")
    response = as_alice.post(reverse("import-new"), {"title": "Big", "file": big})
    assert response.status_code == 413
    assert "larger than the 1 MB Tandem accepts" in response.content.decode()


def _read_response(sock: socket.socket, deadline: float) -> bytes:
    data = b""
    while time.monotonic() < deadline:
        ready, _, _ = select.select([sock], [], [], 0.5)
        if ready:
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            data += chunk  # until the server closes: every answer here ends the connection
    return data


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("body-limit")
    env = server_env(data_dir, database_url=None, redis_url=None)
    with tandem_serve(env, data_dir / "server.log") as running:
        yield running


def _chunked_upload(port: int, total: int) -> tuple[bytes, int, float]:
    """Stream ``total`` bytes as a chunked POST, stopping as soon as the server answers.
    Returns the answer, the bytes sent and the seconds it took."""
    started = time.monotonic()
    chunk = b"x" * 65536
    frame = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
    sent = 0
    answer = b""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(
            b"POST /import/new/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n"
        )
        sock.setblocking(False)
        while sent < total:
            readable, writable, _ = select.select([sock], [sock], [], 5)
            if readable:
                answer = _read_response(sock, time.monotonic() + 10)
                break
            if not writable:
                break  # the server stopped reading and has not answered
            try:
                sent += sock.send(frame)
            except (BrokenPipeError, ConnectionResetError, BlockingIOError):
                answer = _read_response(sock, time.monotonic() + 10)
                break
        else:
            answer = _read_response(sock, time.monotonic() + 10)
    return answer, sent, time.monotonic() - started


def test_a_300_megabyte_chunked_body_gets_413_quickly_and_the_server_stays_up(server):
    answer, sent, seconds = _chunked_upload(server.port, 300 * 1024 * 1024)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert sent < 40 * 1024 * 1024  # cut off near the 12 MB limit, not read to the end
    assert seconds < 30
    assert b"larger than the 12 MB Tandem accepts" in answer
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        assert _read_response(sock, time.monotonic() + 10).startswith(b"HTTP/1.1 200")
    # Nothing was spooled: no 300 MB temporary file was ever needed.


def test_a_declared_300_megabyte_body_is_refused_before_it_is_sent(server):
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(
            b"POST /accounts/login/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\n"
            + f"Content-Length: {300 * 1024 * 1024}\r\n\r\n".encode()
        )
        answer = _read_response(sock, time.monotonic() + 10)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]


def test_the_tandem_command_is_found():
    assert Path(_tandem_command()[0]).exists()
