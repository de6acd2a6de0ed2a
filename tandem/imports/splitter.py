"""Split a pasted roleplay thread into posts and say which muse wrote each one.

Writers paste whole threads from Tumblr, Google Docs, Discord logs and forums. This module
turns such a paste into a :class:`Proposal`: a list of posts, each with the muse it is
attributed to, a confidence for the attribution and for the split that starts it, and
human-readable warnings for everything the writer should check. It is pure Python: no
Django, no database, no I/O.

How it works, in order:

1. **Explicit structure.** Lines are classified one by one. A *separator* is a line made of
   three or more of ``- * ~ _ = — –`` (spaces allowed) or an ``<hr>``. A *header* names
   the writer's character: ``Name:`` alone on a line, ``[Name]``, ``**Name**``, or the
   script form ``Name: what they say``. A *Date line* (``Date: 2019-03-04``) at the top of
   a post gives its original date and is removed from the text. If the paste has any of
   these between posts, they alone decide the posts; consecutive script lines by the same
   speaker are one post, but two posts divided by a separator stay two (double posts
   happen).

2. **Point of view.** Without explicit structure, the paste is cut into units (every
   non-blank line: a Tumblr paragraph is one unit, a Discord message is one) and each unit
   gets a score per muse for how strongly that muse is its *point-of-view character*. RP
   posts are written one point of view per post, and the POV character is the one who
   acts: the grammatical subject. So a name at the start of a sentence or before a verb
   ("ivy folded the report", ``*lark slides onto the stool*``) scores high; a name after a
   preposition or a verb ("looked at bram") scores slightly negative; a name inside
   dialogue is someone being *addressed*, so counts against them; a name inside what
   someone knows ("she knew odette could see it") is only a mention. A subject pronoun
   counts for the muse whose pronouns it is — "they" only once that muse is on stage,
   since it is so often plural — and when two muses share a pronoun it goes to the centre
   of attention: the first subject of the latest sentence, carried across paragraphs
   (more weakly until the new paragraph has named someone), except that a paragraph
   opening with the pronoun right after speech addressed to one of them by name is that
   one answering. Backstory ("marsh had kept this light for six years"), perception and
   inner life ("he could hear", "her heart") mark the POV character strongly; a character
   merely posed in the scene ("teo was standing between the trellises") is usually being
   *seen*, and scores low. The first character to act in a unit, or that it is placed
   around ("behind him, maren stopped"), gets a bonus.

3. **Segmentation.** The best sequence of POV characters over the units is found with a
   Viterbi search that pays a penalty for each change, so one paragraph about the other
   character does not start a post, but a run of them does. The penalty is a share of the
   evidence a typical unit of the paste carries (a Discord line carries less than a Tumblr
   paragraph), a little more at a single newline where paragraphs are divided by blank
   lines, and more again between "…finally looked over their shoulder." and a paragraph
   that only poses someone. Consecutive units with the same POV are one post. A unit with
   no evidence either way at a change goes with the post after it, unless the next post's
   first words of dialogue answer it, or it is a bare line of speech in a chat log (which
   follows its speaker's action line). The confidence of a split is how much better the
   segmentation is with the post than with it folded into the one before; the confidence
   of an attribution is how far the post's evidence for its muse leads the runner-up.
   Both go through a logistic so they stay within 0..1.

Capitalised words that act as subjects but are no muse ("Corwin read it twice", two or
more times, and capitalised mid-sentence at least once, never after "the") take part in
the search as unknown characters; a post they win is attributed to no muse, with a
warning, rather than guessed.

Limits: this is shallow grammar, not understanding. Two muses with the same pronouns are
told apart by names and continuity only, so a post that opens "She crossed the room" can
be put with the one before; a paragraph with no name or pronoun at a change of POV can
land on the wrong side; lower-case prose gives no clue to unknown characters; names that
are everyday words (Will, Rose, Mark) only count when capitalised; "it/its" muses get no
pronoun evidence. With explicit separators, posts are never split further by POV.

Everything is linear in the length of the paste: each unit is scanned once by one regular
expression compiled per call, and the search is O(units × muses).
"""

from __future__ import annotations

import itertools
import math
import re
import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta, timezone

__all__ = ["MuseNames", "Proposal", "ProposedPost", "parse_date", "propose"]


@dataclass(frozen=True)
class MuseNames:
    key: str  # returned in attributions as-is
    name: str
    nicknames: tuple[str, ...] = ()  # nicknames and surnames
    pronouns: str = ""  # e.g. "she/her", "he/him", "they/them", may be empty


@dataclass
class ProposedPost:
    text: str  # trimmed; separators, headers and the Date line removed
    muse_key: str | None  # None when unknown
    confidence: float  # attribution confidence 0..1 (0.0 when muse_key is None)
    split_confidence: float  # confidence that a post starts here
    split_reason: str  # "start" | "separator" | "header" | "pov"
    named: str | None = None  # the name found in a header, if any (even when unknown)
    date: datetime | None = None


@dataclass
class Proposal:
    posts: list[ProposedPost]
    warnings: list[str]
    unknown_names: list[str] = field(default_factory=list)


# ---------------------------------------------------------------------------------------
# Tuning. Scores are in "evidence points"; one clear subject sentence is about three.

# What a change of POV costs in the search, in units of the evidence a typical unit of this
# paste carries (a Tumblr paragraph carries more than a Discord line), within bounds.
SWITCH_PENALTY = 0.7
MIN_SWITCH_PENALTY = 2.0
MAX_SWITCH_PENALTY = 3.0
SPLIT_TEMPERATURE = 2.5  # margin (points) over which split confidence goes 0.5 -> ~0.73
ATTRIBUTION_TEMPERATURE = 3.0
HEADER_CONFIDENCE = 0.98
#: Below this, a post's muse or its first line is shown as "unsure — check" for review.
UNSURE_BELOW = 0.6
DATE_SPLIT_CONFIDENCE = 0.9

W_NAME_SUBJECT = 2.5
W_SENTENCE_START = 0.5  # extra for a subject that opens its sentence
W_INTERIOR = 1.5  # extra for backstory, perception, inner life: "had known", "could hear"
W_STATIVE = 0.3  # replaces the subject weight: "was standing", "stood", "sat"
W_NAME_WEAK = 1.2  # a name opening a clause with no verb after it
W_POSSESSIVE_START = 1.2  # "lark's jaw works" at the start of a sentence
W_POSSESSIVE = 0.2
W_POSSESSIVE_INNER = 1.2  # "teo's chest unknotted"
W_OBJECT = -0.4
W_MENTION = 0.3
W_ADDRESSED = -0.6  # named inside dialogue: being spoken to, so not the speaker
W_PRONOUN_UNIQUE = 1.0
W_PRONOUN_SHARED = 0.8  # pronoun shared by several muses, resolved by the centre
W_PRONOUN_CARRIED = 0.75  # the same, before this unit has said who is at its centre
W_PRONOUN_INNER = 0.8  # "her heart", "his chest"
W_PRONOUN_OBJECT = -0.3  # "him", "them": the POV character does things *to* others
W_ANCHOR = 0.6  # "behind him, maren stopped": the scene is placed around him
W_FIRST_SUBJECT = 1.5  # the first character to act in a unit (or that it is placed around)
LINE_BREAK_PENALTY = 1.0  # extra for a change at a single newline when paragraphs have blank lines
GAZE_PENALTY = 3.0  # extra for a change right after "…looked over their shoulder." + a pose
W_FIRST_PERSON = 1.5  # per "i", "me", "my" in narration (up to three), for the narrator
FIRST_PERSON_DAMPING = 0.3  # what the others' evidence keeps in first-person narration
FIRST_PERSON_SILENCE_WORDS = 25  # narration this long without "i" is not the narrator's

