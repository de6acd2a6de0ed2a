"""PostgreSQL through Django's psycopg connection pool (tandem.config.postgres_pool)."""

from __future__ import annotations

import time

import psycopg
import pytest
from django.db import connection
from django.db.backends.postgresql.base import DatabaseWrapper
from django.db.utils import ConnectionHandler
from psycopg_pool import ConnectionPool

from tandem import config

POSTGRES_URL = "postgres://tandem:secret@db.example.test:5432/tandem"
POOL_VARIABLES = ("TANDEM_DB_POOL", "TANDEM_DB_POOL_MAX", "TANDEM_DB_POOL_TIMEOUT")


@pytest.fixture
def environment(monkeypatch):
    """A clean slate: the run's own DATABASE_URL and pool variables must not leak in."""
    for name in ("DATABASE_URL", *POOL_VARIABLES):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_postgres_gets_a_small_bounded_pool(environment, tmp_path):
    environment.setenv("DATABASE_URL", POSTGRES_URL)
    settings = config.database(tmp_path)
    assert settings["OPTIONS"]["pool"] == {
        "min_size": 2,
        "max_size": 10,
        "timeout": 10.0,
        "name": "tandem",
    }
    # Django refuses a pool with persistent connections; the health checks are what make
    # Django hand the pool its check_connection.
    assert settings["CONN_MAX_AGE"] == 0
    assert settings["CONN_HEALTH_CHECKS"] is True
    assert settings["OPTIONS"]["connect_timeout"] == 5


def test_pool_size_and_wait_come_from_the_environment(environment, tmp_path):
    environment.setenv("DATABASE_URL", POSTGRES_URL)
    environment.setenv("TANDEM_DB_POOL_MAX", "25")
    environment.setenv("TANDEM_DB_POOL_TIMEOUT", "2.5")
    pool = config.database(tmp_path)["OPTIONS"]["pool"]
    assert (pool["min_size"], pool["max_size"], pool["timeout"]) == (2, 25, 2.5)

    # A pool of one must not ask for more idle connections than it may hold.
    environment.setenv("TANDEM_DB_POOL_MAX", "1")
    pool = config.database(tmp_path)["OPTIONS"]["pool"]
    assert (pool["min_size"], pool["max_size"]) == (1, 1)


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("TANDEM_DB_POOL_MAX", "ten", "TANDEM_DB_POOL_MAX must be a whole number, not 'ten'"),
        ("TANDEM_DB_POOL_MAX", "2.5", "TANDEM_DB_POOL_MAX must be a whole number, not '2.5'"),
        ("TANDEM_DB_POOL_MAX", "0", "TANDEM_DB_POOL_MAX must be at least 1, not 0"),
        ("TANDEM_DB_POOL_MAX", "-4", "TANDEM_DB_POOL_MAX must be at least 1, not -4"),
        ("TANDEM_DB_POOL_TIMEOUT", "soon", "TANDEM_DB_POOL_TIMEOUT must be a number, not 'soon'"),
        ("TANDEM_DB_POOL_TIMEOUT", "0", "TANDEM_DB_POOL_TIMEOUT must be greater than 0"),
    ],
)
def test_bad_pool_settings_are_a_clear_config_error(environment, tmp_path, name, value, message):
    environment.setenv("DATABASE_URL", POSTGRES_URL)
    environment.setenv(name, value)
    with pytest.raises(config.ConfigError) as error:
        config.database(tmp_path)
    assert str(error.value) == message


def test_pool_can_be_turned_off_for_pgbouncer(environment, tmp_path):
    """TANDEM_DB_POOL=0: a plain connection per request, still health-checked."""
    environment.setenv("DATABASE_URL", POSTGRES_URL)
    environment.setenv("TANDEM_DB_POOL", "0")
    # A bad size is not an error while the pool is off: it is never read.
    environment.setenv("TANDEM_DB_POOL_MAX", "lots")
    settings = config.database(tmp_path)
    assert "pool" not in settings["OPTIONS"]
    assert settings["OPTIONS"] == {"connect_timeout": 5}
    assert settings["CONN_MAX_AGE"] == 0
    assert settings["CONN_HEALTH_CHECKS"] is True


