"""What every export format shares: names, dates, metadata rows, colours and post HTML trees.

The export writers agree on how a date reads ("4 March 2019", in UTC), how a writer or muse
is named when a field is blank, which metadata a thread shows and in what order, and which
CSS class each muse's posts carry. Keeping those here means the four formats cannot drift.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, datetime

import lxml.html

from tandem.exports.document import MuseInfo, PostInfo, ThreadDocument, WriterInfo

__all__ = [
    "MuseStyle",
    "human_date",
    "in_utc",
    "iso_utc",
    "metadata_rows",
    "muse_name",
    "muse_styles",
    "one_line",
    "parse_post_html",
    "post_byline",
    "started_at",
    "summary_paragraphs",
    "text_paragraphs",
    "thread_title",
    "word_count_label",
    "writer_name",
    "xml_safe",
]

_MONTHS = (
    *("January", "February", "March", "April", "May", "June"),
    *("July", "August", "September", "October", "November", "December"),
)

# Characters XML 1.0 forbids (C0 controls but tab and newlines, lone surrogates, U+FFFE/FFFF).
# Writers' text reaches XHTML and the OPF, where one of them makes the whole file unreadable.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")

_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")
_MUSE_DEFAULTS = {field.name: field.default for field in dataclasses.fields(MuseInfo)}


def xml_safe(text: str) -> str:
    """The text without the characters XML cannot carry."""
    return _NOT_XML.sub("", text)


def one_line(text: str) -> str:
    """Text for a heading or a metadata value: whitespace runs, newlines included, become one space."""
    return " ".join(xml_safe(text).split())


def thread_title(doc: ThreadDocument) -> str:
    return one_line(doc.title) or "Untitled thread"


def writer_name(writer: WriterInfo) -> str:
    return one_line(writer.display_name) or one_line(writer.username) or "Unknown writer"


def muse_name(muse: MuseInfo) -> str:
    return one_line(muse.name) or "Unnamed muse"


def summary_paragraphs(doc: ThreadDocument) -> list[str]:
    """The summary's paragraphs (split at blank lines), each keeping its own line breaks."""
    return text_paragraphs(doc.summary)


def text_paragraphs(text: str) -> list[str]:
    """Plain text's paragraphs (split at blank lines), each keeping its own line breaks."""
    text = xml_safe(text).replace("\r\n", "\n").replace("\r", "\n")
    paragraphs = (paragraph.strip() for paragraph in re.split(r"\n[ \t]*\n", text))
    return ["\n".join(line.strip() for line in p.split("\n")) for p in paragraphs if p]


# ---------------------------------------------------------------------------- dates and counts


def in_utc(moment: datetime) -> datetime:
    """The moment in UTC; a naive datetime can only have come from a UTC database value."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def human_date(moment: datetime) -> str:
    """ "4 March 2019": the day of the moment in UTC, spelt out so no reader misreads it."""
    moment = in_utc(moment)
    return f"{moment.day} {_MONTHS[moment.month - 1]} {moment.year}"


def iso_utc(moment: datetime) -> str:
    """ "2019-03-04T18:30:00Z", for machine-readable dates (``<time>``, EPUB metadata)."""
    return in_utc(moment).strftime("%Y-%m-%dT%H:%M:%SZ")


def word_count_label(count: int) -> str:
    return f"{count:,} word" + ("" if count == 1 else "s")


def started_at(doc: ThreadDocument) -> datetime:
    """When the story began: the thread's creation, or an earlier first post (an import)."""
    if doc.posts:
        return min(in_utc(doc.created_at), in_utc(doc.posts[0].created_at))
    return in_utc(doc.created_at)


def _last_post_at(doc: ThreadDocument) -> datetime | None:
    if doc.last_post_at is not None:
        return doc.last_post_at
    return doc.posts[-1].created_at if doc.posts else None


def _total_words(doc: ThreadDocument) -> int:
    return doc.word_count or sum(post.word_count for post in doc.posts)


def post_byline(post: PostInfo) -> str:
    """ "posted 4 March 2019 by Wren · 312 words", the same words in every format."""
    parts = [f"posted {human_date(post.created_at)} by {writer_name(post.muse.writer)}"]
    if post.edited_at is not None:
        parts.append(f"edited {human_date(post.edited_at)}")
    parts.append(word_count_label(post.word_count))
    return " · ".join(parts)


def metadata_rows(doc: ThreadDocument) -> list[tuple[str, str]]:
    """The thread's facts as (label, value) pairs, in reading order; empty facts are left out."""
    rows: list[tuple[str, str]] = []
    writers = [writer_name(writer) for writer in doc.writers]
    if writers:
        rows.append(("Writers", ", ".join(writers)))
    if doc.muses:
        muses = (f"{muse_name(muse)} ({writer_name(muse.writer)})" for muse in doc.muses)
        rows.append(("Muses", ", ".join(muses)))
    for label, value in (("Rating", doc.rating), ("Status", doc.status)):
        if one_line(value):
            rows.append((label, one_line(value)))
    for label, values in (("Warnings", doc.warnings), ("Tags", doc.tags)):
        kept = [one_line(value) for value in values if one_line(value)]
        if kept:
            rows.append((label, ", ".join(kept)))
    rows.append(("Posts", f"{len(doc.posts):,}"))
    rows.append(("Words", f"{_total_words(doc):,}"))
    rows.append(("Started", human_date(started_at(doc))))
    last = _last_post_at(doc)
    if last is not None:
        rows.append(("Last post", human_date(last)))
    rows.append(("Exported", human_date(doc.exported_at)))
    return rows


# ---------------------------------------------------------------------------- muse colours


class MuseStyle:
    """A muse's CSS class and colours, checked so they are safe to write into a stylesheet."""

    __slots__ = ("accent", "css_class", "dark", "light", "muse")

    def __init__(self, css_class: str, muse: MuseInfo) -> None:
        self.css_class = css_class
        self.muse = muse
        self.accent = _checked_colour(muse.accent_colour, _MUSE_DEFAULTS["accent_colour"])
        self.light = _checked_colour(muse.dialogue_light, _MUSE_DEFAULTS["dialogue_light"])
        self.dark = _checked_colour(muse.dialogue_dark, _MUSE_DEFAULTS["dialogue_dark"])


def _checked_colour(value: str, default: str) -> str:
    return value.lower() if isinstance(value, str) and _COLOUR.fullmatch(value) else default


def muse_styles(doc: ThreadDocument) -> dict[str, MuseStyle]:
    """One style per muse key, classes numbered in the document's order ("muse-1", …).

    The classes are ours rather than the document's keys so that they are always valid CSS
    class names and XML tokens, whatever a key looks like.
    """
    styles: dict[str, MuseStyle] = {}
    for muse in [*doc.muses, *(post.muse for post in doc.posts)]:
        if muse.key not in styles:
            styles[muse.key] = MuseStyle(f"muse-{len(styles) + 1}", muse)
    return styles


# ---------------------------------------------------------------------------- post HTML


def parse_post_html(html: str) -> lxml.html.HtmlElement:
    """A post's HTML as a tree under one ``<div>``.

    The HTML comes from ``render_post`` and is already well-formed; lxml's parser still reads
    anything else leniently (unclosed tags, named entities), which the formats that rewrite it
    as XHTML or plain text rely on.
    """
    return lxml.html.fragment_fromstring(xml_safe(html), create_parent="div")
