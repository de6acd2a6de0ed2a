"""How well the paste splitter finds posts and muses in the sample threads, and how fast.

Run with ``python benchmarks/split_accuracy.py [--runs N]``. For every sample of both sets
(``tandem/imports/samples``: the tuning set; ``samples/locked``: the locked test set, only
ever scored) it splits the paste twice: with the muses' pronouns given, as the import form
allows, and with names alone. It prints, per sample, the posts expected and found, how many
of the expected posts were found with the right muse, and whether the whole sample came out
exactly right (same number of posts, each starting where it should, each with the right
muse and date); then each set's score with and without pronouns, per style and per feature.
The score that matters is the one for samples *without separators*, where only the change
of point of view tells posts apart: the script exits non-zero if fewer than 90% of those
come out exactly right in either set, with or without pronouns (issue 13's goal).

Then it times ``propose`` on a 100-post paste built from the samples' paragraphs (about
300 words a post) with all their muses, and prints the median of N runs. Needs no Django.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tandem.imports.samples import Sample, load_samples
from tandem.imports.splitter import UNSURE_BELOW, MuseNames, Proposal, parse_date, propose

REQUIRED_SCORE = 0.9
WORDS_PER_POST = 300


def _folded(text: str) -> str:
    return " ".join(text.casefold().split())


@dataclass
class Outcome:
    sample: Sample
    found: int
    right: int  # expected posts found (same start) with the right muse
    sure: int = 0  # posts the review would show as "sure" (tandem.imports.views)
    sure_wrong: int = 0  # of those, posts with the wrong start, muse, or another's post inside

    @property
    def expected(self) -> int:
        return len(self.sample.posts)


def evaluate(sample: Sample, proposal: Proposal) -> tuple[Outcome, bool]:
    """Score one sample: (outcome, exact match)."""
    found_starts = [_folded(post.text) for post in proposal.posts]
    right = 0
    for expected in sample.posts:
        start = _folded(expected["start"])
        right += any(
            text.startswith(start) and post.muse_key == expected["muse"]
            for text, post in zip(found_starts, proposal.posts, strict=True)
        )
    exact = len(proposal.posts) == len(sample.posts) and all(
        text.startswith(_folded(expected["start"]))
        and post.muse_key == expected["muse"]
        and ("date" not in expected or post.date == parse_date(expected["date"]))
        for text, post, expected in zip(found_starts, proposal.posts, sample.posts, strict=True)
    )
    starts = {_folded(expected["start"]): expected["muse"] for expected in sample.posts}
    sure = sure_wrong = 0
    for text, post in zip(found_starts, proposal.posts, strict=True):
        if post.muse_key is None or min(post.confidence, post.split_confidence) < UNSURE_BELOW:
            continue
        sure += 1
        right_start = any(text.startswith(s) and post.muse_key == m for s, m in starts.items())
        holds_another = any(start in text[1:] for start in starts)
        sure_wrong += not right_start or holds_another
    return Outcome(sample, len(proposal.posts), right, sure, sure_wrong), exact


def synthetic_paste(samples: list[Sample], posts: int) -> tuple[str, list[MuseNames]]:
    """A long paste: the samples' paragraphs, cycled, grouped into ~300-word posts."""
    paragraphs = [
        paragraph.strip()
        for sample in samples
        for paragraph in sample.text.replace("\r\n", "\n").split("\n\n")
        if paragraph.strip()
    ]
    built, current, words, index = [], [], 0, 0
    while len(built) < posts:
        paragraph = paragraphs[index % len(paragraphs)]
        index += 1
        current.append(paragraph)
        words += len(paragraph.split())
        if words >= WORDS_PER_POST:
            built.append("\n\n".join(current))
            current, words = [], 0
    muses = {muse.key: muse for sample in samples for muse in sample.muse_names()}
    return "\n\n".join(built), list(muses.values())


def _score_line(label: str, rows: list[tuple[Outcome, bool]]) -> tuple[str, float]:
    exact = sum(ok for _, ok in rows)
    right = sum(outcome.right for outcome, _ in rows)
    expected = sum(outcome.expected for outcome, _ in rows)
    score = exact / len(rows) if rows else 0.0
    sure = sum(outcome.sure for outcome, _ in rows)
    sure_wrong = sum(outcome.sure_wrong for outcome, _ in rows)
    return (
        f"{label}: {exact}/{len(rows)} samples exact ({score:.0%}), posts right: {right}/{expected}"
        f", marked sure but wrong: {sure_wrong}/{sure}",
        score,
    )


