"""Starting a thread and changing its details (title, rating, tags, visibility, status)."""

from __future__ import annotations

from collections.abc import Sequence

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q

from tandem.accounts.models import User
from tandem.muses.models import Muse
from tandem.threads.events import ThreadEvent, emit
from tandem.threads.models import (
    InvitationStatus,
    Participant,
    Rating,
    Status,
    Tag,
    Thread,
    TurnEventKind,
    TurnMode,
    Visibility,
    Warning,
)
from tandem.threads.services.turn_state import _lock, _record

# A thread's tags: enough for any archive's tagging habits, few enough that saving them is
# a handful of queries. Refused past these, never silently cut.
MAX_TAGS = 75
MAX_TAG_LENGTH = 100


def tag_names(raw: Sequence[str]) -> list[str]:
    """The distinct tags (case-insensitively, spaces tidied) in ``raw``, or a ValidationError
    on the ``tags`` field saying which limit was passed."""
    names: dict[str, str] = {}
    for name in raw:
        name = " ".join(str(name).split())
        if not name:
            continue
        if len(name) > MAX_TAG_LENGTH:
            raise ValidationError(
                {
                    "tags": f"Tags may be at most {MAX_TAG_LENGTH} characters; "
                    f"“{name[:40]}…” has {len(name):,}."
                }
            )
        names.setdefault(name.lower(), name)
        if len(names) > MAX_TAGS:
            raise ValidationError(
                {
                    "tags": f"That is more than {MAX_TAGS} tags; a thread may have at most "
                    f"{MAX_TAGS}. Keep the ones readers would search for."
                }
            )
    return list(names.values())


def _clean_tags(raw: Sequence[str]) -> list[Tag]:
    """The Tag rows for these names, creating the missing ones: one query for those that
    exist, one bulk insert, one query again (whatever the number of tags)."""
    names = tag_names(raw)
    if not names:
        return []

    def existing() -> dict[str, Tag]:
        match = Q()
        for name in names:
            match |= Q(name__iexact=name)
        found: dict[str, Tag] = {}
        for tag in Tag.objects.filter(match):
            # Prefer the row spelled exactly as asked when case-folding differs by database.
            key = tag.name.lower()
            if key not in found or tag.name in names:
                found[key] = tag
        return found

    found = existing()
    missing = [name for name in names if name.lower() not in found]
    if missing:
        # A tag created by someone else meanwhile is skipped here and found by the re-query.
        Tag.objects.bulk_create([Tag(name=name) for name in missing], ignore_conflicts=True)
        found = existing()
    return [found[name.lower()] for name in names if name.lower() in found]


def _validate_metadata(fields: dict) -> None:
    errors = {}
    title = fields.get("title", "")
    if not title.strip():
        errors["title"] = "A thread needs a title."
    if fields.get("rating", Rating.NOT_RATED) not in Rating.values:
        errors["rating"] = "Choose one of the ratings."
    unknown = [w for w in fields.get("warnings", []) if w not in Warning.values]
    if unknown:
        errors["warnings"] = "Unknown warning: " + ", ".join(unknown)
    if fields.get("visibility", Visibility.PRIVATE) not in Visibility.values:
        errors["visibility"] = "Choose who can read the thread."
    if fields.get("turn_mode", TurnMode.ORDERED) not in TurnMode.values:
        errors["turn_mode"] = "Choose a turn mode."
    if fields.get("status", Status.ACTIVE) not in Status.values:
        errors["status"] = "Choose a status."
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def thread_create(
    *,
    owner: User,
    muse: Muse,
    title: str,
    summary: str = "",
    rating: str = Rating.NOT_RATED,
    warnings: Sequence[str] = (),
    tags: Sequence[str] = (),
    visibility: str = Visibility.PRIVATE,
    turn_mode: str = TurnMode.ORDERED,
) -> Thread:
    """Start a thread with the owner's muse as its first participant."""
    tags = tag_names(tags)  # refused before anything is written
    fields = dict(
        title=title.strip(),
        summary=summary.strip(),
        rating=rating,
        warnings=list(dict.fromkeys(warnings)),
        visibility=visibility,
        turn_mode=turn_mode,
    )
    _validate_metadata(fields)
    if muse.owner_id != owner.pk:
        raise PermissionDenied("You can only start a thread with one of your own muses.")
    _check_not_placeholder(muse)
    if muse.is_archived:
        raise ValidationError({"muse": f"{muse.name} is archived; unarchive them first."})
    thread = Thread(owner=owner, **fields)
    thread.full_clean()
    thread.save()
    thread.tags.set(_clean_tags(tags))
    thread.turn_since = thread.created_at
    thread.save(update_fields=["turn_since"])
    participant = Participant.objects.create(thread=thread, muse=muse, writer=owner)
    _record(thread, TurnEventKind.JOIN, participant=participant, actor=owner)
    return thread


def _check_owner(thread: Thread, actor: User) -> None:
    if thread.owner_id != actor.pk:
        raise PermissionDenied("Only the thread's owner can do that.")


def _check_not_placeholder(muse: Muse) -> None:
    # A placeholder only holds imported posts for another writer's muse; it never writes.
    if muse.is_placeholder:
        raise PermissionDenied(
            f"{muse.name} stands in for another writer's muse in an import; "
            "it cannot post, start or join threads."
        )


def pending_claims(thread: Thread):
    """The thread's claims still waiting for an answer (see ``thread_import``)."""
    return thread.invitations.filter(
        status=InvitationStatus.PENDING, claim_participant__isnull=False
    ).select_related("invitee", "claim_muse")


@transaction.atomic
def thread_update(
    *,
    thread: Thread,
    actor: User,
    title: str,
    summary: str,
    rating: str,
    warnings: Sequence[str],
    tags: Sequence[str],
    visibility: str,
    turn_mode: str,
    status: str,
) -> Thread:
    _check_owner(thread, actor)
    tags = tag_names(tags)  # refused before anything is written
    fields = dict(
        title=title.strip(),
        summary=summary.strip(),
        rating=rating,
        warnings=list(dict.fromkeys(warnings)),
        visibility=visibility,
        turn_mode=turn_mode,
        status=status,
    )
    _validate_metadata(fields)
    thread = _lock(thread)
    if visibility != Visibility.PRIVATE and pending_claims(thread).exists():
        waiting = ", ".join(sorted({c.invitee.username for c in pending_claims(thread)}))
        raise ValidationError(
            {
                "visibility": "This thread stays private until every imported muse's writer "
                f"has answered (waiting on {waiting}): their posts cannot be shown as "
                "theirs before they accept."
            }
        )
    previous_status, previous_visibility = thread.status, thread.visibility
    for name, value in fields.items():
        setattr(thread, name, value)
    thread.full_clean()
    thread.save(update_fields=list(fields))
    thread.tags.set(_clean_tags(tags))
    if thread.visibility != previous_visibility:
        # Open sockets re-check who may still read (a thread made private lets readers go).
        emit(
            ThreadEvent(
                "visibility_changed",
                thread.pk,
                actor_id=actor.pk,
                data={"from": previous_visibility, "to": thread.visibility},
            )
        )
    if thread.status != previous_status:
        emit(
            ThreadEvent(
                "status_changed",
                thread.pk,
                actor_id=actor.pk,
                data={"from": previous_status, "to": thread.status},
            )
        )
    return thread
