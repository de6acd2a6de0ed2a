"""``tandem serve``: check the port and the database, migrate, then serve the web app with
uvicorn (one process, or a supervisor and ``--workers N``), optionally with ``tandem worker``
beside it. Stopping is bounded: on SIGTERM or SIGINT every process is told at once
(``_Stop``), the web server drains its requests and the worker its current task within the
grace period (``tandem.cli.worker.GRACE_SECONDS`` by default), and a worker too stuck to
stop is killed a margin later. Also here: ``_site_url_for``, which fills in or warns about
``TANDEM_SITE_URL`` for the address being served, and ``is_loopback``, shared with the API
client (``tandem.api.client``)."""

from __future__ import annotations

import argparse
import errno
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from tandem.cli.base import _check_database, _fail, _migrate, _setup_django
from tandem.cli.worker import _stop_with_parent

if TYPE_CHECKING:
    import uvicorn


def _port_free(host: str, port: int) -> str | None:
    """None if the port can be bound, else the reason it cannot."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                return f"port {port} on {host} is already in use (is Tandem already running?)"
            return f"cannot listen on {host}:{port}: {error.strerror}"
    return None


def _release_database() -> None:
    """Give back this process's database connections (and its pool, on PostgreSQL) once
    migrating is done: serving happens in uvicorn's own connections, or other processes."""
    from django.db import connections

    connections.close_all()
    for connection in connections.all(initialized_only=True):
        close_pool = getattr(connection, "close_pool", None)
        if close_pool is not None:
            close_pool()


def is_loopback(host: str) -> bool:
    import ipaddress

    host = host.strip("[]")
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


DEFAULT_SITE_URL = "http://127.0.0.1:8000"


def _site_url_for(host: str, port: int) -> str | None:
    """Point links in e-mails, webhooks and exports at the address being served.

    Without TANDEM_SITE_URL, a server on this machine only (loopback) is its own address,
    so the default follows --host and --port. A server others reach cannot know the address
    they use (a proxy, a domain): the return value is a warning to print.
    """
    from urllib.parse import urlsplit

    configured = os.environ.get("TANDEM_SITE_URL", "").strip()
    if not configured and is_loopback(host):
        shown = f"[{host}]" if ":" in host else host
        os.environ["TANDEM_SITE_URL"] = f"http://{shown}:{port}"
        return None
    site_url = configured or DEFAULT_SITE_URL
    if is_loopback(host) or not is_loopback(urlsplit(site_url).hostname or ""):
        return None
    return (
        f"tandem: warning: serving on {host}, but TANDEM_SITE_URL is {site_url}"
        f"{'' if configured else ' (the default)'}: links in e-mails, webhooks and exports "
        "would point at this machine only. Set TANDEM_SITE_URL to the address people use, "
        "e.g. https://tandem.example.org"
    )


# `serve --worker` kills its worker only this long after the worker's own grace period has
# run out: the worker enforces the grace itself, this covers a worker too stuck to.
WORKER_KILL_MARGIN_SECONDS = 5.0
# uvicorn's status for a server that could not start (uvicorn.config.STARTUP_FAILURE).
STARTUP_FAILURE = 3
# Worker exit statuses that mean "stopped when asked": 0 after draining; killed by, or
# KeyboardInterrupt from, the stop signal itself when it arrived before the worker had set up
# its handlers (during start-up, with nothing in flight).
_WORKER_STOPPED_CLEANLY = {0, 130, -signal.SIGTERM, -signal.SIGINT}


# Set by `serve --workers N` for its server processes: the pid of their supervisor.
_SUPERVISOR_ENV = "TANDEM_SERVE_SUPERVISOR_PID"


def served_application() -> Callable[..., object]:
    """The ASGI application, as uvicorn's server processes under `serve --workers N` load it
    (an app factory, called in each). uvicorn's children do not notice a SIGKILLed supervisor
    and would serve on, orphaned: these stop with it, draining their requests."""
    supervisor = os.environ.get(_SUPERVISOR_ENV, "")
    if supervisor.isdigit():
        _stop_with_parent(int(supervisor))
    from tandem.asgi import application

    return application


