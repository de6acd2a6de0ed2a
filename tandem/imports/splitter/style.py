"""Style evidence: where the writing habits change between paragraphs.

Posts in a thread alternate between writers, and writers keep their habits: one writes
``&`` and ``❛ … ❜``, the other "and" and straight quotes; one types curly apostrophes, the
other straight ones; one starts sentences in lower case. Within a post the habits hold; at
a change of writer they often flip. This is the research task known as *style change
detection*, done here with the habits RP writers are known by rather than a learned model:
each unit (a paragraph or a message) shows, for each family of habits it gives a chance to
see, the variant it uses; where two neighbouring units show different variants of a family
that the paste uses both of, a change of post gets cheaper, and where they agree it gets
dearer. The segmentation (``segmentation.py``) adds this to its change penalties.

Each family only counts when the paste itself is divided on it: in a thread where everyone
writes ``&``, ``&`` tells nobody apart.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

# ---------------------------------------------------------------------------------------
# Tuning, in the segmentation's evidence points (a change of POV costs about 2 to 3).

#: How much cheaper a change of post gets for each family whose variant flips there.
STYLE_CHANGE = 2.0
#: How much dearer it gets for each divided family whose variant holds across it.
STYLE_SAME = 0.75
#: The most the style can move one penalty either way.
STYLE_LIMIT = 6.0
#: How far (in units) to look on each side for a unit that shows a family's variant.
STYLE_REACH = 2
#: A unit shows a variant when it makes up at least this share of the family's uses there.
STYLE_MAJORITY = 0.75

_SENTENCE_START = r"(?:^|(?<=[.!?] )|(?<=[.!?] [❛❝“\"«‘])|(?<=^[❛❝“\"«‘])|(?<=^[❛❝“\"«‘] ))"
# Each family: variant -> pattern. Dialogue marks are told by their opening mark.
FAMILIES: dict[str, dict[str, str]] = {
    "conjunction": {
        "ampersand": r"(?<!\S)&(?!\S)",
        "and": r"(?<![\w'’])[Aa]nd(?![\w'’])",
    },
    "dialogue": {
        "ornate single": r"❛",
        "ornate double": r"❝",
        "curly double": r"“(?!\s*$)",
        "straight double": r'(?:^|(?<=[\s(—–-]))"(?=\S)',
        "guillemets": r"«",
        "curly single": r"(?:^|(?<=[\s(—–-]))‘(?=\w)",
    },
    "apostrophe": {
        "curly": r"(?<=[^\W\d_])’(?=[^\W\d_])",
        "straight": r"(?<=[^\W\d_])'(?=[^\W\d_])",
    },
    "dash": {
        "spaced em": r" — ",
        "closed em": r"(?<=\w)—(?=\w)",
        "double hyphen": r"(?<=[\w ])--(?=[\w ])",
        "en": r" – ",
        "spaced hyphen": r"(?<=\w) - (?=\w)",
    },
    "ellipsis": {
        "dots": r"(?<!\.)\.\.\.(?!\.)",
        "character": r"…",
    },
}
# The first letter of a sentence, past an opening quote. It is looked at, not taken, so
# the scan can still read it as the start of "and" or a quote.
FAMILIES["sentence case"] = {
    "lower": _SENTENCE_START + r"(?=[a-z])",
    "upper": _SENTENCE_START + r"(?=[A-Z](?![A-Z]))",
}
# One pattern scans for every family at once, each variant a numbered group; no two
# variants take the same characters, so none hides another.
_VARIANTS = [
    (family, name)
    for family in ("sentence case", *(f for f in FAMILIES if f != "sentence case"))
    for name in FAMILIES[family]
]
_SCANNER = re.compile("|".join(f"({FAMILIES[family][name]})" for family, name in _VARIANTS))

#: A family's variant in a unit, or absent when the unit shows none (or mixes them).
Habits = dict[str, str]


def unit_habits(text: str) -> Habits:
    """The variant of each family this unit uses, where it clearly uses one."""
    found: dict[str, Counter[str]] = {}
    for match in _SCANNER.finditer(text):
        family, variant = _VARIANTS[match.lastindex - 1]
        found.setdefault(family, Counter())[variant] += 1
    habits: Habits = {}
    for family, uses in found.items():
        total = uses.total()
        variant, count = uses.most_common(1)[0]
        if count >= STYLE_MAJORITY * total:
            habits[family] = variant
    return habits


def _divided_families(units: Sequence[Habits]) -> set[str]:
    """Families the paste uses more than one variant of, each in a unit of its own."""
    seen: dict[str, set[str]] = {}
    for habits in units:
        for family, variant in habits.items():
            seen.setdefault(family, set()).add(variant)
    return {family for family, variants in seen.items() if len(variants) > 1}


def _nearest(units: Sequence[Habits], family: str, indexes: range) -> str | None:
    for index in indexes:
        if family in units[index]:
            return units[index][family]
    return None


def style_adjustments(units: Sequence[Habits]) -> list[float]:
    """Per unit, what the style adds to the cost of a change of post just before it:
    negative where the habits flip, positive where they hold (the first unit's is 0)."""
    divided = _divided_families(units)
    adjustments = [0.0]
    for index in range(1, len(units)):
        adjustment = 0.0
        for family in divided:
            before = _nearest(units, family, range(index - 1, max(-1, index - 1 - STYLE_REACH), -1))
            after = _nearest(units, family, range(index, min(len(units), index + STYLE_REACH)))
            if before is None or after is None:
                continue
            adjustment += STYLE_SAME if before == after else -STYLE_CHANGE
        adjustments.append(max(-STYLE_LIMIT, min(STYLE_LIMIT, adjustment)))
    return adjustments
