"""Reads for threads: the queue, the reading page, lists."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.apps import apps
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import Count, F, Prefetch, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from tandem.accounts.models import User
from tandem.blocks.selectors import exclude_hidden_threads, has_blocks
from tandem.moderation.selectors import is_hidden_post, thread_is_hidden
from tandem.muses.models import Muse
from tandem.threads.models import (
    Invitation,
    InvitationStatus,
    Participant,
    Post,
    PostRevision,
    Status,
    Tag,
    Thread,
    ThreadWriterState,
    TurnMode,
    Visibility,
)
from tandem.threads.permissions import is_writer
from tandem.threads.turns import awaited_writer_ids


@dataclass
class QueueEntry:
    thread: Thread
    waiting_since: datetime | None
    awaited: list[Participant]
    my_muses: list[Participant]
    is_pinned: bool = False
    is_writing: bool = False
    is_muted: bool = False
    is_dormant: bool = False


SECTIONS = ("your_turn", "writing", "waiting", "resting", "muted")


@dataclass
class Queue:
    your_turn: list[QueueEntry] = field(default_factory=list)
    writing: list[QueueEntry] = field(default_factory=list)
    waiting: list[QueueEntry] = field(default_factory=list)
    resting: list[QueueEntry] = field(default_factory=list)
    muted: list[QueueEntry] = field(default_factory=list)
    invitations: list[Invitation] = field(default_factory=list)
    # How many threads each section holds, shown or not (``writer_queue``'s window).
    totals: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SECTIONS, 0))

    @property
    def your_turn_count(self) -> int:
        return self.totals["your_turn"] + self.totals["writing"]

    @property
    def is_empty(self) -> bool:
        return not (any(self.totals.values()) or self.invitations)

    @property
    def cut_short(self) -> list[str]:
        """The sections with more threads than are shown."""
        return [name for name in SECTIONS if self.totals[name] > len(getattr(self, name))]


def _active_participants() -> QuerySet[Participant]:
    return Participant.objects.filter(left_at__isnull=True).select_related("muse", "writer")


def awaited_participants(thread: Thread, active: list[Participant]) -> list[Participant]:
    """The muses whose move it is, from the cached turn state."""
    if thread.status != Status.ACTIVE:
        return []
    by_id = {p.pk: p for p in active}
    # The last poster may have left since; their writer still wrote the latest post.
    last_poster = by_id.get(thread.last_poster_id) or (
        thread.last_poster if thread.last_poster_id else None
    )
    writers = awaited_writer_ids(
        ordered=thread.turn_mode == TurnMode.ORDERED,
        next_writer_id=by_id[thread.next_participant_id].writer_id
        if thread.next_participant_id in by_id
        else None,
        last_poster_writer_id=last_poster.writer_id if last_poster else None,
        active_writer_ids=[p.writer_id for p in active],
    )
    if thread.turn_mode == TurnMode.ORDERED:
        return [by_id[thread.next_participant_id]] if thread.next_participant_id in by_id else []
    return [p for p in active if p.writer_id in writers]


def dormant_at(thread: Thread) -> datetime:
    """When the thread counts as dormant: ``TANDEM_DORMANT_DAYS`` after its last post (or
    its start, if nobody has posted yet). The queue's badge and the calendar both ask here."""
    last_activity = thread.last_post_at or thread.created_at
    return last_activity + timedelta(days=settings.TANDEM_DORMANT_DAYS)


def _queue_section(row: dict, states: dict, user_id: int) -> str:
    """Which section of the queue a thread belongs in, from its cached turn state alone."""
    state = states.get(row["pk"], {})
    if state.get("is_muted"):
        return "muted"
    if row["status"] != Status.ACTIVE:
        return "resting"
    if row["turn_mode"] == TurnMode.ORDERED:
        mine = row["next_participant__writer_id"] == user_id
    else:
        # Free order: everyone's move but whoever posted last (the writer is active here).
        mine = row["last_poster__writer_id"] != user_id
    if not mine:
        return "waiting"
    return "writing" if state.get("is_writing") else "your_turn"


