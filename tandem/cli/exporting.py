"""Getting things out of Tandem and back in: ``tandem export`` writes one thread to a file
in a format of ``tandem.exports.services``, ``tandem backup`` one writer's whole account to a
zip, and ``tandem restore`` puts a backup (.zip) or a thread (.json) back, with ``--map``
to restore a writer's things under another username. ``public_id_from`` reads a thread's id
from the id itself or any URL of it; the API client (``tandem.api.client``) uses it too."""

from __future__ import annotations

import argparse

from tandem.cli.base import CommandError, _existing_file, _messages, _Progress, _ready, _user


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
