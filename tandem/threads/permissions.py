"""Who may see and do what in a thread. Detail pages call the checks; lists use the filters."""

from datetime import datetime

from django.db.models import Q, QuerySet
from django.http import Http404

from tandem.accounts.models import User
from tandem.moderation.selectors import is_hidden_thread, thread_is_hidden
from tandem.threads.models import Participant, Thread, Visibility


def is_participant(thread: Thread, user: User) -> bool:
    if not user.is_authenticated:
        return False
    return thread.participants.filter(writer=user, left_at__isnull=True).exists()


def can_read(thread: Thread, user: User) -> bool:
    if is_hidden_thread(thread) and not (
        user.is_authenticated and (user.is_staff or is_writer(thread, user))
    ):
        return False  # moderators hid it: only its writers and staff (if they could) read it
    if thread.visibility != Visibility.PRIVATE:
        return True
    if not user.is_authenticated:
        return False
    # A pending invitee is not a reader: before accepting they see only what the invitation
    # page shows (title, summary, first post, and a claim's own posts).
    return thread.owner_id == user.pk or is_participant(thread, user)


def get_readable_thread(user: User, public_id: str) -> Thread:
    """The thread, or 404 — the same 404 whether it does not exist or is private."""
    thread = (
        Thread.objects.select_related("owner", "next_participant__muse", "next_participant__writer")
        .filter(public_id=public_id)
        .first()
    )
    if thread is None or not can_read(thread, user):
        raise Http404("No such thread.")
    return thread


def listed_threads(user: User) -> QuerySet[Thread]:
    """Threads a writer may find in lists: public ones, and their own."""
    # A thread moderators hid is listed to nobody but its writers.
    visible = Q(visibility=Visibility.PUBLIC) & ~thread_is_hidden()
    if user.is_authenticated:
        mine = Participant.objects.filter(writer=user, left_at__isnull=True).values("thread_id")
        visible |= Q(pk__in=mine)
    return Thread.objects.filter(visible)


def is_owner(thread: Thread, user: User) -> bool:
    return user.is_authenticated and thread.owner_id == user.pk


def is_writer(thread: Thread, user: User) -> bool:
    """One of the thread's writers: its owner, or a writer with a muse still in it.

    Only they see revisions and OOC talk and may change their posts; a former participant
    reads a thread like anyone else who is not in it.
    """
    return is_owner(thread, user) or is_participant(thread, user)


def left_at(thread: Thread, user: User) -> datetime | None:
    """When ``user`` left ``thread``: the latest ``left_at`` of their muses, once every one of
    them has left. None for the owner, for writers still in it and for those never in it."""
    if not user.is_authenticated or thread.owner_id == user.pk:
        return None
    moments = list(thread.participants.filter(writer=user).values_list("left_at", flat=True))
    if not moments or any(moment is None for moment in moments):
        return None
    return max(moments)
