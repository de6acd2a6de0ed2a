"""Issue 9, items 8 and 7: what an invitee sees of a private thread.

Before accepting: only its title, summary and first post (and, for an import's claim, the
posts meant for their muse), on the invitation page — the thread itself, its fragments,
exports and socket answer them as they answer a stranger. After a withdrawal or a decline:
not even the thread's current title.
"""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync
from django.urls import reverse

from tandem.asgi import application
from tandem.imports import services as import_services
from tandem.notifications.models import Notification
from tandem.threads import selectors, services
from tests.live.sockets import WebSocket, session_headers

FIRST = "FIRSTMARK the lamps along the quay went out one by one."
SECOND = "SECONDMARK nobody on the boat said a word about it."


@pytest.fixture
def quay(make_thread, writer_a, ivy, make_muse):
    """Alice's private thread with two posts, and a pending invitation for bram."""
    thread = make_thread(
        writer_a, ivy, title="The quay", summary="SUMMARYMARK two ferries, one ticket."
    )
    moth = make_muse(writer_a, "Moth")
    services.participant_add_muse(thread=thread, writer=writer_a, muse=moth)
    thread.refresh_from_db()
    services.post_create(thread=thread, writer=writer_a, muse=ivy, body=FIRST)
    thread.refresh_from_db()
    services.post_create(thread=thread, writer=writer_a, muse=moth, body=SECOND)
    thread.refresh_from_db()
    return thread


@pytest.fixture
def invitation(quay, writer_a, writer_b):
    return services.invitation_create(thread=quay, actor=writer_a, username="bram")


def test_pending_invitee_gets_404_like_a_stranger(as_bram, quay, invitation):
    pid = quay.public_id
    for url in [
        reverse("thread-detail", args=[pid]),
        reverse("post-fragment", args=[pid, 1]),
        reverse("post-fragment", args=[pid, 2]),
        reverse("turn-fragment", args=[pid]),
        reverse("post-permalink", args=[pid, 2]),
        reverse("post-revisions", args=[pid, 2]),
    ]:
        response = as_bram.get(url)
        assert response.status_code == 404, url
        assert b"SECONDMARK" not in response.content
    for fmt in ["md", "json", "html"]:
        response = as_bram.post(reverse("thread-export", args=[pid]), {"format": fmt})
        assert response.status_code == 404, fmt
        assert b"SECONDMARK" not in response.content


@pytest.mark.django_db(transaction=True)
def test_pending_invitee_socket_is_closed_4403(settings, quay, invitation, writer_b):
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    headers = session_headers(writer_b)

    async def scenario():
        socket = WebSocket(application, f"/ws/threads/{quay.public_id}/", headers)
        await socket.connect()
        assert await socket.receive_close() == 4403

    async_to_sync(scenario)()


def test_invitation_page_shows_title_summary_and_first_post_only(as_bram, quay, invitation):
    page = as_bram.get(invitation.get_absolute_url()).content.decode()
    assert "The quay" in page
    assert "SUMMARYMARK" in page
    assert "FIRSTMARK" in page
    assert "SECONDMARK" not in page
    # No link to a thread page they cannot open.
    assert quay.get_absolute_url() not in page


def test_queue_and_notification_lead_invitees_to_the_invitation_page(
    as_bram, quay, writer_b, django_capture_on_commit_callbacks, writer_a
):
    with django_capture_on_commit_callbacks(execute=True):
        invitation = services.invitation_create(thread=quay, actor=writer_a, username="bram")
    note = Notification.objects.get(recipient=writer_b)
    assert note.url == invitation.get_absolute_url()
    home = as_bram.get(reverse("home")).content.decode()
    assert invitation.get_absolute_url() in home
    assert quay.get_absolute_url() not in home


def test_claim_page_lists_the_posts_meant_for_the_muse(
    as_bram, writer_a, writer_b, ivy, hale, make_muse
):
    moth = make_muse(writer_a, "Moth")
    posts = [
        import_services.ImportedPost(muse=ivy, body=FIRST),
        import_services.ImportedPost(muse=hale, body="CLAIMMARK hale coiled the rope.\nline 2"),
        import_services.ImportedPost(muse=moth, body=SECOND),
        import_services.ImportedPost(muse=hale, body="CLAIMTWO and threw it ashore."),
    ]
    thread = import_services.thread_import(owner=writer_a, title="Harbour", posts=posts)
    claim = thread.invitations.get()
    page = as_bram.get(claim.get_absolute_url()).content.decode()
    assert "Harbour" in page and "FIRSTMARK" in page
    assert "CLAIMMARK" in page and "CLAIMTWO" in page
    assert "2 posts" in page and "Hale" in page
    assert "SECONDMARK" not in page
    assert as_bram.get(thread.get_absolute_url()).status_code == 404

    # Accepting from the page, with no muse to choose: the claim names Hale.
    response = as_bram.post(claim.get_absolute_url(), {"answer": "accept"})
    assert response.status_code == 302 and response["Location"] == thread.get_absolute_url()
    assert thread.posts.filter(muse=hale, author=writer_b).count() == 2
    assert as_bram.get(thread.get_absolute_url()).status_code == 200


@pytest.mark.parametrize("ending", ["withdrawn", "declined"])
def test_a_finished_invitation_no_longer_shows_the_current_title(
    as_bram, quay, invitation, writer_a, writer_b, ending
):
    if ending == "withdrawn":
        services.invitation_withdraw(invitation=invitation, actor=writer_a)
    else:
        services.invitation_decline(invitation=invitation, writer=writer_b)
    services.thread_update(
        thread=quay,
        actor=writer_a,
        title="RENAMEDMARK",
        summary="NEWSUMMARYMARK",
        rating=quay.rating,
        warnings=[],
        tags=[],
        visibility=quay.visibility,
        turn_mode=quay.turn_mode,
        status=quay.status,
    )
    page = as_bram.get(invitation.get_absolute_url()).content.decode()
    assert f"This invitation was {ending}" in page or f"You {ending} this invitation" in page
    for marker in ["RENAMEDMARK", "NEWSUMMARYMARK", "The quay", "SUMMARYMARK", "FIRSTMARK"]:
        assert marker not in page, marker
    if ending == "withdrawn":
        assert "withdrawn by alice" in page
    home = as_bram.get(reverse("home")).content.decode()
    assert "RENAMEDMARK" not in home
    assert not selectors.writer_queue(writer_b).invitations
    notifications = as_bram.get(reverse("notifications")).content.decode()
    assert "RENAMEDMARK" not in notifications
