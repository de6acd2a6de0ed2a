"""The writer's corrections to a proposed split, as pure operations on the list of posts.

Each proposed post is a dict (see ``PendingImport.posts``). Every operation returns a new
list and never loses text: merging joins two posts' texts, splitting cuts one post's text
at the start of a line, removing is only offered for posts the writer chose to drop.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tandem.writing.blocks import line_starts


class ReviewError(ValueError):
    """An operation that makes no sense for this list (e.g. merging the first post up)."""


@dataclass(frozen=True)
class SplitPoint:
    """A place a post can be cut: the start of one of its lines."""

    index: int  # among the post's lines that are not blank; 0 is the post's start
    offset: int  # where the line starts in the post's text
    paragraph: int  # 1-based, as the reading page will show the paragraphs
    line: int  # 1-based within that paragraph
    opening: str  # its first words, to recognise it by


def split_points(text: str) -> list[SplitPoint]:
    """Every line of the post that is not blank, from the second: a post can be cut before
    any paragraph (as the reading page shows them, so a paste of one-line paragraphs can be
    cut anywhere) or before any line inside one (a message, a line of verse)."""
    points: list[SplitPoint] = []
    paragraph = line = 0
    for index, (offset, starts_paragraph) in enumerate(line_starts(text)):
        paragraph, line = (paragraph + 1, 1) if starts_paragraph else (paragraph, line + 1)
        if index:
            end = text.find("\n", offset)
            words = text[offset : None if end < 0 else end].split()[:8]
            points.append(SplitPoint(index, offset, paragraph, line, " ".join(words)))
    return points


def _check_index(posts: Sequence[dict], index: int) -> None:
    if not 0 <= index < len(posts):
        raise ReviewError(f"There is no post {index + 1} in this proposal.")


def merge_with_previous(posts: Sequence[dict], index: int) -> list[dict]:
    _check_index(posts, index)
    if index == 0:
        raise ReviewError("The first post has nothing before it to merge with.")
    result = [dict(p) for p in posts]
    earlier, later = result[index - 1], result.pop(index)
    earlier["text"] = earlier["text"].rstrip("\n") + "\n\n" + later["text"].lstrip("\n")
    return result


def split_before_line(posts: Sequence[dict], index: int, line: int) -> list[dict]:
    """Cut post ``index`` before its line number ``line`` (0-based, blank lines not
    counted; see ``split_points``). The text is cut where it stands, nothing rewritten;
    the new post keeps the same muse until the writer reassigns it."""
    _check_index(posts, index)
    text = posts[index]["text"]
    point = next((p for p in split_points(text) if p.index == line), None)
    if point is None:
        raise ReviewError(f"Post {index + 1} cannot be split there.")
    result = [dict(p) for p in posts]
    first = result[index]
    second = dict(first)
    first["text"] = text[: point.offset].rstrip()
    second.update(
        text=text[point.offset :].rstrip(),
        split_reason="writer",
        split_confidence=1.0,
        date=None,
        named=None,
    )
    result.insert(index + 1, second)
    return result


def assign(posts: Sequence[dict], first: int, last: int, muse: int) -> list[dict]:
    """Give posts ``first`` to ``last`` (0-based, both included) to one muse at once; the
    caller checks that the muse belongs to the import."""
    if first > last:
        first, last = last, first
    _check_index(posts, first)
    _check_index(posts, last)
    result = [dict(p) for p in posts]
    for post in result[first : last + 1]:
        post["muse"], post["confidence"] = muse, 1.0
    return result


def move(posts: Sequence[dict], index: int, offset: int) -> list[dict]:
    _check_index(posts, index)
    target = index + offset
    if not 0 <= target < len(posts):
        raise ReviewError("That post cannot move any further.")
    result = [dict(p) for p in posts]
    result.insert(target, result.pop(index))
    return result


def remove(posts: Sequence[dict], index: int) -> list[dict]:
    _check_index(posts, index)
    if len(posts) == 1:
        raise ReviewError("An import needs at least one post.")
    return [dict(p) for i, p in enumerate(posts) if i != index]


def apply_action(posts: Sequence[dict], action: str) -> list[dict]:
    """Apply an action named like the review page's buttons: ``merge:3``, ``split:3:2``,
    ``up:3``, ``down:3``, ``remove:3``, ``assign:2:5:MUSE`` (0-based post and line
    indexes; the muse's id)."""
    name, _, rest = action.partition(":")
    try:
        numbers = [int(n) for n in rest.split(":")] if rest else []
    except ValueError as error:
        raise ReviewError("That change is not understood.") from error
    operations = {
        ("merge", 1): lambda: merge_with_previous(posts, *numbers),
        ("split", 2): lambda: split_before_line(posts, *numbers),
        ("assign", 3): lambda: assign(posts, *numbers),
        ("up", 1): lambda: move(posts, numbers[0], -1),
        ("down", 1): lambda: move(posts, numbers[0], 1),
        ("remove", 1): lambda: remove(posts, *numbers),
    }
    operation = operations.get((name, len(numbers)))
    if operation is None:
        raise ReviewError("That change is not understood.")
    return operation()
