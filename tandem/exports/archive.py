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

from django.db.models import Prefetch
from django.utils import timezone

from tandem import __version__
from tandem.accounts.models import User
from tandem.threads.models import Participant, PostRevision, Thread

__all__ = [
    "GENERATOR",
    "SCHEMA_VERSION",
    "THREAD_FORMAT",
    "dump_json",
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


def thread_muse_refs(thread: Thread) -> dict[int, str]:
    """Muse primary key → "m1", "m2"… in the order the muses first joined the thread.

    A muse that posted without ever being a participant (only possible in damaged data)
    comes after the participants, in the order of its first post.
    """
    refs: dict[int, str] = {}
    for participant in _participants(thread):
        refs.setdefault(participant.muse_id, f"m{len(refs) + 1}")
    for muse_id in thread.posts.order_by("number").values_list("muse_id", flat=True):
        refs.setdefault(muse_id, f"m{len(refs) + 1}")
    return refs


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


def _tag_names(thread: Thread) -> list[str]:
    return sorted((tag.name for tag in thread.tags.all()), key=lambda name: (name.lower(), name))


def thread_to_json(
    thread: Thread, *, include_ooc: bool = True, exported_at: datetime | None = None
) -> dict:
    """The thread as a ``tandem-thread`` document (a plain dict; see ``dump_json``)."""
    writers = _Writers()
    writers.ref(thread.owner)
    participants = _participants(thread)
    posts = list(
        thread.posts.select_related("muse__owner", "author", "icon", "participant")
        .prefetch_related(Prefetch("revisions", queryset=PostRevision.objects.order_by("number")))
        .order_by("number")
    )

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
        participant_rows.append(
            {
                "ref": ref,
                "muse": muse_ref(participant.muse),
                "writer": writers.ref(participant.writer),
                "position": participant.position,
                "joined_at": format_datetime(participant.joined_at),
                "left_at": format_datetime(participant.left_at),
            }
        )

    post_rows = []
    for post in posts:
        post_rows.append(
            {
                "number": post.number,
                "participant": participant_refs[post.participant_id],
                "muse": muse_ref(post.muse),
                "author": writers.ref(post.author),
                "body": post.body,
                "word_count": post.word_count,
                "created_at": format_datetime(post.created_at),
                "edited_at": format_datetime(post.edited_at),
                "deleted_at": format_datetime(post.deleted_at),
                # Icons are pictures owned by the muse; the document names the one chosen
                # by its keywords, which is what a writer recognises it by.
                "icon": post.icon.keywords if post.icon else None,
                "revisions": [
                    {
                        "number": revision.number,
                        "body": revision.body,
                        "word_count": revision.word_count,
                        "created_at": format_datetime(revision.created_at),
                    }
                    for revision in post.revisions.all()
                ],
            }
        )

    event_rows = []
    for event in thread.turn_events.select_related("actor").order_by("pk"):
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

    document = {
        "format": THREAD_FORMAT,
        "schema_version": SCHEMA_VERSION,
        "exported_at": format_datetime(exported_at or timezone.now()),
        "generator": GENERATOR,
        "thread": {
            "public_id": thread.public_id,
            "title": thread.title,
            "summary": thread.summary,
            "rating": thread.rating,
            "warnings": list(thread.warnings),
            "tags": _tag_names(thread),
            "visibility": thread.visibility,
            "status": thread.status,
            "turn_mode": thread.turn_mode,
            "created_at": format_datetime(thread.created_at),
            "owner": writers.ref(thread.owner),
        },
        "participants": participant_rows,
        "posts": post_rows,
        "turn_events": event_rows,
    }
    if include_ooc:
        document["ooc"] = [
            {
                "author": writers.ref(message.author),
                "body": message.body,
                "created_at": format_datetime(message.created_at),
            }
            for message in thread.ooc_messages.select_related("author").order_by("created_at", "pk")
        ]
    document["muses"] = list(muses.values())
    document["writers"] = writers.as_json()
    return document
