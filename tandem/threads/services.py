"""Every write on threads, participants, turns and posts.

Each public function is one operation: it checks permission and input, changes state in
one transaction and keeps the cached turn state on the thread in step with the turn log.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from tandem.accounts.models import User
from tandem.muses.models import Muse, MuseIcon
from tandem.threads import turns
from tandem.threads.events import ThreadEvent, emit
from tandem.threads.models import (
    Invitation,
    InvitationStatus,
    OocMessage,
    Participant,
    Post,
    PostRevision,
    Rating,
    Status,
    Tag,
    Thread,
    ThreadWriterState,
    TurnEvent,
    TurnEventKind,
    TurnMode,
    Visibility,
    Warning,
)
from tandem.threads.permissions import is_writer
from tandem.writing import markup
from tandem.writing.models import Draft
from tandem.writing.wordcount import count_words


class NotYourTurn(PermissionDenied):
    """An ordered thread refused a post from a muse whose turn it is not."""


class TurnTaken(NotYourTurn):
    """Somebody posted between the moment a writer loaded the page and their submit."""


# ---------------------------------------------------------------------------- turn state


def _lock(thread: Thread) -> Thread:
    """Re-read the thread, holding its row lock until the transaction ends."""
    return Thread.objects.select_for_update().get(pk=thread.pk)


def _active_order(thread: Thread) -> tuple[int, ...]:
    return tuple(
        # A muse that is joining has no position until its join event is recorded.
        thread.participants.filter(left_at__isnull=True, position__isnull=False)
        .order_by("position", "pk")
        .values_list("pk", flat=True)
    )


def cached_turn_state(thread: Thread) -> turns.TurnState:
    """The turn state as cached on the thread and its participants' positions."""
    started = thread.turn_events.filter(kind__in=[TurnEventKind.POST, TurnEventKind.SKIP]).exists()
    return turns.TurnState(
        order=_active_order(thread),
        next_id=thread.next_participant_id,
        last_poster_id=thread.last_poster_id,
        started=started,
        since=thread.turn_since,
        post_count=thread.post_count,
    )


def _store_turn_state(
    thread: Thread, state: turns.TurnState, *, positions_changed: bool, posted_at=None
) -> None:
    """Write a turn state to the cache on the thread and to the participants' positions."""
    if positions_changed:
        for position, participant_id in enumerate(state.order):
            Participant.objects.filter(pk=participant_id).exclude(position=position).update(
                position=position
            )
    thread.next_participant_id = state.next_id
    thread.last_poster_id = state.last_poster_id
    thread.turn_since = state.since
    thread.post_count = state.post_count
    update = ["next_participant", "last_poster", "turn_since", "post_count"]
    if posted_at is not None:
        thread.last_post_at = posted_at
        update.append("last_post_at")
    thread.save(update_fields=update)


def _record(
    thread: Thread,
    kind: str,
    *,
    participant: Participant | None = None,
    actor: User | None = None,
    order: Sequence[int] | None = None,
    at=None,
) -> turns.TurnState:
    """Append a turn event and update the cached state. The caller holds the thread lock."""
    at = at or timezone.now()
    before = cached_turn_state(thread)
    event = turns.Event(
        kind=kind,
        participant_id=participant.pk if participant else None,
        at=at,
        order=tuple(order) if order is not None else None,
    )
    try:
        after = turns.apply(before, event)
    except turns.TurnError as error:
        raise ValidationError(str(error)) from error
    TurnEvent.objects.create(
        thread=thread,
        kind=kind,
        participant=participant,
        actor=actor,
        order=list(order) if order is not None else None,
        created_at=at,
    )
    _store_turn_state(
        thread,
        after,
        positions_changed=after.order != before.order or kind == "join",
        posted_at=at if kind == "post" else None,
    )
    if (after.next_id, after.last_poster_id) != (before.next_id, before.last_poster_id):
        emit(
            ThreadEvent(
                "turn_changed",
                thread.pk,
                actor_id=actor.pk if actor else None,
                participant_id=after.next_id,
                data={"previous_next": before.next_id, "cause": kind},
            )
        )
    return after


