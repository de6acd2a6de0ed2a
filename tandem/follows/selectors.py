"""Reads for following and bookmarks: what a reader may follow, sees on their pages and
finds in their feed. Every rule about sight is here, once.

- Threads are followed only while PUBLIC. An unlisted thread is for those holding its
  link: a notification can travel on to a webhook (a Discord channel) and a feed into a
  feed reader, both copies of the link the thread's writers did not hand out. A thread
  that stops being public keeps its followers, who hear nothing until it is public again.
- A follow or bookmark across a block (either way, with the writer followed, the muse's
  writer, the thread's owner or the post's writer) is hidden and silent, never deleted
  here: unblocking brings it back as it was.
- A bookmark is shown while its reader can still read the post (``can_read``, as a
  query) and the post is not removed.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from tandem.accounts.models import User
from tandem.blocks.selectors import hidden_writer_ids, is_blocked_between
from tandem.feeds.selectors import public_posts
from tandem.follows.models import Bookmark, Follow
from tandem.moderation.selectors import is_hidden_post, is_hidden_thread
from tandem.muses.models import Muse
from tandem.threads.models import Participant, Post, Thread, Visibility
from tandem.threads.permissions import can_read, is_writer

FEED_LENGTH = 50
FOLLOWS_PER_PAGE = 30
BOOKMARKS_PER_PAGE = 20


# ---------------------------------------------------------------------------- may follow


def thread_follow_refusal(user: User, thread: Thread) -> str | None:
    """Why ``user`` may not follow ``thread``, or None if they may."""
    if thread.visibility != Visibility.PUBLIC:
        return "Only public threads can be followed."
    if is_writer(thread, user):
        return "You write in this thread: its turns already reach you."
    if is_blocked_between(user, thread.owner_id):
        return "You cannot follow this thread."
    return None


def muse_follow_refusal(user: User, muse: Muse) -> str | None:
    if muse.is_placeholder:
        return "This muse cannot be followed."
    if muse.owner_id == user.pk:
        return "This muse is yours."
    if is_blocked_between(user, muse.owner_id):
        return "You cannot follow this muse."
    return None


def writer_follow_refusal(user: User, writer: User) -> str | None:
    if writer.pk == user.pk:
        return "You cannot follow yourself."
    if not writer.is_active or is_blocked_between(user, writer):
        return "You cannot follow this writer."
    return None


def follow_of(user: User, *, thread=None, muse=None, writer=None) -> Follow | None:
    """The user's follow of one target, for the follow buttons (None: not following)."""
    if not user.is_authenticated:
        return None
    return Follow.objects.filter(follower=user, thread=thread, muse=muse, writer=writer).first()


# ---------------------------------------------------------------------------- the pages


def shown_follows(user: User) -> QuerySet[Follow]:
    """The follows the Following page lists: those whose target is still in sight."""
    hidden = hidden_writer_ids(user)
    in_sight = (
        Q(
            thread__isnull=False,
            thread__visibility=Visibility.PUBLIC,
        )
        & ~Q(thread__owner_id__in=hidden)
        | Q(muse__isnull=False, muse__is_placeholder=False) & ~Q(muse__owner_id__in=hidden)
        | Q(writer__isnull=False, writer__is_active=True) & ~Q(writer_id__in=hidden)
    )
    return (
        Follow.objects.filter(follower=user)
        .filter(in_sight)
        .select_related("thread", "muse", "muse__owner", "writer")
        .order_by("-created_at", "-pk")
    )


def readable_threads_q(user: User, prefix: str = "") -> Q:
    """``can_read`` as a query on threads (``prefix``: the path to the thread)."""
    mine = Participant.objects.filter(writer=user, left_at__isnull=True).values("thread_id")
    return (
        ~Q(**{f"{prefix}visibility": Visibility.PRIVATE})
        | Q(**{f"{prefix}owner": user})
        | Q(**{f"{prefix}pk__in": mine})
    )


