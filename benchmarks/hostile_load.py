"""Honest writers beside a hostile client: do the limits keep the site up for everyone?

Run with ``python benchmarks/hostile_load.py [--seconds 60] [--writers 20]``. Starts
``tandem serve --workers 2`` on the default SQLite in a throwaway data directory, creates the
honest writers (each with a muse, in pairs sharing a free-turn thread) and one hostile
writer, then runs twice for ``--seconds`` each:

1. the honest writers alone: each logs in, reads its thread and its queue and posts a reply
   every few seconds, at a human pace;
2. the same honest writers beside a hostile client that, in a bounded loop, starts threads
   with 32,000 tags, uploads a 6300×6300 PNG avatar, streams a 300 MB chunked body and
   brute-forces an honest writer's password.

It prints, for the honest writers in each run, the request count, the 5xx count, the median
and p99 latency, and the p99 ratio (hostile / alone); and what the hostile client got back.
Every client is on 127.0.0.1; each sends its own X-Forwarded-For address (uvicorn trusts it
from 127.0.0.1), so per-address limits see 21 different people, as they would in real life.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import io
import json
import os
import random
import re
import select
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
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

PASSWORD = "benchmark-password-123"
SETUP = """
import json
from tandem.accounts.services import writer_sign_up
from tandem.muses.services import muse_create
from tandem.threads import services
out = {{"writers": [], "hostile": None}}
pair = None
for i in range({writers}):
    writer = writer_sign_up(username=f"honest{{i:02d}}", email=f"honest{{i}}@example.test",
                            password="{password}")
    muse = muse_create(owner=writer, name=f"Muse {{i}}")
    if pair is None:
        thread = services.thread_create(owner=writer, muse=muse, title=f"Story {{i}}",
                                        turn_mode="free", tags=["harbour", "slow burn"])
        services.post_create(thread=thread, writer=writer, muse=muse,
                             body="The lamps along the quay came on one by one.")
        pair = thread
    else:
        invitation = services.invitation_create(thread=pair, actor=pair.owner,
                                                username=writer.username)
        services.invitation_accept(invitation=invitation, writer=writer, muse=muse)
        thread, pair = pair, None
    out["writers"].append({{"username": writer.username, "muse": muse.pk,
                            "thread": thread.public_id}})
mallory = writer_sign_up(username="mallory", email="mallory@example.test", password="{password}")
muse = muse_create(owner=mallory, name="Trouble")
out["hostile"] = {{"username": "mallory", "muse": muse.pk}}
print(json.dumps(out))
"""

REPLIES = [
    "She set the cup down without drinking. “You came back, then.”",
    "The tide had turned while they argued; neither of them noticed.",
    "He laughed, which was worse than anything he could have said.",
    "Rain on the skylight, steady as a clock. She counted to twenty.",
    "“Not tonight,” he said, and meant it for once.",
]


def tandem() -> list[str]:
    script = Path(sys.executable).with_name("tandem")
    return [str(script)] if script.exists() else [sys.executable, "-m", "tandem"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


@dataclass
class Record:
    latencies: list[float] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, status: int, seconds: float) -> None:
        with self.lock:
            self.latencies.append(seconds)
            self.statuses[status] += 1


class Client:
    """One person's browser: cookies, a CSRF token and their own address."""

    def __init__(self, base: str, address: str, record: Record) -> None:
        self.base = base
        self.address = address
        self.record = record
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), NoRedirect()
        )

    def request(self, path: str, data: bytes | None = None, headers: dict | None = None):
        request = urllib.request.Request(
            self.base + path,
            data=data,
            headers={"X-Forwarded-For": self.address, **(headers or {})},
        )
        started = time.perf_counter()
        try:
            with self.opener.open(request, timeout=120) as response:
                status, body = response.status, response.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as error:
            status, body = error.code, error.read().decode("utf-8", "replace")
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            status, body = 599, ""  # no answer at all counts as a server failure
        self.record.add(status, time.perf_counter() - started)
        return status, body

    def get(self, path: str):
        return self.request(path)

    def post_form(self, path: str, fields: dict, page: str | None = None):
        if page is None:
            _, page = self.get(path)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        fields = {"csrfmiddlewaretoken": token.group(1) if token else "", **fields}
        body = urllib.parse.urlencode(fields, doseq=True).encode()
        return self.request(path, body, {"Content-Type": "application/x-www-form-urlencoded"})

    def log_in(self, username: str, password: str) -> int:
        status, _ = self.post_form("/accounts/login/", {"username": username, "password": password})
        return status


