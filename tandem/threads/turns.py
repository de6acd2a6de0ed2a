"""The turn model, as pure functions over the turn-event log.

A thread's turn state is a fold over its events in the order they happened:

* ``join``    — the muse goes to the end of the posting order; whoever holds the turn
  keeps it, unless the turn had come back round to the muse that wrote the latest post (an
  opening post written before anybody else joined, say): then the newcomer replies next;
* ``post``    — the next muse is the one after the poster (wrapping);
* ``skip``    — the skipped muse's turn passes to the one after it;
* ``leave`` / ``remove`` — the muse leaves the order, which closes up; if it was their
  turn, it passes to the muse that followed them;
* ``reorder`` — a new posting order; whoever's turn it was keeps it.

Until the first post or skip, the turn belongs to the first muse in the order.
The services apply one event at a time to the cached state; a full replay of the log
must always give the same result (the tests check this).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime


@dataclass(frozen=True)
class Event:
    kind: str
    participant_id: int | None
    at: datetime
    order: tuple[int, ...] | None = None


@dataclass(frozen=True)
class TurnState:
    order: tuple[int, ...] = ()
    next_id: int | None = None
    last_poster_id: int | None = None
    started: bool = False
    since: datetime | None = None
    post_count: int = field(default=0)


class TurnError(ValueError):
    """An event that makes no sense in the current state (e.g. a stranger posting)."""


def _after(order: tuple[int, ...], participant_id: int) -> int:
    index = order.index(participant_id)
    return order[(index + 1) % len(order)]


def apply(state: TurnState, event: Event) -> TurnState:
    order = state.order
    kind, who = event.kind, event.participant_id

    if kind == "join":
        if who in order:
            raise TurnError("already in the posting order")
        order = (*order, who)
        next_id = state.next_id
        if not state.started or next_id is None:
            next_id = order[0]
        elif next_id == state.last_poster_id:
            # Nobody should have to answer their own post when a newcomer can.
            next_id = who
        since = state.since if next_id == state.next_id else event.at
        return replace(state, order=order, next_id=next_id, since=since)

    if kind in ("post", "skip"):
        if who not in order:
            raise TurnError("not in the posting order")
        new = replace(state, next_id=_after(order, who), started=True, since=event.at)
        if kind == "post":
            new = replace(new, last_poster_id=who, post_count=state.post_count + 1)
        return new

    if kind in ("leave", "remove"):
        if who not in order:
            raise TurnError("not in the posting order")
        index = order.index(who)
        order = tuple(p for p in order if p != who)
        if not order:
            next_id = None
        elif not state.started:
            next_id = order[0]
        elif state.next_id == who:
            next_id = order[index % len(order)]
        else:
            next_id = state.next_id
        since = state.since if next_id == state.next_id else event.at
        return replace(state, order=order, next_id=next_id, since=since)

    if kind == "reorder":
        new_order = tuple(event.order or ())
        if sorted(new_order) != sorted(order):
            raise TurnError("a new order must list the same participants")
        next_id = new_order[0] if (not state.started and new_order) else state.next_id
        since = state.since if next_id == state.next_id else event.at
        return replace(state, order=new_order, next_id=next_id, since=since)

    raise TurnError(f"unknown turn event {kind!r}")


def replay(events: Iterable[Event], *, created_at: datetime | None = None) -> TurnState:
    state = TurnState(since=created_at)
    for event in events:
        state = apply(state, event)
    return state


def awaited_writer_ids(
    *,
    ordered: bool,
    next_writer_id: int | None,
    last_poster_writer_id: int | None,
    active_writer_ids: Iterable[int],
) -> set[int]:
    """The writers whose move it is: in ordered mode the next muse's writer; in free mode
    everyone except whoever posted last."""
    if ordered:
        return {next_writer_id} if next_writer_id is not None else set()
    return {w for w in active_writer_ids if w != last_poster_writer_id}