def history_write(thread: Thread, events: Sequence[TurnEvent]) -> turns.TurnState:
    """Append a whole stretch of already-happened turn events (an import or a restore) at once.

    The caller holds the thread lock and has created the participants and posts the events
    refer to. The events are checked by folding them, written in one bulk insert, and the
    cached turn state and participant positions are set from the fold. Nothing is announced:
    history does not notify anybody.
    """
    state = cached_turn_state(thread)
    for event in events:
        try:
            state = turns.apply(
                state,
                turns.Event(
                    kind=event.kind,
                    participant_id=event.participant_id,
                    at=event.created_at,
                    order=tuple(event.order) if event.order is not None else None,
                ),
            )
        except turns.TurnError as error:
            raise ValidationError(f"The turn history does not add up: {error}.") from error
    TurnEvent.objects.bulk_create(events)
    posted = [e.created_at for e in events if e.kind == TurnEventKind.POST]
    _store_turn_state(
        thread, state, positions_changed=True, posted_at=max(posted) if posted else None
    )
    return state


def replayed_turn_state(thread: Thread) -> turns.TurnState:
    """The turn state recomputed from scratch from the event log."""
    events = [
        turns.Event(
            kind=e.kind,
            participant_id=e.participant_id,
            at=e.created_at,
            order=tuple(e.order) if e.order is not None else None,
        )
        for e in thread.turn_events.order_by("pk")
    ]
    return turns.replay(events, created_at=thread.created_at)


# ---------------------------------------------------------------------------- threads


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


# ---------------------------------------------------------------------------- people


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


@transaction.atomic
def invitation_decline(*, invitation: Invitation, writer: User) -> Invitation:
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    _check_pending(invitation, writer)
    invitation.status = InvitationStatus.DECLINED
    invitation.answered_at = timezone.now()
    invitation.save(update_fields=["status", "answered_at"])
    _claim_drop(invitation)
    emit(
        ThreadEvent(
            "invitation_answered",
            invitation.thread_id,
            actor_id=writer.pk,
            invitation_id=invitation.pk,
        )
    )
    return invitation


@transaction.atomic
def invitation_withdraw(*, invitation: Invitation, actor: User) -> Invitation:
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    _check_owner(invitation.thread, actor)
    if invitation.status == InvitationStatus.PENDING:
        invitation.status = InvitationStatus.WITHDRAWN
        invitation.answered_at = timezone.now()
        invitation.save(update_fields=["status", "answered_at"])
        _claim_drop(invitation)
        emit(
            ThreadEvent(
                "invitation_withdrawn",
                invitation.thread_id,
                actor_id=actor.pk,
                invitation_id=invitation.pk,
            )
        )
    return invitation


@transaction.atomic
def participant_add_muse(*, thread: Thread, writer: User, muse: Muse) -> Participant:
    """A writer already in the thread brings another of their muses."""
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


# ---------------------------------------------------------------------------- posts


def _clean_body(body: str) -> str:
    body = body.replace("\r\n", "\n").replace("\r", "\n")
    if not body.strip():
        raise ValidationError({"body": "A post needs some words."})
    limit = settings.TANDEM_POST_MAX_CHARS
    if len(body) > limit:
        raise ValidationError(
            {
                "body": f"This post is {len(body):,} characters; the limit is {limit:,}. "
                "Split it into two posts."
            }
        )
    return body.strip("\n")


def _rendered(body: str) -> tuple[str, int]:
    """The post's HTML and the number of words a reader sees in it."""
    html = markup.render_post(body)
    return html, count_words(html)


def _check_icon(icon: MuseIcon | None, muse: Muse) -> None:
    if icon is not None and icon.muse_id != muse.pk:
        raise ValidationError({"icon": f"That icon belongs to {icon.muse.name}, not {muse.name}."})


def _set_writing(thread: Thread, writer: User, value: bool) -> None:
    ThreadWriterState.objects.filter(thread=thread, writer=writer).update(is_writing=value)


def post_create(
    *,
    thread: Thread,
    writer: User,
    muse: Muse,
    body: str,
    seen_post_count: int | None = None,
    icon: MuseIcon | None = None,
    submission_key: str = "",
) -> Post:
    """Post as one of your muses. In ordered threads only the muse whose turn it is may post.

    ``seen_post_count`` is how many posts the writer saw when they started: if somebody
    posted since and the turn moved away, the refusal names who.

    ``submission_key`` is the reply form's one-time key: sending the same form again (a
    retry after a timeout or a crash, a double click) returns the post it already made,
    with no second post and no turn change. It is checked before the turn rules, since
    the first submission has moved the turn on.
    """
    submission_key = (submission_key or "").strip()
    if len(submission_key) > SUBMISSION_KEY_MAX:
        raise ValidationError("This reply form is damaged; reload the page and post again.")
    if submission_key and (done := _already_submitted(thread, writer, submission_key)):
        return done
    body = _clean_body(body)
    # Render before taking the thread lock: the renderer is linear but not free on long posts.
    html, words = _rendered(body)
    try:
        return _post_insert(
            thread=thread,
            writer=writer,
            muse=muse,
            body=body,
            html=html,
            words=words,
            seen_post_count=seen_post_count,
            icon=icon,
            submission_key=submission_key,
        )
    except IntegrityError:
        # Two identical submissions raced past the first check: the unique constraint let
        # one in, and this one answers with it.
        if submission_key and (done := _already_submitted(thread, writer, submission_key)):
            return done
        raise