# ---------------------------------------------------------------------------------------
# Word lists. Lower case.

SUBJECT_PRONOUNS = frozenset(
    {"she", "he", "they", "xe", "ze", "zie", "sie", "ey", "fae", "ve", "i"}
)
# A first-person narrator's own words outside dialogue: every one points at the narrator.
FIRST_PERSON_OTHER = frozenset({"me", "my", "myself", "mine"})
OBJECT_TO_SUBJECT = {"him": "he", "them": "they", "xem": "xe", "zir": "ze", "hir": "zie"}
POSSESSIVE_TO_SUBJECT = {"his": "he", "her": "she", "their": "they", "xyr": "xe", "faer": "fae"}
DETERMINERS = frozenset(
    "the a an this these those his her their its my your our some any every each no another".split()
)
SPATIAL_PREPOSITIONS = frozenset(
    "behind beside besides around near past above below beneath across opposite alongside".split()
)
GAZE_VERBS = frozenset(
    "look looked looks turned turns glanced glances peered peers saw sees spotted spots "
    "found finds watched watches".split()
)
ECHO_STOPWORDS = frozenset(
    "the and but you your yours you're i'm i've i'll i'd that this there then than them "
    "they them what when where who why how with for from not have has had was were are "
    "is it's its just like about into out off did does don't didn't can can't could "
    "would should will won't okay yeah well so all any some one".split()
)
PREPOSITIONS = frozenset(
    "at to toward towards with for from of on onto into in beside behind near over under "
    "about like than past around against between after before by without through across "
    "upon beneath above below alongside among amongst despite except inside outside "
    "unlike until via within".split()
)
# Words that may open a clause without making the next name any less of a subject.
LEAD_WORDS = frozenset(
    "and but so then yet or nor because while when as until now still even only just "
    "finally once after before though although if meanwhile instead besides also too "
    "slowly quietly suddenly soon later here there well oh".split()
)
ADVERBS = frozenset(
    "also still just only never always already almost simply finally even then barely "
    "hardly nearly suddenly slowly quietly not really very again once first".split()
)
SPEECH_VERBS = frozenset(
    "said says asked asks replied replies murmured murmurs whispered whispers called calls "
    "added adds answered answers muttered mutters snapped snaps shouted shouts".split()
)
STATIVE_VERBS = frozenset("stood sat lay stands sits lies perched".split())
STATIVE_AFTER_BE = frozenset(
    "standing sitting lying leaning perched waiting already still there here".split()
)
BE_FORMS = frozenset({"was", "were", "is", "are"})
PARTICLES = frozenset("up down back forward forwards bolt straight".split())
PERFECT_AUX = frozenset({"had", "has", "hadn't", "hasn't"})
# Perception and inner life: only the POV character's are narrated.
COGNITION_VERBS = frozenset(
    "heard saw watched noticed sensed smelled smelt tasted pictured hear see watch notice "
    "sense smell picture thought knew known felt wondered realised realized remembered "
    "decided wanted hoped wished supposed figured understood hated missed needed considered "
    "imagined recognised recognized suspected doubted believed forgot regretted worried "
    "dreaded thinks knows feels wonders realises realizes remembers decides wants hopes "
    "wishes notices supposes figures understands hates misses needs considers imagines "
    "suspects doubts believes forgets regrets worries dreads".split()
)
INNER_NOUNS = frozenset(
    "heart chest stomach gut breath pulse throat mind thoughts lungs nerves ribs insides "
    "blood".split()
)
IRREGULAR_VERBS = frozenset(
    "was were is are am had has did does do could would should might must will can shall "
    "may said took made went came saw knew thought felt found gave got held kept left let "
    "lost meant met paid put ran sat set shook slid spoke stood stuck swore threw told "
    "understood woke wore won wrote bit broke brought built caught chose drew drank drove "
    "ate fell fought flew forgot froze grew hid hit hung laid led lay lit rode rang rose "
    "sank sang shot shut slept spun spent split stole struck swam swung taught tore bent "
    "blew bought crept dug dealt fed fled flung heard knelt leant leapt lent sought sold "
    "sent shone shrank slung sprang strode stung wept wound wrung began became become "
    "cannot ought used".split()
)
NOT_VERBS = frozenset(
    "his this its as us yes towards was's always perhaps sometimes whereas upstairs "
    "downstairs afterwards besides unless less across alas thus".split()
)
# Capitalised words that are not characters, for the unknown-character search.
NOT_CHARACTERS = frozenset(
    "i i'm i've i'd i'll mr mrs ms miss sir lady lord dr god oh ok okay monday tuesday "
    "wednesday thursday friday saturday sunday january february march april may june july "
    "august september october november december the a an he she they it we you his her "
    "their its our your my there here then this that these those what when where why how "
    "who which no yes not nobody everyone someone somebody nothing something everything "
    "anyone everybody".split()
)
# Header labels that are not names.
NON_NAME_LABELS = frozenset(
    "date time place location setting scene chapter part prologue epilogue interlude note "
    "notes ooc a/n an edit update tw cw warning warnings summary rating pairing pairings "
    "characters tags status prompt author from to subject re ps p.s. title fandom words "
    "wordcount mood music song outfit link url source credit credits rules starter closed "
    "open continued cont end fin reply replies quote spoiler spoilers thread post round "
    "turn later earlier meanwhile elsewhere now then before after today tonight yesterday "
    "tomorrow morning evening night afternoon also however".split()
)
TITLE_WORDS = frozenset(
    "mr mrs ms miss mx sir lady lord dr doctor captain capt sister brother father mother "
    "aunt uncle prince princess king queen master mistress dame professor prof "
    "the of de la le van von der den du da di del".split()
)
# Names that are also everyday English words; their lower-case spelling is not a name.
COMMON_WORD_NAMES = frozenset(
    "will may can mark hope grace faith rose bill art sky dawn june april august summer "
    "winter autumn joy ray rich sue pat jack frank".split()
)

MONTHS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
    "jul": 7, "aug": 8, "sep": 9, "sept": 9, "oct": 10, "nov": 11, "dec": 12,
}  # fmt: skip
FULL_MONTHS = (
    "january february march april may june july august september october november december sept"
).split()

# ---------------------------------------------------------------------------------------
# Patterns that do not depend on the muses.

