"""The ``tandem`` command: serve, demo, worker, manage, import, export, backup, restore,
token; and, through a server's API from anywhere, queue and post (``tandem.api.client``)."""

from __future__ import annotations

import argparse
import errno
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import uvicorn


def _fail(message: str) -> int:
    print(f"tandem: error: {message}", file=sys.stderr)
    return 1


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tandem.settings")
    from tandem.config import data_dir, database

    database(data_dir())  # validates DATABASE_URL before Django sees it
    import django

    django.setup()


def _check_database() -> None:
    from django.db import DatabaseError, connection

    try:
        if connection.vendor == "postgresql":
            # A connection of its own rather than one from the pool: a server that is down
            # is reported at once with its reason (the pool would retry for its timeout),
            # and no pool is opened in a process that may only start others.
            connection.Database.connect(**connection.get_connection_params()).close()
        else:
            connection.ensure_connection()
    except (DatabaseError, connection.Database.Error) as error:
        first_line = (str(error).strip().splitlines() or [type(error).__name__])[0]
        raise DatabaseUnreachable(f"cannot reach the database: {first_line}") from error


class DatabaseUnreachable(Exception):
    pass


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


def _migrate(verbosity: int = 0) -> None:
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=verbosity)


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


# How long stopping may take. On SIGTERM or SIGINT the web server finishes the requests in
# flight and the worker its current task, both within this many seconds; whatever is still
# running then is cut off. A service manager must wait longer than this before it kills
# (docs/deployment.md, "Stopping Tandem").
GRACE_SECONDS = 10
# The longest pause between a worker's attempts to reach a database that is away.
MAX_DATABASE_RETRY_SECONDS = 30.0
# `serve --worker` kills its worker only this long after the worker's own grace period has
# run out: the worker enforces the grace itself, this covers a worker too stuck to.
WORKER_KILL_MARGIN_SECONDS = 5.0
# How often a worker started by `serve --worker` checks that its server is still there.
PARENT_POLL_SECONDS = 1.0
# uvicorn's status for a server that could not start (uvicorn.config.STARTUP_FAILURE).
STARTUP_FAILURE = 3
# Worker exit statuses that mean "stopped when asked": 0 after draining; killed by, or
# KeyboardInterrupt from, the stop signal itself when it arrived before the worker had set up
# its handlers (during start-up, with nothing in flight).
_WORKER_STOPPED_CLEANLY = {0, 130, -signal.SIGTERM, -signal.SIGINT}


def _stop_with_parent(parent_pid: int) -> None:
    """SIGTERM this process, so that it stops as if a service manager had asked, once the
    `tandem serve` that started it is gone (even SIGKILLed, when it could not stop us itself).

    It polls the parent pid rather than asking the kernel (Linux's PR_SET_PDEATHSIG): that
    needs a ``preexec_fn`` (unsafe in a parent that already runs threads) or uvicorn's
    multiprocessing children to set it themselves; it fires when the forking *thread* ends,
    not the process; and it is Linux only. An orphan is re-parented (to init or a
    subreaper), so a changed ``getppid()`` is a sure sign on every Unix, noticed within
    PARENT_POLL_SECONDS.
    """

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(PARENT_POLL_SECONDS)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="tandem-parent-watch", daemon=True).start()


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


def cmd_demo(args: argparse.Namespace) -> int:
    _setup_django()
    _check_database()
    _migrate()
    from tandem.core.demo import DemoAlreadyLoaded, load_demo

    try:
        summary = load_demo(password=args.password)
    except DemoAlreadyLoaded as error:
        print(str(error))
        return 0
    print(summary)
    print(
        f"\nLog in as demo1 or demo2 with the password “{args.password}”.\n"
        "WARNING: these are demo accounts with a known password — never load the demo "
        "on a server open to the internet."
    )
    return 0


def _pending_migrations() -> bool:
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    return bool(executor.migration_plan(executor.loader.graph.leaf_nodes()))


