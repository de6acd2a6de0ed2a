"""Restoring a thread JSON or an account backup zip into this instance (admins only).

Two stages, so a bad file never leaves half a restore behind:

1. ``read_restore_file`` reads and checks everything without touching the database: zip
   entry names (before reading any data), sizes (zip bombs), the manifest and every file's
   checksum, the JSON itself, the format and schema version, and that every reference in
   the documents points at something the file defines. Any problem is a ``RestoreError``
   whose message is a sentence an admin can act on.
2. ``restore`` maps the usernames (refusing silent clashes), then creates everything in one
   transaction: writers that do not exist here, fresh muses, threads with their posts,
   revisions, turn events and OOC talk, the writer's threads kept elsewhere. Rows are
   written directly, so restoring announces nothing -- no notifications, no live updates.
   Pictures saved before a failure are deleted again.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import re
import uuid
import zipfile
import zoneinfo
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO, TypeVar

import pydantic
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import DataError, IntegrityError, transaction
from PIL import Image, UnidentifiedImageError

from tandem.accounts.models import ReadingFont, ReadingSize, Theme, User
from tandem.accounts.services import email_taken
from tandem.exports.archive import MUSE_FIELDS, SCHEMA_VERSION, THREAD_FORMAT
from tandem.exports.backup import ACCOUNT_FORMAT, BACKUP_FORMAT, BACKUP_SCHEMA_VERSION
from tandem.exports.schema import (
    MAX_INTEGER,
    MAX_NESTING,
    MuseFields,
    ThreadDocument,
    validation_problem,
)
from tandem.muses.avatars import ACCEPTED_FORMATS, MAX_PIXELS
from tandem.muses.models import Muse, MuseIcon
from tandem.notifications.models import Channel, Kind, NotificationSettings
from tandem.threads.models import (
    OocMessage,
    Participant,
    Post,
    PostRevision,
    Tag,
    TagCategory,
    Thread,
    ThreadWriterState,
    TurnEvent,
    new_public_id,
)
from tandem.threads.services import (
    history_write,
    normalise_tag,
    tags_for,
    thread_recount_words,
)
from tandem.tracking import services as tracking
from tandem.tracking.models import TrackedThread, Turn
from tandem.writing import markup
from tandem.writing.models import Draft

__all__ = [
    "BackupFile",
    "RestoreError",
    "RestoreReport",
    "ThreadFile",
    "read_restore_file",
    "restore",
]

#: Refuse a zip that would unpack to more than this, before unpacking anything.
MAX_UNCOMPRESSED_BYTES = 500 * 1024 * 1024
#: …or one entry that expands more than this many times (only checked past 1 MB: small
#: JSON files legitimately compress very well).
MAX_COMPRESSION_RATIO = 200
RATIO_CHECKED_FROM = 1024 * 1024
MAX_ENTRIES = 20_000
IMAGE_SUFFIXES = {".webp": "WEBP", ".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".gif": "GIF"}

Progress = Callable[[int, int], None]
_Model = TypeVar("_Model", bound=pydantic.BaseModel)


class RestoreError(ValueError):
    """A file that cannot be restored. The message says why, as a sentence."""


# ============================================================================ parsed data


@dataclass(frozen=True)
class ThreadData:
    """A thread document that passed every check (``tandem.exports.schema``)."""

    label: str  # what messages call it: "The thread file", or its path in a backup
    document: ThreadDocument


@dataclass(frozen=True)
class ThreadFile:
    """A ``tandem-thread`` document, read and checked."""

    thread: ThreadData

    def usernames(self) -> list[str]:
        return [writer.username for writer in self.thread.document.writers]


@dataclass(frozen=True)
class IconData:
    keywords: str
    created_at: datetime
    image: str  # path inside the zip


@dataclass(frozen=True)
class OwnMuseData:
    key: str
    name: str
    pronouns: str
    fandom: str
    nicknames: str
    bio: str
    accent_colour: str
    card_data: dict
    created_at: datetime
    archived_at: datetime | None
    avatar: str | None
    icons: list[IconData]


@dataclass(frozen=True)
class OtherMuseData:
    key: str
    writer: str
    avatar: str | None
    icons: list[IconData]


@dataclass(frozen=True)
class ThreadStateData:
    is_pinned: bool
    is_muted: bool
    last_read_number: int
    remind_after_days: int | None


@dataclass(frozen=True)
class BackupThread:
    file: str
    muses: dict[str, str]  # thread-local muse ref → backup-wide muse key
    state: ThreadStateData | None
    thread: ThreadData


@dataclass(frozen=True)
class DraftData:
    thread: str
    muse: str | None
    icon: str | None
    body: str
    updated_at: datetime


@dataclass(frozen=True)
class TrackedData:
    label: str  # where it sits in account.json, for error messages
    title: str
    url: str
    site: str
    partner: str
    muse: str | None  # own muse key
    tags: str
    turn: str
    turn_since: datetime
    remind_after_days: int | None
    notes: str
    archived_at: datetime | None
    created_at: datetime
    converted_to: str | None  # thread file


@dataclass(frozen=True)
class NotificationData:
    channels: dict[str, list[str]]
    daily_digest: bool
    quiet_hours_start: time | None
    quiet_hours_end: time | None
    reminder_days: int | None


@dataclass(frozen=True)
class ProfileData:
    username: str
    email: str
    display_name: str
    first_name: str
    last_name: str
    time_zone: str
    bio: str
    date_joined: datetime
    theme: str
    reading_font: str
    reading_size: str
    notifications: NotificationData | None


@dataclass(frozen=True)
class BackupFile:
    """A ``tandem-backup`` zip, read and checked: every file matched its checksum."""

    profile: ProfileData
    muses: list[OwnMuseData]
    other_muses: list[OtherMuseData]
    threads: list[BackupThread]
    drafts: list[DraftData]
    tracked: list[TrackedData]
    media: dict[str, bytes] = field(repr=False)

    def usernames(self) -> list[str]:
        names = {self.profile.username.lower(): self.profile.username}
        for entry in self.threads:
            for writer in entry.thread.document.writers:
                names.setdefault(writer.username.lower(), writer.username)
        return list(names.values())


# ============================================================================ field checks


def _check_storable(value: Any, where: str, depth: int = 0) -> None:
    """Refuse text no database here can store, wherever it sits in a JSON value."""
    if depth > MAX_NESTING:
        raise RestoreError(f"{where} nests more than {MAX_NESTING} levels deep.")
    if isinstance(value, str):
        # PostgreSQL stores no NUL, and a lone surrogate is not Unicode text at all.
        if "\x00" in value:
            raise RestoreError(f"{where} contains a NUL character.")
        try:
            value.encode()
        except UnicodeEncodeError:
            raise RestoreError(f"{where} contains text that is not valid Unicode.") from None
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_storable(key, where, depth + 1)
            _check_storable(item, where, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _check_storable(item, where, depth + 1)


def _max_length(model, name: str) -> int:
    return model._meta.get_field(name).max_length


def _parse_datetime(text: str) -> datetime | None:
    try:
        value = datetime.fromisoformat(text)
        if value.tzinfo is None:
            return None
        return value.astimezone(UTC)
    except (ValueError, OverflowError):
        return None


class _Obj:
    """One JSON object being read, and where it sits, for error messages."""

    def __init__(self, value: Any, where: str) -> None:
        if not isinstance(value, dict):
            raise RestoreError(f"{where} should be a JSON object.")
        self.value, self.where = value, where

    def _get(self, key: str) -> Any:
        if key not in self.value:
            raise RestoreError(f"{self.where} has no “{key}”.")
        return self.value[key]

    def _wrong(self, key: str, what: str) -> RestoreError:
        return RestoreError(f"{self.where}: “{key}” should be {what}.")

    def text(
        self, key: str, *, max_length: int | None = None, required: bool = False, null=False
    ) -> str:
        value = self._get(key)
        if value is None and null:
            return None
        if not isinstance(value, str):
            raise self._wrong(key, "text")
        if required and not value.strip():
            raise RestoreError(f"{self.where}: “{key}” is empty.")
        if max_length is not None and len(value) > max_length:
            raise RestoreError(
                f"{self.where}: “{key}” is {len(value):,} characters; at most {max_length:,} fit."
            )
        _check_storable(value, f"{self.where}: “{key}”")
        return value

    def integer(
        self, key: str, *, null: bool = False, minimum: int = 0, maximum: int = MAX_INTEGER
    ):
        value = self._get(key)
        if value is None and null:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise self._wrong(key, "a whole number")
        if not minimum <= value <= maximum:
            raise self._wrong(key, f"between {minimum} and {maximum:,}")
        return value

    def boolean(self, key: str) -> bool:
        value = self._get(key)
        if not isinstance(value, bool):
            raise self._wrong(key, "true or false")
        return value

    def when(self, key: str, *, null: bool = False) -> datetime | None:
        value = self._get(key)
        if value is None and null:
            return None
        parsed = _parse_datetime(value) if isinstance(value, str) else None
        if parsed is None:
            raise self._wrong(key, "a date and time like 2025-01-31T18:30:00.000000Z")
        return parsed

    def time_of_day(self, key: str) -> time | None:
        value = self._get(key)
        if value is None:
            return None
        try:
            parsed = time.fromisoformat(value)
        except (TypeError, ValueError):
            parsed = None
        # Quiet hours are wall-clock times in the writer's own zone, never offset times.
        if parsed is None or parsed.tzinfo is not None:
            raise self._wrong(key, "a time like 22:30:00")
        return parsed

    def choice(self, key: str, choices) -> str:
        value = self._get(key)
        if value not in choices.values:
            raise self._wrong(key, "one of " + ", ".join(choices.values))
        return value

    def items(self, key: str, noun: str, *, optional: bool = False) -> list[_Obj]:
        if optional and key not in self.value:
            return []
        value = self._get(key)
        if not isinstance(value, list):
            raise self._wrong(key, "a list")
        return [_Obj(item, f"{self.where}, {noun} {n}") for n, item in enumerate(value, 1)]

    def mapping(self, key: str) -> dict:
        value = self._get(key)
        if not isinstance(value, dict):
            raise self._wrong(key, "a JSON object")
        _check_storable(value, f"{self.where}: “{key}”")
        return value

    def obj(self, key: str, *, null: bool = False) -> _Obj | None:
        value = self._get(key)
        if value is None and null:
            return None
        return _Obj(value, f"{self.where}, {key}")


class _NotJson(ValueError):
    pass


def _no_constant(name: str):
    # Python's reader accepts these; JSON (and PostgreSQL's jsonb) do not.
    raise _NotJson(f"it contains {name}, which JSON does not allow")


def _load_json(raw: bytes, label: str) -> Any:
    if not raw.strip():
        raise RestoreError(f"{label} is empty.")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise RestoreError(
            f"{label} is not UTF-8 text (unreadable byte at position {error.start:,})."
        ) from None
    try:
        return json.loads(text, parse_constant=_no_constant)
    except _NotJson as error:
        raise RestoreError(f"{label} is not valid JSON: {error}.") from None
    except json.JSONDecodeError as error:
        raise RestoreError(
            f"{label} is not valid JSON: {error.msg} at line {error.lineno}, column {error.colno}."
        ) from None
    except RecursionError:
        raise RestoreError(f"{label} nests too deeply to be a Tandem file.") from None


_FORMAT_NAMES = {
    THREAD_FORMAT: "a thread export",
    BACKUP_FORMAT: "the manifest of an account backup",
    ACCOUNT_FORMAT: "the account file of an account backup",
}


def _check_header(document: Any, expected: str, label: str) -> int:
    """Refuse anything that is not a Tandem file of the expected kind and a known schema;
    return the file's schema version."""
    if not isinstance(document, dict) or "format" not in document:
        raise RestoreError(
            f"{label} is not a Tandem file: it does not say which format it is (no “format” field)."
        )
    found = document["format"]
    if not isinstance(found, str):
        raise RestoreError(f"{label} is not a Tandem file: its “format” is not text.")
    if found != expected:
        if expected == THREAD_FORMAT and found in (BACKUP_FORMAT, ACCOUNT_FORMAT):
            raise RestoreError(
                f"{label} is {_FORMAT_NAMES[found]}; restore the whole backup .zip instead."
            )
        raise RestoreError(
            f"{label} is not {_FORMAT_NAMES[expected]}: its format is “{found}”, not “{expected}”."
        )
    version = document.get("schema_version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise RestoreError(f"{label} has no valid “schema_version”.")
    # A backup's own files have their own version; the thread files inside it do not.
    newest = SCHEMA_VERSION if expected == THREAD_FORMAT else BACKUP_SCHEMA_VERSION
    if version > newest:
        raise RestoreError(
            f"This file was written by a newer Tandem (schema {version}); this instance "
            f"reads schema {newest}. Upgrade Tandem to restore it."
        )
    return version


def _ref(obj: _Obj, key: str, known, what: str, *, null: bool = False) -> str | None:
    ref = obj.text(key, null=null)
    if ref is None:
        return None
    if ref not in known:
        raise RestoreError(f"{obj.where} refers to {what} “{ref}”, which the file does not list.")
    return ref


def _unique(ref: str, seen: set, what: str, where: str) -> None:
    if ref in seen:
        raise RestoreError(f"{where}: {what} “{ref}” appears twice.")
    seen.add(ref)


# ============================================================================ thread JSON


def _validated(model: type[_Model], value: Any, label: str) -> _Model:
    """``value`` checked by ``model``; its first problem, if any, as a ``RestoreError``."""
    try:
        return model.model_validate(value)
    except pydantic.ValidationError as error:
        raise RestoreError(validation_problem(error, label, value)) from None


def _muse_fields(item: _Obj) -> dict[str, Any]:
    """The fields every muse record carries, checked as a thread JSON muse's are."""
    return _validated(MuseFields, item.value, item.where).model_dump()


def parse_thread(document: Any, label: str) -> ThreadData:
    """Check a ``tandem-thread`` document and turn it into ``ThreadData``."""
    _check_header(document, THREAD_FORMAT, label)
    checked = _validated(ThreadDocument, document, label)
    _check_references(checked, label)
    return ThreadData(label, checked)


def _check_references(document: ThreadDocument, label: str) -> None:
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

    def known(ref: str | None, refs: set[str], what: str, where: str) -> None:
        if ref is not None and ref not in refs:
            raise RestoreError(f"{where} refers to {what} “{ref}”, which the file does not list.")

    muses: set[str] = set()
    for n, muse in enumerate(document.muses, 1):
        _unique(muse.ref, muses, "muse", label)
        known_writer(muse.writer, f"{label}, muse {n}")

    participants: set[str] = set()
    muses_in: set[str] = set()
    for n, participant in enumerate(document.participants, 1):
        where = f"{label}, participant {n}"
        _unique(participant.ref, participants, "participant", label)
        known(participant.muse, muses, "muse", where)
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
        known(post.participant, participants, "participant", where)
        known(post.muse, muses, "muse", where)
        known_writer(post.author, where)

    for n, event in enumerate(document.turn_events, 1):
        where = f"{label}, turn event {n}"
        for ref in event.order or ():
            if ref not in participants:
                raise RestoreError(
                    f"{where}: the posting order names participant “{ref}”, which the file "
                    "does not list."
                )
        known(event.participant, participants, "participant", where)
        known_writer(event.actor, where)

    for n, message in enumerate(document.ooc, 1):
        known_writer(message.author, f"{label}, OOC message {n}")
    known_writer(document.thread.owner, f"{label}, thread")


# ============================================================================ backup zip

_DRIVE = re.compile(r"^[A-Za-z]:")


def _safe_name(name: str) -> bool:
    """A relative POSIX path that stays inside wherever it is unpacked."""
    return not (
        not name
        or len(name) > 255
        or "\\" in name
        or ":" in name  # drive letters, and NTFS alternate streams
        or _DRIVE.match(name)
        or name.startswith("/")
        or any(ord(char) < 32 for char in name)
        or any(part in ("", ".", "..") for part in name.split("/"))
    )


def _check_entries(archive: zipfile.ZipFile) -> dict[str, zipfile.ZipInfo]:
    """Names, duplicates, encryption and sizes, from the central directory alone."""
    infos = archive.infolist()
    if len(infos) > MAX_ENTRIES:
        raise RestoreError(
            f"The zip holds {len(infos):,} files; a backup has at most {MAX_ENTRIES:,}."
        )
    entries: dict[str, zipfile.ZipInfo] = {}
    for info in infos:
        for name in (info.orig_filename, info.filename):
            if not _safe_name(name):
                raise RestoreError(
                    f"The zip holds a file with an unsafe name ({name!r}): it could write "
                    "outside the folder it is unpacked in. Nothing was read from it."
                )
        if info.filename in entries:
            raise RestoreError(f"The zip holds “{info.filename}” twice.")
        entries[info.filename] = info
    total = sum(info.file_size for info in infos)
    if total > MAX_UNCOMPRESSED_BYTES:
        raise RestoreError(
            f"The zip would unpack to {total / 1_048_576:,.0f} MB; a backup may unpack to at "
            f"most {MAX_UNCOMPRESSED_BYTES // 1_048_576:,} MB."
        )
    for info in infos:
        if info.flag_bits & 0x1:
            raise RestoreError(f"“{info.filename}” in the zip is encrypted.")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise RestoreError(f"“{info.filename}” uses a compression Tandem does not read.")
        if info.file_size > RATIO_CHECKED_FROM and info.file_size > MAX_COMPRESSION_RATIO * max(
            info.compress_size, 1
        ):
            raise RestoreError(
                f"“{info.filename}” expands {info.file_size // max(info.compress_size, 1):,} "
                "times when unpacked, which only a zip bomb does."
            )
    return entries


def _read_entry(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    try:
        with archive.open(info) as handle:
            # Never more than the size the directory declared, whatever the stream says.
            data = handle.read(info.file_size + 1)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as error:
        raise RestoreError(f"“{info.filename}” in the zip is damaged ({error}).") from None
    if len(data) != info.file_size:
        raise RestoreError(f"“{info.filename}” in the zip is damaged (its size is wrong).")
    return data


def _manifest_files(manifest: dict) -> dict[str, tuple[str, int]]:
    root = _Obj(manifest, "manifest.json")
    files: dict[str, tuple[str, int]] = {}
    for item in root.items("files", "file"):
        path = item.text("path", required=True)
        if not _safe_name(path) or path == "manifest.json":
            raise RestoreError(f"manifest.json lists an unsafe file name ({path!r}).")
        digest = item.text("sha256")
        if not re.fullmatch(r"[0-9a-f]{64}", digest):
            raise RestoreError(f"manifest.json: the checksum of “{path}” is not a sha256.")
        _unique(path, set(files), "file", "manifest.json")
        files[path] = (digest, item.integer("size"))
    return files


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


def _picture(obj: _Obj, key: str, media: dict[str, bytes], *, null: bool = False) -> str | None:
    path = obj.text(key, null=null)
    if path is None:
        return None
    if path not in media:
        raise RestoreError(f"{obj.where}: the picture “{path}” is not in the backup.")
    _check_image(path, media[path])
    return path


def _icons(obj: _Obj, media: dict[str, bytes]) -> list[IconData]:
    return [
        IconData(
            keywords=item.text(
                "keywords", required=True, max_length=_max_length(MuseIcon, "keywords")
            ),
            created_at=item.when("created_at"),
            image=_picture(item, "image", media),
        )
        for item in obj.items("icons", "icon")
    ]


def _profile(account: _Obj) -> ProfileData:
    profile = account.obj("profile")
    preferences = account.obj("preferences")
    time_zone = profile.text("time_zone", required=True)
    if time_zone not in zoneinfo.available_timezones():
        raise RestoreError(f"{profile.where}: “{time_zone}” is not a time zone Tandem knows.")
    notifications = None
    prefs = preferences.obj("notifications", null=True)
    if prefs is not None:
        channels = {}
        for kind, chosen in prefs.mapping("channels").items():
            if kind not in Kind.values:
                raise RestoreError(f"{prefs.where}: unknown notification kind “{kind}”.")
            if not isinstance(chosen, list) or any(c not in Channel.values for c in chosen):
                raise RestoreError(f"{prefs.where}: the channels for “{kind}” are not valid.")
            channels[kind] = chosen
        notifications = NotificationData(
            channels=channels,
            daily_digest=prefs.boolean("daily_digest"),
            quiet_hours_start=prefs.time_of_day("quiet_hours_start"),
            quiet_hours_end=prefs.time_of_day("quiet_hours_end"),
            reminder_days=prefs.integer("reminder_days", null=True, maximum=32767),
        )
    return ProfileData(
        username=profile.text("username", required=True),
        email=profile.text("email", max_length=_max_length(User, "email")),
        display_name=profile.text("display_name", max_length=_max_length(User, "display_name")),
        first_name=profile.text("first_name", max_length=_max_length(User, "first_name")),
        last_name=profile.text("last_name", max_length=_max_length(User, "last_name")),
        time_zone=time_zone,
        bio=profile.text("bio", max_length=_max_length(User, "bio")),
        date_joined=profile.when("date_joined"),
        theme=preferences.choice("theme", Theme),
        reading_font=preferences.choice("reading_font", ReadingFont),
        reading_size=preferences.choice("reading_size", ReadingSize),
        notifications=notifications,
    )


def _parse_backup(manifest: dict, files: dict[str, bytes]) -> BackupFile:
    if "account.json" not in files:
        raise RestoreError("The backup has no account.json.")
    document = _load_json(files["account.json"], "account.json")
    version = _check_header(document, ACCOUNT_FORMAT, "account.json")
    account = _Obj(document, "account.json")
    profile = _profile(account)
    owner = _Obj(manifest, "manifest.json").text("username")
    if owner != profile.username:
        raise RestoreError(
            f"manifest.json is for “{owner}” but account.json for “{profile.username}”."
        )

    own: dict[str, OwnMuseData] = {}
    for item in account.items("muses", "muse"):
        key = item.text("key", required=True)
        _unique(key, set(own), "muse key", "account.json")
        own[key] = OwnMuseData(
            key=key,
            **_muse_fields(item),
            created_at=item.when("created_at"),
            archived_at=item.when("archived_at", null=True),
            avatar=_picture(item, "avatar", files, null=True),
            icons=_icons(item, files),
        )
    others: dict[str, OtherMuseData] = {}
    for item in account.items("other_muses", "partner muse"):
        key = item.text("key", required=True)
        if key in own:
            raise RestoreError(f"{item.where}: the muse key “{key}” is used twice.")
        _unique(key, set(others), "muse key", "account.json")
        others[key] = OtherMuseData(
            key=key,
            writer=item.text("writer", required=True),
            avatar=_picture(item, "avatar", files, null=True),
            icons=_icons(item, files),
        )

    threads: list[BackupThread] = []
    for item in account.items("threads", "thread"):
        path = item.text("file", required=True)
        _unique(path, {entry.file for entry in threads}, "thread file", "account.json")
        if path not in files:
            raise RestoreError(f"account.json lists “{path}”, which is not in the backup.")
        thread = parse_thread(_load_json(files[path], path), path)
        mapping = item.mapping("muses")
        for muse in thread.document.muses:
            key = mapping.get(muse.ref)
            if not isinstance(key, str):
                key = None
            if key in own:
                if muse.writer != profile.username:
                    raise RestoreError(
                        f"{path}: muse {muse.ref} is {muse.writer}'s, but account.json "
                        f"says it is {profile.username}'s own {key}."
                    )
            elif key in others:
                if muse.writer != others[key].writer:
                    raise RestoreError(
                        f"{path}: muse {muse.ref} is {muse.writer}'s, but account.json "
                        f"says it is {others[key].writer}'s {key}."
                    )
            else:
                raise RestoreError(f"account.json does not say which muse {muse.ref} of {path} is.")
        state = item.obj("state", null=True)
        threads.append(
            BackupThread(
                file=path,
                muses={muse.ref: mapping[muse.ref] for muse in thread.document.muses},
                state=ThreadStateData(
                    is_pinned=state.boolean("is_pinned"),
                    is_muted=state.boolean("is_muted"),
                    last_read_number=state.integer("last_read_number"),
                    remind_after_days=state.integer(
                        "remind_after_days", null=True, minimum=1, maximum=365
                    ),
                )
                if state
                else None,
                thread=thread,
            )
        )
    thread_files = {entry.file for entry in threads}
    drafts = []
    drafted: set[str] = set()
    for item in account.items("drafts", "draft"):
        thread_file = _ref(item, "thread", thread_files, "thread file")
        # A writer has one draft per thread.
        _unique(thread_file, drafted, "draft for", "account.json")
        drafts.append(
            DraftData(
                thread=thread_file,
                muse=_ref(item, "muse", own, "muse", null=True),
                icon=item.text("icon", null=True),
                body=item.text("body"),
                updated_at=item.when("updated_at"),
            )
        )
    return BackupFile(
        profile=profile,
        muses=list(own.values()),
        other_muses=list(others.values()),
        threads=threads,
        drafts=drafts,
        # Schema 1 backups were written before threads kept elsewhere were backed up.
        tracked=_tracked(account, own, thread_files, optional=version < 2),
        media=files,
    )


def _tracked(
    account: _Obj, own: dict[str, OwnMuseData], thread_files: set[str], *, optional: bool
) -> list[TrackedData]:
    """The writer's threads kept elsewhere, checked as far as can be without a database."""
    if isinstance(account.value.get("tracked"), list):
        count = len(account.value["tracked"])
        # Counted before reading any entry: a restore adds them all or none.
        if count > tracking.MAX_TRACKED_PER_WRITER:
            raise RestoreError(
                f"account.json holds {count:,} threads kept elsewhere; a writer keeps at "
                f"most {tracking.MAX_TRACKED_PER_WRITER:,}."
            )
    url_field = TrackedThread._meta.get_field("url")
    rows = []
    for item in account.items("tracked", "thread kept elsewhere", optional=optional):
        url = item.text("url", max_length=_max_length(TrackedThread, "url"))
        if url:
            try:
                # The model's own link rule, checked here so the file is refused unopened.
                url_field.run_validators(url)
            except ValidationError:
                raise RestoreError(
                    f"{item.where}: “{url[:80]}” is not a web link like https://example.com/."
                ) from None
        rows.append(
            TrackedData(
                label=item.where,
                title=item.text(
                    "title", required=True, max_length=_max_length(TrackedThread, "title")
                ),
                url=url,
                site=item.text("site", max_length=_max_length(TrackedThread, "site")),
                partner=item.text("partner", max_length=_max_length(TrackedThread, "partner")),
                muse=_ref(item, "muse", own, "muse", null=True),
                tags=item.text("tags", max_length=_max_length(TrackedThread, "tags")),
                turn=item.choice("turn", Turn),
                turn_since=item.when("turn_since"),
                # The model's rule (1 or more) up to what its small integer column holds;
                # null means the writer's usual reminder.
                remind_after_days=item.integer(
                    "remind_after_days", null=True, minimum=1, maximum=32767
                ),
                notes=item.text("notes", max_length=_max_length(TrackedThread, "notes")),
                archived_at=item.when("archived_at", null=True),
                created_at=item.when("created_at"),
                converted_to=_ref(item, "converted_to", thread_files, "thread file", null=True),
            )
        )
    return rows


def _read_backup(handle: BinaryIO) -> BackupFile:
    try:
        archive = zipfile.ZipFile(handle)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError):
        raise RestoreError(
            "The file starts like a zip but cannot be read as one; it may be cut short or damaged."
        ) from None
    with archive:
        entries = _check_entries(archive)
        if "manifest.json" not in entries:
            raise RestoreError(
                "The zip has no manifest.json, so it is not a Tandem account backup."
            )
        manifest = _load_json(_read_entry(archive, entries["manifest.json"]), "manifest.json")
        _check_header(manifest, BACKUP_FORMAT, "manifest.json")
        listed = _manifest_files(manifest)
        for path in listed:
            if path not in entries:
                raise RestoreError(
                    f"manifest.json lists “{path}”, which the zip does not contain; the "
                    "backup is incomplete."
                )
        for path in entries:
            if path != "manifest.json" and path not in listed:
                raise RestoreError(
                    f"The zip contains “{path}”, which manifest.json does not list; refusing "
                    "a backup that may have been altered."
                )
        files = {}
        for path, (digest, size) in listed.items():
            data = _read_entry(archive, entries[path])
            if len(data) != size or hashlib.sha256(data).hexdigest() != digest:
                raise RestoreError(
                    f"“{path}” does not match its checksum in manifest.json; the backup is "
                    "damaged or was altered."
                )
            files[path] = data
    return _parse_backup(manifest, files)


@contextlib.contextmanager
def _opened(source: bytes | str | Path | BinaryIO) -> Iterator[BinaryIO]:
    if isinstance(source, bytes | bytearray | memoryview):
        yield io.BytesIO(bytes(source))
    elif isinstance(source, str | Path):
        path = Path(source)
        if not path.is_file():
            raise RestoreError(f"There is no file at {path}.")
        with path.open("rb") as handle:
            yield handle
    else:
        # An upload or a pipe: the zip reader needs to seek, so copy what cannot.
        seekable = getattr(source, "seekable", lambda: False)()
        yield source if seekable else io.BytesIO(source.read(MAX_UNCOMPRESSED_BYTES + 1))


def read_restore_file(data_or_path: bytes | str | Path | BinaryIO) -> ThreadFile | BackupFile:
    """Read and check a thread JSON or a backup zip (told apart by their first bytes).

    Touches no database. Raises ``RestoreError`` for anything that cannot be restored.
    """
    with _opened(data_or_path) as handle:
        start = handle.tell()
        head = handle.read(4)
        handle.seek(start)
        if head.startswith(b"PK"):
            return _read_backup(handle)
        raw = handle.read(MAX_UNCOMPRESSED_BYTES + 1)
    if len(raw) > MAX_UNCOMPRESSED_BYTES:
        raise RestoreError(
            f"The file is larger than {MAX_UNCOMPRESSED_BYTES // 1_048_576:,} MB; that is "
            "more than a Tandem thread export can be."
        )
    return ThreadFile(parse_thread(_load_json(raw, "The file"), "The thread file"))


# ============================================================================ usernames


@dataclass(frozen=True)
class _Account:
    source: str  # the username in the file
    target: str  # the username here
    existing: User | None  # set when the file's writer is attached to this account


def _resolve_usernames(usernames: list[str], username_map: dict[str, str]) -> list[_Account]:
    """Who every writer in the file becomes here. Refuses clashes nobody asked for."""
    mapping: dict[str, str] = {}
    for old, new in username_map.items():
        old, new = str(old).strip().lstrip("@"), str(new).strip().lstrip("@")
        if not old or not new:
            raise RestoreError("Every username mapping needs a name on both sides (old=new).")
        mapping[old.lower()] = new
    in_file = {name.lower() for name in usernames}
    unknown = sorted(name for name in mapping if name not in in_file)
    if unknown:
        raise RestoreError(
            f"The username map names {', '.join(unknown)}, who "
            f"{'is' if len(unknown) == 1 else 'are'} not in this file. Its writers are: "
            f"{', '.join(usernames)}."
        )
    accounts, clashes, targets = [], [], {}
    for name in usernames:
        explicit = name.lower() in mapping
        target = mapping.get(name.lower(), name)
        if target.lower() in targets:
            raise RestoreError(
                f"Both {targets[target.lower()]} and {name} would become {target}; map them "
                "to different usernames."
            )
        targets[target.lower()] = name
        existing = User.objects.filter(username__iexact=target).first()
        if existing is not None and not explicit:
            clashes.append(name)
            continue
        if existing is None:
            try:
                User.username_validator(target)
            except ValidationError:
                raise RestoreError(
                    f"“{target}” cannot be a username: use letters, digits and @ . + - _ only."
                ) from None
            if len(target) > _max_length(User, "username"):
                raise RestoreError(f"“{target}” is too long for a username.")
        accounts.append(_Account(name, target, existing))
    if clashes:
        clashes.sort(key=str.lower)
        first = clashes[0]
        if len(clashes) == 1:
            raise RestoreError(
                f"This username already exists here: {first}. Map it to a new name "
                f"(--map {first}={first}2) or, to attach to the existing account, map it to "
                f"itself (--map {first}={first})."
            )
        raise RestoreError(
            f"These usernames already exist here: {', '.join(clashes)}. Map them to new "
            f"names (--map {first}={first}2) or, to attach to the existing accounts, map "
            f"them to themselves (--map {first}={first})."
        )
    return accounts


# ============================================================================ restoring


@dataclass
class RestoreReport:
    """What a restore created, for the CLI and the admin page to show."""

    users_created: list[str] = field(default_factory=list)
    users_attached: list[str] = field(default_factory=list)
    muses: int = 0
    threads: list[str] = field(default_factory=list)  # public ids, as restored
    posts: int = 0
    tracked: int = 0  # threads kept elsewhere
    # Old public id → new one, for threads whose id was already taken here.
    public_ids_changed: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        """What was restored, to follow "Restored: " on the page or the command line."""

        def plural(n: int, word: str) -> str:
            return f"{n:,} {word}{'' if n == 1 else 's'}"

        parts = [
            f"{plural(len(self.threads), 'thread')} with {plural(self.posts, 'post')} "
            f"and {plural(self.muses, 'muse')}."
        ]
        if self.tracked:
            parts.append(f"{plural(self.tracked, 'thread')} kept elsewhere.")
        if self.users_created:
            parts.append("New accounts: " + ", ".join(self.users_created) + ".")
        if self.users_attached:
            parts.append("Attached to existing accounts: " + ", ".join(self.users_attached) + ".")
        for old, new in self.public_ids_changed.items():
            parts.append(f"Thread {old} was restored as {new}, as {old} is taken here.")
        parts.extend(self.notes)
        return " ".join(parts)

    def summary(self) -> str:
        return f"Restored {self}"


def _sentence(error: ValidationError) -> str:
    return " ".join(error.messages)


class _Restorer:
    def __init__(self, source: ThreadFile | BackupFile, accounts: list[_Account], progress):
        self.source = source
        self.accounts = accounts
        self.progress = progress
        self.report = RestoreReport()
        self.users: dict[str, User] = {}  # file username, lowercased → account here
        self.saved: list[tuple[Any, str]] = []  # stored pictures, deleted again on failure
        self.icons: dict[int, dict[str, MuseIcon]] = {}  # muse pk → keywords → first icon
        self.dropped_icons = 0
        threads = (
            [source.thread]
            if isinstance(source, ThreadFile)
            else [entry.thread for entry in source.threads]
        )
        # Render outside the transaction: it is the slow part and needs no database.
        self.html = {
            id(item): markup.render_post(item.body)
            for thread in threads
            for item in (*thread.document.posts, *thread.document.ooc)
        }

    # ------------------------------------------------------------------ plumbing

    def run(self) -> RestoreReport:
        try:
            with transaction.atomic():
                self._restore()
        except BaseException:
            for storage, name in self.saved:
                with contextlib.suppress(OSError):
                    storage.delete(name)
            raise
        return self.report

    def _user(self, username: str) -> User:
        return self.users[username.lower()]

    def _tick(self, done: int, total: int) -> None:
        if self.progress is not None:
            self.progress(done, total)

    @staticmethod
    def _backdate(obj, **fields) -> None:
        # auto_now_add fields ignore what is assigned on insert; set them afterwards.
        type(obj).objects.filter(pk=obj.pk).update(**fields)
        for name, value in fields.items():
            setattr(obj, name, value)

    def _store(self, field_file, path: str, data: bytes) -> None:
        suffix = PurePosixPath(path).suffix.lower()
        field_file.save(f"{uuid.uuid4().hex}{suffix}", ContentFile(data), save=False)
        self.saved.append((field_file.storage, field_file.name))

    # ------------------------------------------------------------------ accounts

    def _accounts(self, display_names: dict[str, str]) -> None:
        profile = self.source.profile if isinstance(self.source, BackupFile) else None
        for account in self.accounts:
            if account.existing is not None:
                # Attaching: the account here stays exactly as it is.
                self.users[account.source.lower()] = account.existing
                self.report.users_attached.append(account.existing.username)
                continue
            user = User(
                username=account.target,
                display_name=display_names.get(account.source, ""),
                is_active=True,
            )
            # Restored writers sign in by resetting their password.
            user.set_unusable_password()
            if profile is not None and account.source == profile.username:
                user.email = "" if email_taken(profile.email) else profile.email
                for name in ("display_name", "first_name", "last_name", "time_zone", "bio"):
                    setattr(user, name, getattr(profile, name))
                user.theme, user.reading_font = profile.theme, profile.reading_font
                user.reading_size = profile.reading_size
                user.date_joined = profile.date_joined
            try:
                user.full_clean(exclude=["password"])
            except ValidationError as error:
                raise RestoreError(
                    f"Cannot create the account “{account.target}”: {_sentence(error)}"
                ) from None
            user.save()
            if profile is not None and account.source == profile.username:
                prefs = profile.notifications
                if prefs is not None:
                    NotificationSettings.objects.create(
                        writer=user,
                        channels=prefs.channels,
                        daily_digest=prefs.daily_digest,
                        quiet_hours_start=prefs.quiet_hours_start,
                        quiet_hours_end=prefs.quiet_hours_end,
                        reminder_days=prefs.reminder_days,
                    )
            self.users[account.source.lower()] = user
            self.report.users_created.append(user.username)

    # ------------------------------------------------------------------ muses

    def _muse(self, owner: User, data, *, created_at=None, archived_at=None) -> Muse:
        muse = Muse(
            owner=owner,
            archived_at=archived_at,
            **{field: getattr(data, field) for field in MUSE_FIELDS},
        )
        muse.save()
        if created_at is not None:
            self._backdate(muse, created_at=created_at)
        self.icons[muse.pk] = {}
        self.report.muses += 1
        return muse

    def _pictures(self, muse: Muse, avatar: str | None, icons: list[IconData]) -> None:
        media = self.source.media
        if avatar is not None:
            self._store(muse.avatar, avatar, media[avatar])
            muse.save(update_fields=["avatar"])
        for item in icons:
            icon = MuseIcon(muse=muse, keywords=item.keywords)
            self._store(icon.image, item.image, media[item.image])
            icon.save()
            self._backdate(icon, created_at=item.created_at)
            self.icons[muse.pk].setdefault(icon.keywords, icon)

    def _icon(self, muse: Muse, keywords: str | None) -> MuseIcon | None:
        if keywords is None:
            return None
        icon = self.icons.get(muse.pk, {}).get(keywords)
        if icon is None:
            self.dropped_icons += 1
        return icon

    # ------------------------------------------------------------------ threads

    def _thread(self, data: ThreadData, muses: dict[str, Muse]) -> Thread:
        document, head = data.document, data.document.thread
        public_id = head.public_id
        if (
            not re.fullmatch(r"[A-Za-z0-9_-]{1,16}", public_id)
            or Thread.objects.filter(public_id=public_id).exists()
        ):
            public_id = new_public_id()
            self.report.public_ids_changed[head.public_id] = public_id
        thread = Thread.objects.create(
            public_id=public_id,
            owner=self._user(head.owner),
            title=head.title,
            summary=head.summary,
            rating=head.rating,
            warnings=head.warnings,
            visibility=head.visibility,
            status=head.status,
            turn_mode=head.turn_mode,
        )
        # The turn clock starts when the thread did, as thread_create has it.
        self._backdate(thread, created_at=head.created_at, turn_since=head.created_at)
        thread.tags.set(self._tags(data))

        participants: dict[str, Participant] = {}
        for item in document.participants:
            # No position yet: positions are set below from the replayed turn log.
            participant = Participant.objects.create(
                thread=thread,
                muse=muses[item.muse],
                writer=self._user(item.writer),
                left_at=item.left_at,
            )
            self._backdate(participant, joined_at=item.joined_at)
            participants[item.ref] = participant

        Post.objects.bulk_create(
            Post(
                thread=thread,
                number=item.number,
                participant=participants[item.participant],
                muse=muses[item.muse],
                author=self._user(item.author),
                body=item.body,
                body_html=self.html[id(item)],
                renderer_version=markup.RENDERER_VERSION,
                icon=self._icon(muses[item.muse], item.icon),
                word_count=item.word_count,
                created_at=item.created_at,
                edited_at=item.edited_at,
                deleted_at=item.deleted_at,
            )
            for item in document.posts
        )
        thread_recount_words(thread.pk)  # the directory sorts by it
        post_ids = dict(thread.posts.values_list("number", "pk"))
        PostRevision.objects.bulk_create(
            PostRevision(
                post_id=post_ids[item.number],
                number=revision.number,
                body=revision.body,
                word_count=revision.word_count,
                created_at=revision.created_at,
            )
            for item in document.posts
            for revision in item.revisions
        )

        events = [
            TurnEvent(
                thread=thread,
                kind=item.kind,
                participant=participants[item.participant] if item.participant else None,
                actor=self._user(item.actor) if item.actor else None,
                order=[participants[ref].pk for ref in item.order]
                if item.order is not None
                else None,
                created_at=item.created_at,
            )
            for item in document.turn_events
        ]
        try:
            # Folds the log, writes it in one go and sets the cached turn state and the
            # positions from the fold, without announcing anything.
            state = history_write(thread, events)
        except ValidationError as error:
            raise RestoreError(f"{data.label}: {_sentence(error)}") from None
        if thread.participants.filter(pk__in=state.order, left_at__isnull=False).exists():
            raise RestoreError(
                f"{data.label}: a muse that has left is still in the posting order of the turn log."
            )

        OocMessage.objects.bulk_create(
            OocMessage(
                thread=thread,
                author=self._user(item.author),
                body=item.body,
                body_html=self.html[id(item)],
            )
            for item in document.ooc
        )
        ooc_ids = thread.ooc_messages.order_by("pk").values_list("pk", flat=True)
        for pk, item in zip(ooc_ids, document.ooc, strict=True):
            OocMessage.objects.filter(pk=pk).update(created_at=item.created_at)

        self.report.threads.append(thread.public_id)
        self.report.posts += len(document.posts)
        return thread

    @staticmethod
    def _tags(data: ThreadData) -> list[Tag]:
        head = data.document.thread
        # Names with no kind (every tag of a file from before categories) are freeform; an
        # existing tag is matched ignoring case, and a merged one gives its canonical tag.
        by_category = {key: list(names) for key, names in head.tag_categories.items()}
        placed = {normalise_tag(n).lower() for names in by_category.values() for n in names}
        by_category.setdefault(TagCategory.FREEFORM, [])
        by_category[TagCategory.FREEFORM] += [
            name for name in head.tags if normalise_tag(name).lower() not in placed
        ]
        try:
            return tags_for(by_category)
        except ValidationError as error:
            raise RestoreError(f"{data.label}: {_sentence(error)}") from None

    # ------------------------------------------------------------------ the two kinds

    def _restore(self) -> None:
        if isinstance(self.source, ThreadFile):
            self._restore_thread_file(self.source.thread)
        else:
            self._restore_backup(self.source)
        if self.dropped_icons:
            self.report.notes.append(
                f"{self.dropped_icons:,} post(s) had chosen an icon the file carries no "
                "picture for; they show the muse's avatar instead."
            )

    def _restore_thread_file(self, data: ThreadData) -> None:
        document = data.document
        self._accounts({writer.username: writer.display_name for writer in document.writers})
        self._tick(0, 1)
        muses = {item.ref: self._muse(self._user(item.writer), item) for item in document.muses}
        self._thread(data, muses)
        self._tick(1, 1)

    def _restore_backup(self, backup: BackupFile) -> None:
        names = {}
        for entry in backup.threads:
            for writer in entry.thread.document.writers:
                names.setdefault(writer.username, writer.display_name)
        self._accounts(names)
        owner = self._user(backup.profile.username)
        total = len(backup.threads)
        self._tick(0, total)

        by_key: dict[str, Muse] = {}
        for item in backup.muses:
            muse = self._muse(owner, item, created_at=item.created_at, archived_at=item.archived_at)
            self._pictures(muse, item.avatar, item.icons)
            by_key[item.key] = muse
        others = {item.key: item for item in backup.other_muses}

        threads: dict[str, Thread] = {}
        for done, entry in enumerate(backup.threads, start=1):
            muses = {}
            for data in entry.thread.document.muses:
                key = entry.muses[data.ref]
                if key not in by_key:
                    # A partner's muse, created once however many threads it is in.
                    muse = self._muse(self._user(data.writer), data)
                    self._pictures(muse, others[key].avatar, others[key].icons)
                    by_key[key] = muse
                muses[data.ref] = by_key[key]
            thread = self._thread(entry.thread, muses)
            threads[entry.file] = thread
            if entry.state is not None:
                ThreadWriterState.objects.create(
                    thread=thread,
                    writer=owner,
                    is_pinned=entry.state.is_pinned,
                    is_muted=entry.state.is_muted,
                    last_read_number=entry.state.last_read_number,
                    remind_after_days=entry.state.remind_after_days,
                )
            self._tick(done, total)

        for item in backup.drafts:
            muse = by_key[item.muse] if item.muse else None
            icon = self.icons.get(muse.pk, {}).get(item.icon) if muse and item.icon else None
            draft = Draft.objects.create(
                writer=owner, thread=threads[item.thread], muse=muse, icon=icon, body=item.body
            )
            self._backdate(draft, updated_at=item.updated_at)

        self._tracked(owner, backup.tracked, by_key, threads)

    def _tracked(
        self,
        owner: User,
        items: list[TrackedData],
        muses: dict[str, Muse],
        threads: dict[str, Thread],
    ) -> None:
        if not items:
            return
        # Lock the account as tracked_create does, so nothing else passes the cap meanwhile;
        # an attached account's own tracked threads count towards it too.
        User.objects.select_for_update().filter(pk=owner.pk).first()
        try:
            tracking.check_room(owner, len(items))
        except tracking.TooManyTracked:
            # Its message speaks to the writer; the admin needs the numbers.
            kept = TrackedThread.objects.filter(writer=owner).count()
            raise RestoreError(
                f"{owner.username} already keeps {kept:,} threads elsewhere; with the "
                f"backup's {len(items):,} that is more than the "
                f"{tracking.MAX_TRACKED_PER_WRITER:,} a writer may keep."
            ) from None
        for item in items:
            tracked = TrackedThread(
                writer=owner,
                title=item.title,
                url=item.url,
                site=item.site,
                partner=item.partner,
                muse=muses[item.muse] if item.muse else None,
                tags=item.tags,
                turn=item.turn,
                turn_since=item.turn_since,
                remind_after_days=item.remind_after_days,
                notes=item.notes,
                archived_at=item.archived_at,
                created_at=item.created_at,
                converted_to=threads[item.converted_to] if item.converted_to else None,
            )
            try:
                # The tracking services' own checks (own muse, no NUL, full_clean) and their
                # reminder schedule; tracked_create would start the clocks now instead of
                # keeping the file's dates.
                tracking.tracked_restore(tracked)
            except ValidationError as error:
                raise RestoreError(f"{item.label}: {_sentence(error)}") from None
        self.report.tracked += len(items)


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
    accounts = _resolve_usernames(parsed.usernames(), username_map or {})
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
        return _Restorer(parsed, accounts, progress).run()
    except (IntegrityError, DataError) as error:
        raise RestoreError(
            f"The database refused part of the restore ({error}); nothing was restored."
        ) from None
