"""Reads from a PostgreSQL streaming replica, when that is safe (DATABASE_REPLICA_URL).

A replica is a little behind its primary (usually milliseconds, more under load), so a read
goes to it only when staleness cannot be seen:

- only where something opted in: ``ReplicaReadsMiddleware`` for GET/HEAD/OPTIONS requests,
  ``replica_reads()`` for a task or command that chooses to. Everything else (the worker,
  management commands, migrations, WebSocket consumers) never opted in and reads the primary;
- not after a write: once anything in the request (or opted-in block) wrote, its later reads
  go to the primary, and so do the writer's next requests for TANDEM_REPLICA_STICKY_SECONDS
  (read-your-writes: the thread they just posted to must show their post);
- never inside an atomic block on the primary, whose reads belong to its transaction;
- not while the replica is found unreachable (see ``ReplicaHealth``).

Writes always go to the primary; only the primary is migrated (the replica replays it).

The decision state lives in a ContextVar holding a mutable object, not a thread-local: under
ASGI each request runs in its own context (asgiref's sync_to_async runs a sync view in a copy
of the caller's context), and a write made from a nested context (an async view's
sync_to_async ORM call) marks the very same object, so nothing relies on asgiref copying
changed variables back.
"""

from __future__ import annotations

import hashlib
import logging
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.core.signals import got_request_exception
from django.db import DEFAULT_DB_ALIAS, InterfaceError, OperationalError, connections
from django.http import HttpRequest, HttpResponse

logger = logging.getLogger(__name__)

PRIMARY = DEFAULT_DB_ALIAS
REPLICA = "replica"

DATABASE_ERRORS = (OperationalError, InterfaceError)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# A browser carries its marker back itself; an API client (a token, no cookies) is
# remembered in the shared cache under a hash of its Authorization header.
STICKY_COOKIE = "tandem_primary"
STICKY_SALT = "tandem.core.replica"
STICKY_CACHE_PREFIX = "tandem:replica-sticky:"
# How long a health verdict stands before the replica is probed again.
PROBE_EVERY_SECONDS = 5.0


@dataclass
class ReadState:
    """What one request (or opted-in block) has done so far."""

    allowed: bool = True  # reads may go to the replica at all
    wrote: bool = False  # something was written: later reads see it only on the primary
    used_replica: bool = False  # a read went to the replica (a database error may be its)
    replica_failed: bool = False  # a database error ended a request that read the replica


_state: ContextVar[ReadState | None] = ContextVar("tandem_replica_reads", default=None)


@contextmanager
def replica_reads(allowed: bool = True) -> Iterator[ReadState]:
    """Reads inside may go to the replica (when otherwise safe). ``allowed=False`` keeps them
    on the primary while still recording writes, which is how an unsafe request is tracked."""
    state = ReadState(allowed=allowed)
    token = _state.set(state)
    try:
        yield state
    finally:
        # Reset, not set(None): under WSGI or a thread pool the same thread serves the next
        # request, which must not inherit this one's decision.
        _state.reset(token)


def current_state() -> ReadState | None:
    return _state.get()


class ReplicaHealth:
    """Whether the replica answers, as last found by a probe of its own.

    The probe is a plain connection (connect_timeout 2 s, then ``SELECT 1``), not one from the
    replica's pool: a pool whose server is down makes getconn wait for its whole timeout and
    keeps retrying behind the scenes, where a refused connection fails in about a millisecond.
    It runs on a background thread at most every PROBE_EVERY_SECONDS, so no request ever waits
    for it: requests use the last verdict. Until the first probe has answered the replica
    counts as down, so a process's first requests read the primary for a few milliseconds.
    """

    def __init__(self, alias: str = REPLICA, every: float = PROBE_EVERY_SECONDS) -> None:
        self.alias = alias
        self.every = every
        self._up = False
        self._checked_at = float("-inf")
        self._probing = False
        self._lock = threading.Lock()

    def is_up(self) -> bool:
        with self._lock:
            due = not self._probing and time.monotonic() - self._checked_at >= self.every
            if due:
                self._probing = True
        if due:
            threading.Thread(target=self.probe, name="tandem-replica-probe", daemon=True).start()
        return self._up

    def probe(self) -> bool:
        """Connect to the replica now and record the verdict (also called by tests)."""
        try:
            wrapper = connections[self.alias]
            params = wrapper.get_connection_params()
            params["connect_timeout"] = 2
            with wrapper.Database.connect(**params) as probe:
                probe.execute("SELECT 1")
            up = True
        except Exception as error:  # any failure means "do not read from it"
            up = False
            if self._up:
                logger.warning(
                    "Replica %r unreachable, reading from the primary: %s", self.alias, error
                )
        else:
            if not self._up:
                logger.info("Replica %r answers; safe reads go to it", self.alias)
        self._set(up)
        return up

    def mark_down(self) -> None:
        """A read from the replica just failed: stop choosing it until the next probe."""
        if self._up:
            logger.warning("Replica %r failed a read; reading from the primary", self.alias)
        self._set(False)

    def _set(self, up: bool) -> None:
        with self._lock:
            self._up = up
            self._checked_at = time.monotonic()
            self._probing = False


