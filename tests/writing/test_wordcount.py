"""Word counts as readers of fan-fiction archives know them."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tandem.writing.wordcount import count_words

CASES = [
    # --- ordinary prose
    ("empty", "", 0),
    ("whitespace only", " \n\t\n ", 0),
    ("two words", "hello world", 2),
    ("sentence", "Ivy orders a flat white —\nthen changes her mind.", 9),
    ("lowercase names", "mara & jay left.", 3),
    # --- apostrophes and hyphens join
    ("contraction", "don't", 1),
    ("curly contraction", "don’t stop", 2),
    ("leading elision", "‘cause i said so", 4),
    ("rock n roll", "rock 'n' roll", 3),
    ("plural possessive", "the girls' bags", 3),
    ("hyphenated", "arm-rest", 1),
    ("unicode hyphen", "self\u2010aware", 1),
    ("spaced hyphen", "well - no", 2),
    # --- dashes, slashes, pipes and commas split
    ("em dashes", "one—two—three", 3),
    ("en dash", "pages 10–12", 3),
    ("double hyphen", "wait--what", 2),
    ("spaced double hyphen", "well -- no", 2),
    ("em-dash then hyphen", "one—-two", 2),
    ("two em dashes", "one——two", 2),
    ("slash", "and/or", 2),
    ("backslash", "this\\that", 2),
    ("pipe", "this|that", 2),
    ("commas", "red,green,blue", 3),
    ("ellipsis", "wait…what", 2),
    ("dot run", "hello...world", 2),
    # --- nothing to count
    ("ampersand alone", "&", 0),
    ("ampersand between words", "you & me", 2),
    ("lone punctuation", "! ? ... — ,", 0),
    ("emoji alone", "😭😭😭", 0),
    ("emoji after a word", "okay 😭", 1),
    ("emoji with modifiers", "👩🏽‍💻 🫶🏻", 0),
    ("keycap emoji", "1️⃣ 2️⃣", 0),
    ("heart emoticon", "i <3 u", 2),
    ("asterisk break", "***", 0),
    ("tilde break", "~~~", 0),
    ("hyphen break", "---", 0),
    ("underscore break", "___", 0),
    ("spaced break", "* * *", 0),
    ("break between paragraphs", "one.\n\n***\n\ntwo.", 2),
    # --- spaced letters, numbers
    ("spaced letters", "s p a c e d", 6),
    ("spaced word in a sentence", "she was s o tired", 5),
    ("decade", "1920s", 1),
    ("decimal", "3.5", 1),
    ("thousands", "1,000 ships", 2),
    ("initialism", "U.S.A.", 1),
    ("year elision", "the ’90s", 2),
    # --- other scripts
    ("japanese", "東京に行く", 5),
    ("katakana", "カタカナ", 4),
    ("chinese with punctuation", "我爱你。", 3),
    ("mixed latin and han", "She said 東京", 4),
    ("thai", "ปลา", 3),
    ("thai with marks", "สวัสดี", 6),
    ("korean by spaces", "안녕하세요 친구", 2),
    ("hangul next to han", "漢字 한국어", 3),
    ("russian", "Привет, мир", 2),
    ("arabic", "مرحبا بالعالم", 2),
    ("combining accent", "cafe\u0301 au lait", 3),
    # --- invisible characters
    ("zero-width inside a word", "wo\u200brd", 1),
    ("zero-width alone", "\u200b", 0),
    ("zero-width between words", "a \u200b b", 2),
    ("joiner and bom", "\ufeffhel\u200dlo wor\u200cld\u2060", 2),
    ("no-break space", "a\u00a0b", 2),
    # --- quote marks
    ("ornament quotes", "❛ hello ❜ she said", 3),
    ("curly quotes", "“Hello,” she said.", 3),
    ("corner brackets", "「はい」", 2),
    # --- HTML
    ("paragraph with emphasis", "<p>Hello <em>world</em></p>", 2),
    (
        "attributes are not words",
        '<p class="dialogue speech" title="many long title words" data-x=\'y z\'>Hi</p>',
        1,
    ),
    ("image alt text", "<img src='a.png' alt='many alt words'>", 0),
    ("entity ampersand", "<p>salt &amp; pepper</p>", 2),
    ("entity em dash", "<p>one&mdash;two</p>", 2),
    ("numeric entity", "<p>one&#8212;two&#x2014;three</p>", 3),
    ("entity no-break space", "<p>a&nbsp;b</p>", 2),
    ("entity apostrophe", "<p>don&rsquo;t</p>", 1),
    ("blocks separate", "<p>one</p><p>two</p>", 2),
    ("inline joins", "<p>un<em>believ</em>able</p>", 1),
    ("line break", "line<br>break", 2),
    ("self-closing break", "line<br/>break", 2),
    ("uppercase tags", "<P CLASS=x>Upper</P>", 1),
    ("quoted angle bracket", '<p title="a > b">ok</p>', 1),
    ("script hidden", "<script>var x = 1;</script><p>text</p>", 1),
    ("style hidden", "<style>p { color: red }</style><p>text</p>", 1),
    ("comment hidden", "<!-- hidden comment --><p>shown</p>", 1),
    ("rule between", "<p>a</p>\n<hr>\n<p>***</p>", 1),
    ("escaped emoticons", "<p>i &lt;3 you &amp; &gt;_&lt;</p>", 2),
    ("unterminated comment", "<p>seen</p><!-- never closed words", 1),
    ("markdown with inline html", "**bold** move — & then <small>a sigh</small>", 5),
    # --- plain text that only looks like markup
    ("entity in plain text", "one&mdash;two", 2),
    ("unknown entity in plain text", "fish &chips;", 2),
    ("less-than in plain text", "a < b > c", 3),
    ("made-up tag in plain text", "x <lol> y", 3),
]


@pytest.mark.parametrize(
    ("text", "expected"), [case[1:] for case in CASES], ids=[case[0] for case in CASES]
)
def test_count_words(text, expected):
    assert count_words(text) == expected


@settings(max_examples=200, deadline=None)
@given(st.lists(st.from_regex(r"[a-z]{1,8}", fullmatch=True), max_size=30))
def test_plain_words_count_once_each(words):
    assert count_words(" ".join(words)) == len(words)
    assert count_words("<p>" + "</p><p>".join(words) + "</p>") == len(words)
    assert count_words("—".join(words)) == len(words)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_any_text_is_accepted(text):
    assert count_words(text) >= 0


_PATHOLOGICAL = {
    "prose": ("She said, “hello there” — and left. " * 3_000)[:100_000],
    "html prose": ("<p>She <em>said</em> &ldquo;hi&rdquo;&mdash;left.</p>\n" * 2_000)[:100_000],
    "angle brackets": "<p>" + "<" * 100_000,
    "unclosed tags": "<p>" + "<a " * 33_000,
    "unclosed quoted attributes": "<p>" + '<a title="' * 10_000,
    "unclosed comments": "<p>" + "<!--" * 25_000,
    "declarations": "<p>" + "<![" * 33_000,
    "many tags": "<p>x" + "<b>x" * 25_000,
    "ampersands": "&" * 100_000,
    "digit commas": "1," * 50_000,
    "hyphens": "-" * 100_000,
    "dots": "." * 100_000,
    "han": "東" * 100_000,
    "zero-width": "\u200b" * 100_000,
}


@pytest.mark.parametrize("text", _PATHOLOGICAL.values(), ids=_PATHOLOGICAL.keys())
def test_pathological_input_returns(text):
    """A 100,000-character hostile post is counted (linear time; not timed here)."""
    assert count_words(text) >= 0
