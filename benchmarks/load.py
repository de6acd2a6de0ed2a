"""Load test of a running local cluster (deploy/cluster/cluster.py) with locust, in steps.

    python deploy/cluster/cluster.py up
    python benchmarks/load.py [--steps 4,8,16,32,64] [--step-seconds 30] [--sockets 40]
    python deploy/cluster/cluster.py down

Builds writers in pairs, each pair sharing an ordered thread (through Tandem's services, in
``tandem manage shell`` with the cluster's environment), then runs locust headless against
nginx (benchmarks/locustfile.py: queue, thread, reply when it is the writer's turn, search,
OOC) once per step, with more users each time, until the p99 of reads passes
``--threshold-ms`` or the steps run out. Meanwhile it holds ``--sockets`` live WebSockets
open to the threads being written in, and counts the live posts they hear. Every step prints
its throughput, read p50/p95/p99 and errors; at the end the database is asked whether every
reply acknowledged (302) is there exactly once. Loopback only; bounded by the steps' time.

benchmarks/faults.py reuses the helpers here (log-in, data, verification).
"""

from __future__ import annotations

import argparse
import asyncio
import http.cookiejar
import json
import os
import re
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

import websockets

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "deploy" / "cluster"))

from cluster import DEFAULT_STATE, Cluster, venv_bin  # noqa: E402

PASSWORD = "load-password-123"
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')

SETUP = """
import json
from tandem.accounts.services import writer_sign_up
from tandem.muses.services import muse_create
from tandem.threads import services
out = []
for n in range({pairs}):
    pair = []
    for side in ("a", "b"):
        name = f"{prefix}{{n:03d}}{{side}}"
        writer = writer_sign_up(username=name, email=f"{{name}}@example.test", password="{password}")
        pair.append((writer, muse_create(owner=writer, name=f"Muse {{name}}")))
    (owner, owner_muse), (partner, partner_muse) = pair
    # Ordered turns (the default): the owner's muse first, then the partner's, and so on.
    thread = services.thread_create(owner=owner, muse=owner_muse, title=f"Lamp {{n}}",
                                    tags=["lighthouse"])
    invitation = services.invitation_create(thread=thread, actor=owner, username=partner.username)
    services.invitation_accept(invitation=invitation, writer=partner, muse=partner_muse)
    for writer, muse in pair:
        out.append({{"username": writer.username, "muse": muse.pk, "thread": thread.public_id}})
print(json.dumps(out))
"""

VERIFY = """
import json
from tandem.threads.models import Post
acknowledged = json.load(open("{path}"))
threads = sorted({{a["thread"] for a in acknowledged}})
wrong = {{}}
for a in acknowledged:
    n = Post.objects.filter(thread__public_id=a["thread"], body__contains=a["marker"]).count()
    if n != 1:
        wrong[a["marker"]] = n
in_db = Post.objects.filter(thread__public_id__in=threads, body__contains="loadpost").count()
print(json.dumps({{"acknowledged": len(acknowledged), "wrong": wrong, "posts_in_db": in_db}}))
"""


