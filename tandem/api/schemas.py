"""The API's documents (pydantic, through django-ninja): what goes out and what comes in."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from ninja import Field, Schema


class Error(Schema):
    detail: str = Field(description="What went wrong, in a sentence a writer can act on.")
    code: str = Field(description="A stable name for the kind of error.")
    fields: dict[str, list[str]] = Field(
        default_factory=dict, description="Per input field, what is wrong with it."
    )


class Me(Schema):
    username: str
    display_name: str
    token_scope: str | None = Field(description="read or write; null for a signed-in page")


class MuseRef(Schema):
    id: int
    name: str
    writer: str


class Muse(Schema):
    id: int = Field(description="What to send as ``muse`` when posting.")
    name: str
    pronouns: str
    fandom: str
    archived: bool = Field(description="Archived muses keep their posts but do not post.")
    url: str


class MuseList(Schema):
    items: list[Muse]


class ThreadRef(Schema):
    id: str = Field(description="The thread's public id, as in its address /t/<id>/.")
    title: str
    url: str


class QueueEntry(Schema):
    thread: ThreadRef
    waiting_since: datetime | None
    waiting_seconds: int | None
    awaited: list[MuseRef] = Field(description="The muses whose move it is.")
    my_muses: list[MuseRef]
    pinned: bool
    dormant: bool


class Invitation(Schema):
    thread: ThreadRef
    invited_by: str
    created_at: datetime


class TrackedMuse(Schema):
    id: int
    name: str


class TrackedThread(Schema):
    """A thread kept on another site: only its writer ever sees it."""

    id: int
    title: str
    url: str
    site: str
    partner: str
    muse: TrackedMuse | None
    tags: list[str]
    turn: Literal["mine", "theirs"]
    turn_since: datetime = Field(description="When the turn last flipped.")
    waiting_seconds: int
    remind_after_days: int | None
    overdue: bool = Field(
        description="Your turn for longer than remind_after_days (else your usual reminder)."
    )
    archived: bool
    converted_to: str | None = Field(
        description="The Tandem thread (public id) its text was imported into, if it moved here."
    )
    notes: str


class TrackedList(Schema):
    items: list[TrackedThread]


class TrackedIn(Schema):
    title: str = Field(max_length=200)
    url: str = Field("", max_length=500, description="An http(s) link, or empty.")
    site: str = Field("", max_length=100, description="Empty: the link's host name.")
    partner: str = Field("", max_length=150)
    muse: int | None = Field(None, description="The id of one of your muses (GET /muses).")
    tags: str = Field("", max_length=500, description="Separated by commas.")
    turn: Literal["mine", "theirs"] = "mine"
    remind_after_days: int | None = Field(None, ge=1, le=3650)
    notes: str = Field("", max_length=5000)


class TurnIn(Schema):
    turn: Literal["mine", "theirs"] = Field(
        description="mine: they replied, it is your turn; theirs: you replied."
    )


class Queue(Schema):
    your_turn: list[QueueEntry]
    writing: list[QueueEntry] = Field(description="Your turn, and marked as being written.")
    waiting: list[QueueEntry]
    resting: list[QueueEntry] = Field(description="Finished or paused threads.")
    muted: list[QueueEntry]
    invitations: list[Invitation]
    elsewhere: list[TrackedThread] = Field(
        default_factory=list,
        description="Threads you keep on other sites (not archived), oldest wait first.",
    )


class ThreadFacts(Schema):
    """What a thread's document and a list of threads both say of it."""

    id: str
    title: str
    url: str
    visibility: str
    status: str
    rating: str
    turn_mode: str
    post_count: int
    last_post_at: datetime | None


class Thread(ThreadFacts):
    summary: str
    awaited: list[MuseRef]
    participants: list[MuseRef]


class Post(Schema):
    number: int
    url: str
    muse: MuseRef
    body: str = Field(description="The post's text as written (empty for a removed post).")
    body_html: str = Field(description="The text as the thread page shows it.")
    words: int
    created_at: datetime
    edited_at: datetime | None
    removed: bool


class PostPage(Schema):
    items: list[Post]
    next_after: int | None = Field(
        description="Pass as ?after= for the next page; null on the last page."
    )


