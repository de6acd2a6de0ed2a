"""The benchmark suite: Tandem's pages over real HTTP, as ratios to the framework's floor.

Run with ``python benchmarks/run.py`` (SQLite in a throwaway data dir), or
``python benchmarks/run.py --database-url postgres://postgres@127.0.0.1:5432/bench_suite``
(created if missing; filled once and reused on later runs, ``--rebuild`` drops it first), or
``python benchmarks/run.py --both`` for SQLite then that PostgreSQL database. Options:
``--rounds 200 --warmup 20 --public-threads 1000 --json out.json``.

Method (project issue 12). Two servers run side by side on this machine, each one uvicorn
worker with the same options (uvicorn's default loop and HTTP implementation, ``--log-level
warning``, no lifespan, proxy headers):

* ``tandem serve`` on a database built through the real services (sign-up, muses,
  ``thread_create``, invitations, ``post_create``) in a child process, as the site itself
  would have written it; and
* the floor: a one-view Django project (``benchmarks/floor/``: DEBUG off, no database, the
  stateless half of startproject's middleware, a small fixed ``HttpResponse``) on the same
  Django and uvicorn. Whatever both pay (HTTP parsing, the event loop, Django's handler,
  this client) cancels in the ratio; what is left is Tandem's own work.

The data: two writers whose muses wrote ONE public thread of 50 posts of about 630 words
each, taking turns, and a writer with 50 threads in their home queue (half their turn, half
waiting), all through the real services (sign-up, muses, ``thread_create``, invitations,
``post_create``) in a child process, so every cached turn, event and notification is what
the site would have; around them ``--public-threads`` public threads of other writers made
by ``tandem manage generate_world`` (eight posts each, fandom and freeform tags, about half
tagged "slow burn"), which the directory, the tag page and search read; and, fresh on every
run, a private thread of the two writers for the reply case. On PostgreSQL a new build is
then clustered and vacuumed as in ``benchmarks/discovery.py``. The thread page shows the
first ``TANDEM_POSTS_PER_PAGE`` (20) of the 50 posts, as any reader opening it sees it.

The client is this process: ``http.client`` with one keep-alive connection per server and
identity (the floor, an anonymous reader, each signed-in writer, the API token), requests
sent one at a time. The writers sign in through the real login form (the CSRF cookie and
token, then the POST), so log-ins are part of what the worker's memory holds at the end.
Each round requests every case once in a fixed order, the floor first, so that every case
sees the same machine; ``--warmup`` rounds are thrown away, then ``--rounds`` are measured.
The reply case POSTs the thread page's composer form with a ~630-word post, the two
writers taking turns as the thread's order says; each must answer with the redirect to the
new post, and at the end every acknowledged reply must be in the database exactly once.

Any other status than the one a case expects (200, and 302 for the reply) is reported and
makes the run exit 1. For each database it prints a table (median and p99 in ms, the median
as a multiple of the floor's, the target and whether it is met), the Tandem worker's
resident memory (VmRSS) after the run against the 150 MB target, and the machine's facts
and load; everything goes as JSON to ``--json`` (default: a temporary file, printed).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import secrets
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from http.client import HTTPConnection, RemoteDisconnected
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_POSTGRES = "postgres://postgres@127.0.0.1:5432/bench_suite"
PASSWORD = "bench-suite-pw-1"
WRITERS = ("ivyink", "halequill")  # the 50-post thread and the reply thread
MUSES = ("Ivy", "Hale")
QUEUE_WRITER = "wrenqueue"  # the writer with 50 threads in their queue
QUEUE_PARTNERS = 5
QUEUE_THREADS = 50
PUBLIC_SHARE = 0.8  # generate_world makes about 80% of its threads public
POSTS_PER_WORLD_THREAD = 8
LONG_POST_WORDS = 645  # by this generator's count; Tandem's (no ❛ ❜ & —) says about 630
SEARCH_WORD = "lantern"  # in about one generated post in five, and in the 50-post thread
TAG = ("freeform", "slow burn")
STARTUP_SECONDS = 90
MEMORY_TARGET_MB = 150

# (name, target ratio of its median to the floor's median, or None where the issue sets none)
CASES: list[tuple[str, float | None]] = [
    ("floor", None),
    ("thread, 50 posts, anonymous", 3),
    ("thread, 50 posts, signed in", 5),
    ("home queue, 50 threads", 3),
    ("directory page 1", 3),
    ("tag page", 3),
    ("search, one word, anonymous", 3),
    ("API GET /api/v1/queue", None),
    ("reply (POST)", 5),
]


# ------------------------------------------------------------------ prose


# The generator's own fragments, in the style of the threads Tandem is for: lowercase names,
# "&" for "and", em-dashes, dialogue between ❛ ❜.
_OPENINGS = [
    "the tide had come in while {a} wasn't looking",
    "{a} set the lantern down on the sill",
    "somewhere below, the harbour bells started up again",
    "{a} didn't answer at first",
    "the rain eased off to a fine grey mist",
    "{a} turned the brass key over & over in one hand",
    "it was later than either of them would admit",
    "{a} leaned back against the cold stone of the wall",
    "the fire had burned down to a low orange glow",
    "{a} watched {b} from across the narrow room",
]
_MIDDLES = [
    "& for a moment nothing moved at all",
    "— which was, of course, exactly the problem —",
    "& the old floorboards creaked under the weight of it",
    "though the map on the table said otherwise",
    "& {a} could hear {b} breathing, slow & careful",
    "— not that anyone had asked —",
    "& the gulls went quiet out past the breakwater",
    "while the clock in the hall ticked on regardless",
    "& the salt had dried white on the hem of the coat",
    "— the kind of quiet that waits for something —",
]
_ENDINGS = [
    "so {a} let the silence stretch a little longer.",
    "& that, for now, was going to have to be enough.",
    "and {a} wondered, not for the first time, what {b} was hiding.",
    "so the question stayed where it was, unasked.",
    "& the letter stayed folded in the inside pocket.",
    "until the candle guttered & {a} finally looked up.",
    "and the whole house seemed to lean in to listen.",
    "so {a} pulled the chair closer to the table.",
]
_LINES = [
    "you said the ship would wait for us",
    "i'm not asking you to trust me — only to stay",
    "don't, not tonight, not like this",
    "how long have you known",
    "we could still make the crossing before dawn",
    "you keep looking at the door like it owes you something",
    "fine. fine, have it your way",
    "i counted the bells, there were only eleven",
    "tell me what happened at the lighthouse",
    "it isn't the sea i'm afraid of",
]
_TAGS_AFTER = [
    "{a} said quietly",
    "{a} murmured, not quite meeting {b}'s eyes",
    "{a} said — & then, softer —",
    "{a} answered, too quickly",
    "came the reply from the doorway",
    "{a} said, & almost smiled",
]


def prose(rng: random.Random, writer: str, other: str, words: int) -> str:
    """Paragraphs of at least ``words`` words between two muses, ``writer`` the narrator."""
    a, b = writer, other
    paragraphs: list[str] = []
    count = 0
    while count < words:
        sentences = []
        for _ in range(rng.randint(3, 5)):
            if rng.random() < 0.35:
                line = rng.choice(_LINES)
                sentence = f"❛ {line}, ❜ {rng.choice(_TAGS_AFTER)}."
            else:
                sentence = f"{rng.choice(_OPENINGS)} {rng.choice(_MIDDLES)} {rng.choice(_ENDINGS)}"
            sentences.append(sentence.format(a=a, b=b))
        paragraph = " ".join(sentences)
        paragraphs.append(paragraph[0].upper() + paragraph[1:] if rng.random() < 0.2 else paragraph)
        count += len(paragraph.split())
    return "\n\n".join(paragraphs)


# ------------------------------------------------------------------ in the child process


def _child_setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tandem.settings")
    import django

    django.setup()


def child_build(public_threads: int) -> dict:
    """Everything but the reply thread; skipped if already there."""
    _child_setup()
    from django.core.management import call_command

    from tandem.accounts.models import User
    from tandem.accounts.services import writer_sign_up
    from tandem.muses.services import muse_create
    from tandem.threads import services
    from tandem.threads.models import Rating, Visibility

    if User.objects.filter(username=QUEUE_WRITER).exists():
        return {"built": False, "built_seconds": None}
    started = time.monotonic()
    rng = random.Random(12)

    # The public world for the directory, the tag page and search comes from the project's
    # own generator (as in benchmarks/discovery.py): 1,000 threads through the services take
    # ten minutes on this machine, it writes the same rows in seconds. It refuses a database
    # with other writers, so it goes first. About 80% of its threads are public; eight posts
    # a thread; tags include freeform "slow burn" on about half of them.
    threads = round(public_threads / PUBLIC_SHARE)
    call_command(
        "generate_world",
        writers=max(10, threads // 12),
        threads=threads,
        posts=threads * POSTS_PER_WORLD_THREAD,
        seed=12,
        verbosity=0,
    )
    print(f"   the generated world: {time.monotonic() - started:.0f} s", flush=True)

    def sign_up(name: str, muse_name: str):
        writer = writer_sign_up(username=name, email=f"{name}@example.test", password=PASSWORD)
        return writer, muse_create(owner=writer, name=muse_name)

    def pair_thread(owner, muse, partner, partner_muse, **fields):
        thread = services.thread_create(owner=owner, muse=muse, **fields)
        invitation = services.invitation_create(
            thread=thread, actor=owner, username=partner.username
        )
        services.invitation_accept(invitation=invitation, writer=partner, muse=partner_muse)
        return thread

    # The two writers and their public thread of 50 long posts, taking turns.
    (ivy_writer, ivy), (hale_writer, hale) = (
        sign_up(name, muse) for name, muse in zip(WRITERS, MUSES, strict=True)
    )
    thread = pair_thread(
        ivy_writer,
        ivy,
        hale_writer,
        hale,
        title="What the tide left",
        summary="two keepers, one lighthouse, a letter neither will open.",
        rating=Rating.TEEN,
        visibility=Visibility.PUBLIC,
        fandoms=["the drowned coast"],
        tags=["slow burn", "found family"],
    )
    for n in range(50):
        writer, muse, name, other = (
            (ivy_writer, ivy, "ivy", "hale") if n % 2 == 0 else (hale_writer, hale, "hale", "ivy")
        )
        body = prose(rng, name, other, LONG_POST_WORDS + rng.randint(-30, 30))
        services.post_create(thread=thread, writer=writer, muse=muse, body=body)
    print(f"   the 50-post thread: {time.monotonic() - started:.0f} s", flush=True)

    # The queue writer: half the threads their turn (the partner answered), half waiting.
    queue_writer, wren = sign_up(QUEUE_WRITER, "Wren")
    partners = [sign_up(f"queuepartner{n}", f"Partner {n}") for n in range(QUEUE_PARTNERS)]
    for n in range(QUEUE_THREADS):
        partner, partner_muse = partners[n % QUEUE_PARTNERS]
        thread = pair_thread(queue_writer, wren, partner, partner_muse, title=f"Queue thread {n}")
        services.post_create(
            thread=thread, writer=queue_writer, muse=wren, body=prose(rng, "wren", "kit", 80)
        )
        if n % 2 == 0:
            services.post_create(
                thread=thread,
                writer=partner,
                muse=partner_muse,
                body=prose(rng, "kit", "wren", 80),
            )
    print(f"   the queue's threads: {time.monotonic() - started:.0f} s", flush=True)

    return {"built": True, "built_seconds": round(time.monotonic() - started, 1)}


def child_prepare() -> dict:
    """Per run: a fresh reply thread, an API token, and the addresses and facts of the data."""
    _child_setup()
    from django.db import connection

    from tandem.accounts.models import User
    from tandem.api.models import AccessToken
    from tandem.api.services import token_create, token_revoke
    from tandem.muses.models import Muse
    from tandem.threads import services
    from tandem.threads.models import Post, Tag, Thread, Visibility

    ivy_writer, hale_writer = (User.objects.get(username=name) for name in WRITERS)
    ivy, hale = (
        Muse.objects.get(owner=writer, name=name)
        for writer, name in ((ivy_writer, MUSES[0]), (hale_writer, MUSES[1]))
    )
    stamp = time.strftime("%Y-%m-%d %H:%M:%S")
    reply_thread = services.thread_create(owner=ivy_writer, muse=ivy, title=f"Replies {stamp}")
    invitation = services.invitation_create(
        thread=reply_thread, actor=ivy_writer, username=hale_writer.username
    )
    services.invitation_accept(invitation=invitation, writer=hale_writer, muse=hale)
    long_thread = Thread.objects.get(owner=ivy_writer, title="What the tide left")
    queue_writer = User.objects.get(username=QUEUE_WRITER)
    # A reused database keeps the tokens of earlier runs: revoke them, or the writer's cap
    # on live tokens would refuse the twenty-first run.
    for earlier in AccessToken.objects.filter(
        user=queue_writer, name__startswith="bench suite ", revoked_at__isnull=True
    ):
        token_revoke(token=earlier, user=queue_writer)
    raw_token = token_create(user=queue_writer, name=f"bench suite {stamp}", scope="read")[1]
    if connection.vendor == "postgresql":
        version = f"{connection.pg_version // 10000}.{connection.pg_version % 10000}"
    else:
        version = connection.Database.sqlite_version
    return {
        "engine": f"{connection.vendor} {version}",
        "thread_url": long_thread.get_absolute_url(),
        "thread_posts": long_thread.posts.count(),
        "thread_words": sum(long_thread.posts.values_list("word_count", flat=True)),
        "reply_url": reply_thread.get_absolute_url(),
        "reply_thread": reply_thread.public_id,
        # The owner's muse opens an ordered thread: the writers take turns from the first.
        "reply_muses": {WRITERS[0]: ivy.pk, WRITERS[1]: hale.pk},
        "tag_url": Tag.objects.get(category=TAG[0], name=TAG[1]).get_absolute_url(),
        "token": raw_token,
        "public_threads": Thread.objects.filter(visibility=Visibility.PUBLIC).count(),
        "posts": Post.objects.count(),
        "search_word_posts": Post.objects.filter(
            body__contains=SEARCH_WORD, thread__visibility=Visibility.PUBLIC
        ).count(),
        "queue_threads": Thread.objects.filter(participants__writer=queue_writer)
        .distinct()
        .count(),
    }


def child_verify(reply_thread: str, markers: list[str]) -> dict:
    """Every acknowledged reply is in the thread exactly once, and nothing else is."""
    _child_setup()
    from tandem.threads.models import Post

    posts = Post.objects.filter(thread__public_id=reply_thread)
    missing_or_doubled = {
        marker: n for marker in markers if (n := posts.filter(body__contains=marker).count()) != 1
    }
    return {
        "replies_acknowledged": len(markers),
        "posts_in_reply_thread": posts.count(),
        "missing_or_doubled": missing_or_doubled,
    }


# ------------------------------------------------------------------ processes


def run(args: list[str], env: dict, *, echo: bool = False) -> str:
    process = subprocess.Popen(
        args, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    assert process.stdout is not None
    lines = []
    for line in process.stdout:
        lines.append(line)
        if echo and not line.startswith("{"):
            print(line.rstrip(), flush=True)
    if process.wait():
        raise SystemExit(f"failed: {' '.join(args)}\n{''.join(lines[-40:])}")
    return "".join(lines)


def child(name: str, env: dict, *extra: str, echo: bool = False) -> dict:
    output = run([sys.executable, __file__, "--child", name, *extra], env, echo=echo)
    return json.loads(output.strip().splitlines()[-1])


def free_port() -> int:
    # Asked of the OS; the moment between closing it here and the server binding it is
    # the usual small race, acceptable on a machine that is not handing out ports wildly.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def clean_env() -> dict:
    """This process's environment without what would point a server elsewhere."""
    dropped = ("DATABASE_URL", "DJANGO_SETTINGS_MODULE", "TANDEM_DEBUG", "REDIS_URL")
    return {key: value for key, value in os.environ.items() if key not in dropped}


