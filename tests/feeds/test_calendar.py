"""A writer's calendar: an event when a reminder falls due, a day when a thread goes dormant."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db.models import F
from django.urls import reverse

from tandem.feeds import selectors
from tandem.feeds.models import FeedKind
from tandem.feeds.selectors import feed_token
from tandem.notifications.models import NotificationSettings
from tandem.threads import services as threads
from tandem.threads.models import Thread, ThreadWriterState
from tests.feeds.conftest import calendar_events

pytestmark = pytest.mark.django_db
WEEK = timedelta(days=7)


def calendar_url(writer) -> str:
    return reverse("calendar-feed", args=[feed_token(writer, FeedKind.CALENDAR)])


def events(client, writer) -> dict[str, object]:
    """The writer's events by UID."""
    return {str(event["UID"]): event for event in calendar_events(client.get(calendar_url(writer)))}


def remind_after(writer, days: int) -> None:
    """The writer's default: nudge me after ``days`` days of waiting."""
    NotificationSettings.objects.update_or_create(writer=writer, defaults={"reminder_days": days})


@pytest.fixture
def post(django_capture_on_commit_callbacks):
    """Post as a writer, with the after-commit work done (reminders are rescheduled there)."""

    def make(thread, writer, muse, body="Your move."):
        with django_capture_on_commit_callbacks(execute=True):
            made = threads.post_create(thread=thread, writer=writer, muse=muse, body=body)
        thread.refresh_from_db()
        return made

    return make


def test_a_reminder_and_a_dormant_day_for_a_thread_waiting_on_the_writer(
    client, post, writer_a, writer_b, ivy, coffee_cart, settings
):
    settings.TANDEM_SITE_URL = "https://tandem.example:8443/"  # UIDs name the site's host
    remind_after(writer_b, 3)
    post(coffee_cart, writer_a, ivy, body="SECRET-WORDS")
    # The last post was on 1 March at 20:00 UTC: the thread goes dormant 30 days later, on
    # 31 March in London but already on 1 April in Auckland, where bram lives.
    last = datetime(2026, 3, 1, 20, 0, tzinfo=UTC)
    Thread.objects.filter(pk=coffee_cart.pk).update(last_post_at=last)
    type(writer_b).objects.filter(pk=writer_b.pk).update(time_zone="Pacific/Auckland")
    response = client.get(calendar_url(writer_b))
    found = {str(e["UID"]): e for e in calendar_events(response)}
    assert "SECRET-WORDS" not in response.content.decode()

    uid = f"reminder-{coffee_cart.public_id}-{writer_b.pk}@tandem.example"
    reminder = found.pop(uid)
    due = (coffee_cart.turn_since + timedelta(days=3)).replace(microsecond=0)
    assert reminder.decoded("DTSTART") == due
    assert reminder.decoded("DTEND") == due + timedelta(minutes=15)
    assert str(reminder["SUMMARY"]) == "Your turn in “Coffee cart” (reminder)"
    reply = "http://testserver" + coffee_cart.get_absolute_url() + "?page=last#reply"
    assert str(reminder["URL"]) == reply
    assert [str(alarm["ACTION"]) for alarm in reminder.walk("VALARM")] == ["DISPLAY"]

    (dormant,) = found.values()
    assert str(dormant["UID"]) == f"dormant-{coffee_cart.public_id}-{writer_b.pk}@tandem.example"
    assert dormant.decoded("DTSTART") == datetime(2026, 4, 1).date()
    assert str(dormant["SUMMARY"]) == "“Coffee cart” goes dormant"
    assert str(dormant["URL"]) == reply


def test_uids_stay_when_the_dates_move(client, post, writer_a, writer_b, ivy, hale, coffee_cart):
    remind_after(writer_b, 2)
    post(coffee_cart, writer_a, ivy)
    # A week earlier, as far as the reminder knows.
    ThreadWriterState.objects.filter(writer=writer_b).update(remind_at=F("remind_at") - WEEK)
    before = events(client, writer_b)
    assert events(client, writer_b).keys() == before.keys()  # asked again: the same
    post(coffee_cart, writer_b, hale)
    after_reply = events(client, writer_b)
    # bram answered: no reminder until the turn is his again; the dormant day moved on.
    assert {uid.split("-")[0] for uid in after_reply} == {"dormant"}
    post(coffee_cart, writer_a, ivy)
    again = events(client, writer_b)
    assert again.keys() == before.keys()
    reminder = next(uid for uid in again if uid.startswith("reminder-"))
    assert again[reminder].decoded("DTSTART") > before[reminder].decoded("DTSTART")


def test_only_the_writers_active_unmuted_threads_count(
    client, post, make_thread, join, writer_a, writer_b, ivy, hale, make_muse, coffee_cart
):
    remind_after(writer_b, 1)
    post(coffee_cart, writer_a, ivy)
    assert len(events(client, writer_b)) == 2

    threads.writer_state_set(thread=coffee_cart, writer=writer_b, muted=True)
    assert events(client, writer_b) == {}
    threads.writer_state_set(thread=coffee_cart, writer=writer_b, muted=False)

    Thread.objects.filter(pk=coffee_cart.pk).update(status="complete")
    assert events(client, writer_b) == {}
    Thread.objects.filter(pk=coffee_cart.pk).update(status="active")

    row = coffee_cart.participants.get(writer=writer_b)
    threads.participant_leave(participant=row, actor=writer_b)
    # Even a due date left behind in the database is not his any more.
    ThreadWriterState.objects.filter(thread=coffee_cart, writer=writer_b).update(
        remind_at=datetime(2030, 1, 1, tzinfo=UTC)
    )
    assert events(client, writer_b) == {}
    # Alice's own threads are in her calendar, not in his.
    make_thread(writer_a, ivy, title="Alone")
    assert all(uid.startswith("dormant-") for uid in events(client, writer_a))
    assert len(events(client, writer_a)) == 2


def test_each_kind_of_event_is_capped(
    client, post, make_thread, join, writer_a, writer_b, ivy, hale, monkeypatch
):
    remind_after(writer_b, 1)
    for title in ("One", "Two", "Three"):
        thread = make_thread(writer_a, ivy, title=title)
        join(thread, hale)
        post(thread, writer_a, ivy)
    assert len(events(client, writer_b)) == 6
    monkeypatch.setattr(selectors, "CALENDAR_LENGTH", 2)
    kinds = [uid.split("-")[0] for uid in events(client, writer_b)]
    assert sorted(kinds) == ["dormant", "dormant", "reminder", "reminder"]


def test_the_calendar_answers_only_its_own_token(client, writer_b):
    assert client.get(calendar_url(writer_b)).status_code == 200
    turns = feed_token(writer_b, FeedKind.TURNS)
    for token in (turns, "not-a-token", turns.rsplit(".", 1)[0]):
        assert client.get(reverse("calendar-feed", args=[token])).status_code == 404
    response = client.get(calendar_url(writer_b))
    assert response["Cache-Control"] == "private, max-age=300"
    assert client.post(calendar_url(writer_b)).status_code == 405


def test_control_characters_in_a_title_are_dropped(client, make_thread, writer_a, ivy):
    make_thread(writer_a, ivy, title="Bell\x07 tower\x1b")
    (event,) = events(client, writer_a).values()
    assert str(event["SUMMARY"]) == "“Bell tower” goes dormant"
    assert b"\x07" not in client.get(calendar_url(writer_a)).content
