"""Pydantic's validation errors as the sentences an admin reads.

``validation_problem`` turns the first error into one sentence that says where the problem
is and what it is ("The thread file, post #3: “word_count” should be a whole number."),
naming posts by their number and items of other lists by their place. The ``tandem_*``
error types and ``_RULE`` are raised by the checks in ``common``, ``thread`` and ``backup``.
"""

import re
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from tandem.exports.schema.common import _RULE

__all__ = ["validation_problem"]

#: What one item of a list of objects is called in a message: "post 3", "turn event 2".
_ITEM_NOUNS = {
    "writers": "writer",
    "muses": "muse",
    "participants": "participant",
    "posts": "post",
    "revisions": "revision",
    "turn_events": "turn event",
    "ooc": "OOC message",
    # account backups
    "files": "file",
    "icons": "icon",
    "other_muses": "partner muse",
    "threads": "thread",
    "drafts": "draft",
    "tracked": "thread kept elsewhere",
}
#: What a value outside a fixed set is called, in a list or as a key: "unknown warning “x”".
_VALUE_NOUNS = {
    "warnings": "warning",
    "tag_categories": "kind of tag",
    "channels": "notification kind",
}
#: What a text that does not match its pattern should be, by its key.
_PATTERNS = {
    "accent_colour": "a colour like #7a3e9d",
    "sha256": "a sha256 checksum (64 digits and letters a–f)",
}

_PREDICATES = {
    "model_type": "should be a JSON object",
    "model_attributes_type": "should be a JSON object",
    "dict_type": "should be a JSON object",
    "list_type": "should be a list",
    "string_type": "should be text",
    "string_unicode": "contains text that is not valid Unicode",
    "string_too_short": "is empty",
    "int_type": "should be a whole number",
    "bool_type": "should be true or false",
    "datetime_type": "should be a date and time like 2025-01-31T18:30:00.000000Z",
}


def _place(label: str, loc: tuple[int | str, ...], document: Any, *, whole: bool = False) -> str:
    """Where ``loc`` is, as the messages say it: "The thread file, post #3: “body”".

    ``whole``: ``loc`` is an object something is said about as a whole ("The thread file,
    thread has no “title”"), not a value in it.
    """
    text, node, steps = label, document, list(loc)
    while steps:
        step = steps.pop(0)
        if isinstance(step, str) and steps and isinstance(steps[0], int):
            index = steps.pop(0)
            node = _child(_child(node, step), index)
            if step not in _ITEM_NOUNS:
                text += f": “{step}” item {index + 1}"
            elif step == "posts" and _is_number(_child(node, "number")):
                # Posts are known by their number wherever it can be read.
                text += f", post #{node['number']}"
            else:
                text += f", {_ITEM_NOUNS[step]} {index + 1}"
        elif steps or whole:  # an object on the way down
            text += f", {step}"
            node = _child(node, step)
        else:
            text += f": “{step}”"
    return text


def _child(node: Any, step: int | str) -> Any:
    try:
        return node[step]
    except (KeyError, IndexError, TypeError):
        return None


def _is_number(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


def _sentence(error: ErrorDetails, label: str, document: Any) -> str:
    loc, kind = tuple(error["loc"]), error["type"]
    if kind == "missing":
        return f"{_place(label, loc[:-1], document, whole=True)} has no “{loc[-1]}”."
    if kind == "tandem_newer":  # a whole sentence, whichever file it is
        return f"{error['msg']}."
    if kind == "tandem_document":  # said of the whole file
        return f"{_place(label, loc, document, whole=True)} {error['msg']}."
    if kind == "tandem_too_many":  # said of the object holding the list
        return f"{_place(label, loc[:-1], document, whole=True)} {error['msg']}."
    if kind == "literal_error" and loc and (loc[-1] == "[key]" or isinstance(loc[-1], int)):
        # A value from a fixed set, in a list or as a key: say which value is unknown.
        field = loc[-3] if loc[-1] == "[key]" else loc[-2]
        noun = _VALUE_NOUNS.get(str(field), f"value in “{field}”")
        where = _place(label, loc[:-2], document, whole=True)
        return f"{where}: unknown {noun} “{str(error['input'])[:40]}”."
    if loc and loc[-1] == "[key]":  # a key of the wrong kind in a free-form object
        where = _place(label, loc[:-2], document, whole=True)
        return f"{where}: the key “{str(loc[-2])[:40]}” is not valid."
    where = _place(label, loc, document)
    if kind == _RULE:
        return f"{where}: {error['msg']}."
    if kind == "literal_error":
        choices = re.findall(r"'([^']*)'", error["ctx"]["expected"])
        return f"{where} should be one of {', '.join(choices)}."
    if kind == "string_too_long":
        length, limit = len(error["input"]), error["ctx"]["max_length"]
        return f"{where} is {length:,} characters; at most {limit:,} fit."
    if kind == "string_pattern_mismatch" and loc[-1] in _PATTERNS:
        return f"{where} is not {_PATTERNS[loc[-1]]}: “{str(error['input'])[:40]}”."
    if kind in _PREDICATES:
        return f"{where} {_PREDICATES[kind]}."
    if kind.startswith("tandem_"):
        return f"{where} {error['msg']}."
    # Anything else still names the place; pydantic's own wording is clear enough.
    return f"{where}: {error['msg']}."


def validation_problem(error: ValidationError, label: str, document: Any) -> str:
    """The first problem pydantic found, as a sentence that says where it is.

    ``label`` names the file ("The thread file", "threads/thread-0002.json",
    "account.json") and
    ``document`` is the JSON that was validated (posts are named by their number in it).
    Errors come in field order, writers first, then in document order.
    """
    errors = error.errors(include_url=False)
    sentence = _sentence(errors[0], label, document)
    if len(errors) > 1:
        more = len(errors) - 1
        sentence += f" ({more:,} more problem{'' if more == 1 else 's'} after this one.)"
    return sentence
