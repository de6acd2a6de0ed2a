"""``GET /api/v1/queue`` for a writer with 200 threads, as a ratio to the API's own floor.

Run with ``python benchmarks/api_queue.py [--database-url URL] [--threads 200]``.

A throwaway SQLite database in a temporary directory (or, with ``--database-url``, a
PostgreSQL database, created if missing and filled once) is migrated and filled through the
real services (sign-up, muses, ``thread_create``, invitations accepted, ``post_create``), so
every cached turn, event and notification is what the site itself would have: one writer
with ``--threads`` threads against ten partners, a third where it is their turn (the partner
replied), a third where they wait (they replied), a third new (their muse opens). The
partners' threads with each other are there too, as ``--threads`` more, so the queue's
queries have others' rows to skip.

It then measures, in a child process, with Django's test ``Client`` in-process (every
middleware, token authentication, the rate-limit count, the view, its queries and the JSON;
no HTTP server or network, which add a constant couple of milliseconds to both):

* ``GET /api/v1/queue`` with the writer's read-only token, and
* the floor: ``GET /api/v1/me`` with the same token, the trivial operation that goes through
  exactly the same middleware, authentication and rate limit, and reads nothing else,

interleaved (one of each, in turn) after a warm-up, so that both see the same machine. It
prints the median and p99 of each, the queue's as a multiple of the floor, and writes
everything (with the machine's load) as JSON to ``--json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WRITER = "queuebench"
PARTNERS = 10
CASES = [("queue", "/api/v1/queue"), ("floor (me)", "/api/v1/me")]


def run(args: list[str], env: dict) -> str:
    done = subprocess.run(
        args, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    if done.returncode:
        sys.exit(f"failed: {' '.join(args)}\n{done.stdout[-3000:]}")
    return done.stdout


def last_json(output: str) -> dict:
    return json.loads(output.strip().splitlines()[-1])


# ------------------------------------------------------------------ in the child process


def _child_setup():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tandem.settings")
    import django

    django.setup()


def child_build(threads: int) -> dict:
    """The writer, their partners and threads, through the services; reused if there."""
    _child_setup()
    from tandem.accounts.models import User
    from tandem.accounts.services import writer_sign_up
    from tandem.muses.services import muse_create
    from tandem.threads import services

    if User.objects.filter(username=WRITER).exists():
        return {"built_seconds": None}
    started = time.monotonic()

    def sign_up(name: str):
        writer = writer_sign_up(username=name, email=f"{name}@example.test", password="bench-pw-1")
        return writer, muse_create(owner=writer, name=f"{name.title()}'s muse")

    def pair(owner, muse, partner, partner_muse, n: int) -> None:
        thread = services.thread_create(owner=owner, muse=muse, title=f"Thread {n}")
        invitation = services.invitation_create(
            thread=thread, actor=owner, username=partner.username
        )
        services.invitation_accept(invitation=invitation, writer=partner, muse=partner_muse)
        if n % 3 == 0:
            return  # new: the owner's muse opens
        services.post_create(thread=thread, writer=owner, muse=muse, body=f"Opening {n}.")
        if n % 3 == 1:
            services.post_create(
                thread=thread, writer=partner, muse=partner_muse, body=f"A reply {n}."
            )

    writer, muse = sign_up(WRITER)
    partners = [sign_up(f"partner{n}") for n in range(PARTNERS)]
    for n in range(threads):
        partner, partner_muse = partners[n % PARTNERS]
        pair(writer, muse, partner, partner_muse, n)
        # The partners write with each other as much: rows the queue's queries must skip.
        other, other_muse = partners[(n + 1) % PARTNERS]
        pair(partner, partner_muse, other, other_muse, threads + n)
    return {"built_seconds": round(time.monotonic() - started, 1)}


def child_measure(repeats: int, warmup: int) -> dict:
    _child_setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment

    from tandem.accounts.models import User
    from tandem.api.services import token_create

    setup_test_environment()
    writer = User.objects.get(username=WRITER)
    raw = token_create(user=writer, name=f"bench {time.time():.0f}", scope="read")[1]
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    samples: dict[str, list[float]] = {name: [] for name, _ in CASES}
    statuses: dict[str, set[int]] = {name: set() for name, _ in CASES}
    sizes: dict[str, int] = {}
    for i in range(warmup + repeats):
        for name, path in CASES:
            started = time.perf_counter()
            response = client.get(path)
            elapsed = (time.perf_counter() - started) * 1000
            statuses[name].add(response.status_code)
            sizes[name] = len(response.content)
            if i >= warmup:
                samples[name].append(elapsed)
    queue = client.get("/api/v1/queue").json()
    results = {}
    for name, _ in CASES:
        ordered = sorted(samples[name])
        results[name] = {
            "statuses": sorted(statuses[name]),
            "median_ms": round(statistics.median(ordered), 2),
            "p99_ms": round(statistics.quantiles(ordered, n=100, method="inclusive")[98], 2),
            "max_ms": round(ordered[-1], 2),
            "bytes": sizes[name],
        }
    if connection.vendor == "postgresql":
        version = f"{connection.pg_version // 10000}.{connection.pg_version % 10000}"
    else:
        version = connection.Database.sqlite_version
    floor, measured = results["floor (me)"], results["queue"]
    return {
        "engine": f"{connection.vendor} {version}",
        "queue_groups": {group: len(entries) for group, entries in queue.items()},
        "cases": results,
        "ratio_median": round(measured["median_ms"] / floor["median_ms"], 1),
        "ratio_p99": round(measured["p99_ms"] / floor["p99_ms"], 1),
    }


# ------------------------------------------------------------------ the parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--database-url", default="", help="PostgreSQL; default: SQLite in a temp dir"
    )
    parser.add_argument("--threads", type=int, default=200, help="the writer's threads")
    parser.add_argument("--repeats", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--json", default="", help="where to write the results")
    parser.add_argument("--child", choices=["build", "measure"], help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child == "build":
        print(json.dumps(child_build(args.threads)))
        return 0
    if args.child == "measure":
        print(json.dumps(child_measure(args.repeats, args.warmup)))
        return 0

    with tempfile.TemporaryDirectory(prefix="tandem-api-queue-") as data_dir:
        url = args.database_url or f"sqlite:///{Path(data_dir) / 'bench.sqlite3'}"
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "TANDEM_DATA_DIR": data_dir,
            # Every request counts against the token's limit: measured, never refused.
            "TANDEM_RATE_LIMIT_SCALE": "1000",
        }
        if url.startswith("postgres"):
            from discovery import create_postgres_database  # benchmarks/, beside this file

            create_postgres_database(url)
        python = sys.executable
        print(f"== {url}", flush=True)
        run([python, "-m", "tandem", "manage", "migrate", "-v0"], env)
        report = {
            "machine": {
                "cpus": os.cpu_count(),
                "platform": platform.platform(),
                "python": platform.python_version(),
                "load_average_at_start": os.getloadavg(),
            },
            "threads": args.threads,
            "repeats": args.repeats,
            "client": "django.test.Client, in-process",
        }
        built = last_json(
            run([python, __file__, "--child", "build", f"--threads={args.threads}"], env)
        )
        report.update(built)
        print(f"   built in {built['built_seconds']} s", flush=True)
        load_before = os.getloadavg()
        measured = run(
            [python, __file__, "--child", "measure", f"--repeats={args.repeats}",
             f"--warmup={args.warmup}"],
            env,
        )  # fmt: skip
        report.update(last_json(measured))
        report["load_average_while_measuring"] = [load_before, os.getloadavg()]
    print_table(report)
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2))
        print(f"\nWritten to {args.json}", flush=True)
    return 0


def print_table(report: dict) -> None:
    print(
        f"\n{report['engine']}, {report['threads']} threads "
        f"({', '.join(f'{k} {v}' for k, v in report['queue_groups'].items())}); "
        f"{report['repeats']} requests each, interleaved"
    )
    header = f"{'operation':16}{'median ms':>12}{'p99 ms':>12}{'max ms':>12}{'bytes':>10}"
    print(header)
    print("-" * len(header))
    for name, _ in CASES:
        case = report["cases"][name]
        bad = "" if case["statuses"] == [200] else f"  {case['statuses']}"
        print(
            f"{name:16}{case['median_ms']:>12.2f}{case['p99_ms']:>12.2f}"
            f"{case['max_ms']:>12.2f}{case['bytes']:>10}{bad}"
        )
    print(f"queue / floor: {report['ratio_median']}x median, {report['ratio_p99']}x p99")


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