class PostIn(Schema):
    muse: int = Field(
        description="The id of your muse in this thread to post as (GET /muses lists yours)."
    )
    body: str
    submission_key: str = Field(
        "",
        max_length=64,
        description="Any unique string per reply: sending it again returns the same post.",
    )


# ---- writing through the API (tandem.api.writing): muses, threads, invitations, posts


class MuseIn(Schema):
    """A new muse, checked by the muse page's own form (a picture is added on the page)."""

    name: str = Field(max_length=100, description="As partners will see it.")
    pronouns: str = Field("", max_length=40)
    fandom: str = Field("", max_length=120)
    nicknames: str = Field("", max_length=200, description="Other names, comma separated.")
    bio: str = Field("", max_length=2000)
    accent_colour: str = Field("#7a3e9d", max_length=7, description="#rrggbb")


class MuseChange(Schema):
    """Only the fields sent change; the rest stay as they are."""

    name: str = Field(None, max_length=100)
    pronouns: str = Field(None, max_length=40)
    fandom: str = Field(None, max_length=120)
    nicknames: str = Field(None, max_length=200)
    bio: str = Field(None, max_length=2000)
    accent_colour: str = Field(None, max_length=7)


class ThreadSummary(ThreadFacts):
    created_at: datetime


class ThreadPage(Schema):
    items: list[ThreadSummary]
    next_cursor: int | None = Field(
        description="Pass as ?cursor= for the next page; null on the last page."
    )


#: One tag's name: no comma (the page's tag boxes are comma separated) and no NUL character
#: (PostgreSQL refuses them; the forms refuse them in every other field).
Tag = Annotated[str, Field(max_length=200, pattern=r"^[^\x00,]*$")]


class ThreadIn(Schema):
    """A new thread, checked by the new-thread page's own form."""

    title: str = Field(max_length=200)
    muse: int = Field(description="The id of your muse who opens the story (GET /muses).")
    summary: str = Field("", max_length=5000)
    rating: str = Field("not_rated", description="not_rated, general, teen, mature, explicit")
    warnings: list[str] = Field(default_factory=list, description="Archive warnings.")
    fandoms: list[Tag] = Field(default_factory=list)
    relationships: list[Tag] = Field(default_factory=list)
    characters: list[Tag] = Field(default_factory=list)
    tags: list[Tag] = Field(default_factory=list, description="Freeform tags.")
    visibility: str = Field("private", description="private, unlisted or public")
    turn_mode: str = Field("ordered", description="ordered or free")


class Icon(Schema):
    id: int
    keywords: str
    image_url: str = Field(description="The picture, as the pages show it.")


class IconList(Schema):
    items: list[Icon]


class ThreadChange(Schema):
    """A change to a thread's details (its owner only): only the fields sent change, checked
    by the settings page's own form."""

    title: str | None = Field(None, max_length=200)
    summary: str | None = Field(None, max_length=5000)
    rating: str | None = Field(None, description="not_rated, general, teen, mature, explicit")
    warnings: list[str] | None = Field(None, description="Archive warnings (the whole list).")
    fandoms: list[Tag] | None = None
    relationships: list[Tag] | None = None
    characters: list[Tag] | None = None
    tags: list[Tag] | None = Field(None, description="Freeform tags (the whole list).")
    visibility: str | None = Field(None, description="private, unlisted or public")
    turn_mode: str | None = Field(None, description="ordered or free")
    status: str | None = Field(None, description="active, paused, complete or abandoned")


class ParticipantOut(Schema):
    muse: MuseRef
    position: int | None = Field(description="Place in the posting order (ordered threads).")
    joined_at: datetime
    awaited: bool = Field(description="Whether the thread waits on this muse.")


class ParticipantList(Schema):
    items: list[ParticipantOut]


class InvitationIn(Schema):
    username: str = Field(max_length=150, description="The writer to invite.")


class SentInvitation(Schema):
    id: int
    thread: ThreadRef
    invitee: str
    invited_by: str
    status: str
    created_at: datetime


class PostChange(Schema):
    body: str = Field(description="The post's new text; the old one is kept as a revision.")


class Revision(Schema):
    number: int
    body: str
    words: int
    created_at: datetime


class RevisionList(Schema):
    items: list[Revision] = Field(description="Newest first; the first is the current text.")
