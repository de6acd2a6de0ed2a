"""The ``tandem`` command: serve, demo, worker, manage, import, export, backup, restore,
token; and, through a server's API from anywhere, queue and post (``tandem.api.client``)."""

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
    import uvicorn

    worker = _start_worker() if args.worker else None
    print(f"Tandem is running at http://{args.host}:{args.port}/  (Ctrl+C to stop)")
    try:
        uvicorn.run(
            "tandem.asgi:application",
            host=args.host,
            port=args.port,
            workers=args.workers,
            log_level=args.log_level,
            proxy_headers=True,
            lifespan="off",
        )
    finally:
        if worker is not None:
            worker.terminate()
            worker.wait(timeout=10)
    return 0


def _start_worker():
    """`tandem worker` beside the server, for one-machine installs that want one command."""
    import subprocess

    return subprocess.Popen([sys.executable, "-m", "tandem", "worker", "--verbosity", "0"])


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
