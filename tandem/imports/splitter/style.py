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

# Each family: variant -> (the characters it cannot do without, the pattern that counts
# it, or None to count those characters). Dialogue marks are told by their opening mark.
# The characters are looked for first: most paragraphs have no «, no … and no --, and
# skipping a pattern is what keeps this scan cheap beside the point-of-view one.
FAMILIES: dict[str, dict[str, tuple[str, str | None]]] = {
    "conjunction": {
        "ampersand": ("&", r"(?<!\S)&(?!\S)"),
        "and": ("nd", r"\b[Aa]nd\b(?!['’])"),
    },
    "dialogue": {
        "ornate single": ("❛", None),
        "ornate double": ("❝", None),
        "curly double": ("“", r"“(?!\s*$)"),
        "straight double": ('"', r'(?:^|(?<=[\s(—–-]))"(?=\S)'),
        "guillemets": ("«", None),
        "curly single": ("‘", r"(?:^|(?<=[\s(—–-]))‘(?=\w)"),
    },
    "apostrophe": {
        "curly": ("’", r"(?<=[^\W\d_])’(?=[^\W\d_])"),
        "straight": ("'", r"(?<=[^\W\d_])'(?=[^\W\d_])"),
    },
    "dash": {
        "spaced em": (" — ", None),
        "closed em": ("—", r"(?<=\w)—(?=\w)"),
        "double hyphen": ("--", r"(?<=[\w ])--(?=[\w ])"),
        "en": (" – ", None),
        "spaced hyphen": (" - ", r"(?<=\w) - (?=\w)"),
    },
    "ellipsis": {
        "dots": ("...", r"(?<!\.)\.\.\.(?!\.)"),
        "character": ("…", None),
    },
}
_COUNTERS = {
    family: {
        name: (characters, re.compile(pattern) if pattern else None)
        for name, (characters, pattern) in variants.items()
    }
    for family, variants in FAMILIES.items()
}
# The first letter of a sentence, past an opening quote: lower or upper case (a word in
# capitals is emphasis, not sentence case).
SENTENCE_START_RE = re.compile(r"(?:^|[.!?] )[❛❝“\"«‘]? ?([a-zA-Z])")

#: A family's variant in a unit, or absent when the unit shows none (or mixes them).
Habits = dict[str, str]


def unit_habits(text: str) -> Habits:
    """The variant of each family this unit uses, where it clearly uses one."""
    uses: dict[str, Counter[str]] = {}
    for family, variants in _COUNTERS.items():
        for name, (characters, pattern) in variants.items():
            if characters in text:
                count = text.count(characters) if pattern is None else len(pattern.findall(text))
                uses.setdefault(family, Counter())[name] += count
    for match in SENTENCE_START_RE.finditer(text):
        letter, after = match.group(1), text[match.end() : match.end() + 1]
        if letter.islower() or not after.isupper():
            case = "lower" if letter.islower() else "upper"
            uses.setdefault("sentence case", Counter())[case] += 1
    habits: Habits = {}
    for family, counts in uses.items():
        total = counts.total()
        variant, count = counts.most_common(1)[0]
        if total and count >= STYLE_MAJORITY * total:
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
