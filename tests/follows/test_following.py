"""Following threads, muses and writers: who may, and who hears about new posts."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from tandem.blocks.services import block_writer, unblock_writer
from tandem.follows import selectors, services
from tandem.follows.models import Follow
from tandem.notifications.models import Channel, Kind, Notification
from tandem.notifications.services import preferences_update, still_concerns
from tandem.threads import services as threads
from tests.follows.conftest import set_visibility

pytestmark = pytest.mark.django_db


def followed_posts_for(user) -> list[str]:
    return list(
        Notification.objects.filter(recipient=user, kind=Kind.FOLLOWED_POST)
        .order_by("pk")
        .values_list("text", flat=True)
    )


def post(thread, writer, muse, body="More words."):
    return threads.post_create(thread=thread, writer=writer, muse=muse, body=body)


# ---------------------------------------------------------------------------- who may follow


def test_a_reader_follows_a_public_thread_once(carol, lighthouse):
    """Following twice keeps one follow; unfollowing removes it."""
    first = services.thread_follow(follower=carol, thread=lighthouse)
    again = services.thread_follow(follower=carol, thread=lighthouse)
    assert first.pk == again.pk
    assert Follow.objects.filter(follower=carol).count() == 1
    assert services.unfollow(follower=carol, thread=lighthouse)
    assert not services.unfollow(follower=carol, thread=lighthouse)


@pytest.mark.parametrize("visibility", ["unlisted", "private"])
def test_only_public_threads_can_be_followed(carol, lighthouse, visibility):
    """An unlisted thread is for those holding its link; a private one for its writers."""
    set_visibility(lighthouse, visibility)
    with pytest.raises(PermissionDenied, match="Only public threads"):
        services.thread_follow(follower=carol, thread=lighthouse)


def test_the_threads_writers_do_not_follow_it(writer_a, writer_b, lighthouse):
    for writer in (writer_a, writer_b):
        with pytest.raises(PermissionDenied, match="You write in this thread"):
            services.thread_follow(follower=writer, thread=lighthouse)


def test_no_following_across_a_block(carol, writer_a, ivy, lighthouse):
    """Either direction of a block stops following the writer, their muse and threads."""
    block_writer(blocker=writer_a, blocked=carol)
    with pytest.raises(PermissionDenied):
        services.writer_follow(follower=carol, writer=writer_a)
    with pytest.raises(PermissionDenied):
        services.muse_follow(follower=carol, muse=ivy)
    with pytest.raises(PermissionDenied):
        services.thread_follow(follower=carol, thread=lighthouse)
    unblock_writer(blocker=writer_a, blocked=carol)
    block_writer(blocker=carol, blocked=writer_a)
    with pytest.raises(PermissionDenied):
        services.writer_follow(follower=writer_a, writer=carol)


def test_no_following_yourself_or_your_own_muse(writer_a, ivy):
    with pytest.raises(PermissionDenied):
        services.writer_follow(follower=writer_a, writer=writer_a)
    with pytest.raises(PermissionDenied):
        services.muse_follow(follower=writer_a, muse=ivy)


def test_a_placeholder_muse_cannot_be_followed(carol, make_muse, writer_a):
    placeholder = make_muse(writer_a, "Stand-in")
    type(placeholder).objects.filter(pk=placeholder.pk).update(is_placeholder=True)
    placeholder.refresh_from_db()
    with pytest.raises(PermissionDenied):
        services.muse_follow(follower=carol, muse=placeholder)


def test_follows_are_capped(carol, make_writer, monkeypatch):
    """One account's follows are bounded; following again what is followed still works."""
    monkeypatch.setattr(services, "MAX_FOLLOWS", 1)
    first = make_writer("dmitri")
    services.writer_follow(follower=carol, writer=first)
    with pytest.raises(ValidationError, match="unfollow some"):
        services.writer_follow(follower=carol, writer=make_writer("ezra"))
    services.writer_follow(follower=carol, writer=first)


# ---------------------------------------------------------------------------- new posts


