"""Markdown export escapes raw HTML the way Tandem shows it (issue 9, item 8).

A Markdown file is opened in viewers that pass raw HTML through. Whatever Tandem's renderer
shows as text (``<script>``, ``<img onerror>``, ``<iframe>``…) must be text there too, in
names as in bodies; the tags it keeps stay, so the file still renders the same in Tandem.
"""

from __future__ import annotations

from dataclasses import replace
from html.parser import HTMLParser

import pytest
from markdown_it import MarkdownIt

from tandem.exports.markdown_export import escape_raw_html, export_markdown
from tandem.exports.services import thread_export
from tandem.writing.markup import ALLOWED_TAGS, OBSOLETE_TAGS, render_post
from tests.exports.test_formats import MARISOL, doc, make_post  # noqa: F401 (fixture)

HOSTILE = [
    "<script>alert('MARKER-SCRIPT')</script>",
    "<img src=x onerror=alert('MARKER-IMG')>",
    "<iframe src='https://evil.example/MARKER-IFRAME'></iframe>",
    "<svg onload=alert(1)>",
    "<a href=\"javascript:alert('MARKER-JS')\">click</a>",
    '<span onmouseover="alert(1)">hover</span>',
    "<!-- MARKER-COMMENT -->",
]

# A plain CommonMark viewer that passes raw HTML straight through (the worst case).
VIEWER = MarkdownIt("commonmark", {"html": True})


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.comments: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))

    def handle_comment(self, data):
        self.comments.append(data)


def live_html(markdown: str) -> _Tags:
    """The elements a browser would build from the viewer's rendering of ``markdown``."""
    parser = _Tags()
    parser.feed(VIEWER.render(markdown))
    return parser


def assert_harmless(markdown: str) -> None:
    parsed = live_html(markdown)
    # Markdown's own elements, plus the renderer's allow-list: nothing else is live.
    markdown_tags = {"p", "h1", "h2", "em", "strong", "hr", "ul", "li", "blockquote", "a", "code"}
    allowed = markdown_tags | ALLOWED_TAGS | set(OBSOLETE_TAGS)
    for tag, attrs in parsed.tags:
        assert tag in allowed, (tag, markdown)
        for name, value in attrs:
            assert not name.startswith("on"), (tag, name)
            assert "javascript" not in (value or "").lower(), (tag, value)
    assert not parsed.comments


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_html_in_a_body_is_text_in_any_viewer(doc, hostile):  # noqa: F811
    body = f"She read the note aloud: {hostile} and laughed."
    md = export_markdown(replace(doc, posts=[make_post(1, MARISOL, body)]))
    assert_harmless(md)
    # …and it reads exactly as in Tandem, which shows the tag as text.
    assert render_post(escape_raw_html(body)) == render_post(body)


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_html_opening_a_block_is_text_in_any_viewer(doc, hostile):  # noqa: F811
    body = f"{hostile}\nsecond line\n\n<details>\n<summary>x</summary>\n`{hostile}`\n</details>"
    md = export_markdown(replace(doc, posts=[make_post(1, MARISOL, body)]))
    assert_harmless(md)


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_html_in_names_title_tags_and_summary(doc, hostile):  # noqa: F811
    muse = replace(
        MARISOL, name=f"Mari {hostile}", writer=replace(MARISOL.writer, display_name=hostile)
    )
    md = export_markdown(
        replace(
            doc,
            title=f"The {hostile} Keepers",
            summary=f"A summary {hostile}\n\nwith {hostile} twice",
            tags=[hostile, "plain"],
            muses=[muse],
            writers=[muse.writer],
            posts=[make_post(1, muse, "Plain words.")],
        )
    )
    assert_harmless(md)
    # Shown as written, not dropped: the reader still sees the name the writer chose.
    assert md.count("&lt;") >= 6


def test_kept_tags_stay_without_the_attributes_tandem_drops():
    body = 'a <b onclick="x">bold</b>, <i>it</i>, <a href="https://ok.example" onclick="x">ok</a>'
    escaped = escape_raw_html(body)
    assert "<b>bold</b>" in escaped and "<i>it</i>" in escaped
    assert '<a href="https://ok.example">ok</a>' in escaped
    assert "onclick" not in escaped
    assert render_post(escaped) == render_post(body)


@pytest.mark.parametrize(
    "body",
    [
        "`<div>` is a tag, and so is ``<span>``",
        "```\n<script>alert(1)</script>\n```",
        "x < y, and 3 <4",
        "<https://example.com/a?b=c> and <someone@example.com>",
        "\\<not a tag>",
        "> quoted <u>under</u> <blink>old</blink>\n> more",
        "- item <em>one</em>\n- item <marquee>two</marquee>",
    ],
)
def test_escaping_changes_nothing_tandem_shows(body):
    assert render_post(escape_raw_html(body)) == render_post(body)
    assert_harmless(escape_raw_html(body))


def test_the_download_of_a_thread_with_hostile_names_is_escaped(
    db, make_writer, make_muse, make_thread
):
    writer = make_writer("mallory")
    writer.display_name = "<script>alert('MARKER-WRITER')</script>"
    writer.save()
    muse = make_muse(writer, "<img src=x onerror=alert('MARKER-MUSE')>")
    thread = make_thread(
        writer,
        muse,
        title="<iframe src=//evil.example/MARKER-TITLE>",
        summary="<script>MARKER-SUMMARY</script>",
        tags=["<b onclick=alert(1)>MARKER-TAG</b>"],
        visibility="public",
    )
    from tandem.threads import services

    services.post_create(
        thread=thread, writer=writer, muse=muse, body="<script>alert('MARKER-BODY')</script> hi"
    )
    md = thread_export(thread, "md").content.decode()
    assert_harmless(md)
    for marker in ("MARKER-WRITER", "MARKER-MUSE", "MARKER-TITLE", "MARKER-SUMMARY", "MARKER-BODY"):
        assert marker in md  # shown as text, never dropped
    assert "<script" not in md and "<img" not in md and "<iframe" not in md


# A viewer that links any scheme at all (markdown-it refuses javascript: by itself).
TRUSTING_VIEWER = MarkdownIt("commonmark", {"html": True})
TRUSTING_VIEWER.validateLink = lambda url: True


@pytest.mark.parametrize(
    "body",
    [
        "she left a note: [read me](javascript:alert('MARKER-LINK')) on the step.",
        "a [plain-looking](  <vbscript:msgbox(1)> ) line.",
        "[the map][1] was folded twice.\n\n[1]: javascript:alert('MARKER-DEF')",
    ],
)
def test_links_to_unsafe_schemes_are_left_as_words(body):
    markdown = escape_raw_html(body)
    rendered = TRUSTING_VIEWER.render(markdown)
    parser = live_html(markdown)
    hrefs = [value for tag, attrs in parser.tags for name, value in attrs if name == "href"]
    trusting = _Tags()
    trusting.feed(rendered)
    hrefs += [value for tag, attrs in trusting.tags for name, value in attrs if name == "href"]
    assert not [h for h in hrefs if h and not h.startswith(("http:", "https:", "mailto:"))]
    # The words stay: the writer's text is shown, not dropped.
    assert "javascript" in markdown or "vbscript" in markdown


def test_safe_links_stay_links():
    markdown = escape_raw_html("see [the archive](https://archive.example/works/1).")
    trusting = _Tags()
    trusting.feed(TRUSTING_VIEWER.render(markdown))
    assert ("a", [("href", "https://archive.example/works/1")]) in trusting.tags
