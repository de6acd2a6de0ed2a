"""Markdown export: the writers' own text, laid out so Tandem's importer can split it again.

The file opens with the title as ``# `` and a list of the thread's facts, then gives each
post as a ``## N. Muse name`` heading, an italic date line and the post's Markdown source,
posts separated by a ``---`` line.

Tandem's importer splits a file at ``---`` lines, at ``## `` headings and at lines that are
only ``**bold**``. A post body may hold any of those (a ``---`` scene break above all), so
such lines are rewritten into forms that render exactly the same in Tandem but no longer
look like separators: a dashed scene break becomes ``* * *``, a bold-only line becomes
``<strong>…</strong>``, and a line starting with ``#`` gets a backslash (Tandem shows
headings as plain text anyway, and ``\\#`` is a literal ``#``).

Raw HTML is escaped the way Tandem's renderer shows it (``escape_raw_html``), so that the
file is as safe in any Markdown viewer as the thread is in Tandem: a tag the renderer keeps
(``<b>``, ``<details>``…) stays, without the attributes it would drop; anything else --
``<script>``, ``<img onerror=…>``, ``<iframe>``, comments, a stray ``<`` -- gets its ``<``
written as ``&lt;``, which every viewer shows as the ``<`` it was. Code spans and code
blocks, where ``<`` is already literal, are left alone. A single line break that Tandem reads
as a paragraph break (``tandem.writing.blocks.mark_paragraphs``) gets the blank line every
other Markdown viewer needs to see a paragraph. Everything else in a body is kept byte for
byte. Names, title, tags and summary are plain text in Tandem, so every ``<`` in
them is escaped (and a ``&`` that would read as a character reference); they are not
otherwise escaped for Markdown.
"""

from __future__ import annotations

import html
import re

from markdown_it import MarkdownIt
from markdown_it.common.html_re import close_tag, open_tag

from tandem.exports.document import ThreadDocument
from tandem.exports.format_common import (
    metadata_rows,
    muse_name,
    one_line,
    post_byline,
    summary_paragraphs,
    thread_title,
)
from tandem.writing.blocks import mark_paragraphs
from tandem.writing.markup import ALLOWED_ATTRIBUTES, ALLOWED_TAGS, OBSOLETE_TAGS, URL_SCHEMES

__all__ = ["escape_plain", "escape_raw_html", "export_markdown", "protect_separators"]

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


# ---------------------------------------------------------------------------- raw HTML

# How a plain CommonMark viewer reads the file (raw HTML on): the block structure that
# decides where ``<`` starts raw HTML and where it is code.
_VIEWER = MarkdownIt("commonmark", {"html": True})
_OPEN_OR_CLOSE = re.compile(f"(?:{open_tag}|{close_tag})")
_TAG_NAME = re.compile(r"</?([A-Za-z][A-Za-z0-9-]*)")
_ATTRIBUTE = re.compile(
    r"""\s+([a-zA-Z_:][a-zA-Z0-9:._-]*)(?:\s*=\s*("[^"]*"|'[^']*'|[^"'=<>`\x00-\x20]+))?"""
)
_AUTOLINK = re.compile(r"<([a-zA-Z][a-zA-Z0-9+.\-]{1,31}):[^<>\x00-\x20]*>")
_EMAIL_AUTOLINK = re.compile(
    r"<[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?"
    r"(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*>"
)
_ASCII_PUNCTUATION = frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")
_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.\-]*):")
_INVISIBLE = re.compile(r"[\x00-\x20\x7f]+")
# An inline link's destination, from its "](", and a link reference definition's.
_LINK_TARGET = re.compile(r"\]\(\s*<?([^\s)>]*)")
_LINK_DEFINITION = re.compile(r"^( {0,3}\[[^\]]+\]):(\s*<?)([^\s>]*)")


def _safe_url(value: str) -> bool:
    scheme = _SCHEME.match(_INVISIBLE.sub("", html.unescape(value)))
    return scheme is None or scheme.group(1).lower() in URL_SCHEMES


def _kept_tag(tag: str) -> str | None:
    """An allowed tag rewritten with only the attributes the renderer keeps, else None."""
    name = _TAG_NAME.match(tag).group(1).lower()
    if OBSOLETE_TAGS.get(name, name) not in ALLOWED_TAGS:
        return None
    if tag.startswith("</"):
        return f"</{name}>"
    allowed = ALLOWED_ATTRIBUTES["*"] | ALLOWED_ATTRIBUTES.get(OBSOLETE_TAGS.get(name, name), set())
    attributes = []
    inside = tag[_TAG_NAME.match(tag).end() : -1].rstrip("/")
    for attribute, raw in _ATTRIBUTE.findall(inside):
        attribute = attribute.lower()
        value = raw[1:-1] if raw[:1] in ("'", '"') else raw
        if attribute not in allowed or (attribute == "href" and not _safe_url(value)):
            continue
        attributes.append(f' {attribute}="{html.escape(html.unescape(value), quote=True)}"')
    return f"<{name}{''.join(attributes)}>"


