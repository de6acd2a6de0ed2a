"""Sample roleplay threads for the paste splitter, written for Tandem.

Each sample is a pair of files next to this module: ``NAME.txt`` is the paste exactly as a
writer would paste it, and ``NAME.json`` says what the splitter ought to find in it::

    {"title": "...", "style": "tumblr|discord|forum|script|docs", "separators": false,
     "muses": [{"name": "ivy", "nicknames": ["ives"], "pronouns": "she/her", "writer": "alice"}],
     "posts": [{"muse": "ivy", "start": "first few words", "date": "2019-03-04T18:22:00Z"}]}

``muse`` is null for a post by a character who is not one of the thread's muses, ``date``
is optional. Samples whose ``separators`` is false have no separators or headers at all:
only the change of point of view tells their posts apart. ``features`` (optional) names what
makes a sample hard, from ``FEATURES``.

Two sets (issue 13, item 3). The samples in this directory are the **tuning set**: the
splitter's rules may be changed to get them right. The samples in ``locked/`` are the
**locked test set**: split off once, at random, before any tuning on them, and only ever
scored (``benchmarks/split_accuracy.py``). ``locked/MANIFEST.sha256`` holds their hashes, and
a test fails if one changes, so a locked sample cannot quietly be edited to pass.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from tandem.imports.splitter import UNSURE_BELOW, MuseNames, Proposal, parse_date

SAMPLES_DIR = Path(__file__).resolve().parent
LOCKED_DIR = SAMPLES_DIR / "locked"
MANIFEST = LOCKED_DIR / "MANIFEST.sha256"

FEATURES = frozenset(
    {
        "first-person",
        "second-person",
        "mixed-persons",
        "present-tense",
        "past-tense",
        "lowercase",
        "sentence-case",
        "partner-named-more",
        "same-pronouns",
        "titled-names",
        "two-writers",
        "three-writers",
        "four-writers",
        "opens-on-partner",
        "short-posts",
        "long-posts",
        "npc-post",
    }
)


@dataclass(frozen=True)
class Sample:
    name: str
    title: str
    style: str
    separators: bool
    muses: list[dict]
    posts: list[dict]
    text: str
    features: tuple[str, ...] = ()
    locked: bool = False

    def muse_names(self, *, pronouns: bool = True) -> list[MuseNames]:
        """The muses as the import form gives them; ``pronouns=False``: names alone."""
        return [
            MuseNames(
                key=muse["name"],
                name=muse["name"],
                nicknames=tuple(muse.get("nicknames", ())),
                pronouns=muse.get("pronouns", "") if pronouns else "",
                writer=muse.get("writer", ""),
            )
            for muse in self.muses
        ]


def load_samples(which: str = "tuning") -> list[Sample]:
    """The samples of one set, sorted by name: ``"tuning"``, ``"locked"`` or ``"all"``."""
    folders = {"tuning": [SAMPLES_DIR], "locked": [LOCKED_DIR], "all": [SAMPLES_DIR, LOCKED_DIR]}
    return [sample for folder in folders[which] for sample in _samples_in(folder)]


def _samples_in(folder: Path) -> list[Sample]:
    samples = []
    for expectations_path in sorted(folder.glob("*.json")):
        expected = json.loads(expectations_path.read_text(encoding="utf-8"))
        # newline="" keeps the paste's own line endings, as a browser would submit them.
        with expectations_path.with_suffix(".txt").open(encoding="utf-8", newline="") as paste:
            text = paste.read()
        samples.append(
            Sample(
                name=expectations_path.stem,
                title=expected["title"],
                style=expected["style"],
                separators=bool(expected["separators"]),
                muses=list(expected["muses"]),
                posts=list(expected["posts"]),
                text=text,
                features=tuple(expected.get("features", ())),
                locked=folder == LOCKED_DIR,
            )
        )
    return samples


def locked_hashes() -> dict[str, str]:
    """The SHA-256 of each file of the locked set as it is now, by file name."""
    return {
        path.name: hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(LOCKED_DIR.iterdir())
        if path.suffix in (".json", ".txt")
    }


def recorded_hashes() -> dict[str, str]:
    """The hashes recorded in ``locked/MANIFEST.sha256`` when the set was split off."""
    recorded = {}
    for line in MANIFEST.read_text(encoding="utf-8").splitlines():
        if line.strip():
            digest, name = line.split(maxsplit=1)
            recorded[name] = digest
    return recorded


@dataclass(frozen=True)
class Score:
    """How a proposal for a sample compares with what the sample expects."""

    expected: int  # posts the sample has
    found: int  # posts the proposal has
    right: int  # expected posts found (same start) with the right muse
    problems: tuple[str, ...]  # why it is not exactly right; empty when it is
    sure: int  # posts the review shows as "sure" (tandem.imports.views)
    sure_wrong: int  # of those, with the wrong start or muse, or another post inside

    @property
    def exact(self) -> bool:
        return not self.problems


def _folded(text: str) -> str:
    return " ".join(text.casefold().split())


def score(sample: Sample, proposal: Proposal) -> Score:
    """Score one proposal against its sample: the one scorer of the benchmark
    (``benchmarks/split_accuracy.py``) and of the tests."""
    found = [_folded(post.text) for post in proposal.posts]
    problems = []
    if len(proposal.posts) != len(sample.posts):
        problems.append(f"{len(proposal.posts)} posts instead of {len(sample.posts)}")
    pairs = zip(found, proposal.posts, sample.posts, strict=False)
    for number, (text, post, expected) in enumerate(pairs, start=1):
        if not text.startswith(_folded(expected["start"])):
            problems.append(f"post {number} starts {post.text[:40]!r}, not {expected['start']!r}")
        if post.muse_key != expected["muse"]:
            problems.append(f"post {number} is {post.muse_key!r}, not {expected['muse']!r}")
        if "date" in expected and post.date != parse_date(expected["date"]):
            problems.append(f"post {number} is dated {post.date}, not {expected['date']}")
        if "named" in expected and post.named != expected["named"]:
            problems.append(f"post {number} names {post.named!r}, not {expected['named']!r}")
    starts = {_folded(expected["start"]): expected["muse"] for expected in sample.posts}
    right = sum(
        any(
            text.startswith(start) and post.muse_key == muse
            for text, post in zip(found, proposal.posts, strict=True)
        )
        for start, muse in starts.items()
    )
    sure = sure_wrong = 0
    for text, post in zip(found, proposal.posts, strict=True):
        if post.muse_key is None or min(post.confidence, post.split_confidence) < UNSURE_BELOW:
            continue
        sure += 1
        right_start = any(text.startswith(s) and post.muse_key == m for s, m in starts.items())
        holds_another = any(start in text[1:] for start in starts)
        sure_wrong += not right_start or holds_another
    return Score(len(sample.posts), len(proposal.posts), right, tuple(problems), sure, sure_wrong)
