"""The thread's muses as the scanner needs them: the forms of their names, their pronouns
(given, or guessed from the text), and the one regular expression that scans a unit."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class MuseNames:
    key: str  # returned in attributions as-is
    name: str
    nicknames: tuple[str, ...] = ()  # nicknames and surnames
    pronouns: str = ""  # e.g. "she/her", "he/him", "they/them", may be empty
    writer: str = ""  # the account that writes them, as forum exports head posts with it


# ---------------------------------------------------------------------------------------
# Word lists. Lower case.

SUBJECT_PRONOUNS = frozenset(
    {"she", "he", "they", "xe", "ze", "zie", "sie", "ey", "fae", "ve", "i"}
)
OBJECT_TO_SUBJECT = {"him": "he", "them": "they", "xem": "xe", "zir": "ze", "hir": "zie"}
POSSESSIVE_TO_SUBJECT = {"his": "he", "her": "she", "their": "they", "xyr": "xe", "faer": "fae"}
TITLE_WORDS = frozenset(
    "mr mrs ms miss mx sir lady lord dr doctor captain capt sister brother father mother "
    "aunt uncle prince princess king queen master mistress dame professor prof "
    "the of de la le van von der den du da di del".split()
)

# ---------------------------------------------------------------------------------------
# Patterns that do not depend on the muses.

WORDS_RE = re.compile(r"[^\W\d_][\w'’-]*")

# Dialogue: paired quotes, or an opening quote running to the end of the unit (speeches
# that go on into the next paragraph leave their closing quote off).
QUOTE_PATTERN = (
    r"❛[^❜]*(?:❜|$)|❝[^❞]*(?:❞|$)|“[^”]*(?:”|$)|«[^»]*(?:»|$)|„[^“”]*(?:[“”]|$)"
    r"|(?<![\w])\"[^\"]*(?:\"|$)"
    # British single quotes: ’ inside a word ("I’m") is an apostrophe, not the close; a ‘
    # before a clipped word ("‘cause", "‘em") is a wrongly turned apostrophe, not an open.
    r"|‘(?!(?:cause|em|til|tis|twas|bout|round|n)\b)(?:[^’\n]|’(?=\w))*(?:’|$)"
)
NEVER_MATCHES = r"(?!x)x"


def _fold(text: str) -> str:
    return " ".join(text.replace("’", "'").casefold().split())


@dataclass
class _Cast:
    """The thread's muses as the scanner needs them: name forms and pronouns."""

    muses: list[MuseNames]
    form_to_muse: dict[str, int]  # folded name form -> muse index
    scanner: re.Pattern[str]
    name_only: re.Pattern[str]
    pronoun_to_muses: dict[str, list[int]]  # subject pronoun -> muses using it
    writer_to_muses: dict[str, list[int]] = field(default_factory=dict)  # folded account

    def writers_muses(self, label: str) -> list[int]:
        """The muses of the writer an account header names ("@saltwaterjunk")."""
        return self.writer_to_muses.get(_fold(label.strip(" \t*_[]:")).lstrip("@"), [])

    def resolve_label(self, label: str) -> int | None:
        """The muse a header label names, if any ("Ivy", "ivy marsh", "Lady Isolde")."""
        folded = _fold(label.strip(" \t*_[]:"))
        if folded in self.form_to_muse:
            return self.form_to_muse[folded]
        words = [word for word in folded.split() if word not in TITLE_WORDS]
        if not words:
            return None
        if " ".join(words) in self.form_to_muse:
            return self.form_to_muse[" ".join(words)]
        owners = {self.form_to_muse.get(word) for word in words}
        if len(owners) == 1 and None not in owners:
            return owners.pop()
        writers = self.writers_muses(label)
        return writers[0] if len(writers) == 1 else None


def _name_forms(muse: MuseNames) -> tuple[set[str], set[str]]:
    """(full forms, parts): "Eleanor Ashby" is a full form, "eleanor" and "ashby" parts."""
    full = {_fold(form) for form in (muse.name, *muse.nicknames) if _fold(form)}
    parts = set()
    for form in full:
        words = form.split()
        if len(words) > 1:
            parts.update(w for w in words if len(w) > 1 and w not in TITLE_WORDS)
    return full, parts - full


