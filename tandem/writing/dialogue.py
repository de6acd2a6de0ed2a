"""Finding the spoken passages of a post.

Roleplay prose marks speech in many ways: ``❛ … ❜``, ``❝ … ❞``, ``“ … ”``, ``" … "``,
``« … »``, ``「 … 」``, ``『 … 』``, ``‘ … ’`` and ``' … '``. :func:`find_dialogue` returns where
those passages are, so that they can be styled, counted or exported.

How the marks are read:

* A closing mark only closes its own style (``❛`` with ``❜``, ``“`` with ``”``, ...). A closer
  that meets other, still-open quotes nested inside its own drops them (they were left
  unclosed); a closer with no opener of its style is ignored.
* Quotes nest (``“she said ‘run’”``); only the outermost passages are returned.
* Quotes do not run across paragraphs (blank-line separated). The one exception is the
  typographic convention for long speeches: a paragraph that leaves a quote open while the next
  paragraph begins with the same opening mark. Each paragraph's part is then a passage of its
  own, the first running to the end of its paragraph (trailing whitespace excluded).
  Any other quote still open at a paragraph's end is dropped: it marks nothing.
* Straight double quotes pair left to right within a paragraph; an odd one out is ignored. A
  ``"`` with letters on both sides is not a quote (the Hebrew gershayim, as in ``צה"ל``).
* Apostrophes are not quotes. ``'`` and ``’`` with letters or digits on both sides
  (``she’s``, ``o’clock``, ``6'2``), at the start of a word in a known elision (``'cause``,
  ``'em``, ``'til``, ``'n'``) or before a digit (``’90s``), and after a plural possessive or a
  dropped g when a word follows (``the girls' bags``, ``goin' home``) neither open nor close.
  Single-quoted speech opens after whitespace, the start or opening punctuation and closes
  before whitespace, punctuation or the end. In ``'I ain't doin',' he said`` the mark after the
  comma is the closing one.
* One allowance: speech may begin with an elision (``'Cause I said so,' she snapped``). An
  elided word is never an opening mark while a real opening mark of its style is open, and
  never closes anything; but when a closing single quote comes and the only open quote of its
  style is such an elision, the earliest of them did open the passage after all. Alone
  (``we'll show 'em, 'cause we can``) elisions mark nothing. ``'n'`` never opens.
* A passage with nothing but whitespace between its marks (``""``, ``❛ ❜``) is not speech.

Zero-width and bidirectional formatting characters are looked through when reading a mark's
neighbours, so they never change how a mark is read.

The scan is a single left-to-right pass over the quote marks with a stack of open quotes, so it
runs in linear time whatever the input.
"""

from __future__ import annotations

import re
import unicodedata
from types import MappingProxyType

__all__ = ["DIALOGUE_PAIRS", "find_dialogue"]

#: Opening mark → the closing mark that ends it.
DIALOGUE_PAIRS: MappingProxyType[str, str] = MappingProxyType(
    {
        "❛": "❜",
        "❝": "❞",
        "“": "”",
        '"': '"',
        "«": "»",
        "「": "」",
        "『": "』",
        "‘": "’",
        "'": "'",
    }
)

# Closing mark → the opening mark it closes (straight quotes close themselves).
_OPENER_OF = {closer: opener for opener, closer in DIALOGUE_PAIRS.items()}

# A paragraph break: a newline, then one or more blank (or whitespace-only) lines.
_PARAGRAPH_BREAK = r"\n(?:[^\S\n]*\n)+"
_MARKS = "".join(sorted(set(DIALOGUE_PAIRS) | set(DIALOGUE_PAIRS.values())))
_SCAN = re.compile(rf"(?P<paragraph>{_PARAGRAPH_BREAK})|[{re.escape(_MARKS)}]")

# Invisible formatting characters: zero-width space/joiners, word joiner, BOM, soft hyphen and
# the bidirectional marks, embeddings and isolates.
_IGNORABLE = frozenset(
    "\u00ad\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
    "\u2060\u2066\u2067\u2068\u2069\ufeff"
)

# Characters after which a quote may open, besides whitespace and the start of the text.
_OPENING_CONTEXT = frozenset("([{<¿¡*_~/—–‒―-") | frozenset(DIALOGUE_PAIRS)

# Punctuation that may sit between a word-final apostrophe and the real closing mark:
# in ``'I ain't doin',' he said`` the mark after the comma closes the quote.
_CLOSING_PUNCTUATION = frozenset(",.!?;:…—–")

