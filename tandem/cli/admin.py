"""The administrator's commands: ``tandem demo`` loads a demo world (writers demo1 and
demo2, with a known password: never on a server open to the internet), ``tandem token
create`` makes a personal access token for a writer and prints it once, and ``tandem
manage`` runs any Django management command with Tandem's settings."""

from __future__ import annotations

import argparse
import sys

from tandem.cli.base import (
    CommandError,
    _check_database,
    _messages,
    _migrate,
    _ready,
    _setup_django,
    _user,
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