SEPARATOR_RE = re.compile(r"^[ \t]*(?:(?:[-*~_=—–][ \t]*){3,}|<hr\b[^>]*>)[ \t]*$", re.I)
DATE_LINE_RE = re.compile(
    r"^[ \t]*(?:\*\*|__)?[ \t]*date[ \t]*(?:\*\*|__)?[ \t]*:[ \t]*(?:\*\*|__)?"
    r"[ \t]*(?P<value>.*?)[ \t]*(?:\*\*|__)?[ \t]*$",
    re.I,
)
BRACKET_HEADER_RE = re.compile(r"^[ \t]*\[[ \t]*(?P<name>[^\[\]\n:]{1,40}?)[ \t]*\][ \t]*:?[ \t]*$")
BOLD_HEADER_RE = re.compile(
    r"^[ \t]*(?P<mark>\*\*|__)[ \t]*(?P<name>[^*_\n:]{1,40}?)[ \t]*:?[ \t]*(?P=mark)[ \t]*:?[ \t]*$"
)
COLON_HEADER_RE = re.compile(r"^[ \t]*(?P<name>[^\s:*\[\]#>][^:\n]{0,39}?)[ \t]*:[ \t]*$")
SCRIPT_HEADER_RE = re.compile(
    r"^[ \t]*(?:\*\*|__)?(?P<name>[^\s:*\[\]#>\"“❛❝'‘(][^:\n*]{0,29}?)(?:\*\*|__)?[ \t]*:"
    r"(?:\*\*|__)?[ \t]+(?P<rest>\S.*)$"
)
# Header forms alone on a line, and whether an unknown name in them may be lower case.
HEADER_FORMS = ((BRACKET_HEADER_RE, True), (BOLD_HEADER_RE, False), (COLON_HEADER_RE, False))
NAME_SHAPE_RE = re.compile(r"^[^\W\d_][\w'’.-]*(?:[ \t]+[^\W\d_][\w'’.-]*){0,2}$")
LINE_RE = re.compile(r"[^\n]*\n?")
WORDS_RE = re.compile(r"[^\W\d_][\w'’-]*")

_TIME = r"(?:,?[ \t]*(?:at[ \t]+)?(?P<hour>\d{1,2})(?::(?P<minute>\d{2}))?(?::(?P<second>\d{2}))?[ \t]*(?P<ampm>[ap]\.?m\.?)?)?"
_ZONE = r"(?:[ \t]*(?P<zone>z|utc|gmt|[+-]\d{2}:?\d{2}))?"
_WEEKDAY = r"(?:(?:mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)[a-z]*\.?,?[ \t]+)?"
_MONTH = r"(?P<month>[a-z]{3,9})\.?"
ISO_DATE_RE = re.compile(
    r"^(?P<year>\d{4})[-/](?P<mon>\d{1,2})[-/](?P<day>\d{1,2})"
    r"(?:[t ][ \t]*(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?:\.\d+)?)?)?"
    + _ZONE
    + "$",
    re.I,
)
DAY_MONTH_RE = re.compile(
    "^" + _WEEKDAY + r"(?P<day>\d{1,2})(?:st|nd|rd|th)?[ \t]+(?:of[ \t]+)?" + _MONTH
    + r",?[ \t]+(?P<year>\d{4})" + _TIME + _ZONE + "$",
    re.I,
)  # fmt: skip
MONTH_DAY_RE = re.compile(
    "^" + _WEEKDAY + _MONTH + r"[ \t]+(?P<day>\d{1,2})(?:st|nd|rd|th)?,?[ \t]+(?P<year>\d{4})"
    + _TIME + _ZONE + "$",
    re.I,
)  # fmt: skip

# Dialogue: paired quotes, or an opening quote running to the end of the unit (speeches
# that go on into the next paragraph leave their closing quote off).
QUOTE_PATTERN = (
    r"❛[^❜]*(?:❜|$)|❝[^❞]*(?:❞|$)|“[^”]*(?:”|$)|«[^»]*(?:»|$)|„[^“”]*(?:[“”]|$)"
    r"|(?<![\w])\"[^\"]*(?:\"|$)"
)
NEVER_MATCHES = r"(?!x)x"


def _logistic(margin: float, temperature: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, margin / temperature))))


def _fold(text: str) -> str:
    return " ".join(text.replace("’", "'").casefold().split())


# ---------------------------------------------------------------------------------------
# Dates


def parse_date(value: str) -> datetime | None:
    """A Date line's value as an aware UTC datetime, or None when it can't be read.

    Accepts ISO dates (``2019-03-04``, ``2019-03-04 18:22``, ``2019-03-04T18:22:00+01:00``)
    and written ones (``4 March 2019``, ``March 4, 2019``, ``Mon 4th March 2019 6:22 pm``).
    A date without a zone is taken to be UTC.
    """
    value = value.strip().rstrip(".").strip()
    match = ISO_DATE_RE.match(value)
    if match:
        month_number = int(match["mon"])
    else:
        match = DAY_MONTH_RE.match(value) or MONTH_DAY_RE.match(value)
        if not match:
            return None
        month_name = match["month"].lower()
        month_number = MONTHS.get(month_name[:4]) or MONTHS.get(month_name[:3])
        if month_number is None or not any(full.startswith(month_name) for full in FULL_MONTHS):
            return None
    hour = int(match["hour"]) if match["hour"] else 0
    ampm = (match.groupdict().get("ampm") or "").replace(".", "").lower()
    if ampm:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if ampm == "pm" else 0)
    try:
        moment = datetime(
            int(match["year"]),
            month_number,
            int(match["day"]),
            hour,
            int(match["minute"] or 0),
            int(match["second"] or 0),
        )
    except ValueError:
        return None
    zone = (match["zone"] or "").lower()
    if zone in ("", "z", "utc", "gmt"):
        return moment.replace(tzinfo=UTC)
    sign = 1 if zone[0] == "+" else -1
    digits = zone[1:].replace(":", "")
    offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    return moment.replace(tzinfo=timezone(sign * offset)).astimezone(UTC)


# ---------------------------------------------------------------------------------------
# Names


@dataclass
class _Cast:
    """The thread's muses as the scanner needs them: name forms and pronouns."""

    muses: list[MuseNames]
    form_to_muse: dict[str, int]  # folded name form -> muse index
    scanner: re.Pattern[str]
    name_only: re.Pattern[str]
    pronoun_to_muses: dict[str, list[int]]  # subject pronoun -> muses using it

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
        return None


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


# ---------------------------------------------------------------------------------------
# Explicit structure


@dataclass
class _Segment:
    """A stretch of the paste that explicit structure says is (at least) one post."""

    start: int  # offset of the first content character in the normalised text
    end: int
    reason: str  # "start" | "separator" | "header"
    split_confidence: float = 1.0
    named: str | None = None
    muse_index: int | None = None
    script: bool = False
    date: datetime | None = None
    date_line: str | None = None  # an unreadable Date line, kept in the text
    pieces: list[tuple[int, int]] = field(default_factory=list)  # merged script lines


def _is_name_like(label: str, *, allow_lowercase: bool) -> bool:
    """Whether a header label could be a character's name we don't know."""
    label = label.strip()
    if not NAME_SHAPE_RE.match(label) or label.endswith(".") or _fold(label) in NON_NAME_LABELS:
        return False
    words = label.split()
    if any(word.isupper() and len(word) > 1 for word in words):
        return False  # "**STOP**" is shouting, not a name
    return allow_lowercase or all(word[0].isupper() for word in words)


