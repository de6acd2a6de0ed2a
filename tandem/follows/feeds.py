"""The reader's private Atom feed of posts from what they follow."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import feedgenerator

from tandem.accounts.models import User
from tandem.threads.models import Post


def atom_response(request: HttpRequest, reader: User, posts: list[Post]) -> HttpResponse:
    feed = feedgenerator.Atom1Feed(
        title=f"Tandem: what {reader.shown_name} follows",
        link=request.build_absolute_uri(reverse("follows")),
        description="New posts in the threads, muses and writers you follow.",
        language="",
        feed_guid=request.build_absolute_uri(reverse("follows")) + "#feed",
    )
    for post in posts:
        thread = post.thread
        link = request.build_absolute_uri(post.get_absolute_url())
        warnings = ", ".join(thread.warning_labels)
        categories = [thread.get_rating_display()] + ([warnings] if warnings else [])
        feed.add_item(
            title=f"{post.muse.name} in “{thread.title}” (#{post.number})",
            link=link,
            unique_id=link,
            # body_html is the post as the thread page shows it (rendered and sanitised).
            description=post.body_html,
            author_name=post.author.shown_name,
            pubdate=post.created_at,
            updateddate=post.edited_at or post.created_at,
            categories=categories,
        )
    response = HttpResponse(content_type="application/atom+xml; charset=utf-8")
    feed.write(response, "utf-8")
    # A private address: keep it out of shared caches and search engines.
    response["Cache-Control"] = "private, max-age=300"
    response["X-Robots-Tag"] = "noindex"
    response["Referrer-Policy"] = "no-referrer"
    return response
