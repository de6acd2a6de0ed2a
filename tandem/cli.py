"""The ``tandem`` command: serve, demo, manage."""

from __future__ import annotations

import argparse
import errno
import os
import socket
import sys


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
        connection.ensure_connection()
    except DatabaseError as error:
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


def cmd_serve(args: argparse.Namespace) -> int:
    problem = _port_free(args.host, args.port)
    if problem:
        return _fail(problem)
    _setup_django()
    _check_database()
    _migrate()
    import uvicorn

    print(f"Tandem is running at http://{args.host}:{args.port}/  (Ctrl+C to stop)")
    uvicorn.run(
        "tandem.asgi:application",
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level=args.log_level,
        proxy_headers=True,
        lifespan="off",
    )
    return 0


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


def cmd_worker(args: argparse.Namespace) -> int:
    """Run background tasks (emails, webhooks, digests, reminders) until stopped."""
    import threading

    _setup_django()
    _check_database()
    if _pending_migrations():
        return _fail(
            "the database has unapplied migrations; run `tandem serve` or `tandem manage migrate` first"
        )
    from django.core.management import call_command

    from tandem.notifications.scheduler import run_scheduler

    stop = threading.Event()
    scheduler = threading.Thread(
        target=run_scheduler, kwargs={"stop": stop, "every": args.schedule_every}, daemon=True
    )
    scheduler.start()
    print("Tandem worker running (Ctrl+C to stop)")
    try:
        call_command("db_worker", interval=args.interval, verbosity=args.verbosity)
    finally:
        stop.set()
    return 0


def cmd_manage(args: argparse.Namespace) -> int:
    _setup_django()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["tandem manage", *args.rest])
    return 0


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
    worker.set_defaults(handler=cmd_worker)

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
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
