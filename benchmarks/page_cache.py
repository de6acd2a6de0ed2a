"""How much the cached post HTML saves on a reading page.

Run with ``python benchmarks/page_cache.py [--rounds N]``. Builds a throwaway SQLite database
in a temporary data dir with one thread of 50 long posts (about 1,000 words each, generated
from a fixed seed), then times GET of the reading page with all 50 posts on it:

* cached — the rendered HTML stored on each post is used as it is;
* uncached — every post is marked as rendered by an older renderer before each request, so
  the page renders all 50 again (what every request would cost without the cache).

Prints the median time of each and the speed-up.
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

WORDS = (
    "the lantern swung & the harbour held its breath — ivy counted the bells, "
    "❛ not yet, ❜ she said, “not until the tide turns,” and the rope creaked "
    "*softly* against the bollard while hale pretended not to listen"
).split()


def long_post(rng: random.Random, words: int = 1000) -> str:
    paragraphs, current = [], []
    for _ in range(words):
        current.append(rng.choice(WORDS))
        if len(current) > 80 and rng.random() < 0.05:
            paragraphs.append(" ".join(current))
            current = []
    paragraphs.append(" ".join(current))
    return "\n\n".join(paragraphs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()

    data_dir = tempfile.mkdtemp(prefix="tandem-bench-")
    os.environ["TANDEM_DATA_DIR"] = data_dir
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tandem.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.test import Client

    from tandem.accounts.services import writer_sign_up
    from tandem.muses.services import muse_create
    from tandem.threads import services
    from tandem.threads.models import Post

    settings.ALLOWED_HOSTS = ["testserver"]
    settings.TANDEM_POSTS_PER_PAGE = 50
    call_command("migrate", verbosity=0)
    writer = writer_sign_up(username="bench", email="bench@example.test", password="bench-pass-123")
    muse = muse_create(owner=writer, name="Ivy")
    thread = services.thread_create(owner=writer, muse=muse, title="Benchmark")
    rng = random.Random(7)
    for _ in range(50):
        services.post_create(thread=thread, writer=writer, muse=muse, body=long_post(rng))
    client = Client()
    client.force_login(writer)
    url = f"/t/{thread.public_id}/"

    def timed(stale: bool) -> float:
        if stale:
            Post.objects.update(renderer_version=0)
        start = time.perf_counter()
        response = client.get(url)
        elapsed = time.perf_counter() - start
        assert response.status_code == 200
        return elapsed

    timed(False)  # warm up templates and connections
    cached = [timed(False) for _ in range(args.rounds)]
    uncached = [timed(True) for _ in range(args.rounds)]
    words = sum(Post.objects.values_list("word_count", flat=True))
    print(f"page: 50 posts, {words:,} words, SQLite in {data_dir}")
    print(f"rounds: {args.rounds}")
    print(f"cached:   median {statistics.median(cached) * 1000:.1f} ms per page")
    print(f"uncached: median {statistics.median(uncached) * 1000:.1f} ms per page")
    print(f"speed-up: {statistics.median(uncached) / statistics.median(cached):.1f}x")


if __name__ == "__main__":
    main()