def test_sqlite_has_no_pool(environment, tmp_path):
    environment.setenv("TANDEM_DB_POOL_MAX", "25")
    settings = config.database(tmp_path)
    assert settings["ENGINE"] == "django.db.backends.sqlite3"
    assert "pool" not in settings["OPTIONS"]


def test_django_builds_a_health_checked_pool_from_these_settings(environment, tmp_path):
    """The options are accepted as Django passes them to psycopg_pool (no server needed:
    Django creates the pool unopened). Naming `check` in the options as well would be a
    TypeError here."""
    environment.setenv("DATABASE_URL", POSTGRES_URL)
    environment.setenv("TANDEM_DB_POOL_MAX", "7")
    # ConnectionHandler fills in the defaults settings.py would get; the wrapper has an alias
    # of its own, since Django keeps one pool per alias and the run's must stay as it is.
    settings = ConnectionHandler({"default": config.database(tmp_path)}).settings["default"]
    wrapper = DatabaseWrapper(settings, alias="pool_settings_probe")
    try:
        pool = wrapper.pool
        assert isinstance(pool, ConnectionPool)
        assert (pool.min_size, pool.max_size, pool.timeout) == (2, 7, 10.0)
        assert pool._check == ConnectionPool.check_connection
    finally:
        wrapper.close_pool()


# Against the real server: only when the run itself is on PostgreSQL.


@pytest.fixture
def pooled_postgres(transactional_db):
    """The run's PostgreSQL database, outside a test transaction: closing the connection
    must really hand it back to the pool, which it cannot inside an atomic block."""
    if connection.vendor != "postgresql":
        pytest.skip("needs DATABASE_URL=postgres://…")
    assert connection.pool is not None, "the run's PostgreSQL settings have no pool"
    connection.close()
    connection.pool.open()
    connection.pool.wait(timeout=10)  # min_size connections ready, so none is opened below


def _request_backend(client) -> int:
    """The PostgreSQL backend (server process id) that served one request to /healthz."""
    backends: list[int] = []

    def record(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        backends.append(context["connection"].connection.info.backend_pid)
        return result

    with connection.execute_wrapper(record):
        response = client.get("/healthz")
    assert response.status_code == 200, response.content
    assert backends
    # The test client keeps the connection open from one request to the next (it unhooks
    # close_old_connections); closing it is what the end of a real request does.
    connection.close()
    return backends[0]


def _admin_connection() -> psycopg.Connection:
    """A connection of the test's own, beside the pool, as another client of the server."""
    return psycopg.connect(**connection.get_connection_params(), autocommit=True)


def test_requests_reuse_pooled_backends(pooled_postgres, client):
    before = connection.pool.get_stats()
    backends = [_request_backend(client) for _ in range(6)]
    # Six requests, served by the pool's idle connections: no new backend for any of them.
    assert connection.pool.get_stats().get("connections_num", 0) == before.get("connections_num", 0)
    assert len(set(backends)) <= before["pool_size"] < len(backends)
    with _admin_connection() as admin:
        alive = admin.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(%s) AND datname = %s",
            [list(set(backends)), connection.settings_dict["NAME"]],
        ).fetchone()[0]
    assert alive == len(set(backends)), "the pooled backends stay connected between requests"

    # The contrast that makes the check above mean something: without the pool every
    # request is a new backend.
    connection.close_pool()
    options = connection.settings_dict["OPTIONS"]
    pool_options = options.pop("pool")
    try:
        unpooled = [_request_backend(client) for _ in range(3)]
    finally:
        connection.close()
        options["pool"] = pool_options
    assert len(set(unpooled)) == 3


def test_a_backend_killed_by_the_server_is_replaced_not_handed_out(pooled_postgres, client):
    """What a PostgreSQL restart or an idle-connection reaper does to the pool's connections:
    the next requests still succeed, on new backends."""
    killed = {_request_backend(client) for _ in range(4)}
    with _admin_connection() as admin:
        for pid in killed:
            admin.execute("SELECT pg_terminate_backend(%s)", [pid])
        deadline = time.monotonic() + 10
        while admin.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(%s)", [list(killed)]
        ).fetchone()[0]:
            assert time.monotonic() < deadline, "the server did not end the backends"
            time.sleep(0.05)

    after = {_request_backend(client) for _ in range(4)}
    assert not after & killed