def _draining_worker(*, interval: float, verbosity: int, grace: float, on_stop: Callable[[], None]):
    """django-tasks-db's ``db_worker`` loop, with a bounded drain.

    db_worker on its own: the first SIGTERM/SIGINT lets the task in flight finish (or exits at
    once when idle), however long that takes; any second signal aborts the task. Here a stop
    also stops the scheduler (``on_stop``), the task gets ``grace`` seconds and then the process
    exits, and only a second SIGINT (Ctrl+C twice) aborts early: repeated SIGTERMs are normal
    (systemd signals every process of the unit and `serve --worker` forwards its own).
    A task cut off stays "running" and is put back in the queue by the scheduler
    (tandem.notifications.scheduler.requeue_stale_tasks); every task is safe to run twice.
    """
    from django.utils.crypto import get_random_string
    from django_tasks_db.compat import DEFAULT_TASK_BACKEND_ALIAS, DEFAULT_TASK_QUEUE_NAME
    from django_tasks_db.management.commands.db_worker import Command, Worker

    class DrainingWorker(Worker):
        stopping = False
        aborted = False

        def shutdown(self, signum: int, frame) -> None:
            if not self.stopping:
                self.stopping = True
                on_stop()
                threading.Thread(target=self._cut_off, name="tandem-grace", daemon=True).start()
                super().shutdown(signum, frame)  # exits now when idle
            elif signum == signal.SIGINT:
                self.aborted = True
                super().shutdown(signum, frame)  # db_worker's "terminating current task"

        def run(self) -> None:
            # db_worker's loop ends the process on any database error but a locked SQLite
            # file. A database that is away for a while (PostgreSQL restarting, the pool
            # timing out) is waited out instead, retrying with a growing pause, so the
            # worker comes back with the database as the servers do.
            from django.db import InterfaceError, OperationalError, close_old_connections

            pause = 1.0
            while self.running:
                try:
                    super().run()
                except (OperationalError, InterfaceError) as error:
                    if not self.running:
                        break
                    print(
                        f"tandem worker: the database is unreachable ({error}); "
                        f"trying again in {pause:g} s",
                        file=sys.stderr,
                        flush=True,
                    )
                    close_old_connections()
                    deadline = time.monotonic() + pause
                    while self.running and time.monotonic() < deadline:
                        time.sleep(0.2)
                    pause = min(pause * 2, MAX_DATABASE_RETRY_SECONDS)
                else:
                    break

        def _cut_off(self) -> None:
            time.sleep(grace)
            # Still here: the task outlived the grace period. os._exit, because nothing
            # else reliably interrupts a task blocked in C code (a socket, a lock).
            print(
                f"tandem worker: the current task did not finish within {grace:g} s; "
                "stopping anyway (the scheduler queues it again later)",
                file=sys.stderr,
                flush=True,
            )
            sys.stdout.flush()
            os._exit(1)

    Command().configure_logging(verbosity)
    return DrainingWorker(
        queue_names=[DEFAULT_TASK_QUEUE_NAME],
        interval=interval,
        batch=False,
        backend_name=DEFAULT_TASK_BACKEND_ALIAS,
        startup_delay=True,
        max_tasks=None,
        worker_id=get_random_string(32),
        excluded_queue_names=[],
    )


def cmd_worker(args: argparse.Namespace) -> int:
    """Run background tasks (emails, webhooks, digests, reminders) until stopped."""
    _setup_django()
    _check_database()
    if _pending_migrations():
        return _fail(
            "the database has unapplied migrations; run `tandem serve` or `tandem manage migrate` first"
        )
    from tandem.notifications.scheduler import run_scheduler

    stop = threading.Event()
    scheduler = threading.Thread(
        target=run_scheduler,
        kwargs={"stop": stop, "every": args.schedule_every},
        name="tandem-scheduler",
        daemon=True,
    )
    # Built directly rather than through `call_command("db_worker")`, whose signal handlers
    # drain without bound, and which would run under Django's autoreloader (a second process,
    # left orphaned by SIGTERM) whenever TANDEM_DEBUG is on.
    worker = _draining_worker(
        interval=args.interval, verbosity=args.verbosity, grace=args.grace, on_stop=stop.set
    )
    worker.configure_signals()
    if args.parent_pid:
        _stop_with_parent(args.parent_pid)
    scheduler.start()
    print("Tandem worker running (Ctrl+C to stop)", flush=True)
    status = 0
    try:
        worker.run()
    except SystemExit as stopped:  # db_worker's handlers leave through sys.exit
        status = stopped.code if isinstance(stopped.code, int) else 1
    finally:
        stop.set()
        # Bounded like the rest; past the grace period _cut_off ends the process anyway.
        scheduler.join(timeout=args.grace)
    return 1 if worker.aborted else status