def hidden_inputs(page: str, form_marker: str) -> dict:
    """The hidden inputs of the form whose tag contains ``form_marker`` (reply form)."""
    start = page.find(form_marker)
    if start < 0:
        return {}
    end = page.find("</form>", start)
    chunk = page[start:end]
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', chunk))


def honest_writer(client: Client, writer: dict, stop: threading.Event, seed: int) -> None:
    rng = random.Random(seed)
    thread_path = f"/t/{writer['thread']}/"
    next_post = time.monotonic() + rng.uniform(2, 6)
    while not stop.is_set():
        _, page = client.get(thread_path)
        if time.monotonic() >= next_post and not stop.is_set():
            fields = hidden_inputs(page, 'class="composer"')
            fields.update(muse=writer["muse"], body=rng.choice(REPLIES))
            client.post_form(thread_path, fields, page)
            next_post = time.monotonic() + rng.uniform(3, 7)  # ≤ 20 posts a minute
        stop.wait(rng.uniform(0.5, 2.0))
        if not stop.is_set():
            client.get("/")
        stop.wait(rng.uniform(0.5, 2.0))


# ---------------------------------------------------------------------------- hostile


def bomb_png() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("1", (6300, 6300), 1).save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def multipart(fields: dict, files: dict) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    out = io.BytesIO()
    for name, value in fields.items():
        out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode())
        out.write(f"{value}\r\n".encode())
    for name, (filename, data, kind) in files.items():
        out.write(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
            f'filename="{filename}"\r\nContent-Type: {kind}\r\n\r\n'.encode()
        )
        out.write(data + b"\r\n")
    out.write(f"--{boundary}--\r\n".encode())
    return out.getvalue(), f"multipart/form-data; boundary={boundary}"


def huge_body(port: int, address: str, total: int = 300 * 1024 * 1024) -> int:
    """Stream a chunked POST of ``total`` bytes until the server answers; its status."""
    frame = b"10000\r\n" + b"x" * 65536 + b"\r\n"
    sent = 0
    with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
        sock.sendall(
            b"POST /import/ HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\n"
            + f"X-Forwarded-For: {address}\r\n\r\n".encode()
        )
        sock.setblocking(False)
        while sent < total:
            readable, writable, _ = select.select([sock], [sock], [], 30)
            if readable or not writable:
                break
            try:
                sent += sock.send(frame)
            except (BlockingIOError, BrokenPipeError, ConnectionResetError):
                break
        sock.setblocking(True)
        sock.settimeout(30)
        try:
            head = sock.recv(200)
        except (ConnectionResetError, TimeoutError):
            return 599
    match = re.match(rb"HTTP/1\.1 (\d+)", head)
    return int(match.group(1)) if match else 599


def hostile(base: str, port: int, info: dict, victim: str, stop: threading.Event) -> Counter:
    """The attacks, in turn, until stopped. Returns what each attack got back."""
    record = Record()
    client = Client(base, "203.0.113.66", record)
    results: Counter = Counter()
    client.log_in(info["username"], PASSWORD)
    tags = ", ".join(f"tag {i}" for i in range(32_000))
    bomb = bomb_png()
    brute = Client(base, "203.0.113.67", Record())
    guess = 0
    while not stop.is_set():
        status, _ = client.post_form(
            "/t/new/",
            {
                "title": "Flood",
                "muse": info["muse"],
                "rating": "general",
                "visibility": "private",
                "turn_mode": "ordered",
                "tags": tags,
            },
        )
        results[f"32,000 tags → {status}"] += 1
        _, page = client.get(f"/muses/{info['muse']}/edit/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        body, kind = multipart(
            {
                "csrfmiddlewaretoken": token.group(1) if token else "",
                "name": "Trouble",
                "accent_colour": "#b3261e",
            },
            {"avatar": ("bomb.png", bomb, "image/png")},
        )
        status, _ = client.request(f"/muses/{info['muse']}/edit/", body, {"Content-Type": kind})
        results[f"6300×6300 avatar → {status}"] += 1
        results[f"300 MB chunked body → {huge_body(port, '203.0.113.68')}"] += 1
        for _ in range(5):
            guess += 1
            status = brute.log_in(victim, f"guess-{guess:06d}")
            results[f"password guess → {status}"] += 1
        stop.wait(0.2)
    return results


