"""A writer's own side of a thread: queue flags and reminders, read position, OOC talk."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError

from tandem.accounts.models import User
from tandem.moderation.selectors import check_not_suspended
from tandem.threads.events import ThreadEvent, emit
from tandem.threads.models import (
    OocMessage,
    Thread,
    ThreadWriterState,
)
from tandem.writing import markup


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


def read_position_advance(
    *,
    thread: Thread,
    writer: User,
    number: int,
    state: ThreadWriterState | None = None,
) -> None:
    """Remember that a writer has read up to post ``number`` (never moves backwards).

    ``state``: the writer's state in the thread, when the caller has just read it (a page
    read again then costs no query)."""
    if not writer.is_authenticated or number <= 0:
        return
    if state is None:
        state, _ = ThreadWriterState.objects.get_or_create(thread=thread, writer=writer)
    if number > state.last_read_number:
        ThreadWriterState.objects.filter(pk=state.pk, last_read_number__lt=number).update(
            last_read_number=number
        )


OOC_MAX_CHARS = 10_000


def ooc_post(*, thread: Thread, writer: User, body: str) -> OocMessage:
    """Out-of-character talk: any writer in the thread, never a turn."""
    check_not_suspended(writer)
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