@dataclass
class _HeaderContext:
    """What the whole paste says about which header-like lines are headers.

    A known muse's header is always a header. An unknown name only counts where the paste
    is evidently structured by headers — some header names a known muse, or two or more
    lines look like headers — so that a lone ``**Run**`` or ``Warning: ...`` in the middle
    of prose does not become a character. Script lines by an unknown speaker need the
    same label on two lines and two script lines by known muses.
    """

    structured: bool
    script_names: set[str]


def _header_context(lines: list[str], cast: _Cast) -> _HeaderContext:
    known_headers = header_like = known_script = 0
    script_labels: Counter[str] = Counter()
    for line in lines:
        for pattern, allow_lowercase in HEADER_FORMS:
            match = pattern.match(line)
            if match:
                if cast.resolve_label(match["name"]) is not None:
                    known_headers += 1
                elif _is_name_like(match["name"], allow_lowercase=allow_lowercase):
                    header_like += 1
                break
        else:
            match = SCRIPT_HEADER_RE.match(line)
            if match and cast.resolve_label(match["name"]) is not None:
                known_script += 1
            elif match and len(match["name"].split()) == 1:
                script_labels[_fold(match["name"])] += 1
    script_names = set()
    if known_script >= 2:
        script_names = {label for label, count in script_labels.items() if count >= 2}
    return _HeaderContext(known_headers + known_script > 0 or header_like >= 2, script_names)


def _classify_line(line: str, cast: _Cast, context: _HeaderContext) -> tuple[str, dict]:
    """("separator"|"date"|"header"|"script"|"text", details) for one line of the paste."""
    if SEPARATOR_RE.match(line):
        return "separator", {}
    match = DATE_LINE_RE.match(line)
    if match:
        return "date", {"value": match["value"]}
    for pattern, allow_lowercase in HEADER_FORMS:
        match = pattern.match(line)
        if match:
            label = match["name"].strip()
            muse_index = cast.resolve_label(label)
            # In a paste built from headers, a lower-case **name** is a header too: RP
            # writers write names in lower case.
            lowercase_ok = allow_lowercase or pattern is BOLD_HEADER_RE
            if muse_index is not None or (
                context.structured and _is_name_like(label, allow_lowercase=lowercase_ok)
            ):
                return "header", {"name": label, "muse": muse_index}
    match = SCRIPT_HEADER_RE.match(line)
    if match:
        label = match["name"].strip()
        muse_index = cast.resolve_label(label)
        if muse_index is not None or (
            _fold(label) in context.script_names and _is_name_like(label, allow_lowercase=True)
        ):
            return "script", {"name": label, "muse": muse_index, "rest": match.start("rest")}
    return "text", {}


def _explicit_segments(text: str, cast: _Cast) -> tuple[list[_Segment], int]:
    """Cut the paste at separators, headers and Date lines.

    Returns the non-empty segments and how many explicit splits were found between
    posts (a Date line or header at the very top is not a split).
    """
    lines = []
    offset = 0
    for match in LINE_RE.finditer(text):
        if not match.group():
            break
        lines.append((offset, match.group().rstrip("\n")))
        offset = match.end()
    context = _header_context([line for _, line in lines], cast)

    segments: list[_Segment] = []
    current = _Segment(start=0, end=0, reason="start")
    has_content = False
    previous_blank = True
    splits = 0

    def close(at: int) -> None:
        if has_content:
            current.end = at
            segments.append(current)

    for line_start, line in lines:
        kind, details = _classify_line(line, cast, context)
        if kind == "date" and not (has_content and not previous_blank):
            moment = parse_date(details["value"])
            if has_content:
                close(line_start)
                splits += 1
                current = _Segment(start=0, end=0, reason="separator")
                current.split_confidence = DATE_SPLIT_CONFIDENCE
                has_content = False
            if moment is not None and current.date is None:
                current.date = moment
                current.start = line_start + len(line) + 1
            else:
                current.date_line = line.strip()
                current.start = line_start
                has_content = True
        elif kind == "separator":
            close(line_start)
            if has_content or segments:
                splits += 1
            current = _Segment(start=line_start + len(line) + 1, end=0, reason="separator")
            has_content = False
        elif kind in ("header", "script"):
            close(line_start)
            if has_content or segments:
                splits += 1
            content_start = (
                line_start + details["rest"] if kind == "script" else line_start + len(line) + 1
            )
            current = _Segment(
                start=content_start,
                end=0,
                reason="header",
                named=details["name"],
                muse_index=details["muse"],
                script=kind == "script",
            )
            has_content = kind == "script"
        elif line.strip():
            if not has_content:
                current.start = line_start
            has_content = True
        previous_blank = not line.strip()
    close(len(text))
    return _merge_script_turns(segments), splits


def _merge_script_turns(segments: list[_Segment]) -> list[_Segment]:
    """Consecutive script lines by the same speaker are one post."""
    merged: list[_Segment] = []
    for segment in segments:
        segment.pieces = [(segment.start, segment.end)]
        previous = merged[-1] if merged else None
        if (
            previous is not None
            and previous.script
            and segment.script
            and (previous.muse_index, _fold(previous.named or ""))
            == (segment.muse_index, _fold(segment.named or ""))
        ):
            previous.pieces.extend(segment.pieces)
            previous.end = segment.end
            continue
        merged.append(segment)
    return merged


# ---------------------------------------------------------------------------------------
# Point of view


@dataclass
class _Unit:
    start: int
    end: int
    scores: list[float]  # evidence per muse
    unknown_subjects: list[tuple[str, bool]]  # (capitalised word, was the unit's first subject)
    blank_before: bool = True  # a blank line (not just a newline) separates it from the last
    gaze_end: bool = False  # its last sentence has someone look, turn, find
    stative_open: bool = False  # its first subject is only posed: "teo was standing"
    speech_only: bool = False  # nothing but dialogue
    first_quote: frozenset[str] = frozenset()  # content words of its first line of dialogue
    last_quote: frozenset[str] = frozenset()


@dataclass
class _Scan:
    """State carried from unit to unit while scanning a stretch of prose."""

    centre: int | None = None  # the muse at the centre of attention
    named_before: frozenset[int] = frozenset()  # muses named in the previous unit's narration
    addressed: frozenset[int] = frozenset()  # muses spoken to at the very end of the last unit
    capitalised_mid_sentence: Counter[str] = field(default_factory=Counter)
    subject_uses: Counter[str] = field(default_factory=Counter)
    spelling: dict[str, str] = field(default_factory=dict)  # first spelling of each


def _is_verbish(word: str | None) -> bool:
    if not word:
        return False
    word = word.replace("’", "'")
    if word in IRREGULAR_VERBS:
        return True
    if word in NOT_VERBS or word in SUBJECT_PRONOUNS or word in DETERMINERS:
        return False
    if word.endswith("n't"):
        return True
    if len(word) > 3 and word.endswith("ed"):
        return True
    return (
        len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is", "'s", "ous"))
    )


def _base(word: str) -> str:
    """A word without its contraction: "she'd" -> "she"."""
    return word.replace("’", "'").split("'")[0]


def _content_words(text: str) -> frozenset[str]:
    return frozenset(
        word
        for word in (
            match.group().casefold().replace("’", "'") for match in WORDS_RE.finditer(text)
        )
        if len(word) > 2 and word not in ECHO_STOPWORDS
    )


