"""What every document model of ``tandem.exports.schema`` is built from.

The constrained value types (text that fits its database column, whole numbers in range,
timestamps, choices, safe paths in a backup zip…) with the checks behind them, the base of
every record (``_Record``: strict, frozen, unknown keys ignored) and of every whole file
(``_Document``: its ``format`` and ``schema_version`` checked before anything else). The
documents themselves are in ``thread`` and ``backup``; the error types raised here are
turned into sentences by ``errors``.
"""

import functools
import re
import zoneinfo
from datetime import UTC, datetime, time
from typing import Annotated, Any, ClassVar, Literal

from django.db import models
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    ValidatorFunctionWrapHandler,
    WrapValidator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from tandem.exports.archive import THREAD_FORMAT
from tandem.exports.backup import ACCOUNT_FORMAT, BACKUP_FORMAT
from tandem.muses.models import hex_colour
from tandem.threads.models import Tag

__all__ = [
    "MAX_INTEGER",
    "MAX_NESTING",
    "CardData",
    "Colour",
    "Count",
    "Key",
    "MediaPath",
    "Number",
    "Ref",
    "SafePath",
    "Sha256",
    "TagName",
    "Text",
    "TimeZone",
    "Timestamp",
    "WallTime",
    "is_safe_path",
]

#: The largest value an integer column holds on every supported database.
MAX_INTEGER = 2**31 - 1
#: How deeply a free-form JSON value (a character card's extra data) may nest.
MAX_NESTING = 64

# ============================================================================ value types

# Error types raised by the validators below. Their messages are predicates that follow
# the name of what is wrong ("… “title” is empty"), except _RULE's, which are whole clauses
# about an object ("… turn event 4: a post event needs its “participant”").
_RULE = "tandem_rule"


def _max_length(model: type[models.Model], name: str) -> int:
    return model._meta.get_field(name).max_length


def _storable(value: str) -> str:
    # PostgreSQL stores no NUL, and a lone surrogate is not Unicode text at all: refused
    # here so a file that one database would take and another refuse is refused everywhere.
    if "\x00" in value:
        raise PydanticCustomError("tandem_nul", "contains a NUL character")
    try:
        value.encode()
    except UnicodeEncodeError:
        raise PydanticCustomError(
            "tandem_unicode", "contains text that is not valid Unicode"
        ) from None
    return value


def _not_blank(value: str) -> str:
    # ``min_length=1`` (which the published schema shows) lets "   " through; a title of
    # spaces is as empty as no title.
    if not value.strip():
        raise PydanticCustomError("tandem_blank", "is empty")
    return value


def _text(max_length: int | None = None, *, required: bool = False) -> Any:
    """Text as the database can store it; ``required``: not empty or only spaces."""
    constraints = StringConstraints(min_length=1 if required else None, max_length=max_length)
    checks = [AfterValidator(_not_blank)] if required else []
    return Annotated[str, constraints, AfterValidator(_storable), *checks]


def _text_of(model: type[models.Model], name: str, *, required: bool = False) -> Any:
    """Text that fits the model field it is restored into."""
    return _text(_max_length(model, name), required=required)


def _whole_number(minimum: int, maximum: int = MAX_INTEGER) -> Any:
    """An integer (never a boolean or a float) that fits an integer column."""

    def in_range(value: Any, handler: ValidatorFunctionWrapHandler) -> int:
        try:
            return handler(value)
        except ValidationError as error:
            # One sentence with both bounds instead of pydantic's "at least"/"at most".
            if error.errors()[0]["type"] in ("greater_than_equal", "less_than_equal"):
                raise PydanticCustomError(
                    "tandem_range",
                    "should be between {minimum} and {maximum}",
                    {"minimum": f"{minimum:,}", "maximum": f"{maximum:,}"},
                ) from None
            raise

    return Annotated[int, Field(ge=minimum, le=maximum), WrapValidator(in_range)]


def _timestamp(value: Any) -> datetime:
    # Strict validation takes only datetime objects from parsed JSON, and lax validation
    # would also take Unix times and numeric strings, which no Tandem writes: text is read
    # here with Python's own ISO 8601 parser, as files always were, and kept in UTC.
    parsed = None
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
            parsed = parsed.astimezone(UTC) if parsed.tzinfo is not None else None
        except (ValueError, OverflowError):
            parsed = None
    if parsed is None:
        raise PydanticCustomError(
            "tandem_datetime", "should be a date and time like 2025-01-31T18:30:00.000000Z"
        )
    return parsed


def _choice(choices: type[models.TextChoices]) -> Any:
    """One of a Django choice's values, kept as plain text."""
    return Literal[tuple(choices.values)]


def _plain_json(value: dict[str, Any]) -> dict[str, Any]:
    """Refuse free-form JSON no database here can store, however deep it sits."""

    def check(item: Any, depth: int) -> None:
        if depth > MAX_NESTING:
            raise PydanticCustomError(
                "tandem_nesting", "nests more than {levels} levels deep", {"levels": MAX_NESTING}
            )
        if isinstance(item, str):
            _storable(item)
        elif isinstance(item, dict):
            for key, inner in item.items():
                check(key, depth + 1)
                check(inner, depth + 1)
        elif isinstance(item, list):
            for inner in item:
                check(inner, depth + 1)

    check(value, 0)
    return value


