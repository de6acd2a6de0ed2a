"""Where each page of the benchmark suite spends its time, in-process.

Run after ``benchmarks/run.py`` has built its PostgreSQL database (it keeps it)::

    python benchmarks/profile_pages.py [--database-url postgres://postgres@127.0.0.1:5432/bench_suite]
                                       [--rounds 30]

For each page of the suite (the same data and addresses: ``run.child_prepare``), it sends
``--rounds`` requests through Django's test ``Client`` in this process (no HTTP server) and
splits each request's CPU time into:

* **SQL**: time inside the database driver's ``execute`` (Django's cursor wrapper), with the
  number of queries;
* **templates**: time inside ``Template.render`` of the page's outermost template, less the
  SQL run while rendering (lazy querysets and template tags query during rendering);
* **the rest**: middleware, the view's Python, forms, serialising JSON.

It prints one line per page with the medians (wall time; run it on a quiet machine). SQL
is the time a query spends in the driver, on a loopback PostgreSQL mostly the server's.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/bench_suite")
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("TANDEM_RATE_LIMIT_SCALE", "1000")

    import run  # the suite's data and addresses

    prepared = run.child_prepare()
    from django.conf import settings
    from django.db import connection
    from django.template import base as template_base
    from django.test import Client

    from tandem.accounts.models import User

    settings.ALLOWED_HOSTS = ["testserver"]
    anonymous = Client()
    writer = Client()
    writer.force_login(User.objects.get(username=run.WRITERS[0]))
    queue_writer = Client()
    queue_writer.force_login(User.objects.get(username=run.QUEUE_WRITER))
    api = Client(HTTP_AUTHORIZATION=f"Bearer {prepared['token']}")
    cases = [
        ("floor: /healthz", anonymous, "/healthz"),
        ("thread, anonymous", anonymous, prepared["thread_url"]),
        ("thread, signed in", writer, prepared["thread_url"]),
        ("home queue, 50 threads", queue_writer, "/"),
        ("directory page 1", anonymous, "/t/public/"),
        ("tag page", anonymous, prepared["tag_url"]),
        ("search, one word", anonymous, f"/search/?q={run.SEARCH_WORD}"),
        ("API queue", api, "/api/v1/queue"),
    ]

    sql = {"seconds": 0.0, "count": 0}

    def timed_execute(execute, statement, params, many, context):
        started = time.perf_counter()
        try:
            return execute(statement, params, many, context)
        finally:
            sql["seconds"] += time.perf_counter() - started
            sql["count"] += 1

    rendering = {"seconds": 0.0, "sql": 0.0, "depth": 0}
    original_render = template_base.Template.render

    def timed_render(self, context):
        # Only the outermost render counts: includes render inside it.
        rendering["depth"] += 1
        outer = rendering["depth"] == 1
        started, sql_before = time.perf_counter(), sql["seconds"]
        try:
            return original_render(self, context)
        finally:
            rendering["depth"] -= 1
            if outer:
                rendering["seconds"] += time.perf_counter() - started
                rendering["sql"] += sql["seconds"] - sql_before

    template_base.Template.render = timed_render
    print(f"{prepared['engine']}, {args.rounds} requests per page, medians in ms")
    print(f"{'page':<24} {'total':>7} {'SQL':>7} {'queries':>8} {'templates':>10} {'rest':>7}")
    with connection.execute_wrapper(timed_execute):
        for name, client, path in cases:
            for _ in range(3):  # warm-up: templates compiled, connections open
                client.get(path)
            totals, sqls, counts, renders = [], [], [], []
            for _ in range(args.rounds):
                sql.update(seconds=0.0, count=0)
                rendering.update(seconds=0.0, sql=0.0)
                started = time.perf_counter()
                response = client.get(path)
                totals.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200, (name, response.status_code)
                sqls.append(sql["seconds"] * 1000)
                counts.append(sql["count"])
                renders.append((rendering["seconds"] - rendering["sql"]) * 1000)
            total, in_sql = statistics.median(totals), statistics.median(sqls)
            in_templates = statistics.median(renders)
            rest = max(total - in_sql - in_templates, 0.0)
            print(
                f"{name:<24} {total:7.1f} {in_sql:7.1f} {statistics.median(counts):8.0f} "
                f"{in_templates:10.1f} {rest:7.1f}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
