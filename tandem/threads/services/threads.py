"""Starting a thread and changing its details (title, rating, tags, visibility, status)."""

from __future__ import annotations

from collections.abc import Sequence

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from tandem.accounts.models import User
from tandem.moderation.selectors import check_not_suspended
from tandem.muses.models import Muse
from tandem.threads.events import ThreadEvent, emit
from tandem.threads.models import (
    InvitationStatus,
    Participant,
    Rating,
    Status,
    TagCategory,
    Thread,
    TurnEventKind,
    TurnMode,
    Visibility,
    Warning,
)
from tandem.threads.services.tags import tagged_names, tags_for
from tandem.threads.services.turn_state import _lock, _record


def _tags_by_category(
    tags: Sequence[str],
    fandoms: Sequence[str] | None,
    relationships: Sequence[str] | None,
    characters: Sequence[str] | None,
) -> dict[str, Sequence[str]]:
    # ``tags`` are the freeform ones (the only kind before categories); a category left as
    # None is not being changed.
    given = {
        TagCategory.FANDOM: fandoms,
        TagCategory.RELATIONSHIP: relationships,
        TagCategory.CHARACTER: characters,
        TagCategory.FREEFORM: tags,
    }
    return {category: names for category, names in given.items() if names is not None}


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
    fandoms: Sequence[str] = (),
    relationships: Sequence[str] = (),
    characters: Sequence[str] = (),
    visibility: str = Visibility.PRIVATE,
    turn_mode: str = TurnMode.ORDERED,
) -> Thread:
    """Start a thread with the owner's muse as its first participant. ``tags`` are the
    freeform tags; the other kinds have their own arguments."""
    check_not_suspended(owner)
    tagged = tagged_names(_tags_by_category(tags, fandoms, relationships, characters))
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
    thread.tags.set(tags_for(tagged))
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
    fandoms: Sequence[str] | None = None,
    relationships: Sequence[str] | None = None,
    characters: Sequence[str] | None = None,
) -> Thread:
    """Change a thread's details. ``tags`` are the freeform tags; a kind of tag passed as
    None (the default for fandoms, relationships, characters) keeps the thread's own."""
    _check_owner(thread, actor)
    check_not_suspended(actor)
    by_category = _tags_by_category(tags, fandoms, relationships, characters)
    kept = [
        tag
        for tag in thread.tags.all()
        if tag.category not in by_category and tag.category != TagCategory.FREEFORM
    ]
    by_category.update(
        {
            category: [tag.name for tag in kept if tag.category == category]
            for category in {tag.category for tag in kept}
        }
    )
    tagged = tagged_names(by_category)  # refused before anything is written
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
    thread.tags.set(tags_for(tagged))
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