class _Progress:
    """A rich progress bar on the terminal, fed by the services' (done, total) callbacks."""

    def __init__(self, description: str) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

        self.bar = Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=_stderr_console(),
            transient=True,
        )
        self.task = self.bar.add_task(description, total=None)

    def __enter__(self):
        self.bar.start()
        return self

    def __exit__(self, *exc) -> None:
        self.bar.stop()

    def __call__(self, done: int, total: int) -> None:
        self.bar.update(self.task, completed=done, total=total)


def _stderr_console():
    from rich.console import Console

    return Console(stderr=True)


def _user(username: str):
    from tandem.accounts.models import User

    user = User.objects.filter(username__iexact=username).first()
    if user is None:
        raise CommandError(f"there is no writer called {username!r}")
    return user


class CommandError(Exception):
    """A command that could not do its work: one line on stderr, exit 1."""

    exit_code = 1


class UsageError(CommandError):
    """Something to fix in how the command was called or configured: exit 2, as argparse."""

    exit_code = 2


def _ready(*, migrate: bool = False) -> None:
    _setup_django()
    _check_database()
    if migrate:
        _migrate()


def _existing_file(name: str):
    from pathlib import Path

    path = Path(name)
    if not path.is_file():
        raise CommandError(f"no such file: {path}")
    return path


def _messages(error) -> str:
    return " ".join(getattr(error, "messages", None) or [str(error)])


def cmd_import(args: argparse.Namespace) -> int:
    """Split a pasted thread into posts and muses; create it, or only show the proposal."""
    import json

    _ready(migrate=True)
    from django.core.exceptions import ValidationError

    from tandem.exports.selectors import absolute_url
    from tandem.imports import services

    path = _existing_file(args.path)
    data = path.read_bytes()
    title = args.title or path.stem.replace("_", " ").replace("-", " ").strip() or "Imported thread"
    try:
        specs = [services.MuseSpec.parse(text) for text in args.muse]
        owner = _user(args.owner) if args.owner else None
        if args.dry_run:
            names = services.known_muse_names(specs, owner)
            proposal, warnings = services.proposal_for(
                data, names, filename=path.name, fmt=args.format
            )
            report = services.proposal_report(proposal, names, warnings)
            if args.json:
                print(json.dumps(report, ensure_ascii=False, indent=2))
            else:
                _print_proposal(report)
            return 0
        if owner is None:
            raise CommandError("say who owns the new thread with --owner USERNAME")
        if not specs:
            raise CommandError("name the thread's muses with --muse NAME[=OWNER]")
        muses = services.resolve_muses(owner, specs, may_create_for_others=args.trust_owners)
        proposal, warnings = services.proposal_for(
            data, services.muse_names(muses), filename=path.name, fmt=args.format
        )
        posts = services.posts_of_proposal(proposal, muses)
        with _Progress("Importing posts") as progress:
            thread = services.thread_import(
                owner=owner,
                title=title,
                posts=posts,
                muses=muses,
                progress=progress,
                trust_owners=args.trust_owners,
            )
    except ValidationError as error:
        raise CommandError(_messages(error)) from error
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    claims = sorted({i.invitee.username for i in thread.invitations.select_related("invitee")})
    if args.json:
        print(
            json.dumps(
                {
                    "url": absolute_url(thread.get_absolute_url()),
                    "posts": len(posts),
                    "awaiting": claims,
                }
            )
        )
    else:
        print(f"Imported {len(posts)} posts: {absolute_url(thread.get_absolute_url())}")
        if claims:
            print(
                f"Waiting for {', '.join(claims)} to accept their muses' posts (invitations "
                "sent; --trust-owners skips this)."
            )
    return 0


def _print_proposal(report: dict) -> None:
    from rich.table import Table

    table = Table(title="Proposed posts")
    for column in ("#", "muse", "confidence", "words", "starts"):
        table.add_column(column)
    for number, post in enumerate(report["posts"], start=1):
        table.add_row(
            str(number),
            post["muse"] or "[bold red]unknown[/]",
            f"{post['confidence']:.2f}",
            str(post["words"]),
            post["start"],
        )
    from rich.console import Console

    console = Console()
    console.print(table)
    for warning in report["warnings"]:
        console.print(f"[yellow]warning:[/] {warning}")


