"""Threads that arrive already split into posts: a JSON file of posts, or a thread exported
from a Tandem (``tandem-thread`` JSON).

Nothing needs guessing here except which of the thread's muses each name stands for, so
every post comes with a confidence of 1.0 for its boundaries, and its original date is kept.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime

from tandem.imports.splitter import MuseNames, Proposal, ProposedPost, muse_for_name, parse_date

# The newest version of the thread JSON this importer understands (see docs/export-schema.md).
THREAD_SCHEMA_VERSION = 1
TEXT_KEYS = ("text", "body", "content")
NAME_KEYS = ("muse", "character", "name", "author")
DATE_KEYS = ("date", "created_at", "posted_at", "timestamp")


class StructuredError(ValueError):
    """A JSON file that is not a list of posts; the message is for the writer."""


def looks_like_json(data: bytes, filename: str = "") -> bool:
    """A .json file, or a paste that is JSON. A paste opening with ``[ivy]`` is not."""
    name = filename.lower().rsplit("/", 1)[-1]
    if name.endswith(".json"):
        return True
    if "." in name or data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] not in (b"{", b"["):
        return False
    try:
        json.loads(data.decode("utf-8-sig"))
    except (ValueError, RecursionError):
        return False
    return True


def _load(data: bytes):
    try:
        return json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as error:
        raise StructuredError(
            f"The JSON file is not UTF-8 (byte 0x{data[error.start]:02x} at position "
            f"{error.start:,})."
        ) from None
    except json.JSONDecodeError as error:
        raise StructuredError(
            f"The JSON file is not valid: {error.msg} at line {error.lineno}, column {error.colno}."
        ) from None
    except RecursionError:
        raise StructuredError("The JSON file is nested too deeply to read.") from None


def _first(item: dict, keys: Sequence[str]):
    return next((item[key] for key in keys if item.get(key) not in (None, "")), None)


def _date(value, number: int, warnings: list[str]) -> datetime | None:
    if value is None:
        return None
    parsed = None
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            parsed = datetime.fromtimestamp(value, tz=UTC)
        except (OverflowError, OSError, ValueError):
            parsed = None
    elif isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
            parsed = parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
            parsed = parsed.astimezone(UTC)
        except ValueError:
            parsed = parse_date(value)
    if parsed is None:
        warnings.append(f"Post {number} has a date that couldn’t be read (“{value}”).")
    return parsed


def _rows(document) -> tuple[list[dict], dict[str, str]]:
    """The post rows and, for a Tandem export, its muse references → names."""
    if isinstance(document, dict) and document.get("format") == "tandem-thread":
        version = document.get("schema_version")
        if not isinstance(version, int) or version > THREAD_SCHEMA_VERSION:
            raise StructuredError(
                f"This file was written by a newer Tandem (schema {version}); this instance "
                f"reads schema {THREAD_SCHEMA_VERSION}. Upgrade Tandem to import it."
            )
        names = {
            m.get("ref"): m.get("name")
            for m in document.get("muses", [])
            if isinstance(m, dict) and isinstance(m.get("name"), str)
        }
        rows = [p for p in document.get("posts", []) if isinstance(p, dict)]
        return [p for p in rows if not p.get("deleted_at")], names
    if isinstance(document, dict) and isinstance(document.get("posts"), list):
        document = document["posts"]
    if not isinstance(document, list) or not all(isinstance(p, dict) for p in document):
        raise StructuredError(
            "This JSON file is not a list of posts. Tandem reads a list like "
            '[{"muse": "ivy", "text": "…", "date": "2019-03-04"}], or a thread exported '
            "from a Tandem."
        )
    return document, {}


def proposal_from_json(data: bytes, muses: Sequence[MuseNames]) -> Proposal:
    rows, names = _rows(_load(data))
    posts: list[ProposedPost] = []
    warnings: list[str] = []
    unknown: list[str] = []
    keys: dict[str, str | None] = {}
    for number, row in enumerate(rows, start=1):
        text = _first(row, TEXT_KEYS)
        if not isinstance(text, str) or not text.strip():
            warnings.append(f"Entry {number} has no text, so it was left out.")
            continue
        name = _first(row, NAME_KEYS)
        name = names.get(name, name) if isinstance(name, str) else None
        if name and name not in keys:
            keys[name] = muse_for_name(name, muses)  # a handful of names, many posts
        key = keys.get(name) if name else None
        position = len(posts) + 1
        if name and key is None:
            if name not in unknown:
                unknown.append(name)
            warnings.append(
                f"Post {position} names “{name}”, who is not one of this thread’s muses."
            )
        elif key is None:
            warnings.append(f"Post {position} names nobody; please choose a muse.")
        posts.append(
            ProposedPost(
                text=text.replace("\r\n", "\n").strip("\n"),
                muse_key=key,
                confidence=1.0 if key else 0.0,
                split_confidence=1.0,
                split_reason="start" if not posts else "file",
                named=name,
                date=_date(_first(row, DATE_KEYS), position, warnings),
            )
        )
    if not posts:
        warnings.append("There is nothing to import: the file has no posts with text.")
    return Proposal(posts=posts, warnings=warnings, unknown_names=unknown)
