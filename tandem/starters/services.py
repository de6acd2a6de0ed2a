"""Writes for open starters: opening, editing and closing a starter; asking to join,
withdrawing, and the owner's answer.

Rules, in order:

- A starter hangs off a public, active thread with its opening post: it is meant to be
  found, and a partner chooses it by its first scene. Posting one from the "New starter"
  page starts the thread (``thread_create``) public, writes the opening post
  (``post_create``) and opens the starter in one transaction. An existing thread that is
  not public is refused with a sentence, never made public behind its owner's back.
- Whether a writer may ask is ``selectors.join_refusal`` (own starter, a block either way,
  closed or full, not public any more, already writing there, an invitation or a request
  pending). The muse must be the writer's own, not archived, not a placeholder.
- Accepting goes through the invitation service: the owner's consent becomes an invitation
  (or the one already pending) that ``invitation_accept`` accepts for the requested muse,
  with its checks, its join event and the posting order. One slot is used; at none the
  starter closes and the requests still waiting are closed with it.
- Every answer tells the other side (``notify`` once the transaction commits).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from tandem.accounts.models import User
from tandem.muses.models import Muse
from tandem.muses.selectors import muses_of_writer
from tandem.notifications.models import Kind
from tandem.notifications.services import notify
from tandem.starters.models import (
    LOOKING_FOR_MAX_CHARS,
    MAX_OPEN_SLOTS,
    MESSAGE_MAX_CHARS,
    JoinRequest,
    RequestStatus,
    Starter,
)
from tandem.starters.selectors import join_refusal
from tandem.threads import services as threads
from tandem.threads.models import (
    Invitation,
    InvitationStatus,
    Participant,
    Status,
    Thread,
    Visibility,
)
from tandem.threads.permissions import is_participant

# Requests waiting on one starter: each is a notification to its owner.
MAX_PENDING_REQUESTS = 50


def _check_owner(thread: Thread, actor: User) -> None:
    if thread.owner_id != actor.pk:
        raise PermissionDenied("Only the thread's owner can do that.")


def _clean_terms(open_slots: int, looking_for: str) -> tuple[int, str]:
    errors = {}
    if not isinstance(open_slots, int) or not 1 <= open_slots <= MAX_OPEN_SLOTS:
        errors["open_slots"] = f"Open between 1 and {MAX_OPEN_SLOTS} slots."
    looking_for = (looking_for or "").strip()
    if len(looking_for) > LOOKING_FOR_MAX_CHARS:
        errors["looking_for"] = (
            f"Say what you look for in at most {LOOKING_FOR_MAX_CHARS:,} characters "
            f"(this is {len(looking_for):,})."
        )
    if errors:
        raise ValidationError(errors)
    return open_slots, looking_for


def _check_findable(thread: Thread) -> None:
    if thread.visibility != Visibility.PUBLIC:
        raise ValidationError(
            "A starter is meant to be found: make the thread public in its settings first."
        )
    if thread.status != Status.ACTIVE:
        raise ValidationError(
            f"This thread is {thread.get_status_display().lower()}; set it active first."
        )
    if thread.post_count == 0:
        raise ValidationError("Write the opening post first: partners choose a starter by it.")


def _later(recipient: User, kind: str, thread: Thread, actor: User, text: str, url: str) -> None:
    """Notify once the transaction commits: a rolled-back answer tells no one."""
    transaction.on_commit(
        lambda: notify(
            recipient=recipient, kind=kind, thread=thread, actor=actor, text=text, url=url
        )
    )


# ---------------------------------------------------------------------------- the starter


@transaction.atomic
def starter_open(*, thread: Thread, actor: User, open_slots: int, looking_for: str = "") -> Starter:
    """Open ``thread`` as a starter, or open its closed starter again with new terms."""
    _check_owner(thread, actor)
    open_slots, looking_for = _clean_terms(open_slots, looking_for)
    thread = threads._lock(thread)
    _check_findable(thread)
    starter = Starter.objects.select_for_update().filter(thread=thread).first()
    if starter is not None and starter.closed_at is None:
        raise ValidationError("This thread is already an open starter.")
    if starter is None:
        starter = Starter(thread=thread)
    else:
        # Reopened: on the board again as new.
        starter.created_at = timezone.now()
    starter.open_slots, starter.looking_for, starter.closed_at = open_slots, looking_for, None
    starter.save()
    return starter


@transaction.atomic
def starter_create(
    *,
    owner: User,
    muse: Muse,
    title: str,
    opening: str,
    open_slots: int,
    looking_for: str = "",
    **details,
) -> Starter:
    """Start a public thread with its opening post and open it as a starter, all or nothing.

    ``details`` are ``thread_create``'s (summary, rating, warnings, tags of each kind, turn
    mode); the visibility is always public."""
    _clean_terms(open_slots, looking_for)  # refused before anything is written
    details["visibility"] = Visibility.PUBLIC
    thread = threads.thread_create(owner=owner, muse=muse, title=title, **details)
    threads.post_create(thread=thread, writer=owner, muse=muse, body=opening)
    thread.refresh_from_db()
    return starter_open(thread=thread, actor=owner, open_slots=open_slots, looking_for=looking_for)


@transaction.atomic
def starter_update(*, starter: Starter, actor: User, open_slots: int, looking_for: str) -> Starter:
    """Change an open starter's slots and what its writer looks for."""
    _check_owner(starter.thread, actor)
    open_slots, looking_for = _clean_terms(open_slots, looking_for)
    starter = Starter.objects.select_for_update().get(pk=starter.pk)
    if starter.closed_at is not None:
        raise ValidationError("This starter is closed; open it again to change it.")
    starter.open_slots, starter.looking_for = open_slots, looking_for
    starter.save(update_fields=["open_slots", "looking_for"])
    return starter