# ---------------------------------------------------------------------------- running


def start_server(env: dict, log: Path) -> tuple[subprocess.Popen, str, int]:
    port = free_port()
    process = subprocess.Popen(
        [*tandem(), "serve", "--port", str(port), "--workers", "2", "--log-level", "warning"],
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"tandem serve exited:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2):
                return process, url, port
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.3)
    process.terminate()
    sys.exit(f"tandem serve did not start:\n{log.read_text()}")


def run(base: str, port: int, setup: dict, seconds: float, with_hostile: bool) -> dict:
    record = Record()
    clients = [Client(base, f"198.51.100.{i + 1}", record) for i in range(len(setup["writers"]))]
    for client, writer in zip(clients, setup["writers"], strict=True):
        status = client.log_in(writer["username"], PASSWORD)
        if status != 302:
            sys.exit(f"{writer['username']} could not log in: {status}")
    record.latencies.clear()
    record.statuses.clear()
    stop = threading.Event()
    workers = [
        threading.Thread(target=honest_writer, args=(c, w, stop, i), daemon=True)
        for i, (c, w) in enumerate(zip(clients, setup["writers"], strict=True))
    ]
    hostile_results: dict = {}
    if with_hostile:
        victim = setup["writers"][0]["username"]

        def attack() -> None:
            hostile_results.update(hostile(base, port, setup["hostile"], victim, stop))

        workers.append(threading.Thread(target=attack, daemon=True))
    for worker in workers:
        worker.start()
    time.sleep(seconds)
    stop.set()
    for worker in workers:
        worker.join(timeout=180)
    latencies = sorted(record.latencies)
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] if latencies else 0
    return {
        "requests": len(latencies),
        "5xx": sum(n for status, n in record.statuses.items() if status >= 500),
        "429": record.statuses.get(429, 0),
        "posts": record.statuses.get(302, 0),  # a reply answers with a redirect to itself
        "median_ms": statistics.median(latencies) * 1000 if latencies else 0,
        "p99_ms": p99 * 1000,
        "hostile": hostile_results,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60, help="length of each run")
    parser.add_argument("--writers", type=int, default=20, help="honest writers (even)")
    args = parser.parse_args()
    writers = args.writers + args.writers % 2

    data_dir = Path(tempfile.mkdtemp(prefix="tandem-hostile-"))
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "TANDEM_DEBUG", "REDIS_URL", "TANDEM_RATE_LIMIT_SCALE")
    }
    env.update(TANDEM_DATA_DIR=str(data_dir), PYTHONUNBUFFERED="1")
    subprocess.run([*tandem(), "manage", "migrate", "--verbosity", "0"], env=env, check=True)
    made = subprocess.run(
        [
            *tandem(),
            "manage",
            "shell",
            "-c",
            SETUP.format(writers=writers, password=PASSWORD),
        ],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    setup = json.loads(made.stdout.strip().splitlines()[-1])
    log = data_dir / "server.log"
    process, base, port = start_server(env, log)
    try:
        print(f"{writers} honest writers, {args.seconds:.0f} s per run, `tandem serve --workers 2`")
        alone = run(base, port, setup, args.seconds, with_hostile=False)
        beside = run(base, port, setup, args.seconds, with_hostile=True)
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
    print(
        f"{'run':<24}{'requests':>10}{'posts':>7}{'5xx':>6}{'429':>6}{'median ms':>11}{'p99 ms':>9}"
    )
    for name, result in (("alone", alone), ("beside hostile client", beside)):
        print(
            f"{name:<24}{result['requests']:>10}{result['posts']:>7}{result['5xx']:>6}"
            f"{result['429']:>6}"
            f"{result['median_ms']:>11.0f}{result['p99_ms']:>9.0f}"
        )
    ratio = beside["p99_ms"] / alone["p99_ms"] if alone["p99_ms"] else float("inf")
    print(f"p99 ratio (beside / alone): {ratio:.2f}  (target ≤ 2.00, and no 5xx)")
    print("hostile client got:")
    for outcome, count in sorted(beside["hostile"].items()):
        print(f"  {outcome}: {count}")
    tracebacks = log.read_text().count("Traceback")
    print(f"server log: {tracebacks} traceback(s)  ({log})")


if __name__ == "__main__":
    main()
