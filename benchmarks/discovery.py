"""Discovery at scale: search, the directory and a tag page over generated worlds.

Run with ``python benchmarks/discovery.py [--database-url URL] [--sizes 10000,100000]``.
For each size (a number of public threads) it uses its own database, derived from
``--database-url`` (default: ``$DATABASE_URL``, else SQLite in ``--data-dir``):
``postgres://…/world_bench`` becomes ``world_bench_10k`` and ``world_bench_100k`` (created if
missing), a SQLite file ``x.sqlite3`` becomes ``x-10k.sqlite3``. An empty database is migrated
and filled with ``tandem manage generate_world`` (public threads / 0.8 threads, eight posts a
thread by default, ``--posts-per-thread``: 100,000 public threads is 125,000 threads and
1,000,000 posts), and on PostgreSQL then put in date order and vacuumed, as a site written
to for months would be (``settle_postgres``); a filled one is reused.

It then measures, in a child process, each page with Django's test ``Client`` in-process
(the view, its queries and the template; no HTTP server or network, which add a constant
couple of milliseconds): a warm-up of two requests, then ``--repeats`` timed ones, as an
anonymous reader unless the case says "signed in". It prints a table of the median and p95
per size, and writes everything (with the machine's load) as JSON to ``--json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time
from functools import partial
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
POSTS_PER_THREAD = 8
PUBLIC_SHARE = 0.8  # generate_world makes about 80% of threads public

CASES = [
    ("search: rare word", "/search/", {"q": "glimmerwick"}, False),
    ("search: rare word, signed in", "/search/", {"q": "glimmerwick"}, True),
    ("search: common phrase", "/search/", {"q": '"old lighthouse"'}, False),
    ("search: word + rating filter", "/search/", {"q": "lantern", "rating": "teen"}, False),
    ("search: word + tag filter", "/search/", {"q": "lantern", "tag": "slow burn"}, False),
    ("directory page 1", "/t/public/", {}, False),
    ("directory deep page (250)", "/t/public/", {"page": "250"}, False),
    ("tag page: freeform/slow burn", "tag-detail:freeform:slow burn", {}, False),
    ("tag page: slow burn, page 100", "tag-detail:freeform:slow burn", {"page": "100"}, False),
]


def label(size: int) -> str:
    return f"{size // 1000}k" if size % 1000 == 0 else str(size)


def database_for(base: str, size: int) -> str:
    parts = urlsplit(base)
    if parts.scheme.startswith("postgres"):
        return urlunsplit(parts._replace(path=f"{parts.path.rstrip('/')}_{label(size)}"))
    path = Path(base.removeprefix("sqlite:///"))
    return f"sqlite:///{path.with_name(f'{path.stem}-{label(size)}{path.suffix}')}"


def create_postgres_database(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def settle_postgres(url: str) -> float:
    """Give a freshly generated PostgreSQL world the layout a site written to for months has.

    The generator writes thread by thread, so the newest posts lie scattered over the whole
    table; on a live site they were appended as they were written and sit together at its
    end, which the newest-first index scans of search rely on (a filtered search read 3x the
    pages before). CLUSTER puts the rows in that order once; VACUUM sets the visibility
    map and statistics that autovacuum would have set by the time anyone searched.
    """
    import psycopg

    started = time.monotonic()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CLUSTER threads_post USING threads_post_newest_idx")
        conn.execute("VACUUM ANALYZE")
    return round(time.monotonic() - started, 1)


def run(args: list[str], env: dict, *, echo: bool = False) -> str:
    process = subprocess.Popen(
        args, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    lines = []
    for line in process.stdout:
        lines.append(line)
        if echo:
            print("   ", line.rstrip(), flush=True)
    if process.wait():
        sys.exit(f"failed: {' '.join(args)}\n{''.join(lines[-30:])}")
    return "".join(lines)


# ------------------------------------------------------------------ in the child process


def _timed(spent: list, execute, sql, params, many, context):
    started = time.perf_counter()
    try:
        return execute(sql, params, many, context)
    finally:
        spent[0] += time.perf_counter() - started
        spent[1] += 1


def _child_setup():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tandem.settings")
    import django

    django.setup()
    # Start up as a server process does (tandem.asgi, which also freezes the start-up heap
    # out of the garbage collector's way), so the figures are the server's.
    import tandem.asgi  # noqa: F401


def child_probe() -> dict:
    _child_setup()
    from tandem.threads.models import Post, Thread

    return {
        "posts": Post.objects.count(),
        "threads": Thread.objects.count(),
        "public_threads": Thread.objects.filter(visibility="public").count(),
    }


def child_measure(repeats: int) -> dict:
    _child_setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment
    from django.urls import NoReverseMatch, reverse

    from tandem.threads.models import Thread

    setup_test_environment()
    signed_in = Client()
    # A writer with threads of all kinds: the search's "or my threads" clause has work to do.
    owner = Thread.objects.order_by("pk").values_list("owner", flat=True).first()
    signed_in.force_login(type(Thread.objects.first().owner).objects.get(pk=owner))
    results, address = {}, 0
    for name, path, params, logged_in in CASES:
        if path.startswith("tag-detail:"):
            _, category, tag = path.split(":")
            try:
                path = reverse("tag-detail", args=[category, tag])
            except NoReverseMatch:
                results[name] = {"skipped": "no tag page route"}
                continue
        client = signed_in if logged_in else Client()
        url = f"{path}?{urlencode(params)}" if params else path
        samples, in_database, cpu, queries, statuses = [], [], [], [], set()
        for i in range(repeats + 2):
            address += 1  # a new address each time: the search limit counts per address
            spent = [0.0, 0]
            started, started_cpu = time.perf_counter(), time.process_time()
            with connection.execute_wrapper(partial(_timed, spent)):
                response = client.get(
                    url,
                    REMOTE_ADDR=f"10.{address // 65536 % 256}.{address // 256 % 256}.{address % 256}",
                )
            elapsed = (time.perf_counter() - started) * 1000
            used = (time.process_time() - started_cpu) * 1000
            statuses.add(response.status_code)
            if i >= 2:
                samples.append(elapsed)
                in_database.append(spent[0] * 1000)
                queries.append(spent[1])
                cpu.append(used)
        samples.sort()
        results[name] = {
            "url": url,
            "statuses": sorted(statuses),
            "median_ms": round(statistics.median(samples), 1),
            "p95_ms": round(statistics.quantiles(samples, n=20, method="inclusive")[18], 1),
            "max_ms": round(samples[-1], 1),
            # Of which in the database (the rest is Python: the view and its template).
            "median_db_ms": round(statistics.median(in_database), 1),
            "queries": max(queries),
            # CPU time of this process: on a shared machine, what the request itself cost
            # (on SQLite the database's work included; PostgreSQL's is in its own process).
            "median_cpu_ms": round(statistics.median(cpu), 1),
        }
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW server_version")
        else:
            cursor.execute("SELECT sqlite_version()")
        version = cursor.fetchone()[0]
    return {"engine": f"{connection.vendor} {version}", "cases": results}


# ------------------------------------------------------------------ the parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", ""))
    parser.add_argument("--data-dir", default=str(ROOT / "var" / "discovery"))
    parser.add_argument("--sizes", default="10000,100000", help="public threads, comma-separated")
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--posts-per-thread", type=int, default=POSTS_PER_THREAD)
    parser.add_argument("--json", default="", help="where to write the results")
    parser.add_argument("--child", choices=["probe", "measure"], help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child == "probe":
        print(json.dumps(child_probe()))
        return 0
    if args.child == "measure":
        print(json.dumps(child_measure(args.repeats)))
        return 0

    data_dir = Path(args.data_dir).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    base = args.database_url or f"sqlite:///{data_dir / 'discovery.sqlite3'}"
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    report = {
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "load_average_at_start": os.getloadavg(),
        },
        "repeats": args.repeats,
        "sizes": {},
    }
    for size in sizes:
        url = database_for(base, size)
        env = {**os.environ, "DATABASE_URL": url, "TANDEM_DATA_DIR": str(data_dir)}
        print(f"== {size:,} public threads: {url}", flush=True)
        if url.startswith("postgres"):
            create_postgres_database(url)
        python = sys.executable
        run([python, "-m", "tandem", "manage", "migrate", "-v0"], env)
        probe = json.loads(
            run([python, __file__, "--child", "probe"], env).strip().splitlines()[-1]
        )
        entry: dict = {"database": url, "generated": None}
        if probe["posts"] == 0:
            threads = round(size / PUBLIC_SHARE)
            command = [
                python, "-m", "tandem", "manage", "generate_world",
                f"--writers={max(1, threads // 6)}", f"--threads={threads}",
                f"--posts={threads * args.posts_per_thread}", f"--seed={args.seed}",
            ]  # fmt: skip
            load_before = os.getloadavg()
            started = time.monotonic()
            output = run(command, env, echo=True)
            rate = re.search(r"([\d,]+) posts/s\.", output)
            entry["generated"] = {
                "seconds": round(time.monotonic() - started, 1),
                "posts_per_second": int(rate.group(1).replace(",", "")) if rate else None,
                "summary": next((x for x in output.splitlines() if x.startswith("Generated")), ""),
                "load_average_before": load_before,
                "load_average_after": os.getloadavg(),
            }
            if url.startswith("postgres"):
                entry["generated"]["settle_seconds"] = settle_postgres(url)
            probe = json.loads(
                run([python, __file__, "--child", "probe"], env).strip().splitlines()[-1]
            )
        entry.update(probe)
        print(
            f"   {probe['posts']:,} posts, {probe['public_threads']:,} public threads", flush=True
        )
        load_before = os.getloadavg()
        measured = run([python, __file__, "--child", "measure", f"--repeats={args.repeats}"], env)
        entry.update(json.loads(measured.strip().splitlines()[-1]))
        entry["load_average_while_measuring"] = [load_before, os.getloadavg()]
        report["sizes"][label(size)] = entry
        # After every size: a long run stopped half-way keeps what it measured.
        print_table(report)
        target = Path(args.json) if args.json else data_dir / "discovery.json"
        target.write_text(json.dumps(report, indent=2))
        print(f"\nWritten to {target}", flush=True)
    return 0


def print_table(report: dict) -> None:
    labels = list(report["sizes"])
    engine = next(iter(report["sizes"].values()), {}).get("engine", "?")
    print(
        f"\n{engine}: median / p95 in ms (median in the database; median CPU of the process), "
        f"{report['repeats']} requests each"
    )
    header = f"{'case':34}" + "".join(f"{lab:>32}" for lab in labels)
    print(header)
    print("-" * len(header))
    for name, *_ in CASES:
        cells = []
        for lab in labels:
            case = report["sizes"][lab]["cases"].get(name, {})
            if "median_ms" in case:
                bad = "" if case["statuses"] == [200] else f" {case['statuses']}"
                db = (
                    f" ({case['median_db_ms']:.0f}; {case['median_cpu_ms']:.0f})"
                    if "median_cpu_ms" in case
                    else ""
                )
                cells.append(f"{case['median_ms']:.1f} / {case['p95_ms']:.1f}{db}{bad}")
            else:
                cells.append(case.get("skipped", "-"))
        print(f"{name:34}" + "".join(f"{c:>32}" for c in cells))


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
