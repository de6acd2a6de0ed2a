"""Re-render every post's cached HTML (after the renderer changed), in batches."""

from django.core.management.base import BaseCommand
from rich.progress import Progress

from tandem.threads.models import OocMessage, Post
from tandem.writing import markup
from tandem.writing.wordcount import count_words


class Command(BaseCommand):
    help = "Re-render the cached HTML of posts rendered by an older renderer (or all with --all)."

    def add_arguments(self, parser):
        parser.add_argument("--all", action="store_true", help="re-render every post")
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args, all: bool = False, batch_size: int = 500, **options):
        posts = Post.objects.all()
        if not all:
            posts = posts.exclude(renderer_version=markup.RENDERER_VERSION)
        total = posts.count()
        done = 0
        last_pk = 0
        with Progress(disable=options["verbosity"] == 0) as progress:
            task = progress.add_task("Rendering posts", total=total)
            while True:
                # Walk by primary key so each batch is one indexed query, whatever the size.
                batch = list(posts.filter(pk__gt=last_pk).order_by("pk")[:batch_size])
                if not batch:
                    break
                for post in batch:
                    post.body_html = markup.render_post(post.body)
                    post.word_count = count_words(post.body_html)
                    post.renderer_version = markup.RENDERER_VERSION
                Post.objects.bulk_update(batch, ["body_html", "word_count", "renderer_version"])
                last_pk = batch[-1].pk
                done += len(batch)
                progress.update(task, advance=len(batch))
        for message in OocMessage.objects.filter(body_html=""):
            message.body_html = markup.render_post(message.body)
            message.save(update_fields=["body_html"])
        self.stdout.write(f"Re-rendered {done} post{'s' if done != 1 else ''}.")