def writer_queue(user: User, *, now: datetime | None = None, window: int | None = None) -> Queue:
    """A writer's home page: their threads grouped by whose move it is.

    ``window``: at most that many threads per section, the first ones in its order, with
    every section's total in ``Queue.totals``; None: every thread. A constant number of
    queries whatever the number of threads, and only the threads shown are built as models
    (one light row each for the rest), so a writer with hundreds of threads costs about
    what one with a window's worth does.
    """
    now = now or timezone.now()
    mine = Participant.objects.filter(writer=user, left_at__isnull=True).values("thread_id")
    rows = list(
        Thread.objects.filter(pk__in=mine).values(
            "pk",
            "status",
            "turn_mode",
            "turn_since",
            "last_post_at",
            "created_at",
            "next_participant__writer_id",
            "last_poster__writer_id",
        )
    )
    states = {
        s["thread_id"]: s
        for s in ThreadWriterState.objects.filter(writer=user, thread__in=mine).values(
            "thread_id", "is_pinned", "is_writing", "is_muted"
        )
    }

    def pinned(row: dict) -> bool:
        return bool(states.get(row["pk"], {}).get("is_pinned"))

    def oldest_first(row: dict):
        return (not pinned(row), row["turn_since"] or now, row["pk"])

    def latest_first(row: dict):
        moment = row["last_post_at"] or row["created_at"]
        return (not pinned(row), -moment.timestamp(), row["pk"])

    sections: dict[str, list[dict]] = {name: [] for name in SECTIONS}
    for row in rows:
        sections[_queue_section(row, states, user.pk)].append(row)
    shown: dict[str, list[int]] = {}
    for name, found in sections.items():
        found.sort(key=latest_first if name in ("resting", "muted") else oldest_first)
        shown[name] = [row["pk"] for row in found[:window]]

    threads = (
        Thread.objects.filter(pk__in=[pk for pks in shown.values() for pk in pks])
        .select_related("last_poster")
        .prefetch_related(
            Prefetch("participants", queryset=_active_participants(), to_attr="active")
        )
        .in_bulk()
    )
    queue = Queue(totals={name: len(found) for name, found in sections.items()})
    for name, pks in shown.items():
        for pk in pks:
            thread = threads.get(pk)
            if thread is None:
                continue  # deleted between the two reads
            state = states.get(pk, {})
            getattr(queue, name).append(
                QueueEntry(
                    thread=thread,
                    waiting_since=thread.turn_since,
                    awaited=awaited_participants(thread, thread.active),
                    my_muses=[p for p in thread.active if p.writer_id == user.pk],
                    is_pinned=bool(state.get("is_pinned")),
                    is_writing=bool(state.get("is_writing")),
                    is_muted=bool(state.get("is_muted")),
                    is_dormant=dormant_at(thread) < now,
                )
            )
    queue.invitations = list(pending_invitations(user))
    return queue


def pending_invitations(user: User) -> QuerySet[Invitation]:
    return (
        Invitation.objects.filter(invitee=user, status=InvitationStatus.PENDING)
        .select_related("thread", "invited_by")
        .order_by("created_at")
    )


def _counted(found: QuerySet) -> Subquery:
    """``found``'s row count as a subquery, to add several counts up in one query."""
    return Subquery(
        found.order_by().annotate(one=Value(1)).values("one").annotate(n=Count("*")).values("n")
    )


def your_turn_count(user: User) -> int:
    """How many threads wait on this writer (for the navigation), in one query: Tandem
    threads whose turn is theirs, and threads they keep elsewhere that say "my turn"."""
    from tandem.tracking.models import TrackedThread, Turn

    mine = Participant.objects.filter(writer=user, left_at__isnull=True)
    muted = ThreadWriterState.objects.filter(writer=user, is_muted=True).values("thread_id")
    ordered_mine = Q(turn_mode=TurnMode.ORDERED, next_participant__writer=user)
    free_awaiting = Q(turn_mode=TurnMode.FREE) & (
        Q(last_poster__isnull=True) | ~Q(last_poster__writer=user)
    )
    here = (
        Thread.objects.filter(pk__in=mine.values("thread_id"), status=Status.ACTIVE)
        .exclude(pk__in=muted)
        .filter(ordered_mine | free_awaiting)
    )
    elsewhere = TrackedThread.objects.filter(writer=user, turn=Turn.MINE, archived_at__isnull=True)
    counts = User.objects.filter(pk=user.pk).values_list(
        Coalesce(_counted(here), 0), Coalesce(_counted(elsewhere), 0)
    )
    return sum(counts.first() or (0, 0))


def thread_posts(thread: Thread) -> QuerySet[Post]:
    return thread.posts.select_related("muse", "author", "icon").order_by("number")


