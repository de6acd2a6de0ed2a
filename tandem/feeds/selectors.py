"""Reads for feeds and calendars: whose private address a token is, and what each feed holds.

- Public feeds show what an anonymous reader may read and nothing else: a public thread's
  posts, or the posts of public threads carrying a tag; never a removed post, never what
  moderators hid, never an unlisted thread (its link was not handed out for copying). They
  are the same for everyone who asks (a feed reader has no session), so a viewer's blocks
  do not filter them, as they do not lock the thread's page either.
- A private feed or calendar belongs to the writer whose signed token is in its address; a
  bad, reset or foreign token finds nobody. The "your turn" feed and the calendar carry
  thread titles, muse names and dates, never post text: they travel to feed readers and
  calendar services outside Tandem.
- Every feed stops at ``FEED_LENGTH`` entries, a calendar at ``CALENDAR_LENGTH`` events of
  each kind, however much there is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.core import signing
from django.db.models import QuerySet
from django.db.models.functions import Coalesce
from django.http import Http404

from tandem.accounts.models import User
from tandem.feeds.models import FeedKey, FeedKind
from tandem.moderation.selectors import is_hidden_thread, post_is_hidden, thread_is_hidden
from tandem.threads.directory import tag_threads
from tandem.threads.models import (
    Participant,
    Post,
    Status,
    Tag,
    Thread,
    ThreadWriterState,
    Visibility,
)
from tandem.threads.selectors import QueueEntry, dormant_at, writer_queue
from tandem.tracking.models import TrackedThread, Turn

FEED_LENGTH = 50
CALENDAR_LENGTH = 100

# One salt per kind, so a token for one address is no token for another. The follows feed
# keeps the salt it had before this app existed: addresses in readers' feed readers still work.
SALTS = {
    FeedKind.FOLLOWS: "tandem.follows.feed",
    FeedKind.TURNS: "tandem.feeds.turns",
    FeedKind.CALENDAR: "tandem.feeds.calendar",
}


# ---------------------------------------------------------------------------- addresses


def _signer(kind: FeedKind) -> signing.Signer:
    return signing.Signer(salt=SALTS[kind], sep=".")


def feed_token(owner: User, kind: FeedKind) -> str:
    """The secret part of one of the writer's private addresses (made on first use)."""
    key, _ = FeedKey.objects.get_or_create(owner=owner, kind=kind)
    return _signer(kind).sign(key.nonce)


def owner_for_token(token: str, kind: FeedKind) -> User | None:
    """The active writer whose address of ``kind`` this is; None for anything else. The
    signature is checked in constant time before the database is asked."""
    try:
        nonce = _signer(kind).unsign(token)
    except signing.BadSignature:
        return None
    key = (
        FeedKey.objects.filter(nonce=nonce, kind=kind, owner__is_active=True)
        .select_related("owner")
        .first()
    )
    return key.owner if key else None


def get_feed_owner(token: str, kind: FeedKind) -> User:
    """The writer whose address this is, or the 404 of an address that does not exist."""
    owner = owner_for_token(token, kind)
    if owner is None:
        raise Http404("No such feed.")
    return owner


# ---------------------------------------------------------------------------- public feeds


def public_posts() -> QuerySet[Post]:
    """Posts anyone may read in a list: in public threads, not removed, not hidden by
    moderators (neither the post nor its thread). Newest first."""
    return (
        Post.objects.filter(thread__visibility=Visibility.PUBLIC, deleted_at__isnull=True)
        .exclude(post_is_hidden())
        .exclude(thread_is_hidden("thread_id"))
        .select_related("thread", "muse", "author")
        .order_by("-created_at", "-pk")
    )


def has_public_feed(thread: Thread) -> bool:
    """Whether the thread has a feed: while it is public and not hidden by moderators."""
    return thread.visibility == Visibility.PUBLIC and not is_hidden_thread(thread)


def feed_thread(public_id: str) -> Thread | None:
    """The thread, if it has a public feed; None otherwise, whether it exists or not (its
    page is a 404 to strangers too)."""
    thread = Thread.objects.filter(public_id=public_id).first()
    return thread if thread is not None and has_public_feed(thread) else None


