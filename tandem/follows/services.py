"""Writes for following and bookmarks, and telling followers about new posts.

Following and bookmarking check sight in ``selectors`` and refuse with a sentence
(PermissionDenied); unfollowing and removing a bookmark always work. Caps keep one
account's rows bounded.

New posts reach followers outside the post's transaction: the thread event handler
(``handle_event``, called after commit) enqueues ``tasks.notify_followers``, which notifies
one batch of followers and enqueues the next, so a thread with thousands of followers
never holds a request or a worker for long.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q

from tandem.accounts.models import User
from tandem.follows import selectors
from tandem.follows.models import Bookmark, Follow
from tandem.muses.models import Muse
from tandem.threads.events import ThreadEvent
from tandem.threads.models import Post, Thread, Visibility

MAX_FOLLOWS = 1000
MAX_BOOKMARKS = 5000
NOTE_MAX_CHARS = 2000
NOTIFY_BATCH = 200


# ---------------------------------------------------------------------------- following


def _follow(follower: User, **target) -> Follow:
    existing = Follow.objects.filter(follower=follower, **target).first()
    if existing is not None:
        return existing
    if Follow.objects.filter(follower=follower).count() >= MAX_FOLLOWS:
        raise ValidationError(
            f"You follow {MAX_FOLLOWS:,} things already; unfollow some to follow more."
        )
    try:
        with transaction.atomic():
            return Follow.objects.create(follower=follower, **target)
    except IntegrityError:  # a double click raced this one in
        return Follow.objects.get(follower=follower, **target)


def _refuse(reason: str | None) -> None:
    if reason is not None:
        raise PermissionDenied(reason)


def thread_follow(*, follower: User, thread: Thread) -> Follow:
    _refuse(selectors.thread_follow_refusal(follower, thread))
    return _follow(follower, thread=thread)


def muse_follow(*, follower: User, muse: Muse) -> Follow:
    _refuse(selectors.muse_follow_refusal(follower, muse))
    return _follow(follower, muse=muse)


def writer_follow(*, follower: User, writer: User) -> Follow:
    _refuse(selectors.writer_follow_refusal(follower, writer))
    return _follow(follower, writer=writer)


def unfollow(*, follower: User, thread=None, muse=None, writer=None) -> bool:
    """Stop following one target; True if there was a follow."""
    deleted, _ = Follow.objects.filter(
        follower=follower, thread=thread, muse=muse, writer=writer
    ).delete()
    return bool(deleted)


# ---------------------------------------------------------------------------- bookmarks


def _clean_note(note: str) -> str:
    note = note.replace("\r\n", "\n").strip()
    if len(note) > NOTE_MAX_CHARS:
        raise ValidationError(
            f"This note is {len(note):,} characters; a note holds up to {NOTE_MAX_CHARS:,}."
        )
    return note


def bookmark_save(
    *, reader: User, thread: Thread, number: int, note: str | None = None
) -> Bookmark:
    """Bookmark a post the reader can read, or change its note (None keeps the note)."""
    post = selectors.bookmarkable_post(reader, thread, number)
    if post is None:
        raise PermissionDenied("That post cannot be bookmarked.")
    cleaned = _clean_note(note) if note is not None else None
    bookmark = Bookmark.objects.filter(reader=reader, post=post).first()
    if bookmark is None:
        if Bookmark.objects.filter(reader=reader).count() >= MAX_BOOKMARKS:
            raise ValidationError(f"You have {MAX_BOOKMARKS:,} bookmarks; remove some to add more.")
        try:
            with transaction.atomic():
                return Bookmark.objects.create(reader=reader, post=post, note=cleaned or "")
        except IntegrityError:
            bookmark = Bookmark.objects.get(reader=reader, post=post)
    if cleaned is not None and cleaned != bookmark.note:
        bookmark.note = cleaned
        bookmark.save(update_fields=["note", "updated_at"])
    return bookmark


def bookmark_remove(*, reader: User, thread: Thread, number: int) -> bool:
    deleted, _ = Bookmark.objects.filter(
        reader=reader, post__thread=thread, post__number=number
    ).delete()
    return bool(deleted)


# ---------------------------------------------------------------------------- new posts


def handle_event(event: ThreadEvent) -> None:
    """Called after commit for every thread event (tandem.threads.events.HANDLERS)."""
    if event.kind != "post_created" or event.post_id is None:
        return
    post = (
        Post.objects.filter(pk=event.post_id, thread__visibility=Visibility.PUBLIC)
        .values("thread_id", "muse_id", "author_id")
        .first()
    )
    if post is None:
        return
    anyone = Follow.objects.filter(
        Q(thread_id=post["thread_id"]) | Q(muse_id=post["muse_id"]) | Q(writer_id=post["author_id"])
    ).exists()
    if anyone:
        from tandem.follows import tasks

        tasks.notify_followers.enqueue(event.post_id, 0)


def followers_notify(post_id: int, *, after: int = 0, batch: int = NOTIFY_BATCH) -> int | None:
    """Notify one batch of the post's followers; the last follower id when more may follow
    (the caller enqueues the next batch), else None. Visibility and blocks are read now,
    not when the post was made."""
    from tandem.notifications.models import Kind
    from tandem.notifications.services import notify

    post = (
        Post.objects.filter(pk=post_id, deleted_at__isnull=True)
        .select_related("thread", "muse", "author")
        .first()
    )
    if post is None:
        return None
    ids = selectors.follower_ids_for(post, after=after, limit=batch)
    thread = post.thread
    text = f"New post by {post.muse.name} in “{thread.title}”."
    for follower in User.objects.filter(pk__in=ids).order_by("pk"):
        notify(
            recipient=follower,
            kind=Kind.FOLLOWED_POST,
            thread=thread,
            actor=post.author,
            text=text,
            url=post.get_absolute_url(),
        )
    return ids[-1] if len(ids) == batch else None