def _escape_markup(text: str, *, inline: bool) -> str:
    """``text`` with every ``<`` that would start HTML the renderer drops written as ``&lt;``.

    ``inline`` text is read as Markdown inline content (code spans and backslash escapes
    apply); otherwise it is the inside of a raw HTML block, where they do not.
    """
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if inline and char == "\\" and i + 1 < n and text[i + 1] in _ASCII_PUNCTUATION:
            out.append(text[i : i + 2])
            i += 2
        elif inline and char == "`":
            run = _run_length(text, i)
            close = _closing_run(text, i + run, run)
            end = close + run if close is not None else i + run
            out.append(text[i:end])
            i = end
        elif inline and char == "]" and (target := _LINK_TARGET.match(text, i)):
            # [text](javascript:…) is a link in viewers that do not check schemes: written
            # as ]\( it stays the words the writer typed (Tandem never links it either).
            out.append("]" if _safe_url(target.group(1)) else "]\\")
            i += 1
        elif char == "<":
            link = _AUTOLINK.match(text, i) if inline else None
            if link is not None and link.group(1).lower() in URL_SCHEMES:
                out.append(link.group(0))
                i = link.end()
                continue
            email = _EMAIL_AUTOLINK.match(text, i) if inline else None
            if email is not None:
                out.append(email.group(0))
                i = email.end()
                continue
            tag = _OPEN_OR_CLOSE.match(text, i)
            kept = _kept_tag(tag.group(0)) if tag is not None else None
            if kept is not None:
                out.append(kept)
                i = tag.end()
            else:
                out.append("&lt;")
                i += 1
        else:
            out.append(char)
            i += 1
    return "".join(out)


def _run_length(text: str, start: int) -> int:
    end = start
    while end < len(text) and text[end] == "`":
        end += 1
    return end - start


def _closing_run(text: str, start: int, length: int) -> int | None:
    """Where the backtick run of exactly ``length`` that closes a code span begins, if any."""
    i = text.find("`", start)
    while i >= 0:
        run = _run_length(text, i)
        if run == length:
            return i
        i = text.find("`", i + run)
    return None


def escape_raw_html(markdown: str) -> str:
    """The Markdown with raw HTML the post renderer would not keep, and links to schemes it
    would not link, shown as text instead."""
    if "<" not in markdown and "]" not in markdown:
        return markdown
    lines = markdown.split("\n")
    code: set[int] = set()
    raw_html: set[int] = set()
    inline: dict[int, int] = {}  # first line of an inline run → its end
    for token in _VIEWER.parse(markdown):
        if token.map is None:
            continue
        start, end = token.map
        if token.type in ("fence", "code_block"):
            code.update(range(start, end))
        elif token.type == "html_block":
            raw_html.update(range(start, end))
        elif token.type == "inline":
            inline[start] = end
    out: list[str] = []
    n = 0
    while n < len(lines):
        if n in inline and not raw_html.intersection(range(n, inline[n])):
            end = inline[n]
            escaped = _escape_markup("\n".join(lines[n:end]), inline=True)
            # A strict viewer reads a definition to javascript: as words, a trusting one not.
            out.extend(_neutral_definition(line) for line in escaped.split("\n"))
            n = end
        elif n in code and n not in raw_html:
            out.append(lines[n])
            n += 1
        else:
            out.append(_neutral_definition(_escape_markup(lines[n], inline=False)))
            n += 1
    return "\n".join(out)


def _neutral_definition(line: str) -> str:
    """A link reference definition to an unsafe scheme, written so it defines nothing."""
    definition = _LINK_DEFINITION.match(line)
    if definition is None or _safe_url(definition.group(3)):
        return line
    return definition.group(1).replace("[", "\\[", 1) + line[len(definition.group(1)) :]


_ENTITY_LIKE = re.compile(r"&(?=#[0-9]{1,7};|#[xX][0-9a-fA-F]{1,6};|[A-Za-z][A-Za-z0-9]{1,31};)")


def escape_plain(text: str) -> str:
    """Plain text (a name, the title, a tag, the summary) that no viewer reads as HTML."""
    return _ENTITY_LIKE.sub("&amp;", text).replace("<", "&lt;")


def _body(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n").strip("\n")
    if not text.strip():
        return "*(This post is empty.)*"
    return escape_raw_html(protect_separators(mark_paragraphs(text.rstrip())))


def export_markdown(doc: ThreadDocument) -> str:
    """The whole thread as one Markdown document (see the module docstring for its layout)."""
    out = [f"# {escape_plain(thread_title(doc))}", ""]
    out.extend(f"- **{label}:** {escape_plain(value)}" for label, value in metadata_rows(doc))
    if one_line(doc.url):
        out.append(f"- **Source:** <{one_line(doc.url)}>")
    out.append("")
    # The summary is quoted, unlabelled: a "**Summary:**" line would read as a post header.
    summary = summary_paragraphs(doc)
    for index, paragraph in enumerate(summary):
        if index:
            out.append(">")
        out.extend(f"> {escape_plain(line)}".rstrip() for line in paragraph.split("\n"))
    if summary:
        out.append("")
    for post in doc.posts:
        out.extend([POST_SEPARATOR, ""])
        out.extend([f"## {post.number}. {escape_plain(muse_name(post.muse))}", ""])
        out.extend([f"*{escape_plain(post_byline(post))}*", ""])
        out.extend([_body(post.body), ""])
    return "\n".join(out)
