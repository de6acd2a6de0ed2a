"""Real ``tandem serve`` processes for the multi-server tests, and a writer's HTTP session.

Like the browser tests, these use no Django ORM in the test process: data is made by
``tandem manage shell`` against the servers' own database.
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import random
import re
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.browser.conftest import _free_port, _tandem_command

STARTUP_SECONDS = 60


def own_redis_url() -> str:
    """A Redis database of this test's own, so the SQLite and PostgreSQL runs that CI starts
    side by side never hear each other: databases 1–7 for one, 8–14 for the other."""
    first = 8 if os.environ.get("DATABASE_URL", "").startswith("postgres") else 1
    return f"redis://127.0.0.1:6379/{random.randint(first, first + 6)}"


def server_env(data_dir: Path, *, database_url: str | None, redis_url: str | None) -> dict:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE", "TANDEM_DEBUG", "REDIS_URL")
    }
    env["TANDEM_DATA_DIR"] = str(data_dir)
    env["PYTHONUNBUFFERED"] = "1"
    if database_url:
        env["DATABASE_URL"] = database_url
    if redis_url:
        env["REDIS_URL"] = redis_url
    return env


@dataclass
class Server:
    url: str
    port: int
    log_path: Path

    @property
    def log(self) -> str:
        return self.log_path.read_text()


@contextmanager
def tandem_serve(env: dict, log_path: Path) -> Iterator[Server]:
    port = _free_port()
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [*_tandem_command(), "serve", "--port", str(port), "--log-level", "warning"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        server = Server(url=f"http://127.0.0.1:{port}", port=port, log_path=log_path)
        try:
            deadline = time.monotonic() + STARTUP_SECONDS
            while True:
                if process.poll() is not None:
                    raise RuntimeError(f"tandem serve exited:\n{server.log}")
                try:
                    with urllib.request.urlopen(f"{server.url}/healthz", timeout=2) as response:
                        if response.status == 200:
                            break
                except (urllib.error.URLError, ConnectionError, TimeoutError):
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"tandem serve did not become healthy:\n{server.log}")
                time.sleep(0.2)
            yield server
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)


# Two writers in one ordered thread, Ivy (first) and Hale; prints the ids as JSON.
MAKE_THREAD = """
import json
from tandem.accounts.services import writer_sign_up
from tandem.muses.services import muse_create
from tandem.threads import services
a = writer_sign_up(username="{a}", email="{a}@example.test", password="{password}")
b = writer_sign_up(username="{b}", email="{b}@example.test", password="{password}")
ivy = muse_create(owner=a, name="Ivy")
hale = muse_create(owner=b, name="Hale")
thread = services.thread_create(owner=a, muse=ivy, title="Across servers", turn_mode="{mode}")
invitation = services.invitation_create(thread=thread, actor=a, username=b.username)
services.invitation_accept(invitation=invitation, writer=b, muse=hale)
print(json.dumps({{"thread": thread.public_id, "ivy": ivy.pk, "hale": hale.pk}}))
"""


def make_thread(env: dict, *, a: str, b: str, password: str, mode: str = "ordered") -> dict:
    """Create two writers and their thread in the servers' database."""
    code = MAKE_THREAD.format(a=a, b=b, password=password, mode=mode)
    result = subprocess.run(
        [*_tandem_command(), "manage", "shell", "-c", code],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


class Browser:
    """A writer's cookies and CSRF token over plain HTTP, as a browser would send them."""

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.cookies), NoRedirect()
        )

    def cookie(self, name: str) -> str:
        return next(c.value for c in self.cookies if c.name == name)

    def get(self, path: str) -> tuple[int, str]:
        try:
            with self.opener.open(self.base_url + path, timeout=30) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def post(self, path: str, data: dict) -> tuple[int, str]:
        """POST a form as the page at ``path`` would (its CSRF token included)."""
        _, page = self.get(path)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        body = urllib.parse.urlencode({"csrfmiddlewaretoken": token, **data}).encode()
        request = urllib.request.Request(self.base_url + path, data=body, method="POST")
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, response.headers.get("Location", "")
        except urllib.error.HTTPError as error:
            return error.code, error.headers.get("Location", "")

    def log_in(self, username: str, password: str) -> None:
        status, _ = self.post("/accounts/login/", {"username": username, "password": password})
        assert status == 302, f"login failed for {username}: {status}"

    def socket_headers(self) -> dict:
        return {"Cookie": f"sessionid={self.cookie('sessionid')}", "Origin": self.base_url}
