"""Reads for exports: a thread as a ThreadDocument, and a writer's export jobs."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from urllib.parse import urlsplit

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from tandem.accounts.models import User
from tandem.exports.document import MuseInfo, PostInfo, ThreadDocument, WriterInfo
from tandem.exports.models import ExportJob
from tandem.moderation.selectors import post_is_hidden
from tandem.muses.colours import dialogue_colours
from tandem.threads.models import Thread
from tandem.writing.services import refresh_rendered

# Posts are read in batches so a 5,000-post thread never sits in memory as model objects.
BATCH = 500


def absolute_url(path: str) -> str:
    if urlsplit(path).scheme:
        # Already whole: a picture's signed address in an object-storage bucket.
        return path
    return settings.TANDEM_SITE_URL.rstrip("/") + path


def thread_document(
    thread: Thread,
    *,
    exported_at: datetime | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ThreadDocument:
    """Everything a reader of the thread sees, as plain data. Removed posts are left out."""
    muses: dict[int, MuseInfo] = {}
    writers: dict[int, WriterInfo] = {}

    def writer_info(user: User) -> WriterInfo:
        if user.pk not in writers:
            writers[user.pk] = WriterInfo(username=user.username, display_name=user.shown_name)
        return writers[user.pk]

    def muse_info(muse, writer: User) -> MuseInfo:
        if muse.pk not in muses:
            light, dark = dialogue_colours(muse.accent_colour)
            muses[muse.pk] = MuseInfo(
                key=f"m{len(muses) + 1}",
                name=muse.name,
                writer=writer_info(writer),
                pronouns=muse.pronouns,
                fandom=muse.fandom,
                accent_colour=muse.accent_colour,
                dialogue_light=light,
                dialogue_dark=dark,
            )
        return muses[muse.pk]

    for participant in thread.participants.select_related("muse", "writer").order_by(
        "joined_at", "pk"
    ):
        muse_info(participant.muse, participant.writer)

    # Posts removed by their writer or hidden by moderators are left out.
    visible = thread.posts.filter(deleted_at__isnull=True).exclude(post_is_hidden())
    total = visible.count()
    posts: list[PostInfo] = []
    last_number = 0
    while True:
        batch = list(
            visible.filter(number__gt=last_number)
            .select_related("muse", "author")
            .order_by("number")[:BATCH]
        )
        if not batch:
            break
        refresh_rendered(batch)
        for post in batch:
            posts.append(
                PostInfo(
                    number=post.number,
                    muse=muse_info(post.muse, post.author),
                    body=post.body,
                    html=post.body_html,
                    word_count=post.word_count,
                    created_at=post.created_at,
                    edited_at=post.edited_at,
                )
            )
        last_number = batch[-1].number
        if progress:
            progress(len(posts), total)

    return ThreadDocument(
        public_id=thread.public_id,
        title=thread.title,
        url=absolute_url(thread.get_absolute_url()),
        summary=thread.summary,
        rating=thread.get_rating_display(),
        warnings=thread.warning_labels,
        tags=[tag.name for tag in thread.tags.all()],
        status=thread.get_status_display(),
        writers=list(writers.values()),
        muses=list(muses.values()),
        posts=posts,
        created_at=posts[0].created_at if posts else thread.created_at,
        exported_at=exported_at or timezone.now(),
        last_post_at=posts[-1].created_at if posts else None,
        word_count=sum(p.word_count for p in posts),
    )


def export_jobs_of(user: User) -> QuerySet[ExportJob]:
    return ExportJob.objects.filter(owner=user).select_related("thread")
