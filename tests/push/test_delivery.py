"""Push delivery end to end: the writer's browser subscribes through the real endpoint,
a thread event makes a notification, the real worker runs the push task, and the local
push service (tests/push/conftest.py) verifies the VAPID JWT and decrypts the message."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tandem.notifications import services as notifications
from tandem.notifications.models import Channel, Kind, Notification
from tandem.push import services
from tandem.push.models import PushSubscription
from tandem.threads import services as threads
from tests.notifications.test_email import post, run_worker
from tests.notifications.test_former_participants import quiet_now

# The worker closes and reopens database connections, so these tests commit for real.
pytestmark = pytest.mark.django_db(transaction=True)

PHONE_UA = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/131.0 Mobile Safari/537.36"
)


def subscribe(writer, device) -> PushSubscription:
    """As the devices page's script does it: session cookie, CSRF header, JSON body."""
    client = Client(enforce_csrf_checks=True, HTTP_USER_AGENT=PHONE_UA)
    client.force_login(writer)
    client.get(reverse("push-devices"))
    response = client.post(
        reverse("push-subscribe"),
        data=json.dumps(device.subscription_json()),
        content_type="application/json",
        HTTP_X_CSRFTOKEN=client.cookies["csrftoken"].value,
    )
    assert response.status_code == 201, response.content
    return PushSubscription.objects.get(pk=response.json()["id"])


def test_your_turn_reaches_the_device_encrypted_and_signed(
    push_service, django_capture_on_commit_callbacks, writer_a, writer_b, coffee_cart, ivy
):
    """Alice posts; Bram's phone gets "your turn", readable only with its own keys."""
    device = push_service.device("bram-phone")
    subscription = subscribe(writer_b, device)
    assert subscription.label == "Chrome on Android"
    post(coffee_cart, writer_a, ivy, django_capture_on_commit_callbacks)
    assert push_service.received == []  # nothing leaves inside the request
    run_worker()
    [message] = push_service.received
    assert message.path == "/push/bram-phone"
    opened = push_service.open(message, device)
    assert opened["key"] == services.application_server_key()
    payload = opened["payload"]
    assert payload["title"] == "Tandem"
    assert payload["body"] == "Your turn as Hale in “Coffee cart”."
    assert payload["url"] == coffee_cart.get_absolute_url() + "?page=last#reply"
    subscription.refresh_from_db()
    assert subscription.last_success_at is not None and subscription.last_error == ""


def test_invitations_and_mentions_are_pushed(
    push_service, django_capture_on_commit_callbacks, make_thread, writer_a, writer_b, ivy, hale
):
    device = push_service.device()
    subscribe(writer_b, device)
    thread = make_thread(writer_a, ivy, title="Night market")
    with django_capture_on_commit_callbacks(execute=True):
        invitation = threads.invitation_create(
            thread=thread, actor=writer_a, username=writer_b.username
        )
    run_worker()  # before Bram answers: an answered invitation is no news any more
    with django_capture_on_commit_callbacks(execute=True):
        threads.invitation_accept(invitation=invitation, writer=writer_b, muse=hale)
    with django_capture_on_commit_callbacks(execute=True):
        threads.ooc_post(thread=thread, writer=writer_a, body="@Hale are you around tonight?")
    run_worker()
    bodies = [push_service.open(m, device)["payload"]["body"] for m in push_service.received]
    assert bodies == [
        "alice invited you to “Night market”.",
        "alice mentioned Hale in OOC talk on “Night market”.",
    ]


def test_a_gone_subscription_is_removed(
    push_service, django_capture_on_commit_callbacks, writer_a, writer_b, coffee_cart, ivy
):
    """The push service answers 410 Gone: the browser unsubscribed; Tandem forgets it."""
    gone, kept = push_service.device("gone"), push_service.device("kept")
    subscribe(writer_b, gone)
    subscribe(writer_b, kept)
    push_service.answer["/push/gone"] = 410
    post(coffee_cart, writer_a, ivy, django_capture_on_commit_callbacks)
    run_worker()
    assert sorted(m.path for m in push_service.received) == ["/push/gone", "/push/kept"]
    assert list(PushSubscription.objects.values_list("endpoint", flat=True)) == [kept.endpoint]


def test_a_failing_push_service_is_recorded_not_fatal(push_service, writer_b, coffee_cart):
    device = push_service.device("busy")
    subscription = subscribe(writer_b, device)
    push_service.answer["/push/busy"] = 503
    notification = Notification.objects.create(
        recipient=writer_b, kind=Kind.YOUR_TURN, thread=coffee_cart, text="Your turn.", url="/"
    )
    assert services.deliver(notification.pk) == {"failed": 1}
    subscription.refresh_from_db()
    assert subscription.last_error == "Could not deliver (status 503)"
    assert subscription.last_success_at is None


def test_quiet_hours_hold_the_push_back(
    push_service, django_capture_on_commit_callbacks, writer_a, writer_b, coffee_cart, ivy
):
    from django_tasks_db.models import DBTaskResult

    subscribe(writer_b, push_service.device())
    now = timezone.now()
    quiet_now(writer_b)
    post(coffee_cart, writer_a, ivy, django_capture_on_commit_callbacks)
    run_worker()
    assert push_service.received == []
    waiting = DBTaskResult.objects.get(task_path="tandem.push.tasks.send_push")
    assert waiting.run_after > now + timedelta(hours=1)


def test_push_turned_off_in_preferences_sends_nothing(
    push_service, django_capture_on_commit_callbacks, writer_a, writer_b, coffee_cart, ivy
):
    from django_tasks_db.models import DBTaskResult

    subscribe(writer_b, push_service.device())
    notifications.preferences_update(
        writer=writer_b,
        channels={Kind.YOUR_TURN: [Channel.IN_APP]},
        daily_digest=False,
        quiet_hours_start=None,
        quiet_hours_end=None,
    )
    post(coffee_cart, writer_a, ivy, django_capture_on_commit_callbacks)
    run_worker()
    assert push_service.received == []
    assert not DBTaskResult.objects.filter(task_path="tandem.push.tasks.send_push").exists()
    assert Notification.objects.filter(recipient=writer_b, kind=Kind.YOUR_TURN).exists()


def test_news_read_before_the_worker_runs_is_not_pushed(
    push_service, django_capture_on_commit_callbacks, writer_a, writer_b, coffee_cart, ivy
):
    subscribe(writer_b, push_service.device())
    post(coffee_cart, writer_a, ivy, django_capture_on_commit_callbacks)
    notifications.mark_read(writer=writer_b)
    run_worker()
    assert push_service.received == []


def test_a_long_text_is_cut_to_the_payload_limit(push_service, writer_b, coffee_cart):
    device = push_service.device()
    subscribe(writer_b, device)
    notification = Notification.objects.create(
        recipient=writer_b, kind=Kind.YOUR_TURN, thread=coffee_cart, text="ä" * 300, url="/"
    )
    notification.text = "ä" * 5000  # longer than the column allows, as a worst case
    body = services.payload(notification)
    assert len(body) <= services.MAX_PAYLOAD_BYTES
    assert json.loads(body)["body"].endswith("…")
    assert services.deliver(notification.pk) == {"sent": 1}
    assert push_service.open(push_service.received[0], device)["payload"]["body"] == "ä" * 300
