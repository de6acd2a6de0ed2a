"""Checking: what the schema models cannot see, on documents they accepted.

The models check each value; here every key a document uses is checked to be one it
defines, once -- a post's muse is one of the thread's muses, a draft's thread is one of
the backup's thread files, a thread's muse is the writer's own or a partner's muse the
account file lists -- and every picture account.json names is in the zip and is a picture
Tandem can show. Nothing here touches the database.
"""

from __future__ import annotations

import io
from collections.abc import Collection, Hashable
from pathlib import PurePosixPath

from PIL import Image, UnidentifiedImageError

from tandem.exports.restore.parsed import BackupFile, BackupThread, RestoreError, ThreadData
from tandem.exports.schema import AccountDocument, IconRecord, ThreadDocument
from tandem.muses.avatars import ACCEPTED_FORMATS, MAX_PIXELS

__all__ = ["backup_file", "check_thread", "check_thread_files"]

IMAGE_SUFFIXES = {".webp": "WEBP", ".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".gif": "GIF"}


def _unique(ref: Hashable, seen: set, what: str, where: str) -> None:
    if ref in seen:
        raise RestoreError(f"{where}: {what} “{ref}” appears twice.")
    seen.add(ref)


def _known(ref: str | None, refs: Collection[str], what: str, where: str) -> None:
    if ref is not None and ref not in refs:
        raise RestoreError(f"{where} refers to {what} “{ref}”, which the file does not list.")


# ============================================================================ thread JSON


def check_thread(document: ThreadDocument, label: str) -> None:
    """Every key the document uses is one it defines, once; the models saw only shapes."""
    writers: set[str] = set()
    folded: set[str] = set()
    for writer in document.writers:
        # Usernames are unique whatever their case, here and on every Tandem.
        _unique(writer.username.lower(), folded, "username", label)
        writers.add(writer.username)

    def known_writer(name: str | None, where: str) -> None:
        if name is not None and name not in writers:
            raise RestoreError(f"{where}: writer “{name}” is not listed in the file's “writers”.")

    muses: set[str] = set()
    for n, muse in enumerate(document.muses, 1):
        _unique(muse.ref, muses, "muse", label)
        known_writer(muse.writer, f"{label}, muse {n}")

    participants: set[str] = set()
    muses_in: set[str] = set()
    for n, participant in enumerate(document.participants, 1):
        where = f"{label}, participant {n}"
        _unique(participant.ref, participants, "participant", label)
        _known(participant.muse, muses, "muse", where)
        # One row per muse per thread: a muse that left and came back kept its row.
        _unique(participant.muse, muses_in, "participating muse", label)
        known_writer(participant.writer, where)

    numbers: set[int] = set()
    for post in document.posts:
        where = f"{label}, post #{post.number}"
        _unique(post.number, numbers, "post number", label)
        revisions: set[int] = set()
        for revision in post.revisions:
            _unique(revision.number, revisions, "revision", where)
        _known(post.participant, participants, "participant", where)
        _known(post.muse, muses, "muse", where)
        known_writer(post.author, where)

    for n, event in enumerate(document.turn_events, 1):
        where = f"{label}, turn event {n}"
        for ref in event.order or ():
            if ref not in participants:
                raise RestoreError(
                    f"{where}: the posting order names participant “{ref}”, which the file "
                    "does not list."
                )
        _known(event.participant, participants, "participant", where)
        known_writer(event.actor, where)

    for n, message in enumerate(document.ooc, 1):
        known_writer(message.author, f"{label}, OOC message {n}")
    known_writer(document.thread.owner, f"{label}, thread")


# ============================================================================ account backup


def check_thread_files(account: AccountDocument, files: dict[str, bytes]) -> None:
    """Every thread file account.json lists is listed once and is in the zip."""
    seen: set[str] = set()
    for entry in account.threads:
        _unique(entry.file, seen, "thread file", "account.json")
        if entry.file not in files:
            raise RestoreError(f"account.json lists “{entry.file}”, which is not in the backup.")


def backup_file(
    account: AccountDocument, threads: dict[str, ThreadData], files: dict[str, bytes]
) -> BackupFile:
    """The backup, once every key account.json uses is known and every picture checked."""
    owner = account.profile.username
    own: set[str] = set()  # the writer's own muse keys
    for n, muse in enumerate(account.muses, 1):
        _unique(muse.key, own, "muse key", "account.json")
        _pictures(f"account.json, muse {n}", muse.avatar, muse.icons, files)
    others: dict[str, str] = {}
    for n, muse in enumerate(account.other_muses, 1):
        if muse.key in own:
            raise RestoreError(
                f"account.json, partner muse {n}: the muse key “{muse.key}” is used twice."
            )
        if muse.key in others:
            raise RestoreError(f"account.json: muse key “{muse.key}” appears twice.")
        others[muse.key] = muse.writer
        _pictures(f"account.json, partner muse {n}", muse.avatar, muse.icons, files)

    entries = []
    for entry in account.threads:
        thread = threads[entry.file]
        for muse in thread.document.muses:
            key = entry.muses.get(muse.ref)
            if key in own:
                if muse.writer != owner:
                    raise RestoreError(
                        f"{entry.file}: muse {muse.ref} is {muse.writer}'s, but account.json "
                        f"says it is {owner}'s own {key}."
                    )
            elif key in others:
                if muse.writer != others[key]:
                    raise RestoreError(
                        f"{entry.file}: muse {muse.ref} is {muse.writer}'s, but account.json "
                        f"says it is {others[key]}'s {key}."
                    )
            else:
                raise RestoreError(
                    f"account.json does not say which muse {muse.ref} of {entry.file} is."
                )
        entries.append(
            BackupThread(
                file=entry.file,
                muses={muse.ref: entry.muses[muse.ref] for muse in thread.document.muses},
                state=entry.state,
                thread=thread,
            )
        )

    drafted: set[str] = set()
    for n, draft in enumerate(account.drafts, 1):
        where = f"account.json, draft {n}"
        _known(draft.thread, threads, "thread file", where)
        # A writer has one draft per thread.
        _unique(draft.thread, drafted, "draft for", "account.json")
        _known(draft.muse, own, "muse", where)
    for n, item in enumerate(account.tracked, 1):
        where = f"account.json, thread kept elsewhere {n}"
        _known(item.muse, own, "muse", where)
        _known(item.converted_to, threads, "thread file", where)
    return BackupFile(account=account, threads=entries, media=files)


def _pictures(
    where: str, avatar: str | None, icons: list[IconRecord], files: dict[str, bytes]
) -> None:
    named = [(where, avatar)] if avatar is not None else []
    named += [(f"{where}, icon {n}", icon.image) for n, icon in enumerate(icons, 1)]
    for place, path in named:
        if path not in files:
            raise RestoreError(f"{place}: the picture “{path}” is not in the backup.")
        _check_image(path, files[path])


def _check_image(path: str, data: bytes) -> None:
    suffix = PurePosixPath(path).suffix.lower()
    expected = IMAGE_SUFFIXES.get(suffix)
    try:
        with Image.open(io.BytesIO(data)) as probe:
            ok = probe.format == expected and probe.format in ACCEPTED_FORMATS
            ok = ok and probe.size[0] * probe.size[1] <= MAX_PIXELS
            probe.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        ok = False
    if not ok:
        raise RestoreError(f"“{path}” is not a PNG, JPEG, GIF or WebP picture Tandem can use.")
