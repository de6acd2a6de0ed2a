"""Reads from a streaming replica (tandem.core.replica, DATABASE_REPLICA_URL)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from django.core import signing
from django.db import OperationalError, connection, transaction
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory

from tandem import config
from tandem.core import replica
from tandem.core.replica import PRIMARY, REPLICA, ReplicaReadsMiddleware, ReplicaRouter

ROOT = Path(__file__).resolve().parents[2]
PRIMARY_URL = "postgres://tandem:secret@db.example.test:5432/tandem"
REPLICA_URL = "postgres://tandem:secret@replica.example.test:5433/tandem"
VARIABLES = (
    "DATABASE_URL",
    "DATABASE_REPLICA_URL",
    "TANDEM_DB_POOL",
    "TANDEM_DB_POOL_MAX",
    "TANDEM_DB_POOL_TIMEOUT",
    "TANDEM_REPLICA_STICKY_SECONDS",
)


@pytest.fixture
def environment(monkeypatch):
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


# Configuration.


def test_no_replica_url_means_no_replica(environment, tmp_path):
    environment.setenv("DATABASE_URL", PRIMARY_URL)
    assert config.database_replica(config.database(tmp_path)) is None


def test_replica_settings_mirror_the_primary_with_short_waits(environment, tmp_path):
    environment.setenv("DATABASE_URL", PRIMARY_URL)
    environment.setenv("DATABASE_REPLICA_URL", REPLICA_URL)
    environment.setenv("TANDEM_DB_POOL_MAX", "6")
    settings = config.database_replica(config.database(tmp_path))
    assert settings is not None
    assert (settings["HOST"], settings["PORT"], settings["NAME"]) == (
        "replica.example.test",
        5433,
        "tandem",
    )
    assert settings["OPTIONS"]["connect_timeout"] == 2
    assert settings["OPTIONS"]["pool"] == {
        "min_size": 2,
        "max_size": 6,
        "timeout": 2.0,
        "name": "tandem-replica",
    }
    assert (settings["CONN_MAX_AGE"], settings["CONN_HEALTH_CHECKS"]) == (0, True)
    assert settings["TEST"] == {"MIRROR": "default"}

    # A primary timeout already shorter than 2 s is kept; no pool for the primary, none here.
    environment.setenv("TANDEM_DB_POOL_TIMEOUT", "0.5")
    assert config.database_replica(config.database(tmp_path))["OPTIONS"]["pool"]["timeout"] == 0.5
    environment.setenv("TANDEM_DB_POOL", "0")
    assert "pool" not in config.database_replica(config.database(tmp_path))["OPTIONS"]


@pytest.mark.parametrize(
    ("primary", "replica_url", "message"),
    [
        (
            "",
            REPLICA_URL,
            "DATABASE_REPLICA_URL needs a PostgreSQL DATABASE_URL: SQLite has no replicas",
        ),
        (PRIMARY_URL, "sqlite:///tmp/x.sqlite3", "DATABASE_REPLICA_URL must be a PostgreSQL URL"),
        (PRIMARY_URL, "mysql://u@h/db", "DATABASE_REPLICA_URL must be a PostgreSQL URL"),
        (PRIMARY_URL, "postgres://u@h:5432/", "DATABASE_REPLICA_URL names no database"),
        (PRIMARY_URL, "nonsense", "DATABASE_REPLICA_URL is not a database URL"),
    ],
)
def test_bad_replica_settings_are_a_clear_config_error(
    environment, tmp_path, primary, replica_url, message
):
    if primary:
        environment.setenv("DATABASE_URL", primary)
    environment.setenv("DATABASE_REPLICA_URL", replica_url)
    with pytest.raises(config.ConfigError, match=message):
        config.database_replica(config.database(tmp_path))


def _settings_in_subprocess(tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    """settings.py imported afresh (it reads the environment once, at import)."""
    clean = {k: v for k, v in os.environ.items() if k not in VARIABLES}
    clean.update(env, TANDEM_DATA_DIR=str(tmp_path), DATABASE_URL=PRIMARY_URL)
    code = (
        "import json, tandem.settings as s; print(json.dumps([getattr(s, 'DATABASE_ROUTERS', []),"
        " sorted(s.DATABASES), s.MIDDLEWARE, getattr(s, 'TANDEM_REPLICA_STICKY_SECONDS', None)]))"
    )
    return subprocess.run(
        [sys.executable, "-c", code], env=clean, cwd=ROOT, capture_output=True, text=True
    )


def test_settings_install_the_router_only_with_a_replica(tmp_path):
    without = _settings_in_subprocess(tmp_path)
    routers, aliases, middleware, sticky = json.loads(without.stdout)
    assert (routers, aliases, sticky) == ([], ["default"], None)
    assert "tandem.core.replica.ReplicaReadsMiddleware" not in middleware

    result = _settings_in_subprocess(
        tmp_path, DATABASE_REPLICA_URL=REPLICA_URL, TANDEM_REPLICA_STICKY_SECONDS="4.5"
    )
    routers, aliases, middleware, sticky = json.loads(result.stdout)
    assert (routers, aliases, sticky) == (
        ["tandem.core.replica.ReplicaRouter"],
        ["default", "replica"],
        4.5,
    )
    position = middleware.index("tandem.core.replica.ReplicaReadsMiddleware")
    assert middleware[position + 1] == "django.contrib.sessions.middleware.SessionMiddleware"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("soon", "TANDEM_REPLICA_STICKY_SECONDS must be a number, not 'soon'"),
        ("0", "TANDEM_REPLICA_STICKY_SECONDS must be greater than 0"),
    ],
)
def test_bad_sticky_seconds_are_a_clear_error(tmp_path, value, message):
    result = _settings_in_subprocess(
        tmp_path, DATABASE_REPLICA_URL=REPLICA_URL, TANDEM_REPLICA_STICKY_SECONDS=value
    )
    assert result.returncode != 0
    assert f"tandem.config.ConfigError: {message}" in result.stderr


# Router decisions (no database needed: the router only looks at state).


@pytest.fixture
def replica_up(monkeypatch):
    monkeypatch.setattr(replica.health, "is_up", lambda: True)


@pytest.fixture
def router() -> ReplicaRouter:
    return ReplicaRouter()


def test_reads_outside_any_opt_in_go_to_the_primary(router, replica_up):
    """The worker, management commands and migrations never opt in."""
    assert router.db_for_read(object) == PRIMARY


def test_opted_in_reads_go_to_the_replica_until_something_is_written(router, replica_up):
    with replica.replica_reads() as state:
        assert router.db_for_read(object) == REPLICA
        assert state.used_replica
        assert router.db_for_write(object) == PRIMARY
        assert state.wrote
        # Read-your-writes within the request: whatever comes next may depend on the write.
        assert router.db_for_read(object) == PRIMARY
    assert router.db_for_read(object) == PRIMARY


def test_a_block_that_may_not_use_the_replica_still_records_writes(router, replica_up):
    with replica.replica_reads(allowed=False) as state:
        assert router.db_for_read(object) == PRIMARY
        router.db_for_write(object)
        assert state.wrote


def test_a_replica_found_down_is_not_chosen(router, monkeypatch):
    monkeypatch.setattr(replica.health, "is_up", lambda: False)
    with replica.replica_reads():
        assert router.db_for_read(object) == PRIMARY


@pytest.mark.django_db
def test_reads_inside_an_atomic_block_go_to_the_primary(router, replica_up):
    with replica.replica_reads(), transaction.atomic():
        assert connection.in_atomic_block
        assert router.db_for_read(object) == PRIMARY


def test_only_the_primary_is_migrated_and_relations_span_both(router):
    assert router.allow_migrate(PRIMARY, "threads") is True
    assert router.allow_migrate(REPLICA, "threads") is False

    class Obj:
        def __init__(self, db: str) -> None:
            self._state = type("State", (), {"db": db})()

    assert router.allow_relation(Obj(PRIMARY), Obj(REPLICA)) is True
    assert router.allow_relation(Obj(PRIMARY), Obj("elsewhere")) is None


def test_the_probe_calls_an_unreachable_replica_down():
    # No replica alias in this run: the probe fails like it would for a stopped server.
    health = replica.ReplicaHealth(alias="no-such-replica")
    assert health.probe() is False
    assert health.is_up() is False


# The middleware: which reads each request may send to the replica.


class Recorder:
    """A view that reads once (and writes when asked), recording where the router sent it."""

    def __init__(self, writes: bool = False) -> None:
        self.writes = writes
        self.reads: list[str] = []

    def __call__(self, request: HttpRequest) -> HttpResponse:
        router = ReplicaRouter()
        self.reads.append(router.db_for_read(object))
        if self.writes:
            router.db_for_write(object)
        return HttpResponse("ok")


@pytest.fixture
def sticky(settings):
    settings.TANDEM_REPLICA_STICKY_SECONDS = 10
    return settings


def _carry_cookies(request: HttpRequest, response: HttpResponse) -> HttpRequest:
    request.COOKIES.update({name: morsel.value for name, morsel in response.cookies.items()})
    return request


def test_safe_requests_read_the_replica_unsafe_ones_the_primary(replica_up, sticky):
    factory = RequestFactory()
    view = Recorder()
    middleware = ReplicaReadsMiddleware(view)
    for method in ("get", "head", "options"):
        middleware(getattr(factory, method)("/"))
    for method in ("post", "put", "patch", "delete"):
        middleware(getattr(factory, method)("/"))
    assert view.reads == [REPLICA] * 3 + [PRIMARY] * 4


def test_the_writer_reads_the_primary_for_a_while_after_writing(replica_up, sticky, monkeypatch):
    factory = RequestFactory()
    posted = ReplicaReadsMiddleware(Recorder(writes=True))(factory.post("/t/1/reply"))
    assert replica.STICKY_COOKIE in posted.cookies
    assert posted.cookies[replica.STICKY_COOKIE]["max-age"] == 10
    assert posted.cookies[replica.STICKY_COOKIE]["httponly"]

    reader = Recorder()
    middleware = ReplicaReadsMiddleware(reader)
    middleware(_carry_cookies(factory.get("/t/1/"), posted))  # the writer
    middleware(factory.get("/t/1/"))  # anyone else
    # The writer, once the marker is older than TANDEM_REPLICA_STICKY_SECONDS.
    later = time.time() + 11
    monkeypatch.setattr(signing.time, "time", lambda: later)
    middleware(_carry_cookies(factory.get("/t/1/"), posted))
    assert reader.reads == [PRIMARY, REPLICA, REPLICA]


def test_a_get_that_writes_marks_the_writer_too(replica_up, sticky):
    """Marking a thread read on view, a session saved on the way out: writes on a GET."""
    response = ReplicaReadsMiddleware(Recorder(writes=True))(RequestFactory().get("/"))
    assert replica.STICKY_COOKIE in response.cookies
    quiet = ReplicaReadsMiddleware(Recorder())(RequestFactory().get("/"))
    assert replica.STICKY_COOKIE not in quiet.cookies


def test_a_forged_marker_is_ignored(replica_up, sticky):
    reader = Recorder()
    request = RequestFactory().get("/")
    request.COOKIES[replica.STICKY_COOKIE] = "1"
    ReplicaReadsMiddleware(reader)(request)
    assert reader.reads == [REPLICA]


def test_api_clients_are_remembered_by_their_token(replica_up, sticky):
    """An API client keeps no cookies: its token's hash marks it in the shared cache."""
    factory = RequestFactory()
    token = {"HTTP_AUTHORIZATION": "Bearer tdm_alpha"}
    ReplicaReadsMiddleware(Recorder(writes=True))(factory.post("/api/v1/posts", **token))

    reader = Recorder()
    middleware = ReplicaReadsMiddleware(reader)
    middleware(factory.get("/api/v1/queue", **token))
    middleware(factory.get("/api/v1/queue", HTTP_AUTHORIZATION="Bearer tdm_other"))
    assert reader.reads == [PRIMARY, REPLICA]


