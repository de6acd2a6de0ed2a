"""Fault tests against a running local cluster (deploy/cluster/cluster.py): PASS or FAIL each.

    python deploy/cluster/cluster.py up
    python benchmarks/faults.py [--only app,redis,primary,replica,worker]
    python deploy/cluster/cluster.py down

Run as root, like the cluster. Each scenario builds a pair of writers sharing an ordered
thread of its own, breaks one part of the cluster, measures, and puts the part back:

- ``app``: kill -9 one ``tandem serve`` while writers post and read through nginx; nginx
  routes around it (errors at most right at the kill, none after) and every acknowledged
  reply is in the database exactly once;
- ``redis``: stop Redis while writers post; posting goes on, a new socket's handshake ends
  (either way) within a bound rather than hanging, and once Redis is back a post reaches a
  reader's socket within seconds;
- ``primary``: stop the PostgreSQL primary for a few seconds under steady requests; they get
  503 (not 500, not a hang past the pool timeout) and the site recovers without a restart;
- ``replica``: stop the read replica; pages still answer 200, from the primary;
- ``worker``: kill -9 the worker in the middle of a task (a webhook delivery to a receiver
  here that holds the request); the task is run again exactly once once it is requeued.

Exits 1 if any scenario failed. About three minutes in all.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import http.server
import json
import statistics
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import websockets
from websockets.sync.client import connect

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "deploy" / "cluster"))

from cluster import DEFAULT_STATE, Cluster, pid_alive  # noqa: E402
from load import Browser, build_pairs, manage_shell, verify  # noqa: E402

# A request that takes longer than this during an outage counts as hanging: the primary's
# pool gives up after TANDEM_DB_POOL_TIMEOUT (10 s) and answers 503.
HANG_SECONDS = 12.0
# How long Redis is down for, posting all along.
REDIS_OUTAGE_SECONDS = 8.0
# How long the primary is down for: past the pool's 10 s timeout, so that 503s are seen
# (and long enough for the probes in it).
OUTAGE_SECONDS = 25.0


@dataclass
class Outcome:
    name: str
    passed: bool
    figures: dict


@dataclass
class Traffic:
    """Pairs of writers, each pair in its own thread (of execution and of the story), posting
    in turn and reading their queue, with every answer recorded against the time it came."""

    pairs: list[tuple[list[Browser], list[dict]]]
    tag: str
    events: list[tuple[float, str, int, float]] = field(default_factory=list)
    acknowledged: list[dict] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def _run(self, index: int, browsers: list[Browser], writers: list[dict]) -> None:
        n = 0
        while not self.stop.is_set():
            for browser, writer in zip(browsers, writers, strict=True):
                marker = f"{self.tag}{index}n{n:05d}x"
                started = time.monotonic()
                status = browser.reply(writer, marker)
                # list.append is atomic: the pairs' threads share the lists without a lock.
                self.events.append((started, "reply", status, time.monotonic() - started))
                if status == 302:
                    self.acknowledged.append({"thread": writer["thread"], "marker": marker})
                n += 1
                started = time.monotonic()
                status, _ = browser.request("/")
                self.events.append((started, "queue", status, time.monotonic() - started))
                time.sleep(0.05)

    def __enter__(self) -> Traffic:
        self.threads = [
            threading.Thread(target=self._run, args=(i, *pair), daemon=True)
            for i, pair in enumerate(self.pairs)
        ]
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=HANG_SECONDS * 3)

    def between(self, start: float, end: float) -> list[tuple[float, str, int, float]]:
        return [e for e in self.events if start <= e[0] < end]


def statuses(events: list) -> dict[str, int]:
    # -1 is "not my turn" (the composer was not shown): a read that answered 200.
    return dict(Counter(str(200 if e[2] == -1 else e[2]) for e in events))


def signed_in_pairs(
    cluster: Cluster, tag: str, count: int = 1
) -> list[tuple[list[Browser], list[dict]]]:
    """count pairs of writers, each pair sharing a thread, every writer signed in."""
    writers = build_pairs(cluster, count, f"{tag}{int(time.time()) % 100000}w")
    pairs = []
    for n in range(count):
        pair = writers[2 * n : 2 * n + 2]
        browsers = [Browser(cluster.url(), timeout=HANG_SECONDS * 2) for _ in pair]
        for browser, writer in zip(browsers, pair, strict=True):
            browser.log_in(writer["username"])
        pairs.append((browsers, pair))
    return pairs


def signed_in_pair(cluster: Cluster, tag: str) -> tuple[list[Browser], list[dict]]:
    return signed_in_pairs(cluster, tag)[0]


# ---------------------------------------------------------------------- scenarios


def app_server(cluster: Cluster) -> Outcome:
    with Traffic(signed_in_pairs(cluster, "fapp", 4), "faultapp") as traffic:
        time.sleep(5)
        killed_at = time.monotonic()
        cluster.stop("serve-2", kill=True)
        time.sleep(10)
    after = time.monotonic()
    cluster.start("serve-2")
    # Requests in flight on the killed server fail (a 502 from nginx; a reply among them was
    # never acknowledged, though it may have been saved). Everything that started from 2 s
    # after the kill on must succeed: nginx has taken the server out of its rotation.
    before = [e for e in traffic.events if e[0] + e[3] < killed_at]
    later = traffic.between(killed_at + 2, after)
    during = [e for e in traffic.events if e not in before and e not in later]
    errors_later = sum(1 for e in later if e[2] not in (200, 302, -1))
    checked = verify(cluster, traffic.acknowledged)
    figures = {
        "before": statuses(before),
        "in_flight_or_within_2s": statuses(during),
        "after": statuses(later),
        "acknowledged": checked["acknowledged"],
        "not_exactly_once": checked["wrong"],
    }
    passed = errors_later == 0 and not checked["wrong"] and checked["acknowledged"] > 0
    return Outcome("kill -9 an app server", passed, figures)


async def _hears_post(url: str, headers: dict, post: Callable[[], int], wait: float) -> str:
    """Open a socket, make a post, and say whether the socket heard of it within wait."""
    async with websockets.connect(
        url, additional_headers=headers, open_timeout=5, proxy=None
    ) as ws:
        status = await asyncio.to_thread(post)
        if status != 302:
            return f"post answered {status}"
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            try:
                message = json.loads(await asyncio.wait_for(ws.recv(), 0.25))
            except TimeoutError:
                continue
            if message.get("type") == "post" and message.get("op") == "created":
                return "heard"
        return "not heard"


async def _handshake(url: str, headers: dict) -> tuple[str, float]:
    started = time.monotonic()
    try:
        async with websockets.connect(
            url, additional_headers=headers, open_timeout=30, proxy=None
        ) as ws:
            # The server may accept, then close once it cannot join the group.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(ws.recv(), 1)
            outcome = "open"
    except websockets.exceptions.ConnectionClosed as closed:
        outcome = f"closed {closed.rcvd.code if closed.rcvd else '-'}"
    except websockets.exceptions.InvalidStatus as refused:
        outcome = f"refused {refused.response.status_code}"
    except (OSError, TimeoutError) as error:
        outcome = type(error).__name__
    return outcome, round(time.monotonic() - started, 2)


def redis(cluster: Cluster) -> Outcome:
    browsers, writers = signed_in_pair(cluster, "fred")
    reader, poster = browsers[1], browsers[0]
    url, headers = reader.socket_url(writers[0]["thread"]), reader.socket_headers()
    turn = [0]

    def post_in_turn() -> int:
        # Whoever's turn it is posts (the other gets -1: not shown the composer).
        for _ in range(2):
            index = turn[0] % 2
            status = browsers[index].reply(writers[index], f"faultredis{time.time_ns()}x")
            if status != -1:
                turn[0] += 1
                return status
            turn[0] += 1
        return -1

    before = asyncio.run(_hears_post(url, headers, post_in_turn, 5))
    # A reader's socket opened before the outage: does it survive it, and hear posts after?
    old_socket = OldSocket(url, headers)
    cluster.stop("redis")
    stopped_at = time.monotonic()
    posts_down = []
    while time.monotonic() - stopped_at < REDIS_OUTAGE_SECONDS:
        posts_down.append(post_in_turn())
    handshake, handshake_seconds = asyncio.run(_handshake(url, headers))
    reads_down = [poster.request("/")[0] for _ in range(3)]
    down_seconds = round(time.monotonic() - stopped_at, 1)
    cluster.start("redis")
    restarted = time.monotonic()
    resumed = None
    attempts = []
    while time.monotonic() - restarted < 30:
        try:
            result = asyncio.run(_hears_post(url, headers, post_in_turn, 2))
        except (OSError, TimeoutError, websockets.exceptions.WebSocketException) as error:
            result = type(error).__name__
        attempts.append(result)
        if result == "heard":
            resumed = round(time.monotonic() - restarted, 1)
            break
    figures = {
        "live_before": before,
        "redis_down_seconds": down_seconds,
        "posts_while_down": dict(Counter(map(str, posts_down))),
        "reads_while_down": dict(Counter(map(str, reads_down))),
        "handshake_while_down": handshake,
        "handshake_seconds": handshake_seconds,
        "live_resumed_after_s": resumed,
        "socket_opened_before": old_socket.result(stopped_at),
        "tries_until_resumed": attempts,
    }
    passed = (
        before == "heard"
        and all(s == 302 for s in posts_down)
        and handshake_seconds <= 10
        and resumed is not None
        and resumed <= 10
    )
    return Outcome("stop and restart Redis", passed, figures)


def primary(cluster: Cluster) -> Outcome:
    with Traffic(signed_in_pairs(cluster, "fpri", 4), "faultpri") as traffic:
        time.sleep(3)
        stopped_at = time.monotonic()
        cluster.stop("pg-primary")
        # Longer than the pool's timeout (10 s): a request waits that long for a connection,
        # then gets the 503 page. A shorter outage is simply waited out (tested separately).
        # A signed-in page needs the primary (the session): the 503 page. An anonymous public
        # page may still be read from the replica.
        probe = {}
        signed_in = traffic.pairs[0][0][0]
        for who, browser, path in (
            ("signed_in", signed_in, "/"),
            ("anonymous", Browser(cluster.url(), timeout=HANG_SECONDS * 3), "/t/public/"),
        ):
            asked = time.monotonic()
            status, page = browser.request(path)
            probe[who] = {"status": status, "seconds": round(time.monotonic() - asked, 1)}
            probe[who]["503_page"] = "cannot reach its database" in page
        time.sleep(max(0.0, OUTAGE_SECONDS - (time.monotonic() - stopped_at)))
        cluster.start("pg-primary")
        restarted = time.monotonic()
        # Recovered: every answer since is a success, for 5 s running (no Tandem restart).
        recovered = None
        while time.monotonic() - restarted < 40:
            time.sleep(0.5)
            since = traffic.between(restarted, time.monotonic())
            last_bad = max((e[0] + e[3] for e in since if e[2] not in (200, 302, -1)), default=None)
            start = last_bad or restarted
            if time.monotonic() - start > 5 and any(e[0] > start for e in since):
                recovered = round(start - restarted, 1)
                break
    outage = traffic.between(stopped_at, restarted)
    slowest = max((e[3] for e in outage), default=0.0)
    bad = [e for e in outage if e[2] not in (200, 302, -1, 503)]
    checked = verify(cluster, traffic.acknowledged)
    workers_alive = [pid_alive(cluster.info["pids"].get(f"worker-{n}")) for n in (1, 2)]
    figures = {
        "outage_s": round(restarted - stopped_at, 1),
        "during_outage": statuses(outage),
        "probe_during_outage": probe,
        "slowest_during_s": round(slowest, 2),
        "slowest_requests": sorted(
            ((kind, status, round(seconds, 1)) for _, kind, status, seconds in outage),
            key=lambda e: -e[2],
        )[:4],
        "recovered_after_restart_s": recovered,
        "after": statuses(traffic.between(restarted, time.monotonic())),
        "not_exactly_once": checked["wrong"],
        "workers_alive": workers_alive,
    }
    passed = (
        not bad
        and any(e[2] == 503 for e in outage)
        and probe["signed_in"]["503_page"]
        and slowest <= HANG_SECONDS
        and recovered is not None
        and not checked["wrong"]
        and all(workers_alive)
    )
    return Outcome("restart the PostgreSQL primary", passed, figures)


def replica(cluster: Cluster) -> Outcome:
    browsers, writers = signed_in_pair(cluster, "frep")
    anonymous = Browser(cluster.url())
    # The thread is private: the anonymous reader reads the public pages only.
    pages = ["/", "/t/public/", "/search/?q=lighthouse"]
    signed_in_pages = [*pages, f"/t/{writers[0]['thread']}/"]

    def sweep(browser: Browser) -> list[tuple[int, float]]:
        found = []
        for path in signed_in_pages if browser is not anonymous else pages:
            started = time.monotonic()
            found.append((browser.request(path)[0], time.monotonic() - started))
        return found

    up = [r for _ in range(3) for b in (browsers[1], anonymous) for r in sweep(b)]
    cluster.stop("pg-replica")
    down = [r for _ in range(5) for b in (browsers[1], anonymous) for r in sweep(b)]
    cluster.start("pg-replica")
    again = [r for _ in range(3) for b in (browsers[1], anonymous) for r in sweep(b)]

    def summary(results: list[tuple[int, float]]) -> dict:
        return {
            "statuses": dict(Counter(str(s) for s, _ in results)),
            "median_ms": round(statistics.median(t for _, t in results) * 1000, 1),
            "max_ms": round(max(t for _, t in results) * 1000, 1),
        }

    figures = {"replica_up": summary(up), "replica_down": summary(down), "back": summary(again)}
    passed = all(s == 200 for s, _ in up + down + again)
    return Outcome("stop the read replica", passed, figures)


class OldSocket:
    """A socket held on a thread of its own: when it closed (and how), what it heard."""

    def __init__(self, url: str, headers: dict) -> None:
        self.opened = time.monotonic()
        self.heard: list[float] = []
        self.closed: tuple[float, object] | None = None
        self.ws = connect(url, additional_headers=headers, open_timeout=5, proxy=None)
        threading.Thread(target=self._listen, daemon=True).start()

    def _listen(self) -> None:
        try:
            for raw in self.ws:
                message = json.loads(raw)
                if message.get("type") == "post" and message.get("op") == "created":
                    self.heard.append(time.monotonic())
        except websockets.exceptions.ConnectionClosed:
            pass
        code = self.ws.close_code
        self.closed = (time.monotonic(), code)

    def result(self, stopped_at: float) -> dict:
        """What happened to it, in seconds from stopped_at (Redis stopping)."""
        self.ws.close()
        time.sleep(0.2)
        found: dict = {"posts_heard": len(self.heard)}
        if self.closed and (not self.heard or self.closed[0] < self.heard[-1] + 0.1):
            found["closed_after_stop_s"] = round(self.closed[0] - stopped_at, 2)
            found["close_code"] = self.closed[1]
        return found


class Receiver(http.server.ThreadingHTTPServer):
    """A webhook endpoint that holds its first request for `hold` seconds and counts all."""

    def __init__(self, hold: float) -> None:
        self.hold = hold
        self.hits: list[tuple[float, str]] = []
        self.first = threading.Event()
        super().__init__(("127.0.0.1", 0), _Handler)


class _Handler(http.server.BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.server.hits.append((time.monotonic(), self.headers.get("X-Tandem-Delivery", "")))
        if len(self.server.hits) == 1:
            self.server.first.set()
            time.sleep(self.server.hold)
        try:
            self.send_response(200)
            self.end_headers()
        except OSError:
            pass  # the worker that asked was killed meanwhile

    def log_message(self, format: str, *args) -> None:
        pass


TASK_STATE = """
import json
from django_tasks_db.models import DBTaskResult
rows = DBTaskResult.objects.filter(task_path__endswith="send_webhook", args_kwargs__args=[{delivery}])
from tandem.notifications.models import WebhookDelivery
d = WebhookDelivery.objects.get(pk={delivery})
print(json.dumps({{"tasks": [[r.status, len(r.worker_ids)] for r in rows],
                  "delivery": [d.status, d.attempts]}}))
