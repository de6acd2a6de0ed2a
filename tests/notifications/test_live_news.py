"""Issue 10, item 12: OOC talk notifies the thread's writers, a post in a free thread the
others, and notifications settle themselves when the writer acts on them or sees them."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from tandem.blocks.services import block_writer
from tandem.notifications import services
from tandem.notifications.forms import PreferencesForm
from tandem.notifications.models import EMAIL_KINDS, Kind, Notification
from tandem.threads import services as threads
from tandem.threads.events import ThreadEvent

pytestmark = pytest.mark.django_db


def unread(user, kind=None) -> list[str]:
    notes = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if kind is not None:
        notes = notes.filter(kind=kind)
    return list(notes.order_by("pk").values_list("text", flat=True))


@pytest.fixture
def delivered(django_capture_on_commit_callbacks):
    """Run a service call with its events delivered, as after a real commit."""

    def do(function, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return function(**kwargs)

    return do


# ---------------------------------------------------------------------------- OOC talk


@pytest.fixture
def trio(make_writer, make_muse, make_thread, join, writer_a, writer_b, ivy, hale):
    """Alice owns it (Ivy), Bram (Hale) and Cleo (Wren) write in it; Fern wrote and left."""
    thread = make_thread(writer_a, ivy, title="Lantern row")
    join(thread, hale)
    cleo = make_writer("cleo")
    join(thread, make_muse(cleo, "Wren"))
    fern = make_writer("fern")
    gone = join(thread, make_muse(fern, "Moth"))
    threads.participant_leave(participant=gone, actor=fern)
    Notification.objects.all().delete()
    return thread, cleo, fern


def test_ooc_talk_notifies_the_other_writers_once_each(delivered, trio, writer_a, writer_b):
    thread, cleo, fern = trio
    delivered(threads.ooc_post, thread=thread, writer=writer_b, body="market scene next?")
    text = "bram wrote in OOC talk on “Lantern row”."
    assert unread(writer_a, Kind.OOC_POSTED) == [text]
    assert unread(cleo, Kind.OOC_POSTED) == [text]
    assert unread(writer_b) == []  # never about their own words
    assert unread(fern) == []  # gone: no more news of the thread
    note = Notification.objects.get(recipient=cleo)
    assert note.url == reverse("thread-ooc", args=[thread.public_id]) + "#ooc-latest"
    # More talk from the same writer, unread: still one notification.
    delivered(threads.ooc_post, thread=thread, writer=writer_b, body="or the docks.")
    assert len(unread(cleo)) == 1


def test_a_mention_is_the_only_notification_its_writer_gets(delivered, trio, writer_a, writer_b):
    thread, cleo, _ = trio
    delivered(threads.ooc_post, thread=thread, writer=writer_b, body="@Wren, your call")
    assert [n.kind for n in Notification.objects.filter(recipient=cleo)] == [Kind.OOC_MENTION]
    assert [n.kind for n in Notification.objects.filter(recipient=writer_a)] == [Kind.OOC_POSTED]


def test_the_owner_hears_ooc_talk_without_a_muse_in_the_thread(
    delivered, coffee_cart, writer_a, writer_b, ivy
):
    threads.participant_leave(participant=coffee_cart.participants.get(muse=ivy), actor=writer_a)
    delivered(threads.ooc_post, thread=coffee_cart, writer=writer_b, body="still there?")
    assert unread(writer_a, Kind.OOC_POSTED) == ["bram wrote in OOC talk on “Coffee cart”."]


def test_ooc_talk_has_its_own_preference_and_no_email(delivered, coffee_cart, writer_a, writer_b):
    assert Kind.OOC_POSTED not in EMAIL_KINDS  # chat would flood an inbox
    form = PreferencesForm(prefs=services.settings_for(writer_a))
    row = dict(form.grid)["New OOC talk in a thread of yours"]
    assert [field.name for field in row if field] == ["ooc_posted__in_app", "ooc_posted__webhook"]
    assert row[0].initial is True  # in Tandem by default
    services.preferences_update(
        writer=writer_a,
        channels={Kind.OOC_POSTED: []},
        daily_digest=False,
        quiet_hours_start=None,
        quiet_hours_end=None,
    )
    delivered(threads.ooc_post, thread=coffee_cart, writer=writer_b, body="quiet now")
    assert unread(writer_a) == []
    assert mail.outbox == []


def test_a_block_between_two_writers_keeps_their_ooc_talk_quiet(
    delivered, coffee_cart, writer_a, writer_b
):
    block_writer(blocker=writer_a, blocked=writer_b)
    delivered(threads.ooc_post, thread=coffee_cart, writer=writer_b, body="hello?")
    assert unread(writer_a) == []


# ---------------------------------------------------------------------------- free threads


@pytest.fixture
def free_cart(make_thread, join, writer_a, ivy, hale, make_writer, make_muse):
    thread = make_thread(writer_a, ivy, title="Open mic", turn_mode="free")
    join(thread, hale)
    cleo = make_writer("cleo")
    join(thread, make_muse(cleo, "Wren"))
    Notification.objects.all().delete()
    return thread, cleo


def test_every_post_in_a_free_thread_tells_the_others(
    delivered, free_cart, writer_a, writer_b, ivy, hale
):
    thread, cleo = free_cart
    delivered(threads.post_create, thread=thread, writer=writer_a, muse=ivy, body="one")
    text = "Ivy posted in “Open mic”: your move (free order)."
    assert unread(writer_b, Kind.YOUR_TURN) == [text]
    assert unread(cleo, Kind.YOUR_TURN) == [text]
    assert unread(writer_a) == []
    # Bram sees it; Ivy posts again (the turn does not move in a free thread): he hears again.
    services.mark_read(writer=writer_b)
    delivered(threads.post_create, thread=thread, writer=writer_a, muse=ivy, body="two")
    assert unread(writer_b, Kind.YOUR_TURN) == [text]
    # Cleo has not looked yet: one unread "your move" per thread is enough.
    assert len(unread(cleo, Kind.YOUR_TURN)) == 1
    # Bram answers: his own news is settled, and Ivy's and Cleo's writers hear of his post.
    delivered(threads.post_create, thread=thread, writer=writer_b, muse=hale, body="three")
    assert unread(writer_b) == []
    assert unread(writer_a, Kind.YOUR_TURN) == [
        "Hale posted in “Open mic”: your move (free order)."
    ]
    assert len(unread(cleo, Kind.YOUR_TURN)) == 1


def test_an_ordered_thread_still_tells_only_the_next_writer(
    delivered, make_writer, make_muse, join, coffee_cart, writer_a, writer_b, ivy
):
    cleo = make_writer("cleo")
    join(coffee_cart, make_muse(cleo, "Wren"))
    Notification.objects.all().delete()
    delivered(threads.post_create, thread=coffee_cart, writer=writer_a, muse=ivy, body="hi")
    assert unread(writer_b) == ["Your turn as Hale in “Coffee cart”."]
    assert unread(cleo) == []


def test_a_paused_free_thread_tells_nobody(delivered, free_cart, writer_a, ivy):
    thread, cleo = free_cart
    threads.post_create(thread=thread, writer=writer_a, muse=ivy, body="before the pause")
    Notification.objects.all().delete()
    thread.status = "paused"
    thread.save(update_fields=["status"])
    # The post's event arriving after the pause (it is delivered after the commit).
    post = thread.posts.get()
    services.handle_event(
        ThreadEvent("post_created", thread.pk, actor_id=writer_a.pk, post_id=post.pk)
    )
    assert unread(cleo) == []


# ---------------------------------------------------------------------------- settling


def test_answering_an_invitation_settles_it(
    delivered, make_thread, writer_a, writer_b, ivy, hale, make_writer
):
    thread = make_thread(writer_a, ivy, title="Tea house")
    invitation = delivered(
        threads.invitation_create, thread=thread, actor=writer_a, username="bram"
    )
    assert unread(writer_b, Kind.INVITED)
    delivered(threads.invitation_accept, invitation=invitation, writer=writer_b, muse=hale)
    assert unread(writer_b, Kind.INVITED) == []

    cleo = make_writer("cleo")
    invitation = delivered(
        threads.invitation_create, thread=thread, actor=writer_a, username="cleo"
    )
    delivered(threads.invitation_decline, invitation=invitation, writer=cleo)
    assert unread(cleo) == []

    dora = make_writer("dora")
    invitation = delivered(
        threads.invitation_create, thread=thread, actor=writer_a, username="dora"
    )
    delivered(threads.invitation_withdraw, invitation=invitation, actor=writer_a)
    assert unread(dora) == []  # nothing left to answer


def test_taking_the_turn_settles_that_threads_turn_news_only(
    delivered, make_thread, join, coffee_cart, writer_a, writer_b, ivy, hale, make_muse
):
    other = make_thread(writer_a, make_muse(writer_a, "Sable"), title="Other")
    join(other, make_muse(writer_b, "Rook"))
    Notification.objects.all().delete()
    sable = other.participants.get(muse__name="Sable").muse
    delivered(threads.post_create, thread=coffee_cart, writer=writer_a, muse=ivy, body="a")
    delivered(threads.post_create, thread=other, writer=writer_a, muse=sable, body="b")
    services.notify(
        recipient=writer_b,
        kind=Kind.REMINDER,
        thread=coffee_cart,
        actor=None,
        text="Your turn in “Coffee cart” has waited 3 days.",
        url=coffee_cart.get_absolute_url(),
    )
    services.notify(
        recipient=writer_b,
        kind=Kind.STATUS_CHANGED,
        thread=coffee_cart,
        actor=writer_a,
        text="“Coffee cart” is now active.",
        url=coffee_cart.get_absolute_url(),
    )
    delivered(threads.post_create, thread=coffee_cart, writer=writer_b, muse=hale, body="c")
    assert unread(writer_b) == ["Your turn as Rook in “Other”.", "“Coffee cart” is now active."]


def test_opening_the_story_settles_what_it_shows(
    client, delivered, coffee_cart, writer_a, writer_b, ivy
):
    delivered(threads.post_create, thread=coffee_cart, writer=writer_a, muse=ivy, body="hello")
    delivered(threads.ooc_post, thread=coffee_cart, writer=writer_a, body="psst")
    for kind in (Kind.STATUS_CHANGED, Kind.PARTICIPANT_LEFT):
        services.notify(
            recipient=writer_b,
            kind=kind,
            thread=coffee_cart,
            actor=writer_a,
            text=f"{kind} news",
            url="/",
        )
    assert len(unread(writer_b)) == 4
    client.force_login(writer_b)
    page = client.get(coffee_cart.get_absolute_url()).content.decode()
    # OOC talk is settled on the OOC page, not by the story.
    assert unread(writer_b) == ["alice wrote in OOC talk on “Coffee cart”."]
    assert '<span class="badge" data-unread-count>1</span>' in page  # the bell, at once
    client.get(reverse("thread-ooc", args=[coffee_cart.public_id]))
    assert unread(writer_b) == []


def test_a_settled_notification_sends_no_email(delivered, settings, coffee_cart, writer_a, ivy):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    delivered(threads.post_create, thread=coffee_cart, writer=writer_a, muse=ivy, body="hi")
    note = Notification.objects.get(kind=Kind.YOUR_TURN)
    Notification.objects.filter(pk=note.pk).update(read_at=timezone.now())
    assert services.email_send(note.pk) == "already read"
    assert mail.outbox == []


def test_the_digest_leaves_out_what_was_settled(
    settings, coffee_cart, writer_a, writer_b, ivy, hale, delivered
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    prefs = services.settings_for(writer_b)
    prefs.daily_digest = True
    prefs.save()
    delivered(threads.post_create, thread=coffee_cart, writer=writer_a, muse=ivy, body="hi")
    delivered(threads.post_create, thread=coffee_cart, writer=writer_b, muse=hale, body="yo")
    assert services.digest_send(writer_b) == "nothing new"
    assert mail.outbox == []
