"""Import of a 100-post paste and export of a 5,000-post thread in every format.

Run with ``python benchmarks/import_export.py [--rounds N] [--posts N]``. Builds a throwaway
SQLite database in a temporary data dir, then times, end to end through the services the
web page and the CLI use:

* import — reading the pasted bytes, proposing the split (no separators: the point of view
  decides), and creating the thread with its 100 rendered posts; target under 1 s;
* export — a 5,000-post thread (about 250 words a post, created once through the importer)
  to Markdown, plain text, HTML, EPUB and JSON, each from the database to the finished
  file's bytes; target under 5 s each.

Prints the median of each and whether it meets its target.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

ACTIONS = [
    "set the cup down",
    "looked out at the rain",
    "laughed under her breath",
    "counted the coins again",
    "pulled the scarf tighter",
    "leaned on the counter",
    "glanced at the clock — again",
]
FILLER = (
    "the kettle ticked as it cooled & the window held the last of the light, "
    "❛ not yet, ❜ came the answer, soft, “not until the tide turns,” and somewhere a door "
    "creaked *slowly* shut while the street below went on without them"
).split()


def post_text(rng: random.Random, name: str, pronoun: str, words: int = 250) -> str:
    paragraphs = []
    while sum(len(p.split()) for p in paragraphs) < words:
        sentence = f"{name} {rng.choice(ACTIONS)}. {pronoun} " + " ".join(
            rng.choice(FILLER) for _ in range(rng.randint(30, 60))
        )
        paragraphs.append(sentence + ".")
        name = pronoun  # later paragraphs carry on with the pronoun, as writers do
    return "\n\n".join(paragraphs)


CAST = [("ivy", "she"), ("hale", "he")]


def paste(rng: random.Random, posts: int) -> str:
    return "\n\n".join(post_text(rng, *CAST[i % 2]) for i in range(posts))


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--posts", type=int, default=5000, help="posts in the exported thread")
    parser.add_argument(
        "--epubcheck", action="store_true", help="also validate the big EPUB with epubcheck"
    )
    args = parser.parse_args()

    data_dir = tempfile.mkdtemp(prefix="tandem-bench-")
    os.environ["TANDEM_DATA_DIR"] = data_dir
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tandem.settings")
    import django

    django.setup()
    from django.core.management import call_command

    from tandem.accounts.services import writer_sign_up
    from tandem.exports.services import thread_export
    from tandem.imports import services
    from tandem.muses.services import muse_create

    call_command("migrate", verbosity=0)
    writer = writer_sign_up(username="bench", email="bench@example.test", password="bench-pass-123")
    muses = [
        muse_create(owner=writer, name="Ivy", pronouns="she/her"),
        muse_create(owner=writer, name="Hale", pronouns="he/him"),
    ]
    rng = random.Random(11)

    hundred = paste(rng, 100).encode()
    timings, found, right = [], 0, 0
    for _ in range(args.rounds):
        started = time.perf_counter()
        proposal, _warnings = services.proposal_for(hundred, services.muse_names(muses))
        posts = services.posts_of_proposal(proposal, muses)
        services.thread_import(owner=writer, title="Hundred", posts=posts, muses=muses)
        timings.append(time.perf_counter() - started)
        found = len(posts)
        right = sum(post.muse == muses[number % 2] for number, post in enumerate(posts[:100]))
    import_ms = median_ms(timings)
    print(f"import: 100-post paste ({len(hundred) / 1024:.0f} KiB, no separators)")
    print(f"  posts found {found}/100, {right} with the right muse")
    print(f"  median {import_ms:.0f} ms over {args.rounds} runs (read, split, render, insert)")
    print(f"  target < 1000 ms: {'met' if import_ms < 1000 else 'MISSED'}")

    big_posts = [
        services.ImportedPost(muse=muses[i % 2], body=post_text(rng, *CAST[i % 2]))
        for i in range(args.posts)
    ]
    started = time.perf_counter()
    big = services.thread_import(owner=writer, title="Long haul", posts=big_posts, muses=muses)
    print(f"\nsetup: {args.posts:,}-post thread created in {time.perf_counter() - started:.1f} s")
    words = sum(big.posts.values_list("word_count", flat=True))
    print(f"  {words:,} words")
    print(f"\nexport of the {args.posts:,}-post thread (median of {args.rounds}):")
    missed = False
    for fmt in ("md", "txt", "html", "epub", "json"):
        samples, size = [], 0
        for _ in range(args.rounds):
            started = time.perf_counter()
            result = thread_export(big, fmt)
            samples.append(time.perf_counter() - started)
            size = len(result.content)
        ms = median_ms(samples)
        missed |= ms >= 5000
        print(f"  {fmt:5} {ms:8.0f} ms  {size / 1_048_576:6.1f} MiB  target < 5000 ms: "
              f"{'met' if ms < 5000 else 'MISSED'}")  # fmt: skip
    if args.epubcheck:
        missed |= not epubcheck_clean(thread_export(big, "epub").content)
    sys.exit(1 if missed or import_ms >= 1000 else 0)


def epubcheck_clean(book: bytes) -> bool:
    import subprocess

    with tempfile.NamedTemporaryFile(suffix=".epub") as file:
        file.write(book)
        file.flush()
        # epubcheck recurses over a long book's reading order: give it a deep stack.
        result = subprocess.run(
            ["java", "-Xss256m", "-jar", "/usr/share/java/epubcheck.jar", file.name],
            capture_output=True,
            text=True,
        )
    output = result.stdout + result.stderr
    clean = result.returncode == 0 and "No errors or warnings detected." in output
    print(f"\nepubcheck on the big EPUB: {'no errors or warnings' if clean else output[-2000:]}")
    return clean


if __name__ == "__main__":
    main()
