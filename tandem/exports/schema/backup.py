"""An account backup's documents: ``manifest.json`` (``format: "tandem-backup"``,
``BackupManifest``) and ``account.json`` (``"tandem-account"``, ``AccountDocument``).

The manifest lists every other file of the zip with its checksum. The account file holds
the writer's profile and preferences, their own muses (with their icons) and the partners'
muses met in the threads, an entry for each thread file of the zip, drafts, and the threads
the writer keeps elsewhere. The thread files themselves are thread JSON (``thread``).
"""

from typing import Annotated, Any, Literal

from django.core.exceptions import ValidationError as DjangoValidationError
from pydantic import ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from tandem.accounts.models import ReadingFont, ReadingSize, Theme, User
from tandem.exports.backup import ACCOUNT_FORMAT, BACKUP_FORMAT, BACKUP_SCHEMA_VERSION
from tandem.exports.schema.common import (
    _RULE,
    Count,
    Key,
    MediaPath,
    Ref,
    SafePath,
    Sha256,
    Text,
    Timestamp,
    TimeZone,
    WallTime,
    _at_most,
    _choice,
    _Document,
    _Record,
    _text_of,
    _whole_number,
)
from tandem.exports.schema.thread import MuseFields
from tandem.muses.models import MuseIcon
from tandem.notifications.models import Channel, Kind
from tandem.tracking.models import TrackedThread, Turn
from tandem.tracking.services import MAX_TRACKED_PER_WRITER

__all__ = [
    "AccountDocument",
    "BackupManifest",
    "DraftRecord",
    "IconRecord",
    "ManifestFile",
    "NotificationRecord",
    "OtherMuseRecord",
    "OwnMuseRecord",
    "PreferencesRecord",
    "ProfileRecord",
    "ThreadEntry",
    "ThreadStateRecord",
    "TrackedRecord",
]


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