def test_followers_of_the_thread_muse_and_writer_hear_of_a_new_post_once_each(
    make_writer, carol, writer_a, writer_b, ivy, hale, lighthouse
):
    """Thread, muse and writer followers are told; a follower of two of them once."""
    dora, emil = make_writer("dora"), make_writer("emil")
    services.thread_follow(follower=carol, thread=lighthouse)
    services.muse_follow(follower=dora, muse=hale)
    services.writer_follow(follower=emil, writer=writer_b)
    services.writer_follow(follower=carol, writer=writer_b)  # thread and writer: once
    new = post(lighthouse, writer_b, hale, "Hale climbed the stairs.")
    assert services.followers_notify(new.pk) is None
    for reader in (carol, dora, emil):
        assert followed_posts_for(reader) == ["New post by Hale in “The lighthouse”."]
    note = Notification.objects.get(recipient=carol, kind=Kind.FOLLOWED_POST)
    assert note.url == new.get_absolute_url()
    assert note.actor == writer_b


def test_the_threads_writers_and_the_poster_are_not_told_twice(
    carol, writer_a, writer_b, ivy, hale, lighthouse
):
    """Writers of the thread get their turn news; a follow they made before joining or
    of each other stays silent for this thread."""
    Follow.objects.create(follower=writer_a, writer=writer_b)
    Follow.objects.create(follower=writer_b, thread=lighthouse)
    Follow.objects.create(follower=writer_b, muse=hale)  # their own muse, made by hand
    new = post(lighthouse, writer_b, hale)
    services.followers_notify(new.pk)
    assert followed_posts_for(writer_a) == []
    assert followed_posts_for(writer_b) == []


@pytest.mark.parametrize("visibility", ["unlisted", "private"])
def test_no_news_from_a_thread_that_is_not_public(carol, writer_b, hale, lighthouse, visibility):
    """Followers and the muse's followers hear nothing while the thread is not public."""
    services.thread_follow(follower=carol, thread=lighthouse)
    services.muse_follow(follower=carol, muse=hale)
    set_visibility(lighthouse, visibility)
    new = post(lighthouse, writer_b, hale)
    services.followers_notify(new.pk)
    assert followed_posts_for(carol) == []


def test_no_news_across_a_block_with_the_poster_or_the_owner(
    make_writer, carol, writer_a, writer_b, hale, lighthouse
):
    """Blocked by the poster (bram) or the thread's owner (alice): silence."""
    dora = make_writer("dora")
    services.thread_follow(follower=carol, thread=lighthouse)
    services.thread_follow(follower=dora, thread=lighthouse)
    block_writer(blocker=writer_b, blocked=carol)
    block_writer(blocker=dora, blocked=writer_a)
    new = post(lighthouse, writer_b, hale)
    services.followers_notify(new.pk)
    assert followed_posts_for(carol) == []
    assert followed_posts_for(dora) == []


def test_a_removed_post_tells_no_one(carol, writer_b, hale, lighthouse):
    services.thread_follow(follower=carol, thread=lighthouse)
    new = post(lighthouse, writer_b, hale)
    threads.post_delete(post=new, writer=writer_b)
    services.followers_notify(new.pk)
    assert followed_posts_for(carol) == []


def test_the_preference_turns_it_off(carol, writer_b, hale, lighthouse):
    """ "A new post in something I follow" with no channel ticked: nothing recorded."""
    services.thread_follow(follower=carol, thread=lighthouse)
    preferences_update(
        writer=carol,
        channels={Kind.FOLLOWED_POST: []},
        daily_digest=False,
        quiet_hours_start=None,
        quiet_hours_end=None,
    )
    services.followers_notify(post(lighthouse, writer_b, hale).pk)
    assert followed_posts_for(carol) == []


def test_the_preference_is_on_the_preferences_page(client, carol):
    client.force_login(carol)
    page = client.get(reverse("notification-preferences")).content.decode()
    assert "A new post in something I follow" in page
    assert f'name="{Kind.FOLLOWED_POST}__{Channel.WEBHOOK}"' in page
    # Not email: a busy thread would fill an inbox.
    assert f'name="{Kind.FOLLOWED_POST}__{Channel.EMAIL}"' not in page


