"""Account backup: everything of one writer's in one deterministic zip.

Layout (docs/export-schema.md has the details)::

    account.json                   profile, preferences, muses, drafts, per-thread flags,
                                   threads kept elsewhere
    media/muse-1/avatar.webp       the writer's own muses' pictures
    media/muse-1/icon-1.webp
    media/other-1/avatar.webp      partners' muse pictures the shared threads show
    threads/thread-0001.json       each thread the writer is or was in, as thread JSON
    manifest.json                  every other file with its size and sha256; written last

The zip is built so that the same data always gives the same bytes: entries in a fixed
order, a fixed timestamp and permissions on every entry, and the canonical JSON of
``archive.dump_json``. Restoring a backup and backing the account up again therefore gives
an identical file apart from ``exported_at`` (and the username, if the restore mapped it).

Left out on purpose: the password hash and sessions, webhooks (their URLs and signing
secrets are credentials), the notification inbox and pending invitations (instance state,
not writing).

Each thread file holds what ``tandem.exports.scope.backup_scope`` lets the writer keep: all
of a thread they still write in (other writers' removed posts as placeholders without their
text), and of a thread they left only what it was when they left, or for a private one only
their own posts.
"""

from __future__ import annotations

import hashlib
import logging
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import PurePosixPath
from typing import BinaryIO

from django.db.models import Q
from django.db.models.fields.files import FieldFile
from django.utils import timezone

from tandem.accounts.models import User
from tandem.exports.archive import (
    GENERATOR,
    dump_json,
    exported_icon_ids,
    format_datetime,
    muse_fields,
    thread_muse_refs,
    thread_to_json,
)
from tandem.exports.scope import ExportScope, backup_scope
from tandem.muses.models import Muse, MuseIcon
from tandem.notifications.models import NotificationSettings
from tandem.threads.models import Thread, ThreadWriterState
from tandem.tracking.models import TrackedThread
from tandem.writing.models import Draft

__all__ = [
    "ACCOUNT_FORMAT",
    "BACKUP_FORMAT",
    "BACKUP_SCHEMA_VERSION",
    "ZIP_DATE_TIME",
    "Progress",
    "account_threads",
    "write_account_backup",
    "zip_entry",
]

logger = logging.getLogger(__name__)

BACKUP_FORMAT = "tandem-backup"
ACCOUNT_FORMAT = "tandem-account"
#: The schema of manifest.json and account.json; the thread files inside keep the thread
#: JSON's own ``SCHEMA_VERSION``. 2 added the ``tracked`` list: a reader of schema 1 ignores
#: keys it does not know, so it would have restored the account without the writer's threads
#: kept elsewhere and said nothing; at 2 it refuses the file and asks for an upgrade instead.
BACKUP_SCHEMA_VERSION = 2
#: Every entry carries this timestamp (the earliest a zip can hold), so bytes never depend
#: on the clock.
ZIP_DATE_TIME = (1980, 1, 1, 0, 0, 0)

Progress = Callable[[int, int], None]