class _Stop:
    """How `tandem serve` stops: every process it runs is told at once, so the web server's
    drain and the worker's overlap and the whole stop stays within about one grace period."""

    def __init__(self, grace: float) -> None:
        self.grace = grace
        self.requested = False
        self.worker: subprocess.Popen | None = None
        self.stop_server: Callable[[], None] | None = None
        self._worker_deadline: float | None = None

    def on_signal(self, signum: int, frame: object) -> None:
        self.request()

    def request(self) -> None:
        self.requested = True
        self._stop_worker()
        if self.stop_server is not None:
            self.stop_server()

    def _stop_worker(self) -> None:
        if self.worker is None or self._worker_deadline is not None:
            return
        self._worker_deadline = time.monotonic() + self.grace + WORKER_KILL_MARGIN_SECONDS
        if self.worker.poll() is None:
            self.worker.send_signal(signal.SIGTERM)

    def wait_for_worker(self) -> bool:
        """Stop the worker and wait for it, bounded; False if it had to be killed or failed."""
        if self.worker is None:
            return True
        self._stop_worker()
        assert self._worker_deadline is not None
        try:
            status = self.worker.wait(timeout=max(0.0, self._worker_deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            print("tandem: error: the worker did not stop in time; killed it", file=sys.stderr)
            self.worker.kill()
            self.worker.wait()
            return False
        if status not in _WORKER_STOPPED_CLEANLY:
            print(f"tandem: error: the worker exited with status {status}", file=sys.stderr)
            return False
        return True


def _serve_http(config: uvicorn.Config, stop: _Stop) -> bool:
    """Run uvicorn until it is stopped; False if it never started serving.

    Not ``uvicorn.run``: its server and its multiprocess supervisor own the signals while they
    run, and the subclasses here pass each stop request on to ``stop`` as it arrives, so the
    worker starts draining alongside the web server rather than after it.
    """
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    if config.workers > 1:

        class Supervisor(Multiprocess):
            def handle_int(self) -> None:
                stop.request()
                super().handle_int()

            def handle_term(self) -> None:
                stop.request()
                super().handle_term()

        # Read by served_application in each server process (spawned: they inherit it).
        os.environ[_SUPERVISOR_ENV] = str(os.getpid())
        supervisor = Supervisor(config, sockets=[config.bind_socket()])
        stop.stop_server = supervisor.should_exit.set
        if stop.requested:  # a signal came before the supervisor took the signals over
            supervisor.should_exit.set()
        supervisor.run()
        return True

    class Server(uvicorn.Server):
        def handle_exit(self, sig: int, frame) -> None:
            stop.request()
            super().handle_exit(sig, frame)

    server = Server(config)

    def stop_server() -> None:
        server.should_exit = True

    # A signal between here and uvicorn taking the signals over still stops it: should_exit
    # is checked right after start-up.
    stop.stop_server = stop_server
    if stop.requested:
        return True
    server.run()
    return server.started


def cmd_serve(args: argparse.Namespace) -> int:
    problem = _port_free(args.host, args.port)
    if problem:
        return _fail(problem)
    warning = _site_url_for(args.host, args.port)
    if warning:
        print(warning, file=sys.stderr)
    _setup_django()
    _check_database()
    _migrate()
    _release_database()
    import uvicorn

    several = args.workers > 1
    config = uvicorn.Config(
        "tandem.cli:served_application" if several else "tandem.asgi:application",
        factory=several,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level=args.log_level,
        proxy_headers=True,
        lifespan="off",
        timeout_graceful_shutdown=args.grace,
    )
    stop = _Stop(args.grace)
    # Ours before anything starts, so a stop at any moment is seen. It matters after uvicorn
    # too: once drained, uvicorn.Server restores the handlers it found and re-raises the signal
    # (Server.capture_signals → signal.raise_signal) so that the default action happens. With
    # the default SIGTERM action that kills this process on the spot: the worker would be left
    # running, orphaned. With this handler the re-raised signal only records the request.
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, stop.on_signal)
    started = True
    try:
        if args.worker:
            stop.worker = _start_worker(args.grace)
        print(f"Tandem is running at http://{args.host}:{args.port}/  (Ctrl+C to stop)")
        started = _serve_http(config, stop)
    finally:
        # The multiprocess supervisor leaves its own handlers installed; a signal while
        # waiting for the worker should still count.
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, stop.on_signal)
        worker_stopped = stop.wait_for_worker()
    if not started:
        return STARTUP_FAILURE
    return 0 if worker_stopped else 1


def _start_worker(grace: float) -> subprocess.Popen:
    """`tandem worker` beside the server, for one-machine installs that want one command."""
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tandem",
            "worker",
            "--verbosity",
            "0",
            "--grace",
            str(grace),
            "--parent-pid",
            str(os.getpid()),
        ]
    )
