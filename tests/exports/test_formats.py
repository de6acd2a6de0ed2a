"""The export formats: what each file holds, how it is escaped, and that the EPUB is valid.

Pure tests: documents are built by hand, post HTML comes from the real ``render_post``.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from html.parser import HTMLParser

import pytest
from lxml import etree

from tandem.exports.document import MuseInfo, PostInfo, ThreadDocument, WriterInfo
from tandem.exports.epub_export import CHUNK_POSTS, thread_identifier
from tandem.exports.format_post_html import TEXT_SCENE_BREAK
from tandem.exports.formats import (
    FORMATS,
    export_epub,
    export_filename,
    export_html,
    export_html_fragment,
    export_markdown,
    export_text,
    render_export,
)
from tandem.exports.markdown_export import escape_plain, protect_separators
from tandem.writing.markup import render_post
from tests.exports.epubcheck import epubcheck_problems, start_epubcheck

WREN = WriterInfo("wren", "Wren")
IVY = WriterInfo("ivy_b", "Ivy B.")
MARISOL = MuseInfo(
    "m1",
    "Marisol Vega",
    WREN,
    accent_colour="#2a6f97",
    dialogue_light="#1d5a80",
    dialogue_dark="#9ccbe8",
)
TOBIAS = MuseInfo(
    "m2",
    "Tobias Thorne",
    IVY,
    accent_colour="#9d3e5a",
    dialogue_light="#8a2f4b",
    dialogue_dark="#f0a5bd",
)
SABLE = MuseInfo(
    "m3", "Sable", WREN, accent_colour="#3d7a3a", dialogue_light="#2f6a2c", dialogue_dark="#a8dca5"
)

STORY = [
    (
        MARISOL,
        "the lighthouse had been dark for three nights. ❛you're late,❜ marisol said, not "
        "turning around from the lamp.\n\nshe wiped her hands on her coat.\n\n---\n\n"
        "by midnight the storm had found the island.",
    ),
    (
        TOBIAS,
        "“late is relative,” tobias answered. he set the lantern on the table, and it "
        "*flickered*.\\\nthe wick was nearly gone.\n\n“we have until the tide turns.”",
    ),
    (
        SABLE,
        "the cat, sable, watched them both from the stairs. she had opinions about "
        "**lanterns**.\n\n> a note, pinned to the door: *back by dawn*",
    ),
    (
        MARISOL,
        "❛then we'd better be quick.❜ she pulled the chart across and pinned its corners "
        "with whatever was close: a mug, a knife, the cat's indifference.",
    ),
]

START = datetime(2019, 3, 4, 18, 30, tzinfo=UTC)
EXPORTED = datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)


def make_post(number: int, muse: MuseInfo, body: str, **fields) -> PostInfo:
    fields.setdefault("created_at", START + timedelta(days=number - 1, hours=number))
    return PostInfo(
        number=number,
        muse=muse,
        body=body,
        html=render_post(body),
        word_count=len(body.split()),
        **fields,
    )


def make_document(posts: list[PostInfo] | None = None, **fields) -> ThreadDocument:
    if posts is None:
        posts = [make_post(n, muse, body) for n, (muse, body) in enumerate(STORY, start=1)]
    values = {
        "public_id": "t-8f3k2",
        "title": "The Lighthouse Keepers",
        "url": "https://rp.example.test/threads/t-8f3k2/",
        "summary": "two keepers, one storm.\n\nand a cat with opinions.",
        "rating": "Teen and up",
        "warnings": ["Peril"],
        "tags": ["slow burn", "lighthouse", "found family"],
        "status": "Active",
        "writers": [WREN, IVY],
        "muses": [MARISOL, TOBIAS, SABLE],
        "posts": posts,
        "created_at": START,
        "exported_at": EXPORTED,
        "last_post_at": posts[-1].created_at if posts else None,
        "word_count": sum(post.word_count for post in posts),
    }
    values.update(fields)
    return ThreadDocument(**values)


HOSTILE_TITLE = "<script>alert(\"x\")</script> & 'quotes' ]]> </title>"
HOSTILE_TAG = "<img src=x onerror=alert(1)>"
HOSTILE_SUMMARY = '</textarea><b>bold?</b> & &amp; "quoted"\nsecond line'


def hostile_document() -> ThreadDocument:
    """Escaping traps and every kind of text a writer might paste."""
    evil = replace(TOBIAS, name='<i>Tobias</i> & "Co"')
    bodies = [
        (MARISOL, "מרים אמרה: ❛שלום❜ — and then, in arabic, «مرحبا» \u200f!\u200e ok."),
        (
            evil,
            "zero\u200bwidth, joiner 👩\u200d👩\u200d👧, emoji 🌊🕯️, combining e\u0301.\n"
            'raw html: <br> &nbsp; &copy; &#x2014; <span lang="ar" dir="rtl">عربي</span>',
        ),
        (
            SABLE,
            "control \x0b\x1f\x7f characters \ufffe, a <ruby>漢<rp>(</rp><rt>kan</rt>"
            "<rp>)</rp></ruby> and <details><summary>spoiler</summary>it was the cat</details>",
        ),
        (
            MARISOL,
            '```\n<code> & ]]> --- \n```\n\n<a href="https://example.test/a b?q=&quot;x&quot;'
            '&amp;y=1&z=100%#frag#2">a link</a> and <a href="javascript:alert(1)">bad</a> and '
            "<script>alert(2)</script>\n\n"
            "> > > deep\n\n1. one\n2. two\n\n<sup>2</sup> <i>y</i> <q>quoted</q> ~~struck~~",
        ),
    ]
    posts = [make_post(n, muse, body) for n, (muse, body) in enumerate(bodies, start=1)]
    return make_document(
        posts,
        title=HOSTILE_TITLE,
        tags=[HOSTILE_TAG, "a & b", ""],
        warnings=["<b>gore</b>"],
        summary=HOSTILE_SUMMARY,
        muses=[MARISOL, evil, SABLE],
        writers=[WREN, replace(IVY, display_name='Ivy "<3" B.')],
    )


def minimal_document() -> ThreadDocument:
    """One post; no summary, tags or warnings; a blank title and a writer with no name."""
    nameless = WriterInfo("", " ")
    cat = replace(SABLE, writer=nameless, name=" ")
    return make_document(
        [make_post(1, cat, "❛mrrp.❜")],
        title=" \n ",
        summary="",
        tags=[],
        warnings=[],
        writers=[nameless],
        muses=[cat],
    )


def long_document(count: int, words_per_post: int = 60) -> ThreadDocument:
    muses = [MARISOL, TOBIAS, SABLE]
    sentence = "the tide came in ❛slowly,❜ she said, “and then all at once.” "
    repeats = max(1, words_per_post // len(sentence.split()))
    posts = [make_post(n, muses[n % 3], (sentence * repeats).strip()) for n in range(1, count + 1)]
    return make_document(posts)


@pytest.fixture
def doc() -> ThreadDocument:
    return make_document()


def assert_in_order(text: str, needles: list[str]) -> None:
    position = 0
    for needle in needles:
        found = text.find(needle, position)
        assert found >= 0, f"{needle!r} missing or out of order"
        position = found + len(needle)


# ---------------------------------------------------------------------------- entry point


def test_formats_name_a_content_type_and_extension():
    assert set(FORMATS) == {"md", "txt", "html", "archive", "epub"}
    assert FORMATS["epub"] == ("application/epub+zip", "epub")
    assert FORMATS["md"].content_type.startswith("text/markdown")


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_render_export_gives_bytes_and_is_deterministic(doc, fmt):
    first = render_export(doc, fmt)
    assert isinstance(first, bytes)
    assert first == render_export(doc, fmt)
    if fmt != "epub":
        first.decode("utf-8")


def test_render_export_refuses_an_unknown_format(doc):
    with pytest.raises(ValueError):
        render_export(doc, "pdf")
    with pytest.raises(ValueError):
        export_filename(doc, "pdf")


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("The Lighthouse Keepers", "the-lighthouse-keepers.md"),
        ("Ça va? ❛Sí❜ — 🌊", "ca-va-si.md"),
        ("<script>alert(1)</script>", "scriptalert1script.md"),
        ("🌊🕯️", "thread.md"),
        ("", "thread.md"),
        ("../../etc/passwd", "etcpasswd.md"),
    ],
)
def test_export_filename_is_an_ascii_slug(doc, title, expected):
    assert export_filename(replace(doc, title=title), "md") == expected


def test_export_filename_is_bounded(doc):
    name = export_filename(replace(doc, title="word " * 100), "epub")
    assert name.endswith(".epub") and not name.startswith("-")
    assert len(name) <= 85 and name.isascii()


# ---------------------------------------------------------------------------- Markdown


def test_markdown_has_title_metadata_and_every_post_in_order(doc):
    md = export_markdown(doc)
    assert md.startswith("# The Lighthouse Keepers\n")
    for fact in ("Wren, Ivy B.", "Marisol Vega (Wren)", "Tobias Thorne (Ivy B.)", "Sable (Wren)"):
        assert fact in md
    for fact in ("Teen and up", "Peril", "slow burn, lighthouse, found family", "Active"):
        assert fact in md
    assert f"**Words:** {doc.word_count}" in md
    assert "**Started:** 4 March 2019" in md and "**Last post:** 7 March 2019" in md
    assert "> two keepers, one storm.\n>\n> and a cat with opinions." in md
    assert_in_order(
        md, ["## 1. Marisol Vega", "## 2. Tobias Thorne", "## 3. Sable", "## 4. Marisol Vega"]
    )
    assert f"*posted 4 March 2019 by Wren · {doc.posts[0].word_count} words*" in md


def test_markdown_keeps_the_writers_own_text(doc):
    md = export_markdown(doc)
    for post in doc.posts[1:]:  # the first has a scene break, rewritten (see below)
        assert post.body in md
    assert "*flickered*" in md and "**lanterns**" in md


def test_markdown_splits_back_into_the_posts(doc):
    """Tandem's importer splits at --- lines, ## headings and **bold-only** lines."""
    body = "**Later**\n\n## not a heading\n\n- - -\n\n # indented\n\nstill the same post."
    doc = replace(doc, posts=[*doc.posts, make_post(5, SABLE, body)])
    md = export_markdown(doc)
    pieces = re.split(r"^---[ \t]*$", md, flags=re.MULTILINE)
    assert len(pieces) == len(doc.posts) + 1
    assert "## " not in pieces[0]
    for piece, post in zip(pieces[1:], doc.posts, strict=True):
        headings = re.findall(r"^ {0,3}#+ .*$", piece, flags=re.MULTILINE)
        assert headings == [f"## {post.number}. {post.muse.name}"]
        assert not re.search(r"^\s*\*\*[^*]+\*\*\s*$", piece, flags=re.MULTILINE)
    assert "still the same post." in pieces[-1]