def _scan_unit(text: str, cast: _Cast, state: _Scan) -> _Unit:
    """Evidence per muse that this unit (a paragraph or a message) is told from its POV."""
    scores = [0.0] * len(cast.muses)
    unit = _Unit(0, 0, scores, [])
    tokens = list(cast.scanner.finditer(text))
    first_subject_given = False
    any_subject_given = False
    sentence_start = clause_start = True
    sentence_centre_set = False
    sentence_has_gaze = False
    previous_word: str | None = None
    previous_raw: str | None = None  # only kept for capitalisation
    quotes: list[str] = []
    named_here: set[int] = set()
    narration_words = 0
    first_person_words = 0  # "i", "me", "my" outside dialogue
    thought_of = False  # inside what someone knows or thinks: "she knew [odette could see]"
    first_word = next((token.group() for token in tokens if token.lastgroup == "word"), "")
    opens_with_connective = first_word.casefold() in LEAD_WORDS  # "but she was smiling"
    addressed_last: frozenset[int] = frozenset()  # spoken to in a closing line of dialogue
    centre_set_here = False

    def next_words(index: int, count: int = 2) -> list[str | None]:
        found: list[str | None] = []
        for token in tokens[index + 1 : index + 1 + count]:
            if token.lastgroup == "word":
                found.append(token.group().casefold())
            elif token.group("name") is not None:
                found.append("\x00name")
            else:
                break
        return found + [None] * (count - len(found))

    def verb_after(index: int) -> tuple[str | None, str | None]:
        """The verb-ish word after a subject candidate (past up to two adverbs), and the next."""
        words = next_words(index, 4)
        for _ in range(2):
            if words[0] and (
                words[0] in ADVERBS or (words[0].endswith("ly") and len(words[0]) > 3)
            ):
                words = words[1:]
        return words[0], words[1]

    def credit(muse: int, weight: float, role: str) -> None:
        """role: "subject", "pose" (stative subject), "weak" (verbless), "anchor", "carried"
        (a shared pronoun read by the previous unit's centre), or "other"."""
        nonlocal first_subject_given, any_subject_given, sentence_centre_set, centre_set_here
        scores[muse] += weight
        if role in ("subject", "anchor", "carried") and not first_subject_given:
            # A carried pronoun takes the first actor's place without the bonus: someone
            # acts first, we just don't know who yet.
            scores[muse] += W_FIRST_SUBJECT if role != "carried" else 0.0
            first_subject_given = True
        if role in ("subject", "pose", "weak", "carried"):
            if not any_subject_given:
                unit.stative_open = role == "pose"
                any_subject_given = True
            if not sentence_centre_set:
                state.centre = muse
                sentence_centre_set = True
                centre_set_here = centre_set_here or role != "carried"

    def role_and_weight(verb: str | None, after: str | None, base: float) -> tuple[str, float]:
        if (verb in STATIVE_VERBS and after not in PARTICLES) or (
            verb in BE_FORMS and after in STATIVE_AFTER_BE
        ):
            return "pose", W_STATIVE
        if verb in COGNITION_VERBS or (
            verb in PERFECT_AUX | {"could", "couldn't", "can", "can't"}
            and (_is_verbish(after) or after in COGNITION_VERBS)
        ):
            return "subject", base + W_INTERIOR
        return "subject", base

    def resolve(pronoun: str) -> tuple[int | None, float]:
        """The muse a subject pronoun means here, and the weight of that reading."""
        candidates = cast.pronoun_to_muses.get(pronoun, [])
        if len(candidates) == 1:
            muse = candidates[0]
            # "they" is plural as often as not ("they were sliced clean through"); it is the
            # they/them muse only when that muse is already on stage.
            on_stage = muse == state.centre or muse in named_here or muse in state.named_before
            if pronoun != "they" or on_stage:
                return muse, W_PRONOUN_UNIQUE
            return None, 0.0
        answering = [muse for muse in candidates if muse in state.addressed]
        if not any_subject_given and not opens_with_connective and len(answering) == 1:
            # Turn-taking: after "…come and look at this, Miss Achebe." a new paragraph
            # opening "She crossed to the eyepiece" is Miss Achebe answering.
            return answering[0], W_PRONOUN_SHARED
        if state.centre in candidates:
            # A pronoun two muses share means whoever this paragraph is about; until the
            # paragraph has said who that is, the last one's centre is only a weak guess.
            return state.centre, W_PRONOUN_SHARED if centre_set_here else W_PRONOUN_CARRIED
        return None, 0.0

    def end_sentence() -> None:
        nonlocal sentence_start, clause_start, sentence_centre_set, previous_word, previous_raw
        nonlocal sentence_has_gaze, thought_of
        thought_of = False
        if not sentence_start:
            unit.gaze_end = sentence_has_gaze
        sentence_has_gaze = False
        sentence_start = clause_start = True
        sentence_centre_set = False
        previous_word = previous_raw = None

    for index, token in enumerate(tokens):
        kind = token.lastgroup
        if token.group("quote") is not None:
            quotes.append(token.group())
            spoken_to = set()
            for named in cast.name_only.finditer(token.group()):
                muse = cast.form_to_muse.get(_fold(named["name"]))
                if muse is not None:
                    scores[muse] += W_ADDRESSED
                    spoken_to.add(muse)
            closing = all(later.lastgroup in ("stop", "comma") for later in tokens[index + 1 :])
            addressed_last = frozenset(spoken_to) if closing else frozenset()
            end_sentence()
            continue
        if kind == "stop" or (kind == "brk" and token.group() in "*|"):
            end_sentence()
            continue
        if kind == "brk":
            clause_start = True
            thought_of = False
            previous_word = previous_raw = None
            continue
        if kind == "comma":
            previous_word = previous_raw = None
            continue

        if token.group("name") is not None:
            raw = token.group("name")
            muse = cast.form_to_muse.get(_fold(raw))
            lowercase_common = _fold(raw) in COMMON_WORD_NAMES and raw.islower()
            if muse is None or lowercase_common or previous_word in DETERMINERS:
                previous_word, previous_raw = _fold(raw), raw
                clause_start = sentence_start = False
                continue
            # "odette vasquez": a second name of the same muse right after is one mention.
            if index > 0 and tokens[index - 1].group("name") is not None:
                before = cast.form_to_muse.get(_fold(tokens[index - 1].group("name")))
                if before == muse and not tokens[index - 1].group("tail"):
                    continue
            named_here.add(muse)
            tail = (token.group("tail") or "").replace("’", "'")
            last = index
            while (
                not tail
                and last + 1 < len(tokens)
                and tokens[last + 1].group("name") is not None
                and cast.form_to_muse.get(_fold(tokens[last + 1].group("name"))) == muse
            ):
                last += 1
                tail = (tokens[last].group("tail") or "").replace("’", "'")
            verb, after = verb_after(last)
            if tail in ("'s", "'"):
                if next_words(last, 1)[0] in INNER_NOUNS:
                    credit(muse, W_POSSESSIVE_INNER, "other")
                elif clause_start:
                    credit(muse, W_POSSESSIVE_START, "other")
                else:
                    credit(muse, W_POSSESSIVE, "other")
            elif tail:  # "ivy'd", "bram'll": a contraction only follows a subject
                role, weight = role_and_weight(verb, after, W_NAME_SUBJECT)
                credit(muse, weight, role)
            elif previous_word in SPEECH_VERBS and verb is None:
                credit(muse, W_NAME_SUBJECT, "subject")  # "…," said ivy.
            elif previous_word in PREPOSITIONS:
                credit(muse, W_OBJECT, "other")
            elif _is_verbish(verb) and thought_of:
                credit(muse, W_MENTION, "other")  # "she knew odette could see it"
            elif _is_verbish(verb):
                role, weight = role_and_weight(verb, after, W_NAME_SUBJECT)
                if sentence_start and role == "subject":
                    weight += W_SENTENCE_START
                credit(muse, weight, role)
            elif clause_start:
                credit(muse, W_NAME_WEAK, "weak")
            elif _is_verbish(previous_word):
                credit(muse, W_OBJECT, "other")
            else:
                credit(muse, W_MENTION, "other")
            previous_word, previous_raw = _fold(raw), raw
            clause_start = sentence_start = False
            continue

        raw = token.group()
        word = raw.casefold()
        base = _base(word)
        narration_words += 1
        if base == "i" or word in FIRST_PERSON_OTHER:
            first_person_words += 1
        if word in COGNITION_VERBS and word not in GAZE_VERBS:
            thought_of = True
        if word in GAZE_VERBS:
            sentence_has_gaze = True
        if base in SUBJECT_PRONOUNS and previous_word not in ("than", "as"):
            verb, after = verb_after(index)
            if word != base:  # "she'd known": the contraction is the auxiliary
                verb, after = "had", verb
            plural = base == "they" and verb in ("both", "all", "each")
            muse, pronoun_weight = (None, 0.0) if plural else resolve(base)
            if muse is not None:
                role, weight = role_and_weight(verb, after, pronoun_weight)
                if role == "pose":
                    weight = min(W_STATIVE, pronoun_weight)
                if pronoun_weight == W_PRONOUN_CARRIED:
                    role, weight = "carried", W_PRONOUN_CARRIED
                credit(muse, weight, role)
        elif word in FIRST_PERSON_OTHER:
            muse, _ = resolve("i")
            if muse is not None:
                credit(muse, W_PRONOUN_INNER, "other")
        elif word in POSSESSIVE_TO_SUBJECT:
            if next_words(index, 1)[0] in INNER_NOUNS:
                muse, _ = resolve(POSSESSIVE_TO_SUBJECT[word])
                if muse is not None:
                    credit(muse, W_PRONOUN_INNER, "other")
        elif (word in OBJECT_TO_SUBJECT or word == "her") and previous_word in SPATIAL_PREPOSITIONS:
            muse, _ = resolve(OBJECT_TO_SUBJECT.get(word, "she"))
            if muse is not None:
                credit(muse, W_ANCHOR, "anchor")
        elif word in OBJECT_TO_SUBJECT:
            candidates = cast.pronoun_to_muses.get(OBJECT_TO_SUBJECT[word], [])
            if len(candidates) == 1:
                scores[candidates[0]] += W_PRONOUN_OBJECT
        elif (
            raw[0].isupper()
            and len(base) > 1
            and base not in NOT_CHARACTERS
            and previous_word not in DETERMINERS
            and not (previous_raw or "a")[0].isupper()
        ):
            if not clause_start:
                state.capitalised_mid_sentence[base] += 1
            verb, _ = verb_after(index)
            if _is_verbish(verb) and previous_word not in PREPOSITIONS:
                state.subject_uses[base] += 1
                state.spelling.setdefault(base, _base(raw))
                unit.unknown_subjects.append((base, not first_subject_given))
        previous_word, previous_raw = word, raw
        if word not in LEAD_WORDS:
            clause_start = sentence_start = False
    if not sentence_start:
        unit.gaze_end = sentence_has_gaze
    narrators = cast.pronoun_to_muses.get("i", [])
    if first_person_words and len(narrators) == 1:
        # Narration in the first person is its narrator's post whoever else it names: the
        # people it names in the third person are the ones the narrator sees.
        narrator = narrators[0]
        for index in range(len(scores)):
            if index != narrator:
                scores[index] *= FIRST_PERSON_DAMPING
        scores[narrator] += W_FIRST_PERSON * min(first_person_words, 3)
    elif len(narrators) == 1 and narration_words >= FIRST_PERSON_SILENCE_WORDS:
        # A whole paragraph of narration without "i", "me" or "my" is hardly the narrator's.
        scores[narrators[0]] *= FIRST_PERSON_DAMPING
    state.named_before = frozenset(named_here)
    state.addressed = addressed_last
    unit.speech_only = bool(quotes) and not narration_words and not named_here
    if quotes:
        unit.first_quote = _content_words(quotes[0])
        unit.last_quote = _content_words(quotes[-1])
    return unit


