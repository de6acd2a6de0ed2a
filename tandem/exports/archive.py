"""Thread JSON: one thread as a complete, instance-independent document.

This is the full-fidelity format (docs/export-schema.md describes every field): everything a
restore needs to rebuild the thread on another Tandem, and nothing tied to this instance.
Rows refer to each other by keys that only mean something inside the document -- muses are
"m1", "m2"… and participants "p1", "p2"… in the order they first joined, writers are named
by username -- never by database id. So exporting a thread, restoring it elsewhere and
exporting it again gives the same bytes apart from ``exported_at`` (and the usernames or
public id, if the restore had to change them).

Derived data stays out: ``body_html`` is rendered again on restore, and the cached turn
state on the thread is replayed from the turn events.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from tandem import __version__
from tandem.accounts.models import User
from tandem.exports.scope import ExportScope, operator_scope
from tandem.moderation.selectors import flag_hidden_posts
from tandem.threads import turns
from tandem.threads.models import (
    Participant,
    Post,
    PostRevision,
    Rating,
    TagCategory,
    Thread,
    TurnEvent,
    TurnEventKind,
    Visibility,
)

__all__ = [
    "GENERATOR",
    "SCHEMA_VERSION",
    "THREAD_FORMAT",
    "dump_json",
    "exported_icon_ids",
    "format_datetime",
    "thread_muse_refs",
    "thread_to_json",
]

#: Bumped whenever a change would make an older reader lose or misread data.
SCHEMA_VERSION = 1
THREAD_FORMAT = "tandem-thread"
GENERATOR = f"Tandem {__version__}"


# What every exported muse carries, in thread JSON and in backups alike.
MUSE_FIELDS = ("name", "pronouns", "fandom", "nicknames", "bio", "accent_colour", "card_data")


def muse_fields(muse) -> dict:
    return {field: getattr(muse, field) for field in MUSE_FIELDS}


def format_datetime(value: datetime | None) -> str | None:
    """ISO 8601 in UTC with a "Z" and always six fractional digits, so the text is stable."""
    if value is None:
        return None
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def dump_json(data: dict) -> bytes:
    """The one serialisation every Tandem file uses: sorted keys, two-space indent, UTF-8."""
    return (json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode()


def _participants(thread: Thread) -> list[Participant]:
    # Join order: a re-joining muse keeps its row, so this is the order of *first* joining.
    return list(
        thread.participants.select_related("muse__owner", "writer").order_by("joined_at", "pk")
    )


def _posts(thread: Thread, scope: ExportScope) -> QuerySet[Post]:
    """The posts a document in ``scope`` carries (removed ones included, as placeholders)."""
    posts = thread.posts.all()
    if scope.own_only:
        return posts.filter(author_id=scope.reader_id)
    if scope.until is not None:
        return posts.filter(Q(created_at__lte=scope.until) | Q(author_id=scope.reader_id))
    return posts


def _kept_participants(
    thread: Thread, scope: ExportScope, posts: QuerySet[Post]
) -> list[Participant]:
    participants = _participants(thread)
    if not scope.own_only and scope.until is None:
        return participants
    keep = set(posts.values_list("participant_id", flat=True))
    for participant in participants:
        if scope.own_only:
            if participant.writer_id == scope.reader_id:
                keep.add(participant.pk)
        elif participant.joined_at <= scope.until:
            keep.add(participant.pk)
    return [participant for participant in participants if participant.pk in keep]


def thread_muse_refs(thread: Thread, scope: ExportScope | None = None) -> dict[int, str]:
    """Muse primary key → "m1", "m2"… in the order the muses first joined the thread.

    A muse that posted without ever being a participant (only possible in damaged data)
    comes after the participants, in the order of its first post. ``scope`` limits it to
    the muses its document mentions (see ``thread_to_json``).
    """
    scope = scope or operator_scope()
    posts = _posts(thread, scope)
    refs: dict[int, str] = {}
    for participant in _kept_participants(thread, scope, posts):
        refs.setdefault(participant.muse_id, f"m{len(refs) + 1}")
    for muse_id in posts.order_by("number").values_list("muse_id", flat=True):
        refs.setdefault(muse_id, f"m{len(refs) + 1}")
    return refs


def exported_icon_ids(thread: Thread, scope: ExportScope) -> set[int]:
    """The icons the posts of a document in ``scope`` name (a placeholder names none)."""
    rows = _posts(thread, scope).filter(icon__isnull=False)
    return {
        icon_id
        for icon_id, author_id, deleted_at in rows.values_list("icon_id", "author_id", "deleted_at")
        if deleted_at is None or scope.shows_removed(author_id)
    }


class _Writers:
    """The writers a document mentions, in order of first mention (mapping-independent)."""

    def __init__(self) -> None:
        self._seen: dict[int, User] = {}

    def ref(self, user: User | None) -> str | None:
        if user is None:
            return None
        self._seen.setdefault(user.pk, user)
        return user.username

    def as_json(self) -> list[dict]:
        return [
            {"username": user.username, "display_name": user.display_name}
            for user in self._seen.values()
        ]


def _sorted_names(names) -> list[str]:
    return sorted(names, key=lambda name: (name.lower(), name))


def _tag_names(thread: Thread) -> list[str]:
    return _sorted_names(tag.name for tag in thread.tags.all())


def _tag_categories(thread: Thread) -> dict[str, list[str]]:
    # Every tag is also in the flat "tags" list, so a reader that predates categories keeps
    # the names (as freeform tags).
    return {
        category: _sorted_names(t.name for t in thread.tags.all() if t.category == category)
        for category in TagCategory.values
    }


def thread_to_json(
    thread: Thread,
    *,
    include_ooc: bool = True,
    exported_at: datetime | None = None,
    scope: ExportScope | None = None,
) -> dict:
    """The thread as a ``tandem-thread`` document (a plain dict; see ``dump_json``).

    ``scope`` says how much of it one reader takes (``tandem.exports.scope``); without one,
    the document is the operator's: everything, OOC talk as ``include_ooc`` says, and
    removed posts as placeholders without their text.
    """
    scope = scope or operator_scope(include_ooc=include_ooc)
    writers = _Writers()
    writers.ref(thread.owner)
    selected = _posts(thread, scope)
    participants = _kept_participants(thread, scope, selected)
    kept = {participant.pk for participant in participants}
    posts = list(
        selected.select_related("muse__owner", "author", "icon", "participant")
        .prefetch_related(Prefetch("revisions", queryset=PostRevision.objects.order_by("number")))
        .order_by("number")
    )
    flag_hidden_posts(posts)  # moderators' removals: see _post_text
    events = _events(thread, scope, kept)
    # A cut-down document's memberships and posting order are what its own turn log says.
    membership = _membership(participants, events) if kept_less(scope) else None

    muses: dict[int, dict] = {}

    def muse_ref(muse) -> str:
        if muse.pk not in muses:
            muses[muse.pk] = {
                "ref": f"m{len(muses) + 1}",
                **muse_fields(muse),
                "writer": writers.ref(muse.owner),
            }
        return muses[muse.pk]["ref"]

    participant_refs: dict[int, str] = {}
    participant_rows = []
    for participant in participants:
        ref = f"p{len(participant_refs) + 1}"
        participant_refs[participant.pk] = ref
        position, left = (
            membership[participant.pk]
            if membership is not None
            else (participant.position, participant.left_at)
        )
        participant_rows.append(
            {
                "ref": ref,
                "muse": muse_ref(participant.muse),
                "writer": writers.ref(participant.writer),
                "position": position,
                "joined_at": format_datetime(participant.joined_at),
                "left_at": format_datetime(left),
            }
        )

    post_rows = []
    for index, post in enumerate(posts, start=1):
        row = {
            # A private thread's own posts only: numbered afresh, so that the document's
            # numbers agree with its turn log.
            "number": index if scope.own_only else post.number,
            "participant": participant_refs[post.participant_id],
            "muse": muse_ref(post.muse),
            "author": writers.ref(post.author),
            "created_at": format_datetime(post.created_at),
            "deleted_at": format_datetime(post.deleted_at),
        }
        row.update(_post_text(post, scope))
        post_rows.append(row)

    event_rows = []
    for event in events:
        event_rows.append(
            {
                "kind": event.kind,
                "participant": participant_refs[event.participant_id]
                if event.participant_id
                else None,
                "actor": writers.ref(event.actor),
                "order": [participant_refs[pk] for pk in event.order]
                if event.order is not None
                else None,
                "created_at": format_datetime(event.created_at),
            }
        )

    head = {
        "public_id": thread.public_id,
        "title": thread.title,
        "summary": thread.summary,
        "rating": thread.rating,
        "warnings": list(thread.warnings),
        "tags": _tag_names(thread),
        "tag_categories": _tag_categories(thread),
        "visibility": thread.visibility,
        "status": thread.status,
        "turn_mode": thread.turn_mode,
        "created_at": format_datetime(thread.created_at),
        "owner": writers.ref(thread.owner),
    }
    if scope.own_only and thread.visibility == Visibility.PRIVATE:
        # Its title, summary and tags may have changed since the writer left; they keep
        # their own words, not what was written after.
        head.update(title=PRIVATE_TITLE, summary="", rating=Rating.NOT_RATED, warnings=[], tags=[])
        head["tag_categories"] = {category: [] for category in TagCategory.values}
    document = {
        "format": THREAD_FORMAT,
        "schema_version": SCHEMA_VERSION,
        "exported_at": format_datetime(exported_at or timezone.now()),
        "generator": GENERATOR,
        "thread": head,
        "participants": participant_rows,
        "posts": post_rows,
        "turn_events": event_rows,
    }
    if scope.include_ooc:
        messages = thread.ooc_messages.select_related("author").order_by("created_at", "pk")
        if scope.until is not None:
            messages = messages.filter(created_at__lte=scope.until)
        document["ooc"] = [
            {
                "author": writers.ref(message.author),
                "body": message.body,
                "created_at": format_datetime(message.created_at),
            }
            for message in messages
        ]
    document["muses"] = list(muses.values())
    document["writers"] = writers.as_json()
    return document


#: The title a former participant's backup gives a private thread (see ``thread_to_json``).
PRIVATE_TITLE = "Your posts from a private thread"


def kept_less(scope: ExportScope) -> bool:
    """Whether a document in ``scope`` leaves out part of the thread's history."""
    return scope.own_only or scope.until is not None