@pytest.mark.parametrize(
    "body",
    [
        "before\n\n---\n\nafter",
        "before\n---\nafter",
        "a\n\n - - - \n\nb",
        "**Later that night**\n\nthey slept.",
        "**❛bold dialogue❜** \n\nnext",
        "## not a heading\n\n# nor this\n\n   ### nor this",
        "#hashtag and #another",
    ],
)
def test_separator_protection_renders_the_same_in_tandem(body):
    assert render_post(protect_separators(body)) == render_post(body)


def test_markdown_keeps_structure_with_multiline_title_and_blank_post(doc):
    doc = replace(doc, title="two\nlines", posts=[*doc.posts, make_post(5, SABLE, "  \n")])
    md = export_markdown(doc)
    assert md.startswith("# two lines\n")
    assert "## 5. Sable" in md and "*(This post is empty.)*" in md


# ---------------------------------------------------------------------------- plain text


def test_text_has_title_metadata_and_every_post_in_order(doc):
    text = export_text(doc)
    assert text.startswith("The Lighthouse Keepers\n======================\n")
    for fact in ("Writers: Wren, Ivy B.", "Muses: Marisol Vega (Wren), Tobias Thorne (Ivy B.)"):
        assert fact in text
    assert "Rating: Teen and up" in text and "Tags: slow burn, lighthouse" in text
    assert "Summary:\n\ntwo keepers, one storm.\n\nand a cat with opinions." in text
    words = doc.posts[0].word_count
    assert_in_order(
        text,
        [
            f"— 1 · Marisol Vega (Wren) · 4 March 2019 · {words} words —",
            "— 2 · Tobias Thorne (Ivy B.) · 5 March 2019",
            "— 3 · Sable (Wren) · 6 March 2019",
            "— 4 · Marisol Vega (Wren) · 7 March 2019",
        ],
    )


