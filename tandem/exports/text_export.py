"""Plain-text export: the thread as it reads, for any editor, with no markup at all.

Conventions:

- The title is underlined with ``=`` as wide as it displays (wide CJK characters count two
  columns, combining marks and zero-width characters none), then one ``Label: value`` line per
  fact and the summary.
- Each post opens with ``— 1 · Muse name (Writer) · 4 March 2019 · 312 words —`` after two
  blank lines, then the text as the reading page shows it.
- Emphasis, bold, dialogue colour and the like are dropped, not spelled out with ``*`` or
  capitals: the words stay exactly as written. A ``<br>`` is a line break, paragraphs are
  separated by a blank line, a scene break is ``* * *`` centred in 68 columns, quotes are
  prefixed ``> ``, list items ``• `` or ``1. ``, links keep their address in parentheses when
  the text does not already show it, ruby text follows its base in parentheses.
- Lines are not wrapped: writers paste the text into other tools, which wrap it themselves.
"""

from __future__ import annotations

import unicodedata

from tandem.exports.document import PostInfo, ThreadDocument
from tandem.exports.format_common import (
    human_date,
    metadata_rows,
    muse_name,
    one_line,
    summary_paragraphs,
    thread_title,
    word_count_label,
    writer_name,
)
from tandem.exports.format_post_html import post_html_to_text

__all__ = ["export_text", "post_header"]


def _display_width(text: str) -> int:
    width = 0
    for character in text:
        if unicodedata.combining(character) or unicodedata.category(character) == "Cf":
            continue
        width += 2 if unicodedata.east_asian_width(character) in ("W", "F") else 1
    return width


def post_header(post: PostInfo) -> str:
    """ "— 1 · Muse name (Writer) · 4 March 2019 · 312 words —"."""
    parts = [
        str(post.number),
        f"{muse_name(post.muse)} ({writer_name(post.muse.writer)})",
        human_date(post.created_at),
    ]
    if post.edited_at is not None:
        parts.append(f"edited {human_date(post.edited_at)}")
    parts.append(word_count_label(post.word_count))
    return f"— {' · '.join(parts)} —"


def export_text(doc: ThreadDocument) -> str:
    """The whole thread as plain text (see the module docstring for the conventions)."""
    title = thread_title(doc)
    out = [title, "=" * max(_display_width(title), 3), ""]
    out.extend(f"{label}: {value}" for label, value in metadata_rows(doc))
    if one_line(doc.url):
        out.append(f"Source: {one_line(doc.url)}")
    summary = summary_paragraphs(doc)
    if summary:
        out.extend(["", "Summary:", "", "\n\n".join(summary)])
    for post in doc.posts:
        out.extend(["", "", post_header(post), ""])
        out.append(post_html_to_text(post.html) or "(This post is empty.)")
    out.append("")
    return "\n".join(out)