def public_id_from(reference: str) -> str:
    """A thread's public id from the id itself or any URL of it (…/t/<id>/…)."""
    from urllib.parse import urlparse

    path = urlparse(reference).path if "/" in reference else reference
    parts = [p for p in path.split("/") if p]
    return parts[parts.index("t") + 1] if "t" in parts[:-1] else (parts[-1] if parts else "")


def _thread_from(reference: str):
    """A thread from its id or any URL of it."""
    from tandem.threads.models import Thread

    public_id = public_id_from(reference)
    thread = Thread.objects.filter(public_id=public_id).first()
    if thread is None:
        raise CommandError(f"no thread with the id {public_id!r}")
    return thread


def cmd_export(args: argparse.Namespace) -> int:
    from pathlib import Path

    _ready()
    from django.core.exceptions import ValidationError

    from tandem.exports import services

    thread = _thread_from(args.thread)
    try:
        with _Progress(f"Exporting {thread.title}") as progress:
            result = services.thread_export(
                thread, args.format, include_ooc=args.include_ooc, progress=progress
            )
    except ValidationError as error:
        raise CommandError(_messages(error)) from error
    target = Path(args.output or result.filename)
    target.write_bytes(result.content)
    print(f"Wrote {target} ({len(result.content):,} bytes)")
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    from pathlib import Path

    _ready()
    from tandem.exports import services

    writer = _user(args.username)
    with _Progress(f"Backing up {writer.username}") as progress:
        result = services.account_backup(writer, progress=progress)
    target = Path(args.output or result.filename)
    target.write_bytes(result.content)
    print(f"Wrote {target} ({len(result.content):,} bytes)")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    _ready(migrate=True)
    from django.core.exceptions import ValidationError

    from tandem.exports.restore import RestoreError, restore

    path = _existing_file(args.path)
    mapping = {}
    for pair in args.map:
        old, sep, new = pair.partition("=")
        if not sep or not old.strip() or not new.strip():
            raise CommandError(f"--map takes OLD=NEW, not {pair!r}")
        mapping[old.strip()] = new.strip()
    try:
        with _Progress("Restoring") as progress:
            report = restore(
                path,
                actor=None,
                username_map=mapping,
                progress=progress,
                trust_owners=args.trust_owners,
            )
    except (RestoreError, ValidationError) as error:
        raise CommandError(_messages(error)) from error
    print(f"Restored: {report}")
    return 0


def cmd_token(args: argparse.Namespace) -> int:
    _ready()
    from django.core.exceptions import ValidationError

    from tandem.api.services import token_create

    writer = _user(args.username)
    try:
        token, raw = token_create(user=writer, name=args.name, scope=args.scope)
    except ValidationError as error:
        raise CommandError(_messages(error)) from error
    # The token alone on stdout (for scripts); what it is, on stderr.
    print(
        f"{token.get_scope_display()} token “{token.name}” for {writer.username}:", file=sys.stderr
    )
    print(raw)
    print("Shown once: Tandem keeps only a fingerprint of it.", file=sys.stderr)
    return 0


def cmd_manage(args: argparse.Namespace) -> int:
    _setup_django()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["tandem manage", *args.rest])
    return 0