# Elisions written with a leading apostrophe: ``'cause``, ``'em``, ``rock 'n' roll``.
_LEADING_ELISIONS = frozenset(
    {
        # clipped words
        "bout",
        "cause",
        "cept",
        "cos",
        "coz",
        "cuz",
        "em",
        "fore",
        "fraid",
        "kay",
        "n",
        "neath",
        "nother",
        "nuff",
        "round",
        "s",
        "scuse",
        "sup",
        "til",
        "till",
        "tis",
        "twas",
        "twere",
        "twill",
        "ya",
        # dropped h
        "alf",
        "appen",
        "ave",
        "ello",
        "er",
        "ere",
        "im",
        "is",
        "ome",
        "ow",
    }
)
_LONGEST_LEADING_ELISION = max(map(len, _LEADING_ELISIONS))

# Whole words written with a trailing apostrophe: ``o' the``, ``good ol' days``, ``fish an' chips``.
_TRAILING_ELISIONS = frozenset({"an", "o", "ol", "th"})
_WORD_LOOKBACK = 16

_APOSTROPHES = frozenset("'’")
# Opening marks that are never anything else.
_PURE_OPENERS = frozenset(DIALOGUE_PAIRS) - frozenset("\"'‘")


def _is_wordish(ch: str) -> bool:
    """A letter, digit or combining mark: something a word is made of."""
    return ch.isalnum() or (ch != "" and unicodedata.category(ch)[0] == "M")


def _previous(text: str, i: int) -> str:
    """The visible character before ``text[i]``, or ``""`` at the start."""
    j = i - 1
    while j >= 0 and text[j] in _IGNORABLE:
        j -= 1
    return text[j] if j >= 0 else ""


def _next(text: str, i: int) -> str:
    """The visible character after ``text[i]``, or ``""`` at the end."""
    n = len(text)
    j = i + 1
    while j < n and text[j] in _IGNORABLE:
        j += 1
    return text[j] if j < n else ""


def _may_precede_opener(ch: str) -> bool:
    return not ch or ch.isspace() or ch in _OPENING_CONTEXT


def _leading_elision(text: str, i: int) -> tuple[bool, int]:
    """Whether the mark at ``i`` starts an elided word (``'cause``, ``’90s``), and — for
    ``'n'`` — the index of its second apostrophe (else -1)."""
    n = len(text)
    j = i + 1
    if j < n and text[j].isdigit():
        return True, -1
    k = j
    while k < n and k - j <= _LONGEST_LEADING_ELISION and text[k].isalpha():
        k += 1
    word = text[j:k].lower()
    if word not in _LEADING_ELISIONS:
        return False, -1
    if word == "n" and k < n and text[k] in _APOSTROPHES:
        return True, k
    return True, -1


def _trailing_elision(text: str, i: int) -> bool:
    """Whether the apostrophe at ``i`` ends a word that a following word shows is not the end
    of a quote: a plural possessive (``the girls' bags``) or an elision (``goin' home``)."""
    n = len(text)
    j = i + 1
    spaces = newlines = 0
    while j < n and (text[j].isspace() or text[j] in _IGNORABLE):
        spaces += text[j].isspace()
        newlines += text[j] == "\n"
        j += 1
    if not spaces or newlines > 1 or j >= n or not _is_wordish(text[j]):
        return False  # no word follows in this paragraph
    k = i
    while k > 0 and i - k < _WORD_LOOKBACK and text[k - 1].isalpha():
        k -= 1
    word = text[k:i].lower()
    if len(word) >= 2 and word.endswith("s"):
        return True
    if len(word) >= 4 and word.endswith("in"):
        return True
    return word in _TRAILING_ELISIONS


def _can_open(text: str, i: int) -> bool:
    """Whether the mark at ``i``, met with no quote of its style open, opens one."""
    mark = text[i]
    before, after = _previous(text, i), _next(text, i)
    if mark == '"':
        return not (before.isalpha() and after.isalpha())
    if mark in "'‘":
        if _is_wordish(before) and _is_wordish(after):
            return False
        if not _may_precede_opener(before):
            return False
        if mark == "'" and (not after or after.isspace()):
            return False
        return not _leading_elision(text, i)[0]
    return mark in DIALOGUE_PAIRS


def _has_content(text: str, start: int, end: int) -> bool:
    """Whether anything visible lies strictly between ``start`` and ``end``."""
    j = start + 1
    while j < end and (text[j].isspace() or text[j] in _IGNORABLE):
        j += 1
    return j < end


