"""Notification emails through the real task queue (db_worker) and a real SMTP server."""

from __future__ import annotations

import email
import email.policy
import socket
from datetime import time, timedelta

import pytest
from aiosmtpd.controller import Controller
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tandem.notifications import services
from tandem.notifications.models import Kind, Notification
from tandem.threads import services as threads

# The worker closes and reopens database connections, so these tests commit for real.
pytestmark = pytest.mark.django_db(transaction=True)


class Inbox:
    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd calls this by name
        self.messages.append(
            email.message_from_bytes(envelope.content, policy=email.policy.default)
        )
        return "250 OK"


@pytest.fixture
def inbox(settings):
    """A real SMTP server on loopback, and Django pointed at it."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    box = Inbox()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.TANDEM_SITE_URL = "https://rp.tandem.test"
    yield box
    controller.stop()


def about_turns(inbox: Inbox) -> list:
    """The messages about turns (the fixtures' invitations send their own emails too)."""
    return [m for m in inbox.messages if "turn" in m["Subject"] or "update" in m["Subject"]]


def run_worker() -> None:
    call_command("db_worker", batch=True, no_startup_delay=True, verbosity=0)


def post(thread, writer, muse, callbacks, body="a reply"):
    with callbacks(execute=True):
        return threads.post_create(thread=thread, writer=writer, muse=muse, body=body)


def test_your_turn_email_has_text_html_and_one_click_unsubscribe(
    inbox, django_capture_on_commit_callbacks, writer_a, writer_b, coffee_cart, ivy
):
    post(coffee_cart, writer_a, ivy, django_capture_on_commit_callbacks)
    assert inbox.messages == []  # nothing is sent until the worker runs
    run_worker()
    # Bram accepted the fixture's invitation before the worker ran: that news is settled,
    # and its e-mail is not sent any more.
    assert [m["Subject"] for m in inbox.messages] == ["Your turn as Hale in “Coffee cart”."]
    message = about_turns(inbox)[0]
    assert message["To"] == writer_b.email
    assert message["Subject"] == "Your turn as Hale in “Coffee cart”."
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe = "".join(str(message["List-Unsubscribe"]).split()).strip("<>")
    assert unsubscribe.startswith("https://rp.tandem.test/notifications/unsubscribe/")
    text = message.get_body(("plain",)).get_content()
    page = message.get_body(("html",)).get_content()
    assert "https://rp.tandem.test/t/" in text and "Open in Tandem" in page
    # One click, from a mail client: no session, no CSRF token.
    path = unsubscribe.removeprefix("https://rp.tandem.test")
    response = Client(enforce_csrf_checks=True).post(path, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert "email" not in services.settings_for(writer_b).channels_for(Kind.YOUR_TURN)
    assert "in_app" in services.settings_for(writer_b).channels_for(Kind.YOUR_TURN)


def test_a_tampered_unsubscribe_link_is_refused(client):
    response = client.post(reverse("notifications-unsubscribe", args=["not-a-token"]))
    assert response.status_code == 400


def test_at_most_one_turn_email_per_thread_per_window(
    inbox, django_capture_on_commit_callbacks, writer_a, writer_b, coffee_cart, ivy, hale
):
    post(coffee_cart, writer_a, ivy, django_capture_on_commit_callbacks)
    run_worker()
    Notification.objects.filter(recipient=writer_b).update(read_at=timezone.now())  # bram reads it
    post(coffee_cart, writer_b, hale, django_capture_on_commit_callbacks)
    post(coffee_cart, writer_a, ivy, django_capture_on_commit_callbacks)
    run_worker()
    to_bram = [m for m in about_turns(inbox) if m["To"] == writer_b.email]
    assert len(to_bram) == 1
    assert Notification.objects.filter(recipient=writer_b, kind=Kind.YOUR_TURN).count() == 2


def test_running_a_task_twice_sends_once(
    inbox, django_capture_on_commit_callbacks, writer_a, coffee_cart, ivy
):
    """A worker restarted mid-run retries the task; the email still goes out once."""
    post(coffee_cart, writer_a, ivy, django_capture_on_commit_callbacks)
    notification = Notification.objects.get(kind=Kind.YOUR_TURN)
    assert services.email_send(notification.pk) == "sent"
    assert services.email_send(notification.pk) == "already sent"
    assert len(about_turns(inbox)) == 1


def test_quiet_hours_hold_the_email_back(
    inbox, django_capture_on_commit_callbacks, writer_a, writer_b, coffee_cart, ivy
):
    now = timezone.now()
    start = (now - timedelta(hours=1)).time().replace(second=0, microsecond=0)
    end = (now + timedelta(hours=2)).time().replace(second=0, microsecond=0)
    services.preferences_update(
        writer=writer_b,
        channels={},
        daily_digest=False,
        quiet_hours_start=start,
        quiet_hours_end=end,
    )
    post(coffee_cart, writer_a, ivy, django_capture_on_commit_callbacks)
    run_worker()
    assert about_turns(inbox) == []
    assert Notification.objects.get(recipient=writer_b, kind=Kind.YOUR_TURN).emailed_at is None


def test_daily_digest_replaces_single_emails(
    inbox, django_capture_on_commit_callbacks, writer_a, writer_b, coffee_cart, ivy
):
    services.preferences_update(
        writer=writer_b,
        channels={},
        daily_digest=True,
        quiet_hours_start=None,
        quiet_hours_end=None,
    )
    post(coffee_cart, writer_a, ivy, django_capture_on_commit_callbacks)
    run_worker()
    assert about_turns(inbox) == []
    assert services.digest_send(writer_b) == "sent"
    assert services.digest_send(writer_b) == "not due"
    assert len(about_turns(inbox)) == 1
    digest = about_turns(inbox)[0]
    assert digest["Subject"] == "Tandem: 1 update for you"
    assert "Your turn as Hale" in digest.get_body(("plain",)).get_content()
    assert digest["List-Unsubscribe"]


def test_quiet_hours_that_wrap_midnight(writer_b):
    prefs = services.settings_for(writer_b)
    prefs.quiet_hours_start, prefs.quiet_hours_end = time(22, 0), time(7, 0)
    late = timezone.now().replace(hour=23, minute=30)
    early = timezone.now().replace(hour=12, minute=0)
    assert services._in_quiet_hours(prefs, late) is not None
    assert services._in_quiet_hours(prefs, early) is None


def test_a_task_whose_worker_died_is_retried_and_sends_once(
    inbox, django_capture_on_commit_callbacks, writer_a, writer_b, coffee_cart, ivy
):
    """A worker killed mid-task leaves it "running"; the scheduler puts it back in the queue
    and the next worker sends the email — once."""
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    from tandem.notifications.scheduler import requeue_stale_tasks

    run_worker()  # the fixtures' invitation emails
    post(coffee_cart, writer_a, ivy, django_capture_on_commit_callbacks)
    DBTaskResult.objects.filter(status=TaskResultStatus.READY).update(
        status=TaskResultStatus.RUNNING, started_at=timezone.now() - timedelta(hours=1)
    )
    run_worker()
    assert about_turns(inbox) == []  # stuck: no worker picks up a "running" task
    assert requeue_stale_tasks() == 1
    run_worker()
    run_worker()
    assert len(about_turns(inbox)) == 1
