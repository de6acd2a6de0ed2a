"""Counting the words of a post, the way fan-fiction archives (AO3) count them.

:func:`count_words` counts what a reader sees:

* Input may be plain text or HTML. If it holds markup (a tag of a known HTML element, or a
  comment), only the visible text is counted: tags, attributes, comments and the contents of
  ``<script>``/``<style>``/``<template>``/``<title>`` are dropped, block elements and ``<br>``
  separate words while inline elements do not (``un<em>believ</em>able`` is one word).
  Character references (``&amp;``, ``&mdash;``, ``&#8212;``) are decoded, in plain text too
  (only complete, ``;``-terminated ones there), as a renderer would show them.
* Zero-width characters (U+200B, U+200C, U+200D, U+2060, U+FEFF) and the soft hyphen are
  invisible: they neither split nor make words.
* Every Han, Hiragana, Katakana and Thai character is a word of its own (``東京に行く`` is five),
  Thai vowel and tone marks included, as the archive counts them. Hangul and every other script
  are counted by the usual separators.
* Otherwise words are separated by whitespace, em/en dashes and other dash punctuation, ``--``
  and longer hyphen runs (so the em-dash runs ``—-`` and ``——`` separate too), slashes, pipes,
  commas, ellipses (``…`` or two or more ``.``), and the ideographic comma and full stop.
  Apostrophes (``'`` ``’`` ``‘``), hyphens and single full stops join (``don't``,
  ``arm-rest``, ``U.S.A.``, ``3.5`` are one word each); a comma between digits joins too
  (``1,000`` is one number). ``&`` and underscores do not make a word on their own.
* A piece counts only if it holds a letter or digit, so lone punctuation, ``&``, emoji
  (keycaps like ``1️⃣`` included) and scene breaks (``***``, ``~~~``, ``---``, ``___``)
  count nothing; so does the heart emoticon ``<3``. Numbers count (``1920s``, ``3.5``).
* Letters spaced out for emphasis count one word per space-separated group: ``s p a c e d`` is
  six words. That is what the archive does too, as it counts space-separated tokens.

Everything is a fixed number of linear passes: ``str.translate``, regular expressions that cannot
backtrack badly, and a single forward scan over HTML. (The standard library's ``html.parser`` is
not used for HTML: on Python 3.11 it slows down quadratically on malformed markup such as many
unclosed tags, and raises on some.) Character references are decoded with ``html.unescape``.
"""

from __future__ import annotations

import html
import re

__all__ = ["count_words"]

# Characters that each count as a word: Han (with 々 〆 〇 and the Hangzhou numerals),
# Hiragana, Katakana (with the half-width forms and the kana supplements) and Thai.
_EACH_CHAR_A_WORD = (
    "\u0e01-\u0e3a\u0e40-\u0e5b"  # Thai
    "\u3005-\u3007\u3021-\u3029\u3038-\u303b"  # Han marks and numerals
    "\u3041-\u3096\u309d-\u309f"  # Hiragana
    "\u30a1-\u30fa\u30fd-\u30ff\u31f0-\u31ff\u32d0-\u32fe\u3300-\u3357"  # Katakana
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"  # Han
    "\uff66-\uff6f\uff71-\uff9d"  # half-width Katakana
    "\U0001aff0-\U0001b16f"  # kana supplements
    "\U00020000-\U0003134f"  # Han extensions
)
# Characters that separate words, besides whitespace and commas. (An underscore only ever
# marks emphasis or draws a line in prose.)
_SEPARATORS = (
    "_"
    "\u2012\u2013\u2014\u2015\u2e3a\u2e3b\ufe31\ufe32\ufe58"  # dashes, horizontal bar
    "/\\\u2044\u2215|\u00a6\uff5c"  # slashes and pipes
    "\u2026\u3001\u3002\uff0c\uff64"  # ellipsis, ideographic comma and full stop
)
# Invisible characters are deleted, separators become spaces.
_SIMPLIFY = {ord(ch): None for ch in "\u00ad\u200b\u200c\u200d\u2060\ufeff"} | {
    ord(ch): " " for ch in _SEPARATORS
}
# Runs that separate like a dash: ``--`` (and longer), ``..`` (and longer); also keycap emoji
# (``1️⃣``) and the heart emoticon (``<3``, ``</3``), which are pictures, not numbers.
_SEPARATING_RUNS = re.compile("-{2,}|\\.{2,}|[0-9#*]\ufe0f?\u20e3|(?<!\\S)</?3+(?!\\S)")
# A comma separates, except between digits (``1,000``).
_SEPARATING_COMMA = re.compile(r"(?<!\d),|,(?!\d)")
_EACH_A_WORD = re.compile(f"[{_EACH_CHAR_A_WORD}]")
# What is neither a letter, a digit nor whitespace (underscores are gone by then). Deleting it
# leaves, of each whitespace-separated piece, nothing unless it held a letter or digit.
_NOT_LETTER_DIGIT_OR_SPACE = re.compile(r"[^\w\s]")