def manage_shell(cluster: Cluster, code: str) -> dict | list:
    """Run code in `tandem manage shell` with the cluster's environment; its last line, JSON."""
    done = subprocess.run(
        [venv_bin("tandem"), "manage", "shell", "-c", code],
        cwd=ROOT,
        env=cluster.env(),
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise RuntimeError(f"tandem manage shell failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def build_pairs(cluster: Cluster, pairs: int, prefix: str) -> list[dict]:
    return manage_shell(cluster, SETUP.format(pairs=pairs, prefix=prefix, password=PASSWORD))


def verify(cluster: Cluster, acknowledged: list[dict]) -> dict:
    """Every acknowledged post exactly once: {"acknowledged", "wrong": {marker: count}, …}."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as file:
        json.dump(acknowledged, file)
    try:
        return manage_shell(cluster, VERIFY.format(path=file.name))
    finally:
        os.unlink(file.name)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


class Browser:
    """One person's browser for the scripted parts (sockets, faults): cookies, no redirects."""

    def __init__(self, base: str, timeout: float = 30.0) -> None:
        self.base = base
        self.timeout = timeout
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.cookies), NoRedirect()
        )

    def request(self, path: str, form: dict | None = None) -> tuple[int, str]:
        """(status, body); status 0 when nothing answered (refused, reset, timed out)."""
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        request = urllib.request.Request(self.base + path, data=data)
        try:
            with self.opener.open(request, timeout=self.timeout) as response:
                return response.status, response.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode("utf-8", "replace")
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            return 0, ""

    def log_in(self, username: str) -> None:
        status, page = self.request("/accounts/login/")
        found = TOKEN.search(page)
        if status != 200 or found is None:
            raise RuntimeError(f"login page answered {status}")
        form = {"csrfmiddlewaretoken": found.group(1), "username": username, "password": PASSWORD}
        status, _ = self.request("/accounts/login/", form)
        if status != 302 or self.cookie("sessionid") is None:
            raise RuntimeError(f"log-in as {username} answered {status}")

    def cookie(self, name: str) -> str | None:
        return next((c.value for c in self.cookies if c.name == name), None)

    def reply(self, writer: dict, marker: str) -> int:
        """Post a reply with marker in it if the thread shows this writer the composer:
        the reply's status (302 = acknowledged), or -1 when it is not their turn."""
        path = f"/t/{writer['thread']}/"
        status, page = self.request(path)
        found = TOKEN.search(page)
        if status != 200 or found is None:
            return status
        if 'name="body"' not in page:
            return -1
        form = {
            "csrfmiddlewaretoken": found.group(1),
            "muse": writer["muse"],
            "body": f"The lighthouse keeper turned the lamp once more. {marker}",
            "submission_key": marker,
        }
        return self.request(path, form)[0]

    def socket_url(self, thread: str) -> str:
        return self.base.replace("http", "ws", 1) + f"/ws/threads/{thread}/"

    def socket_headers(self) -> dict:
        return {"Cookie": f"sessionid={self.cookie('sessionid')}", "Origin": self.base}


class Sockets:
    """Live sockets held open on a thread of their own (an asyncio loop), as readers'
    browsers would, counting handshakes and the posts they hear about."""

    def __init__(self, targets: list[tuple[str, dict]]) -> None:
        self.targets = targets  # (socket URL, headers)
        self.opened = 0
        self.failed = 0
        self.dropped = 0
        self.heard = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=lambda: asyncio.run(self._run()), daemon=True)

    async def _hold(self, url: str, headers: dict) -> None:
        try:
            async with websockets.connect(
                url, additional_headers=headers, open_timeout=10, proxy=None
            ) as ws:
                self.opened += 1
                while not self.stop.is_set():
                    try:
                        message = json.loads(await asyncio.wait_for(ws.recv(), 0.5))
                    except TimeoutError:
                        continue
                    if message.get("type") == "post" and message.get("op") == "created":
                        self.heard += 1
        except (OSError, TimeoutError, websockets.exceptions.InvalidStatus):
            self.failed += 1
        except websockets.exceptions.ConnectionClosed:
            self.dropped += 1

    async def _run(self) -> None:
        await asyncio.gather(*(self._hold(url, headers) for url, headers in self.targets))

    def __enter__(self) -> Sockets:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.thread.join(timeout=15)