def test_unread_news_of_the_same_muse_is_not_repeated(carol, writer_b, hale, lighthouse):
    """Three posts by Hale while carol has not looked: one notification, pointing at the
    first of them."""
    services.thread_follow(follower=carol, thread=lighthouse)
    made = []
    for _ in range(3):
        made.append(post(lighthouse, writer_b, hale))
        services.followers_notify(made[-1].pk)
    assert len(followed_posts_for(carol)) == 1
    assert Notification.objects.get(recipient=carol).url == made[0].get_absolute_url()


def test_fan_out_goes_in_batches(make_writer, writer_b, hale, lighthouse):
    """Each call notifies one batch and says where the next one starts."""
    readers = [make_writer(f"reader{n}") for n in range(5)]
    for reader in readers:
        services.thread_follow(follower=reader, thread=lighthouse)
    new = post(lighthouse, writer_b, hale)
    last = services.followers_notify(new.pk, batch=2)
    assert last == sorted(r.pk for r in readers)[1]
    assert Notification.objects.filter(kind=Kind.FOLLOWED_POST).count() == 2
    last = services.followers_notify(new.pk, after=last, batch=2)
    last = services.followers_notify(new.pk, after=last, batch=2)
    assert last is None
    assert Notification.objects.filter(kind=Kind.FOLLOWED_POST).count() == 5


def test_posting_enqueues_the_fan_out_after_commit(
    django_capture_on_commit_callbacks, carol, writer_b, hale, lighthouse
):
    """The post's transaction only announces the event; the task is enqueued on commit,
    and only when somebody follows something the post touches."""
    from django_tasks_db.models import DBTaskResult

    def queued() -> int:
        return DBTaskResult.objects.filter(task_path__endswith="notify_followers").count()

    with django_capture_on_commit_callbacks(execute=True):
        post(lighthouse, writer_b, hale)
    assert queued() == 0  # nobody follows yet
    services.thread_follow(follower=carol, thread=lighthouse)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        new = post(lighthouse, writer_b, hale)
    assert queued() == 0  # not inside the post's transaction
    for callback in callbacks:
        callback()
    assert queued() == 1
    task = DBTaskResult.objects.get(task_path__endswith="notify_followers")
    assert task.args_kwargs["args"] == [new.pk, 0]
    assert followed_posts_for(carol) == []  # the worker will tell carol


def test_the_task_chains_batches(monkeypatch, make_writer, writer_b, hale, lighthouse):
    from django_tasks_db.models import DBTaskResult

    from tandem.follows import tasks

    monkeypatch.setattr(services, "NOTIFY_BATCH", 1)
    for n in range(2):
        services.thread_follow(follower=make_writer(f"r{n}"), thread=lighthouse)
    new = post(lighthouse, writer_b, hale)
    tasks.notify_followers.call(new.pk, 0)
    assert Notification.objects.filter(kind=Kind.FOLLOWED_POST).count() == 1
    assert DBTaskResult.objects.filter(task_path__endswith="notify_followers").count() == 1


# ---------------------------------------------------------------------------- sending later


def test_still_concerns_rechecks_when_the_email_or_webhook_leaves(
    carol, writer_a, writer_b, hale, lighthouse
):
    services.thread_follow(follower=carol, thread=lighthouse)
    services.followers_notify(post(lighthouse, writer_b, hale).pk)

    def fresh():  # as the worker loads it when the email or webhook leaves
        return Notification.objects.get(recipient=carol, kind=Kind.FOLLOWED_POST)

    assert still_concerns(fresh())
    set_visibility(lighthouse, "private")
    assert not still_concerns(fresh())
    set_visibility(lighthouse, "public")
    block_writer(blocker=writer_b, blocked=carol)
    assert not still_concerns(fresh())
    unblock_writer(blocker=writer_b, blocked=carol)
    assert still_concerns(fresh())
    services.unfollow(follower=carol, thread=lighthouse)
    assert not still_concerns(fresh())


# ---------------------------------------------------------------------------- pages


