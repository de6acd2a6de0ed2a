"""Nudges for turns that have waited a while.

While a turn is a writer's, ``ThreadWriterState.remind_at`` holds when to nudge them (set
when the turn comes to them, cleared when it moves on), so finding what is due is one
indexed query however many threads there are. Threads kept elsewhere
(``tracking.TrackedThread.remind_at``) are nudged the same way.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from tandem.accounts.models import User
from tandem.notifications.models import Kind, NotificationSettings
from tandem.threads.models import Status, Thread, ThreadWriterState


def _days_for(state: ThreadWriterState | None, prefs: NotificationSettings | None) -> int | None:
    if state is not None and state.remind_after_days:
        return state.remind_after_days
    return prefs.reminder_days if prefs is not None else None


def reschedule(thread: Thread, awaited_writers: list[User]) -> None:
    """The turn moved: due dates for the writers now awaited, none for everyone else."""
    ThreadWriterState.objects.filter(thread=thread).exclude(
        writer__in=[w.pk for w in awaited_writers]
    ).exclude(remind_at=None).update(remind_at=None)
    if thread.status != Status.ACTIVE or thread.turn_since is None:
        return
    prefs = {
        p.writer_id: p for p in NotificationSettings.objects.filter(writer__in=awaited_writers)
    }
    for writer in awaited_writers:
        state = ThreadWriterState.objects.filter(thread=thread, writer=writer).first()
        days = _days_for(state, prefs.get(writer.pk))
        if not days:
            continue
        if state is None:
            state = ThreadWriterState.objects.create(thread=thread, writer=writer)
        state.remind_at = thread.turn_since + timedelta(days=days)
        state.save(update_fields=["remind_at"])


def enqueue_due_reminders() -> int:
    from tandem.notifications.tasks import send_reminder

    now = timezone.now()
    count = 0
    for state in ThreadWriterState.objects.filter(remind_at__lte=now).select_related("writer"):
        prefs = NotificationSettings.objects.filter(writer=state.writer).first()
        days = _days_for(state, prefs) or 1
        # Claim the reminder by moving its due date; another scheduler run that read the
        # same row updates nothing and enqueues nothing.
        claimed = ThreadWriterState.objects.filter(pk=state.pk, remind_at=state.remind_at).update(
            remind_at=now + timedelta(days=days)
        )
        if claimed:
            send_reminder.enqueue(state.pk)
            count += 1
    return count + _enqueue_due_tracked(now)


def _enqueue_due_tracked(now) -> int:
    from tandem.notifications.tasks import send_tracked_reminder
    from tandem.tracking.models import TrackedThread
    from tandem.tracking.selectors import usual_reminder_days_of

    due = list(TrackedThread.objects.filter(remind_at__lte=now))
    usual = usual_reminder_days_of(tracked.writer_id for tracked in due)  # one query for all
    count = 0
    for tracked in due:
        days = tracked.reminder_days(usual.get(tracked.writer_id)) or 1
        # Claimed as above: the next nudge, if the turn is still theirs, comes ``days`` later.
        claimed = TrackedThread.objects.filter(pk=tracked.pk, remind_at=tracked.remind_at).update(
            remind_at=now + timedelta(days=days)
        )
        if claimed:
            send_tracked_reminder.enqueue(tracked.pk)
            count += 1
    return count


def send_tracked(tracked_id: int) -> str:
    """Nudge a writer about a thread they keep on another site."""
    from tandem.notifications.services import notify
    from tandem.tracking.models import TrackedThread

    tracked = TrackedThread.objects.select_related("writer").filter(pk=tracked_id).first()
    if tracked is None:
        return "gone"
    if not tracked.is_my_turn or tracked.is_archived:
        return "no longer their turn"
    waited = (timezone.now() - tracked.turn_since).days
    where = f" on {tracked.site}" if tracked.site else ""
    notify(
        recipient=tracked.writer,
        kind=Kind.REMINDER,
        thread=None,
        actor=None,
        text=f"“{tracked.title}”{where} has waited {waited} day{'s' if waited != 1 else ''} "
        "for your reply.",
        url=tracked.get_absolute_url(),
    )
    return "sent"


def send(state_id: int) -> str:
    from tandem.notifications.services import notify
    from tandem.threads.selectors import awaited_participants

    state = ThreadWriterState.objects.select_related("thread", "writer").filter(pk=state_id).first()
    if state is None:
        return "gone"
    thread = state.thread
    active = list(thread.participants.filter(left_at__isnull=True).select_related("muse", "writer"))
    mine = [p for p in awaited_participants(thread, active) if p.writer_id == state.writer_id]
    if not mine:
        return "no longer their turn"
    waited = (timezone.now() - thread.turn_since).days if thread.turn_since else 0
    notify(
        recipient=state.writer,
        kind=Kind.REMINDER,
        thread=thread,
        actor=None,
        text=f"“{thread.title}” has waited {waited} day{'s' if waited != 1 else ''} for {mine[0].muse.name}.",
        url=thread.get_absolute_url() + "?page=last#reply",
    )
    return "sent"
