"""Who hears about what: the deciding service, preferences, and the pages."""

from __future__ import annotations

import html
import re
from datetime import time

import pytest
from django.urls import reverse

from tandem.notifications import services
from tandem.notifications.models import Kind, Notification
from tandem.threads import services as threads

pytestmark = pytest.mark.django_db


def kinds_for(user) -> list[str]:
    return list(
        Notification.objects.filter(recipient=user).order_by("pk").values_list("kind", flat=True)
    )


def test_the_story_notifies_the_right_writers(
    django_capture_on_commit_callbacks, writer_a, writer_b, make_thread, ivy, hale
):
    """Invite → invited; accept → answered; A posts → B's turn; B posts → A's turn."""
    with django_capture_on_commit_callbacks(execute=True):
        thread = make_thread(writer_a, ivy, title="Coffee cart")
        invitation = threads.invitation_create(thread=thread, actor=writer_a, username="bram")
    assert kinds_for(writer_b) == [Kind.INVITED]
    with django_capture_on_commit_callbacks(execute=True):
        threads.invitation_accept(invitation=invitation, writer=writer_b, muse=hale)
    assert kinds_for(writer_a) == [Kind.INVITATION_ANSWERED]
    with django_capture_on_commit_callbacks(execute=True):
        threads.post_create(thread=thread, writer=writer_a, muse=ivy, body="ivy opens.")
    assert kinds_for(writer_b) == [Kind.INVITED, Kind.YOUR_TURN]
    note = Notification.objects.filter(recipient=writer_b, kind=Kind.YOUR_TURN).get()
    assert note.text == "Your turn as Hale in “Coffee cart”."
    assert note.url.endswith("?page=last#reply")
    with django_capture_on_commit_callbacks(execute=True):
        threads.post_create(thread=thread, writer=writer_b, muse=hale, body="hale answers.")
    assert kinds_for(writer_a) == [Kind.INVITATION_ANSWERED, Kind.YOUR_TURN]
    # Nobody is told about their own actions.
    assert not Notification.objects.filter(recipient=writer_b, actor=writer_b).exists()


def test_leaving_status_and_ooc_mentions(
    django_capture_on_commit_callbacks, writer_a, writer_b, coffee_cart, ivy, hale
):
    with django_capture_on_commit_callbacks(execute=True):
        threads.ooc_post(thread=coffee_cart, writer=writer_b, body="can @ivy find the key?")
        threads.ooc_post(thread=coffee_cart, writer=writer_b, body="no mention here, ivyish")
    # Called by name, Ivy's writer hears it as a mention; other OOC talk as OOC talk.
    assert kinds_for(writer_a) == [Kind.OOC_MENTION, Kind.OOC_POSTED]
    with django_capture_on_commit_callbacks(execute=True):
        threads.thread_update(
            thread=coffee_cart,
            actor=writer_a,
            title="Coffee cart",
            summary="",
            rating="general",
            warnings=[],
            tags=[],
            visibility="private",
            turn_mode="ordered",
            status="paused",
        )
    assert kinds_for(writer_b) == [Kind.STATUS_CHANGED]
    assert "is now paused" in Notification.objects.get(recipient=writer_b).text
    participant = coffee_cart.participants.get(muse=hale)
    with django_capture_on_commit_callbacks(execute=True):
        threads.participant_leave(participant=participant, actor=writer_b)
    assert kinds_for(writer_a)[-1] == Kind.PARTICIPANT_LEFT


def test_free_mode_notifies_everyone_but_the_poster(
    django_capture_on_commit_callbacks, make_writer, make_muse, make_thread, join, writer_a, ivy
):
    others = [make_writer(f"w{n}") for n in range(3)]
    thread = make_thread(writer_a, ivy, turn_mode="free")
    for writer in others:
        join(thread, make_muse(writer))
    Notification.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        threads.post_create(thread=thread, writer=writer_a, muse=ivy, body="open floor")
    assert sorted(Notification.objects.values_list("recipient__username", flat=True)) == [
        "w0",
        "w1",
        "w2",
    ]


def test_a_channel_turned_off_is_respected(
    django_capture_on_commit_callbacks, writer_a, writer_b, coffee_cart, ivy
):
    services.preferences_update(
        writer=writer_b,
        channels={Kind.YOUR_TURN: []},
        daily_digest=False,
        quiet_hours_start=None,
        quiet_hours_end=None,
    )
    with django_capture_on_commit_callbacks(execute=True):
        threads.post_create(thread=coffee_cart, writer=writer_a, muse=ivy, body="hello")
    assert Kind.YOUR_TURN not in kinds_for(writer_b)


