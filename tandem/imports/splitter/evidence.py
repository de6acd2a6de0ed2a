"""Point-of-view evidence: per unit (a paragraph or a message), per muse, how strongly
that muse is the character the unit is told from; and the unknown characters, capitalised
words that act like characters but are no muse."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from tandem.imports.splitter.cast import (
    OBJECT_TO_SUBJECT,
    POSSESSIVE_TO_SUBJECT,
    SUBJECT_PRONOUNS,
    _Cast,
    _fold,
)
from tandem.imports.splitter.structure import LINE_RE, NON_NAME_LABELS
from tandem.imports.splitter.style import unit_habits
from tandem.imports.splitter.words import (
    ADVERBS,
    BE_FORMS,
    COGNITION_VERBS,
    COMMON_WORD_NAMES,
    DETERMINERS,
    FIRST_PERSON_OTHER,
    GAZE_VERBS,
    INNER_NOUNS,
    LEAD_WORDS,
    NOT_CHARACTERS,
    PARTICLES,
    PERFECT_AUX,
    PREPOSITIONS,
    SPATIAL_PREPOSITIONS,
    SPEECH_VERBS,
    STATIVE_AFTER_BE,
    STATIVE_VERBS,
    _base,
    _content_words,
    _is_verbish,
)

# ---------------------------------------------------------------------------------------
# Tuning. Scores are in "evidence points"; one clear subject sentence is about three.

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
NAME_REPEAT_DECAY = 0.6  # each further naming of one muse as a subject in a unit counts less
W_PRONOUN_UNIQUE = 1.0
W_PRONOUN_SHARED = 0.8  # pronoun shared by several muses, resolved by the centre
W_PRONOUN_CARRIED = 0.75  # the same, before this unit has said who is at its centre
W_PRONOUN_INNER = 0.8  # "her heart", "his chest"
W_PRONOUN_OBJECT = -0.3  # "him", "them": the POV character does things *to* others
W_ANCHOR = 0.6  # "behind him, maren stopped": the scene is placed around him
W_FIRST_SUBJECT = 1.5  # the first character to act in a unit (or that it is placed around)
W_FIRST_PERSON = 1.5  # per "i", "me", "my" in narration (up to three), for the narrator
FIRST_PERSON_DAMPING = 0.3  # what the others' evidence keeps in first-person narration
FIRST_PERSON_SILENCE_WORDS = 25  # narration this long without "i" is not the narrator's


@dataclass
class _Unit:
    start: int
    end: int
    scores: list[float]  # evidence per muse
    unknown_subjects: list[tuple[str, bool]]  # (capitalised word, was the unit's first subject)
    habits: dict[str, str] = field(default_factory=dict)  # the writer's, see style.py
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
    name_subjects: Counter[int] = Counter()  # namings as a subject so far, per muse

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

    def named_as_object_later(index: int) -> set[int]:
        """Muses named after token ``index`` in its sentence, other than as the subject
        of a new clause ("she refuses to give mags that": the "she" is not mags)."""
        found: set[int] = set()
        previous: str | None = None
        for token in tokens[index + 1 :]:
            if token.group("quote") is not None or token.lastgroup == "stop":
                break
            if token.group("name") is not None:
                muse = cast.form_to_muse.get(_fold(token.group("name")))
                if muse is not None and previous is not None and previous not in LEAD_WORDS:
                    found.add(muse)
                previous = _fold(token.group("name"))
            elif token.lastgroup == "word":
                previous = token.group().casefold()
            else:
                previous = None
        return found

    def repeated(muse: int) -> float:
        """What the next naming of ``muse`` as a subject in this unit is worth: a POV
        character, once named, goes by a pronoun; the one named again and again ("mags is
        the one who buys the yoghurts, mags is the one who…") is more often the one being
        thought about."""
        name_subjects[muse] += 1
        return NAME_REPEAT_DECAY ** (name_subjects[muse] - 1)

    def resolve(pronoun: str, index: int = -1) -> tuple[int | None, float]:
        """The muse a subject pronoun means here, and the weight of that reading."""
        candidates = cast.pronoun_to_muses.get(pronoun, [])
        if len(candidates) > 1 and index >= 0:
            # A pronoun never means someone its own sentence names as an object.
            others = named_as_object_later(index)
            remaining = [muse for muse in candidates if muse not in others]
            if len(remaining) == 1:
                return remaining[0], W_PRONOUN_SHARED
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
                credit(muse, weight * repeated(muse), role)
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
                credit(muse, weight * repeated(muse), role)
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
            muse, pronoun_weight = (None, 0.0) if plural else resolve(base, index)
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
        unit.habits = unit_habits(line)
        blank_before = False
        units.append(unit)
    return units


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