def _scores(rows: list[tuple[Outcome, bool]]) -> str:
    exact = sum(ok for _, ok in rows)
    return f"{exact}/{len(rows)}" if rows else "—"


def _breakdown(title: str, groups: dict[str, dict[str, list]]) -> None:
    """One line per group: exact samples with and without pronouns, tuning and locked."""
    print(
        f"{title:<26} {'tuning, pronouns':>17} {'tuning, names':>14} {'locked, pronouns':>17} {'locked, names':>14}"
    )
    for name in sorted(groups):
        cells = groups[name]
        print(
            f"{name:<26} {_scores(cells['tuning-with']):>17} {_scores(cells['tuning-without']):>14} "
            f"{_scores(cells['locked-with']):>17} {_scores(cells['locked-without']):>14}"
        )
    print()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()

    samples = load_samples("all")
    results = []  # (sample, with pronouns (outcome, exact), names alone (outcome, exact))
    for sample in samples:
        given = evaluate(sample, propose(sample.text, sample.muse_names()))
        alone = evaluate(sample, propose(sample.text, sample.muse_names(pronouns=False)))
        results.append((sample, given, alone))

    header = (
        f"{'sample':<26} {'set':<7} {'style':<8} {'sep':<4} {'expected':>8} "
        f"{'found':>5} {'right':>5}  {'exact':>5}  {'names only: found right exact':>29}"
    )
    print(header)
    print("-" * len(header))
    for sample, (given, ok), (alone, alone_ok) in results:
        print(
            f"{sample.name:<26} {'locked' if sample.locked else 'tuning':<7} {sample.style:<8} "
            f"{'yes' if sample.separators else 'no':<4} {given.expected:>8} {given.found:>5} "
            f"{given.right:>5}  {'✓' if ok else '✗':>5}  {alone.found:>19} {alone.right:>5} "
            f"{'✓' if alone_ok else '✗':>5}"
        )
    print()

    def cells_for(chosen) -> dict[str, list]:
        cells: dict[str, list] = {
            key: [] for key in ("tuning-with", "tuning-without", "locked-with", "locked-without")
        }
        for sample, given, alone in chosen:
            kind = "locked" if sample.locked else "tuning"
            cells[f"{kind}-with"].append(given)
            cells[f"{kind}-without"].append(alone)
        return cells

    unseparated = [row for row in results if not row[0].separators]
    by_style: dict[str, dict[str, list]] = {}
    for style in {row[0].style for row in unseparated}:
        by_style[style] = cells_for([row for row in unseparated if row[0].style == style])
    by_style["(all without separators)"] = cells_for(unseparated)
    by_style["(with separators)"] = cells_for([row for row in results if row[0].separators])
    _breakdown("style", by_style)
    by_feature = {
        feature: cells_for([row for row in unseparated if feature in row[0].features])
        for feature in sorted({f for row in unseparated for f in row[0].features})
    }
    if by_feature:
        _breakdown("feature", by_feature)

    failing = []
    totals = cells_for(unseparated)
    for key, label in (
        ("tuning-with", "tuning set, pronouns given"),
        ("tuning-without", "tuning set, names alone"),
        ("locked-with", "locked test set, pronouns given"),
        ("locked-without", "locked test set, names alone"),
    ):
        line, score = _score_line(f"without separators, {label}", totals[key])
        print(line)
        if totals[key] and score < REQUIRED_SCORE:
            failing.append(label)

    tuning = [s for s in samples if not s.separators and not s.locked]
    paste, muses = synthetic_paste(tuning, posts=100)
    propose(paste, muses)  # warm up
    timings = []
    for _ in range(args.runs):
        start = time.perf_counter()
        proposal = propose(paste, muses)
        timings.append((time.perf_counter() - start) * 1000)
    print()
    print(
        f"synthetic paste: 100 posts, {len(paste.split()):,} words, {len(muses)} muses "
        f"-> {len(proposal.posts)} posts proposed"
    )
    print(f"propose: median {statistics.median(timings):.1f} ms over {args.runs} runs")

    if failing:
        print(f"FAIL: below {REQUIRED_SCORE:.0%}: {'; '.join(failing)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
