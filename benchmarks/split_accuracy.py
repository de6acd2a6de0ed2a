"""How well the paste splitter finds posts and muses in the sample threads, and how fast.

Run with ``python benchmarks/split_accuracy.py [--runs N]``. For every sample in
``tandem/imports/samples`` it prints the posts expected and found, how many of the expected
posts were found with the right muse, and whether the whole sample came out exactly right
(same number of posts, each starting where it should, each with the right muse and date).
The score that matters is the one for samples *without separators*, where only the change
of point of view tells posts apart: the script exits non-zero if fewer than 90% of those
come out exactly right.

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
from tandem.imports.splitter import MuseNames, Proposal, parse_date, propose

REQUIRED_SCORE = 0.9
WORDS_PER_POST = 300


def muse_names(sample: Sample) -> list[MuseNames]:
    return [
        MuseNames(
            key=muse["name"],
            name=muse["name"],
            nicknames=tuple(muse.get("nicknames", ())),
            pronouns=muse.get("pronouns", ""),
        )
        for muse in sample.muses
    ]


def _folded(text: str) -> str:
    return " ".join(text.casefold().split())


@dataclass
class Outcome:
    sample: Sample
    found: int
    right: int  # expected posts found (same start) with the right muse

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
    return Outcome(sample, len(proposal.posts), right), exact


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
    muses = {muse.key: muse for sample in samples for muse in muse_names(sample)}
    return "\n\n".join(built), list(muses.values())


def _score_line(label: str, rows: list[tuple[Outcome, bool]]) -> tuple[str, float]:
    exact = sum(ok for _, ok in rows)
    right = sum(outcome.right for outcome, _ in rows)
    expected = sum(outcome.expected for outcome, _ in rows)
    score = exact / len(rows) if rows else 0.0
    return (
        f"{label}: {exact}/{len(rows)} samples exact ({score:.0%}), posts right: {right}/{expected}",
        score,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()

    samples = load_samples()
    rows = [evaluate(sample, propose(sample.text, muse_names(sample))) for sample in samples]

    header = f"{'sample':<22} {'style':<8} {'separators':<10} {'expected':>8} {'found':>5} {'right muse':>10}  exact"
    print(header)
    print("-" * len(header))
    for outcome, exact in rows:
        sample = outcome.sample
        print(
            f"{sample.name:<22} {sample.style:<8} {'yes' if sample.separators else 'no':<10} "
            f"{outcome.expected:>8} {outcome.found:>5} {outcome.right:>10}  {'✓' if exact else '✗'}"
        )
    print()
    without_line, without_score = _score_line(
        "without separators", [row for row in rows if not row[0].sample.separators]
    )
    all_line, _ = _score_line("all samples", rows)
    print(without_line)
    print(all_line)

    paste, muses = synthetic_paste([s for s in samples if not s.separators], posts=100)
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

    if without_score < REQUIRED_SCORE:
        print(f"FAIL: without-separators score is below {REQUIRED_SCORE:.0%}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
