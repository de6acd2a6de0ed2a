"""What happened in a thread, announced once the transaction that did it has committed.

Services call ``emit`` inside their transaction; nothing is delivered if it rolls back.
Each handler (live updates, notifications) gets every event and decides for itself; one
failing handler never stops the others, and never fails the write that caused the event.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils.module_loading import import_string

logger = logging.getLogger("tandem.events")

# Dotted paths, so handlers live in their own apps and this module imports none of them.
# Notifications first, so the live queue message carries the fresh unread count.
HANDLERS = [
    "tandem.notifications.services.handle_event",
    "tandem.live.publish.handle_event",
    # New posts for followers (enqueues a task; never runs in the post's transaction).
    "tandem.follows.services.handle_event",
]


@dataclass(frozen=True)
class ThreadEvent:
    kind: str  # post_created, post_changed, turn_changed, invited, invitation_answered,
    # invitation_withdrawn, participant_left, status_changed, visibility_changed, ooc_posted,
    # order_changed (a muse joined or left, or the posting order changed), reminder_changed,
    # notifications_read (a writer's notifications about the thread were read)
    thread_id: int
    actor_id: int | None = None
    post_id: int | None = None
    participant_id: int | None = None
    invitation_id: int | None = None
    ooc_id: int | None = None
    data: dict[str, Any] = field(default_factory=dict)


def deliver(event: ThreadEvent) -> None:
    for path in HANDLERS:
        try:
            handler = import_string(path)
        except ImportError:
            continue
        try:
            handler(event)
        except Exception:
            # A notification or live update must never undo or fail a writer's action.
            logger.exception("event handler %s failed for %s", path, event.kind)


def emit(event: ThreadEvent) -> None:
    transaction.on_commit(lambda: deliver(event))
