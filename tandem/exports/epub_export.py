"""EPUB 3 export, built with EbookLib and valid for epubcheck (no errors, no warnings).

The book holds a title page (title, writers, muses with their writers, rating, warnings,
tags, status, counts, dates and summary), the table of contents (an EPUB 3 nav document,
also shown in the reading order, and an NCX for EPUB 2 readers), then the posts.

Posts are grouped into chapters of up to ``CHUNK_POSTS`` posts (fewer when their text passes
``CHUNK_CHARS``), each chapter one XHTML file in which a post is a ``<section id="post-N">``
with an ``<h2>`` muse heading. E-readers slow down on a spine of thousands of files and on
single files of megabytes; chapters of about fifty posts avoid both. The table of contents
lists every post: flat for a thread that fits one chapter, otherwise grouped by chapter
("Posts 1–50", then its posts), so a reader can jump straight to any post either way.

Where EbookLib falls short, this module takes over rather than post-processing its output:

- Chapter and title-page XHTML is written here (EbookLib would re-parse it with lxml's HTML
  parser and pretty-print it); post HTML is rewritten as XHTML by
  ``tandem.exports.format_post_html``.
- Each ``dc:creator`` gets its own id (EbookLib's default id is the same for all of them).
- The zip is written with fixed timestamps (the export's own time), fixed permissions and a
  fixed creator system, so the same document always gives the same bytes; EbookLib stamps
  entries with the current local time.
- The identifier is ``urn:uuid:`` + a UUID 5 of the thread's public id, stable across
  re-exports, and ``dcterms:modified`` is the export time in UTC.

A series (``export_series_epub``) is one book built from the same parts: the series' title
page (title, writers, description, the parts in reading order), the contents, then each
thread as above — its own title page and its chapters, in a folder of its own
(``text/part-001/``) with ids and muse classes prefixed ``part-001-`` so that no two parts
clash. The contents nest each thread's posts under "Part N: its title".
"""

from __future__ import annotations

import io
import uuid
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from html import escape

from ebooklib import epub

from tandem.exports.document import PostInfo, SeriesDocument, ThreadDocument
from tandem.exports.format_common import (
    MuseStyle,
    human_date,
    in_utc,
    iso_utc,
    metadata_rows,
    muse_name,
    muse_styles,
    one_line,
    post_byline,
    started_at,
    summary_paragraphs,
    text_paragraphs,
    thread_title,
    writer_name,
)
from tandem.exports.format_post_html import post_html_to_xhtml

__all__ = [
    "CHUNK_CHARS",
    "CHUNK_POSTS",
    "export_epub",
    "export_series_epub",
    "series_identifier",
    "thread_identifier",
]

CHUNK_POSTS = 50
CHUNK_CHARS = 250_000

# Seeds the UUID 5 of each thread's identifier; never change it, or every book changes id.
_IDENTIFIER_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "tandem:threads")

_STYLESHEET_HREF = "style/tandem.css"
_TEXT_DIR = "text"

_STYLESHEET = """
body { font-family: "Iowan Old Style", "Palatino Linotype", Palatino, Georgia, serif;
  line-height: 1.55; margin: 0 .5em; }
h1 { font-size: 1.8em; line-height: 1.2; margin: 1em 0 .4em; }
h2 { font-size: 1.25em; line-height: 1.25; margin: 1.6em 0 .2em; }
.byline { font-style: italic; margin: 0 0 1.5em; }
dl.facts dt { font-weight: bold; margin-top: .4em; }
dl.facts dd { margin: 0 0 0 1.5em; }
.summary p { margin: .5em 0; }
.post { border-left: 4px solid #e4dde8; padding-left: .75em; margin: 0 0 2.5em; }
.post-number { font-weight: normal; color: #5b5466; }
.post-info { font-size: .85em; color: #5b5466; margin: 0 0 1em; }
.post-body p { margin: .75em 0; }
.post-body blockquote { margin: 1em 0; padding-left: 1em; border-left: 3px solid #e4dde8; }
.post-body pre { white-space: pre-wrap; }
.post-body small { font-size: .8em; }
hr.scene-break { border: 0; margin: 1.5em 0; text-align: center; }
hr.scene-break:after { content: "\\2042"; color: #5b5466; }
""".lstrip()


def thread_identifier(doc: ThreadDocument) -> str:
    """The book's ``dc:identifier``: the same for every export of one thread."""
    return f"urn:uuid:{uuid.uuid5(_IDENTIFIER_NAMESPACE, doc.public_id)}"


def series_identifier(series: SeriesDocument) -> str:
    """A series book's ``dc:identifier``: the same for every export of one series."""
    return f"urn:uuid:{uuid.uuid5(_IDENTIFIER_NAMESPACE, 'series:' + series.public_id)}"