def first_unread_number(thread: Thread, state: ThreadWriterState | None) -> int | None:
    """The first post a writer has not had on screen, if any (None for strangers)."""
    if state is None or state.last_read_number >= thread.post_count:
        return None
    return state.last_read_number + 1


def thread_ooc(thread: Thread):
    return thread.ooc_messages.select_related("author").order_by("created_at", "pk")


def thread_participants(thread: Thread) -> list[Participant]:
    return list(_active_participants().filter(thread=thread).order_by("position", "pk"))


def thread_pending_invitations(thread: Thread) -> QuerySet[Invitation]:
    return thread.invitations.filter(status=InvitationStatus.PENDING).select_related("invitee")


def writer_muses_in_thread(thread: Thread, user: User) -> list[Muse]:
    if not user.is_authenticated:
        return []
    return [p.muse for p in _active_participants().filter(thread=thread, writer=user)]


def writer_state(thread: Thread, user: User) -> ThreadWriterState | None:
    if not user.is_authenticated:
        return None
    return ThreadWriterState.objects.filter(thread=thread, writer=user).first()


def public_threads(*, limit: int = 50) -> QuerySet[Thread]:
    return (
        Thread.objects.filter(visibility=Visibility.PUBLIC)
        .exclude(thread_is_hidden())  # hidden by moderators
        .prefetch_related(
            Prefetch("participants", queryset=_active_participants(), to_attr="active"),
            Prefetch("tags", queryset=Tag.objects.order_by("category", "name")),
        )
        .order_by("-last_post_at", "-created_at")[:limit]
    )


def open_slot_thread_ids() -> QuerySet:
    """A subquery of the ids of threads with an open starter slot (a muse may still join),
    for the directory's "has open slot" filter. The starters app owns the rule; it is
    looked up lazily so threads does not import it, and without it no thread has a slot."""
    if not apps.is_installed("tandem.starters"):
        return Thread.objects.none().values("pk")
    starter = apps.get_model("starters", "Starter")
    # As the starters board lists them: open, with a slot left, on an active thread that
    # has its opening post (tandem.starters.selectors.board).
    return starter.objects.filter(
        closed_at__isnull=True,
        open_slots__gt=0,
        thread__status=Status.ACTIVE,
        thread__post_count__gt=0,
    ).values("thread_id")


#: Threads a page on a writer's or a muse's profile.
PROFILE_THREADS_PER_PAGE = 20


def _profile_threads(participations: QuerySet[Participant]) -> QuerySet[Thread]:
    """Public threads holding one of ``participations`` (active or left: a muse that left
    still wrote there), with ``words`` (the stored words of posts not removed) and ``cast`` (the
    active muses, placeholders and archived muses left out). Only PUBLIC ever: an unlisted
    thread is for those holding its link, a private one for its writers. A constant number
    of queries: the page, its count, the cast."""
    cast = _active_participants().filter(muse__is_placeholder=False, muse__archived_at__isnull=True)
    return (
        Thread.objects.filter(
            visibility=Visibility.PUBLIC, pk__in=participations.values("thread_id")
        )
        .exclude(thread_is_hidden())  # hidden by moderators
        # The stored total, kept in step by the post services (removed posts left out).
        .annotate(words=F("word_count"))
        .prefetch_related(Prefetch("participants", queryset=cast, to_attr="cast"))
        .order_by(F("last_post_at").desc(nulls_last=True), "-created_at", "-pk")
    )


def _for_viewer(threads: QuerySet[Thread], viewer: User | None) -> QuerySet[Thread]:
    # A thread shared with a writer hidden from the viewer by a block is not listed.
    return exclude_hidden_threads(threads, viewer) if has_blocks(viewer) else threads


def public_threads_of_muse(muse: Muse, viewer: User | None = None) -> QuerySet[Thread]:
    return _for_viewer(_profile_threads(Participant.objects.filter(muse=muse)), viewer)


def public_threads_of_writer(writer: User, viewer: User | None = None) -> QuerySet[Thread]:
    """Threads a writer wrote in with one of their own muses; a placeholder they hold for
    someone else's muse in an import does not make the thread theirs."""
    participations = Participant.objects.filter(writer=writer, muse__is_placeholder=False)
    return _for_viewer(_profile_threads(participations), viewer)


# ---------------------------------------------------------------------------- claims


