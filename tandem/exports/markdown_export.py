"""Markdown export: the writers' own text, laid out so Tandem's importer can split it again.

The file opens with the title as ``# `` and a list of the thread's facts, then gives each
post as a ``## N. Muse name`` heading, an italic date line and the post's Markdown source,
posts separated by a ``---`` line.

Tandem's importer splits a file at ``---`` lines, at ``## `` headings and at lines that are
only ``**bold**``. A post body may hold any of those (a ``---`` scene break above all), so
such lines are rewritten into forms that render exactly the same in Tandem but no longer
look like separators: a dashed scene break becomes ``* * *``, a bold-only line becomes
``<strong>…</strong>``, and a line starting with ``#`` gets a backslash (Tandem shows
headings as plain text anyway, and ``\\#`` is a literal ``#``). Everything else in a body is
kept byte for byte. Metadata values are written as plain text, not escaped for Markdown.
"""

from __future__ import annotations

import re

from tandem.exports.document import ThreadDocument
from tandem.exports.format_common import (
    metadata_rows,
    muse_name,
    one_line,
    post_byline,
    summary_paragraphs,
    thread_title,
)

__all__ = ["export_markdown", "protect_separators"]

# The separator-like lines, matched as Tandem's renderer reads them (up to three spaces of
# indent; a scene break may be spaced out, "- - -").
_DASHED_BREAK = re.compile(r"^ {0,3}-(?:[ \t]*-){2,}[ \t]*$", re.MULTILINE)
_BOLD_ONLY = re.compile(r"^([ \t]*)\*\*(?=\S)((?:(?!\*\*).)+?)(?<=\S)\*\*[ \t]*$", re.MULTILINE)
_HASH_START = re.compile(r"^( {0,3})(?=#)", re.MULTILINE)

POST_SEPARATOR = "---"


def protect_separators(markdown: str) -> str:
    """The Markdown with separator-like lines rewritten so that it renders the same in Tandem."""
    markdown = _DASHED_BREAK.sub("* * *", markdown)
    markdown = _BOLD_ONLY.sub(r"\1<strong>\2</strong>", markdown)
    return _HASH_START.sub(r"\1\\", markdown)


def _body(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n").strip("\n")
    return protect_separators(text.rstrip()) if text.strip() else "*(This post is empty.)*"


def export_markdown(doc: ThreadDocument) -> str:
    """The whole thread as one Markdown document (see the module docstring for its layout)."""
    out = [f"# {thread_title(doc)}", ""]
    out.extend(f"- **{label}:** {value}" for label, value in metadata_rows(doc))
    if one_line(doc.url):
        out.append(f"- **Source:** <{one_line(doc.url)}>")
    out.append("")
    # The summary is quoted, unlabelled: a "**Summary:**" line would read as a post header.
    summary = summary_paragraphs(doc)
    for index, paragraph in enumerate(summary):
        if index:
            out.append(">")
        out.extend(f"> {line}".rstrip() for line in paragraph.split("\n"))
    if summary:
        out.append("")
    for post in doc.posts:
        out.extend([POST_SEPARATOR, ""])
        out.extend([f"## {post.number}. {muse_name(post.muse)}", ""])
        out.extend([f"*{post_byline(post)}*", ""])
        out.extend([_body(post.body), ""])
    return "\n".join(out)