SUBMISSION_KEY_MAX = 64


def _already_submitted(thread: Thread, writer: User, key: str) -> Post | None:
    post = Post.objects.filter(author=writer, submission_key=key).select_related("muse").first()
    if post is not None and post.thread_id != thread.pk:
        raise ValidationError("This reply form was used in another thread; reload the page.")
    return post


def _post_insert(
    *,
    thread: Thread,
    writer: User,
    muse: Muse,
    body: str,
    html: str,
    words: int,
    seen_post_count: int | None,
    icon: MuseIcon | None,
    submission_key: str,
) -> Post:
    with transaction.atomic():
        thread = _lock(thread)
        if submission_key and (done := _already_submitted(thread, writer, submission_key)):
            return done  # the twin submission committed while this one waited for the lock
        if muse.owner_id != writer.pk:
            raise PermissionDenied("You can only post as your own muses.")
        _check_not_placeholder(muse)
        _check_icon(icon, muse)
        participant = _active_participant(thread, muse)
        if participant is None:
            raise PermissionDenied(f"{muse.name} is not taking part in this thread.")
        if not thread.is_open_for_posts:
            raise ValidationError(
                f"This thread is {thread.get_status_display().lower()}; it takes no new posts."
            )
        if thread.is_ordered and thread.next_participant_id != participant.pk:
            next_muse = Muse.objects.get(participations__pk=thread.next_participant_id)
            if seen_post_count is not None and thread.post_count > seen_post_count:
                latest = thread.posts.select_related("muse").order_by("-number").first()
                raise TurnTaken(
                    f"{latest.muse.name} has just posted, so it is now {next_muse.name}'s turn. "
                    "Your text is kept below."
                )
            raise NotYourTurn(f"It is {next_muse.name}'s turn, not {muse.name}'s.")
        now = timezone.now()
        post = Post.objects.create(
            thread=thread,
            number=thread.post_count + 1,
            participant=participant,
            muse=muse,
            icon=icon,
            author=writer,
            body=body,
            body_html=html,
            renderer_version=markup.RENDERER_VERSION,
            word_count=words,
            created_at=now,
            submission_key=submission_key,
        )
        PostRevision.objects.create(
            post=post, number=1, body=body, word_count=words, created_at=now
        )
        _record(thread, TurnEventKind.POST, participant=participant, actor=writer, at=now)
        _set_writing(thread, writer, False)
        # The draft became the post.
        Draft.objects.filter(writer=writer, thread=thread).delete()
        emit(ThreadEvent("post_created", thread.pk, actor_id=writer.pk, post_id=post.pk))
        return post


def _check_author(post: Post, writer: User) -> None:
    if post.author_id != writer.pk:
        raise PermissionDenied("Only the post's writer can change it.")
    # A writer who left (or was removed) reads the thread like anyone outside it: their
    # posts stay as they were when they left.
    if not is_writer(post.thread, writer):
        raise PermissionDenied(
            "You are no longer writing in this thread, so your posts in it can no longer be "
            "edited, removed or restored."
        )


def post_edit(*, post: Post, writer: User, body: str) -> Post:
    """Change a post's text, keeping the previous text as a revision."""
    _check_author(post, writer)
    body = _clean_body(body)
    html, words = _rendered(body)
    with transaction.atomic():
        post = Post.objects.select_for_update().get(pk=post.pk)
        if post.is_deleted:
            raise ValidationError("Restore this post before editing it.")
        if body == post.body:
            return post
        now = timezone.now()
        post.body = body
        post.body_html, post.word_count = html, words
        post.renderer_version = markup.RENDERER_VERSION
        post.edited_at = now
        post.save(
            update_fields=["body", "body_html", "renderer_version", "word_count", "edited_at"]
        )
        last = post.revisions.order_by("-number").values_list("number", flat=True).first() or 0
        PostRevision.objects.create(
            post=post, number=last + 1, body=body, word_count=post.word_count, created_at=now
        )
        _post_changed(post, writer)
        return post