def _units(text: str, start: int, end: int, cast: _Cast, state: _Scan) -> list[_Unit]:
    units = []
    blank_before = True
    for match in LINE_RE.finditer(text, start, end):
        line = match.group().rstrip("\n")
        if not line.strip():
            blank_before = True
            continue
        unit = _scan_unit(line, cast, state)
        unit.start, unit.end = match.start(), match.start() + len(line)
        unit.blank_before = blank_before
        blank_before = False
        units.append(unit)
    return units


def _penalties(units: list[_Unit], emissions: list[list[float]]) -> list[float]:
    """What a change of POV costs just before each unit.

    The base cost is a fixed share of the evidence a typical unit carries, so that a post
    of three chat lines is as easy to find as one of three paragraphs.

    Where paragraphs are divided by blank lines, a single newline is inside a post more
    often than between two. And "…finally looked over their shoulder." followed by a
    paragraph that only poses someone ("teo was standing between the trellises") is the
    looker's post showing what they see, not the start of the seen one's.
    """
    has_paragraphs = any(unit.blank_before for unit in units[1:])
    typical = statistics.median([max(row) for row in emissions if max(row) > 0] or [0.0])
    base = min(MAX_SWITCH_PENALTY, max(MIN_SWITCH_PENALTY, SWITCH_PENALTY * typical))
    penalties = [0.0]
    for previous, unit in itertools.pairwise(units):
        penalty = base
        if has_paragraphs and not unit.blank_before:
            penalty += LINE_BREAK_PENALTY
        if previous.gaze_end and unit.stative_open:
            penalty += GAZE_PENALTY
        penalties.append(penalty)
    return penalties


def _emissions(units: list[_Unit], unknown_names: list[str], muse_count: int) -> list[list[float]]:
    """Per unit, per state (muses, then unknown characters), the evidence for that POV."""
    column = {name: muse_count + offset for offset, name in enumerate(unknown_names)}
    rows = []
    for unit in units:
        row = list(unit.scores) + [0.0] * len(unknown_names)
        for name, first in unit.unknown_subjects:
            if name in column:
                row[column[name]] += W_NAME_SUBJECT + (W_FIRST_SUBJECT if first else 0.0)
        rows.append(row)
    return rows


def _top_two(values: list[float]) -> tuple[int, int | None]:
    best = max(range(len(values)), key=values.__getitem__)
    others = [index for index in range(len(values)) if index != best]
    return best, (max(others, key=values.__getitem__) if others else None)


