"""The turn log and the turn state cached on the thread: every write that moves a turn
goes through ``_record`` (or ``history_write`` for imported history), holding the thread lock.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.utils import timezone

from tandem.accounts.models import User
from tandem.threads import turns
from tandem.threads.events import ThreadEvent, emit
from tandem.threads.models import (
    Participant,
    Thread,
    TurnEvent,
    TurnEventKind,
)


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
    if after.order != before.order:
        # A muse joined, left or was removed, or the order changed: open pages show the new
        # people and order even when the turn itself stayed where it was.
        emit(
            ThreadEvent(
                "order_changed",
                thread.pk,
                actor_id=actor.pk if actor else None,
                participant_id=participant.pk if participant else None,
                data={"cause": kind},
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
