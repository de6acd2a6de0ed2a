"""The thread JSON (``format: "tandem-thread"``): ``ThreadDocument`` and its records.

One thread, everything needed to rebuild it on another Tandem: its writers, the thread
itself, the muses and their participations, the posts with their revisions, the turn log
and the OOC talk. ``MuseFields``, what every exported muse carries, is here too; an account
backup's own muses (``backup.OwnMuseRecord``) build on it.
"""

from typing import Literal

from pydantic import ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from tandem.accounts.models import User
from tandem.exports.archive import SCHEMA_VERSION, THREAD_FORMAT
from tandem.exports.schema.common import (
    _RULE,
    CardData,
    Colour,
    Count,
    Key,
    Number,
    Ref,
    TagName,
    Text,
    Timestamp,
    _choice,
    _Document,
    _Record,
    _text_of,
    _whole_number,
)
from tandem.muses.models import Muse
from tandem.threads.models import (
    Rating,
    Status,
    TagCategory,
    Thread,
    TurnEventKind,
    TurnMode,
    Visibility,
    Warning,
)

__all__ = [
    "MuseFields",
    "MuseRecord",
    "OocRecord",
    "ParticipantRecord",
    "PostRecord",
    "RevisionRecord",
    "ThreadDocument",
    "ThreadHead",
    "TurnEventRecord",
    "WriterRecord",
]


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
