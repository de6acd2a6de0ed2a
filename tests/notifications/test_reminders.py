"""Reminders: due dates follow the turn; the scheduler finds them with one query."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tandem.notifications import reminders, services
from tandem.notifications.models import Kind, Notification
from tandem.threads import services as threads
from tandem.threads.models import Thread, ThreadWriterState

pytestmark = pytest.mark.django_db(transaction=True)


def set_default_days(writer, days):
    services.preferences_update(
        writer=writer,
        channels={},
        daily_digest=False,
        quiet_hours_start=None,
        quiet_hours_end=None,
        reminder_days=days,
    )


def test_a_waiting_turn_is_nudged_once_it_is_due(writer_a, writer_b, coffee_cart, ivy, hale):
    set_default_days(writer_b, 3)
    threads.post_create(thread=coffee_cart, writer=writer_a, muse=ivy, body="your move")
    state = ThreadWriterState.objects.get(thread=coffee_cart, writer=writer_b)
    coffee_cart.refresh_from_db()
    assert state.remind_at == coffee_cart.turn_since + timedelta(days=3)
    assert reminders.enqueue_due_reminders() == 0  # not due yet
    # Four days pass.
    Thread.objects.filter(pk=coffee_cart.pk).update(turn_since=timezone.now() - timedelta(days=4))
    ThreadWriterState.objects.filter(pk=state.pk).update(
        remind_at=timezone.now() - timedelta(days=1)
    )
    assert reminders.enqueue_due_reminders() == 1
    assert reminders.enqueue_due_reminders() == 0  # claimed: not enqueued twice
    call_command("db_worker", batch=True, no_startup_delay=True, verbosity=0)
    nudge = Notification.objects.get(recipient=writer_b, kind=Kind.REMINDER)
    assert nudge.text == "“Coffee cart” has waited 4 days for Hale."
    # The turn moves on: no more nudges for bram.
    threads.post_create(thread=coffee_cart, writer=writer_b, muse=hale, body="here!")
    state.refresh_from_db()
    assert state.remind_at is None


def test_finding_due_reminders_is_one_query_per_kind(
    make_writer, make_muse, make_thread, writer_a, ivy
):
    for n in range(5):
        writer = make_writer(f"w{n}")
        thread = make_thread(writer, make_muse(writer))
        ThreadWriterState.objects.create(thread=thread, writer=writer, remind_at=None)
    with CaptureQueriesContext(connection) as queries:
        assert reminders.enqueue_due_reminders() == 0
    # One for threads here, one for threads kept elsewhere.
    assert len(queries) == 2
    assert all("remind_at" in query["sql"] for query in queries)


def test_per_thread_setting_overrides_the_default(as_bram, writer_a, writer_b, coffee_cart, ivy):
    set_default_days(writer_b, 10)
    response = as_bram.post(reverse("thread-reminder", args=[coffee_cart.public_id]), {"days": "2"})
    assert response.status_code == 302
    threads.post_create(thread=coffee_cart, writer=writer_a, muse=ivy, body="go")
    coffee_cart.refresh_from_db()
    state = ThreadWriterState.objects.get(thread=coffee_cart, writer=writer_b)
    assert state.remind_after_days == 2
    assert state.remind_at == coffee_cart.turn_since + timedelta(days=2)


def test_nonsense_reminder_days_get_a_message(as_bram, coffee_cart, writer_b):
    response = as_bram.post(
        reverse("thread-reminder", args=[coffee_cart.public_id]), {"days": "9999"}, follow=True
    )
    assert "between 1 and 365 days" in response.content.decode()