def find_dialogue(text: str) -> list[tuple[int, int]]:
    """The spoken passages of ``text`` as sorted, non-overlapping ``(start, end)`` offsets
    (``end`` exclusive), each including its quote marks. See the module docstring."""
    n = len(text)
    spans: list[tuple[int, int]] = []
    # Open quotes of the current paragraph: (opening mark, index, is a leading elision).
    stack: list[tuple[str, int, bool]] = []
    open_count: dict[str, int] = {}  # opening mark → how many real openers are on the stack
    # Single-quote mark → stack depths of the leading elisions (``'Cause``) that may yet
    # turn out to open a quote, should a closing mark come with no real opener for it.
    elisions: dict[str, list[int]] = {"'": [], "‘": []}
    skip = -1  # the second apostrophe of a ``'n'``

    def push_elision(mark: str, i: int) -> None:
        elisions[mark].append(len(stack))
        stack.append((mark, i, True))

    def close(opener: str, i: int) -> None:
        if open_count.get(opener):
            while True:
                mark, start, elided = stack.pop()
                if elided:
                    elisions[mark].pop()
                    continue
                open_count[mark] -= 1
                if mark == opener:
                    break
        else:  # only elisions: the outermost one opened the quote after all
            depth = elisions[opener][0]
            while len(stack) > depth:
                mark, start, elided = stack.pop()
                if elided:
                    elisions[mark].pop()
                else:
                    open_count[mark] -= 1
        if _has_content(text, start, i):
            spans.append((start, i + 1))

    def end_paragraph(paragraph_end: int, next_start: int) -> None:
        j = next_start
        while j < n and (text[j].isspace() or text[j] in _IGNORABLE):
            j += 1
        if j < n and open_count.get(text[j]) and _can_open(text, j):
            start = next(i for mark, i, elided in stack if mark == text[j] and not elided)
            end = paragraph_end
            while end > start + 1 and (text[end - 1].isspace() or text[end - 1] in _IGNORABLE):
                end -= 1
            if _has_content(text, start, end):
                spans.append((start, end))
        stack.clear()
        open_count.clear()
        for depths in elisions.values():
            depths.clear()

    for match in _SCAN.finditer(text):
        i = match.start()
        mark = text[i]
        if mark == "\n":  # a paragraph break
            if stack:
                end_paragraph(i, match.end())
            continue
        if mark in _PURE_OPENERS:
            stack.append((mark, i, False))
            open_count[mark] = open_count.get(mark, 0) + 1
            continue
        if i == skip:
            continue
        # The visible neighbours of the mark.
        before = text[i - 1] if i else ""
        if before in _IGNORABLE:
            before = _previous(text, i)
        after = text[i + 1] if i + 1 < n else ""
        if after in _IGNORABLE:
            after = _next(text, i)
        if mark == '"':
            if before.isalpha() and after.isalpha():
                continue  # gershayim, as in צה"ל
            if open_count.get('"'):
                close('"', i)
            else:
                stack.append(('"', i, False))
                open_count['"'] = open_count.get('"', 0) + 1
            continue
        if mark in "'’‘":
            if _is_wordish(before) and _is_wordish(after):
                continue  # she's, o’clock, rock'n'roll
            if mark != "‘" and before and not before.isspace() and not _is_wordish(after):
                # Where a quote could close: unless the word shows it is an apostrophe.
                opener = _OPENER_OF[mark]
                if not (open_count.get(opener) or elisions[opener]):
                    continue
                if _is_wordish(before) and _trailing_elision(text, i):
                    continue
                if i + 2 < n and text[i + 1] in _CLOSING_PUNCTUATION and text[i + 2] == mark:
                    continue  # doin',' — the next mark closes
                close(opener, i)
                continue
            if mark == "’" and not _is_wordish(after):
                if open_count.get("‘") or elisions["‘"]:
                    close("‘", i)  # ‘ spaced out ’
                continue
            if mark == "’" or not _may_precede_opener(before):
                continue  # ’90s, ’cause, or a stray mark
            if mark == "'" and (not after or after.isspace()):
                continue
            elided, second = _leading_elision(text, i)
            if second >= 0:
                skip = second  # rock 'n' roll
            elif elided:
                push_elision(mark, i)
            else:
                stack.append((mark, i, False))
                open_count[mark] = open_count.get(mark, 0) + 1
            continue
        # A closing mark of a style that never doubles as an apostrophe — except ❜, which
        # some writers also use for one (don❜t).
        if mark == "❜" and _is_wordish(before) and _is_wordish(after):
            continue
        opener = _OPENER_OF[mark]
        if open_count.get(opener):
            close(opener, i)

    spans.sort(key=lambda span: (span[0], -span[1]))
    outermost: list[tuple[int, int]] = []
    last_end = -1
    for start, end in spans:
        if start >= last_end:
            outermost.append((start, end))
            last_end = end
    return outermost