@dataclass(frozen=True)
class _Place:
    """Where one thread's files go in a book and how its ids and classes are spelt.

    A thread's own book keeps the names it always had (``text/``, no prefix); each part of a
    series gets a folder and a prefix of its own.
    """

    folder: str = _TEXT_DIR
    prefix: str = ""

    @property
    def stylesheet(self) -> str:
        return "../" * (self.folder.count("/") + 1) + _STYLESHEET_HREF


@dataclass
class _Part:
    """One thread laid out for a book: its title page, its chapters and their contents."""

    title_page: _Document
    chapters: list[_Document]
    #: The contents below the title page: post links, grouped by chapter when there are many.
    toc: list
    styles: list[MuseStyle] = field(default_factory=list)


def _names(names: list[str]) -> str:
    """ "Wren", "Wren and Ivy", "Wren, Ivy and Sol"."""
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def _unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(value for value in values if value))


def _stylesheet(styles: list[MuseStyle]) -> bytes:
    # E-readers show light pages (and invert them in night modes), so the light colours.
    rules = (
        f".{s.css_class} {{ border-left-color: {s.accent}; }}\n"
        f".{s.css_class} .dialogue {{ color: {s.light}; }}\n"
        for s in styles
    )
    return (_STYLESHEET + "".join(rules)).encode()


def _xhtml(title: str, body: str, *, stylesheet: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE html>\n'
        '<html xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops"'
        ' lang="en" xml:lang="en">\n<head>\n'
        f"<title>{escape(title)}</title>\n"
        f'<link rel="stylesheet" type="text/css" href="{stylesheet}"/>\n'
        f"</head>\n<body>\n{body}</body>\n</html>\n"
    ).encode()


class _Document(epub.EpubHtml):
    """A content document whose XHTML is written here, passed through as it is."""

    def get_content(self, default=None) -> bytes:
        return self.content


def _paragraphs_html(text: str) -> str:
    html = []
    for paragraph in text_paragraphs(text):
        lines = "<br/>\n".join(escape(line) for line in paragraph.split("\n"))
        html.append(f"<p>{lines}</p>\n")
    return "".join(html)


def _title_page(doc: ThreadDocument, title: str, place: _Place) -> _Document:
    writers = _unique([writer_name(writer) for writer in doc.writers])
    parts = ['<section class="title-page">\n', f"<h1>{escape(title)}</h1>\n"]
    if writers:
        parts.append(f'<p class="byline">by {escape(_names(writers))}</p>\n')
    parts.append('<dl class="facts">\n')
    for label, value in metadata_rows(doc):
        parts.append(f"<dt>{escape(label)}</dt>\n<dd>{escape(value)}</dd>\n")
    if one_line(doc.url):
        parts.append(f"<dt>Source</dt>\n<dd>{escape(one_line(doc.url))}</dd>\n")
    parts.append("</dl>\n")
    if summary_paragraphs(doc):
        parts.append('<div class="summary">\n<h2>Summary</h2>\n')
        parts.append(_paragraphs_html(doc.summary))
        parts.append("</div>\n")
    parts.append("</section>\n")
    page = _Document(
        uid=f"{place.prefix}title-page", file_name=f"{place.folder}/title.xhtml", title=title
    )
    page.content = _xhtml(title, "".join(parts), stylesheet=place.stylesheet)
    return page


def _post_section(post: PostInfo, style: MuseStyle) -> str:
    anchor = f"post-{post.number}"
    return (
        f'<section class="post {style.css_class}" id="{anchor}" aria-labelledby="{anchor}-title">\n'
        f'<h2 id="{anchor}-title"><span class="post-number">{post.number}.</span> '
        f"{escape(muse_name(post.muse))}</h2>\n"
        f'<p class="post-info">{escape(post_byline(post))}</p>\n'
        f'<div class="post-body" dir="auto">\n{post_html_to_xhtml(post.html)}\n</div>\n'
        "</section>\n"
    )


def _chunks(doc: ThreadDocument, styles: dict[str, MuseStyle]) -> list[list[tuple[PostInfo, str]]]:
    """The posts with their XHTML, grouped into chapters (see the module docstring)."""
    chunks: list[list[tuple[PostInfo, str]]] = []
    size = CHUNK_CHARS  # forces a new chunk for the first post
    for post in doc.posts:
        section = _post_section(post, styles[post.muse.key])
        if size + len(section) > CHUNK_CHARS or len(chunks[-1]) >= CHUNK_POSTS:
            chunks.append([])
            size = 0
        chunks[-1].append((post, section))
        size += len(section)
    return chunks


def _chunk_title(posts: list[tuple[PostInfo, str]]) -> str:
    first, last = posts[0][0].number, posts[-1][0].number
    return f"Post {first}" if first == last else f"Posts {first}–{last}"