def test_a_failed_replica_read_is_answered_from_the_primary(replica_up, sticky, monkeypatch):
    """The replica stopped since the last probe: the request is run again on the primary,
    and the replica is marked down for the requests after it."""
    from django.core.handlers.exception import convert_exception_to_response

    marked: list[bool] = []
    monkeypatch.setattr(replica.health, "mark_down", lambda: marked.append(True))
    monkeypatch.setattr(replica.health, "probe", lambda: False)  # it is gone
    reads: list[str] = []

    def view(request: HttpRequest) -> HttpResponse:
        alias = ReplicaRouter().db_for_read(object)
        reads.append(alias)
        if alias == REPLICA:
            raise OperationalError("connection refused")
        return HttpResponse("from the primary")

    # As in Django's chain: the exception becomes a response (handler500's 503) on its way.
    middleware = ReplicaReadsMiddleware(convert_exception_to_response(view))
    response = middleware(RequestFactory().get("/"))
    assert response.status_code == 200
    assert response.content == b"from the primary"
    assert reads == [REPLICA, PRIMARY]
    assert marked == [True]


def test_an_error_of_the_primarys_is_not_blamed_on_the_replica(replica_up, sticky, monkeypatch):
    """A request that read the replica fails on the primary (restarting, say): the replica
    still answers its probe, so it stays in use and the request is not run a second time
    (it would only wait for the primary's pool again); the answer is the 503."""
    from django.core.handlers.exception import convert_exception_to_response

    marked: list[bool] = []
    monkeypatch.setattr(replica.health, "mark_down", lambda: marked.append(True))
    monkeypatch.setattr(replica.health, "probe", lambda: True)
    calls: list[str] = []

    def view(request: HttpRequest) -> HttpResponse:
        calls.append(ReplicaRouter().db_for_read(object))
        raise OperationalError("the primary is restarting")

    middleware = ReplicaReadsMiddleware(convert_exception_to_response(view))
    response = middleware(RequestFactory().get("/"))
    assert response.status_code == 503
    assert calls == [REPLICA]
    assert marked == []