Text = _text()
Timestamp = Annotated[AwareDatetime, BeforeValidator(_timestamp)]
Count = _whole_number(0)
Number = _whole_number(1)
#: A reference to a row elsewhere in the document (a username, "m1", "p1"); whether it
#: names something the document defines is checked after validation.
Ref = Text
Key = _text(required=True)
TagName = _text_of(Tag, "name")
Colour = Annotated[str, StringConstraints(pattern=hex_colour.regex.pattern)]
CardData = Annotated[dict[str, Any], AfterValidator(_plain_json)]


def _wall_time(value: Any) -> time:
    # Quiet hours are wall-clock times in the writer's own zone, never offset times.
    parsed = None
    if isinstance(value, str):
        try:
            parsed = time.fromisoformat(value)
        except ValueError:
            parsed = None
    if parsed is None or parsed.tzinfo is not None:
        raise PydanticCustomError("tandem_time", "should be a time like 22:30:00")
    return parsed


@functools.cache
def _time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def _known_zone(value: str) -> str:
    if value not in _time_zones():
        raise PydanticCustomError(
            "tandem_time_zone",
            "is not a time zone Tandem knows: “{zone}”",
            {"zone": value[:60]},
        )
    return value


_DRIVE = re.compile(r"^[A-Za-z]:")


def is_safe_path(name: str) -> bool:
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


def _safe_path(value: str) -> str:
    if not is_safe_path(value) or value == "manifest.json":
        raise PydanticCustomError(
            "tandem_unsafe_path",
            "is not a safe file name inside a backup: {name}",
            {"name": repr(value[:80])},
        )
    return value


WallTime = Annotated[time, BeforeValidator(_wall_time)]
TimeZone = Annotated[_text(required=True), AfterValidator(_known_zone)]
#: A file in the backup zip, as the manifest lists it.
SafePath = Annotated[_text(required=True), AfterValidator(_safe_path)]
#: A file in the backup zip that a document names; whether it is there is checked later.
MediaPath = Key
Sha256 = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]


def _at_most(limit: int, what: str, whose: str) -> Any:
    """A list of at most ``limit`` items, counted before any item is read."""

    def count_first(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        if isinstance(value, list) and len(value) > limit:
            raise PydanticCustomError(
                "tandem_too_many",
                "holds {count} {what}; {whose} keeps at most {limit}",
                {"count": f"{len(value):,}", "what": what, "whose": whose, "limit": f"{limit:,}"},
            )
        return handler(value)

    return [Field(max_length=limit), WrapValidator(count_first)]


# ============================================================================ the base models


class _Record(BaseModel):
    # Strict: JSON's types as written, no coercion. Unknown keys ignored (package docstring).
    model_config = ConfigDict(strict=True, frozen=True, extra="ignore")


#: What each kind of document is called when a file of another kind is given.
_FORMAT_NAMES = {
    THREAD_FORMAT: "a thread export",
    BACKUP_FORMAT: "the manifest of an account backup",
    ACCOUNT_FORMAT: "the account file of an account backup",
}


class _Document(_Record):
    """A whole file. Its ``format`` and ``schema_version`` are checked before anything
    else, so a file of another kind or from a newer Tandem gets one sentence saying so."""

    document_format: ClassVar[str]
    newest_version: ClassVar[int]

    @model_validator(mode="before")
    @classmethod
    def _header(cls, data: Any) -> Any:
        expected = cls.document_format
        if not isinstance(data, dict) or "format" not in data:
            raise PydanticCustomError(
                "tandem_document",
                "is not a Tandem file: it does not say which format it is (no “format” field)",
            )
        found = data["format"]
        if not isinstance(found, str):
            raise PydanticCustomError(
                "tandem_document", "is not a Tandem file: its “format” is not text"
            )
        if found != expected:
            if expected == THREAD_FORMAT and found in (BACKUP_FORMAT, ACCOUNT_FORMAT):
                raise PydanticCustomError(
                    "tandem_document",
                    "is {name}; restore the whole backup .zip instead",
                    {"name": _FORMAT_NAMES[found]},
                )
            raise PydanticCustomError(
                "tandem_document",
                "is not {name}: its format is “{found}”, not “{expected}”",
                {"name": _FORMAT_NAMES[expected], "found": found[:40], "expected": expected},
            )
        version = data.get("schema_version")
        if isinstance(version, bool) or not isinstance(version, int) or version < 1:
            raise PydanticCustomError("tandem_document", "has no valid “schema_version”")
        if version > cls.newest_version:
            raise PydanticCustomError(
                "tandem_newer",
                "This file was written by a newer Tandem (schema {version}); this instance "
                "reads schema {newest}. Upgrade Tandem to restore it",
                {"version": version, "newest": cls.newest_version},
            )
        return cls._upgraded(data, version)

    @classmethod
    def _upgraded(cls, data: dict[str, Any], version: int) -> dict[str, Any]:
        """An older version's document as the current version has it."""
        return data