@dataclass
class Served:
    name: str
    port: int
    process: subprocess.Popen
    log_path: Path


@contextmanager
def serve(
    name: str, command: list[str], env: dict, port: int, probe: str, logs: Path
) -> Iterator[Served]:
    """A server in its own process group, stopped (the whole group) whatever happens."""
    log_path = logs / f"{name}.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    served = Served(name, port, process, log_path)
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            if process.poll() is not None:
                raise SystemExit(f"{name} exited:\n{log_path.read_text()[-3000:]}")
            try:
                conn = HTTPConnection("127.0.0.1", port, timeout=5)
                conn.request("GET", probe)
                if conn.getresponse().status == 200:
                    conn.close()
                    break
                conn.close()
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit(f"{name} did not answer {probe}:\n{log_path.read_text()[-3000:]}")
            time.sleep(0.2)
        yield served
    finally:
        stop(process)


def stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    except ProcessLookupError:
        pass


def memory_mb(pid: int) -> dict:
    """VmRSS (now) and VmHWM (the peak) of a process, and of any children it has."""

    def read(one: int) -> dict:
        status = Path(f"/proc/{one}/status").read_text()
        values = dict(re.findall(r"^(VmRSS|VmHWM):\s+(\d+) kB", status, re.M))
        return {key: round(int(value) / 1024, 1) for key, value in values.items()}

    children = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        # A thread (uvicorn's, the database's) may end between the listing and the read.
        with suppress(FileNotFoundError):
            children += (task / "children").read_text().split()
    return {"pid": pid, **read(pid), "children": {c: read(int(c)) for c in children}}