# A real streaming replica: two throwaway clusters of this run's own.


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _postgres_binaries() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if found:
        return found[-1].parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _as_postgres(*command: str | Path, **kwargs) -> subprocess.CompletedProcess:
    runner = [] if os.geteuid() != 0 else ["runuser", "-u", "postgres", "--"]
    return subprocess.run(
        [*runner, *map(str, command)], check=True, capture_output=True, text=True, **kwargs
    )


@pytest.fixture
def streaming_pair(db):
    """A fresh primary (initdb, which already lets 127.0.0.1 stream) holding a copy of this
    run's test database, and a replica made from it by deploy/cluster/replica.sh. The run's
    own server is left as it is: it allows no replication connections."""
    if connection.vendor != "postgresql":
        pytest.skip("needs DATABASE_URL=postgres://… (a streaming replica is PostgreSQL's)")
    binaries = _postgres_binaries()
    if binaries is None:
        pytest.skip("PostgreSQL server programs (initdb, pg_ctl) are not installed here")
    if os.geteuid() != 0 and os.environ.get("USER") != "postgres":
        pytest.skip("starting PostgreSQL clusters needs root (runuser) or the postgres user")

    # Not under pytest's own temporary directory, which only its owner may enter: the
    # clusters run as postgres.
    base = Path(tempfile.mkdtemp(prefix="tandem-replica-"))
    if os.geteuid() == 0:
        shutil.chown(base, "postgres")
    primary_dir, replica_dir = base / "primary", base / "replica"
    primary_port, replica_port = _free_port(), _free_port()
    _as_postgres(
        binaries / "initdb", "-D", primary_dir, "-U", "postgres", "-A", "trust", "--no-sync"
    )
    _as_postgres(
        binaries / "pg_ctl", "-D", primary_dir, "-l", primary_dir / "server.log", "-w",
        "-o", f"-p {primary_port} -c listen_addresses=127.0.0.1 "
        f"-c unix_socket_directories={primary_dir} -c fsync=off",
        "start",
    )  # fmt: skip
    try:
        # The run's test database (migrated), dumped by a client of its own.
        source = connection.settings_dict
        dump = subprocess.run(
            [binaries / "pg_dump", "-h", source["HOST"] or "127.0.0.1",
             "-p", str(source["PORT"] or 5432), "-U", source["USER"] or "postgres",
             "--no-owner", source["NAME"]],
            check=True, capture_output=True,
        )  # fmt: skip
        psql = [binaries / "psql", "-h", "127.0.0.1", "-p", str(primary_port), "-U", "postgres"]
        subprocess.run([*psql, "-qc", "CREATE DATABASE tandem"], check=True, capture_output=True)
        subprocess.run(
            [*psql, "-q", "-v", "ON_ERROR_STOP=1", "-d", "tandem"],
            input=dump.stdout,
            check=True,
            capture_output=True,
        )
        subprocess.run(
            [ROOT / "deploy/cluster/replica.sh", "create", str(primary_port), replica_dir,
             str(replica_port)],
            check=True, capture_output=True, text=True, env={**os.environ, "PG_BIN": str(binaries)},
        )  # fmt: skip
        yield {
            "primary": f"postgres://postgres@127.0.0.1:{primary_port}/tandem",
            "replica": f"postgres://postgres@127.0.0.1:{replica_port}/tandem",
            "replica_dir": replica_dir,
            "binaries": binaries,
        }
    finally:
        for data in (replica_dir, primary_dir):
            if (data / "postmaster.pid").exists():
                _as_postgres(binaries / "pg_ctl", "-D", data, "-m", "immediate", "-w", "stop")
        shutil.rmtree(base, ignore_errors=True)


