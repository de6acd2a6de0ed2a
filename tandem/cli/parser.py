"""The ``tandem`` command line itself: ``build_parser`` declares every subcommand, its
arguments and help, and names the handler that runs it (found in this package's other
modules; ``queue`` and ``post`` come from ``tandem.api.client``), and ``main`` parses the
arguments, runs the handler and turns the errors a command reports into one line on stderr
and its exit status."""

from __future__ import annotations

import argparse

from tandem.cli.admin import cmd_demo, cmd_manage, cmd_token
from tandem.cli.base import CommandError, DatabaseUnreachable, _fail
from tandem.cli.exporting import cmd_backup, cmd_export, cmd_restore
from tandem.cli.importing import cmd_import
from tandem.cli.serve import cmd_serve
from tandem.cli.worker import GRACE_SECONDS, cmd_worker


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
