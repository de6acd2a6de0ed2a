"""Browser tests: the real ``tandem serve`` in a subprocess, driven by headless Chromium.

The server gets its own data directory and its own database (SQLite in that directory, or
a throwaway PostgreSQL database when the pytest run points DATABASE_URL at PostgreSQL), so
it never touches pytest-django's test database. These tests use no Django ORM at all: the
Playwright sync API runs an event loop, which Django's async-safety checks would refuse.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from playwright.sync_api import expect

CHROMIUM = os.environ.get("TANDEM_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
STARTUP_SECONDS = 60
# CI runs the SQLite and PostgreSQL suites side by side on two cores: a post's round trip
# through the browser, the server and the database can then take longer than Playwright's
# five-second default. A real failure still fails, only later.
ACTION_TIMEOUT_MS = 20_000
expect.set_options(timeout=15_000)


# The running server's environment (its data directory and database), for ``manage``.
SERVER_ENV: dict[str, str] = {}


def manage(*args: str) -> str:
    """Run ``tandem manage ARGS`` against the browser tests' server (e.g. to make a writer
    staff, which no page can do); its output."""
    done = subprocess.run(
        [*_tandem_command(), "manage", *args],
        env=SERVER_ENV,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return done.stdout


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _tandem_command() -> list[str]:
    console_script = Path(sys.executable).with_name("tandem")
    if console_script.exists():
        return [str(console_script)]
    return [sys.executable, "-m", "tandem"]


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


@pytest.fixture(scope="session")
def server_database_url() -> Iterator[str | None]:
    """A fresh PostgreSQL database for the server, or None for SQLite in its data dir."""
    url = os.environ.get("DATABASE_URL", "").strip()
    if urlsplit(url).scheme not in ("postgres", "postgresql", "pgsql"):
        yield None
        return
    import psycopg
    from psycopg import sql

    name = f"tandem_e2e_{secrets.token_hex(4)}"
    # Prefer the maintenance database; fall back to the one named in DATABASE_URL.
    admin_url = _with_database(url, "postgres")
    try:
        psycopg.connect(admin_url, autocommit=True).close()
    except psycopg.OperationalError:
        admin_url = url
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield _with_database(url, name)
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


@pytest.fixture(scope="session")
def base_url(tmp_path_factory, server_database_url) -> Iterator[str]:
    """Start ``tandem serve`` and yield its base URL once /healthz answers 200."""
    data_dir = tmp_path_factory.mktemp("tandem-e2e-data")
    port = _free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE", "TANDEM_DEBUG")
    }
    env["TANDEM_DATA_DIR"] = str(data_dir)
    env["PYTHONUNBUFFERED"] = "1"
    # Every browser test logs in from 127.0.0.1 against this one server: more log-ins per
    # minute from one address than the rate limits allow a person (tandem.core.limits).
    env["TANDEM_RATE_LIMIT_SCALE"] = "50"
    if server_database_url:
        env["DATABASE_URL"] = server_database_url
    SERVER_ENV.clear()
    SERVER_ENV.update(env)
    log_path = data_dir / "server.log"
    log = log_path.open("w")
    process = subprocess.Popen(
        [*_tandem_command(), "serve", "--port", str(port), "--log-level", "warning"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            if process.poll() is not None:
                pytest.fail(
                    f"tandem serve exited with {process.returncode}:\n{log_path.read_text()}"
                )
            try:
                with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:
                    if response.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"tandem serve did not become healthy:\n{log_path.read_text()}")
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        log.close()
        server_log = log_path.read_text()
        if "Traceback" in server_log:
            sys.stderr.write(f"\n--- tandem serve log ---\n{server_log}\n")


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists() and not shutil.which(CHROMIUM):
        pytest.fail(
            f"Chromium not found at {CHROMIUM} (apt-get install chromium; scripts/test does)"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page_problems() -> list[str]:
    """Server errors (5xx) and browser console errors seen by any context of the test."""
    return []


@pytest.fixture
def new_context(browser, base_url, page_problems):
    """Factory for isolated browser contexts (one per writer), closed after the test."""
    contexts = []

    def on_response(response):
        if response.status >= 500:
            page_problems.append(f"{response.status} {response.request.method} {response.url}")

    def on_console(message):
        # The anonymous 404 is expected and logged by Chromium as a failed resource load.
        if message.type == "error" and "404" not in message.text:
            page_problems.append(f"console ({message.location.get('url')}): {message.text}")

    def make(**options):
        """``options``: more of Playwright's context options (``service_workers="block"``)."""
        context = browser.new_context(
            base_url=base_url, viewport=DESKTOP, locale="en-GB", timezone_id="UTC", **options
        )
        context.set_default_timeout(ACTION_TIMEOUT_MS)
        context.on("response", on_response)
        context.on("console", on_console)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


@pytest.fixture(scope="session")
def screenshots_dir() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