def _post_link(document: _Document, post: PostInfo, place: _Place) -> epub.Link:
    return epub.Link(
        f"{document.file_name}#post-{post.number}",
        f"{post.number}. {muse_name(post.muse)}",
        f"toc-{place.prefix}post-{post.number}",
    )


def _thread_part(doc: ThreadDocument, place: _Place, *, heading: str) -> _Part:
    """A thread's title page (headed ``heading``) and its chapters of posts."""
    title = thread_title(doc)
    styles = {
        key: MuseStyle(f"{place.prefix}{style.css_class}", style.muse)
        for key, style in muse_styles(doc).items()
    }
    title_page = _title_page(doc, heading, place)
    chapters: list[_Document] = []
    toc: list = []
    chunks = _chunks(doc, styles)
    for index, chunk in enumerate(chunks, start=1):
        chunk_title = _chunk_title(chunk)
        chapter = _Document(
            uid=f"{place.prefix}posts-{index:04d}",
            file_name=f"{place.folder}/posts-{index:04d}.xhtml",
            title=chunk_title,
        )
        body = "".join(section for _, section in chunk)
        chapter.content = _xhtml(f"{chunk_title} · {title}", body, stylesheet=place.stylesheet)
        chapters.append(chapter)
        links = [_post_link(chapter, post, place) for post, _ in chunk]
        if len(chunks) == 1:
            toc.extend(links)
        else:
            toc.append((chapter, links))
    return _Part(title_page, chapters, toc, list(styles.values()))


