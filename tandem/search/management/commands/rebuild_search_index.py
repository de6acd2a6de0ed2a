"""Index every post again for search (after restoring a database, or changing the engine's
configuration). Posts written meanwhile are kept right by the triggers."""

from django.core.management.base import BaseCommand
from django.db import connection
from rich.progress import Progress

from tandem.search import engines


class Command(BaseCommand):
    help = "Rebuild the full-text search index of posts, in batches, with a progress bar."

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=2000)

    def handle(self, *args, batch_size: int = 2000, **options):
        if batch_size < 1:
            self.stderr.write("--batch-size must be at least 1.")
            return
        total = engines.count_posts()
        engine = "PostgreSQL" if connection.vendor == "postgresql" else "SQLite FTS5"
        with Progress(disable=options["verbosity"] == 0) as progress:
            task = progress.add_task(f"Indexing posts ({engine})", total=total)
            done = engines.rebuild(
                batch_size=batch_size, progress=lambda n: progress.update(task, advance=n)
            )
        self.stdout.write(f"Indexed {done} post{'s' if done != 1 else ''} for search.")
