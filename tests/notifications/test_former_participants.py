"""Issue 9, item 2: a writer who left a thread (or was removed) hears nothing more about it —
not from events after they left, nor from emails, digests, webhooks or reminders that were
still on their way when they left."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tandem.notifications import reminders, services, tasks
from tandem.notifications.models import Kind, Notification, Webhook, WebhookDelivery
from tandem.threads import services as threads
from tandem.threads.models import ThreadWriterState
from tests.notifications.test_email import inbox  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db(transaction=True)


def leave(thread, muse, actor) -> None:
    threads.participant_leave(participant=thread.participants.get(muse=muse), actor=actor)


def quiet_now(writer) -> None:
    now = timezone.now()
    services.preferences_update(
        writer=writer,
        channels={},
        daily_digest=False,
        quiet_hours_start=(now - timedelta(hours=1)).time().replace(second=0, microsecond=0),
        quiet_hours_end=(now + timedelta(hours=2)).time().replace(second=0, microsecond=0),
    )


def test_nothing_after_leaving_reaches_a_former_participant(
    writer_a, writer_b, coffee_cart, ivy, hale
):
    threads.post_create(thread=coffee_cart, writer=writer_a, muse=ivy, body="first")
    leave(coffee_cart, hale, writer_a)
    before = Notification.objects.filter(recipient=writer_b).count()
    # Everything that would have reached bram as a writer of the thread.
    threads.thread_update(
        thread=coffee_cart,
        actor=writer_a,
        title="Coffee cart MARKER-AFTER-LEAVE",
        summary="",
        rating="general",
        warnings=[],
        tags=[],
        visibility="private",
        turn_mode="free",
        status="paused",
    )
    threads.ooc_post(thread=coffee_cart, writer=writer_a, body="@Hale, Hale: MARKER-AFTER-LEAVE")
    assert Notification.objects.filter(recipient=writer_b).count() == before
    assert not Notification.objects.filter(text__contains="MARKER-AFTER-LEAVE").exclude(
        recipient=writer_a
    )


def test_an_email_held_by_quiet_hours_is_not_sent_after_leaving(
    inbox,  # noqa: F811
    writer_a,
    writer_b,
    coffee_cart,
    ivy,
    hale,
):
    quiet_now(writer_b)
    threads.post_create(thread=coffee_cart, writer=writer_a, muse=ivy, body="your move")
    note = Notification.objects.get(recipient=writer_b, kind=Kind.YOUR_TURN)
    leave(coffee_cart, hale, writer_a)
    # Quiet hours end: the held email's task finally runs.
    assert services.email_send(note.pk) == "no longer in the thread"
    assert [m for m in inbox.messages if "Coffee cart" in m["Subject"]] == []


def test_a_digest_leaves_out_threads_the_writer_left(
    inbox,  # noqa: F811
    writer_a,
    writer_b,
    coffee_cart,
    ivy,
    hale,
):
    services.preferences_update(
        writer=writer_b,
        channels={},
        daily_digest=True,
        quiet_hours_start=None,
        quiet_hours_end=None,
    )
    threads.post_create(thread=coffee_cart, writer=writer_a, muse=ivy, body="your move")
    leave(coffee_cart, hale, writer_b)
    assert services.digest_send(writer_b) == "nothing new"
    assert not [m for m in inbox.messages if "update" in m["Subject"]]


def test_webhooks_are_not_sent_for_a_thread_the_writer_left(
    writer_a, writer_b, coffee_cart, ivy, hale
):
    Webhook.objects.create(
        writer=writer_b, url="https://hooks.example.test/x", kinds=[Kind.YOUR_TURN], secret="s"
    )
    threads.post_create(thread=coffee_cart, writer=writer_a, muse=ivy, body="your move")
    note = Notification.objects.get(recipient=writer_b, kind=Kind.YOUR_TURN)
    WebhookDelivery.objects.all().delete()  # as if the worker had not got to it yet
    leave(coffee_cart, hale, writer_b)
    assert tasks.deliver_webhooks.call(note.pk) == 0
    assert not WebhookDelivery.objects.exists()


def test_a_webhook_retry_after_leaving_is_dropped(writer_a, writer_b, coffee_cart, ivy, hale):
    from tandem.notifications import webhooks

    Webhook.objects.create(
        writer=writer_b, url="https://hooks.example.test/x", kinds=[Kind.YOUR_TURN], secret="s"
    )
    threads.post_create(thread=coffee_cart, writer=writer_a, muse=ivy, body="your move")
    note = Notification.objects.get(recipient=writer_b, kind=Kind.YOUR_TURN)
    assert tasks.deliver_webhooks.call(note.pk) == 1  # queued while bram was still writing
    delivery = WebhookDelivery.objects.get(webhook__writer=writer_b)
    leave(coffee_cart, hale, writer_b)
    assert webhooks.attempt(delivery.pk) == "dropped"
    delivery.refresh_from_db()
    assert delivery.status == "failed" and delivery.attempts == 0


def test_leaving_clears_a_pending_reminder(
    make_thread, join, make_muse, make_writer, writer_a, writer_b, ivy, hale
):
    cleo = make_writer("cleo")
    wren = make_muse(cleo, "Wren")
    thread = make_thread(writer_a, ivy, turn_mode="free")
    join(thread, hale)
    join(thread, wren)
    for writer in (writer_b, cleo):
        services.preferences_update(
            writer=writer,
            channels={},
            daily_digest=False,
            quiet_hours_start=None,
            quiet_hours_end=None,
            reminder_days=2,
        )
    threads.post_create(thread=thread, writer=writer_a, muse=ivy, body="anyone?")
    state = ThreadWriterState.objects.get(thread=thread, writer=cleo)
    assert state.remind_at is not None  # cleo is awaited in a free thread
    leave(thread, wren, cleo)  # not cleo's "turn" in the posting order: the turn stays put
    state.refresh_from_db()
    assert state.remind_at is None
    ThreadWriterState.objects.filter(thread=thread, writer=writer_b).update(
        remind_at=timezone.now() - timedelta(days=1)
    )
    assert reminders.enqueue_due_reminders() == 1  # bram's only


def test_an_invitation_email_after_a_withdrawal_is_not_sent(
    inbox,  # noqa: F811
    writer_a,
    make_writer,
    make_thread,
    ivy,
):
    dora = make_writer("dora")
    quiet_now(dora)
    thread = make_thread(writer_a, ivy, title="Secret garden")
    invitation = threads.invitation_create(thread=thread, actor=writer_a, username="dora")
    note = Notification.objects.get(recipient=dora, kind=Kind.INVITED)
    threads.invitation_withdraw(invitation=invitation, actor=writer_a)
    # Withdrawing settles the invitation's notification; were it still unread, the check
    # of who may still hear of the thread would stop the e-mail all the same.
    assert services.email_send(note.pk) == "already read"
    Notification.objects.filter(pk=note.pk).update(read_at=None)
    assert services.email_send(note.pk) == "no longer in the thread"
    assert inbox.messages == []
