"""Restoring a thread JSON or an account backup zip into this instance (admins only).

Two stages, so a bad file never leaves half a restore behind:

1. ``read_restore_file`` reads and checks everything without touching the database
   (``reading``: zip entry names before reading any data, sizes against zip bombs, the
   manifest and every file's checksum, the JSON itself validated by the models of
   ``tandem.exports.schema``, which check the format and schema version first; then
   ``checking``: every reference in the documents points at something the file defines,
   every picture is one). Any problem is a ``RestoreError`` whose message is a sentence an
   admin can act on.
2. ``restore`` maps the usernames (``usernames``: refusing silent clashes), then creates
   everything in one transaction (``writing``, with ``threads`` for each thread): writers
   that do not exist here, fresh muses, threads with their posts, revisions, turn events
   and OOC talk, the writer's threads kept elsewhere. Rows are written directly, so
   restoring announces nothing -- no notifications, no live updates. Pictures saved before
   a failure are deleted again.
"""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

from django.core.exceptions import PermissionDenied
from django.db import DataError, IntegrityError

from tandem.accounts.models import User
from tandem.exports.restore.parsed import BackupFile, RestoreError, ThreadFile
from tandem.exports.restore.reading import read_restore_file
from tandem.exports.restore.usernames import resolve_usernames
from tandem.exports.restore.writing import Progress, Restorer, RestoreReport

__all__ = [
    "BackupFile",
    "RestoreError",
    "RestoreReport",
    "ThreadFile",
    "read_restore_file",
    "restore",
]


def restore(
    source: bytes | str | Path | BinaryIO,
    *,
    actor: User | None,
    username_map: dict[str, str] | None = None,
    progress: Progress | None = None,
    trust_owners: bool = False,
) -> RestoreReport:
    """Restore a backup zip or a thread JSON into this instance, all or nothing.

    ``actor`` must be an admin (staff or superuser); ``None`` means the command line, which
    only the server's operator can reach. ``username_map`` is ``{name in the file: name
    here}``; mapping a name to an account that exists here attaches the file's writer to
    it (its profile, preferences and muses are left alone). A name in the file that already
    exists here and is not mapped is refused. ``progress(done, total)`` counts threads.

    Attaching to an existing account puts posts and muses in it without its owner's
    consent, and a restore has no per-muse review to ask them: it is refused unless the
    admin says they trust the owners (``trust_owners``: ``--trust-owners``, or the box on
    the restore page). Accounts the restore creates need no consent.
    """
    if actor is not None and not (actor.is_staff or actor.is_superuser):
        raise PermissionDenied("Only administrators can restore backups.")
    parsed = read_restore_file(source)
    accounts = resolve_usernames(parsed.usernames(), username_map or {})
    attached = sorted((a.existing.username for a in accounts if a.existing), key=str.lower)
    if attached and not trust_owners:
        names = ", ".join(attached)
        raise RestoreError(
            f"Restoring onto the existing account{'s' if len(attached) > 1 else ''} {names} "
            "needs --trust-owners (on the restore page: “Trust the owners of existing "
            "accounts”): a restore cannot ask them to accept what it puts in their account. "
            "Without it, map the names to new accounts instead."
        )
    try:
        return Restorer(parsed, accounts, progress).run()
    except (IntegrityError, DataError) as error:
        raise RestoreError(
            f"The database refused part of the restore ({error}); nothing was restored."
        ) from None
