"""Reading Tandem's configuration from the environment.

Kept apart from ``settings.py`` so the CLI can validate the environment (and print a
one-line error) before Django is set up.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from urllib.parse import urlsplit

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


def storages(directory: Path) -> dict:
    """Django's STORAGES: where uploaded pictures and finished exports are kept.

    By default both are folders in the data dir, as they always were. With TANDEM_S3_BUCKET
    they go to an S3-compatible bucket (AWS S3, MinIO, Garage…) under ``media/`` and
    ``exports/``, so app servers and workers on different machines need no shared disk.
    Credentials are found the usual AWS way (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or
    an instance role) by django-storages and boto3 themselves, so they never sit in settings.
    """
    static = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
    bucket = os.environ.get("TANDEM_S3_BUCKET", "").strip()
    if not bucket:
        files = "django.core.files.storage.FileSystemStorage"
        return {
            # No options: MEDIA_ROOT and MEDIA_URL decide, exactly as before STORAGES was set.
            "default": {"BACKEND": files},
            # The folder exports were always written to, so files made before still download.
            "exports": {"BACKEND": files, "OPTIONS": {"location": str(directory / "exports")}},
            "staticfiles": static,
        }
    endpoint = os.environ.get("TANDEM_S3_ENDPOINT_URL", "").strip()
    parts = urlsplit(endpoint)
    if endpoint and not (parts.scheme in ("http", "https") and parts.netloc):
        raise ConfigError(f"TANDEM_S3_ENDPOINT_URL must be an http(s):// address, not {endpoint!r}")
    expire = env_int("TANDEM_S3_URL_EXPIRE", 6 * 3600, minimum=60)
    if expire > 7 * 24 * 3600:
        # Signature version 4 refuses to sign for longer than a week.
        raise ConfigError("TANDEM_S3_URL_EXPIRE may be at most 604800 seconds (7 days)")
    common = {
        "bucket_name": bucket,
        "endpoint_url": endpoint or None,
        "region_name": os.environ.get("TANDEM_S3_REGION", "").strip() or None,
        # Version 4 signatures: every AWS region and S3-compatible server takes them, while
        # botocore would otherwise sign addresses with version 2, which newer regions refuse.
        "signature_version": "s3v4",
        # No ACL on the objects: they are exactly as private as the bucket, which is private.
        "default_acl": None,
        # A name already taken gets a new one rather than replacing someone else's file.
        "file_overwrite": False,
        # A file read back (a backup's pictures, a download) spills to a temporary file past
        # 2 MB instead of being held in memory whole, which is what 0 (the default) means.
        "max_memory_size": 2 * 1024 * 1024,
        # Pictures reach browsers by signed addresses that stop working after `expire`
        # seconds (docs/decisions.md, "Media and exports on object storage").
        "querystring_auth": True,
        "querystring_expire": expire,
    }
    media = {
        **common,
        "location": "media",
        # Browsers keep a picture as long as its address works (tandem.core.storage reuses
        # one address for a while); "private" keeps shared caches out of it.
        "object_parameters": {"CacheControl": f"private, max-age={expire}"},
    }
    return {
        "default": {"BACKEND": "tandem.core.storage.SignedMediaStorage", "OPTIONS": media},
        "exports": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {**common, "location": "exports"},
        },
        "staticfiles": static,
    }


def media_origins(storages: dict) -> list[str]:
    """The origins pictures are fetched from besides the site itself, for the CSP's img-src.

    Empty for the data dir. For a bucket, botocore is asked how it will address it (signing
    one address offline, with a stand-in key): AWS puts the bucket in the host name, most
    other servers put it in the path, and a rule written out here would drift from botocore's.
    """
    media = storages["default"]
    if "bucket_name" not in media.get("OPTIONS", {}):
        return []
    import boto3
    from botocore.config import Config

    options = media["OPTIONS"]
    client = boto3.session.Session(aws_access_key_id="-", aws_secret_access_key="-").client(
        "s3",
        endpoint_url=options["endpoint_url"],
        region_name=options["region_name"],
        config=Config(signature_version=options["signature_version"]),
    )
    address = client.generate_presigned_url(
        "get_object", Params={"Bucket": options["bucket_name"], "Key": "x"}, ExpiresIn=60
    )
    parts = urlsplit(address)
    return [f"{parts.scheme}://{parts.netloc}"]


SUPPORTED_ENGINES = {
    "django.db.backends.sqlite3": "SQLite",
    "django.db.backends.postgresql": "PostgreSQL",
}


def _parse_database_url(variable: str, url: str) -> dict:
    try:
        return dj_database_url.parse(url, conn_max_age=0, conn_health_checks=True)
    except (ValueError, KeyError) as error:
        raise ConfigError(
            f"{variable} is not a database URL Tandem understands: {error}"
        ) from error


def database(directory: Path) -> dict:
    """Django's DATABASES['default'] from DATABASE_URL (default: SQLite in the data dir)."""
    url = os.environ.get("DATABASE_URL", "").strip()
    if not url:
        url = f"sqlite:///{directory / 'tandem.sqlite3'}"
    config = _parse_database_url("DATABASE_URL", url)
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


def database_replica(primary: dict) -> dict | None:
    """Django's DATABASES['replica'] from DATABASE_REPLICA_URL, or None when it is unset.

    A PostgreSQL streaming replica (a hot standby) that safe reads may go to; which reads do is
    tandem.core.replica's to decide. Built like the primary's settings, with shorter waits: a
    replica that is down must cost a request a moment, not the primary's 10 s, because every
    read it would have served can go to the primary instead.
    """
    url = os.environ.get("DATABASE_REPLICA_URL", "").strip()
    if not url:
        return None
    if primary.get("ENGINE") != "django.db.backends.postgresql":
        raise ConfigError(
            "DATABASE_REPLICA_URL needs a PostgreSQL DATABASE_URL: SQLite has no replicas "
            "(unset DATABASE_REPLICA_URL, or set DATABASE_URL to postgres://…)"
        )
    config = _parse_database_url("DATABASE_REPLICA_URL", url)
    if config.get("ENGINE") != "django.db.backends.postgresql":
        raise ConfigError(
            "DATABASE_REPLICA_URL must be a PostgreSQL URL (postgres://USER@HOST:PORT/NAME)"
        )
    if not config.get("NAME"):
        raise ConfigError("DATABASE_REPLICA_URL names no database")
    options = config.setdefault("OPTIONS", {})
    # libpq's smallest connect_timeout: a replica host that does not answer at all.
    options["connect_timeout"] = 2
    if "pool" in primary.get("OPTIONS", {}):
        # Its own pool (Django keeps one per alias; the name tells them apart in psycopg's
        # logs). A pool whose server is down makes a request wait for `timeout` before it
        # fails, so the replica's is capped: the router stops choosing a replica it has
        # found down, and the retry on the primary (ReplicaReadsMiddleware) covers the rest.
        pool = postgres_pool()
        options["pool"] = {**pool, "timeout": min(pool["timeout"], 2.0), "name": "tandem-replica"}
    # Tests: the replica alias is the test database itself, so data a test writes through the
    # primary is there to read through the replica.
    config["TEST"] = {"MIRROR": "default"}
    return config
