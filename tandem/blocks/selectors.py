"""Who is hidden from whom. A block works both ways: neither writer sees the other."""

from django.db.models import Case, F, Q, QuerySet, When

from tandem.accounts.models import User
from tandem.blocks.models import Block


def is_blocked_between(first: User | int | None, second: User | int | None) -> bool:
    """True when either writer has blocked the other (anonymous visitors block no one)."""
    first_id = _user_id(first)
    second_id = _user_id(second)
    if first_id is None or second_id is None or first_id == second_id:
        return False
    return Block.objects.filter(
        Q(blocker_id=first_id, blocked_id=second_id) | Q(blocker_id=second_id, blocked_id=first_id)
    ).exists()


def hidden_writer_ids(user: User | None) -> QuerySet:
    """A subquery of the ids of writers ``user`` must not see (and who must not see them).

    Use it as ``.exclude(owner_id__in=hidden_writer_ids(user))``; for anonymous visitors it
    is empty, so callers need no special case.
    """
    user_id = _user_id(user)
    if user_id is None:
        return Block.objects.none().values_list("blocked_id", flat=True)
    # One subquery usable inside IN (...): the other party of every block this writer is on
    # either side of.
    return (
        Block.objects.filter(Q(blocker_id=user_id) | Q(blocked_id=user_id))
        .annotate(
            other=Case(When(blocker_id=user_id, then=F("blocked_id")), default=F("blocker_id"))
        )
        .values_list("other", flat=True)
    )


def blocks_made_by(user: User) -> QuerySet[Block]:
    return Block.objects.filter(blocker=user).select_related("blocked")


def _user_id(user: User | int | None) -> int | None:
    if user is None:
        return None
    if isinstance(user, int):
        return user
    if not getattr(user, "is_authenticated", False):
        return None
    return user.pk


def exclude_hidden_threads(threads: QuerySet, user: User | None) -> QuerySet:
    """``threads`` without those owned by, or written in by a muse of, a writer hidden from
    ``user`` — for every list (directory, search, profiles, starters). A thread's own page
    stays readable by its link; only lists leave it out."""
    user_id = _user_id(user)
    if user_id is None:
        return threads
    from tandem.threads.models import Participant

    hidden = hidden_writer_ids(user_id)
    shared = Participant.objects.filter(writer_id__in=hidden, left_at__isnull=True).values(
        "thread_id"
    )
    return threads.exclude(owner_id__in=hidden).exclude(pk__in=shared)


def is_blocked_from_thread(user: User, thread) -> bool:
    """True when ``user`` and the thread's owner, or a writer still in it, blocked one
    another: they may not be invited to it, join it or ask to join it."""
    user_id = _user_id(user)
    if user_id is None:
        return False
    hidden = hidden_writer_ids(user_id)
    if thread.owner_id in set(hidden):
        return True
    return thread.participants.filter(writer_id__in=hidden, left_at__isnull=True).exists()


def has_blocks(user: User | None) -> bool:
    """Whether ``user`` is on either side of any block: lists skip the block filter (and
    its subqueries) for the many writers who never block anyone."""
    user_id = _user_id(user)
    if user_id is None:
        return False
    return Block.objects.filter(Q(blocker_id=user_id) | Q(blocked_id=user_id)).exists()


def shared_threads(user: User, other: User) -> list:
    """The threads ``user`` and ``other`` are both still in (as owner or with a muse), with
    what ``user`` can do about each: ``mine`` (``user``'s own participants, to leave) when
    the thread is someone else's, ``theirs`` (``other``'s participants, to remove) when
    ``user`` owns it."""
    from tandem.threads.models import Participant, Thread

    def involved(writer: User) -> Q:
        active = Participant.objects.filter(writer=writer, left_at__isnull=True)
        return Q(owner=writer) | Q(pk__in=active.values("thread_id"))

    threads = list(
        Thread.objects.filter(involved(user)).filter(involved(other)).order_by("title", "pk")
    )
    rows = Participant.objects.filter(
        thread__in=threads, writer__in=[user, other], left_at__isnull=True
    ).select_related("muse")
    by_thread: dict[int, list] = {}
    for row in rows:
        by_thread.setdefault(row.thread_id, []).append(row)
    for thread in threads:
        active = by_thread.get(thread.pk, [])
        if thread.owner_id == user.pk:
            thread.to_remove = [row for row in active if row.writer_id == other.pk]
            thread.to_leave = []
        else:
            thread.to_remove = []
            thread.to_leave = [row for row in active if row.writer_id == user.pk]
    return threads
