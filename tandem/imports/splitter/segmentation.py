"""Segmentation and attribution: the best sequence of POV characters over the units, the
runs of one POV that become posts, how sure each split and attribution is, and the joint
search for the pronouns of muses whose writers gave none."""

from __future__ import annotations

import itertools
import math
import re
import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace

from tandem.imports.splitter.cast import (
    QUOTE_PATTERN,
    WORDS_RE,
    MuseNames,
    _build_cast,
    _Cast,
    _fold,
    _subject_pronouns,
)
from tandem.imports.splitter.evidence import W_FIRST_SUBJECT, W_NAME_SUBJECT, _Scan, _Unit, _units
from tandem.imports.splitter.structure import _Segment
from tandem.imports.splitter.style import style_adjustments
from tandem.imports.splitter.words import _base

# ---------------------------------------------------------------------------------------
# Tuning. Scores are in "evidence points"; one clear subject sentence is about three.

# What a change of POV costs in the search, in units of the evidence a typical unit of this
# paste carries (a Tumblr paragraph carries more than a Discord line), within bounds.
SWITCH_PENALTY = 0.7
MIN_SWITCH_PENALTY = 2.0
MAX_SWITCH_PENALTY = 3.0
LINE_BREAK_PENALTY = 1.0  # extra for a change at a single newline when paragraphs have blank lines
GAZE_PENALTY = 3.0  # extra for a change right after "…looked over their shoulder." + a pose
ATTRIBUTION_TEMPERATURE = 3.0


def _logistic(margin: float, temperature: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, margin / temperature))))


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
    style = style_adjustments([unit.habits for unit in units])
    for (previous, unit), habits in zip(itertools.pairwise(units), style[1:], strict=True):
        penalty = base + habits
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
# Pronouns the writer left out, found jointly with the segmentation

#: Pronouns tried for a muse whose writer gave none ("it" is left out: read as a subject
#: it is mostly the weather or a door, and would pull every post its way).
CANDIDATE_PRONOUNS = ("she", "he", "they", "i")
#: Above this many muses without pronouns, the per-muse guess stands (the search grows as
#: the number of candidates to the power of the muses).
JOINT_SEARCH_MAX_MUSES = 4
#: A pronoun is a candidate when narration uses it at least this often.
CANDIDATE_MIN_USES = 2
#: ... and at least this share of the uses of the pronoun narration uses most (a stray
#: "i" of unmarked thought in a third-person thread is no first-person muse).
CANDIDATE_MIN_SHARE = 0.2
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


def _candidate_pronouns(text: str) -> list[str]:
    """The pronouns the narration uses often enough to be some muse's."""
    uses = _narration_pronoun_uses(text)
    most = max(uses.values(), default=0)
    least = max(CANDIDATE_MIN_USES, CANDIDATE_MIN_SHARE * most)
    return [pronoun for pronoun in CANDIDATE_PRONOUNS if uses[pronoun] >= least]


def _shared(cast: _Cast) -> int:
    """How many muses beyond the first of each pronoun share it."""
    return sum(len(muses) - 1 for muses in cast.pronoun_to_muses.values())


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
    candidates = _candidate_pronouns(text[segment.start : segment.end])
    if not candidates:
        return guessed
    end = segment.end
    if end - segment.start > JOINT_SEARCH_MAX_CHARS:  # up to the paragraph's end
        cut = text.find("\n", segment.start + JOINT_SEARCH_MAX_CHARS, segment.end)
        end = cut if cut != -1 else segment.end
    segment = replace(segment, end=end)
    handovers = _name_to_pronoun_handovers(text[segment.start : segment.end], guessed)

    def joint_score(cast: _Cast) -> float:
        # Writers in one thread more often differ in pronouns than share them: a pronoun
        # given to several muses must earn it.
        return (
            _pov_score(text, segment, cast)
            - SHARED_PRONOUN_COST * _shared(cast)
            + W_HANDOVER * _handover_agreement(handovers, cast)
        )

    best_cast, best_score = guessed, joint_score(guessed)
    for assignment in itertools.product(candidates, repeat=len(open_muses)):
        trial = list(muses)
        for index, pronoun in zip(open_muses, assignment, strict=True):
            trial[index] = replace(muses[index], pronouns=pronoun)
        cast = _build_cast(trial, text)
        score = joint_score(cast)
        if score > best_score + 1e-9:
            best_cast, best_score = cast, score
    return best_cast


#: What each handover ("wren tied off the line. she coiled the rope") that agrees with an
#: assignment of pronouns is worth to it, and each that contradicts it costs.
W_HANDOVER = 2.0
SENTENCE_RE = re.compile(r"[^.!?…\n]+")


def _name_to_pronoun_handovers(text: str, cast: _Cast) -> Counter[tuple[int, str]]:
    """(muse, pronoun) for each sentence that opens with a muse's name and is followed
    directly by one that opens with a subject pronoun, in the narration of one paragraph
    (a new paragraph may be a new post, opening on the partner): the plainest
    coreference prose has ("odette was waiting at the end of the pier. he held one out").
    Unlike the best segmentation, it cannot be explained away by giving every paragraph
    to one muse."""
    handovers: Counter[tuple[int, str]] = Counter()
    for paragraph in text.splitlines():
        # Dialogue ends a sentence: "…' he said" is about the speaker, not the narration.
        narration = re.sub(QUOTE_PATTERN, ".", paragraph)
        named: int | None = None
        for sentence in SENTENCE_RE.finditer(narration):
            words = WORDS_RE.findall(sentence.group())
            if not words:
                continue
            opening = cast.name_only.match(sentence.group().lstrip(" \t*_([—–-"))
            first = _base(words[0].casefold())
            if opening is not None:
                named = cast.form_to_muse.get(_fold(opening["name"]))
            elif named is not None and first in CANDIDATE_PRONOUNS and first != "i":
                handovers[named, first] += 1
                named = None
            else:
                named = None
    return handovers


def _handover_agreement(handovers: Counter[tuple[int, str]], cast: _Cast) -> int:
    """Handovers the cast's pronouns agree with, less those they contradict."""
    agreement = 0
    for (muse, pronoun), count in handovers.items():
        owners = cast.pronoun_to_muses.get(pronoun, [])
        if muse in owners:
            agreement += count
        elif owners:
            agreement -= count
    return agreement