def test_a_real_streaming_replica(streaming_pair, tmp_path):
    """deploy/cluster/replica_check.py against a real pair: safe reads reach the replica,
    the writer who just signed in reads the primary while replay is paused, and stopping the
    replica leaves every page answering."""
    env = {k: v for k, v in os.environ.items() if k not in VARIABLES}
    env.update(
        DATABASE_URL=streaming_pair["primary"],
        DATABASE_REPLICA_URL=streaming_pair["replica"],
        REPLICA_DIR=str(streaming_pair["replica_dir"]),
        PG_BIN=str(streaming_pair["binaries"]),
        TANDEM_DATA_DIR=str(tmp_path),
        TANDEM_REPLICA_STICKY_SECONDS="2",
        TANDEM_RATE_LIMIT_SCALE="100",
    )
    result = subprocess.run(
        [sys.executable, ROOT / "deploy/cluster/replica_check.py"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert result.returncode == 0, result.stderr[-1500:]
    found = json.loads(result.stdout.strip().splitlines()[-1])
    print(json.dumps(found, indent=1))  # shown when an assertion below fails

    assert found["probe_up"] and found["replica_in_recovery"] is True
    assert found["replicated"], "a write on the primary never reached the replica"
    assert found["anonymous_profile"]["status"] == 200
    assert REPLICA in found["anonymous_profile"]["aliases"]

    assert found["login"]["status"] == 302 and found["login"]["sticky_cookie"]
    assert found["session_on_replica"] is False, "replay was paused: the replica lags"
    assert found["writer_home_after_login"] == {
        "status": 200,
        "aliases": [PRIMARY],
        "signed_in": True,
    }
    assert REPLICA in found["other_reader_meanwhile"]["aliases"]
    assert found["writer_after_sticky_window"]["signed_in"]
    assert REPLICA in found["writer_after_sticky_window"]["aliases"]

    first, *rest = found["replica_stopped"]
    assert [page["status"] for page in found["replica_stopped"]] == [200, 200, 200]
    # The first may wait for the replica's pool (2 s) before its retry on the primary.
    assert first["seconds"] < 6
    for page in rest:
        assert page["aliases"] == [PRIMARY] and page["seconds"] < 1.5
    assert found["probe_after_stop"] is False
