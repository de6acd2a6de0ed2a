"""Who writes in a thread: invitations (and import claims), muses joining, leaving and
being removed, the posting order and skipped turns.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from tandem.accounts.models import User
from tandem.blocks.selectors import is_blocked_from_thread
from tandem.moderation.selectors import check_not_suspended
from tandem.muses.models import Muse
from tandem.threads.events import ThreadEvent, emit
from tandem.threads.models import (
    Invitation,
    InvitationStatus,
    Participant,
    Post,
    Thread,
    ThreadWriterState,
    TurnEvent,
    TurnEventKind,
)
from tandem.threads.services.threads import _check_not_placeholder, _check_owner
from tandem.threads.services.turn_state import _active_order, _lock, _record
from tandem.writing.models import Draft


def _active_participant(thread: Thread, muse: Muse) -> Participant | None:
    return thread.participants.filter(muse=muse, left_at__isnull=True).first()


def _join(thread: Thread, muse: Muse, actor: User) -> Participant:
    """Put a muse in the posting order (re-using its row if it was here before)."""
    participant = thread.participants.filter(muse=muse).first()
    if participant is not None and participant.left_at is None:
        raise ValidationError(f"{muse.name} is already in this thread.")
    if participant is None:
        participant = Participant.objects.create(thread=thread, muse=muse, writer_id=muse.owner_id)
    else:
        participant.left_at = None
        participant.writer_id = muse.owner_id
        participant.save(update_fields=["left_at", "writer"])
    _record(thread, TurnEventKind.JOIN, participant=participant, actor=actor)
    return participant


# Invitations still waiting for an answer, per thread: no story needs more, and each one is
# a notification and an e-mail to somebody.
MAX_PENDING_INVITATIONS = 50


@transaction.atomic
def invitation_create(*, thread: Thread, actor: User, username: str) -> Invitation:
    """Invite a writer by username."""
    _check_owner(thread, actor)
    check_not_suspended(actor)
    username = username.strip().lstrip("@")
    invitee = User.objects.filter(username__iexact=username, is_active=True).first()
    if invitee is None:
        raise ValidationError({"username": f"There is no writer called “{username}”."})
    if invitee.pk == actor.pk:
        raise ValidationError({"username": "You are already in this thread."})
    if thread.participants.filter(writer=invitee, left_at__isnull=True).exists():
        raise ValidationError({"username": f"{invitee.username} is already writing here."})
    if thread.invitations.filter(invitee=invitee, status=InvitationStatus.PENDING).exists():
        raise ValidationError({"username": f"{invitee.username} already has an invitation."})
    if is_blocked_from_thread(invitee, thread):
        # The same answer as for a name nobody has: a block is not announced to either side.
        raise ValidationError({"username": f"There is no writer called “{username}”."})
    if (
        thread.invitations.filter(status=InvitationStatus.PENDING).count()
        >= MAX_PENDING_INVITATIONS
    ):
        raise ValidationError(
            {
                "username": f"This thread already has {MAX_PENDING_INVITATIONS} invitations "
                "waiting for an answer; withdraw some before inviting more."
            }
        )
    invitation = Invitation.objects.create(thread=thread, invitee=invitee, invited_by=actor)
    emit(ThreadEvent("invited", thread.pk, actor_id=actor.pk, invitation_id=invitation.pk))
    return invitation


def _check_pending(invitation: Invitation, writer: User) -> None:
    if invitation.invitee_id != writer.pk:
        raise PermissionDenied("This invitation is for somebody else.")
    if invitation.status != InvitationStatus.PENDING:
        raise ValidationError(
            f"This invitation was already {invitation.get_status_display().lower()}."
        )


@transaction.atomic
def invitation_accept(
    *, invitation: Invitation, writer: User, muse: Muse | None = None
) -> Participant:
    """Accept by bringing one of your muses into the thread.

    A claim (an import that named the writer's muse) is accepted for the muse it names, or
    for ``muse`` if that muse has been deleted since: the imported posts become its posts.
    """
    check_not_suspended(writer)
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    _check_pending(invitation, writer)
    if invitation.is_claim and invitation.claim_muse_id is not None:
        muse = invitation.claim_muse
    if muse is None:
        raise ValidationError({"muse": "Choose one of your muses."})
    if muse.owner_id != writer.pk:
        raise PermissionDenied("You can only bring one of your own muses.")
    _check_not_placeholder(muse)
    if muse.is_archived:
        raise ValidationError({"muse": f"{muse.name} is archived; unarchive them first."})
    thread = _lock(invitation.thread)
    if is_blocked_from_thread(writer, thread):
        raise ValidationError(
            "You cannot join this thread: you and one of its writers have blocked one another."
        )
    if invitation.is_claim:
        participant = _claim_take(thread, invitation, writer, muse)
    else:
        participant = _join(thread, muse, writer)
    invitation.status = InvitationStatus.ACCEPTED
    invitation.answered_at = timezone.now()
    invitation.save(update_fields=["status", "answered_at"])
    emit(
        ThreadEvent(
            "invitation_answered",
            thread.pk,
            actor_id=writer.pk,
            invitation_id=invitation.pk,
            participant_id=participant.pk,
        )
    )
    return participant


def _claim_take(thread: Thread, invitation: Invitation, writer: User, muse: Muse) -> Participant:
    """The placeholder participant of a claim becomes the writer's muse, with its posts.

    The participant row (and so its id) stays: the turn log refers to it and stays valid.
    The caller holds the thread lock.
    """
    participant = Participant.objects.select_related("muse").get(pk=invitation.claim_participant_id)
    if thread.participants.filter(muse=muse).exclude(pk=participant.pk).exists():
        raise ValidationError(
            {
                "muse": f"{muse.name} is already in this thread, so the imported posts cannot "
                "become theirs too. Ask the thread's owner to take them out first."
            }
        )
    placeholder = participant.muse
    participant.muse, participant.writer = muse, writer
    participant.save(update_fields=["muse", "writer"])
    if participant.left_at is not None:
        # The owner took the placeholder out meanwhile: accepting brings the muse back in.
        participant.left_at = None
        participant.save(update_fields=["left_at"])
        _record(thread, TurnEventKind.JOIN, participant=participant, actor=writer)
    Post.objects.filter(participant=participant).update(muse=muse, author=writer)
    TurnEvent.objects.filter(participant=participant, kind=TurnEventKind.POST).update(actor=writer)
    if placeholder.is_placeholder and not (
        placeholder.posts.exists() or placeholder.participations.exists()
    ):
        Draft.objects.filter(muse=placeholder).update(muse=None)
        placeholder.delete()
    # The writer wrote (and read) the history already; nothing in it is unread for them.
    state, _ = ThreadWriterState.objects.get_or_create(thread=thread, writer=writer)
    if state.last_read_number < thread.post_count:
        state.last_read_number = thread.post_count
        state.save(update_fields=["last_read_number"])
    return participant


def _claim_drop(invitation: Invitation) -> None:
    """A claim declined or withdrawn: the posts stay with the importer's placeholder muse,
    which says so in its name."""
    participant = invitation.claim_participant
    if participant is None:
        return
    placeholder = participant.muse
    if placeholder.is_placeholder and not placeholder.name.endswith(UNCLAIMED_SUFFIX):
        placeholder.name = placeholder.name[: 100 - len(UNCLAIMED_SUFFIX)] + UNCLAIMED_SUFFIX
        placeholder.save(update_fields=["name"])


UNCLAIMED_SUFFIX = " (unclaimed)"


def _close(invitation: Invitation, status: str, event: str, actor: User) -> None:
    """End a pending invitation (declined or withdrawn): a claim's posts stay unclaimed,
    and open pages hear of it (sockets re-check who may still read)."""
    invitation.status = status
    invitation.answered_at = timezone.now()
    invitation.save(update_fields=["status", "answered_at"])
    _claim_drop(invitation)
    emit(ThreadEvent(event, invitation.thread_id, actor_id=actor.pk, invitation_id=invitation.pk))


@transaction.atomic
def invitation_decline(*, invitation: Invitation, writer: User) -> Invitation:
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    _check_pending(invitation, writer)
    _close(invitation, InvitationStatus.DECLINED, "invitation_answered", writer)
    return invitation


@transaction.atomic
def invitation_withdraw(*, invitation: Invitation, actor: User) -> Invitation:
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    _check_owner(invitation.thread, actor)
    if invitation.status == InvitationStatus.PENDING:
        _close(invitation, InvitationStatus.WITHDRAWN, "invitation_withdrawn", actor)
    return invitation


@transaction.atomic
def participant_add_muse(*, thread: Thread, writer: User, muse: Muse) -> Participant:
    """A writer already in the thread brings another of their muses."""
    check_not_suspended(writer)
    thread = _lock(thread)
    in_thread = thread.participants.filter(writer=writer, left_at__isnull=True).exists()
    # The owner may always come back, even after taking out their last muse.
    if not in_thread and thread.owner_id != writer.pk:
        raise PermissionDenied("Only writers in this thread can bring more muses.")
    if muse.owner_id != writer.pk:
        raise PermissionDenied("You can only bring one of your own muses.")
    _check_not_placeholder(muse)
    if muse.is_archived:
        raise ValidationError({"muse": f"{muse.name} is archived; unarchive them first."})
    return _join(thread, muse, writer)


@transaction.atomic
def participant_leave(*, participant: Participant, actor: User) -> Participant:
    """A writer takes their muse out of the thread, or the owner removes it."""
    thread = _lock(participant.thread)
    participant = Participant.objects.get(pk=participant.pk)
    if participant.left_at is not None:
        raise ValidationError(f"{participant.muse.name} has already left this thread.")
    if actor.pk == participant.writer_id:
        kind = TurnEventKind.LEAVE
    elif actor.pk == thread.owner_id:
        kind = TurnEventKind.REMOVE
    else:
        raise PermissionDenied("Only the muse's writer or the thread's owner can do that.")
    now = timezone.now()
    # Record while the muse is still in the posting order: the turn model needs to see
    # it there to take it out (and to pass its turn on).
    _record(thread, kind, participant=participant, actor=actor, at=now)
    participant.left_at = now
    participant.position = None
    participant.save(update_fields=["left_at", "position"])
    emit(
        ThreadEvent(
            "participant_left",
            thread.pk,
            actor_id=actor.pk,
            participant_id=participant.pk,
            data={"removed": kind == TurnEventKind.REMOVE},
        )
    )
    return participant


@transaction.atomic
def participants_reorder(*, thread: Thread, actor: User, order: Sequence[int]) -> None:
    _check_owner(thread, actor)
    thread = _lock(thread)
    if sorted(order) != sorted(_active_order(thread)):
        raise ValidationError("The new order must list every muse in the thread exactly once.")
    _record(thread, TurnEventKind.REORDER, actor=actor, order=list(order))


def participant_move(*, thread: Thread, actor: User, participant_id: int, offset: int) -> None:
    """Move one muse up (-1) or down (+1) in the posting order."""
    order = list(_active_order(thread))
    if participant_id not in order:
        raise ValidationError("That muse is not in the posting order.")
    index = order.index(participant_id)
    target = index + offset
    if not 0 <= target < len(order):
        return
    order[index], order[target] = order[target], order[index]
    participants_reorder(thread=thread, actor=actor, order=order)


@transaction.atomic
def turn_skip(*, thread: Thread, actor: User) -> None:
    """The owner passes the current turn on without a post."""
    _check_owner(thread, actor)
    thread = _lock(thread)
    if not thread.is_ordered:
        raise ValidationError("Free threads have no turn to skip.")
    if thread.next_participant_id is None:
        raise ValidationError("Nobody holds the turn.")
    participant = Participant.objects.get(pk=thread.next_participant_id)
    _record(thread, TurnEventKind.SKIP, participant=participant, actor=actor)