def _events(thread: Thread, scope: ExportScope, kept: set[int]) -> list[TurnEvent]:
    events = thread.turn_events.select_related("actor").order_by("pk")
    if scope.until is not None:
        events = events.filter(created_at__lte=scope.until)
    if not kept_less(scope):
        return list(events)
    chosen = []
    for event in events:
        if event.participant_id is not None:
            if event.participant_id in kept:
                chosen.append(event)
        # A new posting order names muses left out of an own-posts document; it is kept
        # only where every muse it names is.
        elif not scope.own_only and event.order is not None and set(event.order) <= kept:
            chosen.append(event)
    return chosen


def _membership(
    participants: list[Participant], events: list[TurnEvent]
) -> dict[int, tuple[int | None, datetime | None]]:
    """Participant → (position, left_at) as the document's own turn log has them."""
    last: dict[int, TurnEvent] = {}
    for event in events:
        if event.kind in (TurnEventKind.JOIN, TurnEventKind.LEAVE, TurnEventKind.REMOVE):
            last[event.participant_id] = event
    try:
        order = turns.replay(
            turns.Event(
                kind=e.kind,
                participant_id=e.participant_id,
                at=e.created_at,
                order=tuple(e.order) if e.order is not None else None,
            )
            for e in events
        ).order
    except turns.TurnError:
        order = ()  # damaged history: positions are informational, a restore replays anyway
    result = {}
    for participant in participants:
        event = last.get(participant.pk)
        if event is not None:
            left = None if event.kind == TurnEventKind.JOIN else event.created_at
        else:
            left = participant.left_at
        position = order.index(participant.pk) if participant.pk in order else None
        result[participant.pk] = (position, left)
    return result


