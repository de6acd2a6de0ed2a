"""Writes for the composer: drafts, and keeping posts' rendered HTML current."""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError

from tandem.accounts.models import User
from tandem.muses.models import Muse, MuseIcon
from tandem.writing import markup
from tandem.writing.models import Draft
from tandem.writing.wordcount import count_words

# A draft may run past the post limit (the writer is still cutting), but not without bound.
DRAFT_MAX_CHARS_FACTOR = 2


def render_body(body: str) -> str:
    return markup.render_post(body)


def refresh_rendered(posts: Iterable) -> None:
    """Re-render the posts whose cached HTML is missing or from an older renderer."""
    from tandem.threads.models import Post

    stale = [p for p in posts if p.renderer_version != markup.RENDERER_VERSION or not p.body_html]
    for post in stale:
        post.body_html = render_body(post.body)
        post.word_count = count_words(post.body_html)
        post.renderer_version = markup.RENDERER_VERSION
    if stale:
        Post.objects.bulk_update(stale, ["body_html", "word_count", "renderer_version"])


def draft_save(
    *,
    writer: User,
    thread,
    body: str,
    muse: Muse | None = None,
    icon: MuseIcon | None = None,
) -> Draft | None:
    """Keep what a writer has typed so far. Saving an empty body keeps an empty draft.

    Returns None, keeping no draft, when the text is the writer's latest post in the thread:
    an autosave sent as the page posted (on blur or page hide) can arrive after the post,
    and must not bring the posted text back as a draft.
    """
    if not thread.participants.filter(writer=writer, left_at__isnull=True).exists():
        raise PermissionDenied("Only writers in this thread keep drafts here.")
    latest = (
        thread.posts.filter(author=writer)
        .order_by("-number")
        .values_list("body", flat=True)
        .first()
    )
    if latest is not None and latest.strip() == body.replace("\r\n", "\n").strip():
        Draft.objects.filter(writer=writer, thread=thread).delete()
        return None
    limit = settings.TANDEM_POST_MAX_CHARS * DRAFT_MAX_CHARS_FACTOR
    if len(body) > limit:
        raise ValidationError(f"This draft is {len(body):,} characters; drafts stop at {limit:,}.")
    if muse is not None and muse.owner_id != writer.pk:
        muse = None
    if icon is not None and (muse is None or icon.muse_id != muse.pk):
        icon = None
    draft, _ = Draft.objects.update_or_create(
        writer=writer, thread=thread, defaults={"body": body, "muse": muse, "icon": icon}
    )
    return draft


def draft_discard(*, writer: User, thread) -> None:
    Draft.objects.filter(writer=writer, thread=thread).delete()