def test_text_is_the_prose_without_markup(doc):
    text = export_text(doc)
    assert not re.search(r"</?[a-z][^>]*>", text)
    assert "❛you're late,❜ marisol said" in text
    assert f"she wiped her hands on her coat.\n\n{TEXT_SCENE_BREAK}\n\nby midnight" in text
    assert TEXT_SCENE_BREAK.strip() == "* * *" and TEXT_SCENE_BREAK.startswith(" " * 30)
    # <br> is a line break; emphasis is dropped, its words kept
    assert "and it flickered.\nthe wick was nearly gone." in text
    assert "opinions about lanterns." in text
    assert "> a note, pinned to the door: back by dawn" in text


def test_text_converts_html_constructs():
    body = (
        "1. first\n2. second\n\n- a\n- b\n\n[the map](https://example.test/map) and "
        "<https://example.test/x>\n\n<ruby>漢<rp>(</rp><rt>kan</rt><rp>)</rp></ruby>"
        "\n\n```\n  keep   spacing\n```\n\n> > nested"
    )
    text = export_text(make_document([make_post(1, MARISOL, body)]))
    assert "1. first\n2. second" in text and "• a\n• b" in text
    assert "the map (https://example.test/map) and https://example.test/x" in text
    assert "漢(kan)" in text and "  keep   spacing" in text and "> > nested" in text