health = ReplicaHealth()


class ReplicaRouter:
    """DATABASE_ROUTERS entry, installed by settings.py only when a replica is configured."""

    def db_for_read(self, model: type, **hints: object) -> str:
        state = _state.get()
        if state is None or not state.allowed or state.wrote:
            return PRIMARY
        # A read inside a transaction belongs to it (it may be about to update what it read).
        if connections[PRIMARY].in_atomic_block:
            return PRIMARY
        if not health.is_up():
            return PRIMARY
        state.used_replica = True
        return REPLICA

    def db_for_write(self, model: type, **hints: object) -> str:
        # Also called for reads that are part of a write (get_or_create, select_for_update):
        # marking those as writes too only sends more reads to the primary, the safe side.
        state = _state.get()
        if state is not None:
            state.wrote = True
        return PRIMARY

    def allow_relation(self, obj1: object, obj2: object, **hints: object) -> bool | None:
        # The same data on both: an object read from the replica may point at one from the
        # primary.
        databases = {obj1._state.db, obj2._state.db}  # type: ignore[attr-defined]
        return True if databases <= {PRIMARY, REPLICA} else None

    def allow_migrate(self, db: str, app_label: str, **hints: object) -> bool:
        # The replica is read-only and replays the primary's migrations from the WAL.
        return db == PRIMARY


def _sticky_seconds() -> float:
    return float(getattr(settings, "TANDEM_REPLICA_STICKY_SECONDS", 10.0))


def _token_key(request: HttpRequest) -> str | None:
    authorization = request.headers.get("Authorization", "")
    if not authorization:
        return None
    return STICKY_CACHE_PREFIX + hashlib.sha256(authorization.encode()).hexdigest()


def _wrote_recently(request: HttpRequest) -> bool:
    seconds = _sticky_seconds()
    # Signed, so the cookie's age comes with it (TimestampSigner); a forged or stale cookie
    # reads as absent. Forging one would only move the forger's own reads to the primary.
    if request.get_signed_cookie(STICKY_COOKIE, default=None, salt=STICKY_SALT, max_age=seconds):
        return True
    key = _token_key(request)
    if key is None:
        return False
    try:
        return cache.get(key) is not None
    except Exception:
        # The cache is away (Redis down): the primary is always a correct answer.
        return True


def _remember_write(request: HttpRequest, response: HttpResponse) -> None:
    seconds = _sticky_seconds()
    response.set_signed_cookie(
        STICKY_COOKIE,
        "1",
        salt=STICKY_SALT,
        max_age=max(1, round(seconds)),
        httponly=True,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )
    key = _token_key(request)
    if key is not None:
        try:
            cache.set(key, 1, timeout=seconds)
        except Exception:
            logger.warning("Could not record an API client's write for read-your-writes")


def _note_database_error(
    sender: object, request: HttpRequest | None = None, **kwargs: object
) -> None:
    """got_request_exception: Django turns any exception inside the middleware chain or the
    view into a response (a 503 for database errors) before it reaches the middleware below,
    so this is where a failed replica read is seen."""
    state = _state.get()
    error = sys.exc_info()[1]
    if state is not None and state.used_replica and isinstance(error, DATABASE_ERRORS):
        state.replica_failed = True


class ReplicaReadsMiddleware:
    """Opts safe requests into replica reads, and remembers who just wrote.

    Placed before SessionMiddleware (settings.py does this), so a session saved at the end of
    a request counts as one of its writes.

    Fallback: a safe request that read from the replica and then failed with a database
    error (the replica stopped since the last probe; its pool gives up after 2 s) is run
    once more through the rest of the chain with the replica marked down, so it is answered
    from the primary. Running a GET twice changes nothing but a rate-limit count.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        got_request_exception.connect(_note_database_error, dispatch_uid=STICKY_SALT)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        safe = request.method in SAFE_METHODS
        with replica_reads(allowed=safe and not _wrote_recently(request)) as state:
            response = self.get_response(request)
            # The error may have been the primary's (restarting, say) and not the replica's:
            # a probe (a direct connection, milliseconds when the replica is there) tells
            # which, so a healthy replica is not marked down and the request not run twice
            # against a primary that is away (another pool timeout).
            if state.replica_failed and not health.probe():
                logger.warning("A read from the replica failed; answering from the primary")
                health.mark_down()
                state.allowed = False
                state.replica_failed = state.used_replica = False
                response = self.get_response(request)
        if state.wrote:
            _remember_write(request, response)
        return response
