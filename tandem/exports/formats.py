"""The export formats of a thread, and one entry point to them.

``render_export(doc, fmt)`` gives the file's bytes for a format named in ``FORMATS`` and
``export_filename(doc, fmt)`` its name. The writers themselves live in their own modules
(``markdown_export``, ``text_export``, ``html_export``, ``epub_export``); each is a pure
function of a ``ThreadDocument``, so the same document always gives the same bytes.

All formats show dates in UTC as "4 March 2019" and name the same facts in the same order
(``tandem.exports.format_common``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from django.utils.text import slugify

from tandem.exports.document import ThreadDocument
from tandem.exports.epub_export import export_epub
from tandem.exports.html_export import export_html, export_html_fragment
from tandem.exports.markdown_export import export_markdown
from tandem.exports.text_export import export_text

__all__ = [
    "FORMATS",
    "ExportFormat",
    "export_epub",
    "export_filename",
    "export_html",
    "export_html_fragment",
    "export_markdown",
    "export_text",
    "render_export",
]


class ExportFormat(NamedTuple):
    content_type: str
    #: The file name extension, without the dot.
    extension: str


FORMATS: dict[str, ExportFormat] = {
    "md": ExportFormat("text/markdown; charset=utf-8", "md"),
    "txt": ExportFormat("text/plain; charset=utf-8", "txt"),
    "html": ExportFormat("text/html; charset=utf-8", "html"),
    "epub": ExportFormat("application/epub+zip", "epub"),
    # Only the posts, with inline colours: for pasting into an archive's HTML editor, which
    # keeps simple tags and style attributes but drops <style> and classes.
    "archive": ExportFormat("text/html; charset=utf-8", "archive.html"),
}

_WRITERS: dict[str, Callable[[ThreadDocument], str | bytes]] = {
    "md": export_markdown,
    "txt": export_text,
    "html": export_html,
    "epub": export_epub,
    "archive": export_html_fragment,
}

# Long enough to tell threads apart, short enough for every file system and download bar.
_MAX_SLUG_LENGTH = 80


def _checked_format(fmt: str) -> ExportFormat:
    try:
        return FORMATS[fmt]
    except KeyError:
        raise ValueError(f"unknown export format: {fmt!r}") from None


def export_filename(doc: ThreadDocument, fmt: str) -> str:
    """ "the-lighthouse-keeper.epub": the title as an ASCII slug, or "thread" if nothing is left."""
    extension = _checked_format(fmt).extension
    slug = slugify(doc.title)[:_MAX_SLUG_LENGTH].strip("-_") or "thread"
    return f"{slug}.{extension}"


def render_export(doc: ThreadDocument, fmt: str) -> bytes:
    """The file for one format: UTF-8 text for the text formats, the zip for EPUB."""
    _checked_format(fmt)
    result = _WRITERS[fmt](doc)
    return result.encode("utf-8") if isinstance(result, str) else result