def _revision_rows(revisions) -> list[dict]:
    return [
        {
            "number": revision.number,
            "body": revision.body,
            "word_count": revision.word_count,
            "created_at": format_datetime(revision.created_at),
        }
        for revision in revisions
    ]


def _post_text(post: Post, scope: ExportScope) -> dict:
    """A post's text fields as ``scope`` lets its reader have them."""
    icon = post.icon.keywords if post.icon else None
    if (post.deleted_at is not None and not scope.shows_removed(post.author_id)) or (
        getattr(post, "moderated", False) and not scope.owns(post.author_id)
    ):
        # Removed means removed: the post keeps its place and number, not its words. A post
        # moderators hid keeps its words only in its own writer's download or backup.
        return {"body": "", "word_count": 0, "edited_at": None, "icon": None, "revisions": []}
    if not scope.writer:
        # Readers who are not the thread's writers get the text the page shows them, as
        # the post's only version.
        return {
            "body": post.body,
            "word_count": post.word_count,
            "edited_at": format_datetime(post.edited_at),
            "icon": icon,
            "revisions": [
                {
                    "number": 1,
                    "body": post.body,
                    "word_count": post.word_count,
                    "created_at": format_datetime(post.edited_at or post.created_at),
                }
            ],
        }
    revisions = list(post.revisions.all())
    if scope.until is not None and not scope.owns(post.author_id):
        # Another writer's post as it stood when the reader left, as its only version: a
        # former participant is no longer one of the writers who see a post's history.
        before = [revision for revision in revisions if revision.created_at <= scope.until]
        if before:
            then = before[-1]
            body, words, since = then.body, then.word_count, then.created_at
            edited = then.created_at if len(before) > 1 else None
        elif post.edited_at is None or post.edited_at <= scope.until:
            body, words, since, edited = post.body, post.word_count, post.created_at, None
        else:  # no saved versions and changed since: nothing known of how it read then
            body, words, since, edited = "", 0, post.created_at, None
        return {
            "body": body,
            "word_count": words,
            "edited_at": format_datetime(edited),
            "icon": icon,
            "revisions": [
                {
                    "number": 1,
                    "body": body,
                    "word_count": words,
                    "created_at": format_datetime(since),
                }
            ],
        }
    return {
        "body": post.body,
        "word_count": post.word_count,
        "edited_at": format_datetime(post.edited_at),
        # Icons are pictures owned by the muse; the document names the one chosen by its
        # keywords, which is what a writer recognises it by.
        "icon": icon,
        "revisions": _revision_rows(revisions),
    }
