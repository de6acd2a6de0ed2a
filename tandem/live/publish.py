"""Thread events to open pages, through the channel layer.

``handle_event`` is one of the handlers in ``tandem.threads.events.HANDLERS``: it runs once
the transaction that caused the event has committed. It never raises: a broker that is
down costs a log line, never a writer's post.

Messages say *what* changed, not how it looks: a page that hears ``{"type": "post",
"number": 7}`` fetches post 7 over HTTP (``/t/<id>/posts/7/fragment/``). The post's HTML
differs per reader — the author's Edit/Remove controls with their CSRF token, times in the
reader's own time zone, the page's CSP nonce — and the fetch re-checks that the reader may
still see the thread. So nothing rendered for one reader ever reaches another.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from tandem.live.groups import ooc_group, thread_group, writer_group
from tandem.threads.events import ThreadEvent

logger = logging.getLogger("tandem.live")

# How long the writer's request may wait on the broker before giving up on live updates.
SEND_TIMEOUT = 2.0
PAUSE_AFTER_TIMEOUT = 30.0
_paused_until = 0.0

Message = tuple[str, dict]


def handle_event(event: ThreadEvent) -> None:
    global _paused_until
    if time.monotonic() < _paused_until:
        return
    try:
        messages = list(messages_for(event))
        if messages:
            send(messages)
    except Exception as error:
        reason = str(error) or type(error).__name__
        if "timeout" in type(error).__name__.lower():
            # An unreachable (not refusing) broker would cost every writer SEND_TIMEOUT per
            # event: stop trying for a while.
            _paused_until = time.monotonic() + PAUSE_AFTER_TIMEOUT
            reason += f"; live updates paused for {PAUSE_AFTER_TIMEOUT:.0f} s"
        logger.warning("live update for %s not sent: %s", event.kind, reason)


def messages_for(event: ThreadEvent) -> Iterable[Message]:
    """The (group, message) pairs an event becomes."""
    from tandem.threads.models import Invitation, Participant, Post

    now = time.time()
    group = thread_group(event.thread_id)
    kind = event.kind
    if kind in ("post_created", "post_changed"):
        number = Post.objects.filter(pk=event.post_id).values_list("number", flat=True).first()
        if number is not None:
            op = "created" if kind == "post_created" else "changed"
            yield group, {"type": "post", "op": op, "number": number, "committed_at": now}
        if kind == "post_created":
            # After the post's own turn change: the counts carry both (the poster's "your
            # turn" settled, the others' news, in a free thread too where the turn may stay).
            yield from queue_messages(_active_writer_ids(event.thread_id))
    elif kind in ("turn_changed", "status_changed"):
        yield group, {"type": "turn", "committed_at": now}
        if event.data.get("cause") != "post":  # post_created sends the counts
            yield from queue_messages(_active_writer_ids(event.thread_id))
    elif kind == "order_changed":
        # A muse joined, left or was removed, or the order changed: the people and the turn
        # box come in the same fragment.
        yield group, {"type": "turn", "committed_at": now}
    elif kind == "participant_left":
        yield group, {"type": "turn", "committed_at": now}
        yield group, {"type": "access"}
        # OOC talk is for writers: one who left stops hearing of it, even on a public thread.
        yield ooc_group(event.thread_id), {"type": "access"}
        left = Participant.objects.filter(pk=event.participant_id)
        yield from queue_messages(left.values_list("writer_id", flat=True))
    elif kind == "visibility_changed":
        # Made private: anonymous readers and strangers must go (each socket re-checks).
        yield group, {"type": "access"}
    elif kind in ("invited", "invitation_withdrawn"):
        if kind == "invitation_withdrawn":
            yield group, {"type": "access"}
        invitation = Invitation.objects.filter(pk=event.invitation_id)
        yield from queue_messages(invitation.values_list("invitee_id", flat=True))
    elif kind == "invitation_answered":
        if event.participant_id:  # accepted: a new muse in the thread
            yield group, {"type": "turn", "committed_at": now}
        else:  # declined: a private thread is no longer theirs to read
            yield group, {"type": "access"}
        if event.actor_id:
            yield from queue_messages([event.actor_id])
    elif kind == "ooc_posted" and event.ooc_id:
        # Only the writers' group: readers of the story never hear that OOC talk happened.
        yield ooc_group(event.thread_id), {"type": "ooc", "op": "created", "id": event.ooc_id}
        yield from queue_messages(_writer_ids(event.thread_id, excluding=event.actor_id))
    elif kind == "notifications_read" and event.actor_id:
        yield from queue_messages([event.actor_id])  # the bell on the writer's other pages


def _active_writer_ids(thread_id: int) -> list[int]:
    from tandem.threads.models import Participant

    return list(
        Participant.objects.filter(thread_id=thread_id, left_at__isnull=True)
        .values_list("writer_id", flat=True)
        .distinct()
    )


def _writer_ids(thread_id: int, *, excluding: int | None) -> list[int]:
    """The thread's writers (its owner and current participants) but one."""
    from tandem.threads.models import Thread

    owner = Thread.objects.filter(pk=thread_id).values_list("owner_id", flat=True).first()
    ids = {*_active_writer_ids(thread_id), owner} - {None, excluding}
    return sorted(ids)


def queue_message(writer) -> dict:
    """A writer's fresh counts: threads waiting on them (the queue badge and home page) and
    unread notifications (the bell)."""
    from tandem.notifications.selectors import unread_count
    from tandem.threads.selectors import your_turn_count

    return {"type": "queue", "your_turn": your_turn_count(writer), "unread": unread_count(writer)}


def queue_messages(writer_ids: Iterable[int]) -> Iterable[Message]:
    from tandem.accounts.models import User

    for writer in User.objects.filter(pk__in=list(writer_ids)):
        yield writer_group(writer.pk), queue_message(writer)


def send(messages: list[Message]) -> None:
    """Send (group, message) pairs; raises if the channel layer cannot take them in time."""
    layer = get_channel_layer()
    if layer is None:
        return

    async def send_all() -> None:
        for group, message in messages:
            await layer.group_send(group, message)

    async def bounded() -> None:
        await asyncio.wait_for(send_all(), timeout=SEND_TIMEOUT)

    # Called from a sync view (Django runs those in a worker thread): the sends run on the
    # server's event loop, where the consumers and the layer's connections live.
    async_to_sync(bounded)()