def mark_claims(thread: Thread, posts: list[Post]) -> None:
    """Give each post held by an import's placeholder muse its pending claim (``post.claim``,
    None once declined or withdrawn), for the "imported by …, awaiting …" label."""
    if not any(post.muse.is_placeholder for post in posts):
        return
    claims = {
        claim.claim_participant_id: claim
        for claim in thread.invitations.filter(
            status=InvitationStatus.PENDING, claim_participant__isnull=False
        ).select_related("invitee")
    }
    for post in posts:
        post.claim = claims.get(post.participant_id)


#: How many of a claim's posts the invitation page lists (the count covers them all).
CLAIM_POSTS_LISTED = 50


def _opening(text: str, *, lines: int = 3, chars: int = 300) -> str:
    """The first few non-empty lines of a post, for a preview."""
    kept = [line for line in text.splitlines() if line.strip()][:lines]
    opening = "\n".join(kept)
    if len(opening) > chars:
        opening = opening[:chars].rstrip() + "…"
    elif len(kept) < len([line for line in text.splitlines() if line.strip()]):
        opening += " …"
    return opening


@dataclass
class InvitationPreview:
    """What a pending invitee may see of a private thread: its title, summary and first post,
    and for a claim the posts that would become their muse's. Nothing else."""

    first_post: Post | None
    claim_posts: list[tuple[int, str, bool]]  # (number, opening lines, removed)
    claim_count: int


def invitation_preview(invitation: Invitation) -> InvitationPreview:
    thread = invitation.thread
    first = thread.posts.filter(number=1, deleted_at__isnull=True).select_related("muse").first()
    claim_posts, claim_count = [], 0
    if invitation.claim_participant_id is not None:
        claimed = Post.objects.filter(participant_id=invitation.claim_participant_id).order_by(
            "number"
        )
        claim_count = claimed.count()
        claim_posts = [
            (post.number, "" if post.is_deleted else _opening(post.body), post.is_deleted)
            for post in claimed[:CLAIM_POSTS_LISTED]
        ]
    return InvitationPreview(first_post=first, claim_posts=claim_posts, claim_count=claim_count)


# ---- Invite suggestions (issue 10, item 13)
INVITE_SUGGESTIONS = 8
_SUGGESTION_CANDIDATES = 200


def invite_suggestions(thread: Thread, actor: User, typed: str) -> list[User]:
    """Writers the thread's owner might mean by ``typed``: closest names first, at most 8.

    Only writers who could be invited: active, not the owner, not already writing here or
    invited, and not hidden by a block from the owner or from any writer still in the
    thread (a block is never announced, so a blocked writer is simply never offered).
    """
    from difflib import SequenceMatcher

    from tandem.blocks.selectors import hidden_writer_ids

    typed = typed.strip().lstrip("@").lower()[:150]
    if len(typed) < 2:
        return []
    writer_ids = {thread.owner_id, actor.pk} | set(
        thread.participants.filter(left_at__isnull=True).values_list("writer_id", flat=True)
    )
    candidates = (
        User.objects.filter(is_active=True)
        .filter(
            Q(username__istartswith=typed[:1])
            | Q(username__icontains=typed)
            | Q(display_name__icontains=typed)
        )
        .exclude(pk__in=writer_ids)
        .exclude(
            pk__in=thread.invitations.filter(status=InvitationStatus.PENDING).values("invitee_id")
        )
    )
    for writer_id in writer_ids:
        candidates = candidates.exclude(pk__in=hidden_writer_ids(writer_id))
    found = list(candidates.order_by("username")[:_SUGGESTION_CANDIDATES])

    def closeness(user: User) -> tuple:
        name = user.username.lower()
        return (
            not name.startswith(typed),
            -SequenceMatcher(None, typed, name).ratio(),
            name,
        )

    return sorted(found, key=closeness)[:INVITE_SUGGESTIONS]


def post_revisions_for(*, post: Post, reader: User) -> list[PostRevision]:
    """A post's saved versions, newest first, for one of the thread's writers: a removed
    post's (or one moderators hid) only for its own writer. Refused with PermissionDenied;
    none saved (a removed post from an export without its text) is Http404. The revisions
    page and the API both ask here."""
    if not is_writer(post.thread, reader):
        raise PermissionDenied("Only the thread's writers can see earlier versions of a post.")
    if post.is_deleted and post.author_id != reader.pk:
        raise PermissionDenied("This post was removed.")
    if is_hidden_post(post) and post.author_id != reader.pk:
        raise PermissionDenied("This post was removed by moderators.")
    revisions = list(post.revisions.order_by("-number"))
    if not revisions:
        raise Http404("This post has no saved versions.")
    return revisions