def test_a_failing_handler_never_fails_the_post(
    django_capture_on_commit_callbacks, monkeypatch, writer_a, coffee_cart, ivy
):
    """Events are delivered after commit; an exploding handler is logged, the post stands."""
    from tandem.threads import events

    monkeypatch.setattr(events, "HANDLERS", ["tandem.notifications.selectors.unread_count"])
    with django_capture_on_commit_callbacks(execute=True):
        post = threads.post_create(thread=coffee_cart, writer=writer_a, muse=ivy, body="still here")
    assert post.pk


# ---------------------------------------------------------------------------- pages


@pytest.fixture
def bram_has_notifications(django_capture_on_commit_callbacks, writer_a, coffee_cart, ivy):
    with django_capture_on_commit_callbacks(execute=True):
        threads.post_create(thread=coffee_cart, writer=writer_a, muse=ivy, body="one")
        threads.ooc_post(thread=coffee_cart, writer=writer_a, body="hale, thoughts?")


def test_bell_count_list_open_and_mark_all(as_bram, writer_b, bram_has_notifications):
    page = html.unescape(as_bram.get(reverse("notifications")).content.decode())
    bell = re.search(r'<a href="/notifications/" class="bell"[^>]*>(.*?)</a>', page, re.S)
    assert " ".join(re.sub(r"<[^>]+>", " ", bell.group(1)).split()) == "Notifications 2 unread"
    assert "Your turn as Hale in “Coffee cart”." in page
    first = Notification.objects.filter(recipient=writer_b).order_by("pk").first()
    response = as_bram.post(reverse("notification-open", args=[first.pk]))
    assert response.status_code == 302 and response["Location"] == first.url
    first.refresh_from_db()
    assert first.read_at is not None
    as_bram.post(reverse("notifications-read-all"))
    assert not Notification.objects.filter(recipient=writer_b, read_at__isnull=True).exists()


def test_someone_elses_notification_cannot_be_opened(as_alice, writer_b, bram_has_notifications):
    other = Notification.objects.filter(recipient=writer_b).first()
    response = as_alice.post(reverse("notification-open", args=[other.pk]))
    assert response.status_code == 404
    other.refresh_from_db()
    assert other.read_at is None


def test_preferences_page_saves_the_grid_digest_and_quiet_hours(as_bram, writer_b):
    data = {
        f"{Kind.YOUR_TURN}__in_app": "on",
        f"{Kind.INVITED}__email": "on",
        "daily_digest": "on",
        "quiet_hours_start": "22:00",
        "quiet_hours_end": "07:30",
    }
    response = as_bram.post(reverse("notification-preferences"), data)
    assert response.status_code == 302
    prefs = services.settings_for(writer_b)
    assert prefs.channels_for(Kind.YOUR_TURN) == ["in_app"]
    assert prefs.channels_for(Kind.INVITED) == ["email"]
    assert prefs.channels_for(Kind.OOC_MENTION) == []
    assert prefs.daily_digest is True
    assert (prefs.quiet_hours_start, prefs.quiet_hours_end) == (time(22, 0), time(7, 30))


def test_half_quiet_hours_and_bad_times_get_messages(as_bram):
    response = as_bram.post(reverse("notification-preferences"), {"quiet_hours_start": "22:00"})
    assert response.status_code == 200
    assert "Give both ends of your quiet hours" in html.unescape(response.content.decode())
    response = as_bram.post(
        reverse("notification-preferences"), {"quiet_hours_start": "25:99", "quiet_hours_end": "x"}
    )
    assert response.status_code == 200
    assert "Enter a valid time" in response.content.decode()


def test_every_preferences_checkbox_has_a_label(as_bram):
    page = as_bram.get(reverse("notification-preferences")).content.decode()
    import re

    for control_id in re.findall(r'<input type="checkbox" name="[^"]+" id="([^"]+)"', page):
        assert f'for="{control_id}"' in page


def test_the_same_unread_news_is_not_repeated(
    django_capture_on_commit_callbacks, writer_a, writer_b, coffee_cart, ivy, hale
):
    """Two turn changes that both leave it bram's turn give him one unread notification."""
    with django_capture_on_commit_callbacks(execute=True):
        threads.post_create(thread=coffee_cart, writer=writer_a, muse=ivy, body="one")
        threads.participants_reorder(
            thread=coffee_cart,
            actor=writer_a,
            order=list(reversed(services_order(coffee_cart))),
        )
    assert kinds_for(writer_b).count(Kind.YOUR_TURN) == 1


def services_order(thread):
    return list(
        thread.participants.filter(left_at__isnull=True)
        .order_by("position")
        .values_list("pk", flat=True)
    )
