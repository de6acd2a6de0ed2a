"""Tandem's restorable documents as pydantic models: the thread JSON
(``format: "tandem-thread"``) and an account backup's ``manifest.json``
(``"tandem-backup"``) and ``account.json`` (``"tandem-account"``).

One declaration serves three purposes: ``restore`` validates files through these models,
the JSON Schema published in docs/export-schema.md is generated from them (a test keeps the
two equal), and ``validation_problem`` turns pydantic's errors into the sentences an admin
reads ("The thread file, post #3: “word_count” should be a whole number.").

The models check shape and values: types, lengths (taken from the Django model fields the
values end up in, so a file is refused before the database would refuse it), choices and
dates. Every document first checks its ``format`` and ``schema_version``, so a file of
another kind or from a newer Tandem is refused with one sentence saying so. Whether
references point at something the document defines ("a post's muse is one of the file's
muses", "a muse's avatar is in the zip") is checked by ``restore`` after validation, on the
typed models.

Validation is strict -- ``"3"`` is not a number and ``1`` is not text -- as the reader was
before these models. Keys a model does not know are ignored, not refused: the version
policy promises that purely informational additions keep the schema version, so an older
reader must accept a newer file that carries them.
"""

import functools
import json
import re
import zoneinfo
from datetime import UTC, datetime, time
from typing import Annotated, Any, ClassVar, Literal

from django.core.exceptions import ValidationError as DjangoValidationError
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
from pydantic_core import ErrorDetails, PydanticCustomError

from tandem.accounts.models import ReadingFont, ReadingSize, Theme, User
from tandem.exports.archive import SCHEMA_VERSION, THREAD_FORMAT
from tandem.exports.backup import ACCOUNT_FORMAT, BACKUP_FORMAT, BACKUP_SCHEMA_VERSION
from tandem.muses.models import Muse, MuseIcon, hex_colour
from tandem.notifications.models import Channel, Kind
from tandem.threads.models import (
    Rating,
    Status,
    Tag,
    TagCategory,
    Thread,
    TurnEventKind,
    TurnMode,
    Visibility,
    Warning,
)
from tandem.tracking.models import TrackedThread, Turn
from tandem.tracking.services import MAX_TRACKED_PER_WRITER