def thread_feed_posts(thread: Thread) -> list[Post]:
    """The thread's latest posts, in its own order (the last first)."""
    return list(public_posts().filter(thread=thread).order_by("-number")[:FEED_LENGTH])


def tag_feed_posts(tag: Tag) -> list[Post]:
    """The latest posts in the public threads carrying ``tag`` (a canonical tag)."""
    return list(public_posts().filter(thread__in=tag_threads(tag).values("pk"))[:FEED_LENGTH])


# ---------------------------------------------------------------------------- your turn


def turn_entries(writer: User) -> list[QueueEntry]:
    """The threads waiting on the writer, as their queue shows them (muted ones left out),
    longest wait first."""
    queue = writer_queue(writer)
    entries = sorted(
        queue.your_turn + queue.writing,
        key=lambda entry: entry.waiting_since or entry.thread.created_at,
    )
    return entries[:FEED_LENGTH]


# ---------------------------------------------------------------------------- the calendar


@dataclass(frozen=True)
class CalendarDate:
    """One date in a writer's calendar: a reminder falling due, or a thread going dormant."""

    kind: str  # "reminder" | "dormant"
    title: str
    # Stable while the thread lives: a Tandem thread's public id, "elsewhere-<pk>" for a
    # thread kept on another site.
    key: str
    # Where to reply: a path on this site, or the other site's own link.
    link: str
    at: datetime
    # When what decided the date last changed (the turn moving, the last post).
    since: datetime
    site: str = ""  # the other site, for a thread kept elsewhere


def _reply_path(thread: Thread) -> str:
    return thread.get_absolute_url() + "?page=last#reply"


def _calendar_threads(writer: User) -> QuerySet[Thread]:
    """Active threads the writer is writing in and has not muted."""
    mine = Participant.objects.filter(writer=writer, left_at__isnull=True).values("thread_id")
    muted = ThreadWriterState.objects.filter(writer=writer, is_muted=True).values("thread_id")
    return Thread.objects.filter(pk__in=mine, status=Status.ACTIVE).exclude(pk__in=muted)


def reminder_dates(writer: User) -> list[CalendarDate]:
    """When each reminder of the writer falls due, soonest first: ``remind_at`` of their
    Tandem threads (``ThreadWriterState``, kept by ``notifications.reminders`` while a turn
    is theirs) and of the threads they keep elsewhere (``TrackedThread``)."""
    states = (
        ThreadWriterState.objects.filter(
            writer=writer, remind_at__isnull=False, thread__in=_calendar_threads(writer)
        )
        .select_related("thread")
        .order_by("remind_at", "pk")[:CALENDAR_LENGTH]
    )
    dates = [
        CalendarDate(
            "reminder",
            state.thread.title,
            state.thread.public_id,
            _reply_path(state.thread),
            state.remind_at,
            state.thread.turn_since or state.remind_at,
        )
        for state in states
    ]
    kept = TrackedThread.objects.filter(
        writer=writer, remind_at__isnull=False, archived_at__isnull=True, turn=Turn.MINE
    ).order_by("remind_at", "pk")[:CALENDAR_LENGTH]
    dates += [
        CalendarDate(
            "reminder",
            tracked.title,
            f"elsewhere-{tracked.pk}",
            tracked.url or tracked.get_absolute_url(),
            tracked.remind_at,
            tracked.turn_since,
            site=tracked.site,
        )
        for tracked in kept
    ]
    return sorted(dates, key=lambda date: date.at)[:CALENDAR_LENGTH]


def dormant_dates(writer: User) -> list[CalendarDate]:
    """When each of the writer's threads goes (or went) dormant, the most recently active
    first: the dates still ahead, then the latest ones passed."""
    last_activity = Coalesce("last_post_at", "created_at")
    threads = _calendar_threads(writer).order_by(last_activity.desc(), "-pk")[:CALENDAR_LENGTH]
    return [
        CalendarDate(
            "dormant",
            thread.title,
            thread.public_id,
            _reply_path(thread),
            dormant_at(thread),
            thread.last_post_at or thread.created_at,
        )
        for thread in threads
    ]


def calendar_dates(writer: User) -> list[CalendarDate]:
    return reminder_dates(writer) + dormant_dates(writer)