def _viterbi(emissions: list[list[float]], penalties: list[float]) -> tuple[list[int], float]:
    """The best POV state per unit (most evidence, minus the penalty for every change),
    and that path's score."""
    count, states = len(emissions), len(emissions[0])
    forward = list(emissions[0])
    backpointers: list[list[int]] = [[]]
    for i in range(1, count):
        best, runner_up = _top_two(forward)
        row, pointers = [], []
        for state in range(states):
            other = best if best != state else runner_up
            origin = state
            if other is not None and forward[other] - penalties[i] > forward[state]:
                origin = other
            score = forward[origin] - (penalties[i] if origin != state else 0.0)
            row.append(score + emissions[i][state])
            pointers.append(origin)
        forward = row
        backpointers.append(pointers)
    path = [max(range(states), key=forward.__getitem__)]
    for i in range(count - 1, 0, -1):
        path.append(backpointers[i][path[-1]])
    path.reverse()
    return path, max(forward)


def _runs(path: list[int], emissions: list[list[float]], units: list[_Unit]) -> list[list[int]]:
    """[first unit, end unit, state] for each run of one POV.

    A unit with no evidence either way (often a bare line of dialogue) at a change of POV
    goes, by the search, with the post after it; :func:`_closes_previous` decides whether
    it should close the post before instead.
    """
    runs: list[list[int]] = []
    for index, state in enumerate(path):
        if runs and runs[-1][2] == state:
            runs[-1][1] = index + 1
        else:
            runs.append([index, index + 1, state])
    for previous, following in itertools.pairwise(runs):
        while following[1] - following[0] > 1:
            first = following[0]
            row = emissions[first]
            if row[following[2]] > 0 or row[previous[2]] < row[following[2]]:
                break
            if not _closes_previous(units, first, following[1]):
                break
            previous[1] += 1
            following[0] += 1
    return runs


def _closes_previous(units: list[_Unit], index: int, run_end: int) -> bool:
    """Whether an evidence-free unit belongs to the post before it rather than after.

    A reply echoes what it answers: if the unit's dialogue shares more words with the next
    post's first dialogue than with the line before it, it was said *to* the next post's
    muse (❛shirt off, let me see how bad it is❜ / ❛it's not bad❜). Otherwise layout
    decides: a bare line of speech in a chat log follows its speaker's action line, while
    a paragraph set off by a blank line, or a line of narration, more often opens a post.
    """
    unit = units[index]
    reply = next(
        (later.first_quote for later in units[index + 1 : run_end] if later.first_quote),
        frozenset(),
    )
    echoes_next = len(unit.last_quote & reply)
    echoes_previous = len(unit.last_quote & units[index - 1].last_quote)
    if echoes_next != echoes_previous:
        return echoes_next > echoes_previous
    return unit.speech_only and not unit.blank_before


def _split_gain(
    runs: list[list[int]], index: int, emissions: list[list[float]], penalties: list[float]
) -> float:
    """How much better the segmentation is with run ``index`` than with it folded into the
    run before (its units given the previous POV, the changes around it dropped)."""
    first, end, state = runs[index]
    previous_state = runs[index - 1][2]
    gain = sum(row[state] - row[previous_state] for row in emissions[first:end])
    gain -= penalties[first]
    if index + 1 < len(runs) and runs[index + 1][2] == previous_state:
        gain -= penalties[end]
    return gain


def _inner_switch_gain(
    run: list[int], emissions: list[list[float]], penalties: list[float]
) -> float:
    """How close the runner-up segmentation comes to cutting this post in two: the best
    gain of handing its paragraphs up to some point, or from some point on, to another POV
    (negative: it would cost that much). Near zero or above means the text may well switch
    inside the post."""
    first, end, state = run
    best = -math.inf
    for other in range(len(emissions[first])):
        if other == state:
            continue
        gains = [emissions[index][other] - emissions[index][state] for index in range(first, end)]
        head = tail = 0.0
        for cut in range(1, end - first):  # a cut before paragraph first + cut
            head += gains[cut - 1]
            tail_start = end - first - cut
            tail += gains[tail_start]
            best = max(best, head - penalties[first + cut], tail - penalties[first + tail_start])
    return best


def _attribution(totals: list[float], state: int) -> float:
    """Confidence in ``state`` from how far its evidence leads the runner-up's."""
    runner_up = max((total for index, total in enumerate(totals) if index != state), default=0.0)
    return _logistic(totals[state] - runner_up, ATTRIBUTION_TEMPERATURE)


# ---------------------------------------------------------------------------------------
# Putting it together


def _segment_text(text: str, segment: _Segment) -> str:
    return "\n".join(text[start:end].strip() for start, end in segment.pieces).strip()


def _unknown_characters(state: _Scan, cast: _Cast) -> list[str]:
    """Capitalised non-muse words that act (twice or more) like characters."""
    return sorted(
        name
        for name, uses in state.subject_uses.items()
        if uses >= 2
        and state.capitalised_mid_sentence[name] >= 1
        and name not in cast.form_to_muse
        and name not in NON_NAME_LABELS
    )


