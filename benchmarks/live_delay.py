"""How long a post takes to reach a reader on another app server.

Run with ``python benchmarks/live_delay.py [--posts N] [--redis-url URL]``. Starts two
``tandem serve`` processes (A and B) on loopback that share a throwaway SQLite database
(or ``--database-url``) and one Redis, connects a WebSocket to B's thread socket, then
makes N posts through A's reply form, one after the other, as a signed-in writer.

Each live message carries ``committed_at``, the time A published it right after the post's
transaction committed; the delay is its arrival on B's socket minus that (one machine, one
clock). Also shown: arrival minus the moment A's HTTP response (the redirect after posting)
had been read by the poster — negative when readers on B hear of the post before its
writer's own page has loaded.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from websockets.sync.client import connect

PASSWORD = "benchmark-password-123"
SETUP = """
import json
from tandem.accounts.services import writer_sign_up
from tandem.muses.services import muse_create
from tandem.threads import services
writer = writer_sign_up(username="bench", email="bench@example.test", password="{password}")
muse = muse_create(owner=writer, name="Ivy")
thread = services.thread_create(owner=writer, muse=muse, title="Delay", turn_mode="free")
print(json.dumps({{"thread": thread.public_id, "muse": muse.pk}}))
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def tandem() -> list[str]:
    script = Path(sys.executable).with_name("tandem")
    return [str(script)] if script.exists() else [sys.executable, "-m", "tandem"]


def start_server(env: dict, log: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    process = subprocess.Popen(
        [*tandem(), "serve", "--port", str(port), "--log-level", "warning"],
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"tandem serve exited:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2):
                return process, url
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.2)
    sys.exit(f"tandem serve did not start:\n{log.read_text()}")


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=200)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/15")
    parser.add_argument("--database-url", default="", help="default: SQLite in a temp dir")
    args = parser.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="tandem-live-bench-"))
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "TANDEM_DEBUG")}
    # One writer posts as fast as the server answers: far past the 30 posts/minute a person
    # never reaches (tandem.core.limits). Raise every limit for the measurement.
    env.setdefault("TANDEM_RATE_LIMIT_SCALE", "1000")
    env.update(TANDEM_DATA_DIR=str(data_dir), REDIS_URL=args.redis_url, PYTHONUNBUFFERED="1")
    if args.database_url:
        env["DATABASE_URL"] = args.database_url

    servers = []
    try:
        servers.append(start_server(env, data_dir / "a.log"))
        setup = subprocess.run(
            [*tandem(), "manage", "shell", "-c", SETUP.format(password=PASSWORD)],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        ids = json.loads(setup.stdout.strip().splitlines()[-1])
        servers.append(start_server(env, data_dir / "b.log"))
        (_, url_a), (_, url_b) = servers

        cookies = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(cookies), NoRedirect()
        )

        def token(path: str) -> str:
            with opener.open(url_a + path) as response:
                page = response.read().decode()
            return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)

        def post(path: str, data: dict) -> int:
            body = urllib.parse.urlencode(data).encode()
            try:
                with opener.open(urllib.request.Request(url_a + path, data=body)) as response:
                    return response.status
            except urllib.error.HTTPError as error:
                return error.code

        login = {"username": "bench", "password": PASSWORD}
        assert (
            post("/accounts/login/", {**login, "csrfmiddlewaretoken": token("/accounts/login/")})
            == 302
        )
        session = next(c.value for c in cookies if c.name == "sessionid")
        thread_path = f"/t/{ids['thread']}/"
        csrf = token(thread_path)

        arrivals: dict[int, tuple[float, float]] = {}
        done = threading.Event()
        responded: dict[int, float] = {}
        with connect(
            url_b.replace("http", "ws") + f"/ws/threads/{ids['thread']}/",
            additional_headers={"Cookie": f"sessionid={session}", "Origin": url_b},
            proxy=None,
        ) as ws:

            def listen() -> None:
                while len(arrivals) < args.posts:
                    message = json.loads(ws.recv())
                    if message.get("type") == "post" and message.get("op") == "created":
                        arrivals[message["number"]] = (time.time(), message["committed_at"])
                done.set()

            threading.Thread(target=listen, daemon=True).start()
            for number in range(1, args.posts + 1):
                status = post(
                    thread_path,
                    {
                        "csrfmiddlewaretoken": csrf,
                        "muse": ids["muse"],
                        "body": f"post {number}: the lamp turns, and turns again.",
                    },
                )
                responded[number] = time.time()
                assert status == 302, f"post {number} answered {status}"
            if not done.wait(30):
                sys.exit(f"only {len(arrivals)} of {args.posts} posts arrived on server B")
    finally:
        for process, _ in servers:
            process.terminate()
            process.wait(timeout=15)

    delays = sorted((arrived - committed) * 1000 for arrived, committed in arrivals.values())
    after_response = sorted((arrivals[n][0] - responded[n]) * 1000 for n in arrivals)
    centiles = statistics.quantiles(delays, n=100)
    print(f"{len(delays)} posts through server A, received on server B's socket")
    print("commit → arrival on B")
    print(f"  median {statistics.median(delays):.1f} ms")
    print(f"  p90    {centiles[89]:.1f} ms")
    print(f"  p99    {centiles[98]:.1f} ms")
    print(f"  max    {delays[-1]:.1f} ms")
    print("poster's HTTP response read → arrival on B")
    print(f"  median {statistics.median(after_response):.1f} ms")
    ok = statistics.median(delays) < 50
    print(f"target: median under 50 ms — {'met' if ok else 'NOT met'}")


if __name__ == "__main__":
    main()
