"""``tandem manage generate_world``: fill the database with a generated world, fast."""

from __future__ import annotations

from datetime import UTC, datetime

from django.core.management.base import BaseCommand, CommandError

from tandem.world.generator import PASSWORD, WorldSpec, foreign_data_exists, generate


def _date(value: str) -> datetime:
    try:
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    except ValueError as error:
        raise CommandError(f"--until: {value!r} is not a date like 2026-12-01.") from error


class Command(BaseCommand):
    help = (
        "Generate writers, muses, tags, threads and posts (with revisions and turn events) "
        "for benchmarks. Deterministic by --seed; refuses a database with real writers."
    )

    def add_arguments(self, parser):
        parser.add_argument("--writers", type=int, default=1_000)
        parser.add_argument("--threads", type=int, default=10_000)
        parser.add_argument("--posts", type=int, default=100_000)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--until", type=_date, default=None, help="latest date in the world (default: today)"
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="generate even though the database holds writers this command did not make",
        )

    def handle(self, *args, **options):
        writers, threads, posts = options["writers"], options["threads"], options["posts"]
        if writers < 1 or threads < 1 or posts < 0:
            raise CommandError("--writers and --threads must be at least 1, --posts at least 0.")
        if foreign_data_exists() and not options["force"]:
            raise CommandError(
                "This database holds writers that generate_world did not make. Generated "
                "writers share a known password: use an empty database, or --force."
            )
        quiet = options["verbosity"] == 0

        def progress(done: int, total: int, seconds: float) -> None:
            if not quiet and total:
                rate = done / seconds if seconds else 0
                self.stdout.write(
                    f"posts {done:>11,}/{total:,} ({done / total:4.0%})  {rate:,.0f} posts/s"
                )

        spec = WorldSpec(
            writers=writers,
            threads=threads,
            posts=posts,
            seed=options["seed"],
            until=options["until"],
        )
        summary = generate(spec, progress=progress)
        planted = ", ".join(f"{word} ×{n}" for word, n in summary.planted.items())
        self.stdout.write(
            f"Generated {summary.writers:,} writers, {summary.muses:,} muses, "
            f"{summary.threads:,} threads ({summary.public_threads:,} public) and "
            f"{summary.posts:,} posts in {summary.seconds:.1f} s "
            f"(load {summary.load_seconds:.1f} s, search index {summary.index_seconds:.1f} s): "
            f"{summary.rate:,.0f} posts/s.\n"
            f"Rare words planted: {planted}.\n"
            f"Every generated writer's password is “{PASSWORD}” — never on a public server."
        )