def shown_bookmarks(user: User) -> QuerySet[Bookmark]:
    """The reader's bookmarks on posts they can still read; the rest wait, hidden."""
    hidden = hidden_writer_ids(user)
    return (
        Bookmark.objects.filter(reader=user, post__deleted_at__isnull=True)
        .filter(readable_threads_q(user, "post__thread__"))
        .exclude(post__author_id__in=hidden)
        .exclude(post__thread__owner_id__in=hidden)
        .select_related("post", "post__thread", "post__muse", "post__icon")
        .order_by("-created_at", "-pk")
    )


def bookmarked_numbers(user: User, thread: Thread) -> set[int]:
    """Numbers of the posts of ``thread`` the user bookmarked (one query per page)."""
    if not user.is_authenticated:
        return set()
    return set(
        Bookmark.objects.filter(reader=user, post__thread=thread).values_list(
            "post__number", flat=True
        )
    )


def bookmarkable_post(user: User, thread: Thread, number: int) -> Post | None:
    """The post, if ``user`` can read it now and it is not removed."""
    if not can_read(thread, user):
        return None
    return Post.objects.filter(thread=thread, number=number, deleted_at__isnull=True).first()


# ---------------------------------------------------------------------------- the feed


def followed_posts_q(user: User) -> Q:
    """Posts from what ``user`` follows: in a followed thread, by a followed muse, or by a
    followed writer as one of their own muses (not a placeholder holding an import)."""
    follows = Follow.objects.filter(follower=user)
    return (
        Q(thread_id__in=follows.filter(thread__isnull=False).values("thread_id"))
        | Q(muse_id__in=follows.filter(muse__isnull=False).values("muse_id"))
        | Q(
            author_id__in=follows.filter(writer__isnull=False).values("writer_id"),
            muse__is_placeholder=False,
        )
    )


def feed_posts(user: User, *, limit: int | None = None) -> list[Post]:
    """The latest posts from what ``user`` follows that they may still see: public
    threads, posts not removed, nobody across a block, and not their own posts."""
    hidden = hidden_writer_ids(user)
    return list(
        public_posts()
        .filter(followed_posts_q(user))
        .exclude(author=user)
        .exclude(author_id__in=hidden)
        .exclude(thread__owner_id__in=hidden)[: limit or FEED_LENGTH]
    )


# ---------------------------------------------------------------------------- notifying


def follower_ids_for(post: Post, *, after: int, limit: int) -> list[int]:
    """Followers who hear about ``post``: one batch of ids above ``after``, in order.

    Not its writer, not the thread's writers (their turns tell them), nobody across a
    block with the post's writer or the thread's owner; nothing unless the thread is public.
    """
    thread = post.thread
    if thread.visibility != Visibility.PUBLIC or is_hidden_thread(thread) or is_hidden_post(post):
        return []  # moderators hid it: followers hear nothing of it
    target = Q(thread_id=thread.pk) | Q(muse_id=post.muse_id)
    if not post.muse.is_placeholder:  # a placeholder's posts are not its holder's own
        target |= Q(writer_id=post.author_id)
    writers = Participant.objects.filter(thread=thread, left_at__isnull=True).values("writer_id")
    return list(
        Follow.objects.filter(target, follower_id__gt=after, follower__is_active=True)
        .exclude(follower_id=post.author_id)
        .exclude(follower_id=thread.owner_id)
        .exclude(follower_id__in=writers)
        .exclude(follower_id__in=hidden_writer_ids(post.author_id))
        .exclude(follower_id__in=hidden_writer_ids(thread.owner_id))
        .order_by("follower_id")
        .values_list("follower_id", flat=True)
        .distinct()[:limit]
    )


def still_following(recipient: User, thread: Thread, author_id: int | None) -> bool:
    """Whether a follower's notification about a post in ``thread`` by ``author_id`` may
    still go out (emails, webhooks and digests leave later): the thread is still public,
    nobody is across a block, they are not writing in it, and they still follow it."""
    if thread.visibility != Visibility.PUBLIC or is_writer(thread, recipient):
        return False
    if is_hidden_thread(thread):
        return False
    if is_blocked_between(recipient, thread.owner_id):
        return False
    if author_id is not None and is_blocked_between(recipient, author_id):
        return False
    follows = Follow.objects.filter(follower=recipient)
    target = Q(thread=thread)
    if author_id is not None:
        target |= Q(writer_id=author_id) | Q(muse__owner_id=author_id)
    return follows.filter(target).exists()