@transaction.atomic
def starter_close(*, starter: Starter, actor: User) -> Starter:
    """Take a starter off the board; the requests still waiting are declined."""
    _check_owner(starter.thread, actor)
    starter = Starter.objects.select_for_update().select_related("thread").get(pk=starter.pk)
    if starter.closed_at is None:
        _close(starter, actor, reason="closed")
    return starter


def _close(starter: Starter, actor: User, *, reason: str) -> None:
    """Close the starter and decline what still waits, telling each writer why."""
    now = timezone.now()
    starter.closed_at = now
    starter.save(update_fields=["closed_at"])
    thread = starter.thread
    why = "is full" if reason == "full" else "was closed by its writer"
    waiting = list(
        starter.requests.select_for_update(of=("self",))
        .filter(status=RequestStatus.PENDING)
        .select_related("writer")
    )
    for join_request in waiting:
        join_request.status, join_request.answered_at = RequestStatus.DECLINED, now
        join_request.save(update_fields=["status", "answered_at"])
        _later(
            join_request.writer,
            Kind.JOIN_ANSWERED,
            thread,
            actor,
            f"“{thread.title}” {why}: your request to join is closed.",
            reverse("starter-mine"),
        )


# ---------------------------------------------------------------------------- requests


@transaction.atomic
def join_request_create(
    *, starter: Starter, writer: User, muse: Muse, message: str = ""
) -> JoinRequest:
    """Ask to bring ``muse`` into the starter's thread."""
    starter = Starter.objects.select_for_update().select_related("thread").get(pk=starter.pk)
    refusal = join_refusal(starter, writer)
    if refusal is not None:
        raise ValidationError(refusal)
    if muse.owner_id != writer.pk:
        raise PermissionDenied("You can only bring one of your own muses.")
    if not muses_of_writer(writer, include_archived=False).filter(pk=muse.pk).exists():
        raise ValidationError({"muse": f"{muse.name} is archived; unarchive them first."})
    message = (message or "").strip()
    if len(message) > MESSAGE_MAX_CHARS:
        raise ValidationError({"message": f"Keep the message to {MESSAGE_MAX_CHARS:,} characters."})
    if starter.requests.filter(status=RequestStatus.PENDING).count() >= MAX_PENDING_REQUESTS:
        raise ValidationError(
            "This starter already has many requests waiting for an answer; try again later."
        )
    try:
        with transaction.atomic():
            join_request = JoinRequest.objects.create(
                starter=starter, writer=writer, muse=muse, message=message
            )
    except IntegrityError as error:  # a second request sent at the same moment
        raise ValidationError("You have already asked to join.") from error
    thread = starter.thread
    _later(
        thread.owner,
        Kind.JOIN_REQUESTED,
        thread,
        writer,
        f"{writer.shown_name} asks to join “{thread.title}” with {muse.name}.",
        reverse("starter-manage", args=[starter.pk]),
    )
    return join_request


