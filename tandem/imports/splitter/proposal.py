"""Putting it together: a paste and its muses in, a :class:`Proposal` out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from tandem.imports.splitter.cast import MuseNames, _build_cast, _Cast
from tandem.imports.splitter.evidence import _Scan, _units, _unknown_characters
from tandem.imports.splitter.segmentation import (
    _attribution,
    _emissions,
    _inner_switch_gain,
    _jointly_inferred_cast,
    _logistic,
    _penalties,
    _runs,
    _split_gain,
    _viterbi,
)
from tandem.imports.splitter.structure import _explicit_segments, _Segment


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


SPLIT_TEMPERATURE = 2.5  # margin (points) over which split confidence goes 0.5 -> ~0.73
HEADER_CONFIDENCE = 0.98
#: Below this, a post's muse or its first line is shown as "unsure — check" for review.
UNSURE_BELOW = 0.6
#: The most a post found by point of view may be sure of its muse when that muse shares
#: its pronoun with another in a thread of three or more: there names alone tell them
#: apart, and the samples show a third of such "sure" posts wrong (below UNSURE_BELOW).
CROWDED_PRONOUN_CONFIDENCE = 0.55


def _segment_text(text: str, segment: _Segment) -> str:
    return "\n".join(text[start:end].strip() for start, end in segment.pieces).strip()


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


def _losing_splits_folded(
    runs: list[list[int]], emissions: list[list[float]], penalties: list[float]
) -> list[list[int]]:
    """The runs, with any that the segmentation is better off without folded into the run
    before. The search only cuts where it gains, but moving a unit with no evidence to
    the post it closes (``_runs``) can leave a short run that no longer earns its cuts."""
    number = 1
    while number < len(runs):
        if _split_gain(runs, number, emissions, penalties) > 0:
            number += 1
            continue
        previous, folded = runs[number - 1], runs.pop(number)
        previous[1] = folded[1]
        if number < len(runs) and runs[number][2] == previous[2]:
            previous[1] = runs.pop(number)[1]
        number = max(1, number - 1)
    return runs


def _pronoun_is_crowded(cast: _Cast, muse: int) -> bool:
    """Whether, among three or more muses, another shares this muse's subject pronoun."""
    return len(cast.muses) >= 3 and any(
        muse in sharing and len(sharing) > 1 for sharing in cast.pronoun_to_muses.values()
    )


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
    runs = _losing_splits_folded(
        _runs(_viterbi(emissions, penalties)[0], emissions, units), emissions, penalties
    )
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
            if _pronoun_is_crowded(cast, state_index):
                confidence = min(confidence, CROWDED_PRONOUN_CONFIDENCE)
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
