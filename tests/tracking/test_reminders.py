"""Reminders for threads kept elsewhere: a nudge when the writer's turn there has waited,
a date in their calendar, a count in the navigation badge."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from tandem.feeds.models import FeedKind
from tandem.feeds.selectors import feed_token
from tandem.notifications import reminders
from tandem.notifications.models import Kind, Notification
from tandem.threads.selectors import your_turn_count
from tandem.tracking import selectors, services
from tandem.tracking.models import TrackedThread
from tests.feeds.conftest import calendar_events
from tests.notifications.test_reminders import set_default_days as usual_days

pytestmark = pytest.mark.django_db(transaction=True)
DAY = timedelta(days=1)


def waited(tracked: TrackedThread, days: int) -> None:
    """``days`` days pass since the turn last flipped (the due date moves with it)."""
    before = timezone.now() - days * DAY
    TrackedThread.objects.filter(pk=tracked.pk).update(turn_since=before)
    tracked.refresh_from_db()
    if tracked.remind_at is not None:
        due = tracked.due_reminder(selectors.usual_reminder_days(tracked.writer))
        TrackedThread.objects.filter(pk=tracked.pk).update(remind_at=due)
        tracked.refresh_from_db()


def test_the_due_date_follows_the_turn_and_the_archive(writer):
    tracked = services.tracked_create(writer=writer, title="Ashes", remind_after_days=3)
    assert tracked.remind_at == tracked.turn_since + 3 * DAY
    services.tracked_set_turn(tracked=tracked, turn="theirs")
    tracked.refresh_from_db()
    assert tracked.remind_at is None  # their turn: nothing to nudge the writer about
    services.tracked_set_turn(tracked=tracked, turn="mine")
    tracked.refresh_from_db()
    assert tracked.remind_at == tracked.turn_since + 3 * DAY
    services.tracked_archive(tracked=tracked)
    tracked.refresh_from_db()
    assert tracked.remind_at is None
    services.tracked_archive(tracked=tracked, archived=False)
    services.tracked_update(tracked=tracked, remind_after_days=None)
    tracked.refresh_from_db()
    assert tracked.remind_at is None  # no reminder of its own and none usual


def test_without_its_own_days_the_writers_usual_reminder_applies(writer):
    usual_days(writer, 5)
    own = services.tracked_create(writer=writer, title="Own", remind_after_days=2)
    usual = services.tracked_create(writer=writer, title="Usual")
    assert usual.remind_at == usual.turn_since + 5 * DAY
    assert own.remind_at == own.turn_since + 2 * DAY
    waited(usual, 6)
    waited(own, 1)
    queue = selectors.elsewhere_queue(writer)
    assert {t.title: t.overdue for t in queue.your_turn} == {"Own": False, "Usual": True}
    # Changing the usual reminder moves the due dates of those without their own.
    usual_days(writer, None)
    usual.refresh_from_db()
    own.refresh_from_db()
    assert usual.remind_at is None and own.remind_at is not None
    assert not selectors.elsewhere_queue(writer).your_turn[1].overdue


def test_a_waiting_turn_elsewhere_is_nudged_once_when_due(writer, other):
    tracked = services.tracked_create(
        writer=writer,
        title="Ashes",
        url="https://www.example.tumblr.com/post/9",
        remind_after_days=3,
    )
    services.tracked_create(writer=other, title="Theirs", remind_after_days=3)
    assert reminders.enqueue_due_reminders() == 0  # not due yet
    waited(tracked, 4)
    assert reminders.enqueue_due_reminders() == 1
    assert reminders.enqueue_due_reminders() == 0  # claimed: not enqueued twice
    tracked.refresh_from_db()
    assert tracked.remind_at > timezone.now() + 2 * DAY  # the next nudge, 3 days on
    call_command("db_worker", batch=True, no_startup_delay=True, verbosity=0)
    nudge = Notification.objects.get(kind=Kind.REMINDER)
    assert nudge.recipient == writer and nudge.thread is None
    assert nudge.text == "“Ashes” on example.tumblr.com has waited 4 days for your reply."
    assert nudge.url == tracked.get_absolute_url()


def test_no_nudge_once_the_writer_replied_elsewhere(writer):
    tracked = services.tracked_create(writer=writer, title="Ashes", remind_after_days=1)
    waited(tracked, 2)
    assert reminders.enqueue_due_reminders() == 1
    # They replied on the other site before the worker got to it.
    services.tracked_set_turn(tracked=tracked, turn="theirs")
    call_command("db_worker", batch=True, no_startup_delay=True, verbosity=0)
    assert not Notification.objects.exists()
    assert reminders.send_tracked(tracked.pk) == "no longer their turn"
    assert reminders.send_tracked(10**9) == "gone"


def test_the_calendar_has_a_reminder_for_a_thread_kept_elsewhere(client, writer, other):
    tracked = services.tracked_create(
        writer=writer, title="Ashes", url="https://forum.example/t/9", remind_after_days=2
    )
    services.tracked_create(writer=writer, title="Theirs", turn="theirs", remind_after_days=2)
    services.tracked_create(writer=other, title="Not his", remind_after_days=2)
    url = reverse("calendar-feed", args=[feed_token(writer, FeedKind.CALENDAR)])
    (event,) = calendar_events(client.get(url))
    assert str(event["UID"]).startswith(f"reminder-elsewhere-{tracked.pk}-{writer.pk}@")
    assert str(event["SUMMARY"]) == "Your turn in “Ashes” on forum.example (reminder)"
    assert str(event["URL"]) == "https://forum.example/t/9"
    assert event.decoded("DTSTART") == tracked.remind_at.replace(microsecond=0)
    services.tracked_set_turn(tracked=tracked, turn="theirs")
    assert calendar_events(client.get(url)) == []


def test_the_navigation_badge_counts_turns_kept_elsewhere(client_for, writer):
    services.tracked_create(writer=writer, title="Mine")
    services.tracked_create(writer=writer, title="Theirs", turn="theirs")
    services.tracked_archive(tracked=services.tracked_create(writer=writer, title="Old"))
    assert your_turn_count(writer) == 1
    page = client_for(writer).get(reverse("tracked-list"))
    assert page.context["nav_your_turn"] == 1


def test_the_reminder_pass_reads_the_writers_settings_once(make_writer):
    """Many writers' threads due at once: their usual reminders come in one query, and each
    thread's next nudge follows its own writer's setting."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    due = []
    for n, days in enumerate((2, 5, None, 4)):
        writer = make_writer(f"batch{n}")
        if days is not None:
            usual_days(writer, days)
        tracked = services.tracked_create(writer=writer, title=f"Thread {n}")
        if tracked.remind_at is None:
            tracked = services.tracked_update(tracked=tracked, remind_after_days=1)
        waited(tracked, 9)
        due.append((tracked, days or 1))
    with CaptureQueriesContext(connection) as queries:
        assert reminders._enqueue_due_tracked(timezone.now()) == 4
    settings_reads = [q for q in queries if "notificationsettings" in q["sql"].lower()]
    assert len(settings_reads) == 1
    for tracked, days in due:
        tracked.refresh_from_db()
        assert timezone.now() + (days - 1) * DAY < tracked.remind_at <= timezone.now() + days * DAY
