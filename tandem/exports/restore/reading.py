"""Reading: from the bytes of a file to documents the schema models accept.

A file is told apart by its first bytes: a zip is an account backup, anything else a thread
JSON. A zip is checked from its central directory before any entry is read (names that
could escape a folder, duplicates, encryption, sizes that only a zip bomb has), then
manifest.json, then every file it lists against its size and sha256, and only then is any
JSON parsed. Every document is validated by its model in ``tandem.exports.schema``; what the
models cannot see (references between rows, pictures) is left to ``checking``.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO, TypeVar

import pydantic

from tandem.exports.restore import checking
from tandem.exports.restore.parsed import BackupFile, RestoreError, ThreadData, ThreadFile
from tandem.exports.schema import (
    AccountDocument,
    BackupManifest,
    ThreadDocument,
    is_safe_path,
    validation_problem,
)

__all__ = [
    "MAX_COMPRESSION_RATIO",
    "MAX_ENTRIES",
    "MAX_UNCOMPRESSED_BYTES",
    "RATIO_CHECKED_FROM",
    "read_restore_file",
    "read_thread",
    "validated",
]

#: Refuse a zip that would unpack to more than this, before unpacking anything.
MAX_UNCOMPRESSED_BYTES = 500 * 1024 * 1024
#: …or one entry that expands more than this many times (only checked past 1 MB: small
#: JSON files legitimately compress very well).
MAX_COMPRESSION_RATIO = 200
RATIO_CHECKED_FROM = 1024 * 1024
MAX_ENTRIES = 20_000

_Model = TypeVar("_Model", bound=pydantic.BaseModel)


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
    return ThreadFile(read_thread(load_json(raw, "The file"), "The thread file"))


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


# ============================================================================ JSON documents


class _NotJson(ValueError):
    pass


def _no_constant(name: str):
    # Python's reader accepts these; JSON (and PostgreSQL's jsonb) do not.
    raise _NotJson(f"it contains {name}, which JSON does not allow")


def load_json(raw: bytes, label: str) -> Any:
    """The JSON value in ``raw``; ``label`` names the file in messages."""
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


def validated(model: type[_Model], value: Any, label: str) -> _Model:
    """``value`` checked by ``model``; its first problem, if any, as a ``RestoreError``."""
    try:
        return model.model_validate(value)
    except pydantic.ValidationError as error:
        raise RestoreError(validation_problem(error, label, value)) from None


def read_thread(document: Any, label: str) -> ThreadData:
    """A parsed ``tandem-thread`` document, validated and its references checked."""
    checked = validated(ThreadDocument, document, label)
    checking.check_thread(checked, label)
    return ThreadData(label, checked)


# ============================================================================ backup zip


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
        raw = _read_entry(archive, entries["manifest.json"])
        manifest = validated(BackupManifest, load_json(raw, "manifest.json"), "manifest.json")
        listed = {}
        for item in manifest.files:
            if item.path in listed:
                raise RestoreError(f"manifest.json: file “{item.path}” appears twice.")
            listed[item.path] = item
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
        for path, item in listed.items():
            data = _read_entry(archive, entries[path])
            if len(data) != item.size or hashlib.sha256(data).hexdigest() != item.sha256:
                raise RestoreError(
                    f"“{path}” does not match its checksum in manifest.json; the backup is "
                    "damaged or was altered."
                )
            files[path] = data

    if "account.json" not in files:
        raise RestoreError("The backup has no account.json.")
    account = validated(
        AccountDocument, load_json(files["account.json"], "account.json"), "account.json"
    )
    if manifest.username != account.profile.username:
        raise RestoreError(
            f"manifest.json is for “{manifest.username}” but account.json for "
            f"“{account.profile.username}”."
        )
    checking.check_thread_files(account, files)
    threads = {
        entry.file: read_thread(load_json(files[entry.file], entry.file), entry.file)
        for entry in account.threads
    }
    return checking.backup_file(account, threads, files)


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
            if not is_safe_path(name):
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