def _subject_pronouns(pronouns: str) -> set[str]:
    found = set()
    for piece in re.split(r"[/,\s]+", pronouns.casefold()):
        if piece in SUBJECT_PRONOUNS or piece == "it":
            found.add(piece)
        elif piece in OBJECT_TO_SUBJECT:
            found.add(OBJECT_TO_SUBJECT[piece])
        elif piece in POSSESSIVE_TO_SUBJECT:
            found.add(POSSESSIVE_TO_SUBJECT[piece])
    if not found and pronouns.strip():
        # Neopronouns we have no table for: "xe/xem" -> "xe" already handled; take the
        # first piece of anything else as its subject form.
        first = re.split(r"[/,\s]+", pronouns.casefold().strip())[0]
        if first:
            found.add(first)
    return found


def _build_cast(muses: Sequence[MuseNames], text: str) -> _Cast:
    owners: dict[str, set[int]] = {}
    full_owners: dict[str, set[int]] = {}
    for index, muse in enumerate(muses):
        full, parts = _name_forms(muse)
        for form in full:
            owners.setdefault(form, set()).add(index)
            full_owners.setdefault(form, set()).add(index)
        for form in parts:
            owners.setdefault(form, set()).add(index)
    form_to_muse = {}
    for form, indices in owners.items():
        if len(indices) == 1:
            form_to_muse[form] = next(iter(indices))
        elif len(full_owners.get(form, ())) == 1:
            # Two muses share a surname, but one of them is called by it outright.
            form_to_muse[form] = next(iter(full_owners[form]))
    alternation = "|".join(
        r"[ \t]+".join(re.escape(word) for word in form.split()).replace("'", "['’]")
        for form in sorted(form_to_muse, key=len, reverse=True)
    )
    alternation = alternation or NEVER_MATCHES
    name_group = rf"(?P<name>(?<!\w)(?:{alternation}))"
    tail_group = r"(?P<tail>['’](?:s|d|ll|ve|re|m)(?!\w)|['’](?!\w))?(?!\w)"
    scanner = re.compile(
        rf"(?P<quote>{QUOTE_PATTERN})"
        rf"|{name_group}{tail_group}"
        r"|(?P<word>[^\W_][\w'’-]*)"
        r"|(?P<stop>[.!?…]+)"
        r"|(?P<comma>,)"
        r"|(?P<brk>[;:|()\[\]—–*]|[ \t]-[ \t])",
        re.IGNORECASE,
    )
    name_only = re.compile(rf"{name_group}{tail_group}", re.IGNORECASE)
    cast = _Cast(list(muses), form_to_muse, scanner, name_only, {})
    for index, muse in enumerate(muses):
        if _fold(muse.writer):
            cast.writer_to_muses.setdefault(_fold(muse.writer).lstrip("@"), []).append(index)
    declared = [_subject_pronouns(muse.pronouns) for muse in muses]
    for index in range(len(muses)):
        if not declared[index]:
            declared[index] = _infer_pronouns(cast, index, text)
    for index, subjects in enumerate(declared):
        for pronoun in subjects:
            cast.pronoun_to_muses.setdefault(pronoun, []).append(index)
    return cast


def _infer_pronouns(cast: _Cast, muse_index: int, text: str) -> set[str]:
    """Guess a muse's pronouns from the first pronoun after each of its names.

    Writers often leave pronouns empty. In prose, the pronoun that most often follows a
    character's name within the same sentence or the next is that character's.
    """
    counts: Counter[str] = Counter()
    for match in cast.name_only.finditer(text):
        if cast.form_to_muse.get(_fold(match["name"])) != muse_index:
            continue
        window = text[match.end() : match.end() + 120]
        for word in WORDS_RE.finditer(window):
            lowered = word.group().casefold().replace("’", "'").split("'")[0]
            if lowered == "i":  # the narrator, whoever was just named
                continue
            if lowered in SUBJECT_PRONOUNS:
                counts[lowered] += 1
                break
            if _fold(word.group()) in cast.form_to_muse:
                break
    if not counts:
        return set()
    pronoun, count = counts.most_common(1)[0]
    if count >= 2 and count >= 0.6 * sum(counts.values()):
        return {pronoun}
    return set()
