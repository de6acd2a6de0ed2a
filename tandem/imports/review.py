"""The writer's corrections to a proposed split, as pure operations on the list of posts.

Each proposed post is a dict (see ``PendingImport.posts``). Every operation returns a new
list and never loses text: merging joins two posts' texts, splitting cuts one post's text
at a paragraph boundary, removing is only offered for posts the writer chose to drop.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from tandem.writing.blocks import mark_paragraphs

PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n")


class ReviewError(ValueError):
    """An operation that makes no sense for this list (e.g. merging the first post up)."""


def paragraphs(text: str) -> list[str]:
    """The paragraphs as the reading page will show them: blank lines, and single line
    breaks after a line of prose (``mark_paragraphs``), so a paste of one-line paragraphs
    can be split before any of them."""
    return [p.strip("\n") for p in PARAGRAPH_BREAK.split(mark_paragraphs(text)) if p.strip()]


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


def split_before_paragraph(posts: Sequence[dict], index: int, paragraph: int) -> list[dict]:
    """Cut post ``index`` so that its paragraph number ``paragraph`` (0-based) starts a new
    post, which keeps the same muse until the writer reassigns it."""
    _check_index(posts, index)
    parts = paragraphs(posts[index]["text"])
    if not 0 < paragraph < len(parts):
        raise ReviewError(f"Post {index + 1} cannot be split there.")
    result = [dict(p) for p in posts]
    first = result[index]
    second = dict(first)
    first["text"] = "\n\n".join(parts[:paragraph])
    second.update(
        text="\n\n".join(parts[paragraph:]),
        split_reason="writer",
        split_confidence=1.0,
        date=None,
        named=None,
    )
    result.insert(index + 1, second)
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
    ``up:3``, ``down:3``, ``remove:3`` (0-based post and paragraph indexes)."""
    name, _, rest = action.partition(":")
    try:
        numbers = [int(n) for n in rest.split(":")] if rest else []
    except ValueError as error:
        raise ReviewError("That change is not understood.") from error
    operations = {
        ("merge", 1): lambda: merge_with_previous(posts, *numbers),
        ("split", 2): lambda: split_before_paragraph(posts, *numbers),
        ("up", 1): lambda: move(posts, numbers[0], -1),
        ("down", 1): lambda: move(posts, numbers[0], 1),
        ("remove", 1): lambda: remove(posts, *numbers),
    }
    operation = operations.get((name, len(numbers)))
    if operation is None:
        raise ReviewError("That change is not understood.")
    return operation()