def _pending(join_request: JoinRequest) -> JoinRequest:
    """The request re-read under lock with its starter and thread; refused if answered."""
    join_request = (
        JoinRequest.objects.select_for_update(of=("self",))
        .select_related("starter__thread__owner", "writer", "muse")
        .get(pk=join_request.pk)
    )
    if join_request.status != RequestStatus.PENDING:
        raise ValidationError(
            f"This request was already {join_request.get_status_display().lower()}."
        )
    return join_request


@transaction.atomic
def join_request_accept(*, join_request: JoinRequest, actor: User) -> Participant:
    """The owner lets the requested muse in, through the invitation service."""
    _check_owner(join_request.starter.thread, actor)
    join_request = _pending(join_request)
    starter = Starter.objects.select_for_update().get(pk=join_request.starter_id)
    thread, writer = join_request.starter.thread, join_request.writer
    if not starter.is_open:
        raise ValidationError("This starter has no open slot left; open it again to accept more.")
    if is_participant(thread, writer):
        raise ValidationError(f"{writer.username} is already writing in this thread.")
    invitation = (
        thread.invitations.filter(
            invitee=writer, status=InvitationStatus.PENDING, claim_participant__isnull=True
        ).first()
        # Made here, not by invitation_create: the writer asked, so no "you are invited".
        or Invitation.objects.create(thread=thread, invitee=writer, invited_by=actor)
    )
    participant = threads.invitation_accept(
        invitation=invitation, writer=writer, muse=join_request.muse
    )
    join_request.status, join_request.answered_at = RequestStatus.ACCEPTED, timezone.now()
    join_request.invitation = invitation
    join_request.save(update_fields=["status", "answered_at", "invitation"])
    starter.thread = thread
    starter.open_slots -= 1
    starter.save(update_fields=["open_slots"])
    _later(
        writer,
        Kind.JOIN_ANSWERED,
        thread,
        actor,
        f"{actor.shown_name} welcomed {join_request.muse.name} into “{thread.title}”.",
        thread.get_absolute_url(),
    )
    if starter.open_slots == 0:
        _close(starter, actor, reason="full")
    return participant


@transaction.atomic
def join_request_decline(*, join_request: JoinRequest, actor: User) -> JoinRequest:
    _check_owner(join_request.starter.thread, actor)
    join_request = _pending(join_request)
    join_request.status, join_request.answered_at = RequestStatus.DECLINED, timezone.now()
    join_request.save(update_fields=["status", "answered_at"])
    thread = join_request.starter.thread
    _later(
        join_request.writer,
        Kind.JOIN_ANSWERED,
        thread,
        actor,
        f"{actor.shown_name} declined your request to join “{thread.title}”.",
        reverse("starter-mine"),
    )
    return join_request


@transaction.atomic
def join_request_withdraw(*, join_request: JoinRequest, actor: User) -> JoinRequest:
    if join_request.writer_id != actor.pk:
        raise PermissionDenied("Only the writer who asked can withdraw a request.")
    join_request = _pending(join_request)
    join_request.status, join_request.answered_at = RequestStatus.WITHDRAWN, timezone.now()
    join_request.save(update_fields=["status", "answered_at"])
    return join_request
