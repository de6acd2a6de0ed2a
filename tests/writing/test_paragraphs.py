"""Paragraphs as writers mean them (issue 14): a single line break after a line of prose
starts a new paragraph; short lines in a row stay lines. Decided on the samples in
``paragraph_samples``; the edge cases below keep Markdown's own meanings intact."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from lxml import html as lxml_html
from markdown_it import MarkdownIt

from tandem.exports.html_export import export_html
from tandem.exports.markdown_export import _body, export_markdown
from tandem.exports.selectors import thread_document
from tandem.threads import services
from tandem.threads.models import Post
from tandem.writing import markup
from tandem.writing.blocks import mark_paragraphs
from tandem.writing.markup import render_post
from tandem.writing.wordcount import count_words
from tests.writing.paragraph_samples import LINES, MIXED, PROSE


def paragraphs(rendered: str) -> list[list[str]]:
    """Each top-level paragraph of the rendered HTML as its lines (split at <br>)."""
    tree = lxml_html.fragment_fromstring(rendered, create_parent="div")
    result = []
    for p in tree.iter("p"):
        lines, current = [], [p.text or ""]
        for child in p:
            if child.tag == "br":
                lines.append("".join(current).strip())
                current = [child.tail or ""]
            else:
                current.append(child.text_content() + (child.tail or ""))
        lines.append("".join(current).strip())
        result.append(lines)
    return result


def plain(line: str) -> str:
    return lxml_html.fragment_fromstring(f"<p>{line}</p>").text_content().strip()


@pytest.mark.parametrize("name", sorted(PROSE))
def test_one_line_paragraphs_are_paragraphs(name):
    text = PROSE[name]
    found = paragraphs(render_post(text))
    assert found == [[plain(line)] for line in text.split("\n")]


@pytest.mark.parametrize("name", sorted(LINES))
def test_short_lines_in_a_row_stay_lines(name):
    text = LINES[name]
    assert paragraphs(render_post(text)) == [text.split("\n")]


@pytest.mark.parametrize("name", sorted(MIXED))
def test_prose_around_lines(name):
    text, expected = MIXED[name]
    assert paragraphs(render_post(text)) == expected


LONG = (
    "Ivy turned the key in the lock of the shop door and stood there a moment longer than "
    "she needed to, listening to the rain."
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # A blank line is always a paragraph break, however short the lines.
        ("one.\n\ntwo.", [["one."], ["two."]]),
        # A trailing backslash or two spaces always a line break, however long the line.
        (LONG + "\\\n" + LONG, [[LONG, LONG]]),
        (LONG + "  \n" + LONG, [[LONG, LONG]]),
        # Text hard-wrapped mid-sentence stays one paragraph.
        (
            "the lanterns along the harbour wall went out one by one as the wind came in off\n"
            "the water, and nobody on the pier said a word.",
            [
                [
                    "the lanterns along the harbour wall went out one by one as the wind came "
                    "in off",
                    "the water, and nobody on the pier said a word.",
                ]
            ],
        ),
    ],
)
def test_the_writer_can_force_either_form(text, expected):
    assert paragraphs(render_post(text)) == expected


def test_fenced_code_keeps_its_lines():
    code = "```\n" + LONG + "\n" + LONG + "\n```"
    assert mark_paragraphs(code) == code
    assert render_post(code).count("\n") >= 2 and "<p>" not in render_post(code)


def test_a_list_stays_a_tight_list():
    text = LONG + "\n- cups\n- saucers\n- the good teapot"
    rendered = render_post(text)
    assert "<li>cups</li>" in rendered and "<li><p>" not in rendered


def test_block_quotes_get_paragraphs_inside_them():
    rendered = render_post("> " + LONG + "\n> " + LONG)
    assert re.fullmatch(r"<blockquote>\s*<p>[^<]+</p>\s*<p>[^<]+</p>\s*</blockquote>\s*", rendered)


def test_small_text_around_several_lines_stays_one_small_paragraph():
    rendered = render_post("<small>" + LONG + "\n" + LONG + "</small>")
    assert rendered.count("<p>") == 1 and "<br>" in rendered
    assert rendered.count("<small>") == 1


def test_details_blocks_are_left_as_written():
    text = "<details>\n<summary>ooc</summary>\n" + LONG + "\n" + LONG + "\n</details>"
    assert mark_paragraphs(text) == text


@pytest.mark.parametrize("name", sorted(PROSE) + sorted(LINES))
def test_the_word_count_does_not_change(name):
    text = {**PROSE, **LINES}[name]
    single = render_post(text)
    # The same text as it rendered before this rule: every break a <br> in one paragraph.
    before = render_post(text.replace("\n", "\\\n"))
    assert count_words(single) == count_words(before)


@pytest.mark.django_db
def test_posts_rendered_by_the_older_renderer_render_again(coffee_cart, writer_a, ivy, as_alice):
    post = services.post_create(
        thread=coffee_cart, writer=writer_a, muse=ivy, body=PROSE["lowercase tumblr"]
    )
    Post.objects.filter(pk=post.pk).update(
        body_html="<p>old</p>", renderer_version=markup.RENDERER_VERSION - 1
    )
    body_before = Post.objects.get(pk=post.pk).body
    page = as_alice.get(reverse("thread-detail", args=[coffee_cart.public_id])).content.decode()
    assert page.count("the market was already half packed") == 1
    post.refresh_from_db()
    assert post.renderer_version == markup.RENDERER_VERSION
    assert post.body == body_before  # the stored text is never changed
    assert len(paragraphs(post.body_html)) == 4


def test_the_markdown_export_gives_each_paragraph_a_blank_line():
    exported = _body(PROSE["discord one-liners"])
    assert exported.count("\n\n") == 3
    assert _body(LINES["verse"]) == LINES["verse"]
    # Read back by any CommonMark viewer (no line-break rule of Tandem's): four paragraphs.
    assert MarkdownIt("commonmark").render(exported).count("<p>") == 4


@pytest.mark.django_db
def test_exports_of_older_posts_get_the_paragraphs_too(coffee_cart, writer_a, ivy):
    """HTML, EPUB and archive exports read ``body_html`` through the thread document, which
    renders posts from an older renderer again; the Markdown export adds blank lines."""
    post = services.post_create(
        thread=coffee_cart, writer=writer_a, muse=ivy, body=PROSE["first person present"]
    )
    Post.objects.filter(pk=post.pk).update(
        body_html="<p>old</p>", renderer_version=markup.RENDERER_VERSION - 1
    )
    document = thread_document(coffee_cart)
    html_file = export_html(document)
    assert html_file.count("<p>I watch her cross") == 1 and "<p>old</p>" not in html_file
    assert html_file.count("<p>That's when she sees me.</p>") == 1
    assert "That's when she sees me.\n\nThere's a version" in export_markdown(document)