def test_text_underline_matches_the_displayed_width():
    text = export_text(make_document(title="灯台 ❛keepers❜"))
    title, underline = text.split("\n")[:2]
    assert title == "灯台 ❛keepers❜" and underline == "=" * 14  # the two kanji are two columns each


# ---------------------------------------------------------------------------- HTML


class _Inventory(HTMLParser):
    """Every start tag with its attributes, and the text of the <style> element."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.style = ""
        self._in_style = False
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_style = tag == "style"

    def handle_endtag(self, tag):
        self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            self.style += data

    def all(self, tag: str) -> list[dict[str, str | None]]:
        return [attrs for name, attrs in self.tags if name == tag]


def test_html_is_a_complete_accessible_page(doc):
    html = export_html(doc)
    assert html.startswith('<!doctype html>\n<html lang="en">')
    assert '<meta charset="utf-8">' in html and 'name="viewport"' in html
    assert "<title>The Lighthouse Keepers</title>" in html
    page = _Inventory(html)
    assert len(page.all("main")) == 1 and page.all("header") and page.all("nav")
    articles = page.all("article")
    assert [a["id"] for a in articles] == ["post-1", "post-2", "post-3", "post-4"]
    heading_ids = {attrs.get("id") for attrs in page.all("h2")}
    assert all(a["aria-labelledby"] in heading_ids for a in articles)
    toc = [a["href"] for a in page.all("a") if (a.get("href") or "").startswith("#post-")]
    assert toc == ["#post-1", "#post-2", "#post-3", "#post-4"]
    assert_in_order(html, ["Marisol Vega", "Tobias Thorne", "Sable", "Marisol Vega"])
    assert "Wren, Ivy B." in html and "slow burn, lighthouse, found family" in html
    assert "two keepers, one storm." in html and '<time datetime="2019-03-04T19:30:00Z">' in html
    assert 'class="post__body" dir="auto"' in html and "max-width: 68ch" in html


def test_html_is_self_contained(doc):
    html = export_html(doc)
    page = _Inventory(html)
    assert not page.all("script") and not page.all("img") and not page.all("link")
    for tag, attrs in page.tags:
        for name in ("src", "srcset", "poster", "data"):
            assert name not in attrs, (tag, attrs)
    assert "@import" not in page.style and "url(" not in page.style
    assert "@font-face" not in page.style


def test_html_colours_dialogue_per_muse_for_light_and_dark(doc):
    style = _Inventory(export_html(doc)).style
    light, _, dark = style.partition("@media (prefers-color-scheme: dark) {\n  .muse-")
    for index, muse in enumerate([MARISOL, TOBIAS, SABLE], start=1):
        assert (
            f".muse-{index} {{ --accent: {muse.accent_colour}; --dialogue: {muse.dialogue_light}; }}"
            in light
        )
        assert f"muse-{index} {{ --dialogue: {muse.dialogue_dark}; }}" in "muse-" + dark
    assert ".dialogue { color: var(--dialogue, currentColor); }" in style
    assert "border-left: 4px solid var(--accent" in style


def test_html_colours_are_checked_before_reaching_css(doc):
    bad = replace(MARISOL, dialogue_light="red;}</style><script>", accent_colour="url(x)")
    post = make_post(1, bad, "❛hi❜")
    html = export_html(replace(doc, muses=[bad], posts=[post]))
    assert "<script>" not in html and "url(x)" not in html
    assert "--dialogue: #7a3e9d" in html  # the document type's default


def test_html_escapes_writers_text():
    hostile = hostile_document()
    html = export_html(hostile)
    assert "<script>" not in html and "<img" not in html and "</textarea>" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#x27;quotes&#x27;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "&lt;/textarea&gt;&lt;b&gt;bold?&lt;/b&gt; &amp; &amp;amp;" in html
    assert "&lt;i&gt;Tobias&lt;/i&gt; &amp; &quot;Co&quot;" in html
    assert "Ivy &quot;&lt;3&quot; B." in html
    page = _Inventory(html)
    assert not page.all("script") and not page.all("img")
    assert not any((a.get("href") or "").startswith("javascript") for a in page.all("a"))


def test_blank_names_get_fallbacks_everywhere():
    doc = minimal_document()
    for output in (export_markdown(doc), export_text(doc), export_html(doc)):
        assert "Untitled thread" in output
        assert "Unnamed muse (Unknown writer)" in output
    files = open_epub(export_epub(doc))
    opf = opf_of(files)
    assert opf.findtext(".//dc:title", namespaces=NS) == "Untitled thread"
    assert [c.text for c in opf.findall(".//dc:creator", NS)] == ["Unknown writer"]


def test_empty_thread_still_exports_everywhere():
    empty = make_document([], summary="", tags=[], warnings=[])
    assert "No posts yet." in export_html(empty)
    assert export_text(empty).startswith("The Lighthouse Keepers\n")
    assert "## " not in export_markdown(empty)
    assert zipfile.ZipFile(io.BytesIO(export_epub(empty))).testzip() is None


def test_html_fragment_is_simple_html_with_inline_colours(doc):
    fragment = export_html_fragment(doc)
    assert "class=" not in fragment and "<style" not in fragment and "<html" not in fragment
    assert f'<span style="color: {MARISOL.dialogue_light}">❛you\'re late,❜</span>' in fragment
    assert f'<span style="color: {TOBIAS.dialogue_light}">“late is relative,”</span>' in fragment
    assert '<p style="text-align: center">* * *</p>' in fragment
    assert fragment.count("<hr>") == len(doc.posts) - 1
    assert "<em>flickered</em>" in fragment and "<strong>lanterns</strong>" in fragment
    assert_in_order(
        fragment, ["1. Marisol Vega", "2. Tobias Thorne", "3. Sable", "4. Marisol Vega"]
    )
    tags = {tag for tag, _ in _Inventory(fragment).tags}
    assert tags <= {"p", "strong", "em", "br", "small", "span", "blockquote", "hr"}


def test_html_fragment_escapes_and_drops_unsafe_markup():
    fragment = export_html_fragment(hostile_document())
    assert "&lt;i&gt;Tobias&lt;/i&gt;" in fragment
    page = _Inventory(fragment)
    assert not page.all("script") and "javascript" not in fragment
    assert {"lang": "ar", "dir": "rtl"} in page.all("span")


# ---------------------------------------------------------------------------- EPUB

NS = {
    "opf": "http://www.idpf.org/2007/opf",
    "dc": "http://purl.org/dc/elements/1.1/",
    "x": "http://www.w3.org/1999/xhtml",
    "ncx": "http://www.daisy.org/z3986/2005/ncx/",
    "epub": "http://www.idpf.org/2007/ops",
}


def open_epub(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as book:
        return {name: book.read(name) for name in book.namelist()}


def opf_of(files: dict[str, bytes]) -> etree._Element:
    container = etree.fromstring(files["META-INF/container.xml"])
    path = container.find(".//{*}rootfile").get("full-path")
    return etree.fromstring(files[path])


def test_epub_zip_starts_with_stored_mimetype(doc):
    with zipfile.ZipFile(io.BytesIO(export_epub(doc))) as book:
        first = book.infolist()[0]
        assert first.filename == "mimetype" and first.compress_type == zipfile.ZIP_STORED
        assert book.read("mimetype") == b"application/epub+zip"
        assert not first.extra
        # the export time, to the two seconds a zip timestamp can tell apart
        assert {info.date_time for info in book.infolist()} == {(2024, 5, 6, 7, 8, 8)}


def test_epub_metadata(doc):
    opf = opf_of(open_epub(export_epub(doc)))
    metadata = opf.find("opf:metadata", NS)
    assert metadata.findtext("dc:title", namespaces=NS) == "The Lighthouse Keepers"
    assert [c.text for c in metadata.findall("dc:creator", NS)] == ["Wren", "Ivy B."]
    assert [s.text for s in metadata.findall("dc:subject", NS)] == doc.tags
    assert metadata.findtext("dc:description", namespaces=NS) == doc.summary
    assert metadata.findtext("dc:language", namespaces=NS) == "en"
    identifier = metadata.findtext("dc:identifier", namespaces=NS)
    assert re.fullmatch(
        r"urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", identifier
    )
    assert identifier == thread_identifier(doc) == thread_identifier(replace(doc, title="new"))
    assert identifier != thread_identifier(replace(doc, public_id="other"))
    modified = metadata.find("opf:meta[@property='dcterms:modified']", NS).text
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", modified)
    assert modified == "2024-05-06T07:08:09Z"


def test_epub_omits_empty_description_and_subjects(doc):
    opf = opf_of(open_epub(export_epub(replace(doc, summary="  \n ", tags=[]))))
    assert opf.find(".//dc:description", NS) is None
    assert opf.find(".//dc:subject", NS) is None


def test_epub_navigation_and_titles(doc):
    files = open_epub(export_epub(doc))
    opf = opf_of(files)
    manifest = {item.get("id"): item for item in opf.find("opf:manifest", NS)}
    nav_item = next(i for i in manifest.values() if "nav" in (i.get("properties") or ""))
    nav = etree.fromstring(files["EPUB/" + nav_item.get("href")])
    toc = nav.find(".//x:nav[@epub:type='toc']", NS)
    labels = [a.text for a in toc.iterfind(".//x:a", NS)]
    assert labels == [
        "Title page",
        "1. Marisol Vega",
        "2. Tobias Thorne",
        "3. Sable",
        "4. Marisol Vega",
    ]
    ncx = etree.fromstring(files["EPUB/toc.ncx"])
    ncx_labels = [t.text for t in ncx.iterfind(".//ncx:navPoint/ncx:navLabel/ncx:text", NS)]
    assert ncx_labels == labels
    for name, data in files.items():
        if name.endswith(".xhtml"):
            title = etree.fromstring(data).findtext("x:head/x:title", namespaces=NS)
            assert title and title.strip(), name
    title_page = files["EPUB/text/title.xhtml"].decode()
    for fact in (
        "Marisol Vega (Wren)",
        "Teen and up",
        "Peril",
        "found family",
        "Active",
        "4 March 2019",
    ):
        assert fact in title_page
    chapter = files["EPUB/text/posts-0001.xhtml"].decode()
    assert_in_order(chapter, ['id="post-1"', 'id="post-2"', 'id="post-3"', 'id="post-4"'])
    css = files["EPUB/style/tandem.css"].decode()
    for index, muse in enumerate([MARISOL, TOBIAS, SABLE], start=1):
        assert f".muse-{index} .dialogue {{ color: {muse.dialogue_light}; }}" in css


def test_epub_groups_long_threads_into_chapters():
    files = open_epub(export_epub(long_document(CHUNK_POSTS * 2 + 3)))
    chapters = sorted(name for name in files if name.startswith("EPUB/text/posts-"))
    assert len(chapters) == 3
    text = "".join(files[name].decode() for name in chapters)
    assert [int(n) for n in re.findall(r'<section [^>]*id="post-(\d+)"', text)] == list(
        range(1, 104)
    )
    nav = etree.fromstring(files["EPUB/nav.xhtml"])
    top = [li.find("x:a", NS).text for li in nav.find(".//x:nav/x:ol", NS)]
    assert top == ["Title page", "Posts 1–50", "Posts 51–100", "Posts 101–103"]
    assert len(nav.findall(".//x:nav[@epub:type='toc']//x:ol/x:li/x:ol/x:li", NS)) == 103


def test_epub_xhtml_is_well_formed_whatever_the_post_holds():
    files = open_epub(export_epub(hostile_document()))
    for name, data in files.items():
        if name.endswith((".xhtml", ".opf", ".ncx", ".xml")):
            etree.fromstring(data)  # raises if not well-formed
    chapter = files["EPUB/text/posts-0001.xhtml"].decode()
    assert "&nbsp;" not in chapter and "\xa0" in chapter and "©" in chapter
    assert "\x0b" not in chapter and "<br/>" in chapter
    assert "<script" not in chapter and "javascript:" not in chapter
    assert 'href="https://example.test/a%20b?q=%22x%22&amp;y=1&amp;z=100%25#frag%232"' in chapter
    opf = opf_of(files)
    assert opf.findtext(".//dc:title", namespaces=NS) == HOSTILE_TITLE
    assert [s.text for s in opf.findall(".//dc:subject", NS)] == [HOSTILE_TAG, "a & b"]


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(make_document, id="story"),
        pytest.param(hostile_document, id="hostile"),
        pytest.param(minimal_document, id="one-post-blank-title-no-summary-no-tags"),
        pytest.param(lambda: long_document(300), id="300-posts"),
    ],
)
def test_epubcheck_finds_no_errors_or_warnings(tmp_path, make):
    path = tmp_path / "thread.epub"
    path.write_bytes(export_epub(make()))
    problems = epubcheck_problems(start_epubcheck(path))
    assert problems is None, problems


# ---------------------------------------------------------------------------- across formats


def test_dates_are_shown_in_utc_the_same_way_everywhere(doc):
    late_evening = datetime(2019, 3, 4, 21, 30, tzinfo=timezone(timedelta(hours=-5)))
    post = make_post(1, MARISOL, "❛after midnight in greenwich.❜", created_at=late_evening)
    doc = replace(doc, posts=[post], last_post_at=late_evening, created_at=late_evening)
    outputs = [export_markdown(doc), export_text(doc), export_html(doc)]
    outputs.append(open_epub(export_epub(doc))["EPUB/text/posts-0001.xhtml"].decode())
    for output in outputs:
        assert "5 March 2019" in output and "4 March 2019" not in output


def test_every_format_names_every_muse_and_the_title():
    hostile = hostile_document()
    files = open_epub(export_epub(hostile))
    epub_text = "".join(
        "".join(etree.fromstring(data).itertext())
        for name, data in files.items()
        if name.endswith(".xhtml")
    )
    for output in (export_text(hostile), epub_text):
        assert HOSTILE_TITLE in output
        for muse in hostile.muses:
            assert muse.name in output
    # Markdown viewers pass raw HTML through, so names and title are there with their "<"
    # written as "&lt;" (which every viewer shows as "<"; issue 9).
    markdown = export_markdown(hostile)
    assert escape_plain(HOSTILE_TITLE) in markdown
    for muse in hostile.muses:
        assert escape_plain(muse.name) in markdown