def zip_entry(path: str, *, compress: bool) -> zipfile.ZipInfo:
    """A zip entry header that depends on nothing but the path."""
    info = zipfile.ZipInfo(path, date_time=ZIP_DATE_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    info.create_system = 3  # Unix, whatever machine writes it
    info.external_attr = 0o644 << 16
    return info


def account_threads(user: User) -> list[Thread]:
    """The threads a writer is in, has been in, owns or wrote in; oldest first."""
    return list(
        Thread.objects.filter(Q(participants__writer=user) | Q(owner=user) | Q(posts__author=user))
        .distinct()
        .select_related("owner")
        .order_by("created_at", "title", "public_id")
    )


def _read_file(field: FieldFile) -> bytes | None:
    """A stored picture's bytes, or None when the file has gone missing from storage."""
    if not field:
        return None
    try:
        with field.storage.open(field.name, "rb") as handle:
            return handle.read()
    except OSError:
        # A backup must not fail over one lost picture; the muse keeps its words.
        logger.warning("backup: %s is missing from storage; leaving it out", field.name)
        return None


def _suffix(field: FieldFile) -> str:
    return PurePosixPath(field.name).suffix.lower() or ".webp"


@dataclass
class _Plan:
    """What goes into the zip, gathered before anything is written."""

    account: dict
    media: dict[str, bytes]
    threads: list[tuple[str, Thread, ExportScope]]


def _pictures(
    key: str, muse: Muse, icons: list[MuseIcon], media: dict[str, bytes]
) -> tuple[str | None, list[dict]]:
    avatar_path = None
    data = _read_file(muse.avatar)
    if data is not None:
        avatar_path = f"media/{key}/avatar{_suffix(muse.avatar)}"
        media[avatar_path] = data
    icon_rows = []
    for n, icon in enumerate(icons, start=1):
        data = _read_file(icon.image)
        if data is None:
            continue
        path = f"media/{key}/icon-{n}{_suffix(icon.image)}"
        media[path] = data
        icon_rows.append(
            {
                "keywords": icon.keywords,
                "created_at": format_datetime(icon.created_at),
                "image": path,
            }
        )
    return avatar_path, icon_rows


def _notification_preferences(user: User) -> dict | None:
    prefs = NotificationSettings.objects.filter(writer=user).first()
    if prefs is None:
        return None
    return {
        "channels": prefs.channels,
        "daily_digest": prefs.daily_digest,
        "quiet_hours_start": prefs.quiet_hours_start.isoformat()
        if prefs.quiet_hours_start
        else None,
        "quiet_hours_end": prefs.quiet_hours_end.isoformat() if prefs.quiet_hours_end else None,
        "reminder_days": prefs.reminder_days,
    }


def _plan(user: User, exported_at: datetime) -> _Plan:
    media: dict[str, bytes] = {}
    threads = [
        (f"threads/thread-{n:04d}.json", thread, backup_scope(thread, user))
        for n, thread in enumerate(account_threads(user), start=1)
    ]

    own_keys: dict[int, str] = {}
    own_rows = []
    for muse in user.muses.order_by("created_at", "pk"):
        key = f"muse-{len(own_keys) + 1}"
        own_keys[muse.pk] = key
        avatar, icons = _pictures(key, muse, list(muse.icons.order_by("created_at", "pk")), media)
        own_rows.append(
            {
                "key": key,
                **muse_fields(muse),
                "created_at": format_datetime(muse.created_at),
                "archived_at": format_datetime(muse.archived_at),
                "avatar": avatar,
                "icons": icons,
            }
        )

    # Partners' muses get a key across the whole backup so a muse met in two threads is
    # restored once. Their words live in the thread files; here are only their pictures:
    # the avatar and the icons their posts in these threads chose.
    other_keys: dict[int, str] = {}
    thread_rows = []
    states = {state.thread_id: state for state in ThreadWriterState.objects.filter(writer=user)}
    icon_ids: set[int] = set()
    for path, thread, scope in threads:
        refs = thread_muse_refs(thread, scope)
        icon_ids |= exported_icon_ids(thread, scope)
        mapping = {}
        for muse_id, ref in refs.items():
            if muse_id not in own_keys and muse_id not in other_keys:
                other_keys[muse_id] = f"other-{len(other_keys) + 1}"
            mapping[ref] = own_keys.get(muse_id) or other_keys[muse_id]
        state = states.get(thread.pk)
        thread_rows.append(
            {
                "file": path,
                "muses": mapping,
                "state": {
                    "is_pinned": state.is_pinned,
                    "is_muted": state.is_muted,
                    "last_read_number": state.last_read_number,
                    "remind_after_days": state.remind_after_days,
                }
                if state
                else None,
            }
        )

    thread_ids = [thread.pk for _, thread, _ in threads]
    other_muses = Muse.objects.select_related("owner").in_bulk(list(other_keys))
    other_rows = []
    for muse_id, key in other_keys.items():
        muse = other_muses[muse_id]
        used = list(
            MuseIcon.objects.filter(muse=muse, pk__in=icon_ids).order_by("created_at", "pk")
        )
        avatar, icons = _pictures(key, muse, used, media)
        other_rows.append(
            {
                "key": key,
                "name": muse.name,
                "writer": muse.owner.username,
                "avatar": avatar,
                "icons": icons,
            }
        )

    files = {thread.pk: path for path, thread, _ in threads}
    draft_rows = []
    drafts = Draft.objects.filter(writer=user, thread_id__in=thread_ids).select_related("icon")
    # One draft per thread, so the thread's file name orders them whatever the ids.
    for draft in sorted(drafts, key=lambda d: files[d.thread_id]):
        draft_rows.append(
            {
                "thread": files[draft.thread_id],
                # A draft's muse is one of the writer's own (it is who they will post as).
                "muse": own_keys.get(draft.muse_id) if draft.muse_id else None,
                "icon": draft.icon.keywords if draft.icon else None,
                "body": draft.body,
                "updated_at": format_datetime(draft.updated_at),
            }
        )

    account = {
        "format": ACCOUNT_FORMAT,
        "schema_version": BACKUP_SCHEMA_VERSION,
        "exported_at": format_datetime(exported_at),
        "generator": GENERATOR,
        "profile": {
            "username": user.username,
            "email": user.email,
            "display_name": user.display_name,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "time_zone": user.time_zone,
            "bio": user.bio,
            "date_joined": format_datetime(user.date_joined),
        },
        "preferences": {
            "theme": user.theme,
            "reading_font": user.reading_font,
            "reading_size": user.reading_size,
            "notifications": _notification_preferences(user),
        },
        "muses": own_rows,
        "other_muses": other_rows,
        "threads": thread_rows,
        "drafts": draft_rows,
        "tracked": _tracked_rows(user, own_keys, files),
    }
    return _Plan(account=account, media=media, threads=threads)


def _tracked_rows(user: User, own_keys: dict[int, str], files: dict[int, str]) -> list[dict]:
    """The writer's threads kept elsewhere, archived ones too, oldest first.

    ``remind_at`` is left out: it is derived from the rest and the writer's usual reminder,
    and a restore schedules it again.
    """
    rows = []
    for tracked in TrackedThread.objects.filter(writer=user).order_by("created_at", "pk"):
        rows.append(
            {
                "title": tracked.title,
                "url": tracked.url,
                "site": tracked.site,
                "partner": tracked.partner,
                # Always one of the writer's own muses; should any other be there, it is
                # left out rather than named in this writer's file.
                "muse": own_keys.get(tracked.muse_id) if tracked.muse_id else None,
                "tags": tracked.tags,
                "turn": tracked.turn,
                "turn_since": format_datetime(tracked.turn_since),
                "remind_after_days": tracked.remind_after_days,
                "notes": tracked.notes,
                "archived_at": format_datetime(tracked.archived_at),
                "created_at": format_datetime(tracked.created_at),
                # The thread its text moved to, when this backup carries it; a thread the
                # writer has no part in any more is not theirs to take along.
                "converted_to": files.get(tracked.converted_to_id)
                if tracked.converted_to_id
                else None,
            }
        )
    return rows


def write_account_backup(
    user: User,
    destination: BinaryIO,
    *,
    progress: Progress | None = None,
    exported_at: datetime | None = None,
) -> None:
    """Write ``user``'s backup zip to ``destination`` (any writable binary file object).

    ``progress(done, total)`` is called once before the first file and after every file
    written; ``total`` counts account.json, every picture, every thread and the manifest.
    """
    exported_at = exported_at or timezone.now()
    plan = _plan(user, exported_at)
    total = 1 + len(plan.media) + len(plan.threads) + 1
    done = 0
    listed: list[dict] = []

    def report() -> None:
        if progress is not None:
            progress(done, total)

    report()
    with zipfile.ZipFile(destination, "w") as archive:

        def put(path: str, data: bytes, *, compress: bool = True) -> None:
            nonlocal done
            # Pictures are already compressed; deflating them again only costs time.
            archive.writestr(zip_entry(path, compress=compress), data, compresslevel=6)
            listed.append(
                {"path": path, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
            )
            done += 1
            report()

        # Sorted by path ("account.json" < "media/…" < "threads/…"), manifest last.
        put("account.json", dump_json(plan.account))
        for path in sorted(plan.media):
            put(path, plan.media[path], compress=False)
        for path, thread, scope in plan.threads:
            document = thread_to_json(thread, exported_at=exported_at, scope=scope)
            put(path, dump_json(document))
        manifest = {
            "format": BACKUP_FORMAT,
            "schema_version": BACKUP_SCHEMA_VERSION,
            "exported_at": format_datetime(exported_at),
            "generator": GENERATOR,
            "username": user.username,
            "files": listed,
        }
        archive.writestr(zip_entry("manifest.json", compress=True), dump_json(manifest))
        done += 1
        report()