def propose(text: str, muses: Sequence[MuseNames]) -> Proposal:
    """Split a pasted thread into posts and attribute each post to one of ``muses``."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    if not text.strip():
        return Proposal(posts=[], warnings=["There is nothing to import: the paste is empty."])
    cast = _build_cast(muses, text)
    segments, splits = _explicit_segments(text, cast)
    if not segments:
        return Proposal(
            posts=[], warnings=["There is nothing to import: the paste has only separators."]
        )

    warnings: list[str] = []
    unknown_names: list[str] = []
    if not muses:
        warnings.append("No muses were given, so no post could be attributed to one.")
    if splits:
        posts = [_explicit_post(text, segment, cast) for segment in segments]
        headed = [segment.reason == "header" for segment in segments]
    else:
        cast = _jointly_inferred_cast(muses, text, segments[0], cast)
        posts = _pov_posts(text, segments[0], cast)
        headed = [segments[0].reason == "header"] + [False] * (len(posts) - 1)
    posts[0].split_reason, posts[0].split_confidence = "start", 1.0

    for number, (post, has_header) in enumerate(zip(posts, headed, strict=True), start=1):
        if post.named and post.muse_key is None:
            if post.named not in unknown_names:
                unknown_names.append(post.named)
            if has_header:
                warnings.append(
                    f"Post {number} names “{post.named}”, who is not one of this thread’s muses."
                )
            else:
                warnings.append(
                    f"Post {number} seems to be told by “{post.named}”, who is not one of "
                    "this thread’s muses."
                )
        elif post.muse_key is None and muses:
            warnings.append(f"Couldn’t tell which muse wrote post {number}; please choose one.")
    for number, segment in enumerate(segments, start=1):
        if segment.date_line:
            where = f"Post {number}" if splits else "The paste"
            warnings.append(
                f"{where} has a date line that couldn’t be read (“{segment.date_line}”); "
                "it was left in the text."
            )
    if len(posts) == 1:
        warnings.append(
            "Found no separators, headers or change of point of view, so the whole paste "
            "is one post."
        )
    return Proposal(posts=posts, warnings=warnings, unknown_names=unknown_names)


def _explicit_post(text: str, segment: _Segment, cast: _Cast) -> ProposedPost:
    """One post per explicit segment: the header says whose, or else the POV evidence."""
    muse, confidence = segment.muse_index, HEADER_CONFIDENCE
    if segment.reason != "header":
        muse, confidence = None, 0.0
        if cast.muses:
            state = _Scan()
            totals = [0.0] * len(cast.muses)
            for start, end in segment.pieces:
                for unit in _units(text, start, end, cast, state):
                    totals = [a + b for a, b in zip(totals, unit.scores, strict=True)]
            best = max(range(len(totals)), key=totals.__getitem__)
            if totals[best] > 0:
                muse, confidence = best, _attribution(totals, best)
    return ProposedPost(
        text=_segment_text(text, segment),
        muse_key=cast.muses[muse].key if muse is not None else None,
        confidence=round(confidence, 4) if muse is not None else 0.0,
        split_confidence=segment.split_confidence,
        split_reason=segment.reason,
        named=segment.named,
        date=segment.date,
    )


#: Pronouns tried for a muse whose writer gave none ("it" is left out: read as a subject
#: it is mostly the weather or a door, and would pull every post its way).
CANDIDATE_PRONOUNS = ("she", "he", "they", "i")
#: Above this many muses without pronouns, the per-muse guess stands (the search grows as
#: the number of candidates to the power of the muses).
JOINT_SEARCH_MAX_MUSES = 4
#: A pronoun is a candidate when narration uses it at least this often.
CANDIDATE_MIN_USES = 2
#: What the search charges for each muse beyond the first given the same pronoun.
SHARED_PRONOUN_COST = 8.0
#: The search reads at most this much of a long paste (pronouns do not change halfway),
#: so its cost has a ceiling: 4 open muses on 12,000 characters take about a second.
JOINT_SEARCH_MAX_CHARS = 12_000


def _narration_pronoun_uses(text: str) -> Counter[str]:
    """How often each candidate pronoun is a word of the narration (outside dialogue)."""
    narration = re.sub(QUOTE_PATTERN, " ", text)
    counts: Counter[str] = Counter()
    for word in WORDS_RE.finditer(narration):
        base = _base(word.group().casefold())
        if base in CANDIDATE_PRONOUNS:
            counts[base] += 1
    return counts


def _pov_score(text: str, segment: _Segment, cast: _Cast) -> float:
    """How well the best segmentation of this stretch explains it with this cast."""
    units = _units(text, segment.start, segment.end, cast, _Scan())
    if not units:
        return 0.0
    emissions = _emissions(units, [], len(cast.muses))
    return _viterbi(emissions, _penalties(units, emissions))[1]


def _jointly_inferred_cast(
    muses: Sequence[MuseNames], text: str, segment: _Segment, guessed: _Cast
) -> _Cast:
    """The cast with pronouns for the muses that have none, chosen together with the
    segmentation: every assignment of the pronouns the narration uses is tried, and the one
    whose best segmentation explains the text best is kept (issue 13, item 1). A guess made
    one muse at a time goes wrong when a post keeps naming the partner; trying them jointly
    lets the names and the pronouns of each post agree."""
    open_muses = [i for i, muse in enumerate(muses) if not _subject_pronouns(muse.pronouns)]
    if not open_muses or len(open_muses) > JOINT_SEARCH_MAX_MUSES or len(muses) < 2:
        return guessed
    uses = _narration_pronoun_uses(text)
    candidates = [p for p in CANDIDATE_PRONOUNS if uses[p] >= CANDIDATE_MIN_USES]
    if not candidates:
        return guessed
    end = segment.end
    if end - segment.start > JOINT_SEARCH_MAX_CHARS:  # up to the paragraph's end
        cut = text.find("\n", segment.start + JOINT_SEARCH_MAX_CHARS, segment.end)
        end = cut if cut != -1 else segment.end
    segment = replace(segment, end=end)
    best_cast, best_score = guessed, _pov_score(text, segment, guessed)
    for assignment in itertools.product(candidates, repeat=len(open_muses)):
        trial = list(muses)
        for index, pronoun in zip(open_muses, assignment, strict=True):
            trial[index] = replace(muses[index], pronouns=pronoun)
        cast = _build_cast(trial, text)
        # Writers in one thread more often differ in pronouns than share them: a pronoun
        # given to several muses must earn it.
        shared = len(assignment) - len(set(assignment))
        score = _pov_score(text, segment, cast) - SHARED_PRONOUN_COST * shared
        if score > best_score + 1e-9:
            best_cast, best_score = cast, score
    return best_cast


def _pov_posts(text: str, segment: _Segment, cast: _Cast) -> list[ProposedPost]:
    """Posts found by change of point of view within one stretch of prose."""
    state = _Scan()
    units = _units(text, segment.start, segment.end, cast, state)
    strangers = _unknown_characters(state, cast)
    emissions = _emissions(units, strangers, len(cast.muses))
    if not units or not emissions[0]:
        return [
            ProposedPost(
                text=_segment_text(text, segment),
                muse_key=None,
                confidence=0.0,
                split_confidence=1.0,
                split_reason="start",
                date=segment.date,
            )
        ]
    penalties = _penalties(units, emissions)
    runs = _runs(_viterbi(emissions, penalties)[0], emissions, units)
    posts = []
    for number, (first, end, state_index) in enumerate(runs):
        totals = [sum(row[s] for row in emissions[first:end]) for s in range(len(emissions[0]))]
        muse_key, confidence, named = None, 0.0, None
        if totals[state_index] > 0 and state_index < len(cast.muses):
            muse_key = cast.muses[state_index].key
            # Sure only if the evidence favours this muse over the others *and* no cut
            # inside the post comes close (issue 13, item 4).
            doubt = _inner_switch_gain(runs[number], emissions, penalties)
            confidence = min(
                _attribution(totals, state_index), _logistic(-doubt, SPLIT_TEMPERATURE)
            )
        elif totals[state_index] > 0:
            named = state.spelling[strangers[state_index - len(cast.muses)]]
        split_confidence = 1.0
        if number:
            gain = _split_gain(runs, number, emissions, penalties)
            split_confidence = _logistic(gain, SPLIT_TEMPERATURE)
        posts.append(
            ProposedPost(
                text=text[units[first].start : units[end - 1].end].strip(),
                muse_key=muse_key,
                confidence=round(confidence, 4),
                split_confidence=round(split_confidence, 4),
                split_reason="pov" if number else "start",
                named=named,
                date=segment.date if not posts else None,
            )
        )
    if segment.reason == "header":  # one header at the very top names the first post
        posts[0].named = segment.named
        if segment.muse_index is not None:
            posts[0].muse_key = cast.muses[segment.muse_index].key
            posts[0].confidence = HEADER_CONFIDENCE
        else:
            posts[0].muse_key, posts[0].confidence = None, 0.0
        if len(posts) > 1 and posts[1].muse_key == posts[0].muse_key:
            posts[0].text = text[units[0].start : units[runs[1][1] - 1].end].strip()
            del posts[1]
    return posts


def muse_for_name(name: str, muses: Sequence[MuseNames]) -> str | None:
    """The key of the muse a name stands for (name, nickname or surname, any case), if any."""
    index = _build_cast(muses, "").resolve_label(name)
    return muses[index].key if index is not None else None
