"""Sample roleplay threads for the paste splitter, written for Tandem.

Each sample is a pair of files next to this module: ``NAME.txt`` is the paste exactly as a
writer would paste it, and ``NAME.json`` says what the splitter ought to find in it::

    {"title": "...", "style": "tumblr|discord|forum|script|docs", "separators": false,
     "muses": [{"name": "ivy", "nicknames": ["ives"], "pronouns": "she/her", "writer": "alice"}],
     "posts": [{"muse": "ivy", "start": "first few words", "date": "2019-03-04T18:22:00Z"}]}

``muse`` is null for a post by a character who is not one of the thread's muses, ``date``
is optional. Samples whose ``separators`` is false have no separators or headers at all:
only the change of point of view tells their posts apart.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

SAMPLES_DIR = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Sample:
    name: str
    title: str
    style: str
    separators: bool
    muses: list[dict]
    posts: list[dict]
    text: str


def load_samples() -> list[Sample]:
    """Every sample in this directory, sorted by name."""
    samples = []
    for expectations_path in sorted(SAMPLES_DIR.glob("*.json")):
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
            )
        )
    return samples
