"""Issue 9 on the pages and services: a writer who left reads like anyone outside the thread
(item 2) and can no longer change their posts (item 7); a removed post's text reaches no one
but its writer (item 3); revisions are for the thread's writers (item 8)."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from tandem.muses.models import MuseIcon
from tandem.threads import services
from tandem.threads.models import Post, Thread

pytestmark = pytest.mark.django_db

GONE = "You are no longer writing in this thread"


def say(thread: Thread, muse, body: str) -> Post:
    thread.refresh_from_db()
    return services.post_create(thread=thread, writer=muse.owner, muse=muse, body=body)


def leave(thread: Thread, muse, actor) -> None:
    services.participant_leave(participant=thread.participants.get(muse=muse), actor=actor)


@pytest.fixture
def story(make_thread, join, writer_a, writer_b, ivy, hale):
    """A public thread; bram's Hale wrote (and edited) a post, then bram left."""

    def build(visibility: str = "public") -> tuple[Thread, Post]:
        thread = make_thread(writer_a, ivy, title="Lantern row", visibility=visibility)
        join(thread, hale)
        say(thread, ivy, "Ivy lit the first lantern.")
        post = say(thread, hale, "Hale's first try. MARKER-OLD-REVISION")
        services.post_edit(post=post, writer=writer_b, body="Hale lit the second.")
        services.ooc_post(thread=thread, writer=writer_a, body="OOC: MARKER-OOC")
        leave(thread, hale, writer_b)
        thread.refresh_from_db()
        return thread, Post.objects.get(pk=post.pk)

    return build


# ---------------------------------------------------------------------------- item 7: services


@pytest.mark.parametrize("removed_by_owner", [False, True])
def test_a_former_participant_can_no_longer_change_their_posts(
    writer_a, writer_b, removed_by_owner, make_thread, join, ivy, hale
):
    thread = make_thread(writer_a, ivy, visibility="unlisted", turn_mode="free")
    join(thread, hale)
    post = say(thread, hale, "Before leaving.")
    services.post_edit(post=post, writer=writer_b, body="Before leaving, edited.")
    leave(thread, hale, writer_a if removed_by_owner else writer_b)
    icon = MuseIcon.objects.create(muse=hale, keywords="smile", image="icons/none.webp")
    attempts = [
        lambda: services.post_edit(post=post, writer=writer_b, body="MARKER-AFTER-LEAVE"),
        lambda: services.post_delete(post=post, writer=writer_b),
        lambda: services.post_restore_revision(post=post, writer=writer_b, number=1),
        lambda: services.post_set_icon(post=post, writer=writer_b, icon=icon),
    ]
    for attempt in attempts:
        with pytest.raises(PermissionDenied, match=GONE):
            attempt()
    post.refresh_from_db()
    assert (post.body, post.deleted_at, post.icon_id) == ("Before leaving, edited.", None, None)
    assert post.revisions.count() == 2


def test_a_post_removed_before_leaving_stays_removed(
    make_thread, join, writer_a, writer_b, ivy, hale
):
    thread = make_thread(writer_a, ivy, visibility="public", turn_mode="free")
    join(thread, hale)
    post = say(thread, hale, "Gone.")
    services.post_delete(post=post, writer=writer_b)
    leave(thread, hale, writer_b)
    with pytest.raises(PermissionDenied, match=GONE):
        services.post_restore(post=post, writer=writer_b)
    post.refresh_from_db()
    assert post.is_deleted


def test_the_owner_keeps_their_posts_after_taking_their_muse_out(
    make_thread, join, make_muse, writer_a, ivy, hale
):
    thread = make_thread(writer_a, ivy, visibility="public")
    join(thread, hale)
    post = say(thread, ivy, "Mine.")
    leave(thread, ivy, writer_a)
    assert services.post_edit(post=post, writer=writer_a, body="Still mine.").body == "Still mine."


def test_the_edit_and_remove_pages_refuse_a_former_participant(client, story, writer_b):
    thread, post = story()
    client.force_login(writer_b)
    args = [thread.public_id, post.number]
    assert client.get(reverse("post-edit", args=args)).status_code == 403
    assert (
        client.post(reverse("post-edit", args=args), {"body": "MARKER-AFTER-LEAVE"}).status_code
        == 403
    )
    assert client.post(reverse("post-delete", args=args)).status_code == 403
    assert client.post(reverse("post-revision-restore", args=[*args, 1])).status_code == 403
    post.refresh_from_db()
    assert post.body == "Hale lit the second." and not post.is_deleted


