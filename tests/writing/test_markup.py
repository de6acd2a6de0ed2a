"""What render_post makes of the things roleplay writers actually type."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from tandem.writing import markup
from tandem.writing.markup import RENDERER_VERSION, render_post
from tests.writing.test_markup_security import assert_safe, parse_output


def visible_text(html: str) -> str:
    return "".join(parse_output(html).text)


def tags_of(html: str) -> list[str]:
    return [tag for tag, _ in parse_output(html).tags]


def test_renderer_version_is_an_int():
    assert isinstance(RENDERER_VERSION, int)
    assert RENDERER_VERSION >= 1


def test_empty_and_blank_posts_render_to_nothing():
    assert render_post("") == ""
    assert render_post(" \n\t\n") == ""


def test_rendering_is_deterministic():
    body = "❛ Again? ❜ she asked.\n\n---\n\n*Again.*"
    assert render_post(body) == render_post(body)


def test_importing_markup_does_not_need_django():
    code = (
        "import sys, tandem.writing.markup as m; "
        "assert 'django' not in sys.modules, 'django imported'; "
        "print(m.render_post('*hi*'))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert "<em>hi</em>" in result.stdout


# ---------------------------------------------------------------------------- paragraphs


def test_paragraphs_and_kept_line_breaks():
    html = render_post("She waited.\nAnd waited.\n\nThen the door opened.")
    assert html == "<p>She waited.<br>\nAnd waited.</p>\n<p>Then the door opened.</p>\n"


def test_windows_line_endings_are_normalised():
    assert render_post("one\r\ntwo\r\n\r\nthree") == render_post("one\ntwo\n\nthree")


def test_indented_paragraphs_are_prose_not_code():
    html = render_post("    She walked in, soaked.\n\n\tThe tab-indented one too.")
    assert tags_of(html) == ["p", "p"]
    assert "code" not in html


def test_hash_at_line_start_is_not_a_heading():
    html = render_post("# not a heading\n\nTitle\n===")
    assert "<h1" not in html and "<h2" not in html
    assert "# not a heading" in visible_text(html)


def test_ordered_list_keeps_its_start_number():
    assert '<ol start="1999">' in render_post("1999. The year it all began.")


# ---------------------------------------------------------------------------- scene breaks


@pytest.mark.parametrize(
    "line", ["---", "***", "~~~", "- - -", "* * *", "~ ~ ~", "-----", "~~~~~~~", "  ***  "]
)
def test_scene_break_forms(line):
    html = render_post(f"Before.\n\n{line}\n\nAfter.")
    assert html == '<p>Before.</p>\n<hr class="scene-break">\n<p>After.</p>\n'


@pytest.mark.parametrize("line", ["---", "***", "~~~"])
def test_scene_break_right_under_a_paragraph_is_not_a_heading(line):
    html = render_post(f"Before.\n{line}\nAfter.")
    assert html == '<p>Before.</p>\n<hr class="scene-break">\n<p>After.</p>\n'


def test_tildes_inside_a_backtick_fence_stay_code():
    html = render_post("```\n~~~\n---\n```\n\n~~~")
    assert html == '<pre><code>~~~\n---\n</code></pre>\n<hr class="scene-break">\n'


def test_a_tilde_fence_with_a_language_still_works():
    html = render_post("~~~python\nprint('hi')\n~~~")
    assert html == "<pre><code>print('hi')\n</code></pre>\n"


def test_scene_break_inside_a_quote():
    html = render_post("> one\n> ~~~\n> two")
    assert html == (
        '<blockquote>\n<p>one</p>\n<hr class="scene-break">\n<p>two</p>\n</blockquote>\n'
    )


def test_raw_hr_is_a_scene_break_too():
    assert render_post("<hr>") == '<hr class="scene-break">'


# ---------------------------------------------------------------------------- markdown


def test_markdown_emphasis():
    html = render_post("*soft* **loud** _also soft_ __also loud__ ~~struck~~ `code`")
    assert html == (
        "<p><em>soft</em> <strong>loud</strong> <em>also soft</em> "
        "<strong>also loud</strong> <s>struck</s> <code>code</code></p>\n"
    )


def test_markdown_quote_and_lists():
    html = render_post("> quoted\n\n- one\n- two")
    assert tags_of(html) == ["blockquote", "p", "ul", "li", "li"]


def test_markdown_images_are_never_images():
    html = render_post("![a portrait](https://example.test/p.png)")
    assert "<img" not in html
    assert html == (
        '<p>!<a href="https://example.test/p.png" rel="nofollow ugc">a portrait</a></p>\n'
    )


def test_markdown_links_get_nofollow_ugc():
    html = render_post("[the wiki](https://example.test/wiki) and <https://example.test/a>")
    assert html == (
        '<p><a href="https://example.test/wiki" rel="nofollow ugc">the wiki</a> and '
        '<a href="https://example.test/a" rel="nofollow ugc">https://example.test/a</a></p>\n'
    )


def test_code_span_shows_tags_as_written():
    html = render_post("Type `<b>` for bold and `&amp;` for an ampersand.")
    assert html == (
        "<p>Type <code>&lt;b&gt;</code> for bold and <code>&amp;amp;</code> for an ampersand.</p>\n"
    )
    assert visible_text(html) == "Type <b> for bold and &amp; for an ampersand.\n"


def test_code_block_shows_unknown_tags_as_written():
    html = render_post("```\n<marquee>hi</marquee>\n```")
    assert html == "<pre><code>&lt;marquee&gt;hi&lt;/marquee&gt;\n</code></pre>\n"


# ---------------------------------------------------------------------------- raw HTML

ALLOWED_SAMPLES = {
    "p": "<p>x</p>",
    "br": "a<br>b",
    "hr": "<hr>",
    "b": "<b>x</b>",
    "strong": "<strong>x</strong>",
    "i": "<i>x</i>",
    "em": "<em>x</em>",
    "u": "<u>x</u>",
    "s": "<s>x</s>",
    "del": "<del>x</del>",
    "ins": "<ins>x</ins>",
    "small": "<small>x</small>",
    "sub": "<sub>x</sub>",
    "sup": "<sup>x</sup>",
    "abbr": '<abbr title="Hit Points">HP</abbr>',
    "q": "<q>x</q>",
    "cite": "<cite>x</cite>",
    "blockquote": "<blockquote>x</blockquote>",
    "code": "<code>x</code>",
    "pre": "<pre>x</pre>",
    "ul": "<ul><li>x</li></ul>",
    "ol": "<ol><li>x</li></ol>",
    "li": "<ul><li>x</li></ul>",
    "dl": "<dl><dt>t</dt><dd>d</dd></dl>",
    "dt": "<dl><dt>t</dt><dd>d</dd></dl>",
    "dd": "<dl><dt>t</dt><dd>d</dd></dl>",
    "details": "<details><summary>s</summary>x</details>",
    "summary": "<details><summary>s</summary>x</details>",
    "ruby": "<ruby>漢<rp>(</rp><rt>kan</rt><rp>)</rp></ruby>",
    "rt": "<ruby>漢<rt>kan</rt></ruby>",
    "rp": "<ruby>漢<rp>(</rp><rt>kan</rt><rp>)</rp></ruby>",
    "span": '<span lang="fr">x</span>',
    "a": '<a href="https://example.test/">x</a>',
}


def test_every_allowed_tag_has_a_sample():
    assert set(ALLOWED_SAMPLES) == markup.ALLOWED_TAGS


@pytest.mark.parametrize("tag", sorted(ALLOWED_SAMPLES))
def test_allowed_tag_survives(tag):
    html = render_post(f"Text {ALLOWED_SAMPLES[tag]} text")
    assert tag in tags_of(html)
    assert_safe(html)


def test_allowed_attributes_survive():
    html = render_post(
        '<abbr title="Non-player character">NPC</abbr> '
        '<span lang="ja" dir="ltr" title="greeting">こんにちは</span>'
    )
    assert '<abbr title="Non-player character">NPC</abbr>' in html
    assert '<span lang="ja" dir="ltr" title="greeting">こんにちは</span>' in html


def test_disallowed_attributes_are_dropped_but_the_tag_kept():
    html = render_post('<b style="color:red" onclick="x()" class="big" id="b1">bold</b>')
    assert html == "<p><b>bold</b></p>\n"


def test_nonsense_attribute_values_are_dropped():
    html = render_post('<span lang="not a tag!" dir="sideways">x</span>')
    assert html == "<p><span>x</span></p>\n"


def test_raw_links_get_nofollow_ugc_and_lose_target():
    html = render_post('<a href="https://example.test/" target="_blank" rel="opener">go</a>')
    assert html == '<p><a href="https://example.test/" rel="nofollow ugc">go</a></p>\n'


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("<center>mid</center>", "<p>mid</p>"),
        ("x <big>loud</big>", "<strong>loud</strong>"),
        ("x <strike>gone</strike>", "<s>gone</s>"),
        ("x <tt>mono</tt>", "<code>mono</code>"),
        ('x <acronym title="Out Of Character">OOC</acronym>', '<abbr title="Out Of Character">'),
        ("x <CENTER>shouted</CENTER>", "<p>shouted</p>"),
    ],
)
def test_obsolete_tags_become_modern_ones(old, new):
    assert new in render_post(old)


@pytest.mark.parametrize(
    "raw",
    [
        "<marquee>hi</marquee>",
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        '<div class="tumblr_post">pasted</div>',
        '<font color="red">red</font>',
        "<blink>now</blink>",
        "<!-- a note to self -->",
        "<?php echo 1; ?>",
        "<![CDATA[x]]>",
        "<!DOCTYPE html>",
        '<marquee title="a &amp; b">x</marquee>',
    ],
)
def test_unknown_markup_is_shown_as_written(raw):
    html = render_post(f"Before {raw} after")
    assert visible_text(html).strip() == f"Before {raw} after"
    assert_safe(html)


def test_unknown_block_markup_is_shown_as_written():
    raw = "<script>\nalert(1)\n</script>"
    assert visible_text(render_post(raw)) == raw


def test_unknown_tags_around_allowed_ones():
    html = render_post("<marquee><b>bold</b></marquee>")
    assert html == "<p>&lt;marquee&gt;<b>bold</b>&lt;/marquee&gt;</p>\n"


def test_tumblr_style_html_block():
    html = render_post(
        "<p>First paragraph, <i>pasted</i>.</p>\n<p>Second<br>with a break.</p>\n\nMarkdown *after*."
    )
    assert html == (
        "<p>First paragraph, <i>pasted</i>.</p>\n<p>Second<br>with a break.</p>\n"
        "<p>Markdown <em>after</em>.</p>\n"
    )


def test_details_with_markdown_inside():
    html = render_post("<details><summary>Spoiler</summary>\n\nShe *lives*.\n\n</details>")
    assert html == ("<details><summary>Spoiler</summary>\n<p>She <em>lives</em>.</p>\n</details>")


# ---------------------------------------------------------------------------- text as written


def test_ampersands_and_dash_runs_unchanged():
    body = "Salt & pepper — then a long pause —— and --- nothing -- at all. R&D, AT&T."
    assert visible_text(render_post(body)).strip() == body


def test_spaced_letters_unchanged():
    body = "s p a c e d   o u t, and N O"
    assert visible_text(render_post(body)).strip() == "s p a c e d   o u t, and N O"


def test_cjk_unchanged():
    body = "「行こう」と彼女は言った。我们走吧。우리 가자."
    assert visible_text(render_post(body)).strip() == body


def test_rtl_and_zero_width_characters_unchanged():
    body = "שלום עולם — مرحبا \u200fبالعالم\u200f and zero\u200bwidth\u200djoin\u2060ed\ufeff"
    html = render_post(body)
    assert visible_text(html).strip() == body
    assert_safe(html)


def test_typographic_quotes_are_not_rewritten():
    body = "\"straight\" and 'single' and “curly” and ‘single curly’"
    assert visible_text(render_post(body)).replace("\n", "") == body


# ---------------------------------------------------------------------------- dialogue


def test_dialogue_is_wrapped():
    html = render_post("❛ Hello there ❜ she said.")
    assert html == '<p><span class="dialogue">❛ Hello there ❜</span> she said.</p>\n'


def test_curly_double_quotes_are_dialogue():
    html = render_post("He shrugged. “Fine.”")
    assert html == '<p>He shrugged. <span class="dialogue">“Fine.”</span></p>\n'


def test_dialogue_across_inline_elements():
    html = render_post("❛ hello *there* ❜")
    assert html == (
        '<p><span class="dialogue">❛ hello </span><em><span class="dialogue">there</span></em>'
        '<span class="dialogue"> ❜</span></p>\n'
    )


def test_dialogue_across_a_kept_line_break():
    html = render_post("“First line\nsecond line.”")
    assert html == (
        '<p><span class="dialogue">“First line</span><br>'
        '<span class="dialogue">\nsecond line.”</span></p>\n'
    )


def test_no_dialogue_inside_code():
    html = render_post("Run `“quoted”` now.\n\n```\n❛ not speech ❜\n```")
    assert "dialogue" not in html


def test_dialogue_around_code_skips_the_code():
    html = render_post("❛ type `ls` now ❜")
    assert html == (
        '<p><span class="dialogue">❛ type </span><code>ls</code>'
        '<span class="dialogue"> now ❜</span></p>\n'
    )


def test_dialogue_in_separate_paragraphs_and_blocks():
    html = render_post("❛ One. ❜\n\n> ❛ Two. ❜\n\n- ❛ Three. ❜")
    assert html.count('<span class="dialogue">') == 3


def test_custom_dialogue_class():
    html = render_post("❛ Hi. ❜", dialogue_class="speech")
    assert html == '<p><span class="speech">❛ Hi. ❜</span></p>\n'


@pytest.mark.parametrize("bad", ["", "two words", 'x" onclick="y', "scene-break", "1abc"])
def test_dialogue_class_must_be_a_plain_class_name(bad):
    with pytest.raises(ValueError):
        render_post("x", dialogue_class=bad)


def test_lone_quote_mark_renders():
    html = render_post("❛")
    assert html == "<p>❛</p>\n"


def test_user_cannot_fake_a_dialogue_span():
    html = render_post('<span class="dialogue">not speech</span>')
    assert html == "<p><span>not speech</span></p>\n"


class _FixedDetector:
    """Stands in for find_dialogue to pin exactly which offsets get wrapped."""

    def __init__(self, spans):
        self.spans = spans
        self.seen: list[str] = []

    def __call__(self, text):
        self.seen.append(text)
        return self.spans


def _use_detector(monkeypatch, detector):
    monkeypatch.setattr(markup, "_find_dialogue", lambda: detector)


def test_detector_sees_blocks_joined_by_blank_lines(monkeypatch):
    detector = _FixedDetector([])
    _use_detector(monkeypatch, detector)
    render_post("One *a*\ntwo\n\n> Quote\n\n- item\n\n```\ncode\n```\n\n<p>raw</p>")
    # A line break is "\n"; the newline markdown-it writes after each <br> is a space.
    assert detector.seen == ["One a\n two\n\nQuote\n\nitem\n\nraw"]


def test_wrapping_follows_the_detector_offsets(monkeypatch):
    # "abc de\n\nfgh": wrap "c d" (crossing an <em>) and "gh".
    _use_detector(monkeypatch, _FixedDetector([(2, 5), (9, 11)]))
    html = render_post("ab*c de*\n\nfgh")
    assert html == (
        '<p>ab<em><span class="dialogue">c d</span>e</em></p>\n'
        '<p>f<span class="dialogue">gh</span></p>\n'
    )


def test_garbage_from_the_detector_cannot_break_the_html(monkeypatch):
    _use_detector(monkeypatch, _FixedDetector([(5, 2), (-10, 3), (1, 4), (2, 99999), (0, 0)]))
    html = render_post("abc *def* ghi\n\njkl")
    assert_safe(html)
    assert visible_text(html) == "abc def ghi\njkl\n"


def test_a_failing_detector_only_loses_the_dialogue_marks(monkeypatch):
    def broken(text):
        raise RuntimeError("boom")

    _use_detector(monkeypatch, broken)
    assert render_post("❛ Hi ❜") == "<p>❛ Hi ❜</p>\n"


def test_missing_detector_module_means_no_dialogue_marks(monkeypatch):
    monkeypatch.setitem(sys.modules, "tandem.writing.dialogue", None)
    assert render_post("❛ Hi ❜") == "<p>❛ Hi ❜</p>\n"


# ---------------------------------------------------------------------------- bad input

# Generous: these take well under a second here; the bound guards against blow-ups.
BAD_INPUT_SECONDS = 10


def _blockquote_depth(html: str) -> int:
    depth = deepest = 0
    for token in html.split("blockquote>")[:-1]:
        if token.endswith("</"):
            depth -= 1
        elif token.endswith("<"):
            depth += 1
            deepest = max(deepest, depth)
    return deepest


BAD_INPUTS = {
    "markdown quotes 10,000 deep": ">" * 10000 + " x",
    "html quotes 10,000 deep": "<blockquote>" * 10000 + "x",
    "html quotes closed": "<blockquote>" * 10000 + "x" + "</blockquote>" * 10000,
    "nested lists": "- " * 5000 + "x",
    "unclosed tags": "<b><i><u><span><small>text" * 2000,
    "misnested tags": "<b><i>x</b></i><p><s>y</p></s>" * 1000,
    "formatting re-opened per paragraph": "".join(f"<b title={n}>" for n in range(2000))
    + "<p>x" * 3000,
    "all markup": "*_`<b>[x](y)</b>`_*~~\n" * 4000,
    "100,000 characters of prose": (
        "“Hello,” she said, and the rain went on. ❛ Again? ❜ *Again.*\n" * 1700
    )[:100000],
    "100,000 brackets": "[" * 100000,
    "lone quote mark": "❛",
    "only quote marks": "❛“‘«\"'" * 10000,
    "mixed RTL": "עברית English العربية \u202e reversed \u202c “שלום” " * 500,
    "zero-width characters": "\u200b\u200c\u200d\u2060\ufeff" * 20000,
    "stray end tags": "</b></p></blockquote></li></br>" * 3000,
    "half-open tags": '<b title="' * 10000,
    "comment openers": "<!--" * 25000,
    "nul bytes": "\x00" * 1000 + "text",
}


@pytest.mark.parametrize("name", list(BAD_INPUTS))
def test_bad_input_is_bounded_and_well_formed(name):
    body = BAD_INPUTS[name]
    start = time.perf_counter()
    html = render_post(body)
    elapsed = time.perf_counter() - start
    assert elapsed < BAD_INPUT_SECONDS, f"{name} took {elapsed:.1f}s"
    parsed = assert_safe(html)
    assert parsed.max_depth <= markup.MAX_DEPTH + 1  # +1: a dialogue span in the deepest element
    assert _blockquote_depth(html) <= markup.MAX_INDENT_DEPTH


def test_deep_quotes_are_flattened_not_dropped():
    html = render_post(">" * 10000 + " the bottom")
    assert _blockquote_depth(html) == markup.MAX_INDENT_DEPTH
    assert "the bottom" in html
    html = render_post("<blockquote>" * 10000 + "the bottom")
    assert _blockquote_depth(html) == markup.MAX_INDENT_DEPTH
    assert "the bottom" in html


def test_quotes_nested_a_little_are_kept():
    html = render_post("> > > three deep")
    assert _blockquote_depth(html) == 3


def test_unclosed_tags_are_closed():
    html = render_post("<b>bold <i>and italic")
    assert html == "<p><b>bold <i>and italic</i></b></p>\n"


def test_a_forgotten_closing_tag_only_affects_its_paragraph():
    html = render_post("<i>Oops, forgot to close.\n\nThe rest of the post.</i>")
    assert html == "<p><i>Oops, forgot to close.</i></p>\n<p>The rest of the post.</p>\n"


def test_raw_html_blocks_may_wrap_markdown_paragraphs():
    html = render_post("<blockquote>\n\nQuoted *markdown*.\n\n</blockquote>\n\nAfter.")
    assert html == (
        "<blockquote>\n<p>Quoted <em>markdown</em>.</p>\n</blockquote>\n<p>After.</p>\n"
    )
