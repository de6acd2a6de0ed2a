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
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tandem.imports.samples import Sample, Score, load_samples, score
from tandem.imports.splitter import MuseNames, propose

REQUIRED_SCORE = 0.9
WORDS_PER_POST = 300


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


def _score_line(label: str, rows: list[Score]) -> tuple[str, float]:
    exact = sum(row.exact for row in rows)
    right = sum(row.right for row in rows)
    expected = sum(row.expected for row in rows)
    share = exact / len(rows) if rows else 0.0
    sure = sum(row.sure for row in rows)
    sure_wrong = sum(row.sure_wrong for row in rows)
    return (
        f"{label}: {exact}/{len(rows)} samples exact ({share:.0%}), posts right: {right}/{expected}"
        f", marked sure but wrong: {sure_wrong}/{sure}",
        share,
    )


def _scores(rows: list[Score]) -> str:
    exact = sum(row.exact for row in rows)
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
    results: list[tuple[Sample, Score, Score]] = []  # (sample, pronouns given, names alone)
    for sample in samples:
        given = score(sample, propose(sample.text, sample.muse_names()))
        alone = score(sample, propose(sample.text, sample.muse_names(pronouns=False)))
        results.append((sample, given, alone))

    header = (
        f"{'sample':<26} {'set':<7} {'style':<8} {'sep':<4} {'expected':>8} "
        f"{'found':>5} {'right':>5}  {'exact':>5}  {'names only: found right exact':>29}"
    )
    print(header)
    print("-" * len(header))
    for sample, given, alone in results:
        print(
            f"{sample.name:<26} {'locked' if sample.locked else 'tuning':<7} {sample.style:<8} "
            f"{'yes' if sample.separators else 'no':<4} {given.expected:>8} {given.found:>5} "
            f"{given.right:>5}  {'✓' if given.exact else '✗':>5}  {alone.found:>19} {alone.right:>5} "
            f"{'✓' if alone.exact else '✗':>5}"
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
        line, share = _score_line(f"without separators, {label}", totals[key])
        print(line)
        if totals[key] and share < REQUIRED_SCORE:
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