def _seconds(value: str) -> float:
    seconds = float(value)
    if not 0 <= seconds < float("inf"):
        raise argparse.ArgumentTypeError(f"not a number of seconds: {value}")
    return seconds


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tandem", description="Tandem — collaborative, turn-based roleplay writing."
    )
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="apply migrations and serve the web app")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1, help="server processes (default 1)")
    serve.add_argument(
        "--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"]
    )
    serve.add_argument(
        "--worker",
        action="store_true",
        help="also run the background worker (emails, big imports and exports)",
    )
    serve.add_argument(
        "--grace",
        type=_seconds,
        default=GRACE_SECONDS,
        metavar="SECONDS",
        help="on SIGTERM or Ctrl+C, how long requests and the worker's current task may take "
        f"to finish before they are cut off (default {GRACE_SECONDS:g})",
    )
    serve.set_defaults(handler=cmd_serve)

    demo = commands.add_parser("demo", help="load a demo world (writers demo1 and demo2)")
    demo.add_argument("--password", default="tandem-demo", help="password of the demo writers")
    demo.set_defaults(handler=cmd_demo)

    worker = commands.add_parser("worker", help="run background tasks (emails, webhooks, digests)")
    worker.add_argument("--interval", type=float, default=1.0, help="seconds between queue polls")
    worker.add_argument(
        "--schedule-every", type=float, default=60.0, help="seconds between scheduled checks"
    )
    worker.add_argument("--verbosity", type=int, default=1)
    worker.add_argument(
        "--grace",
        type=_seconds,
        default=GRACE_SECONDS,
        metavar="SECONDS",
        help="on SIGTERM or Ctrl+C, how long the current task may take to finish before the "
        f"worker exits anyway (default {GRACE_SECONDS:g})",
    )
    # Set by `serve --worker`: stop when that server is gone.
    worker.add_argument("--parent-pid", type=int, help=argparse.SUPPRESS)
    worker.set_defaults(handler=cmd_worker)

    imports = commands.add_parser(
        "import", help="import a pasted thread (.txt, .md, .html), split into posts and muses"
    )
    imports.add_argument("path")
    imports.add_argument("--title", help="the thread's title (default: the file's name)")
    imports.add_argument(
        "--muse",
        action="append",
        default=[],
        metavar="NAME[=OWNER]",
        help="a muse of the thread, owned by OWNER (default --owner); repeat for each",
    )
    imports.add_argument("--owner", metavar="USERNAME", help="who owns the new, private thread")
    imports.add_argument("--format", default="auto", choices=["auto", "text", "md", "html", "json"])
    imports.add_argument(
        "--trust-owners",
        action="store_true",
        help="put other writers' muses (NAME=OWNER) in at once, creating missing ones, "
        "without asking their writers (default: each gets an invitation to accept)",
    )
    imports.add_argument("--dry-run", action="store_true", help="show the proposal only")
    imports.add_argument("--json", action="store_true", help="print JSON")
    imports.set_defaults(handler=cmd_import)

    export = commands.add_parser("export", help="export a thread to a file")
    export.add_argument("thread", metavar="THREAD_ID_OR_URL")
    export.add_argument(
        "--format", required=True, choices=["md", "txt", "html", "archive", "epub", "json"]
    )
    export.add_argument("-o", "--output", metavar="FILE")
    export.add_argument("--include-ooc", action="store_true", help="JSON: add the OOC talk")
    export.set_defaults(handler=cmd_export)

    backup = commands.add_parser("backup", help="write one writer's whole account to a zip")
    backup.add_argument("username")
    backup.add_argument("-o", "--output", metavar="FILE.zip")
    backup.set_defaults(handler=cmd_backup)

    restore = commands.add_parser(
        "restore", help="restore an account backup (.zip) or a thread (.json)"
    )
    restore.add_argument("path", metavar="FILE")
    restore.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="OLD=NEW",
        help="restore OLD's things under the username NEW (an existing account: attach to "
        "it, which needs --trust-owners)",
    )
    restore.add_argument(
        "--trust-owners",
        action="store_true",
        help="allow --map onto existing accounts: their owners are not asked first",
    )
    restore.set_defaults(handler=cmd_restore)

    token = commands.add_parser("token", help="API tokens")
    token_commands = token.add_subparsers(dest="token_command", required=True)
    token_create = token_commands.add_parser(
        "create", help="make a personal access token for a writer and print it once"
    )
    token_create.add_argument("username")
    token_create.add_argument("--name", default="command line")
    token_create.add_argument("--scope", choices=["read", "write"], default="read")
    token_create.set_defaults(handler=cmd_token)

    from tandem.api import client

    client.add_commands(commands)

    manage = commands.add_parser("manage", help="run a Django management command")
    manage.add_argument("rest", nargs=argparse.REMAINDER)
    manage.set_defaults(handler=cmd_manage)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from tandem.config import ConfigError

    try:
        return args.handler(args)
    except ConfigError as error:
        return _fail(str(error))
    except DatabaseUnreachable as error:
        return _fail(str(error))
    except CommandError as error:
        _fail(str(error))
        return error.exit_code
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