class _FixedTimeZipFile(zipfile.ZipFile):
    """A zip file whose entries all carry one given time and the same permissions."""

    def __init__(self, *args, date_time: tuple[int, int, int, int, int, int], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._date_time = date_time

    def writestr(self, zinfo_or_arcname, data, compress_type=None, compresslevel=None) -> None:
        if not isinstance(zinfo_or_arcname, zipfile.ZipInfo):
            info = zipfile.ZipInfo(zinfo_or_arcname, date_time=self._date_time)
            info.compress_type = self.compression
            info.create_system = 3  # Unix, whatever system wrote it
            info.external_attr = 0o644 << 16
            zinfo_or_arcname = info
        if compresslevel is None:
            compresslevel = self.compresslevel
        super().writestr(zinfo_or_arcname, data, compress_type, compresslevel)


class _ReproducibleEpubWriter(epub.EpubWriter):
    """EbookLib's writer, writing into ``_FixedTimeZipFile``."""

    def __init__(self, target, book: epub.EpubBook, options: dict, moment: datetime) -> None:
        super().__init__(target, book, options)
        year = min(max(moment.year, 1980), 2107)  # what a zip timestamp can hold
        self._date_time = (
            year,
            moment.month,
            moment.day,
            moment.hour,
            moment.minute,
            moment.second,
        )

    def write(self) -> None:
        # The same steps as EpubWriter.write, in the same order (mimetype first, stored).
        self.out = _FixedTimeZipFile(
            self.file_name,
            "w",
            zipfile.ZIP_DEFLATED,
            compresslevel=self.options["compresslevel"],
            date_time=self._date_time,
        )
        self.out.writestr("mimetype", "application/epub+zip", compress_type=zipfile.ZIP_STORED)
        self._write_container()
        self._write_opf()
        self._write_items()
        self.out.close()


def _book_metadata(book: epub.EpubBook, doc: ThreadDocument, title: str) -> None:
    book.set_identifier(thread_identifier(doc))
    book.set_title(title)
    book.set_language("en")
    for index, name in enumerate(_unique([writer_name(w) for w in doc.writers]), start=1):
        book.add_author(name, uid=f"creator-{index}")
    for tag in _unique([one_line(tag) for tag in doc.tags]):
        book.add_metadata("DC", "subject", tag)
    summary = "\n\n".join(summary_paragraphs(doc))
    if summary:
        book.add_metadata("DC", "description", summary)
    book.add_metadata("DC", "date", iso_utc(started_at(doc)))
    if one_line(doc.url):
        book.add_metadata("DC", "source", one_line(doc.url))


def _write_book(
    book: epub.EpubBook,
    *,
    styles: list[MuseStyle],
    first: _Document,
    rest: list[_Document],
    toc: list,
    exported_at: datetime,
) -> bytes:
    """The book's zip: ``first`` (a title page), the contents, then ``rest`` in order."""
    book.add_item(
        epub.EpubItem(
            uid="style",
            file_name=_STYLESHEET_HREF,
            media_type="text/css",
            content=_stylesheet(styles),
        )
    )
    for document in (first, *rest):
        book.add_item(document)
    nav = epub.EpubNav(title="Contents")
    nav.add_link(href=_STYLESHEET_HREF, rel="stylesheet", type="text/css")
    book.add_item(nav)
    book.add_item(epub.EpubNcx())
    book.toc = toc
    book.spine = [first, nav, *rest]
    book.guide = [{"type": "toc", "href": nav.file_name, "title": "Contents"}]
    if rest:
        book.guide.append({"type": "text", "href": rest[0].file_name, "title": "Story"})

    exported = in_utc(exported_at)
    options = {"mtime": exported, "epub2_guide": False, "epub3_pages": False}
    buffer = io.BytesIO()
    writer = _ReproducibleEpubWriter(buffer, book, options, exported)
    writer.process()
    writer.write()
    return buffer.getvalue()


def export_epub(doc: ThreadDocument) -> bytes:
    """The thread as an EPUB 3 book (see the module docstring for its layout)."""
    title = thread_title(doc)
    book = epub.EpubBook()
    _book_metadata(book, doc, title)
    part = _thread_part(doc, _Place(), heading=title)
    toc = [epub.Link(part.title_page.file_name, "Title page", "toc-title-page"), *part.toc]
    return _write_book(
        book,
        styles=part.styles,
        first=part.title_page,
        rest=part.chapters,
        toc=toc,
        exported_at=doc.exported_at,
    )


def series_title(series: SeriesDocument) -> str:
    return one_line(series.title) or "Untitled series"


def _series_title_page(series: SeriesDocument, title: str, parts: list[_Part]) -> _Document:
    writers = _unique([writer_name(w) for doc in series.threads for w in doc.writers])
    html = ['<section class="title-page">\n', f"<h1>{escape(title)}</h1>\n"]
    if writers:
        html.append(f'<p class="byline">by {escape(_names(writers))}</p>\n')
    words = sum(doc.word_count or sum(p.word_count for p in doc.posts) for doc in series.threads)
    html.append('<dl class="facts">\n')
    facts = [
        ("Parts", f"{len(series.threads):,}"),
        ("Words", f"{words:,}"),
        ("Exported", human_date(series.exported_at)),
    ]
    if one_line(series.url):
        facts.append(("Source", one_line(series.url)))
    for label, value in facts:
        html.append(f"<dt>{escape(label)}</dt>\n<dd>{escape(value)}</dd>\n")
    html.append("</dl>\n")
    if text_paragraphs(series.description):
        html.append('<div class="summary">\n<h2>About this series</h2>\n')
        html.append(_paragraphs_html(series.description))
        html.append("</div>\n")
    if parts:
        html.append("<h2>Reading order</h2>\n<ol>\n")
        for doc, part in zip(series.threads, parts, strict=True):
            href = part.title_page.file_name.removeprefix(f"{_TEXT_DIR}/")
            html.append(f'<li><a href="{escape(href)}">{escape(thread_title(doc))}</a></li>\n')
        html.append("</ol>\n")
    html.append("</section>\n")
    page = _Document(uid="title-page", file_name=f"{_TEXT_DIR}/title.xhtml", title=title)
    page.content = _xhtml(title, "".join(html), stylesheet=_Place().stylesheet)
    return page


def export_series_epub(series: SeriesDocument) -> bytes:
    """A series as one EPUB 3 book, one part per thread in reading order."""
    title = series_title(series)
    book = epub.EpubBook()
    book.set_identifier(series_identifier(series))
    book.set_title(title)
    book.set_language("en")
    writers = _unique([writer_name(w) for doc in series.threads for w in doc.writers])
    for index, name in enumerate(writers, start=1):
        book.add_author(name, uid=f"creator-{index}")
    description = "\n\n".join(text_paragraphs(series.description))
    if description:
        book.add_metadata("DC", "description", description)
    starts = [started_at(doc) for doc in series.threads]
    book.add_metadata("DC", "date", iso_utc(min(starts) if starts else series.exported_at))
    if one_line(series.url):
        book.add_metadata("DC", "source", one_line(series.url))

    parts = [
        _thread_part(
            doc,
            _Place(f"{_TEXT_DIR}/part-{index:03d}", f"part-{index:03d}-"),
            heading=f"Part {index}: {thread_title(doc)}",
        )
        for index, doc in enumerate(series.threads, start=1)
    ]
    first = _series_title_page(series, title, parts)
    toc: list = [epub.Link(first.file_name, "Title page", "toc-title-page")]
    rest: list[_Document] = []
    for index, (doc, part) in enumerate(zip(series.threads, parts, strict=True), start=1):
        heading = f"Part {index}: {thread_title(doc)}"
        if part.toc:
            toc.append((epub.Section(heading, href=part.title_page.file_name), part.toc))
        else:
            toc.append(epub.Link(part.title_page.file_name, heading, f"toc-part-{index:03d}"))
        rest.extend([part.title_page, *part.chapters])
    return _write_book(
        book,
        styles=[style for part in parts for style in part.styles],
        first=first,
        rest=rest,
        toc=toc,
        exported_at=series.exported_at,
    )
