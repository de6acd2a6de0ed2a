"""How long render_post takes on a long roleplay post.

Run with ``python benchmarks/render_post.py [--renders N] [--words W]``. Builds a post of
about W words (5,000 by default) from a fixed seed -- narration, dialogue in several quote
styles, emphasis, small text, kept line breaks and scene breaks -- renders it N times and
prints the median and 95th-percentile time per render. Needs no Django settings.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tandem.writing.markup import render_post
from tandem.writing.wordcount import count_words

NAMES = ["Ivy", "Hale", "Marguerite", "Tomas", "the ferryman", "Sister Odile"]
VERBS = ["glanced", "lingered", "shrugged", "hesitated", "laughed", "sighed", "leaned in"]
PLACES = [
    "the harbour wall",
    "a lamplit stairwell",
    "the back booth of the Gilded Eel",
    "the rain-dark orchard",
    "the observatory dome",
]
NARRATION = [
    "The wind came off the water in long, cold pulls, tugging at {name}'s coat.",
    "Somewhere below, a bell rang twice and then thought better of it.",
    "{name} {verb}, fingers drumming a restless rhythm against {place}.",
    "It had been three days since the letter — three days of waiting, of pretending not to.",
    "Light pooled on the floorboards, amber and unhurried, the way it always did at this hour.",
    "The map was wrong, of course; maps of {place} were always wrong in the same places.",
    "{name} counted the exits without meaning to: a habit older than any of the scars.",
    "There was tea, and it was terrible, and nobody said so.",
]
SPEECH = [
    "You're late,",
    "I didn't think you'd actually come.",
    "Don't look at me like that — it was *your* idea.",
    "If we're doing this, we're doing it properly.",
    "Tell me what the ledger says. All of it.",
    "I've been called worse by better.",
    "Well. That's one way to make an entrance.",
]
QUOTES = [("“", "”"), ("❛", "❜"), ('"', '"'), ("❝", "❞")]


def build_post(words: int, seed: int = 20240611) -> str:
    rng = random.Random(seed)
    paragraphs: list[str] = []
    total = 0
    while total < words:
        roll = rng.random()
        if roll < 0.05 and paragraphs:
            paragraph = rng.choice(["---", "* * *", "~~~"])
        elif roll < 0.45:
            opener, closer = rng.choice(QUOTES)
            name, verb = rng.choice(NAMES), rng.choice(VERBS)
            line = f"{opener}{rng.choice(SPEECH)}{closer} {name} {verb}. "
            line += rng.choice(NARRATION).format(
                name=rng.choice(NAMES), verb=verb, place=rng.choice(PLACES)
            )
            if rng.random() < 0.3:
                line += f"\n{opener}{rng.choice(SPEECH)}{closer}"
            paragraph = line
        else:
            sentences = [
                rng.choice(NARRATION).format(
                    name=rng.choice(NAMES), verb=rng.choice(VERBS), place=rng.choice(PLACES)
                )
                for _ in range(rng.randint(2, 6))
            ]
            if rng.random() < 0.3:
                sentences[0] = f"**{sentences[0]}**"
            if rng.random() < 0.2:
                sentences.append("<small>(ooc: sorry this took a while!)</small>")
            separator = "\n" if rng.random() < 0.25 else " "
            paragraph = separator.join(sentences)
        paragraphs.append(paragraph)
        total += count_words(paragraph)
    return "\n\n".join(paragraphs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--renders", type=int, default=50)
    parser.add_argument("--words", type=int, default=5000)
    args = parser.parse_args()

    post = build_post(args.words)
    render_post(post)  # warm up: imports, compiled patterns, the dialogue module
    timings = []
    for _ in range(args.renders):
        start = time.perf_counter()
        render_post(post)
        timings.append((time.perf_counter() - start) * 1000)
    timings.sort()
    p95 = timings[min(len(timings) - 1, round(0.95 * (len(timings) - 1)))]
    print(f"post: {count_words(post):,} words, {len(post):,} characters")
    print(f"renders: {args.renders}")
    print(f"median: {statistics.median(timings):.1f} ms per render")
    print(f"p95:    {p95:.1f} ms per render")


if __name__ == "__main__":
    main()