# ---------------------------------------------------------------------------- item 2: pages


def test_a_former_participant_reads_a_public_thread_like_anyone(client, story, writer_b):
    thread, post = story()
    client.force_login(writer_b)
    page = client.get(thread.get_absolute_url()).content.decode()
    assert "Hale lit the second." in page
    for absent in (
        reverse("post-edit", args=[thread.public_id, post.number]),
        reverse("post-delete", args=[thread.public_id, post.number]),
        reverse("post-revisions", args=[thread.public_id, post.number]),
        reverse("thread-ooc", args=[thread.public_id]),
        "MARKER-OOC",
        "MARKER-OLD-REVISION",
    ):
        assert absent not in page, absent
    fragment = client.get(
        reverse("post-fragment", args=[thread.public_id, post.number])
    ).content.decode()
    assert "Hale lit the second." in fragment
    assert reverse("post-edit", args=[thread.public_id, post.number]) not in fragment
    assert reverse("post-revisions", args=[thread.public_id, post.number]) not in fragment
    assert client.get(reverse("thread-ooc", args=[thread.public_id])).status_code == 403
    revisions = client.get(reverse("post-revisions", args=[thread.public_id, post.number]))
    assert revisions.status_code == 403
    assert "MARKER-OLD-REVISION" not in revisions.content.decode()


def test_a_former_participant_gets_404_everywhere_in_a_private_thread(client, story, writer_b):
    thread, post = story("private")
    client.force_login(writer_b)
    for url in (
        thread.get_absolute_url(),
        reverse("post-fragment", args=[thread.public_id, post.number]),
        reverse("post-permalink", args=[thread.public_id, post.number]),
        reverse("post-revisions", args=[thread.public_id, post.number]),
        reverse("thread-ooc", args=[thread.public_id]),
        reverse("turn-fragment", args=[thread.public_id]),
    ):
        response = client.get(url)
        assert response.status_code == 404, url
        assert "MARKER" not in response.content.decode()


# ---------------------------------------------------------------------------- item 3: removed posts


def test_a_removed_posts_text_reaches_nobody_on_the_pages(
    client, make_thread, join, writer_a, writer_b, ivy, hale
):
    thread = make_thread(writer_a, ivy, visibility="public", turn_mode="free")
    join(thread, hale)
    post = say(thread, hale, "MARKER-REMOVED-REVISION")
    services.post_edit(post=post, writer=writer_b, body="MARKER-REMOVED-BODY")
    services.post_delete(post=post, writer=writer_b)
    args = [thread.public_id, post.number]
    for reader in (None, writer_a, writer_b):
        client.logout()
        if reader is not None:
            client.force_login(reader)
        for url in (thread.get_absolute_url(), reverse("post-fragment", args=args)):
            text = client.get(url).content.decode()
            assert "This post was removed by its writer." in text
            assert "MARKER-REMOVED" not in text, (reader, url)
        revisions = client.get(reverse("post-revisions", args=args))
        if reader == writer_b:
            # Its writer may still look back at it (and restore it).
            assert "MARKER-REMOVED-REVISION" in revisions.content.decode()
        else:
            assert revisions.status_code == 403
            assert "MARKER-REMOVED" not in revisions.content.decode()


# ---------------------------------------------------------------------------- item 8: revisions


def test_revisions_are_for_the_threads_writers(client, make_writer, story, writer_a):
    thread, post = story()
    url = reverse("post-revisions", args=[thread.public_id, post.number])
    for reader in (None, make_writer("stranger")):
        client.logout()
        if reader is not None:
            client.force_login(reader)
        response = client.get(url)
        assert response.status_code == 403
        assert "MARKER-OLD-REVISION" not in response.content.decode()
        page = client.get(thread.get_absolute_url()).content.decode()
        assert url not in page and "edited" in page
    client.force_login(writer_a)
    assert "MARKER-OLD-REVISION" in client.get(url).content.decode()
    assert url in client.get(thread.get_absolute_url()).content.decode()
