"""Reads for open starters: the board, one starter as a visitor sees it, and who may ask.

A starter is on the board while it is open (not closed, a slot left), its thread is public,
active and has its opening post, and neither its owner nor a writer in it is hidden from
the visitor by a block. ``join_refusal`` is the one home of the rule "may this writer ask to
join": the page uses it to explain, the service to refuse.
"""

from __future__ import annotations

from django.db.models import Case, Count, IntegerField, Prefetch, Q, QuerySet, Value, When
from django.http import Http404

from tandem.accounts.models import User
from tandem.blocks.selectors import exclude_hidden_threads, has_blocks, is_blocked_from_thread
from tandem.moderation.selectors import thread_is_hidden
from tandem.starters.models import JoinRequest, RequestStatus, Starter
from tandem.threads.models import (
    InvitationStatus,
    Participant,
    Rating,
    Status,
    Thread,
    Visibility,
)
from tandem.threads.permissions import can_read, is_participant, is_writer

STARTERS_PER_PAGE = 20
REQUESTS_PER_PAGE = 30


def _cast() -> Prefetch:
    return Prefetch(
        "thread__participants",
        queryset=Participant.objects.filter(
            left_at__isnull=True, muse__is_placeholder=False
        ).select_related("muse"),
        to_attr="active",
    )


def board(user: User, *, tag: str = "", rating: str = "") -> QuerySet[Starter]:
    """Open starters ``user`` may see, newest first, optionally one tag and one rating."""
    threads = Thread.objects.filter(
        visibility=Visibility.PUBLIC, status=Status.ACTIVE, post_count__gt=0
    ).exclude(thread_is_hidden())  # a thread moderators hid is on no board
    if has_blocks(user):  # one EXISTS spares most writers the block subqueries
        threads = exclude_hidden_threads(threads, user)
    starters = Starter.objects.filter(closed_at__isnull=True, open_slots__gt=0, thread__in=threads)
    if tag:
        # By name, whatever its category: a board visitor types "slow burn", not a kind.
        starters = starters.filter(thread__tags__name__iexact=tag)
    if rating in Rating.values:
        starters = starters.filter(thread__rating=rating)
    return (
        starters.distinct()
        .select_related("thread__owner")
        .prefetch_related(_cast(), "thread__tags")
        .order_by("-created_at", "-pk")
    )


def get_visible_starter(user: User, pk: int) -> Starter:
    """The starter, or 404: for readers of its thread who are not blocked from it."""
    starter = Starter.objects.select_related("thread__owner").filter(pk=pk).first()
    if (
        starter is None
        or not can_read(starter.thread, user)
        or is_blocked_from_thread(user, starter.thread)
    ):
        raise Http404("No such starter.")
    return starter


def is_listed(starter: Starter) -> bool:
    """Whether the starter shows on the board (to someone no block hides it from)."""
    thread = starter.thread
    return (
        starter.is_open
        and thread.visibility == Visibility.PUBLIC
        and thread.status == Status.ACTIVE
        and thread.post_count > 0
    )


def join_refusal(starter: Starter, user: User) -> str | None:
    """Why ``user`` may not ask to join ``starter`` now, in a sentence; None if they may."""
    thread = starter.thread
    if not user.is_authenticated:
        return "Log in to ask to join."
    if thread.owner_id == user.pk:
        return "This is your own starter."
    if is_blocked_from_thread(user, thread):
        return "You cannot join this thread."
    if starter.closed_at is not None or starter.open_slots == 0:
        return "This starter is closed: it takes no more muses."
    if thread.visibility != Visibility.PUBLIC:
        return "This starter is not on the board any more: its thread is no longer public."
    if thread.status != Status.ACTIVE:
        return f"This thread is {thread.get_status_display().lower()}: it takes no new muses."
    if is_participant(thread, user):
        return "You are already writing in this thread."
    if thread.invitations.filter(invitee=user, status=InvitationStatus.PENDING).exists():
        return "You already have an invitation to this thread: answer it instead."
    if starter.requests.filter(writer=user, status=RequestStatus.PENDING).exists():
        return "You have already asked to join; the owner has not answered yet."
    return None


def pending_request(starter: Starter, user: User) -> JoinRequest | None:
    if not user.is_authenticated:
        return None
    return starter.requests.filter(writer=user, status=RequestStatus.PENDING).first()


def starter_requests(starter: Starter) -> QuerySet[JoinRequest]:
    """A starter's requests for its owner: pending first, then the latest answers."""
    return (
        starter.requests.select_related("writer", "muse")
        .annotate(
            waiting=Case(
                When(status=RequestStatus.PENDING, then=Value(1)),
                default=Value(0),
                output_field=IntegerField(),
            )
        )
        .order_by("-waiting", "-created_at", "-pk")
    )


def my_requests(user: User) -> QuerySet[JoinRequest]:
    return (
        JoinRequest.objects.filter(writer=user)
        .select_related("starter__thread__owner", "muse")
        .order_by("-created_at", "-pk")
    )


def my_starters(user: User) -> QuerySet[Starter]:
    return (
        Starter.objects.filter(thread__owner=user)
        .select_related("thread")
        .annotate(pending=Count("requests", filter=Q(requests__status=RequestStatus.PENDING)))
        .order_by("-created_at", "-pk")
    )


def mark_readable(requests: list[JoinRequest], user: User) -> None:
    """Set ``thread_readable`` on each request: a thread that is no longer public shows the
    writer who asked no title, unless they write in it now (lists show unlisted threads to
    their writers only)."""
    for join_request in requests:
        thread = join_request.starter.thread
        join_request.thread_readable = thread.visibility == Visibility.PUBLIC or is_writer(
            thread, user
        )
