"""A thread as the export formats see it: plain data, no database.

The selector in ``tandem.exports.selectors`` builds one from the models; the writers for
Markdown, plain text, HTML and EPUB only ever read these objects, so they are pure and can be
tested and benchmarked without a database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class WriterInfo:
    username: str
    display_name: str


@dataclass(frozen=True)
class MuseInfo:
    # Stable within one document; used for CSS classes and anchors ("m1", "m2", …).
    key: str
    name: str
    writer: WriterInfo
    pronouns: str = ""
    fandom: str = ""
    # #rrggbb, validated on the model.
    accent_colour: str = "#7a3e9d"
    # Dialogue colours already checked for ≥4.5:1 contrast on the light and dark card.
    dialogue_light: str = "#7a3e9d"
    dialogue_dark: str = "#c9a2e0"


@dataclass(frozen=True)
class PostInfo:
    number: int
    muse: MuseInfo
    # The writer's own text (Markdown with the allowed HTML subset).
    body: str
    # The sanitised HTML of the reading page; dialogue is wrapped in <span class="dialogue">.
    html: str
    word_count: int
    created_at: datetime
    edited_at: datetime | None = None


@dataclass(frozen=True)
class ThreadDocument:
    public_id: str
    title: str
    url: str
    summary: str
    rating: str
    warnings: list[str]
    tags: list[str]
    status: str
    writers: list[WriterInfo]
    muses: list[MuseInfo]
    posts: list[PostInfo]
    created_at: datetime
    exported_at: datetime
    last_post_at: datetime | None = None
    word_count: int = field(default=0)


@dataclass(frozen=True)
class SeriesDocument:
    """Threads grouped into a series, in reading order: one book of several threads.

    ``threads`` holds only what the reader who asked may read, each built like a thread's
    own download for that reader.
    """

    public_id: str
    title: str
    description: str
    url: str
    threads: list[ThreadDocument]
    exported_at: datetime
