"""What every ``tandem`` subcommand shares: the errors a command reports, getting Django
ready, and the small helpers of the commands that work on the database. A command that
fails raises ``CommandError`` (one line on stderr, exit 1) or ``UsageError`` (exit 2);
``DatabaseUnreachable`` says the database could not be reached, and ``main``
(``tandem.cli.parser``) turns each into its message and exit status. ``_ready`` sets Django
up and checks the database (and migrates, when asked) before a command touches it;
``_Progress`` is the progress bar the services' (done, total) callbacks feed."""

from __future__ import annotations

import os
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


def _migrate(verbosity: int = 0) -> None:
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=verbosity)


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