# ------------------------------------------------------------------ the client


@dataclass
class Response:
    status: int
    headers: dict
    body: bytes
    ms: float


@dataclass
class Client:
    """One keep-alive connection with its own cookies: one identity on one server."""

    port: int
    headers: dict = field(default_factory=dict)
    cookies: dict = field(default_factory=dict)
    reconnects: int = 0

    def __post_init__(self) -> None:
        self.conn = HTTPConnection("127.0.0.1", self.port, timeout=120)

    def request(self, method: str, path: str, form: dict | None = None) -> Response:
        headers = dict(self.headers)
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in (1, 2):
            started = time.perf_counter()
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                data = response.read()
            except (RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                # The server closed an idle keep-alive connection: counted, then once more.
                self.conn.close()
                self.reconnects += 1
                if attempt == 2:
                    raise
                continue
            ms = (time.perf_counter() - started) * 1000
            break
        for value in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(value).items():
                if morsel.value and morsel["max-age"] != "0":
                    self.cookies[name] = morsel.value
                else:
                    self.cookies.pop(name, None)
        return Response(response.status, dict(response.headers), data, ms)

    def close(self) -> None:
        self.conn.close()


def form_token(page: bytes) -> str:
    found = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    if not found:
        raise SystemExit("no CSRF token on the page")
    return found.group(1).decode()


def log_in(client: Client, username: str) -> None:
    """Through the real form, as a browser: its CSRF cookie and token, then the POST."""
    page = client.request("GET", "/accounts/login/")
    token = form_token(page.body)
    done = client.request(
        "POST",
        "/accounts/login/",
        {"csrfmiddlewaretoken": token, "username": username, "password": PASSWORD},
    )
    if done.status != 302 or "sessionid" not in client.cookies:
        raise SystemExit(f"log-in as {username} failed: {done.status}")


# ------------------------------------------------------------------ one database


def measure(prepared: dict, tandem_port: int, floor_port: int, args) -> tuple[dict, list]:
    """The interleaved rounds; returns the per-case summaries and the acknowledged replies."""
    floor = Client(floor_port)
    anonymous = Client(tandem_port)
    writers = {name: Client(tandem_port) for name in WRITERS}
    queue = Client(tandem_port)
    api = Client(tandem_port, headers={"Authorization": f"Bearer {prepared['token']}"})
    for name, client in writers.items():
        log_in(client, name)
    log_in(queue, QUEUE_WRITER)

    # The composer's fields and each writer's CSRF token come from the reply thread's page.
    reply_url = prepared["reply_url"]
    tokens = {}
    for name, client in writers.items():
        page = client.request("GET", reply_url)
        tokens[name] = form_token(page.body)
        if name == WRITERS[0]:  # only the writer whose turn it is is shown the composer
            for field_name in (b"muse", b"body", b"submission_key"):
                if b'name="' + field_name + b'"' not in page.body:
                    raise SystemExit(f"the composer has no {field_name.decode()} field")

    replies: list[str] = []

    def reply(n: int) -> Response:
        name = WRITERS[n % 2]  # ordered turns: the owner's muse first, then each in turn
        marker = f"benchreply{n:05d}x"
        speaker, other = MUSES[n % 2].lower(), MUSES[(n + 1) % 2].lower()
        body = prose(random.Random(n), speaker, other, LONG_POST_WORDS)
        response = writers[name].request(
            "POST",
            reply_url,
            {
                "csrfmiddlewaretoken": tokens[name],
                "muse": prepared["reply_muses"][name],
                "body": f"{body}\n\n{marker}",
                "submission_key": secrets.token_urlsafe(24),
            },
        )
        if response.status == 302:
            replies.append(marker)
        return response

    search = f"/search/?q={SEARCH_WORD}"
    requests = {
        "floor": lambda n: floor.request("GET", "/"),
        "thread, 50 posts, anonymous": lambda n: anonymous.request("GET", prepared["thread_url"]),
        "thread, 50 posts, signed in": lambda n: writers[WRITERS[0]].request(
            "GET", prepared["thread_url"]
        ),
        "home queue, 50 threads": lambda n: queue.request("GET", "/"),
        "directory page 1": lambda n: anonymous.request("GET", "/t/public/"),
        "tag page": lambda n: anonymous.request("GET", prepared["tag_url"]),
        "search, one word, anonymous": lambda n: anonymous.request("GET", search),
        "API GET /api/v1/queue": lambda n: api.request("GET", "/api/v1/queue"),
        "reply (POST)": reply,
    }
    expected = {name: 200 for name, _ in CASES} | {"reply (POST)": 302}
    samples: dict[str, list[float]] = {name: [] for name, _ in CASES}
    statuses: dict[str, Counter] = {name: Counter() for name, _ in CASES}
    sizes: dict[str, int] = {}
    for n in range(args.warmup + args.rounds):
        for name, _ in CASES:
            response = requests[name](n)
            statuses[name][response.status] += 1
            sizes[name] = len(response.body)
            if n >= args.warmup:
                samples[name].append(response.ms)
            if n == 0 and name.startswith("search") and SEARCH_WORD.encode() not in response.body:
                raise SystemExit("the search page does not show the word it was asked for")
        if n + 1 == args.warmup:
            print(f"   warmed up ({args.warmup} rounds)", flush=True)
        elif n >= args.warmup and (n - args.warmup + 1) % 50 == 0:
            print(f"   round {n - args.warmup + 1}/{args.rounds}", flush=True)
    reconnects = sum(c.reconnects for c in (floor, anonymous, queue, api, *writers.values()))
    for client in (floor, anonymous, queue, api, *writers.values()):
        client.close()

    floor_median = statistics.median(samples["floor"])
    floor_p99 = percentile99(samples["floor"])
    cases = {}
    for name, target in CASES:
        ordered = sorted(samples[name])
        median, p99 = statistics.median(ordered), percentile99(ordered)
        unexpected = {s: c for s, c in statuses[name].items() if s != expected[name]}
        cases[name] = {
            "median_ms": round(median, 2),
            "p99_ms": round(p99, 2),
            "max_ms": round(ordered[-1], 2),
            "ratio_median": round(median / floor_median, 2),
            "ratio_p99": round(p99 / floor_p99, 2),
            "target_ratio": target,
            "met": None if target is None else median / floor_median <= target,
            "bytes": sizes[name],
            "statuses": {str(s): c for s, c in sorted(statuses[name].items())},
            "unexpected_statuses": {str(s): c for s, c in unexpected.items()},
        }
    cases["_client"] = {"reconnects": reconnects}
    return cases, replies


def percentile99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[98]


def create_postgres_database(url: str, *, rebuild: bool) -> str:
    """Create the database if missing (or drop it first with ``rebuild``); say which."""
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and rebuild:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            exists = None
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
            return "created"
    return "existing"


def tandem_command() -> list[str]:
    console_script = Path(sys.executable).with_name("tandem")
    if console_script.exists():
        return [str(console_script)]
    return [sys.executable, "-m", "tandem"]


def run_database(url: str | None, args) -> dict:
    """Build, serve, measure and verify on one database; the report for it."""
    with tempfile.TemporaryDirectory(prefix="tandem-bench-suite-") as data_dir:
        logs = Path(data_dir) / "logs"
        logs.mkdir()
        database_url = url or f"sqlite:///{Path(data_dir) / 'bench.sqlite3'}"
        env = {
            **clean_env(),
            "DATABASE_URL": database_url,
            "TANDEM_DATA_DIR": data_dir,
            "PYTHONUNBUFFERED": "1",
            # 220 replies and 3,000 page views in a few minutes are measured, never refused.
            "TANDEM_RATE_LIMIT_SCALE": "1000",
        }
        database = "temporary"
        if url:
            database = create_postgres_database(url, rebuild=args.rebuild)
        print(f"== {database_url} ({database})", flush=True)
        run([*tandem_command(), "manage", "migrate", "-v0"], env)
        built = child("build", env, f"--public-threads={args.public_threads}", echo=True)
        if built["built"]:
            print(f"   built in {built['built_seconds']} s", flush=True)
            if url:
                from discovery import settle_postgres  # benchmarks/, beside this file

                built["settled_seconds"] = settle_postgres(url)
        else:
            print("   already built: reused (--rebuild to start again)", flush=True)
        prepared = child("prepare", env)

        tandem_port, floor_port = free_port(), free_port()
        tandem_env = env | {"TANDEM_SITE_URL": f"http://127.0.0.1:{tandem_port}"}
        floor_env = clean_env() | {"DJANGO_SETTINGS_MODULE": "floor.settings"}
        # The same options as tandem serve's uvicorn.Config (tandem/cli/serve.py): default loop and
        # HTTP implementation, proxy headers, no lifespan, one worker in this process.
        floor_command = [
            sys.executable, "-m", "uvicorn", "floor.asgi:application",
            "--app-dir", str(ROOT / "benchmarks"), "--host", "127.0.0.1",
            "--port", str(floor_port), "--log-level", "warning",
            "--lifespan", "off", "--proxy-headers",
        ]  # fmt: skip
        tandem = [
            *tandem_command(), "serve", "--host", "127.0.0.1", "--port", str(tandem_port),
            "--workers", "1", "--log-level", "warning",
        ]  # fmt: skip
        load_before = os.getloadavg()
        with (
            serve("tandem", tandem, tandem_env, tandem_port, "/healthz", logs) as served,
            serve("floor", floor_command, floor_env, floor_port, "/", logs),
        ):
            memory_at_start = memory_mb(served.process.pid)
            started = time.monotonic()
            cases, replies = measure(prepared, tandem_port, floor_port, args)
            seconds = round(time.monotonic() - started, 1)
            memory_after = memory_mb(served.process.pid)
            server_log = served.log_path.read_text()
        load_after = os.getloadavg()
        verified = child(
            "verify",
            env,
            f"--reply-thread={prepared['reply_thread']}",
            f"--markers={','.join(replies)}",
        )
    rss = memory_after["VmRSS"]
    return {
        "database_url": database_url if url else "sqlite (temporary)",
        "database": database,
        "engine": prepared["engine"],
        "built": built,
        "data": {k: v for k, v in prepared.items() if k not in ("token", "reply_muses")},
        "rounds": args.rounds,
        "warmup": args.warmup,
        "measuring_seconds": seconds,
        "load_average_before": load_before,
        "load_average_after": load_after,
        "cases": cases,
        "memory_mb": {
            "at_start": memory_at_start,
            "after_run": memory_after,
            "target_mb": MEMORY_TARGET_MB,
            "met": rss < MEMORY_TARGET_MB,
        },
        "reply_check": verified,
        "server_log_tail": server_log[-2000:],
    }


# ------------------------------------------------------------------ output


def machine() -> dict:
    import django
    import uvicorn

    facts = {
        "nproc": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "django": django.get_version(),
        "uvicorn": uvicorn.__version__,
        "sqlite": sqlite3.sqlite_version,
    }
    for module in ("uvloop", "httptools"):
        try:
            facts[module] = __import__(module).__version__
        except ImportError:
            facts[module] = None
    return facts


def print_table(report: dict) -> None:
    data = report["data"]
    print(
        f"\n{report['engine']} — {report['rounds']} rounds after {report['warmup']} warm-up, "
        f"interleaved; {data['public_threads']} public threads, {data['posts']} posts; "
        f"load {fmt_load(report['load_average_before'])} → "
        f"{fmt_load(report['load_average_after'])}"
    )
    header = f"{'case':30}{'median ms':>11}{'p99 ms':>10}{'× floor':>9}{'target':>8}  met?"
    print(header)
    print("-" * len(header))
    for name, target in CASES:
        case = report["cases"][name]
        met = "—" if case["met"] is None else ("yes" if case["met"] else "NO")
        bad = f"  statuses {case['statuses']}" if case["unexpected_statuses"] else ""
        print(
            f"{name:30}{case['median_ms']:>11.2f}{case['p99_ms']:>10.2f}"
            f"{case['ratio_median']:>9.2f}{f'≤ {target}×' if target else '—':>8}  {met}{bad}"
        )
    memory = report["memory_mb"]
    after = memory["after_run"]
    print(
        f"tandem worker (pid {after['pid']}): VmRSS {after['VmRSS']} MB after the run "
        f"(peak {after['VmHWM']} MB; {memory['at_start']['VmRSS']} MB at start), "
        f"target < {MEMORY_TARGET_MB} MB: {'met' if memory['met'] else 'MISSED'}"
    )
    check = report["reply_check"]
    print(
        f"replies: {check['replies_acknowledged']} acknowledged, "
        f"{check['posts_in_reply_thread']} in the thread"
        + (
            f"; NOT exactly once: {check['missing_or_doubled']}"
            if check["missing_or_doubled"]
            else ""
        )
    )


def fmt_load(load: tuple | list) -> str:
    return " ".join(f"{value:.2f}" for value in load)


def failures(report: dict) -> list[str]:
    found = []
    for name, _ in CASES:
        if unexpected := report["cases"][name]["unexpected_statuses"]:
            found.append(f"{report['engine']}: {name}: statuses {unexpected}")
    check = report["reply_check"]
    if check["missing_or_doubled"] or (
        check["posts_in_reply_thread"] != check["replies_acknowledged"]
    ):
        found.append(f"{report['engine']}: replies not each stored exactly once: {check}")
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default="", help="PostgreSQL; default: SQLite, temporary")
    parser.add_argument(
        "--both", action="store_true", help=f"SQLite, then PostgreSQL (default {DEFAULT_POSTGRES})"
    )
    parser.add_argument("--rebuild", action="store_true", help="drop a PostgreSQL database first")
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--public-threads", type=int, default=1000)
    parser.add_argument("--json", default="", help="where to write the results")
    parser.add_argument("--child", choices=["build", "prepare", "verify"], help=argparse.SUPPRESS)
    parser.add_argument("--reply-thread", default="", help=argparse.SUPPRESS)
    parser.add_argument("--markers", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child == "build":
        print(json.dumps(child_build(args.public_threads)))
        return 0
    if args.child == "prepare":
        print(json.dumps(child_prepare()))
        return 0
    if args.child == "verify":
        markers = [m for m in args.markers.split(",") if m]
        print(json.dumps(child_verify(args.reply_thread, markers)))
        return 0
    if args.rounds < 2:
        parser.error("--rounds must be at least 2 (a p99 needs two samples)")

    urls: list[str | None] = [args.database_url or None]
    if args.both:
        urls = [None, args.database_url or DEFAULT_POSTGRES]
    result = {"machine": machine(), "load_average_at_start": os.getloadavg(), "runs": []}
    for url in urls:
        report = run_database(url, args)
        result["runs"].append(report)
        print_table(report)
    result["load_average_at_end"] = os.getloadavg()
    facts = result["machine"]
    print(
        f"\nmachine: {facts['nproc']} CPUs, {facts['platform']}; Python {facts['python']}, "
        f"Django {facts['django']}, uvicorn {facts['uvicorn']} (uvloop {facts['uvloop']}, "
        f"httptools {facts['httptools']})"
    )
    path = args.json or tempfile.mkstemp(prefix="tandem-bench-suite-", suffix=".json")[1]
    Path(path).write_text(json.dumps(result, indent=2, ensure_ascii=False))
    print(f"results written to {path}")
    problems = [problem for report in result["runs"] for problem in failures(report)]
    for problem in problems:
        print(f"FAILED: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