def post_restore_revision(*, post: Post, writer: User, number: int) -> Post:
    """Bring back an older version's text; it becomes the newest revision."""
    _check_author(post, writer)
    revision = post.revisions.filter(number=number).first()
    if revision is None:
        raise ValidationError(f"Post #{post.number} has no revision {number}.")
    return post_edit(post=post, writer=writer, body=revision.body)


def post_set_icon(*, post: Post, writer: User, icon: MuseIcon | None) -> Post:
    _check_author(post, writer)
    _check_icon(icon, post.muse)
    post.icon = icon
    post.save(update_fields=["icon"])
    return post


def _post_changed(post: Post, writer: User) -> None:
    emit(ThreadEvent("post_changed", post.thread_id, actor_id=writer.pk, post_id=post.pk))


def post_delete(*, post: Post, writer: User) -> Post:
    """Soft-delete: the post shows as removed and its writer may restore it for a while.
    Its turn stays taken."""
    _check_author(post, writer)
    if post.deleted_at is None:
        post.deleted_at = timezone.now()
        post.save(update_fields=["deleted_at"])
        _post_changed(post, writer)
    return post


def post_restore(*, post: Post, writer: User) -> Post:
    _check_author(post, writer)
    if post.deleted_at is None:
        return post
    if timezone.now() - post.deleted_at > timedelta(days=settings.TANDEM_RESTORE_DAYS):
        raise ValidationError(
            f"Posts can be restored for {settings.TANDEM_RESTORE_DAYS} days after removal."
        )
    if not post.body.strip():
        # A removed post restored from another writer's export or backup arrives without
        # its text (only its writer's own backup keeps it): there is nothing to bring back.
        raise ValidationError(
            f"Post #{post.number} came from an export without its text, so it cannot be restored."
        )
    post.deleted_at = None
    post.save(update_fields=["deleted_at"])
    _post_changed(post, writer)
    return post


# ---------------------------------------------------------------------------- queue flags


def writer_state_set(
    *,
    thread: Thread,
    writer: User,
    writing: bool | None = None,
    pinned: bool | None = None,
    muted: bool | None = None,
    remind_after_days: int | bool | None = False,
) -> ThreadWriterState:
    """Set a writer's own flags on a thread in their queue."""
    if not thread.participants.filter(writer=writer, left_at__isnull=True).exists():
        raise PermissionDenied("Only writers in this thread have it in their queue.")
    state, _ = ThreadWriterState.objects.get_or_create(thread=thread, writer=writer)
    changed = []
    for name, value in (("is_writing", writing), ("is_pinned", pinned), ("is_muted", muted)):
        if value is not None and getattr(state, name) != value:
            setattr(state, name, value)
            changed.append(name)
    # ``False`` leaves the reminder alone; ``None`` falls back to the writer's default.
    if remind_after_days is not False and state.remind_after_days != remind_after_days:
        if remind_after_days is not None and not 1 <= remind_after_days <= 365:
            raise ValidationError("Reminders can wait between 1 and 365 days.")
        state.remind_after_days = remind_after_days
        changed.append("remind_after_days")
        emit(ThreadEvent("reminder_changed", thread.pk, actor_id=writer.pk))
    if changed:
        state.save(update_fields=changed)
    return state


# ---------------------------------------------------------------------------- reading & OOC


def read_position_advance(*, thread: Thread, writer: User, number: int) -> None:
    """Remember that a writer has read up to post ``number`` (never moves backwards)."""
    if not writer.is_authenticated or number <= 0:
        return
    state, _ = ThreadWriterState.objects.get_or_create(thread=thread, writer=writer)
    if number > state.last_read_number:
        ThreadWriterState.objects.filter(pk=state.pk, last_read_number__lt=number).update(
            last_read_number=number
        )


OOC_MAX_CHARS = 10_000


def ooc_post(*, thread: Thread, writer: User, body: str) -> OocMessage:
    """Out-of-character talk: any writer in the thread, never a turn."""
    if not thread.participants.filter(writer=writer, left_at__isnull=True).exists():
        raise PermissionDenied("Only writers in this thread can talk out of character here.")
    body = body.replace("\r\n", "\n").strip()
    if not body:
        raise ValidationError({"body": "Write something first."})
    if len(body) > OOC_MAX_CHARS:
        raise ValidationError(
            {
                "body": f"OOC messages stop at {OOC_MAX_CHARS:,} characters; this one has {len(body):,}."
            }
        )
    message = OocMessage.objects.create(
        thread=thread, author=writer, body=body, body_html=markup.render_post(body)
    )
    emit(ThreadEvent("ooc_posted", thread.pk, actor_id=writer.pk, ooc_id=message.pk))
    return message
