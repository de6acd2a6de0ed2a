"""Reading Tandem's configuration from the environment.

Kept apart from ``settings.py`` so the CLI can validate the environment (and print a
one-line error) before Django is set up.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url


class ConfigError(Exception):
    """The environment describes a configuration Tandem cannot run with."""


def data_dir() -> Path:
    path = Path(os.environ.get("TANDEM_DATA_DIR", "var")).expanduser().resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def env_flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_float(name: str, default: float) -> float:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        number = float(value)
    except ValueError:
        raise ConfigError(f"{name} must be a number, not {value!r}") from None
    if number <= 0:
        raise ConfigError(f"{name} must be greater than 0")
    return number


def env_int(name: str, default: int, minimum: int = 1) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        number = int(value)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, not {value!r}") from None
    if number < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, not {number}")
    return number


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def secret_key(directory: Path) -> str:
    """The SECRET_KEY from the environment, else one generated once and kept in the data dir."""
    from_env = os.environ.get("SECRET_KEY", "").strip()
    if from_env:
        return from_env
    key_file = directory / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    key = secrets.token_urlsafe(50)
    if not _create_private(key_file, key.encode()):
        return key_file.read_text().strip()
    return key


def _create_private(path: Path, content: bytes) -> bool:
    """Write a new owner-only (0600) file; False if another process made it first, whose
    file then stands (two workers starting at once must agree on one key)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    with os.fdopen(fd, "wb") as handle:
        handle.write(content)
    return True


def vapid_key_file(directory: Path) -> Path:
    """The Web Push (VAPID) private key: generated once into the data dir, like the secret key.

    Push services tie each subscription to the public half, so the key must outlive
    restarts; rotating it (docs/deployment.md) means every device subscribes again.
    """
    given = os.environ.get("TANDEM_VAPID_KEY_FILE", "").strip()
    if given:
        # Several app servers without a shared data dir: each is pointed at one copy.
        if not Path(given).is_file():
            raise ConfigError(f"TANDEM_VAPID_KEY_FILE names no file: {given}")
        return Path(given)
    key_file = directory / "vapid_private.pem"
    if key_file.exists():
        return key_file
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    _create_private(key_file, pem)
    return key_file


SUPPORTED_ENGINES = {
    "django.db.backends.sqlite3": "SQLite",
    "django.db.backends.postgresql": "PostgreSQL",
}


def database(directory: Path) -> dict:
    """Django's DATABASES['default'] from DATABASE_URL (default: SQLite in the data dir)."""
    url = os.environ.get("DATABASE_URL", "").strip()
    if not url:
        url = f"sqlite:///{directory / 'tandem.sqlite3'}"
    try:
        config = dj_database_url.parse(url, conn_max_age=0, conn_health_checks=True)
    except (ValueError, KeyError) as error:
        raise ConfigError(
            f"DATABASE_URL is not a database URL Tandem understands: {error}"
        ) from error
    engine = config.get("ENGINE", "")
    if engine not in SUPPORTED_ENGINES:
        raise ConfigError(
            f"DATABASE_URL uses an unsupported database ({engine or 'unknown'}); "
            "use sqlite:///PATH or postgres://USER@HOST:PORT/NAME"
        )
    if not config.get("NAME"):
        raise ConfigError("DATABASE_URL names no database")
    if engine == "django.db.backends.sqlite3":
        # IMMEDIATE transactions serialise writers up front, so two concurrent replies queue
        # instead of failing with "database is locked" half-way through.
        config["OPTIONS"] = {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
        if config["NAME"] != ":memory:":
            Path(config["NAME"]).parent.mkdir(parents=True, exist_ok=True)
            # Tests run against a file too: threads in one test need real locking.
            config["TEST"] = {"NAME": str(Path(config["NAME"]).with_suffix(".test.sqlite3"))}
    else:
        options = config.setdefault("OPTIONS", {})
        options["connect_timeout"] = 5
        if env_flag("TANDEM_DB_POOL", default=True):
            options["pool"] = postgres_pool()
    return config


def postgres_pool() -> dict:
    """Options for Django's psycopg connection pool (OPTIONS["pool"]), one pool per process.

    Without it every request opened a new PostgreSQL connection (~4 ms, plus a backend
    process forked on the server). CONN_MAX_AGE stays 0, as Django requires with a pool:
    "closing" a connection at the end of a request hands it back to the pool. No `check`
    here: Django already passes ConnectionPool.check_connection when CONN_HEALTH_CHECKS is on
    (it is, above), and naming it twice is a TypeError; that check is what replaces a
    connection killed by a PostgreSQL restart instead of handing it to a request.
    """
    max_size = env_int("TANDEM_DB_POOL_MAX", 10)
    return {
        # A couple kept warm for a quiet site; more are opened on demand, up to max_size.
        "min_size": min(2, max_size),
        # Bounded, because every process (each --workers server, each worker) has its own
        # pool and together they must stay under PostgreSQL's max_connections (100 default).
        "max_size": max_size,
        # A request that cannot get a connection in time fails with an error saying so
        # ("couldn't get a connection after 10.00 sec") instead of hanging until the proxy
        # gives up.
        "timeout": env_float("TANDEM_DB_POOL_TIMEOUT", 10.0),
        "name": "tandem",
    }