__all__ = [
    "MAX_INTEGER",
    "MAX_NESTING",
    "PUBLISHED_SCHEMAS",
    "AccountDocument",
    "BackupManifest",
    "DraftRecord",
    "IconRecord",
    "ManifestFile",
    "MuseFields",
    "MuseRecord",
    "NotificationRecord",
    "OocRecord",
    "OtherMuseRecord",
    "OwnMuseRecord",
    "ParticipantRecord",
    "PostRecord",
    "PreferencesRecord",
    "ProfileRecord",
    "RevisionRecord",
    "ThreadDocument",
    "ThreadEntry",
    "ThreadHead",
    "ThreadStateRecord",
    "TrackedRecord",
    "TurnEventRecord",
    "WriterRecord",
    "is_safe_path",
    "json_schema_text",
    "validation_problem",
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


# ============================================================================ the models


class _Record(BaseModel):
    # Strict: JSON's types as written, no coercion. Unknown keys ignored (module docstring).
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


class WriterRecord(_Record):
    """A writer the document mentions. No email: a thread file may be shared."""

    username: _text_of(User, "username", required=True)  # unique ignoring case
    display_name: _text_of(User, "display_name")


class MuseFields(_Record):
    """What every exported muse carries, in thread JSON and account backups alike."""

    name: _text_of(Muse, "name", required=True)
    pronouns: _text_of(Muse, "pronouns")
    fandom: _text_of(Muse, "fandom")
    nicknames: _text_of(Muse, "nicknames")
    bio: _text_of(Muse, "bio")
    accent_colour: Colour
    card_data: CardData = Field(
        description="What an imported character card carried that Tandem has no field for."
    )


class MuseRecord(MuseFields):
    """A muse that took part, numbered "m1", "m2"… in the order it first joined."""

    ref: Key
    writer: Ref


class ParticipantRecord(_Record):
    """A muse's membership of the thread, numbered "p1", "p2"… in joining order."""

    ref: Key
    muse: Ref
    writer: Ref
    position: Count | None = Field(
        description="Informational: a restore derives positions from the turn log."
    )
    joined_at: Timestamp
    left_at: Timestamp | None


class RevisionRecord(_Record):
    """One version of a post's text, numbered 1, 2… (the first version included)."""

    number: Number
    body: Text
    word_count: Count
    created_at: Timestamp


class PostRecord(_Record):
    """A post; a removed one keeps its number, muse, author and dates, not its text."""

    number: Number
    participant: Ref
    muse: Ref
    author: Ref
    body: Text
    word_count: Count
    created_at: Timestamp
    edited_at: Timestamp | None
    deleted_at: Timestamp | None
    icon: Text | None = Field(description="The keywords of the muse icon the post chose.")
    revisions: list[RevisionRecord]


class TurnEventRecord(_Record):
    """One entry of the turn log the turn state is replayed from."""

    kind: _choice(TurnEventKind)
    participant: Ref | None = Field(description="Whose event it is; null only for reorder.")
    actor: Ref | None
    order: list[Ref] | None = Field(description="The new posting order; only for reorder.")
    created_at: Timestamp

    @model_validator(mode="after")
    def _complete(self) -> "TurnEventRecord":
        if self.kind == TurnEventKind.REORDER and self.order is None:
            raise PydanticCustomError(_RULE, "a reorder event needs the new “order”")
        if self.kind != TurnEventKind.REORDER and self.participant is None:
            raise PydanticCustomError(
                _RULE, "a {kind} event needs its “participant”", {"kind": self.kind}
            )
        return self


class OocRecord(_Record):
    """An out-of-character message."""

    author: Ref
    body: Text
    created_at: Timestamp


class ThreadHead(_Record):
    """The thread itself: the document's "thread" object."""

    public_id: Text = Field(
        description="Kept on restore if it is a free id here (up to 16 of A-Z a-z 0-9 _ -), "
        "otherwise a new one is made."
    )
    title: _text_of(Thread, "title", required=True)
    summary: _text_of(Thread, "summary")
    rating: _choice(Rating)
    warnings: list[_choice(Warning)]
    tags: list[TagName]
    # Files from before tag categories have none: their tags are all freeform.
    tag_categories: dict[_choice(TagCategory), list[TagName]] = Field(default_factory=dict)
    visibility: _choice(Visibility)
    status: _choice(Status)
    turn_mode: _choice(TurnMode)
    created_at: Timestamp
    owner: Ref


class ThreadDocument(_Document):
    """One thread, everything needed to rebuild it on another Tandem."""

    model_config = ConfigDict(
        title="Tandem thread JSON",
        json_schema_extra={"$schema": "https://json-schema.org/draft/2020-12/schema"},
    )
    document_format = THREAD_FORMAT
    newest_version = SCHEMA_VERSION

    format: Literal[THREAD_FORMAT]  # type: ignore[valid-type]
    # A reader takes every version up to its own (docs/export-schema.md, version policy).
    schema_version: _whole_number(1, SCHEMA_VERSION)
    # Informational: nothing is restored from them, so older files without them are read.
    exported_at: Timestamp | None = None
    generator: Text | None = None
    # In the order errors are reported: the writers first, as everything else names them.
    writers: list[WriterRecord]
    thread: ThreadHead
    muses: list[MuseRecord]
    participants: list[ParticipantRecord]
    posts: list[PostRecord]
    turn_events: list[TurnEventRecord]
    # Absent means "not exported", not "none".
    ooc: list[OocRecord] = Field(default_factory=list)


# ============================================================================ account backup


class ManifestFile(_Record):
    """A file in the zip, with what it must hash to."""

    path: SafePath
    sha256: Sha256 = Field(description="Of the file's bytes, in lowercase hex.")
    size: Count = Field(description="In bytes, uncompressed.")


class BackupManifest(_Document):
    """manifest.json: every other file of the zip with its checksum; written last."""

    model_config = ConfigDict(
        title="Tandem account backup: manifest.json",
        json_schema_extra={"$schema": "https://json-schema.org/draft/2020-12/schema"},
    )
    document_format = BACKUP_FORMAT
    newest_version = BACKUP_SCHEMA_VERSION

    format: Literal[BACKUP_FORMAT]  # type: ignore[valid-type]
    schema_version: _whole_number(1, BACKUP_SCHEMA_VERSION)
    exported_at: Timestamp | None = None
    generator: Text | None = None
    username: Key = Field(description="Whose backup this is.")
    files: list[ManifestFile]


class ProfileRecord(_Record):
    """The writer's account. No password hash."""

    username: _text_of(User, "username", required=True)
    email: _text_of(User, "email")
    display_name: _text_of(User, "display_name")
    first_name: _text_of(User, "first_name")
    last_name: _text_of(User, "last_name")
    time_zone: TimeZone = Field(description="An IANA name, like Europe/Berlin.")
    bio: _text_of(User, "bio")
    date_joined: Timestamp


class NotificationRecord(_Record):
    """The writer's notification preferences."""

    channels: dict[_choice(Kind), list[_choice(Channel)]]
    daily_digest: bool
    quiet_hours_start: WallTime | None
    quiet_hours_end: WallTime | None
    reminder_days: _whole_number(0, 32767) | None


class PreferencesRecord(_Record):
    theme: _choice(Theme)
    reading_font: _choice(ReadingFont)
    reading_size: _choice(ReadingSize)
    notifications: NotificationRecord | None = Field(description="null if never set.")


class IconRecord(_Record):
    """A muse icon: its keywords and its picture's path in the zip."""

    keywords: _text_of(MuseIcon, "keywords", required=True)
    created_at: Timestamp
    image: MediaPath


class OwnMuseRecord(MuseFields):
    """One of the writer's own muses, keyed "muse-1", "muse-2"… oldest first."""

    key: Key
    created_at: Timestamp
    archived_at: Timestamp | None
    avatar: MediaPath | None
    icons: list[IconRecord]


class OtherMuseRecord(_Record):
    """A partner's muse met in the threads, keyed "other-1"…; its words are in the thread
    files, here are only its pictures."""

    key: Key
    name: Text | None = Field(default=None, description="Informational, for people reading.")
    writer: Key
    avatar: MediaPath | None
    icons: list[IconRecord]


class ThreadStateRecord(_Record):
    """The writer's own flags on a thread."""

    is_pinned: bool
    is_muted: bool
    last_read_number: Count
    remind_after_days: _whole_number(1, 365) | None


class ThreadEntry(_Record):
    """One thread file of the backup."""

    file: Key
    muses: dict[Ref, Ref] = Field(
        description="Thread-local muse ref → muse key, so a muse in two threads is one muse."
    )
    state: ThreadStateRecord | None


class DraftRecord(_Record):
    """A reply in progress; one per thread."""

    thread: Ref = Field(description="The thread's file.")
    muse: Ref | None = Field(description="Own muse key.")
    icon: Text | None = Field(description="Icon keywords.")
    body: Text
    updated_at: Timestamp


class TrackedRecord(_Record):
    """A thread the writer keeps elsewhere: a private note of a roleplay on another site."""

    title: _text_of(TrackedThread, "title", required=True)
    url: _text_of(TrackedThread, "url")
    site: _text_of(TrackedThread, "site")
    partner: _text_of(TrackedThread, "partner")
    muse: Ref | None = Field(description="Own muse key; never a partner's.")
    tags: _text_of(TrackedThread, "tags")
    turn: _choice(Turn)
    turn_since: Timestamp
    # The model's rule (1 or more) up to what its small integer column holds; null means
    # the writer's usual reminder.
    remind_after_days: _whole_number(1, 32767) | None
    notes: _text_of(TrackedThread, "notes")
    archived_at: Timestamp | None
    created_at: Timestamp
    converted_to: Ref | None = Field(description="The thread file its text moved to.")

    @model_validator(mode="after")
    def _web_link(self) -> "TrackedRecord":
        if self.url:
            try:
                # The model's own link rule, checked here so the file is refused unopened.
                TrackedThread._meta.get_field("url").run_validators(self.url)
            except DjangoValidationError:
                raise PydanticCustomError(
                    _RULE,
                    "“{url}” is not a web link like https://example.com/",
                    {"url": self.url[:80]},
                ) from None
        return self


class AccountDocument(_Document):
    """account.json: the writer's profile, preferences, muses, threads, drafts and the
    threads they keep elsewhere."""

    model_config = ConfigDict(
        title="Tandem account backup: account.json",
        json_schema_extra={"$schema": "https://json-schema.org/draft/2020-12/schema"},
    )
    document_format = ACCOUNT_FORMAT
    newest_version = BACKUP_SCHEMA_VERSION

    format: Literal[ACCOUNT_FORMAT]  # type: ignore[valid-type]
    schema_version: _whole_number(1, BACKUP_SCHEMA_VERSION)
    exported_at: Timestamp | None = None
    generator: Text | None = None
    profile: ProfileRecord
    preferences: PreferencesRecord
    muses: list[OwnMuseRecord]
    other_muses: list[OtherMuseRecord]
    threads: list[ThreadEntry]
    drafts: list[DraftRecord]
    tracked: Annotated[
        list[TrackedRecord],
        *_at_most(MAX_TRACKED_PER_WRITER, "threads kept elsewhere", "a writer"),
    ] = Field(description="Required from schema 2.")

    @classmethod
    def _upgraded(cls, data: dict[str, Any], version: int) -> dict[str, Any]:
        # Schema 1 backups were written before threads kept elsewhere were backed up.
        if version < 2 and "tracked" not in data:
            return {**data, "tracked": []}
        return data


#: The documents docs/export-schema.md publishes, by the heading of their section.
PUBLISHED_SCHEMAS: dict[str, type[BaseModel]] = {
    "JSON Schema": ThreadDocument,
    "JSON Schema of manifest.json": BackupManifest,
    "JSON Schema of account.json": AccountDocument,
}


def json_schema_text(model: type[BaseModel] = ThreadDocument) -> str:
    """The JSON Schema of a document as docs/export-schema.md publishes it."""
    return json.dumps(model.model_json_schema(), ensure_ascii=False, indent=2)


# ============================================================================ error messages

#: What one item of a list of objects is called in a message: "post 3", "turn event 2".
_ITEM_NOUNS = {
    "writers": "writer",
    "muses": "muse",
    "participants": "participant",
    "posts": "post",
    "revisions": "revision",
    "turn_events": "turn event",
    "ooc": "OOC message",
    # account backups
    "files": "file",
    "icons": "icon",
    "other_muses": "partner muse",
    "threads": "thread",
    "drafts": "draft",
    "tracked": "thread kept elsewhere",
}
#: What a value outside a fixed set is called, in a list or as a key: "unknown warning “x”".
_VALUE_NOUNS = {
    "warnings": "warning",
    "tag_categories": "kind of tag",
    "channels": "notification kind",
}
#: What a text that does not match its pattern should be, by its key.
_PATTERNS = {
    "accent_colour": "a colour like #7a3e9d",
    "sha256": "a sha256 checksum (64 digits and letters a–f)",
}

_PREDICATES = {
    "model_type": "should be a JSON object",
    "model_attributes_type": "should be a JSON object",
    "dict_type": "should be a JSON object",
    "list_type": "should be a list",
    "string_type": "should be text",
    "string_unicode": "contains text that is not valid Unicode",
    "string_too_short": "is empty",
    "int_type": "should be a whole number",
    "bool_type": "should be true or false",
    "datetime_type": "should be a date and time like 2025-01-31T18:30:00.000000Z",
}


def _place(label: str, loc: tuple[int | str, ...], document: Any, *, whole: bool = False) -> str:
    """Where ``loc`` is, as the messages say it: "The thread file, post #3: “body”".

    ``whole``: ``loc`` is an object something is said about as a whole ("The thread file,
    thread has no “title”"), not a value in it.
    """
    text, node, steps = label, document, list(loc)
    while steps:
        step = steps.pop(0)
        if isinstance(step, str) and steps and isinstance(steps[0], int):
            index = steps.pop(0)
            node = _child(_child(node, step), index)
            if step not in _ITEM_NOUNS:
                text += f": “{step}” item {index + 1}"
            elif step == "posts" and _is_number(_child(node, "number")):
                # Posts are known by their number wherever it can be read.
                text += f", post #{node['number']}"
            else:
                text += f", {_ITEM_NOUNS[step]} {index + 1}"
        elif steps or whole:  # an object on the way down
            text += f", {step}"
            node = _child(node, step)
        else:
            text += f": “{step}”"
    return text


def _child(node: Any, step: int | str) -> Any:
    try:
        return node[step]
    except (KeyError, IndexError, TypeError):
        return None


def _is_number(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


def _sentence(error: ErrorDetails, label: str, document: Any) -> str:
    loc, kind = tuple(error["loc"]), error["type"]
    if kind == "missing":
        return f"{_place(label, loc[:-1], document, whole=True)} has no “{loc[-1]}”."
    if kind == "tandem_newer":  # a whole sentence, whichever file it is
        return f"{error['msg']}."
    if kind == "tandem_document":  # said of the whole file
        return f"{_place(label, loc, document, whole=True)} {error['msg']}."
    if kind == "tandem_too_many":  # said of the object holding the list
        return f"{_place(label, loc[:-1], document, whole=True)} {error['msg']}."
    if kind == "literal_error" and loc and (loc[-1] == "[key]" or isinstance(loc[-1], int)):
        # A value from a fixed set, in a list or as a key: say which value is unknown.
        field = loc[-3] if loc[-1] == "[key]" else loc[-2]
        noun = _VALUE_NOUNS.get(str(field), f"value in “{field}”")
        where = _place(label, loc[:-2], document, whole=True)
        return f"{where}: unknown {noun} “{str(error['input'])[:40]}”."
    if loc and loc[-1] == "[key]":  # a key of the wrong kind in a free-form object
        where = _place(label, loc[:-2], document, whole=True)
        return f"{where}: the key “{str(loc[-2])[:40]}” is not valid."
    where = _place(label, loc, document)
    if kind == _RULE:
        return f"{where}: {error['msg']}."
    if kind == "literal_error":
        choices = re.findall(r"'([^']*)'", error["ctx"]["expected"])
        return f"{where} should be one of {', '.join(choices)}."
    if kind == "string_too_long":
        length, limit = len(error["input"]), error["ctx"]["max_length"]
        return f"{where} is {length:,} characters; at most {limit:,} fit."
    if kind == "string_pattern_mismatch" and loc[-1] in _PATTERNS:
        return f"{where} is not {_PATTERNS[loc[-1]]}: “{str(error['input'])[:40]}”."
    if kind in _PREDICATES:
        return f"{where} {_PREDICATES[kind]}."
    if kind.startswith("tandem_"):
        return f"{where} {error['msg']}."
    # Anything else still names the place; pydantic's own wording is clear enough.
    return f"{where}: {error['msg']}."


def validation_problem(error: ValidationError, label: str, document: Any) -> str:
    """The first problem pydantic found, as a sentence that says where it is.

    ``label`` names the file ("The thread file", "threads/thread-0002.json",
    "account.json") and
    ``document`` is the JSON that was validated (posts are named by their number in it).
    Errors come in field order, writers first, then in document order.
    """
    errors = error.errors(include_url=False)
    sentence = _sentence(errors[0], label, document)
    if len(errors) > 1:
        more = len(errors) - 1
        sentence += f" ({more:,} more problem{'' if more == 1 else 's'} after this one.)"
    return sentence
