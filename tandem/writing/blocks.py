"""Line-level rewrites of a post's text before it meets the Markdown parser.

Both keep fenced code blocks as written, and both only ever add or rewrite whole lines, so
the words of a post are never touched:

- ``mark_scene_breaks``: a line of three or more ``-``, ``*`` or ``~`` (optionally spaced out)
  becomes ``***``, which CommonMark always reads as a thematic break, even right under a
  paragraph (no setext headings) and even for ``~~~`` (which it would read as a code fence).
- ``mark_paragraphs``: a single line break that ends a line of prose becomes a paragraph
  break (a blank line), because writers who come from Tumblr, Discord and word processors
  separate paragraphs that way. Short lines in a row stay lines. The rule, with the samples
  it was decided on (``tests/writing/paragraph_samples.py``):

  * a line of at least ``PROSE_LINE_CHARS`` characters is a paragraph of prose: the next
    line starts a new paragraph. Unless it reads as hard-wrapped text (it stops mid-sentence,
    with no closing punctuation, and the next line goes on in lower case): then the break
    stays a line break, as before;
  * a shorter line followed by a prose-long line starts a paragraph too: a one-sentence
    paragraph between long ones ("she didn't answer."), the end of a poem or of a run of
    messages quoted inside a scene;
  * anything else stays a line break: verse, lyrics, text messages, an address block, a
    list of things without markers.

  The writer can always force either form: a blank line is a paragraph break, and a line
  ending in a backslash or two spaces is a line break (CommonMark's hard break). Lines are
  not joined across block quotes of different depth, list items, raw HTML blocks or an
  inline HTML tag still open at the end of the line (``<small>`` around several lines keeps
  them in one paragraph, as it did).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

__all__ = ["PROSE_LINE_CHARS", "line_starts", "mark_paragraphs", "mark_scene_breaks"]

#: A line at least this long is prose, not verse. In the samples the longest line meant as a
#: line has 58 characters; every prose paragraph under 80 sits next to a longer one.
PROSE_LINE_CHARS = 80

# A scene-break line, after any blockquote markers (kept in group 1).
_SCENE_BREAK_LINE = re.compile(
    r"^((?: {0,3}+>[ \t]?+)*+) {0,3}+([-*~])(?:[ \t]*+\2){2,}+[ \t]*+$", re.MULTILINE
)
_QUOTE_MARKERS = re.compile(r"(?: {0,3}+>[ \t]?+)*+")
_MAYBE_FENCE = re.compile(r"^(?: {0,3}+>[ \t]?+)*+ {0,3}+(?:```|~~~)", re.MULTILINE)
_FENCE_OPEN = re.compile(r" {0,3}(`{3,}|~{3,})(.*)")


def _outside_fences(lines: list[str]) -> Iterator[int]:
    """The indexes of the lines that are not part of a fenced code block."""
    fence = ""  # the opening run of the fenced block we are in, if any
    for n, line in enumerate(lines):
        line = line[_QUOTE_MARKERS.match(line).end() :]
        if fence:
            stripped = line.lstrip(" ")
            if (
                len(line) - len(stripped) <= 3
                and stripped.startswith(fence)
                and not stripped.rstrip(" \t").strip(fence[0])
            ):
                fence = ""
            continue
        opening = _FENCE_OPEN.fullmatch(line)
        if opening and not _SCENE_BREAK_LINE.match(line):
            run, info = opening.groups()
            # A backtick fence's info string has no backticks; a bare ``~~~`` was a break.
            if ("`" not in info) if run[0] == "`" else bool(info.strip()):
                fence = run
                continue
        yield n


def mark_scene_breaks(text: str) -> str:
    """Rewrite scene-break lines as ``***``, which CommonMark always reads as a break."""
    if not _MAYBE_FENCE.search(text):
        return _SCENE_BREAK_LINE.sub(r"\1***", text)
    lines = text.split("\n")
    for n in _outside_fences(lines):
        if _SCENE_BREAK_LINE.match(lines[n]):
            lines[n] = _SCENE_BREAK_LINE.sub(r"\1***", lines[n])
    return "\n".join(lines)


# ---------------------------------------------------------------------------- paragraphs

# How a line that finishes its thought ends: sentence or clause punctuation, a dash or a
# closing quote, then perhaps more closing quotes, brackets, emphasis markers or tags.
_CLOSERS = "\"'”’»❜❞)]*_~ \t"
_CLOSING_QUOTES = frozenset('"”’»❜❞')
_STOPS = tuple(".!?…‽:;—–-")
_CLOSING_TAG = re.compile(r"</[A-Za-z][A-Za-z0-9]*>")
_STARTS_LOWER = re.compile(r"[ \t]*[a-z]")
_LIST_ITEM = re.compile(r"[ \t]*(?:[-*+]|[0-9]{1,9}[.)])(?:[ \t]|$)")
# CommonMark's HTML blocks that run to the next blank line: a blank line added inside one
# would change what it holds. Tags Tandem keeps are the ones that matter here.
_HTML_BLOCK_START = re.compile(
    r"[ \t]*</?(?:details|summary|p|center|blockquote|ul|ol|li|dl|dt|dd|pre|div|table|hr)"
    r"(?:[\s/>]|$)",
    re.IGNORECASE,
)
_INLINE_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9]*)\b[^<>]*?(/?)>")
_VOID = frozenset({"br", "hr", "wbr", "img"})
_MAX_LINES = 20_000  # a paste longer than this in lines is left as written (bounded work)


def _open_tags_after(line: str, depth: int) -> int:
    """Inline tags still open once ``line`` has been read, starting from ``depth``."""
    if "<" not in line:
        return depth
    for closing, name, self_closing in _INLINE_TAG.findall(line):
        if name.lower() in _VOID or self_closing:
            continue
        depth = max(0, depth - 1) if closing else depth + 1
    return depth


def _finished(line: str) -> bool:
    """Whether the line ends its thought (read from the end, so a long line costs one pass)."""
    text = line.rstrip(_CLOSERS)
    for _ in range(8):  # closing tags in a row: a few at most in real text
        if not text.endswith(">"):
            break
        start = text.rfind("</")
        if start < 0 or not _CLOSING_TAG.fullmatch(text, start):
            break
        text = text[:start].rstrip(_CLOSERS)
    closers = line[len(text) :]
    return text.endswith(_STOPS) or any(c in _CLOSING_QUOTES for c in closers)


def _starts_paragraph(line: str, following: str) -> bool:
    """Whether the break between these two lines (block-quote markers removed) is meant
    as a paragraph break."""
    if line.endswith(("\\", "  ")):
        return False  # the writer asked for a line break
    text, next_text = line.strip(), following.strip()
    if not text or not next_text:
        return False
    if _LIST_ITEM.match(following) or _SCENE_BREAK_LINE.match(following):
        return False
    if _HTML_BLOCK_START.match(line) or _HTML_BLOCK_START.match(following):
        return False
    if len(text) >= PROSE_LINE_CHARS:
        hard_wrapped = not _finished(text) and _STARTS_LOWER.match(following)
        return not hard_wrapped
    return len(next_text) >= PROSE_LINE_CHARS


def _breaks_after(lines: list[str]) -> set[int]:
    """The lines after which a single line break is meant as a paragraph break."""
    if len(lines) > _MAX_LINES:
        return set()
    outside = set(_outside_fences(lines))
    breaks: set[int] = set()
    depth = 0
    for n, line in enumerate(lines):
        if not line.strip():
            depth = 0  # a blank line ends the paragraph, and the tags open in it
            continue
        depth = _open_tags_after(line, depth)
        if n + 1 == len(lines) or n not in outside or n + 1 not in outside or depth:
            continue
        following = lines[n + 1]
        markers = _QUOTE_MARKERS.match(line).group()
        next_markers = _QUOTE_MARKERS.match(following).group()
        if next_markers.replace(" ", "") != markers.replace(" ", ""):
            continue  # a quote starts or ends here: the break is Markdown's already
        if _starts_paragraph(line[len(markers) :], following[len(next_markers) :]):
            breaks.add(n)
    return breaks


def mark_paragraphs(text: str) -> str:
    """Add a blank line wherever a single line break is meant as a paragraph break."""
    if "\n" not in text:
        return text
    lines = text.split("\n")
    breaks = _breaks_after(lines)
    if not breaks:
        return text
    out: list[str] = []
    for n, line in enumerate(lines):
        out.append(line)
        if n in breaks:  # the blank line keeps the block quote's markers, if any
            out.append(_QUOTE_MARKERS.match(line).group().rstrip())
    return "\n".join(out)


def line_starts(text: str) -> list[tuple[int, bool]]:
    """Every line that is not blank: where it starts in ``text``, and whether it starts a
    paragraph as the reading page shows them (the first line does)."""
    lines = text.split("\n")
    breaks = _breaks_after(lines)
    starts: list[tuple[int, bool]] = []
    offset = 0
    after_break = True
    for n, line in enumerate(lines):
        if line.strip():
            starts.append((offset, after_break))
            after_break = n in breaks
        else:
            after_break = True
        offset += len(line) + 1
    return starts
