"""Writes for the composer: drafts, and keeping posts' rendered HTML current."""

from __future__ import annotations

import time
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

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


class DraftConflict(Exception):
    """The server holds a newer draft than the one being saved; ``held`` is its revision."""

    def __init__(self, held: int):
        super().__init__(
            "A newer version of this draft is already saved (from another tab or device); "
            "this older text was not saved over it."
        )
        self.held = held


# Revisions are the client's millisecond stamps; anything past this is not one.
MAX_REVISION = 2**62


def draft_save(
    *,
    writer: User,
    thread,
    body: str,
    muse: Muse | None = None,
    icon: MuseIcon | None = None,
    revision: int | None = None,
) -> Draft | None:
    """Keep what a writer has typed so far. Saving an empty body keeps an empty draft.

    ``revision`` is the composer's stamp for this text, increasing with every edit. A save
    older than the draft held is refused with ``DraftConflict`` (saves can arrive out of
    order: a slow autosave after the page-hide beacon that followed it), so a draft never
    goes back to an earlier text. The same revision again is accepted (a resend). A save
    without a revision (an older page) counts as newer than what is held.

    Returns None, keeping no draft, when the text is the writer's latest post in the thread:
    an autosave sent as the page posted (on blur or page hide) can arrive after the post,
    and must not bring the posted text back as a draft.
    """
    if not thread.participants.filter(writer=writer, left_at__isnull=True).exists():
        raise PermissionDenied("Only writers in this thread keep drafts here.")
    if revision is not None and not 0 <= revision <= MAX_REVISION:
        raise ValidationError("That draft revision is not one the composer sends.")
    limit = settings.TANDEM_POST_MAX_CHARS * DRAFT_MAX_CHARS_FACTOR
    if len(body) > limit:
        raise ValidationError(f"This draft is {len(body):,} characters; drafts stop at {limit:,}.")
    if muse is not None and muse.owner_id != writer.pk:
        muse = None
    if icon is not None and (muse is None or icon.muse_id != muse.pk):
        icon = None
    for _ in range(2):
        try:
            return _draft_write(writer, thread, body, muse, icon, revision)
        except IntegrityError:
            continue  # another save created the draft meanwhile: compare with that one
    return _draft_write(writer, thread, body, muse, icon, revision)


@transaction.atomic
def _draft_write(writer, thread, body, muse, icon, revision) -> Draft | None:
    held = Draft.objects.select_for_update().filter(writer=writer, thread=thread).first()
    if held is not None and revision is not None and revision < held.revision:
        raise DraftConflict(held.revision)
    latest = (
        thread.posts.filter(author=writer)
        .order_by("-number")
        .values_list("body", flat=True)
        .first()
    )
    if latest is not None and latest.strip() == body.replace("\r\n", "\n").strip():
        if held is not None:
            held.delete()
        return None
    if revision is None:
        revision = max(int(time.time() * 1000), held.revision + 1 if held else 0)
    fields = {"body": body, "muse": muse, "icon": icon, "revision": revision}
    if held is None:
        with transaction.atomic():  # a savepoint: a twin create fails alone
            return Draft.objects.create(writer=writer, thread=thread, **fields)
    for name, value in fields.items():
        setattr(held, name, value)
    held.save(update_fields=[*fields, "updated_at"])
    return held


def draft_discard(*, writer: User, thread) -> None:
    Draft.objects.filter(writer=writer, thread=thread).delete()