def percentile(values: list[float], q: int) -> float:
    if len(values) < 2:
        return values[0] if values else 0.0
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def run_step(cluster: Cluster, users: int, seconds: int, writers_file: Path, out: Path) -> dict:
    env = {
        **os.environ,
        "LOAD_WRITERS": str(writers_file),
        "LOAD_PASSWORD": PASSWORD,
        "LOAD_OUT": str(out),
    }
    command = [
        venv_bin("locust"), "-f", str(ROOT / "benchmarks" / "locustfile.py"), "--headless",
        "--host", cluster.url(), "-u", str(users), "-r", str(max(1, users // 4)),
        "-t", f"{seconds}s", "--stop-timeout", "5", "--only-summary", "--loglevel", "WARNING",
    ]  # fmt: skip
    subprocess.run(
        command, env=env, cwd=ROOT, capture_output=True, text=True, timeout=seconds + 120
    )
    found = json.loads(out.read_text())
    reads = [ms for name in found["reads"] for ms in found["samples"].get(name, [])]
    total = sum(len(v) for v in found["samples"].values())
    errors = {
        f"{name} {status}": count
        for name, by_status in found["statuses"].items()
        for status, count in by_status.items()
        if status not in ("200", "302")
    }
    return {
        "users": users,
        "requests": total,
        "rps": round(total / found["seconds"], 1),
        "reads": len(reads),
        "p50": round(percentile(reads, 50), 1),
        "p95": round(percentile(reads, 95), 1),
        "p99": round(percentile(reads, 99), 1),
        "replies": len(found["acknowledged"]),
        "errors": errors,
        "acknowledged": found["acknowledged"],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--state", type=Path, default=DEFAULT_STATE)
    parser.add_argument("--steps", default="4,8,16,32,64", help="users per step, rising")
    parser.add_argument("--step-seconds", type=int, default=30)
    parser.add_argument("--threshold-ms", type=float, default=500.0, help="read p99 to stop at")
    parser.add_argument("--pairs", type=int, default=32, help="writer pairs (threads) to build")
    parser.add_argument("--sockets", type=int, default=40, help="live sockets held open")
    args = parser.parse_args()
    steps = [int(s) for s in args.steps.split(",")]
    cluster = Cluster(args.state.resolve())
    base = cluster.url()

    prefix = f"load{int(time.time()) % 100000}w"
    started = time.monotonic()
    writers = build_pairs(cluster, args.pairs, prefix)
    print(f"built {len(writers)} writers in {len(writers) // 2} threads "
          f"({time.monotonic() - started:.1f} s)", flush=True)  # fmt: skip
    work = Path(tempfile.mkdtemp(prefix="tandem-load-"))
    writers_file = work / "writers.json"
    writers_file.write_text(json.dumps(writers))

    # Sockets on the threads the first users write in, as the threads' owners.
    owners = writers[0 : 2 * max(1, min(args.sockets, 10)) : 2]
    targets = []
    for owner in owners:
        browser = Browser(base)
        browser.log_in(owner["username"])
        targets.append((browser.socket_url(owner["thread"]), browser.socket_headers()))
    targets = [targets[n % len(targets)] for n in range(args.sockets)]

    rows, acknowledged = [], []
    print(f"{'users':>5} {'req/s':>7} {'reads':>6} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} "
          f"{'replies':>7}  errors", flush=True)  # fmt: skip
    with Sockets(targets) as sockets:
        for users in steps:
            row = run_step(cluster, users, args.step_seconds, writers_file, work / f"{users}.json")
            acknowledged += row.pop("acknowledged")
            rows.append(row)
            print(f"{users:>5} {row['rps']:>7} {row['reads']:>6} {row['p50']:>7} {row['p95']:>7} "
                  f"{row['p99']:>7} {row['replies']:>7}  {row['errors'] or 0}", flush=True)  # fmt: skip
            if row["p99"] > args.threshold_ms:
                print(f"read p99 passed {args.threshold_ms:g} ms at {users} users", flush=True)
                break
        else:
            print(f"read p99 stayed under {args.threshold_ms:g} ms up to {steps[-1]} users")
        time.sleep(2)  # the last posts' live messages
    print(f"sockets: {sockets.opened} opened, {sockets.failed} failed, {sockets.dropped} dropped, "
          f"{sockets.heard} live posts heard", flush=True)  # fmt: skip

    checked = verify(cluster, acknowledged)
    exact = not checked["wrong"]
    print(f"acknowledged replies: {checked['acknowledged']}, in the database exactly once: "
          f"{'all' if exact else 'NOT ALL ' + json.dumps(checked['wrong'])} "
          f"(load posts in the database: {checked['posts_in_db']})")  # fmt: skip
    held = {key: getattr(sockets, key) for key in ("opened", "failed", "dropped", "heard")}
    summary = {"steps": rows, "sockets": held, **checked}
    (work / "summary.json").write_text(json.dumps(summary, indent=2))
    print(f"summary: {work / 'summary.json'}")
    return 0 if exact and sockets.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
