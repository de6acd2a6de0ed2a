"""Check Tandem's read-replica routing against a real primary and streaming replica.

    DATABASE_URL=postgres://…primary… DATABASE_REPLICA_URL=postgres://…replica… \
    REPLICA_DIR=/path/to/replica/data python deploy/cluster/replica_check.py

Both databases must hold Tandem's schema (migrate the primary; the replica follows). It signs
up a throwaway writer ("replicacheck…"), so point it at a staging pair, not a live site. It
pauses and resumes WAL replay on the replica, and finally stops the replica with
deploy/cluster/replica.sh (REPLICA_DIR): start it again afterwards. Prints one JSON object
of findings; tests/core/test_replica.py runs it against a pair of throwaway clusters.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tandem.settings")
os.environ.setdefault("TANDEM_ALLOWED_HOSTS", "testserver")

import django  # noqa: E402

django.setup()

import psycopg  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.sessions.models import Session  # noqa: E402
from django.db import connections  # noqa: E402
from django.test import Client  # noqa: E402

from tandem.accounts.models import User  # noqa: E402
from tandem.accounts.services import writer_sign_up  # noqa: E402
from tandem.core import replica  # noqa: E402

PASSWORD = "replica-check-" + secrets.token_hex(8)


def browser() -> Client:
    # As a real server would: the response stands even when an exception was logged on the
    # way (the test client re-raises those by default, a retry's answer notwithstanding).
    return Client(raise_request_exception=False)


@contextmanager
def aliases_used() -> Iterator[set[str]]:
    """The database aliases that ran any query inside."""
    used: set[str] = set()

    def recorder(alias: str) -> Callable:
        def record(execute, sql, params, many, context):
            used.add(alias)
            return execute(sql, params, many, context)

        return record

    with ExitStack() as stack:
        for alias in (replica.PRIMARY, replica.REPLICA):
            stack.enter_context(connections[alias].execute_wrapper(recorder(alias)))
        yield used


def request(client: Client, path: str) -> dict:
    with aliases_used() as used:
        started = time.monotonic()
        response = client.get(path)
        seconds = time.monotonic() - started
    return {
        "status": response.status_code,
        "seconds": round(seconds, 3),
        "aliases": sorted(used),
        "content": response.content.decode(errors="replace"),
    }


def replica_sql(sql: str) -> object:
    params = connections[replica.REPLICA].get_connection_params()
    params.pop("cursor_factory", None)
    with psycopg.connect(**params, autocommit=True) as direct:
        return direct.execute(sql).fetchone()[0]


def main() -> dict:
    found: dict[str, object] = {"router": settings.DATABASE_ROUTERS}
    found["probe_up"] = replica.health.probe()
    found["replica_in_recovery"] = replica_sql("SELECT pg_is_in_recovery()")

    username = "replicacheck" + secrets.token_hex(3)
    writer_sign_up(username=username, email=f"{username}@example.test", password=PASSWORD)
    started = time.monotonic()
    while not User.objects.using(replica.REPLICA).filter(username=username).exists():
        if time.monotonic() - started > 10:
            break
        time.sleep(0.02)
    found["replicated"] = User.objects.using(replica.REPLICA).filter(username=username).exists()
    found["replication_seconds"] = round(time.monotonic() - started, 3)

    # An anonymous reader's page is read from the replica.
    profile = request(browser(), f"/writers/{username}/")
    found["anonymous_profile"] = {k: v for k, v in profile.items() if k != "content"}

    # Replay paused: the replica stops at this point, so a session made from here on is not
    # on it. The writer who signs in must still be signed in on the next page.
    replica_sql("SELECT pg_wal_replay_pause()")
    try:
        writer = browser()
        with aliases_used() as used:
            login = writer.post("/accounts/login/", {"username": username, "password": PASSWORD})
        found["login"] = {
            "status": login.status_code,
            "aliases": sorted(used),
            "sticky_cookie": replica.STICKY_COOKIE in login.cookies,
        }
        session_key = writer.cookies[settings.SESSION_COOKIE_NAME].value
        found["session_on_replica"] = (
            Session.objects.using(replica.REPLICA).filter(session_key=session_key).exists()
        )
        home = request(writer, "/")
        found["writer_home_after_login"] = {
            "status": home["status"],
            "aliases": home["aliases"],
            "signed_in": username in home["content"],
        }
        other = request(browser(), f"/writers/{username}/")
        found["other_reader_meanwhile"] = {k: v for k, v in other.items() if k != "content"}
    finally:
        replica_sql("SELECT pg_wal_replay_resume()")

    # Once the marker has expired (the replica has long caught up) the writer's reads go
    # back to the replica, still signed in.
    time.sleep(settings.TANDEM_REPLICA_STICKY_SECONDS + 0.5)
    later = request(writer, "/")
    found["writer_after_sticky_window"] = {
        "status": later["status"],
        "aliases": later["aliases"],
        "signed_in": username in later["content"],
    }

    # The replica stops: pages keep answering, from the primary.
    subprocess.run(
        [str(HERE / "replica.sh"), "stop", os.environ["REPLICA_DIR"]],
        check=True,
        capture_output=True,
    )
    stopped = []
    for _ in range(3):
        page = request(browser(), f"/writers/{username}/")
        stopped.append({k: v for k, v in page.items() if k != "content"})
    found["replica_stopped"] = stopped
    found["probe_after_stop"] = replica.health.probe()
    return found


if __name__ == "__main__":
    print(json.dumps(main()))