_HTML_ELEMENTS = (
    "a|abbr|address|article|aside|audio|b|bdi|bdo|big|blockquote|body|br|button|caption|"
    "center|cite|code|col|colgroup|dd|del|details|dfn|div|dl|dt|em|figcaption|figure|font|"
    "footer|h[1-6]|head|header|hr|html|i|iframe|img|input|ins|kbd|label|li|link|main|mark|"
    "meta|nav|noscript|ol|p|picture|pre|q|rp|rt|ruby|s|samp|script|section|small|source|span|"
    "strike|strong|style|sub|summary|sup|table|tbody|td|template|tfoot|th|thead|time|title|"
    "tr|tt|u|ul|var|video|wbr"
)
# Whether a text is HTML: it has a comment or a tag of a known element.
_MARKUP = re.compile(rf"<!--|</?(?:{_HTML_ELEMENTS})(?=[\s/>])[^<>]*>", re.IGNORECASE)

# The constructs of HTML that are not text: a comment, a start or end tag (its name in a
# group), or a "bogus comment" (``<!DOCTYPE …>``, ``<?xml …?>``, ``</ …>``).
_MARKUP_START = re.compile(r"(?P<comment><!--)|<(?P<end>/?)(?P<name>[A-Za-z][^\s/>]*)|<[!?/]")
# The rest of a tag after its name: attributes (quoted values may hold ``>``), then ``>``.
_TAG_REST = re.compile(r"""(?:[^>"']|"[^"]*+"|'[^']*+')*+>""")
# Elements whose start and end break words apart; all others are inline.
_BLOCK_ELEMENT_NAMES = """
    address article aside blockquote body br caption center dd details dialog div dl dt
    fieldset figcaption figure footer form h1 h2 h3 h4 h5 h6 header hr html img li main nav
    ol p pre section summary table tbody td tfoot th thead tr ul
"""
_BLOCK_ELEMENTS = frozenset(_BLOCK_ELEMENT_NAMES.split())
# Elements whose raw content runs to their end tag and is never shown.
_RAW_TEXT_END = {
    name: re.compile(rf"</{name}[\s/>]", re.IGNORECASE) for name in ("script", "style", "title")
}
_CHARACTER_REFERENCE = re.compile(
    r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});"
)


def _html_text(markup: str) -> str:
    """The text a browser would show for ``markup``: tags, attributes and comments dropped,
    character references decoded, a space wherever a block element begins or ends.

    A single forward scan (each character is looked at a bounded number of times), so
    malformed or hostile markup cannot make it slow; like a browser, it drops everything after
    an unterminated comment or tag."""
    parts: list[str] = []
    hidden = 0  # depth of <template> elements, whose content is not shown
    pos, n = 0, len(markup)
    while pos < n:
        match = _MARKUP_START.search(markup, pos)
        if match is None:
            break
        if not hidden:
            parts.append(html.unescape(markup[pos : match.start()]))
        if match.group("comment"):
            end = markup.find("-->", match.end())
            pos = n if end < 0 else end + 3
            continue
        name = match.group("name")
        if name is None:  # bogus comment, up to the next ">"
            end = markup.find(">", match.end())
            pos = n if end < 0 else end + 1
            continue
        rest = _TAG_REST.match(markup, match.end())
        if rest is None:
            pos = n
            break
        pos = rest.end()
        name = name.lower()
        closing = bool(match.group("end"))
        if name == "template":
            hidden = max(0, hidden - 1) if closing else hidden + 1
        elif name in _BLOCK_ELEMENTS:
            parts.append(" ")
        elif name in _RAW_TEXT_END and not closing:
            end = _RAW_TEXT_END[name].search(markup, pos)
            pos = n if end is None else end.start()
    if pos < n and not hidden:
        parts.append(html.unescape(markup[pos:]))
    return "".join(parts)


def _visible_text(text: str) -> str:
    if _MARKUP.search(text):
        return _html_text(text)
    if "&" in text:
        return _CHARACTER_REFERENCE.sub(lambda match: html.unescape(match.group()), text)
    return text


def count_words(text: str) -> int:
    """Words as readers count them: apostrophes and hyphens join, dashes and slashes split,
    lone punctuation counts nothing. See the module docstring for the full rules."""
    text = _SEPARATING_RUNS.sub(" ", _visible_text(text)).translate(_SIMPLIFY)
    text = _SEPARATING_COMMA.sub(" ", text)
    text, each_a_word = _EACH_A_WORD.subn(" ", text)
    return each_a_word + len(_NOT_LETTER_DIGIT_OR_SPACE.sub("", text).split())