def test_follow_buttons_post_and_come_back(client, carol, writer_a, ivy, lighthouse):
    client.force_login(carol)
    page = client.get(lighthouse.get_absolute_url()).content.decode()
    assert reverse("follow-thread", args=[lighthouse.public_id]) in page
    response = client.post(
        reverse("follow-thread", args=[lighthouse.public_id]),
        {"action": "follow", "next": lighthouse.get_absolute_url()},
    )
    assert response.status_code == 302
    assert response["Location"] == lighthouse.get_absolute_url()
    assert Follow.objects.filter(follower=carol, thread=lighthouse).exists()
    client.post(reverse("follow-muse", args=[ivy.pk]), {"action": "follow"})
    client.post(reverse("follow-writer", args=[writer_a.username]), {"action": "follow"})
    assert Follow.objects.filter(follower=carol).count() == 3
    page = client.get(reverse("follows")).content.decode()
    assert "The lighthouse" in page and "Ivy" in page and writer_a.shown_name in page
    # The muse page and the writer page show "Unfollow" now.
    assert "Unfollow" in client.get(ivy.get_absolute_url()).content.decode()
    assert "Unfollow" in client.get(writer_a.get_absolute_url()).content.decode()


def test_follow_refusals_are_messages_and_bad_input_a_400(client, carol, writer_a, lighthouse):
    client.force_login(carol)
    url = reverse("follow-thread", args=[lighthouse.public_id])
    assert client.post(url, {"action": "dance"}).status_code == 400
    assert client.post(url, {}).status_code == 400
    set_visibility(lighthouse, "unlisted")
    response = client.post(url, {"action": "follow"}, follow=True)
    assert "Only public threads can be followed." in response.content.decode()
    # A private thread is a 404, as on its page.
    set_visibility(lighthouse, "private")
    assert client.post(url, {"action": "follow"}).status_code == 404
    # next= to another site goes to the thread instead.
    set_visibility(lighthouse, "public")
    response = client.post(url, {"action": "follow", "next": "https://evil.example/"})
    assert response["Location"] == lighthouse.get_absolute_url()
    assert (
        client.post(
            reverse("follow-writer", args=["nobody-here"]), {"action": "follow"}
        ).status_code
        == 404
    )


def test_no_button_for_those_who_may_not_follow(client, writer_a, lighthouse):
    """The thread's own writer and signed-out readers see no follow button."""
    url = reverse("follow-thread", args=[lighthouse.public_id])
    assert url not in client.get(lighthouse.get_absolute_url()).content.decode()
    client.force_login(writer_a)
    assert url not in client.get(lighthouse.get_absolute_url()).content.decode()


def test_the_following_page_hides_what_went_out_of_sight(
    client, carol, writer_a, writer_b, ivy, lighthouse
):
    """A thread no longer public and anything across a block are hidden, not deleted."""
    services.thread_follow(follower=carol, thread=lighthouse)
    services.writer_follow(follower=carol, writer=writer_b)
    services.muse_follow(follower=carol, muse=ivy)
    set_visibility(lighthouse, "private")
    block_writer(blocker=writer_b, blocked=carol)
    shown = list(selectors.shown_follows(carol))
    assert [f.muse for f in shown] == [ivy]
    assert Follow.objects.filter(follower=carol).count() == 3
    client.force_login(carol)
    page = client.get(reverse("follows")).content.decode()
    assert "The lighthouse" not in page and writer_b.username not in page


def test_the_following_page_is_paginated_in_few_queries(
    client, make_writer, carol, django_assert_max_num_queries
):
    for n in range(selectors.FOLLOWS_PER_PAGE + 5):
        services.writer_follow(follower=carol, writer=make_writer(f"w{n}"))
    client.force_login(carol)
    with django_assert_max_num_queries(15):
        first = client.get(reverse("follows"))
    assert first.content.decode().count("Unfollow<span") == selectors.FOLLOWS_PER_PAGE
    second = client.get(reverse("follows") + "?page=2").content.decode()
    assert second.count("Unfollow<span") == 5
    assert client.get(reverse("follows") + "?page=zzz").status_code == 200