"""

# What the scheduler does by itself once the killed worker's heartbeat is WORKER_GONE_AFTER
# (3 minutes) old: here the start and the heartbeat are moved back instead of waiting, then
# the same function runs.
REQUEUE = """
import json
from django.db.models import F
from django_tasks_db.models import DBTaskResult
from tandem.notifications.models import WorkerHeartbeat
from tandem.notifications.scheduler import WORKER_GONE_AFTER, requeue_stale_tasks
from datetime import timedelta
stuck = DBTaskResult.objects.filter(task_path__endswith="send_webhook", status="RUNNING",
    args_kwargs__args=[{delivery}])
back = WORKER_GONE_AFTER + timedelta(seconds=1)
WorkerHeartbeat.objects.filter(worker_id__in=[r.worker_ids[-1] for r in stuck]).update(
    seen_at=F("seen_at") - back)
stuck.update(started_at=F("started_at") - back)
print(json.dumps(requeue_stale_tasks()))
"""


def worker(cluster: Cluster) -> Outcome:
    browsers, writers = signed_in_pair(cluster, "fwrk")
    receiver = Receiver(hold=8)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    hook = f"http://127.0.0.1:{receiver.server_address[1]}/hook"
    # The partner hears "your turn" by webhook once the owner has posted.
    manage_shell(
        cluster,
        "import json\nfrom tandem.accounts.models import User\n"
        "from tandem.notifications.webhooks import webhook_add\n"
        f"webhook_add(writer=User.objects.get(username={writers[1]['username']!r}), "
        f"url={hook!r}, kinds=['your_turn'])\nprint(json.dumps(1))",
    )
    # One worker only, so the task is sure to be on the one killed.
    cluster.stop("worker-2")
    figures: dict = {}
    try:
        status = browsers[0].reply(writers[0], f"faultworker{time.time_ns()}x")
        figures["post"] = status
        if not receiver.first.wait(30):
            return Outcome("kill -9 a worker mid-task", False, figures | {"error": "no delivery"})
        delivery = int(receiver.hits[0][1])
        cluster.stop("worker-1", kill=True)
        killed_at = time.monotonic()
        cluster.start("worker-1")
        cluster.start("worker-2")
        time.sleep(10)
        figures["after_kill_10s"] = manage_shell(cluster, TASK_STATE.format(delivery=delivery))
        figures["hits_before_requeue"] = len(receiver.hits)
        requeued_at = time.monotonic()  # the shell's start-up counts: the requeue is in it
        figures["requeued"] = manage_shell(cluster, REQUEUE.format(delivery=delivery))
        deadline = requeued_at + 20
        while len(receiver.hits) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        if len(receiver.hits) >= 2:
            figures["rerun_after_requeue_s"] = round(receiver.hits[1][0] - requeued_at, 1)
        time.sleep(5)  # anything running a third time would have by now
        figures["hits"] = len(receiver.hits)
        figures["final"] = manage_shell(cluster, TASK_STATE.format(delivery=delivery))
        figures["seconds_from_kill_to_rerun_here"] = round(receiver.hits[-1][0] - killed_at, 1)
    finally:
        receiver.shutdown()
        if not pid_alive(cluster.info["pids"].get("worker-2")):
            cluster.start("worker-2")
    passed = (
        figures["hits_before_requeue"] == 1
        and figures["hits"] == 2
        and figures["final"]["tasks"] == [["SUCCESSFUL", 2]]
        and figures["final"]["delivery"][0] == "sent"
    )
    return Outcome("kill -9 a worker mid-task", passed, figures)


SCENARIOS: dict[str, Callable[[Cluster], Outcome]] = {
    "app": app_server,
    "redis": redis,
    "primary": primary,
    "replica": replica,
    "worker": worker,
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--state", type=Path, default=DEFAULT_STATE)
    parser.add_argument("--only", default=",".join(SCENARIOS), help="comma-separated scenarios")
    args = parser.parse_args()
    cluster = Cluster(args.state.resolve())
    failed = 0
    for name in args.only.split(","):
        started = time.monotonic()
        try:
            outcome = SCENARIOS[name](cluster)
        except Exception as error:  # a scenario that crashed is a failure, the rest still run
            outcome = Outcome(name, False, {"error": repr(error)})
        finally:
            # Each scenario leaves the cluster whole for the next, whatever happened.
            for service in cluster.status():
                if not cluster.healthy(service):
                    cluster.start(service)
        failed += not outcome.passed
        print(f"{'PASS' if outcome.passed else 'FAIL'}  {outcome.name} "
              f"({time.monotonic() - started:.0f} s)", flush=True)  # fmt: skip
        print("      " + json.dumps(outcome.figures), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
